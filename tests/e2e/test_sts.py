"""STS: GetCallerIdentity, GetSessionToken (durations, MFA, restrictions), GetAccessKeyInfo,
tampered tokens.

Sources: botocore's STS model documentation for GetSessionToken (900..129600 s for users;
root sessions capped at one hour: "If the duration is longer than one hour, the session for
Amazon Web Services account owners defaults to one hour"; no IAM calls without MFA; no STS
calls except AssumeRole/GetCallerIdentity...). Observed AWS errors in public issue threads:
IAM with non-MFA GetSessionToken credentials -> InvalidClientTokenId (99designs/aws-vault #15,
#1056; aws/aws-sdk-js #460); GetSessionToken with session credentials -> AccessDenied
"Cannot call GetSessionToken with session credentials" (aws/aws-sdk-net #1704,
aws/aws-sdk-php #1876); wrong MFA code -> AccessDenied "MultiFactorAuthentication failed with
invalid MFA one time pass code." (widely quoted CLI output).
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from botocore.exceptions import ClientError

from e2e_util import (
    FAKETIME_LIB,
    restart_clock_ahead,
    ACCOUNT_ID,
    ROOT,
    ROOT_ARN,
    Creds,
    assert_cli_error,
    create_user_with_key,
    grant,
    grant_change_own_password,
    make_client,
    raises_aws,
    signed_call,
    totp,
    two_consecutive_codes,
    unique,
    wait_next_window,
)

ASIA_RE = re.compile(r"^ASIA[A-Z0-9]{16}$")
INVALID_TOKEN_PREFIX = "The security token included in the request is invalid"
# AWS's text; captured CLI output shows it with a trailing space, so compare without it.
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."


def sts_for(server, creds):
    return make_client("sts", server.url, creds)


def iam_for(server, creds):
    return make_client("iam", server.url, creds)


def session_creds(resp) -> Creds:
    c = resp["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def expires_in(resp) -> float:
    return resp["Credentials"]["Expiration"].timestamp() - time.time()


def test_get_caller_identity_root(sts):
    r = sts.get_caller_identity()
    assert r["Account"] == ACCOUNT_ID
    assert r["Arn"] == ROOT_ARN
    assert r["UserId"] == ACCOUNT_ID


def test_get_caller_identity_user(server, iam):
    user, creds = create_user_with_key(iam)
    r = sts_for(server, creds).get_caller_identity()
    assert (r["Account"], r["Arn"], r["UserId"]) == (ACCOUNT_ID, user["Arn"], user["UserId"])


def test_get_session_token_user_defaults_and_use(server, iam):
    user, creds = create_user_with_key(iam)
    r = sts_for(server, creds).get_session_token()
    c = r["Credentials"]
    assert ASIA_RE.match(c["AccessKeyId"]), c["AccessKeyId"]
    assert len(c["SecretAccessKey"]) == 40
    assert c["SessionToken"] and len(c["SessionToken"]) >= 16
    assert abs(expires_in(r) - 43200) < 120  # default 12 hours
    temp = session_creds(r)
    ident = sts_for(server, temp).get_caller_identity()
    assert (ident["Account"], ident["Arn"], ident["UserId"]) == (ACCOUNT_ID, user["Arn"], user["UserId"])
    # GetAccessKeyInfo answers the account for the temporary key too.
    assert sts_for(server, ROOT).get_access_key_info(AccessKeyId=c["AccessKeyId"])["Account"] == ACCOUNT_ID


@pytest.mark.parametrize("seconds", [900, 129600])
def test_get_session_token_user_duration_bounds_ok(server, iam, seconds):
    _, creds = create_user_with_key(iam)
    r = sts_for(server, creds).get_session_token(DurationSeconds=seconds)
    assert abs(expires_in(r) - seconds) < 120


def test_get_session_token_duration_out_of_range(server, iam):
    _, creds = create_user_with_key(iam)
    with raises_aws(
        "ValidationError",
        "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 129600",
        400,
    ):
        sts_for(server, creds).get_session_token(DurationSeconds=129601)
    # botocore refuses < 900 client-side, so send it raw.
    r = signed_call(
        server.url, "sts", {"Action": "GetSessionToken", "Version": "2011-06-15", "DurationSeconds": "899"}, creds
    )
    assert r.status == 400, r.body
    assert r.error() == (
        "ValidationError",
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900",
    )


def test_get_session_token_root_durations(server, sts):
    assert abs(expires_in(sts.get_session_token()) - 3600) < 120  # root default: 1 hour
    assert abs(expires_in(sts.get_session_token(DurationSeconds=900)) - 900) < 120
    # Longer requests from the account owner are capped at one hour, not refused.
    r = sts.get_session_token(DurationSeconds=7200)
    assert abs(expires_in(r) - 3600) < 120
    ident = sts_for(server, session_creds(r)).get_caller_identity()
    assert ident["Arn"] == ROOT_ARN and ident["Account"] == ACCOUNT_ID


def test_session_without_mfa_cannot_call_iam(server, iam, sts):
    _, creds = create_user_with_key(iam)
    user_temp = session_creds(sts_for(server, creds).get_session_token(DurationSeconds=900))
    root_temp = session_creds(sts.get_session_token(DurationSeconds=900))
    for temp in (user_temp, root_temp):
        with raises_aws("InvalidClientTokenId", status=403, message_prefix=INVALID_TOKEN_PREFIX):
            iam_for(server, temp).list_users()
    with raises_aws("InvalidClientTokenId", status=403, message_prefix=INVALID_TOKEN_PREFIX):
        iam_for(server, user_temp).change_password(OldPassword="Whatever-Passw0rd!", NewPassword="Other-Passw0rd!1")


def test_deleted_user_sessions_stop_working(server, iam):
    """Temporary credentials act with the user's identity; once the user is gone they must not
    authenticate any more (AWS answers an authentication error; the exact code is not asserted)."""
    user, creds = create_user_with_key(iam)
    temp = session_creds(sts_for(server, creds).get_session_token(DurationSeconds=900))
    assert sts_for(server, temp).get_caller_identity()["Arn"] == user["Arn"]
    iam.delete_access_key(UserName=user["UserName"], AccessKeyId=creds.access_key_id)
    iam.delete_user(UserName=user["UserName"])
    with pytest.raises(ClientError) as exc:
        sts_for(server, temp).get_caller_identity()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, exc.value.response
    assert exc.value.response["Error"]["Code"] in ("InvalidClientTokenId", "ExpiredToken", "AccessDenied")
    # A new user with the same name does not inherit the old session.
    iam.create_user(UserName=user["UserName"])
    with pytest.raises(ClientError):
        sts_for(server, temp).get_caller_identity()


def test_get_session_token_with_session_credentials_is_refused(server, iam):
    _, creds = create_user_with_key(iam)
    temp = session_creds(sts_for(server, creds).get_session_token(DurationSeconds=900))
    with raises_aws("AccessDenied", "Cannot call GetSessionToken with session credentials", 403):
        sts_for(server, temp).get_session_token()


def test_tampered_and_mismatched_session_tokens(server, iam):
    _, creds = create_user_with_key(iam)
    temp = session_creds(sts_for(server, creds).get_session_token(DurationSeconds=900))
    tok = temp.session_token
    mid = len(tok) // 2
    flipped = tok[:mid] + ("A" if tok[mid] != "A" else "B") + tok[mid + 1 :]
    for bad in (flipped, tok[:-4], tok + "AAAA", "not-a-token"):
        with raises_aws("InvalidClientTokenId", status=403, message_prefix=INVALID_TOKEN_PREFIX):
            sts_for(server, Creds(temp.access_key_id, temp.secret_access_key, bad)).get_caller_identity()
    # Without the token, the temporary key id is unknown.
    with raises_aws("InvalidClientTokenId", status=403, message_prefix=INVALID_TOKEN_PREFIX):
        sts_for(server, Creds(temp.access_key_id, temp.secret_access_key)).get_caller_identity()
    # A token from another session does not go with this key id.
    other = session_creds(sts_for(server, creds).get_session_token(DurationSeconds=900))
    with pytest.raises(Exception) as exc:
        sts_for(server, Creds(temp.access_key_id, temp.secret_access_key, other.session_token)).get_caller_identity()
    assert exc.value.response["Error"]["Code"] in ("InvalidClientTokenId", "SignatureDoesNotMatch")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Wrong secret with a valid token.
    with raises_aws("SignatureDoesNotMatch", status=403):
        sts_for(server, Creds(temp.access_key_id, "x" * 40, temp.session_token)).get_caller_identity()
    # The untouched credentials still work.
    assert sts_for(server, temp).get_caller_identity()["Account"] == ACCOUNT_ID


@pytest.mark.skipif(
    FAKETIME_LIB is None,
    reason="ExpiredToken needs a session older than its DurationSeconds (>= 900 s); without libfaketime "
    "(Debian package libfaketime) the server's clock cannot be moved forward",
)
def test_expired_session_token(warden_factory):
    """A 900 s GetSessionToken session used 1,000 s later: ExpiredToken (403, "The security token
    included in the request is expired", aws-wire-facts.md). The server restarts with its clock
    1,000 s ahead and requests are signed for that time, so only the token's age differs."""
    w = warden_factory()
    _, creds = create_user_with_key(w.client("iam"))
    me = sts_for(w, creds)
    short = session_creds(me.get_session_token(DurationSeconds=900))
    long = session_creds(me.get_session_token(DurationSeconds=3600))
    later = restart_clock_ahead(w, 1000)
    caller = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    r = signed_call(w.url, "sts", caller, short, when=later)
    assert r.status == 403, r.body[:300]
    code, msg = r.error()
    assert code == "ExpiredToken", (code, msg)
    assert msg.rstrip(".") == "The security token included in the request is expired", msg
    ok = signed_call(w.url, "sts", caller, long, when=later)
    assert ok.status == 200, ok.body[:300]


def test_mfa_session(server, iam):
    user, creds = create_user_with_key(iam)
    name = user["UserName"]
    iam.create_login_profile(UserName=name, Password="Mfa-Session-Passw0rd!")
    grant_change_own_password(iam, name)
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("sts-mfa"))["VirtualMFADevice"]
    seed, sn = dev["Base32StringSeed"], dev["SerialNumber"]
    c1, c2 = two_consecutive_codes(seed)
    iam.enable_mfa_device(UserName=name, SerialNumber=sn, AuthenticationCode1=c1, AuthenticationCode2=c2)
    me = sts_for(server, creds)

    with raises_aws("AccessDenied", status=403, message_prefix=MFA_FAILED) as e:
        me.get_session_token(SerialNumber=sn, TokenCode="000000" if totp(seed) != "000000" else "111111")
    assert e["message"].rstrip() == MFA_FAILED

    wait_next_window()  # the codes used to enable the device are spent
    r_code = totp(seed)
    r = me.get_session_token(SerialNumber=sn, TokenCode=r_code, DurationSeconds=900)
    temp = session_creds(r)
    assert ASIA_RE.match(temp.access_key_id)
    assert sts_for(server, temp).get_caller_identity()["Arn"] == user["Arn"]
    # With MFA, IAM calls pass the token check: self-service ChangePassword works,
    # anything else is the normal authorization decision (AccessDenied), not InvalidClientTokenId.
    mfa_iam = iam_for(server, temp)
    mfa_iam.change_password(OldPassword="Mfa-Session-Passw0rd!", NewPassword="Mfa-Session-Passw0rd!2")
    with raises_aws("AccessDenied", status=403):
        mfa_iam.list_users()
    # STS calls other than GetCallerIdentity/AssumeRole remain refused for session credentials.
    with raises_aws("AccessDenied", "Cannot call GetSessionToken with session credentials", 403):
        sts_for(server, temp).get_session_token()
    # A serial number that is not this user's device.
    with raises_aws("AccessDenied", status=403, message_prefix="MultiFactorAuthentication failed"):
        me.get_session_token(SerialNumber=f"arn:aws:iam::{ACCOUNT_ID}:mfa/not-my-device", TokenCode=totp(seed))
    # A one-time code cannot be used twice (AWS refuses a replayed TOTP code: rapid re-runs of
    # GetSessionToken within one 30 s window fail with this error, as aws-vault users report).
    if totp(seed) == r_code:
        with raises_aws("AccessDenied", status=403, message_prefix=MFA_FAILED):
            me.get_session_token(SerialNumber=sn, TokenCode=r_code)


def test_get_access_key_info(server, iam, sts):
    user, creds = create_user_with_key(iam)
    assert sts.get_access_key_info(AccessKeyId=creds.access_key_id)["Account"] == ACCOUNT_ID
    assert sts.get_access_key_info(AccessKeyId=ROOT.access_key_id)["Account"] == ACCOUNT_ID
    # Unlike GetCallerIdentity/GetSessionToken, its documentation does not say "no permissions
    # are required": a user needs sts:GetAccessKeyInfo.
    with raises_aws("AccessDenied", status=403, message_prefix=f"User: {user['Arn']} is not authorized to perform: sts:GetAccessKeyInfo"):
        sts_for(server, creds).get_access_key_info(AccessKeyId=ROOT.access_key_id)
    grant(iam, user["UserName"], ["sts:GetAccessKeyInfo"])
    assert sts_for(server, creds).get_access_key_info(AccessKeyId=ROOT.access_key_id)["Account"] == ACCOUNT_ID


def test_custom_account_id(warden_factory):
    w = warden_factory(account_id="111122223333")
    ident = w.client("sts").get_caller_identity()
    assert ident == {**ident, "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:root", "UserId": "111122223333"}
    iam = w.client("iam")
    u = iam.create_user(UserName="acct-user")["User"]
    assert u["Arn"] == "arn:aws:iam::111122223333:user/acct-user"
    k = iam.create_access_key(UserName="acct-user")["AccessKey"]
    assert w.client("sts").get_access_key_info(AccessKeyId=k["AccessKeyId"])["Account"] == "111122223333"


def test_cli_sts(aws, server, iam):
    user, creds = create_user_with_key(iam)
    rc, out, err = aws("sts", "get-caller-identity")
    assert rc == 0, err
    assert out == {"UserId": ACCOUNT_ID, "Account": ACCOUNT_ID, "Arn": ROOT_ARN}

    rc, out, err = aws("sts", "get-session-token", "--duration-seconds", "900", creds=creds)
    assert rc == 0, err
    c = out["Credentials"]
    assert ASIA_RE.match(c["AccessKeyId"])
    exp = dt.datetime.fromisoformat(c["Expiration"].replace("Z", "+00:00"))
    assert abs(exp.timestamp() - time.time() - 900) < 120
    temp = Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    rc, out, err = aws("sts", "get-caller-identity", creds=temp)
    assert rc == 0, err
    assert out["Arn"] == user["Arn"]

    res = aws("iam", "list-users", creds=temp)
    assert_cli_error(res, "InvalidClientTokenId", "ListUsers")
    assert INVALID_TOKEN_PREFIX in res.stderr

    res = aws("sts", "get-session-token", creds=temp)
    assert_cli_error(res, "AccessDenied", "GetSessionToken", "Cannot call GetSessionToken with session credentials")

    res = aws("sts", "get-session-token", "--duration-seconds", "200000", creds=creds)
    assert_cli_error(res, "ValidationError", "GetSessionToken")

    rc, out, err = aws("sts", "get-access-key-info", "--access-key-id", creds.access_key_id)
    assert rc == 0, err
    assert out == {"Account": ACCOUNT_ID}
