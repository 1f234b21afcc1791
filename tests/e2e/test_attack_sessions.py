"""Attacks on sessions and credentials (issue 12, items 5, 6, 9, 11, 12, 15), each refused with AWS's
code and status, each next to a control: the same request, honestly permitted, succeeds.

Sources: IAM User Guide "Pass session tags in AWS STS" (GetFederationToken: "the session's principal tags
include the user's tags and the passed session tags"; sts:TagSession required; tag naming rules reserve
`aws:`); CreateRole's "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles"
(InvalidInput, recorded in tilfin/aws-iam-policy-tool#9); STS's wrong-MFA text as warden already answers
it; choices where AWS is silent are in docs/security-choices.md.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from botocore.exceptions import ClientError

from e2e_util import (
    allow,
    deny,
    ACCOUNT_ID,
    ROOT,
    create_user_with_key,
    creds_of,
    make_client,
    policy_doc,
    raises_aws,
    presigned_url,
    totp,
    two_consecutive_codes,
    unique,
    wait_next_window,
)

INVALID_TOKEN = "The security token included in the request is invalid."
BAD_MFA = "MultiFactorAuthentication failed with invalid MFA one time pass code."


def put_policy(iam, user: str, *statements: dict) -> None:
    iam.put_user_policy(UserName=user, PolicyName=unique("p"), PolicyDocument=policy_doc(*statements))


def delete_user_fully(iam, name: str) -> None:
    for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    for p in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=p)
    iam.delete_user(UserName=name)


def caller_arn(server, creds) -> str:
    return make_client("sts", server.url, creds).get_caller_identity()["Arn"]


# ---------------------------------------------------------------- item 5: federated users keep the user's tags


# Federated sessions may call no IAM API at all (AWS: GetFederationToken credentials "cannot call any IAM
# operations"), so the tag-keyed Deny is tested on organizations:DescribeOrganization, which the account
# (in no organization) answers with AWSOrganizationsNotInUseException once authorized.
ORG_ACTION = "organizations:DescribeOrganization"
FED_POLICY = policy_doc(allow(ORG_ACTION))


def describe_org_decision(server, creds) -> str:
    try:
        make_client("organizations", server.url, creds).describe_organization()
        return "allowed"
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code == "AWSOrganizationsNotInUseException":
            return "allowed"
        assert code in ("AccessDeniedException", "AccessDenied"), e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403), e.response
        return "denied"


def quarantine_user(iam, tags):
    """A user allowed DescribeOrganization and GetFederationToken, but denied the former while tagged
    quarantined=yes."""
    user, creds = create_user_with_key(iam, Tags=tags)
    put_policy(
        iam,
        user["UserName"],
        allow([ORG_ACTION, "sts:GetFederationToken"]),
        {
            "Effect": "Deny",
            "Action": ORG_ACTION,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/quarantined": "yes"}},
        },
    )
    return user, creds


def test_federated_session_is_bound_by_the_users_tag_deny(server, iam):
    _, creds = quarantine_user(iam, [{"Key": "quarantined", "Value": "yes"}])
    assert describe_org_decision(server, creds) == "denied"
    fed = creds_of(make_client("sts", server.url, creds).get_federation_token(Name="fed-q", Policy=FED_POLICY))
    assert describe_org_decision(server, fed) == "denied"


def test_control_untagged_users_federated_session_is_allowed(server, iam):
    _, creds = quarantine_user(iam, [{"Key": "team", "Value": "red"}])
    fed = creds_of(make_client("sts", server.url, creds).get_federation_token(Name="fed-ok", Policy=FED_POLICY))
    assert describe_org_decision(server, fed) == "allowed"


def test_federation_tags_need_tag_session_to_override_a_user_tag(server, iam):
    user, creds = quarantine_user(iam, [{"Key": "quarantined", "Value": "yes"}])
    sts = make_client("sts", server.url, creds)
    fed_arn = f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fed-o"
    with raises_aws(
        "AccessDenied",
        status=403,
        message_prefix=f"User: {user['Arn']} is not authorized to perform: sts:TagSession on resource: {fed_arn}",
    ):
        sts.get_federation_token(Name="fed-o", Policy=FED_POLICY, Tags=[{"Key": "Quarantined", "Value": "no"}])
    # Control: allowed to tag, the passed tag overrides the user's tag (any case), as AWS documents.
    put_policy(iam, user["UserName"], allow("sts:TagSession"))
    fed = creds_of(
        sts.get_federation_token(Name="fed-o", Policy=FED_POLICY, Tags=[{"Key": "Quarantined", "Value": "no"}])
    )
    assert describe_org_decision(server, fed) == "allowed"


# ---------------------------------------------------------------- item 6: reserved role path


def test_create_role_refuses_the_service_linked_path(iam):
    trust = policy_doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    for path in ["/aws-service-role/", "/aws-service-role/ec2.amazonaws.com/"]:
        with raises_aws(
            "InvalidInput", "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles", 400
        ):
            iam.create_role(RoleName=unique("slr"), Path=path, AssumeRolePolicyDocument=trust)
    # Control: an ordinary path works, and service-linked roles still come from CreateServiceLinkedRole.
    assert iam.create_role(RoleName=unique("r"), Path="/svc/", AssumeRolePolicyDocument=trust)["Role"]["Path"] == "/svc/"
    slr = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]
    assert slr["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"


# ---------------------------------------------------------------- item 11: sessions bound to unique ids


def recreate_user(iam, name: str):
    delete_user_fully(iam, name)
    return create_user_with_key(iam, name)


def test_federation_session_dies_with_its_user_even_if_the_name_returns(server, iam):
    user, creds = create_user_with_key(iam)
    put_policy(iam, user["UserName"], allow("sts:GetFederationToken"))
    fed = creds_of(make_client("sts", server.url, creds).get_federation_token(Name="fed-x"))
    assert caller_arn(server, fed).endswith(":federated-user/fed-x")
    _, new_creds = recreate_user(iam, user["UserName"])
    with raises_aws("InvalidClientTokenId", INVALID_TOKEN, 403):
        make_client("sts", server.url, fed).get_caller_identity()
    # Control: the new user's own federation session works.
    put_policy(iam, user["UserName"], allow("sts:GetFederationToken"))
    fresh = creds_of(make_client("sts", server.url, new_creds).get_federation_token(Name="fed-x"))
    assert caller_arn(server, fresh).endswith(":federated-user/fed-x")


def test_session_token_dies_with_its_user_even_if_the_name_returns(server, iam):
    user, creds = create_user_with_key(iam)
    sess = creds_of(make_client("sts", server.url, creds).get_session_token())
    assert caller_arn(server, sess) == user["Arn"]
    _, new_creds = recreate_user(iam, user["UserName"])
    with raises_aws("InvalidClientTokenId", INVALID_TOKEN, 403):
        make_client("sts", server.url, sess).get_caller_identity()
    fresh = creds_of(make_client("sts", server.url, new_creds).get_session_token())
    assert caller_arn(server, fresh) == user["Arn"]


def test_role_session_dies_with_its_role_even_if_the_name_returns(server, iam):
    user, creds = create_user_with_key(iam)
    put_policy(iam, user["UserName"], allow("sts:AssumeRole"))
    role = unique("role")
    trust = policy_doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"})
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    sts = make_client("sts", server.url, creds)
    old = creds_of(sts.assume_role(RoleArn=arn, RoleSessionName="s1"))
    assert ":assumed-role/" in caller_arn(server, old)
    iam.delete_role(RoleName=role)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    with raises_aws("InvalidClientTokenId", INVALID_TOKEN, 403):
        make_client("sts", server.url, old).get_caller_identity()
    fresh = creds_of(sts.assume_role(RoleArn=arn, RoleSessionName="s1"))
    assert ":assumed-role/" in caller_arn(server, fresh)


# ---------------------------------------------------------------- item 15: reserved session tag keys


RESERVED_TAG = "Tag keys starting with 'aws:' (case insensitive) are reserved for AWS use."


def test_reserved_session_tag_keys_are_refused(server, iam):
    user, creds = create_user_with_key(iam)
    put_policy(iam, user["UserName"], allow(["sts:AssumeRole", "sts:TagSession", "sts:GetFederationToken"]))
    trust = policy_doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    )
    arn = iam.create_role(RoleName=unique("tagrole"), AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    sts = make_client("sts", server.url, creds)
    for key in ["aws:PrincipalTag", "AWS:team"]:
        with raises_aws("InvalidParameterValue", RESERVED_TAG, 400):
            sts.assume_role(RoleArn=arn, RoleSessionName="s1", Tags=[{"Key": key, "Value": "v"}])
        with raises_aws("InvalidParameterValue", RESERVED_TAG, 400):
            sts.assume_role(
                RoleArn=arn, RoleSessionName="s1", Tags=[{"Key": key, "Value": "v"}], TransitiveTagKeys=[key]
            )
        with raises_aws("InvalidParameterValue", RESERVED_TAG, 400):
            sts.get_federation_token(Name="fed-t", Tags=[{"Key": key, "Value": "v"}])
    # Control: ordinary keys (even ones containing "aws") work.
    r = sts.assume_role(
        RoleArn=arn, RoleSessionName="s1", Tags=[{"Key": "awsome", "Value": "v"}], TransitiveTagKeys=["awsome"]
    )
    assert r["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert sts.get_federation_token(Name="fed-t", Tags=[{"Key": "team", "Value": "v"}])["FederatedUser"]


# ---------------------------------------------------------------- item 12: MFA guessing


def mfa_user(iam):
    user, creds = create_user_with_key(iam)
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    c1, c2 = two_consecutive_codes(d["Base32StringSeed"])
    iam.enable_mfa_device(
        UserName=user["UserName"], SerialNumber=d["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2
    )
    return creds, d["SerialNumber"], d["Base32StringSeed"]


def wrong_code(seed) -> str:
    now = time.time()
    valid = {totp(seed, now + k * 30) for k in (-1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if c not in valid)


def test_mfa_guessing_locks_the_device_even_for_the_right_code(server, iam):
    attacker, serial, seed = mfa_user(iam)
    honest, serial2, seed2 = mfa_user(iam)
    wait_next_window()  # the codes used to enable may not be reused
    sts = make_client("sts", server.url, attacker)
    for _ in range(6):
        with raises_aws("AccessDenied", BAD_MFA, 403):
            sts.get_session_token(SerialNumber=serial, TokenCode=wrong_code(seed))
    with raises_aws("AccessDenied", BAD_MFA, 403):
        sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed))
    # Control: the right code on a fresh device (another user) succeeds.
    r = make_client("sts", server.url, honest).get_session_token(SerialNumber=serial2, TokenCode=totp(seed2))
    assert r["Credentials"]["AccessKeyId"].startswith("ASIA")


# ---------------------------------------------------------------- item 9: presigned URL expiry


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def error_code(body: bytes) -> str | None:
    el = ET.fromstring(body).find(".//{*}Error/{*}Code")
    return el.text if el is not None else None


def test_expired_presigned_url_with_encoded_expires_name_is_refused(server):
    params = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    url = presigned_url(server.url, "sts", params, ROOT, expires=1)
    assert "X-Amz-Expires=1&" in url or url.endswith("X-Amz-Expires=1")
    time.sleep(2.5)
    status, body = fetch(url)
    assert (status, error_code(body)) == (400, "RequestExpired")
    encoded = url.replace("X-Amz-Expires=", "X-Amz-%45xpires=")
    status, body = fetch(encoded)
    assert (status, error_code(body)) == (400, "RequestExpired"), body
    # The same parameter twice is malformed.
    status, body = fetch(url + "&X-Amz-%45xpires=604800")
    assert (status, error_code(body)) == (400, "IncompleteSignature"), body
    # Control: a fresh URL, unencoded, is answered.
    status, body = fetch(presigned_url(server.url, "sts", params, ROOT, expires=300))
    assert status == 200 and b"GetCallerIdentityResult" in body, body
