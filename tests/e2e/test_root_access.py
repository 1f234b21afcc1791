"""Centralized root access for member accounts: IAM's ListOrganizationsFeatures and
Enable/Disable OrganizationsRootCredentialsManagement / OrganizationsRootSessions, and STS AssumeRoot,
end to end with boto3 and the aws CLI.

Sources (AWS, not warden):
* IAM API reference (botocore 1.44.8's model): the operations, their exceptions and their
  descriptions (OrganizationNotFoundException, OrganizationNotInAllFeaturesModeException,
  CallerIsNotManagementAccountException for Enable*, AccountNotManagementOrDelegatedAdministratorException
  for List/Disable*); the answers carry OrganizationId and EnabledFeatures.
* STS API reference, AssumeRoot: management account (or IAM's delegated administrator) credentials, not
  root user credentials; TargetPrincipal is the member's account id or root ARN; TaskPolicyArn one of the
  `root-task` AWS managed policies; DurationSeconds up to 900, the default; SCPs still limit the session.
* The root-task policies themselves (AWS managed policies shipped with warden) only deny: everything but
  their task, and their task on anything but the root user.
No recording of these operations' error texts exists in LocalStack's or moto's suites (neither serves
them); the texts asserted are the model's exception descriptions, or warden's own where marked.
"""

from __future__ import annotations

import json

import pytest

from e2e_util import (
    ROOT,
    Creds,
    allow,
    create_user_with_key,
    creds_of,
    deny,
    make_client,
    member_session,
    new_organization,
    policy_doc,
    raises_aws,
    run_aws,
    unique,
)

AUDIT = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
CREATE_PASSWORD = "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword"
NOT_MANAGEMENT_OR_DELEGATED = (
    "The request was rejected because the account making the request is not the management account or "
    "delegated administrator account for centralized root access."
)


@pytest.fixture(scope="module")
def world(server):
    w = new_organization(server)
    # Centralized root access needs trusted access for IAM (IAM User Guide, id_root-enable-root-access).
    w["orgs"].enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    return w


def second_member(server, world) -> str:
    orgs = world["orgs"]
    st = orgs.create_account(Email=f"{unique('m2')}@example.com", AccountName="Second")["CreateAccountStatus"]
    while st["State"] == "IN_PROGRESS":
        st = orgs.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
    assert st["State"] == "SUCCEEDED", st
    return st["AccountId"]


def admin_iam(server, world):
    return make_client("iam", server.url, world["admin_creds"])


def assume_root(server, creds: Creds, target: str, task: str = AUDIT, **kw):
    return make_client("sts", server.url, creds).assume_root(
        TargetPrincipal=target, TaskPolicyArn={"arn": task}, **kw
    )


def test_features_are_listed_enabled_and_disabled_by_the_management_account(server, world):
    iam = admin_iam(server, world)
    org_id = world["org"]["Id"]
    got = iam.list_organizations_features()
    assert (got["OrganizationId"], got["EnabledFeatures"]) == (org_id, [])
    got = iam.enable_organizations_root_sessions()
    assert (got["OrganizationId"], got["EnabledFeatures"]) == (org_id, ["RootSessions"])
    got = iam.enable_organizations_root_credentials_management()
    assert got["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    # Enabling again changes nothing.
    assert iam.enable_organizations_root_sessions()["EnabledFeatures"] == [
        "RootCredentialsManagement",
        "RootSessions",
    ]
    got = iam.disable_organizations_root_credentials_management()
    assert got["EnabledFeatures"] == ["RootSessions"]
    res = run_aws(server.url, "iam", "list-organizations-features", creds=world["admin_creds"])
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"OrganizationId": org_id, "EnabledFeatures": ["RootSessions"]}


def test_a_member_account_may_not_manage_the_features(server, world):
    creds, _ = member_session(server, world, "featmember")
    iam = make_client("iam", server.url, creds)
    with raises_aws(
        "CallerIsNotManagementAccountException",
        "The request was rejected because the account making the request is not the management account "
        "for the organization.",
        400,
    ):
        iam.enable_organizations_root_sessions()
    with raises_aws("AccountNotManagementOrDelegatedAdministratorException", NOT_MANAGEMENT_OR_DELEGATED, 400):
        iam.list_organizations_features()
    with raises_aws("AccountNotManagementOrDelegatedAdministratorException", NOT_MANAGEMENT_OR_DELEGATED, 400):
        iam.disable_organizations_root_sessions()


def test_features_need_trusted_access_for_iam(warden_factory):
    w = warden_factory()
    world = new_organization(w)
    iam = make_client("iam", w.url, world["admin_creds"])
    message = "The request was rejected because trusted access is not enabled for IAM in Organizations."
    with raises_aws("ServiceAccessNotEnabledException", message, 400):
        iam.enable_organizations_root_sessions()
    with raises_aws("ServiceAccessNotEnabledException", message, 400):
        iam.list_organizations_features()
    # Control: with trusted access enabled, the same calls answer.
    world["orgs"].enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    assert iam.enable_organizations_root_sessions()["EnabledFeatures"] == ["RootSessions"]


def test_iams_delegated_administrator_may_list_disable_and_assume_root(server, world):
    admin_iam(server, world).enable_organizations_root_sessions()
    member, orgs = world["member"], world["orgs"]
    other = second_member(server, world)
    creds, _ = member_session(server, world, "delegated")
    iam = make_client("iam", server.url, creds)
    with raises_aws("AccountNotManagementOrDelegatedAdministratorException", NOT_MANAGEMENT_OR_DELEGATED, 400):
        iam.list_organizations_features()
    with raises_aws("AccessDenied", status=403):
        assume_root(server, creds, other)
    orgs.register_delegated_administrator(AccountId=member, ServicePrincipal="iam.amazonaws.com")
    try:
        assert "RootSessions" in iam.list_organizations_features()["EnabledFeatures"]
        out = assume_root(server, creds, other)
        assert make_client("sts", server.url, creds_of(out)).get_caller_identity()["Arn"] == f"arn:aws:iam::{other}:root"
        # Enabling stays the management account's.
        with raises_aws("CallerIsNotManagementAccountException", status=400):
            iam.enable_organizations_root_credentials_management()
    finally:
        orgs.deregister_delegated_administrator(AccountId=member, ServicePrincipal="iam.amazonaws.com")
    with raises_aws("AccountNotManagementOrDelegatedAdministratorException", status=400):
        iam.list_organizations_features()


def test_features_need_an_organization_with_all_features(warden_factory):
    w = warden_factory()
    iam = w.client("iam")
    with raises_aws(
        "OrganizationNotFoundException",
        "The request was rejected because no organization is associated with your account.",
        400,
    ):
        iam.list_organizations_features()
    w.client("organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")
    with raises_aws(
        "OrganizationNotInAllFeaturesModeException",
        "The request was rejected because your organization does not have All features enabled.",
        400,
    ):
        iam.enable_organizations_root_sessions()


def test_assume_root_opens_a_task_session_on_the_member_root(server, world):
    admin_iam(server, world).enable_organizations_root_sessions()
    member = world["member"]
    out = assume_root(server, world["admin_creds"], member, DurationSeconds=300)
    session = creds_of(out)
    assert session.access_key_id.startswith("ASIA")
    me = make_client("sts", server.url, session).get_caller_identity()
    assert (me["Account"], me["Arn"], me["UserId"]) == (member, f"arn:aws:iam::{member}:root", member)
    iam = make_client("iam", server.url, session)
    # The audit task: the root user's credentials may be read...
    assert iam.list_access_keys()["AccessKeyMetadata"] == []
    assert iam.get_account_summary()["SummaryMap"]
    # ...and nothing else done, though the root user could.
    name = unique("nope")
    with raises_aws(
        "AccessDenied",
        f"User: arn:aws:iam::{member}:root is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{member}:user/{name} with an explicit deny in a session policy",
        403,
    ):
        iam.create_user(UserName=name)
    # The task is the task policy's: another task policy, another allowance.
    other = make_client("iam", server.url, creds_of(assume_root(server, world["admin_creds"], member, CREATE_PASSWORD)))
    with raises_aws("AccessDenied", status=403):
        other.list_access_keys()
    # TargetPrincipal may be the root user's ARN.
    arn_form = assume_root(server, world["admin_creds"], f"arn:aws:iam::{member}:root")
    assert make_client("sts", server.url, creds_of(arn_form)).get_caller_identity()["Account"] == member


def test_assume_root_refusals(server, world):
    admin_iam(server, world).enable_organizations_root_sessions()
    member = world["member"]
    with raises_aws("ValidationError", status=400, message_prefix="TaskPolicyArn arn:aws:iam::aws:policy/ReadOnlyAccess"):
        assume_root(server, world["admin_creds"], member, "arn:aws:iam::aws:policy/ReadOnlyAccess")
    with raises_aws("AccessDenied", status=403, message_prefix="User: arn:aws:iam::"):
        assume_root(server, world["admin_creds"], world["org"]["MasterAccountId"])
    # Root user credentials may not call it (the root keys of the management account).
    with raises_aws("AccessDenied", "AssumeRoot cannot be called with root user credentials.", 403):
        assume_root(server, ROOT, member)
    # Nor a member account's principals.
    creds, _ = member_session(server, world, "rootmember")
    with raises_aws("AccessDenied", status=403):
        assume_root(server, creds, member)


def test_assume_root_needs_the_permission_and_its_task_condition(server, world):
    admin_iam(server, world).enable_organizations_root_sessions()
    member = world["member"]
    iam = server.client("iam")
    user, creds = create_user_with_key(iam, unique("rooter"))
    arn = user["Arn"]
    with raises_aws(
        "AccessDenied",
        f"User: {arn} is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::{member}:root "
        "because no identity-based policy allows the sts:AssumeRoot action",
        403,
    ):
        assume_root(server, creds, member)
    # Control: allowed the audit task only, on this member only.
    iam.put_user_policy(
        UserName=user["UserName"],
        PolicyName="root",
        PolicyDocument=policy_doc(
            allow(
                "sts:AssumeRoot",
                f"arn:aws:iam::{member}:root",
                Condition={"StringEquals": {"sts:TaskPolicyArn": AUDIT}},
            )
        ),
    )
    assume_root(server, creds, member)
    with raises_aws("AccessDenied", status=403, message_prefix=f"User: {arn} is not authorized to perform: sts:AssumeRoot"):
        assume_root(server, creds, member, CREATE_PASSWORD)


def test_scps_still_limit_a_root_task_session(server, world):
    admin_iam(server, world).enable_organizations_root_sessions()
    orgs, member = world["orgs"], world["member"]
    root_id = world["root"]["Id"]
    if not any(t["Type"] == "SERVICE_CONTROL_POLICY" and t["Status"] == "ENABLED" for t in world["root"].get("PolicyTypes", [])):
        try:
            orgs.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
        except orgs.exceptions.PolicyTypeAlreadyEnabledException:
            pass
    scp = orgs.create_policy(
        Name=unique("noaudit"),
        Description="no key listing",
        Type="SERVICE_CONTROL_POLICY",
        Content=policy_doc(allow("*"), deny("iam:ListAccessKeys")),
    )["Policy"]["PolicySummary"]["Id"]
    session = make_client("iam", server.url, creds_of(assume_root(server, world["admin_creds"], member)))
    session.list_access_keys()
    orgs.attach_policy(PolicyId=scp, TargetId=member)
    try:
        with raises_aws("AccessDenied", status=403) as e:
            session.list_access_keys()
        assert "service control policy" in e["message"], e["message"]
    finally:
        orgs.detach_policy(PolicyId=scp, TargetId=member)
    session.list_access_keys()


def test_disabling_root_sessions_stops_assume_root_and_the_features_survive_a_restart(warden_factory):
    w = warden_factory()
    world = new_organization(w)
    world["orgs"].enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    iam = make_client("iam", w.url, world["admin_creds"])
    iam.enable_organizations_root_sessions()
    iam.enable_organizations_root_credentials_management()
    w.stop()
    w.start()
    assert iam.list_organizations_features()["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    assume_root(w, world["admin_creds"], world["member"])
    iam.disable_organizations_root_sessions()
    with raises_aws("AccessDenied", status=403) as e:
        assume_root(w, world["admin_creds"], world["member"])
    assert "centralized root sessions are not enabled" in e["message"], e["message"]
