"""The audit trail: CloudTrail-format records of every IAM, STS, Organizations and authorization API
call, served by CloudTrail's LookupEvents (`aws cloudtrail lookup-events`), journaled in DATA_DIR/audit and
exported as CloudTrail log files.

Sources: the record shape, redaction rules and LookupEvents behaviour in
/work/shared/reference/cloudtrail-events.md (CloudTrail User Guide, IAM User Guide "Logging IAM
and AWS STS API calls with AWS CloudTrail", real records in DataDog/stratus-red-team
docs/detonation-logs); the LookupEvents request shape, limits (one attribute, MaxResults 1..50)
and error codes from botocore's cloudtrail-2013-11-01 model. AWS's LookupEvents error texts are
not recorded by moto (its lookup_events does not validate) nor in LocalStack's snapshots, so only
the codes and statuses are asserted.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import stat
import time
from pathlib import Path

import pytest

from e2e_util import (
    ACCOUNT_ID,
    ROOT,
    ROOT_ACCESS_KEY_ID,
    ROOT_ARN,
    Creds,
    create_user_with_key,
    grant,
    iam_user_identity,
    make_client,
    raises_aws,
    run_aws,
    two_consecutive_codes,
    unique,
    wait_until,
)

LOOKUP = ["cloudtrail", "lookup-events"]
TRUST_ACCOUNT = '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}'


def events_of(server, creds: Creds = ROOT, **kw) -> list[dict]:
    """Every event LookupEvents pages through for these parameters, newest first."""
    ct = make_client("cloudtrail", server.url, creds)
    out = []
    for page in ct.get_paginator("lookup_events").paginate(**kw):
        out.extend(page["Events"])
    return out


def by_name(server, name: str, creds: Creds = ROOT) -> list[dict]:
    return events_of(server, creds, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])


def record(event: dict) -> dict:
    return json.loads(event["CloudTrailEvent"])


def cli_events(server, *args: str, creds: Creds = ROOT) -> list[dict]:
    res = run_aws(server.url, *LOOKUP, *args, creds=creds)
    assert res.returncode == 0, res.stderr
    return res.json["Events"]


def test_the_cli_finds_a_create_user_an_access_denied_and_a_failed_signature_with_their_identities(server, iam):
    user, creds = create_user_with_key(iam, unique("actor"))
    target = unique("target")

    # A denied CreateUser, then a bad signature with the user's real key, then an unknown key.
    denied = run_aws(server.url, "iam", "create-user", "--user-name", target, creds=creds)
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr
    bad_sig = run_aws(server.url, "iam", "get-user", creds=Creds(creds.access_key_id, "not-the-secret"))
    assert "SignatureDoesNotMatch" in bad_sig.stderr
    unknown_key = "AKIA" + "Z" * 16
    run_aws(server.url, "iam", "get-user", creds=Creds(unknown_key, "whatever"))

    # The user's own CreateUser (by root) is found under EventName, with root's identity.
    created = [
        record(e)
        for e in cli_events(server, "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateUser")
    ]
    mine = [r for r in created if (r.get("requestParameters") or {}).get("userName") == user["UserName"]]
    assert len(mine) == 1, created
    rec = mine[0]
    assert rec["userIdentity"] == {
        "type": "Root",
        "principalId": ACCOUNT_ID,
        "arn": ROOT_ARN,
        "accountId": ACCOUNT_ID,
        "accessKeyId": ROOT_ACCESS_KEY_ID,
    }
    assert rec["eventSource"] == "iam.amazonaws.com" and rec["awsRegion"] == "us-east-1"
    assert rec["responseElements"]["user"]["arn"] == user["Arn"]
    assert rec["responseElements"]["user"]["userId"] == user["UserId"]
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M", rec["responseElements"]["user"]["createDate"])
    assert rec["readOnly"] is False and rec["managementEvent"] is True and rec["eventType"] == "AwsApiCall"
    assert rec["recipientAccountId"] == ACCOUNT_ID and "errorCode" not in rec
    assert rec["sourceIPAddress"] == "127.0.0.1" and rec["userAgent"].startswith("Boto3/")

    # The denial: the user's identity, AWS's error, no parameters and no answer.
    denial = [r for r in created if r.get("errorCode") == "AccessDenied" and r["userIdentity"].get("arn") == user["Arn"]]
    assert len(denial) == 1, created
    d = denial[0]
    assert d["userIdentity"] == iam_user_identity(user, creds.access_key_id)
    assert d["errorMessage"].startswith(f"User: {user['Arn']} is not authorized to perform: iam:CreateUser")
    assert d["requestParameters"] is None and d["responseElements"] is None

    # The failed signature: recorded against the key's owner, marked as an authentication failure.
    by_key = cli_events(server, "--lookup-attributes", f"AttributeKey=AccessKeyId,AttributeValue={creds.access_key_id}")
    sig = [record(e) for e in by_key if record(e).get("errorCode") == "SignatureDoesNotMatch"]
    assert len(sig) == 1, by_key
    assert sig[0]["eventName"] == "GetUser"
    assert sig[0]["userIdentity"]["arn"] == user["Arn"]
    assert sig[0]["userIdentity"]["type"] == "IAMUser"
    assert sig[0]["additionalEventData"] == {"authenticationFailure": True}
    assert sig[0]["requestParameters"] is None

    # A key nobody holds: an Unknown identity in the default account's trail.
    unknown = [record(e) for e in cli_events(server, "--lookup-attributes", f"AttributeKey=AccessKeyId,AttributeValue={unknown_key}")]
    assert len(unknown) == 1
    assert unknown[0]["userIdentity"] == {"type": "Unknown", "accountId": ACCOUNT_ID, "accessKeyId": unknown_key}
    assert unknown[0]["errorCode"] == "InvalidClientTokenId"

    # The request log line names the operation, the caller, the error code and the latency.
    logs = server.all_logs_bytes().decode()
    line = next(l for l in logs.splitlines() if f'caller="{user["Arn"]}"' in l and 'action="CreateUser"' in l)
    assert 'error="AccessDenied"' in line and "status=403" in line and "latency_us=" in line


def test_role_sessions_are_recorded_with_their_session_issuer(server, iam):
    user, creds = create_user_with_key(iam, unique("assumer"))
    grant(iam, user["UserName"], ["sts:AssumeRole"])
    role = iam.create_role(RoleName=unique("audited"), AssumeRolePolicyDocument=TRUST_ACCOUNT.format(account=ACCOUNT_ID))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}]}))
    session = wait_until(lambda: _try_assume(server, creds, role["Arn"]), timeout=10)
    assert session
    c = session["Credentials"]
    make_client("iam", server.url, Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])).get_role(RoleName=role["RoleName"])

    assumed = [record(e) for e in by_name(server, "AssumeRole") if record(e)["userIdentity"].get("arn") == user["Arn"]]
    ok = [r for r in assumed if "errorCode" not in r]
    assert ok, assumed
    a = ok[0]
    assert a["eventSource"] == "sts.amazonaws.com" and a["readOnly"] is True
    assert a["requestParameters"]["roleArn"] == role["Arn"]
    assert a["responseElements"]["credentials"]["accessKeyId"] == c["AccessKeyId"]
    assert a["responseElements"]["credentials"]["sessionToken"] == ""
    assert "secretAccessKey" not in a["responseElements"]["credentials"]
    assert a["resources"] == [{"accountId": ACCOUNT_ID, "type": "AWS::IAM::Role", "ARN": role["Arn"]}]

    got = [record(e) for e in events_of(server, LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": c["AccessKeyId"]}])]
    assert [r["eventName"] for r in got] == ["GetRole"]
    ident = got[0]["userIdentity"]
    assert ident["type"] == "AssumedRole"
    assert ident["arn"] == session["AssumedRoleUser"]["Arn"]
    assert ident["principalId"] == session["AssumedRoleUser"]["AssumedRoleId"]
    assert ident["sessionContext"]["sessionIssuer"] == {
        "type": "Role",
        "principalId": role["RoleId"],
        "arn": role["Arn"],
        "accountId": ACCOUNT_ID,
        "userName": role["RoleName"],
    }
    assert ident["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ident["sessionContext"]["attributes"]["creationDate"])
    # LookupEvents' Username for a role session is the session name.
    session_name = session["AssumedRoleUser"]["Arn"].rsplit("/", 1)[1]
    assert any(e["EventName"] == "GetRole" for e in events_of(
        server, LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": session_name}]))


def _try_assume(server, creds, role_arn):
    try:
        return make_client("sts", server.url, creds).assume_role(RoleArn=role_arn, RoleSessionName=unique("s"))
    except Exception:  # noqa: BLE001 - a new policy may take a moment to be visible; retried
        return None


def test_lookup_events_is_denied_without_permission_and_allowed_with_it(server, iam):
    user, creds = create_user_with_key(iam, unique("reader"))
    ct = make_client("cloudtrail", server.url, creds)
    with raises_aws("AccessDeniedException", status=400, message_prefix=f"User: {user['Arn']} is not authorized to perform: cloudtrail:LookupEvents") as err:
        ct.lookup_events(MaxResults=1)
    # Control: the same call with the permission.
    grant(iam, user["UserName"], ["cloudtrail:LookupEvents"])
    assert "Events" in ct.lookup_events(MaxResults=1)
    # The refusal itself is in the trail, for root to see.
    refused = [record(e) for e in by_name(server, "LookupEvents") if record(e)["userIdentity"].get("arn") == user["Arn"]]
    assert [r.get("errorCode") for r in refused] == [None, "AccessDeniedException"], refused
    assert refused[0]["eventSource"] == "cloudtrail.amazonaws.com"
    assert err["code"] == "AccessDeniedException"


def test_pagination_attribute_filters_time_range_and_validation(server, iam):
    user, creds = create_user_with_key(iam, unique("pager"))
    grant(iam, user["UserName"], ["iam:GetUser", "sts:GetCallerIdentity"])
    me = make_client("iam", server.url, creds)
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=2)
    wait_until(lambda: _try(lambda: me.get_user()), timeout=10)
    for _ in range(6):
        me.get_user()
    make_client("sts", server.url, creds).get_caller_identity()
    after = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)

    key_filter = [{"AttributeKey": "AccessKeyId", "AttributeValue": creds.access_key_id}]
    ct = make_client("cloudtrail", server.url, ROOT)
    pages = list(ct.get_paginator("lookup_events").paginate(LookupAttributes=key_filter, PaginationConfig={"PageSize": 3}))
    sizes = [len(p["Events"]) for p in pages]
    events = [e for p in pages for e in p["Events"]]
    total = len(events)
    assert total >= 7 and all(s <= 3 for s in sizes) and sizes[0] == 3
    assert len({e["EventId"] for e in events}) == total  # no event twice
    times = [e["EventTime"] for e in events]
    assert times == sorted(times, reverse=True)  # newest first
    assert events[0]["EventName"] == "GetCallerIdentity" and events[0]["EventSource"] == "sts.amazonaws.com"
    assert all(e["AccessKeyId"] == creds.access_key_id and e.get("Username") == user["UserName"] for e in events), events

    def count(key: str, value: str, **kw) -> list[dict]:
        return events_of(server, LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **kw)

    assert len(count("Username", user["UserName"], StartTime=before, EndTime=after)) == total
    from_sts = count("EventSource", "sts.amazonaws.com")
    assert all(e["EventSource"] == "sts.amazonaws.com" for e in from_sts)
    assert events[0]["EventId"] in {e["EventId"] for e in from_sts}
    assert not any(e["EventName"] == "GetUser" for e in from_sts)
    assert all(e["ReadOnly"] == "true" for e in count("ReadOnly", "true"))
    assert all(e["ReadOnly"] == "false" for e in count("ReadOnly", "false"))
    one = count("EventId", events[3]["EventId"])
    assert [e["EventId"] for e in one] == [events[3]["EventId"]]
    created = count("ResourceName", user["UserName"])
    assert {"CreateUser", "CreateAccessKey"} <= {e["EventName"] for e in created}
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": user["UserName"]} in next(
        e for e in created if e["EventName"] == "CreateUser")["Resources"]
    assert any(e["EventName"] == "CreateUser" for e in count("ResourceType", "AWS::IAM::User"))
    # A window that ended before the calls holds none of them.
    assert count("Username", user["UserName"], EndTime=before) == []

    # Validation (codes from botocore's model; HTTP 400).
    with raises_aws("InvalidLookupAttributesException", status=400):
        ct.lookup_events(LookupAttributes=key_filter * 2)
    with raises_aws("InvalidLookupAttributesException", status=400):
        ct.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "maybe"}])
    with raises_aws("InvalidTimeRangeException", status=400):
        ct.lookup_events(StartTime=after, EndTime=before)
    with raises_aws("InvalidMaxResultsException", status=400):
        ct.lookup_events(MaxResults=51)
    first = ct.lookup_events(LookupAttributes=key_filter, MaxResults=2)
    with raises_aws("InvalidNextTokenException", status=400):
        ct.lookup_events(NextToken=first["NextToken"], MaxResults=2)  # other parameters than its page's
    with raises_aws("InvalidNextTokenException", status=400):
        ct.lookup_events(LookupAttributes=key_filter, NextToken="not-a-token")
    # The token is bound to the account: another account's caller cannot replay it.
    nxt = ct.lookup_events(LookupAttributes=key_filter, MaxResults=2, NextToken=first["NextToken"])
    assert [e["EventId"] for e in nxt["Events"]] == [e["EventId"] for e in events[2:4]]


def _try(fn):
    try:
        fn()
        return True
    except Exception:  # noqa: BLE001 - retried until a fresh policy applies
        return False


def test_no_secret_reaches_the_journal_the_lookup_answers_or_the_logs(server, iam):
    name = unique("secretive")
    user, creds = create_user_with_key(iam, name)
    password = "Aud1t-Pa55word-" + unique("p")
    new_password = "Aud1t-N3wPa55-" + unique("p")
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=False)
    iam.update_login_profile(UserName=name, Password=new_password)
    grant(iam, name, ["iam:ChangePassword", "sts:*", "iam:GetUser"])
    assert wait_until(lambda: _try(lambda: make_client("iam", server.url, creds).get_user()), timeout=10)
    final_password = "Aud1t-F1nalPa55-" + unique("p")
    make_client("iam", server.url, creds).change_password(OldPassword=new_password, NewPassword=final_password)

    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode() if isinstance(device["Base32StringSeed"], bytes) else device["Base32StringSeed"]
    code1, code2 = two_consecutive_codes(seed)
    iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"], AuthenticationCode1=code1, AuthenticationCode2=code2)

    sts = make_client("sts", server.url, creds)
    token = sts.get_session_token(DurationSeconds=900)["Credentials"]
    fed = sts.get_federation_token(Name="fed", DurationSeconds=900)["Credentials"]
    role = iam.create_role(RoleName=unique("sr"), AssumeRolePolicyDocument=TRUST_ACCOUNT.format(account=ACCOUNT_ID))["Role"]
    assumed = wait_until(lambda: _try_assume(server, creds, role["Arn"]), timeout=10)["Credentials"]
    # A call made with the session: its token authenticates, and must not be recorded either.
    make_client("sts", server.url, Creds(assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"])).get_caller_identity()

    secrets = {
        "user secret key": creds.secret_access_key,
        "password": password,
        "updated password": new_password,
        "changed password": final_password,
        "mfa seed": seed,
        "session token secret": token["SecretAccessKey"],
        "session token": token["SessionToken"],
        "federation secret": fed["SecretAccessKey"],
        "federation token": fed["SessionToken"],
        "role secret": assumed["SecretAccessKey"],
        "role token": assumed["SessionToken"],
    }
    codes = {"mfa code 1": f'"{code1}"', "mfa code 2": f'"{code2}"'}

    # Positive controls: the calls are in the trail, with what is not secret.
    journal_dir = server.data_dir / "audit"
    last_key = assumed["AccessKeyId"]

    def journal() -> str:
        return "".join(p.read_text() for p in sorted(journal_dir.glob("trail-*.jsonl")))

    assert wait_until(lambda: last_key in journal(), timeout=5), "the journal never got the last record"
    everything = json.dumps(events_of(server), default=str)
    for text, where in [(journal(), "journal"), (everything, "LookupEvents"), (server.all_logs_bytes().decode(), "logs")]:
        for label, value in {**secrets, **codes}.items():
            assert value not in text, f"{label} found in the {where}"
    records = [json.loads(l) for l in journal().splitlines()]
    mine = {r["eventName"]: r for r in records if r["eventName"] in (
        "CreateLoginProfile", "UpdateLoginProfile", "ChangePassword", "EnableMFADevice", "CreateVirtualMFADevice",
        "GetSessionToken", "CreateAccessKey") and "errorCode" not in r}
    assert mine["CreateLoginProfile"]["requestParameters"] == {"userName": name, "passwordResetRequired": False}
    assert mine["UpdateLoginProfile"]["requestParameters"] == {"userName": name}
    assert mine["ChangePassword"]["requestParameters"] is None
    assert mine["EnableMFADevice"]["requestParameters"] == {"userName": name, "serialNumber": device["SerialNumber"]}
    assert "base32StringSeed" not in mine["CreateVirtualMFADevice"]["responseElements"]["virtualMFADevice"]
    assert mine["GetSessionToken"]["responseElements"]["credentials"]["accessKeyId"] == token["AccessKeyId"]
    assert mine["GetSessionToken"]["responseElements"]["credentials"]["sessionToken"] == ""
    journal_mode = stat.S_IMODE(next(journal_dir.glob("trail-*.jsonl")).stat().st_mode)
    assert journal_mode == 0o600 and stat.S_IMODE(journal_dir.stat().st_mode) == 0o700


def _authorize_or_none(authz, material, checks):
    from warden_authz import WardenError

    try:
        return authz.authorize(material, "s3", checks)
    except WardenError:
        return None


def test_authorization_api_calls_are_recorded_without_the_clients_signature_material(server, iam):
    # The authorization API's client-request helpers (signing an S3 request as boto3 does).
    from test_authorization_api import s3_request
    from warden_authz import WardenAuthz, WardenError

    service_user, service_creds = create_user_with_key(iam, unique("authzsvc"))
    grant(iam, service_user["UserName"], ["warden:Authorize"], resource="arn:aws:s3:::*")
    bare_user, bare_creds = create_user_with_key(iam, unique("authzbare"))
    client_user, client_creds = create_user_with_key(iam, unique("authzclient"))
    grant(iam, client_user["UserName"], ["sts:GetSessionToken"])
    sts = make_client("sts", server.url, client_creds)
    assert wait_until(lambda: _try(sts.get_session_token), timeout=10)
    session = sts.get_session_token()["Credentials"]
    material = s3_request(
        Creds(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]), "GET", "/photos/cat.jpg"
    )
    checks = [{"Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/cat.jpg", "ResourceAccount": ACCOUNT_ID}]

    # A service without warden:Authorize is denied; the granted one (the control) gets a verdict.
    bare = WardenAuthz(server.url, bare_creds.access_key_id, bare_creds.secret_access_key)
    with pytest.raises(WardenError) as denied:
        bare.authorize(material, "s3", checks)
    assert denied.value.code == "AccessDeniedException"
    service = WardenAuthz(server.url, service_creds.access_key_id, service_creds.secret_access_key)
    verdict = wait_until(lambda: _authorize_or_none(service, material, checks), timeout=10)
    assert verdict and verdict["Authenticated"] is True
    # A bad signature of the calling service is an authentication failure of the call.
    forged = WardenAuthz(server.url, service_creds.access_key_id, "not-the-secret")
    with pytest.raises(WardenError) as bad_sig:
        forged.authorize(material, "s3", checks)
    assert bad_sig.value.code == "SignatureDoesNotMatch"

    source = [{"AttributeKey": "EventSource", "AttributeValue": "warden.amazonaws.com"}]
    by_source = [record(e) for e in events_of(server, LookupAttributes=source)]
    assert by_source and all(r["eventSource"] == "warden.amazonaws.com" for r in by_source)
    by_user = [record(e) for e in events_of(server, LookupAttributes=[
        {"AttributeKey": "Username", "AttributeValue": service_user["UserName"]}])]
    # Newest first: the bad signature, then the allowed call (retries before it may have been denied).
    assert by_user[0]["errorCode"] == "SignatureDoesNotMatch"
    assert by_user[0]["additionalEventData"]["authenticationFailure"] is True
    allowed = next(r for r in by_user if "errorCode" not in r)
    assert allowed["eventName"] == "Authorize" and allowed["eventSource"] == "warden.amazonaws.com"
    assert allowed["userIdentity"]["arn"] == service_user["Arn"]
    assert allowed["readOnly"] is True and allowed["responseElements"] is None
    assert allowed["awsRegion"] == "us-east-1" and allowed["recipientAccountId"] == ACCOUNT_ID
    # Only the allow-listed members: the client's request material is not among them.
    assert allowed["requestParameters"] == {
        "signingService": "s3",
        "checks": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::photos/cat.jpg", "resourceAccount": ACCOUNT_ID}],
    }
    refused = [record(e) for e in by_name(server, "Authorize") if record(e)["userIdentity"].get("arn") == bare_user["Arn"]]
    assert [(r["errorCode"], r["requestParameters"]) for r in refused] == [("AccessDeniedException", None)]

    journal_dir = server.data_dir / "audit"
    journal = "".join(p.read_text() for p in sorted(journal_dir.glob("trail-*.jsonl")))
    assert allowed["eventID"] in journal  # the control: the record is in the journal
    signature = next(h["Value"] for h in material["Headers"] if h["Name"].lower() == "authorization").split("Signature=")[1]
    for label, secret in [
        ("session token", session["SessionToken"]),
        ("session secret", session["SecretAccessKey"]),
        ("client signature", signature),
        ("service secret", service_creds.secret_access_key),
    ]:
        assert secret not in journal, f"{label} found in the journal"
        assert secret not in json.dumps(by_source), f"{label} found in LookupEvents"


def test_events_survive_a_clean_restart(warden_factory):
    w = warden_factory()
    iam = w.client("iam")
    name = unique("durable")
    iam.create_user(UserName=name)
    before = [e for e in by_name(w, "CreateUser")]
    assert len(before) == 1
    w.restart()
    after = by_name(w, "CreateUser")
    assert [e["EventId"] for e in after] == [before[0]["EventId"]]
    assert after[0]["CloudTrailEvent"] == before[0]["CloudTrailEvent"]
    # New records still go on, and both generations are served together, newest first.
    iam.create_user(UserName=name + "-2")
    names = [record(e)["requestParameters"]["userName"] for e in by_name(w, "CreateUser")]
    assert names == [name + "-2", name]
    assert len(list((w.data_dir / "audit").glob("trail-*.jsonl"))) == 2


def test_a_member_account_sees_its_own_events_and_the_management_account_sees_members(warden_factory):
    w = warden_factory()
    # Root may not assume roles: an admin user of the management account runs the organization.
    admin, admin_creds = create_user_with_key(w.client("iam"), unique("org-admin"))
    grant(w.client("iam"), admin["UserName"], ["*"])
    orgs = make_client("organizations", w.url, admin_creds)
    orgs.create_organization(FeatureSet="ALL")
    started = orgs.create_account(Email=f"{unique('m')}@example.com", AccountName="Audited")["CreateAccountStatus"]
    member = wait_until(lambda: _account_id(orgs, started["Id"]), timeout=15)
    assert member
    sts = make_client("sts", w.url, admin_creds)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="admin")["Credentials"]
    member_creds = Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    member_user = unique("member-user")
    make_client("iam", w.url, member_creds).create_user(UserName=member_user)
    mgmt_user = unique("mgmt-user")
    w.client("iam").create_user(UserName=mgmt_user)

    seen_by_member = [record(e) for e in events_of(w, member_creds)]
    assert {r["recipientAccountId"] for r in seen_by_member} == {member}
    assert any(r["eventName"] == "CreateUser" and r["requestParameters"]["userName"] == member_user for r in seen_by_member)
    assert not any(r["eventName"] == "CreateOrganization" for r in seen_by_member)

    seen_by_mgmt = [record(e) for e in events_of(w)]
    users = {(r["recipientAccountId"], r["requestParameters"]["userName"]) for r in seen_by_mgmt
             if r["eventName"] == "CreateUser" and r.get("requestParameters")}
    assert {(member, member_user), (ACCOUNT_ID, mgmt_user)} <= users
    assert any(r["eventName"] == "CreateOrganization" for r in seen_by_mgmt)

    # The cross-account AssumeRole is in both accounts' trails (reference cloudtrail-events.md §1.6):
    # the role's account sees the caller as another account's principal; the copies share the
    # request id and a sharedEventID.
    role_arn = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    theirs = [r for r in seen_by_member if r["eventName"] == "AssumeRole"]
    assert len(theirs) == 1, theirs
    assert theirs[0]["userIdentity"] == {"type": "AWSAccount", "principalId": admin["UserId"], "accountId": ACCOUNT_ID}
    assert theirs[0]["recipientAccountId"] == member and "errorCode" not in theirs[0]
    assert theirs[0]["requestParameters"]["roleArn"] == role_arn
    assert theirs[0]["responseElements"]["credentials"]["accessKeyId"] == c["AccessKeyId"]
    assert c["SecretAccessKey"] not in json.dumps(theirs[0])
    mine = [r for r in seen_by_mgmt if r["eventName"] == "AssumeRole" and r["recipientAccountId"] == ACCOUNT_ID]
    assert len(mine) == 1, mine
    assert mine[0]["userIdentity"]["arn"] == admin["Arn"]
    assert mine[0]["requestID"] == theirs[0]["requestID"] and mine[0]["eventID"] != theirs[0]["eventID"]
    assert mine[0]["sharedEventID"] == theirs[0]["sharedEventID"]
    # The management account sees its member's copy too; the member does not see the caller's.
    assert theirs[0]["eventID"] in {r["eventID"] for r in seen_by_mgmt}
    # A denied cross-account AssumeRole is in the caller's trail only; a same-account one has no copy.
    with raises_aws("AccessDenied", status=403):
        sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/NoSuchRole", RoleSessionName="denied")
    w.client("iam").create_role(RoleName="local", AssumeRolePolicyDocument=TRUST_ACCOUNT.format(account=ACCOUNT_ID))
    sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/local", RoleSessionName="local")
    calls = [record(e) for e in by_name(w, "AssumeRole")]
    assert [r["recipientAccountId"] for r in calls if r["requestParameters"] and r["requestParameters"]["roleSessionName"] == "local"] == [ACCOUNT_ID]
    assert all("sharedEventID" not in r for r in calls if r["requestParameters"] and r["requestParameters"]["roleSessionName"] == "local")
    refused = [r for r in calls if r.get("errorCode") == "AccessDenied"]
    assert [r["recipientAccountId"] for r in refused] == [ACCOUNT_ID], refused
    assert [r for r in by_name(w, "AssumeRole", member_creds) if r.get("errorCode")] == []


def _account_id(orgs, request_id):
    st = orgs.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
    return st.get("AccountId") if st["State"] == "SUCCEEDED" else None


def test_export_files_are_gzip_cloudtrail_logs_with_cloudtrails_naming(warden_factory, tmp_path):
    export = tmp_path / "siem"
    w = warden_factory(extra_env={"WARDEN_AUDIT_EXPORT_DIR": str(export), "WARDEN_AUDIT_EXPORT_SECS": "1"})
    name = unique("exported")
    w.client("iam").create_user(UserName=name)
    w.client("sts").get_caller_identity()
    pattern = re.compile(
        rf"AWSLogs/{ACCOUNT_ID}/CloudTrail/us-east-1/(\d{{4}})/(\d\d)/(\d\d)/"
        rf"{ACCOUNT_ID}_CloudTrail_us-east-1_(\d{{4}})(\d\d)(\d\d)T\d{{4}}Z_[A-Za-z0-9]{{16}}\.json\.gz"
    )

    def exported() -> list[dict]:
        out = []
        for p in export.rglob("*.json.gz"):
            rel = p.relative_to(export).as_posix()
            m = pattern.fullmatch(rel)
            assert m, rel
            assert m.group(1, 2, 3) == m.group(4, 5, 6)
            out.extend(json.loads(gzip.decompress(p.read_bytes()))["Records"])
        return out

    assert wait_until(lambda: any(r["eventName"] == "GetCallerIdentity" for r in exported()), timeout=10)
    records = exported()
    create = [r for r in records if r["eventName"] == "CreateUser"]
    assert create[0]["requestParameters"] == {"userName": name}
    # Nothing half-written is ever visible to a collector.
    assert not list(export.rglob("*.tmp"))
    # A clean stop exports what is still pending.
    w.client("iam").create_user(UserName=name + "-last")
    w.stop()
    assert any(r["eventName"] == "CreateUser" and r["requestParameters"]["userName"] == name + "-last" for r in exported())


def test_with_the_trail_off_lookup_events_says_so_and_nothing_is_journaled(warden_factory):
    w = warden_factory(extra_env={"WARDEN_AUDIT_TRAIL": "off"})
    w.client("iam").create_user(UserName=unique("quiet"))
    with raises_aws("OperationNotPermittedException", status=400):
        w.client("cloudtrail").lookup_events()
    assert not (w.data_dir / "audit").exists()
