"""STS AssumeRole (every parameter), role sessions and GetFederationToken, end to end.

Sources of the expected answers (AWS, not warden):
* LocalStack's snapshots recorded against real AWS (localstack/localstack,
  tests/aws/services/sts/test_sts.snapshot.json, recorded 2024-2026): RoleArn errors
  ("nothing-valid-in-here is invalid", "arn:a:::something/test-role is invalid"), the
  RoleSessionName pattern and length errors, InvalidParameterValue "Duplicate tag keys found.
  Please note that Tag keys are case insensitive.", "The specified transitive tag key must be
  included in the requested tags.", "One of the specified transitive tag keys can't be set because
  it conflicts with a transitive tag key from the calling session.", the response shapes
  (AssumedRoleUser, Credentials; PackedPolicySize only with a session policy; FederatedUser with
  FederatedUserId "ACCOUNT:NAME"), trust policies that add sts:TagSession for session tags.
* /work/shared/reference/aws-wire-facts.md and iam-policy-semantics.md: ASIA keys, session ARNs
  without the role path, AssumedRoleId "ROLEID:SESSION", same-account delegation (a trust policy
  naming the account needs an identity-policy allow, naming the user does not), denial texts and
  their "because ..." tails, GetFederationToken sessions have no permissions without a session
  policy, role chaining limited to one hour.
* Real AWS outputs quoted in public code and issues: "The requested DurationSeconds exceeds the
  MaxSessionDuration set for this role." and "The requested DurationSeconds exceeds the 1 hour
  session limit for roles assumed by role chaining." (ValidationError, 400); the durationSeconds
  bound errors ("1 validation error detected: Value '123' at 'durationSeconds' failed to satisfy
  constraint: Member must have value greater than or equal to 900"); AccessDenied "Roles may not be
  assumed by root accounts."; "MultiFactorAuthentication failed with invalid MFA one time pass
  code.".
* STS API reference (botocore model documentation), GetFederationToken "Permissions": federated
  sessions cannot call IAM operations nor STS operations other than GetCallerIdentity; without a
  session policy they have no permissions.
* IAM User Guide, id_session-tags / id_credentials_temp_control-access_monitor: passing session
  tags needs sts:TagSession, setting a source identity needs sts:SetSourceIdentity, in the trust
  policy; IAM global condition keys: aws:PrincipalArn of a role session is the role ARN,
  aws:userid is "ROLEID:SESSION".
* AWS IAM User Guide, id_roles_use_revoke-sessions: a Deny with DateLessThan aws:TokenIssueTime
  revokes the sessions issued before that time only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from e2e_util import (
    FAKETIME_LIB,
    restart_clock_ahead,
    ACCOUNT_ID,
    Creds,
    assert_cli_error,
    create_user_with_key,
    make_client,
    raises_aws,
    signed_call,
    totp,
    two_consecutive_codes,
    unique,
    wait_next_window,
)

ASIA_RE = re.compile(r"^ASIA[A-Z0-9]{16}$")
ROLE_ID_RE = re.compile(r"^AROA[A-Z0-9]{17}$")
ACCOUNT_ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."
CHAINING = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
OVER_MAX = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
DUP_TAGS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", condition=None) -> dict:
    st = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def deny(action, resource="*", condition=None) -> dict:
    st = {"Effect": "Deny", "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def trust(principal, action="sts:AssumeRole", condition=None, effect="Allow") -> dict:
    if isinstance(principal, str):
        principal = {"AWS": principal}
    st = {"Effect": effect, "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return st


def new_role(iam, *trust_statements: dict, inline: str | None = None, **kw) -> dict:
    role = iam.create_role(
        RoleName=kw.pop("RoleName", None) or unique("role"),
        AssumeRolePolicyDocument=policy(*trust_statements),
        **kw,
    )["Role"]
    if inline:
        iam.put_role_policy(RoleName=role["RoleName"], PolicyName="perms", PolicyDocument=inline)
    return role


def new_user(iam, inline: str | None = None) -> tuple[dict, Creds]:
    user, creds = create_user_with_key(iam)
    if inline:
        iam.put_user_policy(UserName=user["UserName"], PolicyName="perms", PolicyDocument=inline)
    return user, creds


def creds_of(resp) -> Creds:
    c = resp["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def sts_for(server, creds: Creds):
    return make_client("sts", server.url, creds)


def iam_for(server, creds: Creds):
    return make_client("iam", server.url, creds)


def session_arn(role_name: str, session: str) -> str:
    return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{session}"


def assume_denied_message(caller_arn: str, role_arn: str) -> str:
    return f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def assert_denied(call, caller_arn: str, action: str, because: str):
    """AccessDenied (403) naming the caller and the action, with AWS's `because ...` tail."""
    with raises_aws("AccessDenied", status=403, message_prefix=f"User: {caller_arn} is not authorized to perform: {action} on resource: ") as e:
        call()
    assert e["message"].endswith(because), e["message"]


def no_identity(action: str) -> str:
    return f"because no identity-based policy allows the {action} action"


def no_session(action: str) -> str:
    return f"because no session policy allows the {action} action"


def raw_error(server, creds: Creds, params: dict) -> tuple[int, str | None, str | None]:
    """Send what botocore's client-side validation would refuse (e.g. a value under a model
    minimum), signed, and return (HTTP status, error code, error message)."""
    resp = signed_call(server.url, "sts", params, creds)
    code, msg = resp.error() if resp.status >= 400 else (None, None)
    return resp.status, code, msg


def expires_in(resp) -> float:
    return resp["Credentials"]["Expiration"].timestamp() - time.time()


# --------------------------------------------------------------------------------------
# Response shape and GetCallerIdentity
# --------------------------------------------------------------------------------------


def test_assume_role_response_shape_and_caller_identity(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]), Path="/deep/path/")
    r = sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="sess-1")
    c = r["Credentials"]
    assert ASIA_RE.match(c["AccessKeyId"]), c["AccessKeyId"]
    assert len(c["SecretAccessKey"]) == 40
    assert c["SessionToken"] and len(c["SessionToken"]) > 40
    assert 3600 - 60 < expires_in(r) <= 3600 + 5  # default duration: one hour
    sarn = session_arn(role["RoleName"], "sess-1")  # no role path in a session ARN
    assert r["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:sess-1", "Arn": sarn}
    assert "SourceIdentity" not in r

    who = sts_for(server, creds_of(r)).get_caller_identity()
    assert (who["Account"], who["Arn"], who["UserId"]) == (ACCOUNT_ID, sarn, f"{role['RoleId']}:sess-1")
    # Two sessions of the same role get different keys.
    r2 = sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="sess-1")
    assert r2["Credentials"]["AccessKeyId"] != c["AccessKeyId"]


def test_no_packed_policy_size_without_session_policy_or_tags(server, iam):
    # AWS-recorded AssumeRole responses carry PackedPolicySize only when a session policy was
    # passed (LocalStack test_sts snapshot: test_assume_role vs test_assume_role_with_policy).
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]))
    r = sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="plain")
    assert "PackedPolicySize" not in r, r.get("PackedPolicySize")


def test_root_cannot_assume_roles(server, iam, sts):
    role = new_role(iam, trust(ACCOUNT_ROOT))
    with raises_aws("AccessDenied", "Roles may not be assumed by root accounts.", 403):
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="root")


# --------------------------------------------------------------------------------------
# Parameter validation
# --------------------------------------------------------------------------------------


def test_role_arn_and_session_name_validation(server, iam):
    user, creds = new_user(iam, policy(allow("sts:AssumeRole")))
    me = sts_for(server, creds)
    for bad in ("nothing-valid-in-here", "arn:a:::something/test-role", "arn:a::::something/test-role"):
        with raises_aws("ValidationError", f"{bad} is invalid", 400):
            me.assume_role(RoleArn=bad, RoleSessionName="s0")
    role = new_role(iam, trust(user["Arn"]))
    with raises_aws(
        "ValidationError",
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        400,
    ):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="Session1:2")
    long = "s" * 65
    with raises_aws(
        "ValidationError",
        f"1 validation error detected: Value '{long}' at 'roleSessionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64",
        400,
    ):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName=long)
    # Every allowed character, at the maximum length.
    name = ("a+=,.@-_" * 8)[:64]
    r = me.assume_role(RoleArn=role["Arn"], RoleSessionName=name)
    assert r["AssumedRoleUser"]["Arn"] == session_arn(role["RoleName"], name)
    # A role that does not exist: the caller is simply not authorized on it.
    ghost = f"arn:aws:iam::{ACCOUNT_ID}:role/{unique('ghost')}"
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], ghost), 403):
        me.assume_role(RoleArn=ghost, RoleSessionName="s0")


def test_duration_seconds_bounds(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]), MaxSessionDuration=7200)
    me = sts_for(server, creds)
    r = me.assume_role(RoleArn=role["Arn"], RoleSessionName="min", DurationSeconds=900)
    assert 900 - 60 < expires_in(r) <= 905
    r = me.assume_role(RoleArn=role["Arn"], RoleSessionName="max", DurationSeconds=7200)
    assert 7200 - 60 < expires_in(r) <= 7205
    with raises_aws("ValidationError", OVER_MAX, 400):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="over", DurationSeconds=7201)
    # botocore refuses 899 before sending; send it signed as another SDK would.
    got = raw_error(server, creds, {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role["Arn"], "RoleSessionName": "under", "DurationSeconds": "899"})
    assert got == (
        400,
        "ValidationError",
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value greater than or equal to 900",
    ), got
    with raises_aws(
        "ValidationError",
        "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value less than or equal to 43200",
        400,
    ):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="way-over", DurationSeconds=43201)
    # Default role maximum is 3600.
    short = new_role(iam, trust(user["Arn"]))
    with raises_aws("ValidationError", OVER_MAX, 400):
        me.assume_role(RoleArn=short["Arn"], RoleSessionName="s0", DurationSeconds=3601)


def test_role_chaining_is_capped_at_one_hour(server, iam):
    user, creds = new_user(iam)
    a = new_role(iam, trust(user["Arn"]), MaxSessionDuration=43200, inline=policy(allow("sts:AssumeRole")))
    b = new_role(iam, trust(a["Arn"]), MaxSessionDuration=43200)
    first = sts_for(server, creds).assume_role(RoleArn=a["Arn"], RoleSessionName="a0", DurationSeconds=7200)
    assert 7200 - 60 < expires_in(first) <= 7205  # not chained: the role maximum applies
    chained = sts_for(server, creds_of(first))
    with raises_aws("ValidationError", CHAINING, 400):
        chained.assume_role(RoleArn=b["Arn"], RoleSessionName="b0", DurationSeconds=3601)
    ok = chained.assume_role(RoleArn=b["Arn"], RoleSessionName="b0", DurationSeconds=3600)
    assert 3600 - 60 < expires_in(ok) <= 3605
    dflt = chained.assume_role(RoleArn=b["Arn"], RoleSessionName="b2")
    assert expires_in(dflt) <= 3605
    who = sts_for(server, creds_of(ok)).get_caller_identity()
    assert who["Arn"] == session_arn(b["RoleName"], "b0")


# --------------------------------------------------------------------------------------
# Authorization of AssumeRole
# --------------------------------------------------------------------------------------


def test_trust_naming_account_needs_identity_allow(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(ACCOUNT_ROOT), RoleName=unique("target"))
    me = sts_for(server, creds)
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], role["Arn"]), 403):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume", PolicyDocument=policy(allow("sts:AssumeRole", role["Arn"])))
    assert me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")["AssumedRoleUser"]["Arn"] == session_arn(role["RoleName"], "s0")
    # An identity allow for another role does not help.
    other = new_role(iam, trust(ACCOUNT_ROOT))
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], other["Arn"]), 403):
        me.assume_role(RoleArn=other["Arn"], RoleSessionName="s0")
    # An explicit deny in the caller's policies wins.
    iam.put_user_policy(UserName=user["UserName"], PolicyName="no", PolicyDocument=policy(deny("sts:AssumeRole", role["Arn"])))
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], role["Arn"]), 403):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")


def test_trust_naming_the_account_by_its_short_id(server, iam):
    # {"AWS": "ACCOUNT"} is the account, like its root ARN; AWS returns it as written (LocalStack's
    # AWS-recorded test_assume_role snapshot: "Principal": {"AWS": "111111111111"}).
    user, creds = new_user(iam, policy(allow("sts:AssumeRole")))
    role = new_role(iam, trust(ACCOUNT_ID))
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": ACCOUNT_ID}
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": ACCOUNT_ID}
    r = sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="short")
    assert r["AssumedRoleUser"]["Arn"] == session_arn(role["RoleName"], "short")


def test_roles_trusting_a_service_or_another_account_refuse_users(server, iam):
    user, creds = new_user(iam, policy(allow("sts:AssumeRole")))
    me = sts_for(server, creds)
    ec2 = new_role(iam, trust({"Service": "ec2.amazonaws.com"}))
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], ec2["Arn"]), 403):
        me.assume_role(RoleArn=ec2["Arn"], RoleSessionName="svc")
    # A role ARN in an account that does not exist here.
    elsewhere = "arn:aws:iam::999988887777:role/SomeRole"
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], elsewhere), 403):
        me.assume_role(RoleArn=elsewhere, RoleSessionName="far")


def test_trust_naming_user_needs_no_identity_policy_but_deny_wins(server, iam):
    user, creds = new_user(iam)
    stranger, screds = new_user(iam, policy(allow("sts:AssumeRole")))
    role = new_role(iam, trust(user["Arn"]))
    me = sts_for(server, creds)
    assert me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:s0"
    # A user the trust policy does not name is refused even with an identity allow.
    with raises_aws("AccessDenied", assume_denied_message(stranger["Arn"], role["Arn"]), 403):
        sts_for(server, screds).assume_role(RoleArn=role["Arn"], RoleSessionName="s0")
    # Explicit deny in the identity policy wins over the trust grant.
    iam.put_user_policy(UserName=user["UserName"], PolicyName="no", PolicyDocument=policy(deny("sts:*")))
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], role["Arn"]), 403):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")
    iam.delete_user_policy(UserName=user["UserName"], PolicyName="no")
    # Explicit deny in the trust policy wins over its own allow (and over identity allows).
    iam.update_assume_role_policy(
        RoleName=role["RoleName"],
        PolicyDocument=policy(trust(ACCOUNT_ROOT), trust(user["Arn"], effect="Deny")),
    )
    iam.put_user_policy(UserName=user["UserName"], PolicyName="yes", PolicyDocument=policy(allow("sts:AssumeRole")))
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], role["Arn"]), 403):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")
    # ...while the other user, allowed by identity + account trust, gets in.
    assert sts_for(server, screds).assume_role(RoleArn=role["Arn"], RoleSessionName="s2")["Credentials"]


def test_trust_naming_a_session_or_a_pathed_role(server, iam):
    # Principal matching (iam-policy-semantics.md 1.4): an assumed-role session ARN matches that
    # session only; a role ARN (with its path) matches every session of the role, whose session
    # ARNs carry no path.
    user, creds = new_user(iam)
    a = new_role(iam, trust(user["Arn"]), Path="/ops/", inline=policy(allow("sts:AssumeRole")))
    by_session = new_role(iam, trust(session_arn(a["RoleName"], "alpha")))
    by_role = new_role(iam, trust(a["Arn"]))
    me = sts_for(server, creds)
    alpha = sts_for(server, creds_of(me.assume_role(RoleArn=a["Arn"], RoleSessionName="alpha")))
    beta = sts_for(server, creds_of(me.assume_role(RoleArn=a["Arn"], RoleSessionName="beta")))
    alpha.assume_role(RoleArn=by_session["Arn"], RoleSessionName="x1")
    with raises_aws("AccessDenied", assume_denied_message(session_arn(a["RoleName"], "beta"), by_session["Arn"]), 403):
        beta.assume_role(RoleArn=by_session["Arn"], RoleSessionName="x2")
    alpha.assume_role(RoleArn=by_role["Arn"], RoleSessionName="x3")
    beta.assume_role(RoleArn=by_role["Arn"], RoleSessionName="x4")
    # The user itself is neither.
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], by_role["Arn"]), 403):
        me.assume_role(RoleArn=by_role["Arn"], RoleSessionName="x5")


def test_external_id(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"], condition={"StringEquals": {"sts:ExternalId": "ext-123"}}))
    me = sts_for(server, creds)
    denied = assume_denied_message(user["Arn"], role["Arn"])
    with raises_aws("AccessDenied", denied, 403):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")
    with raises_aws("AccessDenied", denied, 403):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", ExternalId="ext-124")
    ok = me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", ExternalId="ext-123")
    assert ASIA_RE.match(ok["Credentials"]["AccessKeyId"])
    got = raw_error(server, creds, {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role["Arn"], "RoleSessionName": "s0", "ExternalId": "x"})
    assert got == (
        400,
        "ValidationError",
        "1 validation error detected: Value 'x' at 'externalId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 2",
    ), got


def test_mfa_condition_in_trust_policy(server, iam):
    user, creds = new_user(iam)
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("ar-mfa"))["VirtualMFADevice"]
    seed, sn = dev["Base32StringSeed"], dev["SerialNumber"]
    c1, c2 = two_consecutive_codes(seed)
    iam.enable_mfa_device(UserName=user["UserName"], SerialNumber=sn, AuthenticationCode1=c1, AuthenticationCode2=c2)
    role = new_role(iam, trust(user["Arn"], condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    me = sts_for(server, creds)
    with raises_aws("AccessDenied", assume_denied_message(user["Arn"], role["Arn"]), 403):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="nomfa")
    wrong = "000000" if totp(seed) != "000000" else "111111"
    with raises_aws("AccessDenied", status=403, message_prefix=MFA_FAILED):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="bad", SerialNumber=sn, TokenCode=wrong)
    wait_next_window()  # the enabling codes are spent
    r = me.assume_role(RoleArn=role["Arn"], RoleSessionName="mfa", SerialNumber=sn, TokenCode=totp(seed))
    assert r["AssumedRoleUser"]["Arn"] == session_arn(role["RoleName"], "mfa")
    # The session carries the MFA: a role policy conditioned on it allows.
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="mfa-only",
        PolicyDocument=policy(allow("iam:ListUsers", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
    )
    iam_for(server, creds_of(r)).list_users()


# --------------------------------------------------------------------------------------
# Session permissions: role policies, boundary, session policies
# --------------------------------------------------------------------------------------


def test_session_has_the_role_permissions_not_the_callers(server, iam):
    user, creds = new_user(iam, policy(allow("iam:*"), allow("sts:AssumeRole")))
    role = new_role(iam, trust(ACCOUNT_ROOT), inline=policy(allow("iam:ListUsers")))
    r = sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="perm")
    sess = iam_for(server, creds_of(r))
    sarn = session_arn(role["RoleName"], "perm")
    assert user["UserName"] in [u["UserName"] for u in sess.list_users()["Users"]]
    assert_denied(lambda: sess.create_user(UserName=unique("x")), sarn, "iam:CreateUser", no_identity("iam:CreateUser"))
    assert_denied(lambda: sess.list_roles(), sarn, "iam:ListRoles", no_identity("iam:ListRoles"))
    # Attached managed policies count too, and changes apply to live sessions.
    pol = iam.create_policy(PolicyName=unique("lr"), PolicyDocument=policy(allow("iam:ListRoles")))["Policy"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=pol["Arn"])
    assert role["RoleName"] in [x["RoleName"] for x in sess.list_roles()["Roles"]]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="deny", PolicyDocument=policy(deny("iam:ListUsers")))
    assert_denied(lambda: sess.list_users(), sarn, "iam:ListUsers", "with an explicit deny in an identity-based policy")


def test_session_condition_keys_principal_arn_and_userid(server, iam):
    # IAM global condition keys: for a role session aws:PrincipalArn is the ROLE's ARN (with its
    # path), aws:userid is "ROLEID:SESSION".
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]), Path="/team/")
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="keys",
        PolicyDocument=policy(
            allow("iam:ListUsers", condition={"ArnEquals": {"aws:PrincipalArn": role["Arn"]}}),
            allow("iam:ListRoles", condition={"StringEquals": {"aws:userid": f"{role['RoleId']}:keys"}}),
            allow("iam:ListGroups", condition={"ArnEquals": {"aws:PrincipalArn": session_arn(role["RoleName"], "keys")}}),
        ),
    )
    sess = iam_for(server, creds_of(sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="keys")))
    sess.list_users()
    sess.list_roles()
    # The session ARN is not aws:PrincipalArn.
    assert_denied(lambda: sess.list_groups(), session_arn(role["RoleName"], "keys"), "iam:ListGroups", no_identity("iam:ListGroups"))
    # Another session name does not match aws:userid.
    other = iam_for(server, creds_of(sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="other")))
    other.list_users()
    assert_denied(lambda: other.list_roles(), session_arn(role["RoleName"], "other"), "iam:ListRoles", no_identity("iam:ListRoles"))


def test_role_boundary_limits_the_session(server, iam):
    user, creds = new_user(iam)
    bnd = iam.create_policy(PolicyName=unique("bnd"), PolicyDocument=policy(allow("iam:ListUsers")))["Policy"]
    role = new_role(iam, trust(user["Arn"]), inline=policy(allow("iam:*")), PermissionsBoundary=bnd["Arn"])
    sess = iam_for(server, creds_of(sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="b0")))
    sess.list_users()
    assert_denied(lambda: sess.list_roles(), session_arn(role["RoleName"], "b0"), "iam:ListRoles", "because no permissions boundary allows the iam:ListRoles action")


def test_session_policies_narrow_and_never_widen(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]), inline=policy(allow(["iam:ListUsers", "iam:ListRoles", "iam:ListGroups"])))
    me = sts_for(server, creds)

    r = me.assume_role(RoleArn=role["Arn"], RoleSessionName="inline", Policy=policy(allow(["iam:ListUsers", "iam:CreateUser"])))
    assert isinstance(r["PackedPolicySize"], int) and 0 < r["PackedPolicySize"] < 100
    sess = iam_for(server, creds_of(r))
    sarn = session_arn(role["RoleName"], "inline")
    sess.list_users()
    assert_denied(lambda: sess.list_roles(), sarn, "iam:ListRoles", no_session("iam:ListRoles"))
    # The session policy does not add what the role lacks.
    assert_denied(lambda: sess.create_user(UserName=unique("x")), sarn, "iam:CreateUser", no_identity("iam:CreateUser"))

    managed = iam.create_policy(PolicyName=unique("sp"), PolicyDocument=policy(allow("iam:ListRoles")))["Policy"]
    r = me.assume_role(RoleArn=role["Arn"], RoleSessionName="arns", PolicyArns=[{"arn": managed["Arn"]}])
    sess = iam_for(server, creds_of(r))
    sess.list_roles()
    assert_denied(lambda: sess.list_users(), session_arn(role["RoleName"], "arns"), "iam:ListUsers", no_session("iam:ListUsers"))

    # Inline + managed session policies: their union, still within the role.
    r = me.assume_role(RoleArn=role["Arn"], RoleSessionName="both", Policy=policy(allow("iam:ListGroups")), PolicyArns=[{"arn": managed["Arn"]}])
    sess = iam_for(server, creds_of(r))
    sess.list_roles()
    sess.list_groups()
    assert_denied(lambda: sess.list_users(), session_arn(role["RoleName"], "both"), "iam:ListUsers", no_session("iam:ListUsers"))

    # No session policy: the role's permissions, unchanged.
    sess = iam_for(server, creds_of(me.assume_role(RoleArn=role["Arn"], RoleSessionName="plain")))
    sess.list_users()
    sess.list_roles()


def test_session_policy_validation(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]))
    me = sts_for(server, creds)
    with raises_aws("MalformedPolicyDocument", status=400):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", Policy='{"Version":"2012-10-17","Statement":[')
    big = policy(*[allow("iam:ListUsers", f"arn:aws:iam::{ACCOUNT_ID}:user/u{i:04d}") for i in range(40)])
    assert len(big) > 2048
    # STS documents a 2,048-character plaintext limit for session policies. Older STS models
    # bounded `Policy` at 2,048 (graphql-voyager#30 quotes one), so AWS answers it as a member
    # constraint: ValidationError, 400.
    with raises_aws("ValidationError", status=400) as e:
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", Policy=big)
    assert e["message"] == (
        f"1 validation error detected: Value '{big}' at 'policy' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    ), e["message"][:200]
    # Still assumable with a valid one.
    assert me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", Policy=policy(allow("iam:ListUsers")))["PackedPolicySize"] > 0


# --------------------------------------------------------------------------------------
# Session tags, transitive tags, SourceIdentity
# --------------------------------------------------------------------------------------


def test_session_tags_become_principal_tags(server, iam):
    user, creds = new_user(iam)
    role = new_role(
        iam,
        trust(user["Arn"], action=["sts:AssumeRole", "sts:TagSession"]),
        inline=policy(allow("iam:ListUsers", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})),
        Tags=[{"Key": "team", "Value": "red"}],
    )
    me = sts_for(server, creds)
    # Without session tags the role's own tags are the principal tags (team=red): denied.
    sess = iam_for(server, creds_of(me.assume_role(RoleArn=role["Arn"], RoleSessionName="none")))
    assert_denied(lambda: sess.list_users(), session_arn(role["RoleName"], "none"), "iam:ListUsers", no_identity("iam:ListUsers"))
    # A session tag overrides the role tag of the same key.
    r = me.assume_role(RoleArn=role["Arn"], RoleSessionName="blue", Tags=[{"Key": "team", "Value": "blue"}])
    iam_for(server, creds_of(r)).list_users()
    sess = iam_for(server, creds_of(me.assume_role(RoleArn=role["Arn"], RoleSessionName="green", Tags=[{"Key": "team", "Value": "green"}])))
    assert_denied(lambda: sess.list_users(), session_arn(role["RoleName"], "green"), "iam:ListUsers", no_identity("iam:ListUsers"))

    with raises_aws("InvalidParameterValue", DUP_TAGS, 400):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="dup", Tags=[{"Key": "team", "Value": "a"}, {"Key": "Team", "Value": "b"}])
    with raises_aws("InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.", 400):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="tt", Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["other"])


def test_packed_policy_size_counts_session_tags(server, iam):
    # STS API reference, PackedPolicySize: "the packed size of the session policies and session
    # tags combined passed in the request" - tags alone take packed space.
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"], action=["sts:AssumeRole", "sts:TagSession"]))
    r = sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="tags", Tags=[{"Key": f"k{i}", "Value": "v" * 40} for i in range(10)])
    assert isinstance(r.get("PackedPolicySize"), int) and r["PackedPolicySize"] > 0, r.get("PackedPolicySize")


def test_session_tags_need_sts_tag_session_in_trust(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]))
    me = sts_for(server, creds)
    with raises_aws(
        "AccessDenied",
        f"User: {user['Arn']} is not authorized to perform: sts:TagSession on resource: {role['Arn']}",
        403,
    ):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="t0", Tags=[{"Key": "k", "Value": "v"}])
    assert me.assume_role(RoleArn=role["Arn"], RoleSessionName="t0")["Credentials"]


def test_transitive_tags_and_source_identity_survive_chaining(server, iam):
    user, creds = new_user(iam)
    actions = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    a = new_role(iam, trust(user["Arn"], action=actions), inline=policy(allow("sts:AssumeRole")))
    b = new_role(
        iam,
        trust(a["Arn"], action=actions),
        inline=policy(
            allow("iam:ListUsers", condition={"StringEquals": {"aws:PrincipalTag/project": "apollo"}}),
            allow("iam:ListRoles", condition={"StringEquals": {"aws:PrincipalTag/desk": "d7"}}),
            allow("iam:ListGroups", condition={"StringEquals": {"aws:SourceIdentity": "alice"}}),
        ),
    )
    first = sts_for(server, creds).assume_role(
        RoleArn=a["Arn"],
        RoleSessionName="a0",
        Tags=[{"Key": "project", "Value": "apollo"}, {"Key": "desk", "Value": "d7"}],
        TransitiveTagKeys=["project"],
        SourceIdentity="alice",
    )
    assert first["SourceIdentity"] == "alice"
    chained = sts_for(server, creds_of(first))
    second = chained.assume_role(RoleArn=b["Arn"], RoleSessionName="b0")
    assert second["SourceIdentity"] == "alice"
    sess = iam_for(server, creds_of(second))
    sarn = session_arn(b["RoleName"], "b0")
    sess.list_users()  # transitive tag project=apollo carried over
    sess.list_groups()  # aws:SourceIdentity carried over
    assert_denied(lambda: sess.list_roles(), sarn, "iam:ListRoles", no_identity("iam:ListRoles"))  # desk was not transitive

    # A non-transitive key may be set again in the chain.
    third = chained.assume_role(RoleArn=b["Arn"], RoleSessionName="b4", Tags=[{"Key": "desk", "Value": "d7"}])
    iam_for(server, creds_of(third)).list_roles()
    # A transitive key may not (case-insensitively).
    conflict = "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
    with raises_aws("InvalidParameterValue", conflict, 400):
        chained.assume_role(RoleArn=b["Arn"], RoleSessionName="b2", Tags=[{"Key": "project", "Value": "gemini"}])
    with raises_aws("InvalidParameterValue", conflict, 400):
        chained.assume_role(RoleArn=b["Arn"], RoleSessionName="b3", Tags=[{"Key": "PROJECT", "Value": "gemini"}])


def test_source_identity_needs_set_source_identity_in_trust(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]))
    me = sts_for(server, creds)
    with raises_aws(
        "AccessDenied",
        f"User: {user['Arn']} is not authorized to perform: sts:SetSourceIdentity on resource: {role['Arn']}",
        403,
    ):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", SourceIdentity="alice")
    assert "SourceIdentity" not in me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")


def test_source_identity_is_returned_and_validated(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"], action=["sts:AssumeRole", "sts:SetSourceIdentity"]))
    me = sts_for(server, creds)
    assert me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", SourceIdentity="alice")["SourceIdentity"] == "alice"
    with raises_aws("ValidationError", status=400, message_prefix="1 validation error detected: Value 'a:b' at 'sourceIdentity'"):
        me.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", SourceIdentity="a:b")


# --------------------------------------------------------------------------------------
# Session lifetime: deleted role, revoked sessions, expiry, last-used
# --------------------------------------------------------------------------------------


def test_deleting_the_role_stops_its_sessions(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]), inline=policy(allow("iam:ListUsers")))
    sess = iam_for(server, creds_of(sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="d0")))
    sess.list_users()
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="perms")
    iam.delete_role(RoleName=role["RoleName"])
    # AWS does not document the exact answer; both are 403 refusals seen for deleted roles.
    with pytest.raises(ClientError) as e:
        sess.list_users()
    code = e.value.response["Error"]["Code"]
    assert code in ("InvalidClientTokenId", "AccessDenied"), e.value.response
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # A new role of the same name does not revive the old session's permissions.
    new_role(iam, trust(user["Arn"]), inline=policy(allow("iam:ListUsers")), RoleName=role["RoleName"])
    with pytest.raises(ClientError) as e:
        sess.list_users()
    assert e.value.response["Error"]["Code"] in ("InvalidClientTokenId", "AccessDenied")


def test_revoke_older_sessions_with_token_issue_time(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]), inline=policy(allow("iam:ListUsers")))
    me = sts_for(server, creds)
    old_creds = creds_of(me.assume_role(RoleArn=role["Arn"], RoleSessionName="old"))
    old = iam_for(server, old_creds)
    old.list_users()
    time.sleep(1.2)
    cutoff = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.2)
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=policy(deny("*", condition={"DateLessThan": {"aws:TokenIssueTime": cutoff}})),
    )
    assert_denied(lambda: old.list_users(), session_arn(role["RoleName"], "old"), "iam:ListUsers", "with an explicit deny in an identity-based policy")
    # GetCallerIdentity needs no permission: it works even under the deny.
    assert sts_for(server, old_creds).get_caller_identity()["Arn"] == session_arn(role["RoleName"], "old")
    fresh = iam_for(server, creds_of(me.assume_role(RoleArn=role["Arn"], RoleSessionName="new")))
    fresh.list_users()


@pytest.mark.skipif(
    FAKETIME_LIB is None,
    reason="ExpiredToken needs a session older than its DurationSeconds (>= 900 s); without "
    "libfaketime (Debian package libfaketime) the server's clock cannot be moved forward",
)
def test_expired_role_session_is_expired_token(warden_factory):
    # A 900 s session used after 1,000 s: ExpiredToken (403, "The security token included in the
    # request is expired", aws-wire-facts.md). The server restarts with its clock 1,000 s ahead and
    # requests are signed for that time, so only the token's age differs.
    w = warden_factory()
    root_iam = w.client("iam")
    user, creds = create_user_with_key(root_iam)
    role = new_role(root_iam, trust(user["Arn"]), inline=policy(allow("iam:ListUsers")), MaxSessionDuration=3600)
    me = w.client("sts", creds)
    short = creds_of(me.assume_role(RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900))
    long = creds_of(me.assume_role(RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=3600))
    list_users = {"Action": "ListUsers", "Version": "2010-05-08"}
    assert signed_call(w.url, "iam", list_users, short).status == 200

    later = restart_clock_ahead(w, 1000)
    resp = signed_call(w.url, "iam", list_users, short, when=later)
    assert resp.status == 403, resp.body[:300]
    code, msg = resp.error()
    assert code == "ExpiredToken", (code, msg)
    assert msg.rstrip(".") == "The security token included in the request is expired", msg
    # The same call with a session that has not expired, at the same time, passes.
    ok = signed_call(w.url, "iam", list_users, long, when=later)
    assert ok.status == 200, ok.body[:300]


def test_role_last_used_and_access_key_last_used(server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"]), inline=policy(allow("iam:ListUsers")))
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"] == {}
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    sess = iam_for(server, creds_of(sts_for(server, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="lu")))
    sess.list_users()

    def role_used():
        return iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"] or None

    deadline = time.monotonic() + 10
    used = role_used()
    while not used and time.monotonic() < deadline:
        time.sleep(0.5)
        used = role_used()
    assert used, "RoleLastUsed stayed empty for 10 s"
    assert used["Region"] == "us-east-1"
    assert used["LastUsedDate"] >= before

    def key_used():
        last = iam.get_access_key_last_used(AccessKeyId=creds.access_key_id)["AccessKeyLastUsed"]
        return last if last.get("ServiceName") == "sts" else None

    deadline = time.monotonic() + 10
    k = key_used()
    while not k and time.monotonic() < deadline:
        time.sleep(0.5)
        k = key_used()
    assert k, iam.get_access_key_last_used(AccessKeyId=creds.access_key_id)
    assert k["Region"] == "us-east-1" and k["LastUsedDate"] >= before


# --------------------------------------------------------------------------------------
# GetFederationToken
# --------------------------------------------------------------------------------------


def test_get_federation_token(server, iam):
    user, creds = new_user(iam, policy(allow(["sts:GetFederationToken", "iam:ListUsers", "iam:ListRoles"])))
    me = sts_for(server, creds)
    r = me.get_federation_token(Name="fed-bob")
    fed_arn = f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fed-bob"
    assert r["FederatedUser"] == {"Arn": fed_arn, "FederatedUserId": f"{ACCOUNT_ID}:fed-bob"}
    assert ASIA_RE.match(r["Credentials"]["AccessKeyId"])
    assert len(r["Credentials"]["SecretAccessKey"]) == 40
    assert 43200 - 60 < expires_in(r) <= 43205  # default 12 hours for an IAM user
    who = sts_for(server, creds_of(r)).get_caller_identity()
    assert (who["Account"], who["Arn"], who["UserId"]) == (ACCOUNT_ID, fed_arn, f"{ACCOUNT_ID}:fed-bob")

    r = me.get_federation_token(Name="fed-carol", Policy=policy(allow("iam:ListUsers")), DurationSeconds=900)
    assert 900 - 60 < expires_in(r) <= 905
    assert isinstance(r["PackedPolicySize"], int) and r["PackedPolicySize"] > 0
    # The caller needs sts:GetFederationToken.
    other, ocreds = new_user(iam)
    with raises_aws("AccessDenied", status=403, message_prefix=f"User: {other['Arn']} is not authorized to perform: sts:GetFederationToken"):
        sts_for(server, ocreds).get_federation_token(Name="nope")
    with raises_aws(
        "ValidationError",
        "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 129600",
        400,
    ):
        me.get_federation_token(Name="too-long", DurationSeconds=129601)


def test_federated_sessions_cannot_call_iam_or_sts(server, iam):
    # STS API reference, GetFederationToken, Permissions: "You cannot call any IAM operations using
    # the CLI or the Amazon Web Services API" and "You cannot call any STS operations except
    # GetCallerIdentity" - even when the session policy and the user's policy both allow.
    # (The user ∩ session-policy rule is exercised on Organizations in test_organizations.py.)
    user, creds = new_user(iam, policy(allow(["sts:*", "iam:*"])))
    role = new_role(iam, trust(ACCOUNT_ROOT))
    r = sts_for(server, creds).get_federation_token(Name="fed-dave", Policy=policy(allow(["iam:*", "sts:*"])))
    fed = creds_of(r)
    assert sts_for(server, fed).get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fed-dave"
    calls = {
        "iam:ListUsers": lambda: iam_for(server, fed).list_users(),
        "iam:GetUser": lambda: iam_for(server, fed).get_user(UserName=user["UserName"]),
        "sts:AssumeRole": lambda: sts_for(server, fed).assume_role(RoleArn=role["Arn"], RoleSessionName="fed"),
        "sts:GetFederationToken": lambda: sts_for(server, fed).get_federation_token(Name="again"),
        "sts:GetSessionToken": lambda: sts_for(server, fed).get_session_token(),
    }
    wrong = {}
    for action, call in calls.items():
        try:
            call()
            wrong[action] = "allowed"
        except ClientError as e:
            got = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
            if got not in (("AccessDenied", 403), ("InvalidClientTokenId", 403)):
                wrong[action] = got
    assert wrong == {}, f"federated-user session: expected a 403 refusal for each of {wrong}"


# --------------------------------------------------------------------------------------
# The aws CLI
# --------------------------------------------------------------------------------------


def test_cli_assume_role(aws, server, iam):
    user, creds = new_user(iam)
    role = new_role(iam, trust(user["Arn"], condition={"StringEquals": {"sts:ExternalId": "cli-ext"}}), MaxSessionDuration=7200)
    res = aws("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli", "--external-id", "cli-ext", "--duration-seconds", "7200", creds=creds)
    assert res.returncode == 0, res.stderr
    c = res.json["Credentials"]
    assert ASIA_RE.match(c["AccessKeyId"])
    assert res.json["AssumedRoleUser"]["Arn"] == session_arn(role["RoleName"], "cli")
    session = Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    who = aws("sts", "get-caller-identity", creds=session)
    assert who.returncode == 0, who.stderr
    assert who.json["Arn"] == session_arn(role["RoleName"], "cli")
    assert who.json["UserId"] == f"{role['RoleId']}:cli"

    bad = aws("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "Session1:2", "--external-id", "cli-ext", creds=creds)
    assert_cli_error(
        bad,
        "ValidationError",
        "AssumeRole",
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    )
    denied = aws("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli", creds=creds)
    assert_cli_error(denied, "AccessDenied", "AssumeRole", assume_denied_message(user["Arn"], role["Arn"]))
    over = aws("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli", "--external-id", "cli-ext", "--duration-seconds", "7201", creds=creds)
    assert_cli_error(over, "ValidationError", "AssumeRole", OVER_MAX)
