"""IAM service-specific credentials (issue 15): CreateServiceSpecificCredential,
ListServiceSpecificCredentials, ResetServiceSpecificCredential, UpdateServiceSpecificCredential,
DeleteServiceSpecificCredential through the real binary, boto3 and the aws CLI.

Recorded AWS answers these tests assert: LocalStack's AWS-validated snapshot suite,
tests/aws/services/iam/test_iam.snapshot.json, TestIAMServiceSpecificCredentials (recorded
06-03-2025 against AWS):
  * test_service_specific_credential_lifecycle[codecommit|cassandra]: the shapes of Create and
    Reset (CreateDate, ServiceName, ServicePassword, ServiceSpecificCredentialId,
    ServiceUserName "<user>-at-<account>", Status, UserName), List's metadata without the
    password, Update to Inactive, Reset keeping the status and the id with a new password;
  * test_create_service_specific_credential_invalid_user / _invalid_service and
    test_list_service_specific_credential_different_service: NoSuchEntity 404 "The user with
    name X cannot be found." (checked before the service), "No such service X is supported for
    Service Specific Credentials" for an unknown, malformed or unsupported service on Create and
    List, and an empty list for a supported service the user holds none of;
  * test_user_match_id_mismatch[satisfiesregexbutstillinvalid] and test_id_match_user_mismatch:
    NoSuchEntity 404 "No such credential X exists" for an unknown id, the user text for an
    unknown user, on Update, Reset and Delete;
  * test_delete_user_after_service_credential_created: DeleteConflict 409 "Cannot delete
    entity, must remove referenced objects first.".
The id's shape (ACCA + 17, 21 characters) is LocalStack's provider's (its example
`ACCAQAAAAAAAPBAFQJI5W`; the snapshot masks ids). moto (getmoto/moto tests/test_iam/) does not
implement these operations; its test_iam_policies.py only lists the actions.
Not recorded anywhere we found, so warden's choices: the LimitExceeded text ("Cannot exceed
quota for ServiceSpecificCredentialsPerUserPerService: 2", AccessKeysPerUser's recorded
pattern; the limit itself is the CreateServiceSpecificCredential reference's), the password's
shape (60 characters ending in "=", LocalStack's generator), and refusing AllUsers.
"""

from __future__ import annotations

import json

import pytest

from e2e_util import (
    ACCOUNT_ID,
    Creds,
    access_denied_messages,
    assert_cli_error,
    create_user_with_key,
    grant,
    make_client,
    raises_aws,
    signed_call,
    unique,
    user_resource_forms,
)

CODECOMMIT = "codecommit.amazonaws.com"
KEYSPACES = "cassandra.amazonaws.com"


def unsupported(service: str) -> str:
    return f"No such service {service} is supported for Service Specific Credentials"


def no_credential(cred_id: str) -> str:
    return f"No such credential {cred_id} exists"


def create(iam, user: str, service: str = CODECOMMIT) -> dict:
    return iam.create_service_specific_credential(UserName=user, ServiceName=service)["ServiceSpecificCredential"]


@pytest.mark.parametrize("service", [CODECOMMIT, KEYSPACES])
def test_lifecycle_as_recorded(iam, service):
    """Recorded: test_service_specific_credential_lifecycle[codecommit|cassandra]."""
    name = unique("ssc")
    iam.create_user(UserName=name)
    cred = create(iam, name, service)
    assert set(cred) == {
        "CreateDate", "ServiceName", "ServicePassword", "ServiceSpecificCredentialId",
        "ServiceUserName", "Status", "UserName",
    }
    cred_id = cred["ServiceSpecificCredentialId"]
    assert len(cred_id) == 21 and cred_id.startswith("ACCA") and cred_id.isalnum()
    assert (cred["ServiceName"], cred["ServiceUserName"], cred["Status"], cred["UserName"]) == (
        service, f"{name}-at-{ACCOUNT_ID}", "Active", name,
    )
    password = cred["ServicePassword"]
    assert len(password) == 60 and password.endswith("=")

    meta = {k: v for k, v in cred.items() if k != "ServicePassword"}
    listed = iam.list_service_specific_credentials(UserName=name, ServiceName=service)
    assert listed["ServiceSpecificCredentials"] == [meta]

    iam.update_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id, Status="Inactive")
    listed = iam.list_service_specific_credentials(UserName=name, ServiceName=service)["ServiceSpecificCredentials"]
    assert listed == [dict(meta, Status="Inactive")]

    reset = iam.reset_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id)[
        "ServiceSpecificCredential"
    ]
    assert {k: v for k, v in reset.items() if k != "ServicePassword"} == dict(meta, Status="Inactive")
    assert len(reset["ServicePassword"]) == 60 and reset["ServicePassword"] != password

    iam.delete_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id)
    assert iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"] == []
    iam.delete_user(UserName=name)


def test_the_password_is_shown_only_by_create_and_reset(iam):
    name = unique("ssc")
    iam.create_user(UserName=name)
    cred = create(iam, name)
    listed = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
    assert all("ServicePassword" not in c for c in listed)
    assert cred["ServicePassword"] not in str(listed)


def test_unknown_users_and_services_are_no_such_entity(iam):
    """Recorded: invalid-user-name-exception, invalid-user-and-service-exception (the user is
    checked first), invalid-service-exception, invalid-service-completely-malformed-exception,
    invalid-service-existing-but-unsupported-exception, list-service-specific-credentials-invalid-service."""
    ghost = unique("ghost")
    for service in (CODECOMMIT, "nonexistentservice.amazonaws.com"):
        with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
            iam.create_service_specific_credential(UserName=ghost, ServiceName=service)
    name = unique("ssc")
    iam.create_user(UserName=name)
    for service in ("nonexistentservice.amazonaws.com", "o3on3n3onosneo", "lambda.amazonaws.com"):
        with raises_aws("NoSuchEntity", unsupported(service), 404):
            iam.create_service_specific_credential(UserName=name, ServiceName=service)
    with raises_aws("NoSuchEntity", unsupported("nonexistentservice.amazonaws.com"), 404):
        iam.list_service_specific_credentials(UserName=name, ServiceName="nonexistentservice.amazonaws.com")
    # Recorded list-service-specific-credentials-response-wrong-service: filtered by service.
    create(iam, name, CODECOMMIT)
    assert iam.list_service_specific_credentials(UserName=name, ServiceName=KEYSPACES)["ServiceSpecificCredentials"] == []
    assert len(iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]) == 1


def test_unknown_ids_and_wrong_users_are_no_such_entity(iam):
    """Recorded: test_user_match_id_mismatch[satisfiesregexbutstillinvalid] (update-, reset-,
    delete-wrong-id) and test_id_match_user_mismatch (update-, reset-, delete-wrong-user-name)."""
    name, other = unique("ssc"), unique("ssc")
    iam.create_user(UserName=name)
    iam.create_user(UserName=other)
    cred_id = create(iam, name)["ServiceSpecificCredentialId"]
    missing = "satisfiesregexbutstillinvalid"
    calls = [
        lambda u, i: iam.update_service_specific_credential(UserName=u, ServiceSpecificCredentialId=i, Status="Inactive"),
        lambda u, i: iam.reset_service_specific_credential(UserName=u, ServiceSpecificCredentialId=i),
        lambda u, i: iam.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=i),
    ]
    for call in calls:
        with raises_aws("NoSuchEntity", no_credential(missing), 404):
            call(name, missing)
        with raises_aws("NoSuchEntity", "The user with name wrong-user-name cannot be found.", 404):
            call("wrong-user-name", cred_id)
        # Another existing user's credential is not found under this one.
        with raises_aws("NoSuchEntity", no_credential(cred_id), 404):
            call(other, cred_id)
    # The control: the owner still holds it, untouched.
    [held] = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
    assert (held["ServiceSpecificCredentialId"], held["Status"]) == (cred_id, "Active")


def test_an_id_outside_the_pattern_and_a_bad_status_are_validation_errors(server, iam):
    """Recorded: test_user_match_id_mismatch[totally-wrong-credential-id-with-hyphens] (update-,
    reset-, delete-wrong-id) and test_invalid_update_parameters (update-invalid-status)."""
    name = unique("ssc")
    iam.create_user(UserName=name)
    bad = "totally-wrong-credential-id-with-hyphens"
    text = (
        "1 validation error detected: Value at 'serviceSpecificCredentialId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w]+"
    )
    with raises_aws("ValidationError", text, 400):
        iam.update_service_specific_credential(UserName=name, ServiceSpecificCredentialId=bad, Status="Inactive")
    with raises_aws("ValidationError", text, 400):
        iam.reset_service_specific_credential(UserName=name, ServiceSpecificCredentialId=bad)
    with raises_aws("ValidationError", text, 400):
        iam.delete_service_specific_credential(UserName=name, ServiceSpecificCredentialId=bad)

    cred_id = create(iam, name)["ServiceSpecificCredentialId"]
    status_text = "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set"
    params = {
        "Action": "UpdateServiceSpecificCredential", "Version": "2010-05-08",
        "UserName": name, "ServiceSpecificCredentialId": cred_id,
    }
    # botocore does not check enums, but a raw request shows the answer as AWS words it.
    r = signed_call(server.url, "iam", dict(params, Status="Invalid"))
    assert r.status == 400 and r.error()[0] == "ValidationError" and r.error()[1] == status_text
    # Expired is in the model's statusType but not a status one may set here.
    with raises_aws("ValidationError", status_text, 400):
        iam.update_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id, Status="Expired")
    # The control: the credential is still Active, and Inactive is accepted.
    [held] = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
    assert held["Status"] == "Active"
    iam.update_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id, Status="Inactive")


def test_two_per_user_per_service(iam):
    name = unique("ssc")
    iam.create_user(UserName=name)
    ids = [create(iam, name)["ServiceSpecificCredentialId"] for _ in range(2)]
    with raises_aws("LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2", 409):
        create(iam, name)
    # The limit is per service: Keyspaces still has room.
    create(iam, name, KEYSPACES)
    # The control: after a delete CodeCommit has room again.
    iam.delete_service_specific_credential(UserName=name, ServiceSpecificCredentialId=ids[0])
    create(iam, name)
    listed = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == sorted(c["ServiceSpecificCredentialId"] for c in listed)
    assert len(listed) == 3


def test_delete_user_is_refused_while_it_holds_credentials(iam):
    """Recorded: test_delete_user_after_service_credential_created."""
    name = unique("ssc")
    iam.create_user(UserName=name)
    cred_id = create(iam, name)["ServiceSpecificCredentialId"]
    with raises_aws("DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409):
        iam.delete_user(UserName=name)
    # The control: without the credential the user goes.
    iam.delete_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id)
    iam.delete_user(UserName=name)


def test_a_renamed_user_keeps_its_credentials_and_their_service_user_name(iam):
    """AWS does not say whether ServiceUserName follows a rename; warden keeps the name the
    credential was created with (the service's clients log in with it)."""
    name, new = unique("ssc"), unique("ssc")
    iam.create_user(UserName=name)
    cred = create(iam, name)
    iam.update_user(UserName=name, NewUserName=new)
    [held] = iam.list_service_specific_credentials(UserName=new)["ServiceSpecificCredentials"]
    assert (held["ServiceSpecificCredentialId"], held["UserName"], held["ServiceUserName"]) == (
        cred["ServiceSpecificCredentialId"], new, f"{name}-at-{ACCOUNT_ID}",
    )


def test_the_password_authenticates_no_warden_call(server, iam):
    """The service password signs nothing: not with the credential id, not with the service user
    name, not as the secret of the user's own access key."""
    user, creds = create_user_with_key(iam)
    grant(iam, user["UserName"], ["iam:ListServiceSpecificCredentials", "sts:GetCallerIdentity"], "*")
    cred = create(iam, user["UserName"])
    password = cred["ServicePassword"]
    params = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    for key_id in (cred["ServiceSpecificCredentialId"], cred["ServiceUserName"]):
        r = signed_call(server.url, "sts", params, Creds(key_id, password))
        assert r.status == 403, r.body
        assert r.error()[0] == "InvalidClientTokenId"
    r = signed_call(server.url, "sts", params, Creds(creds.access_key_id, password))
    assert (r.status, r.error()[0]) == (403, "SignatureDoesNotMatch")
    with raises_aws("SignatureDoesNotMatch", status=403):
        make_client("iam", server.url, Creds(creds.access_key_id, password)).list_service_specific_credentials()
    # The control: the user's real key works, for the same calls.
    assert signed_call(server.url, "sts", params, creds).status == 200
    own = make_client("iam", server.url, creds).list_service_specific_credentials()["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in own] == [cred["ServiceSpecificCredentialId"]]


def test_the_password_is_sealed_at_rest_and_never_logged(server, iam):
    name = unique("ssc")
    iam.create_user(UserName=name)
    cred = create(iam, name)
    reset = iam.reset_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"])
    passwords = [cred["ServicePassword"], reset["ServiceSpecificCredential"]["ServicePassword"]]
    for p in server.data_dir.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for pw in passwords:
                assert pw.encode() not in data, f"plaintext service password in {p}"
    logs = server.stdout_text() + server.stderr_text()
    assert all(pw not in logs for pw in passwords)


ACTIONS = {
    "iam:CreateServiceSpecificCredential": lambda c, u, i: c.create_service_specific_credential(UserName=u, ServiceName=KEYSPACES),
    "iam:ListServiceSpecificCredentials": lambda c, u, i: c.list_service_specific_credentials(UserName=u),
    "iam:ResetServiceSpecificCredential": lambda c, u, i: c.reset_service_specific_credential(UserName=u, ServiceSpecificCredentialId=i),
    "iam:UpdateServiceSpecificCredential": lambda c, u, i: c.update_service_specific_credential(
        UserName=u, ServiceSpecificCredentialId=i, Status="Inactive"
    ),
    "iam:DeleteServiceSpecificCredential": lambda c, u, i: c.delete_service_specific_credential(UserName=u, ServiceSpecificCredentialId=i),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_operation_is_denied_without_its_action_and_allowed_with_it(server, iam, action):
    caller, creds = create_user_with_key(iam)
    target = unique("ssc")
    target_arn = iam.create_user(UserName=target)["User"]["Arn"]
    cred_id = create(iam, target)["ServiceSpecificCredentialId"]
    client = make_client("iam", server.url, creds)
    call = ACTIONS[action]
    with raises_aws(
        "AccessDenied", status=403, message_in=access_denied_messages(caller["Arn"], action, *user_resource_forms(target_arn))
    ):
        call(client, target, cred_id)
    # Granted on another user's ARN only: still denied.
    grant(iam, caller["UserName"], [action], f"arn:aws:iam::{ACCOUNT_ID}:user/someone-else")
    with raises_aws("AccessDenied", status=403):
        call(client, target, cred_id)
    # The control: granted on the target user.
    grant(iam, caller["UserName"], [action], target_arn)
    call(client, target, cred_id)


def test_create_is_decided_on_the_service_name_condition(server, iam):
    """iam:ServiceSpecificCredentialServiceName (the Service Authorization Reference's key)."""
    caller, creds = create_user_with_key(iam)
    target = unique("ssc")
    iam.create_user(UserName=target)
    doc = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Action": "iam:CreateServiceSpecificCredential", "Resource": "*",
            "Condition": {"StringEquals": {"iam:ServiceSpecificCredentialServiceName": KEYSPACES}},
        }],
    }
    iam.put_user_policy(UserName=caller["UserName"], PolicyName="keyspaces-only", PolicyDocument=json.dumps(doc))
    client = make_client("iam", server.url, creds)
    with raises_aws("AccessDenied", status=403):
        client.create_service_specific_credential(UserName=target, ServiceName=CODECOMMIT)
    # The control: the service the condition names.
    client.create_service_specific_credential(UserName=target, ServiceName=KEYSPACES)


def test_all_users_is_refused(iam):
    name = unique("ssc")
    iam.create_user(UserName=name)
    with raises_aws("InvalidInput", status=400):
        iam.list_service_specific_credentials(AllUsers=True, ServiceName=CODECOMMIT)


def test_create_and_list_with_the_aws_cli(iam, aws):
    name = unique("ssc")
    iam.create_user(UserName=name)
    rc, out, err = aws("iam", "create-service-specific-credential", "--user-name", name, "--service-name", CODECOMMIT)
    assert rc == 0, err
    cred = out["ServiceSpecificCredential"]
    assert cred["ServiceUserName"] == f"{name}-at-{ACCOUNT_ID}" and cred["Status"] == "Active"
    assert len(cred["ServicePassword"]) == 60

    rc, out, err = aws("iam", "list-service-specific-credentials", "--user-name", name)
    assert rc == 0, err
    assert [c["ServiceSpecificCredentialId"] for c in out["ServiceSpecificCredentials"]] == [cred["ServiceSpecificCredentialId"]]

    res = aws("iam", "create-service-specific-credential", "--user-name", name, "--service-name", "lambda.amazonaws.com")
    assert_cli_error(res, "NoSuchEntity", "CreateServiceSpecificCredential", unsupported("lambda.amazonaws.com"))


def test_credentials_survive_a_restart_and_stay_sealed(warden_factory):
    w = warden_factory()
    iam = make_client("iam", w.url)
    name = unique("ssc")
    iam.create_user(UserName=name)
    cred = create(iam, name)
    w.restart()
    iam = make_client("iam", w.url)
    [held] = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
    assert held == {k: v for k, v in cred.items() if k != "ServicePassword"}
    # Reset still works on the reloaded record, and DeleteUser still sees it.
    iam.reset_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"])
    with raises_aws("DeleteConflict", status=409):
        iam.delete_user(UserName=name)


def test_a_deny_on_the_service_name_applies_to_delete(server, iam):
    caller, creds = create_user_with_key(iam)
    target = unique("ssc")
    iam.create_user(UserName=target)
    cred_id = create(iam, target)["ServiceSpecificCredentialId"]
    iam.put_user_policy(
        UserName=caller["UserName"],
        PolicyName="no-codecommit-deletes",
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "iam:*ServiceSpecificCredential*", "Resource": "*"},
                {
                    "Effect": "Deny", "Action": "iam:DeleteServiceSpecificCredential", "Resource": "*",
                    "Condition": {"StringEquals": {"iam:ServiceSpecificCredentialServiceName": CODECOMMIT}},
                },
            ],
        }),
    )
    client = make_client("iam", server.url, creds)
    with raises_aws("AccessDenied", status=403):
        client.delete_service_specific_credential(UserName=target, ServiceSpecificCredentialId=cred_id)
    # Control: the same caller may delete a credential of another service, which the Deny does not name.
    other = create(iam, target, KEYSPACES)["ServiceSpecificCredentialId"]
    client.delete_service_specific_credential(UserName=target, ServiceSpecificCredentialId=other)
    listed = iam.list_service_specific_credentials(UserName=target)["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [cred_id]
