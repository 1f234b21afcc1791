"""The authorization API (docs/authorization-api.md): a service hands warden its client's SigV4
request material and the checks it needs; warden answers who signed and what is allowed.

Client requests are signed by botocore exactly as boto3 signs S3 calls (S3SigV4Auth, S3SigV4QueryAuth)
and never sent: the material goes to warden, as a service would pass it.

Sources of the expected answers (AWS, not warden):
* S3's authentication errors and their statuses: the S3 model's error table and the bodies recorded
  against AWS collected in /work/shared/reference/s3-authorization.md §1.7, §1.8, §7 (LocalStack's
  S3 snapshot suite `tests/aws/services/s3/test_s3.snapshot.json`, mountpoint-s3's quoted bodies):
  `SignatureDoesNotMatch` 403 "The request signature we calculated does not match the signature you
  provided. Check your key and signing method.", `InvalidAccessKeyId` 403, `InvalidToken` 400,
  `ExpiredToken` 400, `RequestTimeTooSkewed` 403, presigned expiry `AccessDenied` 403 "Request has
  expired".
* The Query API's (IAM/STS) `InvalidClientTokenId` 403 "The security token included in the request is
  invalid." (moto's tests, tests/test_sts; LocalStack's IAM snapshots).
* AccessDenied texts: IAM's wording ("... because no identity-based policy allows the ACTION action",
  "... with an explicit deny in a resource-based policy"), aws-wire-facts.md.
* Evaluation: same-account identity OR resource policy, cross-account both; an explicit deny wins;
  `s3:prefix` ListBucket example from the S3 User Guide (example-bucket-policies).
The API's own error texts (InvalidInput, SerializationException wording) are warden's.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import pytest
from e2e_util import (
    ACCOUNT_ID,
    ROOT,
    Creds,
    allow,
    create_user_with_key,
    creds_of,
    deny,
    free_port,
    make_client,
    member_session,
    new_organization,
    policy_doc,
    raw_request,
    unique,
    wait_until,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "authz-python"
sys.path.insert(0, str(EXAMPLE))
from warden_authz import WardenAuthz, WardenError, request_material  # noqa: E402

S3_HOST = "s3.example.test"
S3_SIG_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)


# --- client requests, signed by botocore as boto3 signs S3 calls -------------------------------


def _frozen(when: _dt.datetime | None):
    from unittest import mock
    import contextlib

    if when is None:
        return contextlib.nullcontext()
    naive = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: naive)


def s3_request(
    creds: Creds | None,
    method: str,
    path: str,
    query: str = "",
    *,
    presign: bool = False,
    expires: int = 300,
    when: _dt.datetime | None = None,
    body: bytes = b"",
) -> dict:
    """The material of an S3 request as the service received it. `creds=None`: unsigned."""
    url = f"http://{S3_HOST}{path}" + (f"?{query}" if query else "")
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
    if creds is not None:
        c = botocore.credentials.Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
        with _frozen(when):
            if presign:
                botocore.auth.S3SigV4QueryAuth(c, "s3", "us-east-1", expires=expires).add_auth(req)
            else:
                req.headers["X-Amz-Content-SHA256"] = botocore.auth.S3SigV4Auth(c, "s3", "us-east-1").payload(req)
                botocore.auth.S3SigV4Auth(c, "s3", "us-east-1").add_auth(req)
    prepared = req.prepare()
    u = urllib.parse.urlsplit(prepared.url)
    headers = [("Host", S3_HOST)] + list(prepared.headers.items())
    payload = dict(prepared.headers).get("X-Amz-Content-SHA256") or (
        "UNSIGNED-PAYLOAD" if presign else botocore.auth.EMPTY_SHA256_HASH
    )
    return request_material(method, u.path, u.query, headers, payload)


def check(action: str, resource: str, **extra) -> dict:
    return {"Action": action, "Resource": resource, **extra}


def get_object(bucket: str, key: str, **extra) -> dict:
    return check("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", ResourceAccount=ACCOUNT_ID, **extra)


def only(verdict: dict) -> dict:
    assert verdict["Authenticated"] is True, verdict
    assert len(verdict["Results"]) == 1, verdict
    return verdict["Results"][0]


# --- fixtures -----------------------------------------------------------------------------------

SERVICE_POLICY = policy_doc(
    allow("warden:Authorize", "arn:aws:s3:::*"),
    allow(
        ["warden:PutResourcePolicy", "warden:GetResourcePolicy", "warden:DeleteResourcePolicy"],
        "arn:aws:s3:::*",
    ),
)


def new_service(iam, policy: str | None = SERVICE_POLICY) -> tuple[dict, Creds]:
    user, creds = create_user_with_key(iam, unique("svc"))
    if policy:
        iam.put_user_policy(UserName=user["UserName"], PolicyName="authz", PolicyDocument=policy)
    return user, creds


@pytest.fixture(scope="module")
def svc(server, iam):
    _, creds = new_service(iam)
    return WardenAuthz(server.url, creds.access_key_id, creds.secret_access_key)


def user_allowed(iam, *statements) -> tuple[dict, Creds]:
    user, creds = create_user_with_key(iam, unique("alice"))
    if statements:
        iam.put_user_policy(UserName=user["UserName"], PolicyName="s3", PolicyDocument=policy_doc(*statements))
    return user, creds


# --- authorization of the calling service -------------------------------------------------------


def test_a_service_without_warden_authorize_cannot_ask_and_can_once_granted(server, iam):
    user, creds = new_service(iam, policy=None)
    authz = WardenAuthz(server.url, creds.access_key_id, creds.secret_access_key)
    material = s3_request(ROOT, "GET", "/photos/cat.jpg")
    with pytest.raises(WardenError) as e:
        authz.authorize(material, "s3", [get_object("photos", "cat.jpg")])
    assert (e.value.code, e.value.status) == ("AccessDeniedException", 400)
    assert e.value.message == (
        f"User: {user['Arn']} is not authorized to perform: warden:Authorize on resource: "
        "arn:aws:s3:::photos/cat.jpg because no identity-based policy allows the warden:Authorize action"
    )
    # Control: the same call once granted, scoped to S3's resources.
    iam.put_user_policy(UserName=user["UserName"], PolicyName="authz", PolicyDocument=SERVICE_POLICY)
    verdict = wait_until(lambda: _try(authz, material, [get_object("photos", "cat.jpg")]))
    assert verdict and verdict["Authenticated"] is True
    # Scoped to arn:aws:s3:::*, it may not ask about another service's resources.
    with pytest.raises(WardenError) as e:
        authz.authorize(material, "s3", [check("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/t")])
    assert e.value.code == "AccessDeniedException"


def _try(authz, material, checks):
    try:
        return authz.authorize(material, "s3", checks)
    except WardenError:
        return None


def test_warden_requested_action_limits_what_a_service_may_ask(server, iam):
    reader_only = policy_doc(
        allow("warden:Authorize", "*", Condition={"StringLike": {"warden:RequestedAction": "s3:Get*"}})
    )
    user, creds = new_service(iam, policy=reader_only)
    authz = WardenAuthz(server.url, creds.access_key_id, creds.secret_access_key)
    material = s3_request(ROOT, "PUT", "/photos/cat.jpg")
    with pytest.raises(WardenError) as e:
        authz.authorize(material, "s3", [check("s3:PutObject", "arn:aws:s3:::photos/cat.jpg")])
    assert e.value.code == "AccessDeniedException"
    assert "warden:Authorize on resource: arn:aws:s3:::photos/cat.jpg" in e.value.message
    # Control: the action the condition names.
    assert authz.authorize(material, "s3", [get_object("photos", "cat.jpg")])["Authenticated"] is True


def test_a_call_signed_for_another_service_or_unsigned_is_refused(server, svc):
    body = json.dumps({"ResourceArn": "arn:aws:s3:::photos"}).encode()
    r = raw_request(
        server.url,
        "POST",
        "/",
        body=body,
        headers={"X-Amz-Target": "WardenAuthorization.GetResourcePolicy", "Content-Type": "application/x-amz-json-1.1"},
    )
    assert r.status == 403, r.body
    assert json.loads(r.body)["__type"] == "MissingAuthenticationToken"
    other = WardenAuthz(server.url, svc.credentials.access_key, svc.credentials.secret_key)
    import warden_authz

    old = warden_authz.SCOPE_SERVICE
    warden_authz.SCOPE_SERVICE = "iam"
    try:
        with pytest.raises(WardenError) as e:
            other.get_resource_policy("arn:aws:s3:::photos")
    finally:
        warden_authz.SCOPE_SERVICE = old
    assert (e.value.code, e.value.status) == ("SignatureDoesNotMatch", 403)
    assert "Credential should be scoped to correct service: 'warden'" in e.value.message


# --- the five examples --------------------------------------------------------------------


def test_a_user_allowed_on_one_bucket_is_refused_on_another(iam, svc):
    user, creds = user_allowed(iam, allow("s3:GetObject", "arn:aws:s3:::reports/*"))
    ok = svc.authorize(s3_request(creds, "GET", "/reports/q1.csv"), "s3", [get_object("reports", "q1.csv")])
    r = only(ok)
    assert ok["Decision"] == "Allow" and r["Decision"] == "Allow"
    assert r["Statements"] == [
        # An inline policy is named by its holder's ARN and its name.
        {"PolicyType": "identity", "PolicyName": f"{user['Arn']}/s3", "StatementIndex": 0, "Effect": "Allow"}
    ]
    assert ok["Principal"]["Arn"] == user["Arn"] and ok["Principal"]["Type"] == "IAMUser"
    assert ok["Principal"]["Account"] == ACCOUNT_ID and ok["Principal"]["UserId"] == user["UserId"]
    assert ok["Principal"]["AccessKeyId"] == creds.access_key_id
    no = svc.authorize(s3_request(creds, "GET", "/payroll/q1.csv"), "s3", [get_object("payroll", "q1.csv")])
    r = only(no)
    assert no["Decision"] == "ImplicitDeny" and r["Decision"] == "ImplicitDeny"
    assert r["AccessDeniedMessage"] == (
        f"User: {user['Arn']} is not authorized to perform: s3:GetObject on resource: "
        "arn:aws:s3:::payroll/q1.csv because no identity-based policy allows the s3:GetObject action"
    )


def test_an_explicit_deny_in_a_bucket_policy_beats_an_identity_allow(iam, svc):
    user, creds = user_allowed(iam, allow("s3:*", "*"))
    material = s3_request(creds, "GET", "/vault/secret.txt")
    bucket_policy = policy_doc(
        {**deny("s3:GetObject", "arn:aws:s3:::vault/*"), "Sid": "NoReads", "Principal": {"AWS": user["Arn"]}}
    )
    r = only(svc.authorize(material, "s3", [get_object("vault", "secret.txt", ResourcePolicy=bucket_policy)]))
    assert r["Decision"] == "ExplicitDeny" and r["DecidedBy"] == "resource"
    assert r["ResourcePolicySource"] == "Request"
    assert {"PolicyType": "resource", "PolicyName": "resource policy", "Sid": "NoReads", "StatementIndex": 0, "Effect": "Deny"} in r["Statements"]
    assert r["AccessDeniedMessage"].endswith("with an explicit deny in a resource-based policy")
    # Control: without the bucket policy the identity allow decides.
    assert only(svc.authorize(material, "s3", [get_object("vault", "secret.txt")]))["Decision"] == "Allow"


def test_a_role_session_assumed_with_sts_reads_a_bucket(iam, svc):
    user, creds = user_allowed(iam, allow("sts:AssumeRole", "*"))
    role = iam.create_role(
        RoleName=unique("reader"),
        AssumeRolePolicyDocument=policy_doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
        ),
        Tags=[{"Key": "team", "Value": "data"}],
    )["Role"]
    sts = make_client("sts", iam.meta.endpoint_url, creds)
    assumed = wait_until(lambda: _assume(sts, role["Arn"]))
    session = creds_of(assumed)
    material = s3_request(session, "GET", "/lake/part-0.parquet")
    denied = svc.authorize(material, "s3", [get_object("lake", "part-0.parquet")])
    assert only(denied)["Decision"] == "ImplicitDeny"
    # Control: the role's permission.
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="read",
        PolicyDocument=policy_doc(allow("s3:GetObject", "arn:aws:s3:::lake/*")),
    )
    v = svc.authorize(material, "s3", [get_object("lake", "part-0.parquet")])
    assert only(v)["Decision"] == "Allow"
    p = v["Principal"]
    assert p["Type"] == "AssumedRole"
    assert p["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    assert p["UserId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]
    assert p["Tags"] == [{"Key": "team", "Value": "data"}]
    assert p["Session"]["MfaAuthenticated"] is False
    assert p["Session"]["Expiration"] == int(assumed["Credentials"]["Expiration"].timestamp())
    assert p["Session"]["IssuedAt"] <= time.time() + 1


def _assume(sts, arn):
    try:
        return sts.assume_role(RoleArn=arn, RoleSessionName="reader")
    except Exception:
        return None


def test_list_bucket_is_limited_by_s3_prefix_to_the_users_home(iam, svc):
    # The S3 User Guide's home-folder example.
    user, creds = user_allowed(
        iam,
        allow(
            "s3:ListBucket",
            "arn:aws:s3:::home-dirs",
            Condition={"StringLike": {"s3:prefix": ["home/${aws:username}/*", "home/${aws:username}/"]}},
        ),
    )
    name = user["UserName"]

    def listing(prefix: str) -> dict:
        q = urllib.parse.urlencode({"list-type": "2", "prefix": prefix})
        material = s3_request(creds, "GET", "/home-dirs", q)
        c = check(
            "s3:ListBucket",
            "arn:aws:s3:::home-dirs",
            ResourceAccount=ACCOUNT_ID,
            Keys=[{"Key": "s3:prefix", "Values": [prefix]}],
        )
        return only(svc.authorize(material, "s3", [c]))

    assert listing(f"home/{name}/")["Decision"] == "Allow"
    assert listing(f"home/{name}/photos/")["Decision"] == "Allow"
    denied = listing("home/someone-else/")
    assert denied["Decision"] == "ImplicitDeny"
    assert "s3:ListBucket on resource: arn:aws:s3:::home-dirs" in denied["AccessDeniedMessage"]


def test_a_bucket_policy_grants_a_role_in_another_account_and_scps_and_rcps_bind(warden_factory):
    w = warden_factory()
    world = new_organization(w)
    member = world["member"]
    session, session_arn = member_session(w, world)  # OrganizationAccountAccessRole: AdministratorAccess
    iam = w.client("iam")
    _, svc_creds = new_service(iam)
    authz = WardenAuthz(w.url, svc_creds.access_key_id, svc_creds.secret_access_key)
    role_arn = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    material = s3_request(session, "GET", "/shared/data.csv")
    # The bucket is the management account's: the member's identity allow alone does not reach it.
    r = only(authz.authorize(material, "s3", [get_object("shared", "data.csv")]))
    assert r["Decision"] == "ImplicitDeny"
    grant = policy_doc({**allow("s3:GetObject", "arn:aws:s3:::shared/*"), "Principal": {"AWS": role_arn}})
    v = authz.authorize(material, "s3", [get_object("shared", "data.csv", ResourcePolicy=grant)])
    assert only(v)["Decision"] == "Allow"
    assert v["Principal"]["Account"] == member and v["Principal"]["Arn"] == session_arn
    # An SCP on the member denies it whatever the bucket policy says.
    orgs = world["orgs"]
    orgs.enable_policy_type(RootId=world["root"]["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    scp = orgs.create_policy(
        Name=unique("no-s3"),
        Description="",
        Type="SERVICE_CONTROL_POLICY",
        Content=policy_doc(deny("s3:GetObject")),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp, TargetId=member)
    r = wait_until(
        lambda: (
            x := only(authz.authorize(material, "s3", [get_object("shared", "data.csv", ResourcePolicy=grant)]))
        )["Decision"]
        != "Allow"
        and x
    )
    assert r["Decision"] == "ExplicitDeny" and r["DecidedBy"] == "scp", r
    # Control: detached, allowed again.
    orgs.detach_policy(PolicyId=scp, TargetId=member)
    r = wait_until(
        lambda: (
            x := only(authz.authorize(material, "s3", [get_object("shared", "data.csv", ResourcePolicy=grant)]))
        )["Decision"]
        == "Allow"
        and x
    )
    assert r and r["Decision"] == "Allow"
    # An RCP on the member binds its buckets, even for a principal the bucket policy grants.
    admin = Creds(world["admin_creds"].access_key_id, world["admin_creds"].secret_access_key)
    mgmt_material = s3_request(admin, "GET", "/member-bucket/x")
    open_to_mgmt = policy_doc(
        {**allow("s3:GetObject", "arn:aws:s3:::member-bucket/*"), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}}
    )
    member_check = check(
        "s3:GetObject", "arn:aws:s3:::member-bucket/x", ResourceAccount=member, ResourcePolicy=open_to_mgmt
    )
    assert only(authz.authorize(mgmt_material, "s3", [member_check]))["Decision"] == "Allow"
    orgs.enable_policy_type(RootId=world["root"]["Id"], PolicyType="RESOURCE_CONTROL_POLICY")
    rcp = orgs.create_policy(
        Name=unique("no-outsiders"),
        Description="",
        Type="RESOURCE_CONTROL_POLICY",
        Content=policy_doc(
            {**deny("s3:*"), "Principal": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": member}}}
        ),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=rcp, TargetId=member)
    r = wait_until(
        lambda: (x := only(authz.authorize(mgmt_material, "s3", [member_check])))["Decision"] != "Allow" and x
    )
    assert r["Decision"] == "ExplicitDeny" and r["DecidedBy"] == "rcp", r


# --- anonymous requests ---------------------------------------------------------------------------


def test_an_unsigned_request_is_anonymous_and_only_a_public_policy_allows_it(svc):
    material = s3_request(None, "GET", "/website/index.html")
    v = svc.authorize(material, "s3", [get_object("website", "index.html")])
    assert v["Authenticated"] is True and v["Principal"] == {"Type": "Anonymous"}
    assert only(v)["Decision"] == "ImplicitDeny"
    public = policy_doc({**allow("s3:GetObject", "arn:aws:s3:::website/*"), "Principal": "*"})
    v = svc.authorize(material, "s3", [get_object("website", "index.html", ResourcePolicy=public)])
    assert only(v)["Decision"] == "Allow"
    # A policy naming an account is not public.
    named = policy_doc({**allow("s3:GetObject", "arn:aws:s3:::website/*"), "Principal": {"AWS": ACCOUNT_ID}})
    v = svc.authorize(material, "s3", [get_object("website", "index.html", ResourcePolicy=named)])
    assert only(v)["Decision"] == "ImplicitDeny"


# --- signature, key, token and time failures are verdicts, not errors of the call ----------------


def test_a_tampered_signature_is_s3s_signature_does_not_match(iam, svc):
    _, creds = user_allowed(iam, allow("s3:GetObject", "*"))
    material = s3_request(creds, "GET", "/photos/cat.jpg")
    # Control: untouched, it authenticates and is allowed.
    assert svc.authorize(material, "s3", [get_object("photos", "cat.jpg")])["Decision"] == "Allow"
    material["Path"] = "/photos/dog.jpg"
    v = svc.authorize(material, "s3", [get_object("photos", "dog.jpg")])
    assert v["Authenticated"] is False and v["Decision"] == "ImplicitDeny" and v["Results"] == []
    assert v["Error"] == {"Code": "SignatureDoesNotMatch", "Message": S3_SIG_MISMATCH, "HttpStatus": 403}
    # The body hash is part of the signature too.
    material = s3_request(creds, "PUT", "/photos/cat.jpg", body=b"meow")
    material["PayloadHash"] = "0" * 64
    v = svc.authorize(material, "s3", [check("s3:PutObject", "arn:aws:s3:::photos/cat.jpg")])
    assert v["Error"]["Code"] == "SignatureDoesNotMatch"


def test_unknown_keys_and_wrong_session_tokens_get_the_signing_services_codes(iam, server, svc):
    material = s3_request(Creds("AKIAUNKNOWNKEY000000", "x" * 40), "GET", "/photos/cat.jpg")
    v = svc.authorize(material, "s3", [get_object("photos", "cat.jpg")])
    assert v["Error"] == {
        "Code": "InvalidAccessKeyId",
        "Message": "The AWS Access Key Id you provided does not exist in our records.",
        "HttpStatus": 403,
    }
    # Signed for s3 but presented as another service's request: the Query API's scope error.
    v = svc.authorize(material, "execute-api", [get_object("photos", "cat.jpg")])
    assert v["Error"] == {
        "Code": "SignatureDoesNotMatch",
        "Message": "Credential should be scoped to correct service: 'execute-api'. ",
        "HttpStatus": 403,
    }
    # A session key with another token.
    _, creds = user_allowed(iam, allow("s3:GetObject", "*"))
    sts = make_client("sts", server.url, creds)
    session = creds_of(sts.get_session_token())
    good = s3_request(session, "GET", "/photos/cat.jpg")
    assert svc.authorize(good, "s3", [get_object("photos", "cat.jpg")])["Decision"] == "Allow"
    other = creds_of(sts.get_session_token())
    forged = s3_request(
        Creds(session.access_key_id, session.secret_access_key, other.session_token), "GET", "/photos/cat.jpg"
    )
    v = svc.authorize(forged, "s3", [get_object("photos", "cat.jpg")])
    assert v["Error"] == {
        "Code": "InvalidToken",
        "Message": "The provided token is malformed or otherwise invalid.",
        "HttpStatus": 400,
    }


def test_unknown_key_for_a_query_api_service_is_invalid_client_token_id(svc):
    url = "http://sqs.example.test/"
    req = botocore.awsrequest.AWSRequest(method="POST", url=url, data=b"Action=ListQueues")
    c = botocore.credentials.Credentials("AKIAUNKNOWNKEY000000", "x" * 40)
    botocore.auth.SigV4Auth(c, "sqs", "us-east-1").add_auth(req)
    p = req.prepare()
    material = request_material(
        "POST",
        "/",
        "",
        [("Host", "sqs.example.test")] + list(p.headers.items()),
        botocore.auth.SigV4Auth(c, "sqs", "us-east-1").payload(req),
    )
    # (The module's service may only ask about S3 resources, hence the ARN.)
    v = svc.authorize(material, "sqs", [check("sqs:ListQueues", "arn:aws:s3:::not-really")])
    assert v["Error"] == {
        "Code": "InvalidClientTokenId",
        "Message": "The security token included in the request is invalid.",
        "HttpStatus": 403,
    }


def test_clock_skew_and_presigned_expiry(iam, svc):
    _, creds = user_allowed(iam, allow("s3:GetObject", "*"))
    past = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=20)
    v = svc.authorize(s3_request(creds, "GET", "/photos/a", when=past), "s3", [get_object("photos", "a")])
    assert v["Error"] == {
        "Code": "RequestTimeTooSkewed",
        "Message": "The difference between the request time and the current time is too large.",
        "HttpStatus": 403,
    }
    # A presigned URL within its lifetime is allowed (signed 20 minutes ago, valid for an hour).
    url = s3_request(creds, "GET", "/photos/a", presign=True, expires=3600, when=past)
    assert url["PayloadHash"] == "UNSIGNED-PAYLOAD"
    assert svc.authorize(url, "s3", [get_object("photos", "a")])["Decision"] == "Allow"
    # An x-amz-* header the presigned signature does not cover is refused (S3's recorded answer).
    smuggled = dict(url, Headers=url["Headers"] + [{"Name": "x-amz-acl", "Value": "public-read"}])
    v = svc.authorize(smuggled, "s3", [get_object("photos", "a")])
    assert v["Error"] == {
        "Code": "AccessDenied",
        "Message": "There were headers present in the request which were not signed",
        "HttpStatus": 403,
    }
    # After it, "Request has expired".
    expired = s3_request(creds, "GET", "/photos/a", presign=True, expires=60, when=past)
    v = svc.authorize(expired, "s3", [get_object("photos", "a")])
    assert v["Error"] == {"Code": "AccessDenied", "Message": "Request has expired", "HttpStatus": 403}


def test_an_expired_session_token_is_expired_token(warden_factory):
    from e2e_util import FAKETIME_LIB, restart_clock_ahead

    if FAKETIME_LIB is None:
        pytest.skip("needs libfaketime")
    w = warden_factory()
    iam = w.client("iam")
    _, svc_creds = new_service(iam)
    _, creds = user_allowed(iam, allow("s3:GetObject", "*"))
    session = creds_of(make_client("sts", w.url, creds).get_session_token(DurationSeconds=900))
    future = restart_clock_ahead(w, 3600)
    authz = WardenAuthz(w.url, svc_creds.access_key_id, svc_creds.secret_access_key)
    import unittest.mock as mock

    naive = future.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: naive):
        material = s3_request(session, "GET", "/photos/a")
        v = authz.authorize(material, "s3", [get_object("photos", "a")])
    assert v["Error"] == {"Code": "ExpiredToken", "Message": "The provided token has expired.", "HttpStatus": 400}


# --- errors of the call --------------------------------------------------------------------------


def test_errors_of_the_call_are_aws_json_errors(server, svc):
    material = s3_request(ROOT, "GET", "/photos/a")
    with pytest.raises(WardenError) as e:
        svc.call("Authorize", {"Request": material, "SigningService": "s3", "Checks": [], "Bogus": 1})
    assert (e.value.code, e.value.status) == ("SerializationException", 400)
    with pytest.raises(WardenError) as e:
        svc.authorize(material, "s3", [])
    assert (e.value.code, e.value.status) == ("InvalidInput", 400)
    with pytest.raises(WardenError) as e:
        svc.authorize(
            material,
            "s3",
            [get_object("photos", "a", Keys=[{"Key": "aws:PrincipalOrgID", "Values": ["o-forged"]}])],
        )
    assert (e.value.code, e.value.status) == ("InvalidInput", 400)
    assert "aws:PrincipalOrgID" in e.value.message
    # Nor as a request-wide key.
    with pytest.raises(WardenError) as e:
        svc.authorize(material, "s3", [get_object("photos", "a")], keys=[{"Key": "aws:PrincipalTag/team", "Values": ["x"]}])
    assert (e.value.code, e.value.status) == ("InvalidInput", 400)
    with pytest.raises(WardenError) as e:
        svc.authorize(material, "s3", [get_object("photos", "a", ResourcePolicy="{not json")])
    assert (e.value.code, e.value.status) == ("MalformedPolicyDocument", 400)
    with pytest.raises(WardenError) as e:
        svc.call("Frobnicate", {})
    assert e.value.code == "UnknownOperationException"
    # Raw bad JSON.
    with pytest.raises(WardenError) as e:
        svc.call("Authorize", "not an object")  # type: ignore[arg-type]
    assert e.value.code == "SerializationException"


# --- stored resource policies ---------------------------------------------------------------------

PUBLIC_READ = policy_doc({**allow("s3:GetObject", "arn:aws:s3:::stored-site/*"), "Principal": "*"})


def test_stored_policies_are_validated_used_by_authorize_and_deleted(svc):
    arn = "arn:aws:s3:::stored-site"
    with pytest.raises(WardenError) as e:
        svc.get_resource_policy(arn)
    assert (e.value.code, e.value.status) == ("NoSuchEntity", 404)
    with pytest.raises(WardenError) as e:
        svc.put_resource_policy(arn, policy_doc(allow("s3:GetObject")))  # no Principal
    assert (e.value.code, e.value.status) == ("MalformedPolicyDocument", 400)
    with pytest.raises(WardenError) as e:
        svc.put_resource_policy("arn:aws:s3:::wild*", PUBLIC_READ)
    assert (e.value.code, e.value.status) == ("InvalidInput", 400)
    anonymous = s3_request(None, "GET", "/stored-site/index.html")
    c = get_object("stored-site", "index.html", ResourcePolicyArn=arn)
    r = only(svc.authorize(anonymous, "s3", [c]))
    assert (r["Decision"], r["ResourcePolicySource"]) == ("ImplicitDeny", "None")
    svc.put_resource_policy(arn, PUBLIC_READ)
    got = svc.get_resource_policy(arn)
    assert got["ResourceArn"] == arn and got["Policy"] == PUBLIC_READ
    assert abs(got["LastUpdated"] - time.time()) < 60
    r = only(svc.authorize(anonymous, "s3", [c]))
    assert (r["Decision"], r["ResourcePolicySource"]) == ("Allow", "Stored")
    # A policy passed with the check wins over the stored one.
    private = policy_doc({**deny("s3:*", "*"), "Principal": "*"})
    r = only(svc.authorize(anonymous, "s3", [get_object("stored-site", "index.html", ResourcePolicy=private)]))
    assert (r["Decision"], r["ResourcePolicySource"]) == ("ExplicitDeny", "Request")
    svc.delete_resource_policy(arn)
    with pytest.raises(WardenError) as e:
        svc.delete_resource_policy(arn)
    assert e.value.code == "NoSuchEntity"
    assert only(svc.authorize(anonymous, "s3", [c]))["Decision"] == "ImplicitDeny"


def test_storing_a_policy_needs_warden_put_resource_policy(server, iam):
    only_authorize = policy_doc(allow("warden:Authorize", "arn:aws:s3:::*"))
    user, creds = new_service(iam, policy=only_authorize)
    authz = WardenAuthz(server.url, creds.access_key_id, creds.secret_access_key)
    arn = "arn:aws:s3:::" + unique("b")
    with pytest.raises(WardenError) as e:
        authz.put_resource_policy(arn, PUBLIC_READ)
    assert e.value.code == "AccessDeniedException"
    assert e.value.message == (
        f"User: {user['Arn']} is not authorized to perform: warden:PutResourcePolicy on resource: {arn} "
        "because no identity-based policy allows the warden:PutResourcePolicy action"
    )
    # Control.
    iam.put_user_policy(UserName=user["UserName"], PolicyName="authz", PolicyDocument=SERVICE_POLICY)
    assert wait_until(lambda: _put(authz, arn))


def _put(authz, arn):
    try:
        authz.put_resource_policy(arn, PUBLIC_READ)
        return True
    except WardenError:
        return False


def test_stored_policies_survive_a_restart(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    _, creds = new_service(w.client("iam"))
    authz = WardenAuthz(w.url, creds.access_key_id, creds.secret_access_key)
    authz.put_resource_policy("arn:aws:s3:::stored-site", PUBLIC_READ)
    w.stop()
    w.start()
    assert authz.get_resource_policy("arn:aws:s3:::stored-site")["Policy"] == PUBLIC_READ
    anonymous = s3_request(None, "GET", "/stored-site/index.html")
    c = get_object("stored-site", "index.html", ResourcePolicyArn="arn:aws:s3:::stored-site")
    assert only(authz.authorize(anonymous, "s3", [c]))["Decision"] == "Allow"


# --- the Python example service, for real: boto3 -> example service -> warden --------------------


@pytest.fixture
def example_service(server, iam):
    _, svc_creds = new_service(iam)
    port = free_port()
    env = dict(
        os.environ,
        WARDEN_SERVICE_ACCESS_KEY_ID=svc_creds.access_key_id,
        WARDEN_SERVICE_SECRET_ACCESS_KEY=svc_creds.secret_access_key,
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            str(EXAMPLE / "service.py"),
            "--listen",
            f"127.0.0.1:{port}",
            "--warden",
            server.url,
            "--bucket",
            f"team-bucket={ACCOUNT_ID}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert "listening" in line, line
        yield f"http://127.0.0.1:{port}", WardenAuthz(server.url, svc_creds.access_key_id, svc_creds.secret_access_key)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def s3_client(url: str, creds: Creds | None):
    cfg = botocore.config.Config(
        signature_version="s3v4" if creds is not None else botocore.UNSIGNED,
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    kw = {} if creds is None else dict(aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key)
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", config=cfg, **kw)


def test_the_python_example_service_enforces_warden_for_boto3(example_service, iam):
    url, authz = example_service
    writer, writer_creds = user_allowed(iam, allow(["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::team-bucket/*"))
    reader, reader_creds = user_allowed(iam)
    w = s3_client(url, writer_creds)
    w.put_object(Bucket="team-bucket", Key="notes/a.txt", Body=b"hello")
    assert w.get_object(Bucket="team-bucket", Key="notes/a.txt")["Body"].read() == b"hello"
    r = s3_client(url, reader_creds)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        r.get_object(Bucket="team-bucket", Key="notes/a.txt")
    err = e.value.response
    assert err["Error"]["Code"] == "AccessDenied" and err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "s3:GetObject on resource: arn:aws:s3:::team-bucket/notes/a.txt" in err["Error"]["Message"]
    # Control: a bucket policy stored in warden lets the reader in.
    authz.put_resource_policy(
        "arn:aws:s3:::team-bucket",
        policy_doc({**allow("s3:GetObject", "arn:aws:s3:::team-bucket/notes/*"), "Principal": {"AWS": reader["Arn"]}}),
    )
    assert r.get_object(Bucket="team-bucket", Key="notes/a.txt")["Body"].read() == b"hello"
    # A presigned URL from boto3 works through the service; a tampered one does not.
    presigned = w.generate_presigned_url("get_object", Params={"Bucket": "team-bucket", "Key": "notes/a.txt"})
    u = urllib.parse.urlsplit(presigned)
    ok = raw_request(url, "GET", f"{u.path}?{u.query}")
    assert (ok.status, ok.body) == (200, b"hello"), (presigned, ok.body)
    bad = raw_request(url, "GET", f"{u.path}?{u.query}".replace("a.txt", "b.txt"))
    assert bad.status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in bad.body
    # A Signature Version 2 URL is refused, not taken for an anonymous request.
    v2 = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=writer_creds.access_key_id,
        aws_secret_access_key=writer_creds.secret_access_key,
        config=botocore.config.Config(signature_version="s3", s3={"addressing_style": "path"}),
    ).generate_presigned_url("get_object", Params={"Bucket": "team-bucket", "Key": "notes/a.txt"})
    u = urllib.parse.urlsplit(v2)
    assert "Signature=" in u.query and "X-Amz-Signature" not in u.query
    refused = raw_request(url, "GET", f"{u.path}?{u.query}")
    assert refused.status == 400 and b"<Code>InvalidRequest</Code>" in refused.body
    # Anonymous boto3 is refused, as no public policy allows it.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3_client(url, None).get_object(Bucket="team-bucket", Key="notes/a.txt")
    assert e.value.response["Error"]["Code"] == "AccessDenied"


# --- the Rust client crate's example, for real ----------------------------------------------------


def rust_example() -> str:
    """crates/warden-authz-client's `authorize` example, built beside the warden binary under test."""
    bin_dir = Path(os.environ.get("WARDEN_BIN", "target/debug/warden")).resolve().parent
    exe = bin_dir / "examples" / "authorize"
    if not exe.exists():
        subprocess.run(
            ["cargo", "build", "-p", "warden-authz-client", "--example", "authorize"],
            cwd=Path(__file__).resolve().parents[2],
            env=dict(os.environ, CARGO_TARGET_DIR=str(bin_dir.parent)),
            check=True,
        )
    return str(exe)


def test_the_rust_client_example_asks_warden(server, iam):
    _, svc_creds = new_service(iam)
    user, creds = user_allowed(iam, allow("s3:GetObject", "arn:aws:s3:::rusty/*"))
    addr = server.url.removeprefix("http://")

    def run(bucket: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                rust_example(),
                addr,
                svc_creds.access_key_id,
                svc_creds.secret_access_key,
                creds.access_key_id,
                creds.secret_access_key,
                bucket,
                "crab.txt",
                ACCOUNT_ID,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    allowed = run("rusty")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert user["Arn"] in allowed.stdout and 'decision: "Allow"' in allowed.stdout
    denied = run("other")
    assert denied.returncode == 1, denied.stdout + denied.stderr
    assert "because no identity-based policy allows the s3:GetObject action" in denied.stdout
    # A service without warden:Authorize gets the call's error.
    _, bare = new_service(iam, policy=None)
    r = subprocess.run(
        [rust_example(), addr, bare.access_key_id, bare.secret_access_key, creds.access_key_id, creds.secret_access_key, "rusty", "crab.txt", ACCOUNT_ID],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "AccessDeniedException (400)" in r.stderr, r.stderr


def test_request_keys_reach_the_decision(iam, svc):
    # aws:RequestedRegion comes from the client's credential scope; aws:SourceIp from the service.
    _, creds = user_allowed(
        iam,
        allow(
            "s3:GetObject",
            "arn:aws:s3:::keyed/*",
            Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        ),
    )
    material = s3_request(creds, "GET", "/keyed/a")

    def decide(ip: str) -> str:
        v = svc.authorize(material, "s3", [get_object("keyed", "a")], keys=[{"Key": "aws:SourceIp", "Values": [ip]}])
        return only(v)["Decision"]

    assert decide("203.0.113.7") == "Allow"
    assert decide("198.51.100.1") == "ImplicitDeny"
    # A region the client did not sign for.
    _, other = user_allowed(
        iam, allow("s3:GetObject", "arn:aws:s3:::keyed/*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    )
    v = svc.authorize(s3_request(other, "GET", "/keyed/a"), "s3", [get_object("keyed", "a")])
    assert only(v)["Decision"] == "ImplicitDeny"


def test_a_denial_carries_a_message_only_its_principals_account_can_decode(warden_factory):
    """STS DecodeAuthorizationMessage (its API reference): the message tells whether an explicit deny
    decided, the principal, action, resource and condition keys; decoding needs
    sts:DecodeAuthorizationMessage. warden seals it for the principal's account."""
    w = warden_factory()
    world = new_organization(w)
    iam = w.client("iam")
    _, svc_creds = new_service(iam)
    authz = WardenAuthz(w.url, svc_creds.access_key_id, svc_creds.secret_access_key)
    user, creds = user_allowed(iam, allow("s3:GetObject", "arn:aws:s3:::open/*"), deny("s3:GetObject", "arn:aws:s3:::open/secret*"))
    denied = only(authz.authorize(
        s3_request(creds, "GET", "/open/secret.txt"), "s3",
        [get_object("open", "secret.txt", Keys=[{"Key": "s3:ExistingObjectTag/team", "Values": ["blue"]}])],
    ))
    assert denied["Decision"] == "ExplicitDeny"
    encoded = denied["EncodedMessage"]
    # An allowed check carries none.
    allowed = only(authz.authorize(s3_request(creds, "GET", "/open/a.txt"), "s3", [get_object("open", "a.txt")]))
    assert allowed["Decision"] == "Allow" and "EncodedMessage" not in allowed
    # The principal may decode it once allowed to (control: refused before).
    sts = make_client("sts", w.url, creds)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.decode_authorization_message(EncodedMessage=encoded)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    iam.put_user_policy(
        UserName=user["UserName"], PolicyName="decode", PolicyDocument=policy_doc(allow("sts:DecodeAuthorizationMessage"))
    )
    doc = json.loads(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert (doc["allowed"], doc["explicitDeny"]) == (False, True)
    assert doc["context"]["principal"] == {"id": user["UserId"], "name": user["UserName"], "arn": user["Arn"]}
    assert (doc["context"]["action"], doc["context"]["resource"]) == ("s3:GetObject", "arn:aws:s3:::open/secret.txt")
    assert doc["context"]["conditions"]["items"] == [
        {"key": "s3:ExistingObjectTag/team", "values": {"items": [{"value": "blue"}]}}
    ]
    assert [s["effect"] for s in doc["matchedStatements"]["items"]] == ["DENY"]
    # Another account's administrator cannot read it, even allowed to decode.
    member_creds, _ = member_session(w, world)
    other = make_client("sts", w.url, member_creds)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.decode_authorization_message(EncodedMessage=encoded)
    assert e.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"
    # Nor is an altered message opened.
    altered = encoded[:-2] + ("AA" if not encoded.endswith("AA") else "BB")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.decode_authorization_message(EncodedMessage=altered)
    assert e.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"


# --- S3's one authenticator (shared with the gateway): unsigned headers and the scope's region ---


def test_an_unsigned_amz_header_is_refused_in_header_auth_too(iam, svc):
    """S3 refuses an `x-amz-*` header its signature does not cover in both forms: recorded for
    presigned URLs (LocalStack `TestS3PresignedUrl`), and quoted from S3 for a header-signed
    ListObjectsV2 carrying an unsigned `x-amz-acl` (englacial/zagg, issue #522)."""
    _, creds = user_allowed(iam, allow("s3:GetObject", "*"))
    material = s3_request(creds, "GET", "/photos/a")
    # Control: as signed, it authenticates and is allowed.
    assert svc.authorize(material, "s3", [get_object("photos", "a")])["Decision"] == "Allow"
    smuggled = dict(material, Headers=material["Headers"] + [{"Name": "X-Amz-Acl", "Value": "public-read"}])
    v = svc.authorize(smuggled, "s3", [get_object("photos", "a")])
    assert v["Authenticated"] is False and v["Results"] == []
    assert v["Error"] == {
        "Code": "AccessDenied",
        "Message": "There were headers present in the request which were not signed",
        "HttpStatus": 403,
    }


def test_a_credential_scoped_to_another_region_is_s3s_authorization_header_malformed(iam, svc):
    """S3's recorded text (LocalStack `TestS3::test_create_bucket_aws_global`, reference §1.8)."""
    _, creds = user_allowed(iam, allow("s3:GetObject", "*"))
    material = s3_request(creds, "GET", "/photos/a")
    # Control: the region it was signed for.
    assert svc.authorize(material, "s3", [get_object("photos", "a")], signing_region="us-east-1")["Decision"] == "Allow"
    v = svc.authorize(material, "s3", [get_object("photos", "a")], signing_region="eu-west-1")
    assert v["Error"] == {
        "Code": "AuthorizationHeaderMalformed",
        "Message": "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        "HttpStatus": 400,
    }
    url = s3_request(creds, "GET", "/photos/a", presign=True)
    assert svc.authorize(url, "s3", [get_object("photos", "a")], signing_region="us-east-1")["Decision"] == "Allow"
    v = svc.authorize(url, "s3", [get_object("photos", "a")], signing_region="eu-west-1")
    assert v["Error"] == {
        "Code": "AuthorizationQueryParametersError",
        "Message": "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        "HttpStatus": 400,
    }


def test_a_service_may_pass_existing_object_tags_itself(iam, svc):
    """`s3:ExistingObjectTag/<key>` is the resource's, which the service knows and warden does not:
    a service passes it with the check (only the principal's keys are warden's to derive)."""
    _, creds = user_allowed(
        iam,
        allow(
            "s3:GetObject",
            "arn:aws:s3:::tagged/*",
            Condition={"StringEquals": {"s3:ExistingObjectTag/classification": "public"}},
        ),
    )
    material = s3_request(creds, "GET", "/tagged/a")

    def decide(*tags: tuple[str, str], policy: str | None = None) -> str:
        keys = [{"Key": f"s3:ExistingObjectTag/{k}", "Values": [v]} for k, v in tags]
        extra = {"Keys": keys}
        if policy:
            extra["ResourcePolicy"] = policy
        return only(svc.authorize(material, "s3", [get_object("tagged", "a", **extra)]))["Decision"]

    assert decide(("classification", "public")) == "Allow"
    assert decide(("classification", "secret")) == "ImplicitDeny"
    assert decide() == "ImplicitDeny"
    deny_secret = policy_doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::tagged/*",
            "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "red"}},
        }
    )
    assert decide(("classification", "public"), ("team", "red"), policy=deny_secret) == "ExplicitDeny"
    assert decide(("classification", "public"), ("team", "blue"), policy=deny_secret) == "Allow"
