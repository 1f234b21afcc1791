"""Dev mode as a drop-in for moto's server mode (issue 15, part 2).

The first tests are written the way suites for `moto_server` are: boto3 with moto's documented
dummy credentials (`testing`/`testing`, set as environment variables), an endpoint URL, a
reset between tests (`POST /moto-api/reset`), and a frozen clock. They create a role, assume it
with the dummy keys and use the session credentials, and run unchanged against
`warden serve --dev`. The clock is frozen the way freezegun freezes it for botocore: botocore
signs with `botocore.auth.get_current_datetime()`, which is patched here (freezegun is not
installed in the e2e environment).

The rest pins the security side (`docs/security-choices.md`, "Dev mode"): a key warden never
issued acts as the default root, which may assume roles and whose request time is not checked;
keys warden issued are verified as in normal mode, time included; normal mode is unaffected.
"""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import boto3
import botocore.auth
import pytest

from e2e_util import (
    ACCOUNT_ID,
    ROOT,
    ROOT_ARN,
    Creds,
    create_user_with_key,
    make_client,
    raises_aws,
    raw_request,
    signed_call,
    unique,
)

TRUST_ACCOUNT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
)
READ_ROLES = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}
)
TWO_HOURS = dt.timedelta(hours=2)


def frozen_clock(when: dt.datetime):
    """What freezegun's freeze_time does to botocore's signing time."""
    naive = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: naive)


@pytest.fixture(scope="module")
def moto_server(module_warden_factory):
    return module_warden_factory(dev=True)


@pytest.fixture
def aws_credentials(monkeypatch):
    """moto's documented fixture: dummy credentials in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def endpoint(moto_server, aws_credentials):
    r = raw_request(moto_server.url, "POST", "/moto-api/reset", b"", {})
    assert r.status == 200, r.body
    return moto_server.url


# ---------------------------------------------------------------------------------------------
# A moto-style suite, unchanged
# ---------------------------------------------------------------------------------------------


def test_create_role_assume_it_and_use_the_session(endpoint):
    iam = boto3.client("iam", endpoint_url=endpoint)
    sts = boto3.client("sts", endpoint_url=endpoint)
    role = iam.create_role(RoleName="my-role", AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    iam.put_role_policy(RoleName="my-role", PolicyName="read-roles", PolicyDocument=READ_ROLES)

    resp = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="my-session")
    creds = resp["Credentials"]
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/my-role/my-session"
    assert creds["AccessKeyId"].startswith("ASIA")

    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    ident = session.client("sts", endpoint_url=endpoint).get_caller_identity()
    assert ident["Arn"] == resp["AssumedRoleUser"]["Arn"]
    assert ident["Account"] == ACCOUNT_ID
    as_role = session.client("iam", endpoint_url=endpoint)
    assert [r["RoleName"] for r in as_role.list_roles()["Roles"]] == ["my-role"]
    # The session is the role's, verified and authorized as such: what the role's policy does
    # not allow is denied.
    with raises_aws("AccessDenied", status=403):
        as_role.create_user(UserName="not-allowed")


def test_the_suite_sees_only_what_it_made(endpoint):
    # After a reset the account is empty to the suite, as on moto.
    iam = boto3.client("iam", endpoint_url=endpoint)
    assert iam.list_users()["Users"] == []
    assert iam.list_roles()["Roles"] == []
    ident = boto3.client("sts", endpoint_url=endpoint).get_caller_identity()
    assert ident["Account"] == ACCOUNT_ID


def test_a_frozen_clock_is_fine_for_dummy_keys(endpoint):
    with frozen_clock(dt.datetime(2015, 1, 1, tzinfo=dt.timezone.utc)):
        iam = boto3.client("iam", endpoint_url=endpoint)
        sts = boto3.client("sts", endpoint_url=endpoint)
        role = iam.create_role(RoleName="frozen-role", AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
        assert iam.get_role(RoleName="frozen-role")["Role"]["Arn"] == role["Arn"]
        creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="frozen")["Credentials"]
        assert sts.get_caller_identity()["Account"] == ACCOUNT_ID
    temp = Creds(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    # The session credentials are warden's, so their requests are timed: at the real time they
    # work, under the frozen clock they are refused (a documented limit of the drop-in).
    assert make_client("sts", endpoint, temp).get_caller_identity()["Arn"].endswith(":assumed-role/frozen-role/frozen")
    with frozen_clock(dt.datetime(2015, 1, 1, tzinfo=dt.timezone.utc)):
        with raises_aws("SignatureDoesNotMatch", status=403, message_prefix="Signature expired"):
            make_client("sts", endpoint, temp).get_caller_identity()


def test_get_access_key_info_answers_the_default_account_for_dummy_keys(endpoint):
    sts = boto3.client("sts", endpoint_url=endpoint)
    assert sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == ACCOUNT_ID
    assert sts.get_access_key_info(AccessKeyId="testingtestingtesting")["Account"] == ACCOUNT_ID
    # A key id that names an account (AWS's layout) still names it, as on AWS.
    assert sts.get_access_key_info(AccessKeyId="ASIAY34FZKBOKMUTVV7A")["Account"] == "609629065308"


# ---------------------------------------------------------------------------------------------
# What dev mode still verifies, and normal mode
# ---------------------------------------------------------------------------------------------

DUMMY = Creds("testing", "testing")


def test_dev_mode_root_stand_in_may_assume_roles_but_a_verified_root_may_not(moto_server):
    url = moto_server.url
    raw_request(url, "POST", "/moto-api/reset", b"", {})
    iam = make_client("iam", url, DUMMY)
    arn = iam.create_role(RoleName=unique("dev-r"), AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["Arn"]
    # The stand-in for an unknown key is the default root...
    assert make_client("sts", url, DUMMY).get_caller_identity()["Arn"] == ROOT_ARN
    # ...and may assume roles.
    assert make_client("sts", url, DUMMY).assume_role(RoleArn=arn, RoleSessionName="dev-s")["Credentials"]
    # The configured root key is warden's own, verified: root, which AWS never lets assume roles.
    with raises_aws("AccessDenied", "Roles may not be assumed by root accounts.", 403):
        make_client("sts", url, ROOT).assume_role(RoleArn=arn, RoleSessionName="dev-s")
    # A session of the stand-in's root is a verified root session: no roles either.
    temp = make_client("sts", url, DUMMY).get_session_token()["Credentials"]
    root_session = Creds(temp["AccessKeyId"], temp["SecretAccessKey"], temp["SessionToken"])
    with raises_aws("AccessDenied", "Roles may not be assumed by root accounts.", 403):
        make_client("sts", url, root_session).assume_role(RoleArn=arn, RoleSessionName="dev-s")


def test_dev_mode_skips_the_clock_for_unknown_keys_only(moto_server):
    url = moto_server.url
    raw_request(url, "POST", "/moto-api/reset", b"", {})
    iam = make_client("iam", url, DUMMY)
    user, issued = create_user_with_key(iam)
    two_hours_off = dt.datetime.now(dt.timezone.utc) - TWO_HOURS
    params = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    # An unknown key with a clock 2 hours off works.
    r = signed_call(url, "sts", params, DUMMY, when=two_hours_off)
    assert r.status == 200, r.body
    assert f"<Arn>{ROOT_ARN}</Arn>".encode() in r.body
    r = signed_call(url, "sts", params, DUMMY, when=dt.datetime.now(dt.timezone.utc) + TWO_HOURS)
    assert r.status == 200, r.body
    # A key warden issued, with the same skew, is refused as in normal mode.
    r = signed_call(url, "sts", params, issued, when=two_hours_off)
    assert r.status == 403, r.body
    assert r.error()[0] == "SignatureDoesNotMatch" and r.error()[1].startswith("Signature expired"), r.error()
    # Its session credentials too.
    temp = make_client("sts", url, issued).get_session_token()["Credentials"]
    session = Creds(temp["AccessKeyId"], temp["SecretAccessKey"], temp["SessionToken"])
    r = signed_call(url, "sts", params, session, when=two_hours_off)
    assert r.status == 403 and r.error()[0] == "SignatureDoesNotMatch", r.body
    # Controls: the same keys at the right time work.
    for creds, arn in ((issued, user["Arn"]), (session, user["Arn"])):
        r = signed_call(url, "sts", params, creds)
        assert r.status == 200 and f"<Arn>{arn}</Arn>".encode() in r.body, r.body
    # A deleted key of ours, skewed, is still timed first and never the stand-in.
    iam.delete_access_key(UserName=user["UserName"], AccessKeyId=issued.access_key_id)
    r = signed_call(url, "sts", params, issued, when=two_hours_off)
    assert r.status == 403 and r.error()[0] == "SignatureDoesNotMatch", r.body
    r = signed_call(url, "sts", params, issued)
    assert r.status == 403 and r.error()[0] == "InvalidClientTokenId", r.body


def test_normal_mode_is_unaffected(server, iam):
    url = server.url
    params = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    # Unknown keys are refused, skewed or not; the skew is what they hear first.
    r = signed_call(url, "sts", params, DUMMY)
    assert r.status == 403 and r.error()[0] == "InvalidClientTokenId", r.body
    r = signed_call(url, "sts", params, DUMMY, when=dt.datetime.now(dt.timezone.utc) - TWO_HOURS)
    assert r.status == 403 and r.error()[0] == "SignatureDoesNotMatch", r.body
    # Root may not assume roles.
    arn = iam.create_role(RoleName=unique("normal-r"), AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["Arn"]
    with raises_aws("AccessDenied", "Roles may not be assumed by root accounts.", 403):
        make_client("sts", url, ROOT).assume_role(RoleArn=arn, RoleSessionName="dev-s")
    # A key id naming no account is an error, not the default account.
    with raises_aws("InvalidParameterValue", status=400):
        make_client("sts", url, ROOT).get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    # A warden key with the clock 2 hours off is refused; at the right time it works.
    r = signed_call(url, "sts", params, ROOT, when=dt.datetime.now(dt.timezone.utc) - TWO_HOURS)
    assert r.status == 403 and r.error()[0] == "SignatureDoesNotMatch", r.body
    assert signed_call(url, "sts", params, ROOT).status == 200
