"""Outbound web identity federation (issue 17): IAM EnableOutboundWebIdentityFederation,
DisableOutboundWebIdentityFederation, GetOutboundWebIdentityFederationInfo and STS GetWebIdentityToken, through
the real binary and boto3. A token is verified as an outside service would: PyJWT fetches the issuer's discovery
document and JWKS from warden's listener (`PUBLIC_URL/outbound/ID/.well-known/...`) and checks the signature,
`iss`, `aud` and `exp`.

What is AWS's and what is ours: the operations, their shapes, the error codes and statuses (FeatureEnabled 409,
FeatureDisabled 404, OutboundWebIdentityFederationDisabledException 403, SessionDurationEscalationException 403)
are botocore's model; the claims (`iss`, `aud`, `sub` = the principal's ARN, the role's for a role session,
`iat`, `exp`, `jti`, and `aws_account`, `source_region`, `principal_id`, `principal_tags`, `request_tags` under
`https://sts.amazonaws.com/`) follow the IAM User Guide's "Understanding token claims" sample; RS256 and ES384,
the 300 s default and the 60-3600 s range are the GetWebIdentityToken reference's. No recorded AWS answer exists
for these 2025 operations (moto and LocalStack have none), so every error text is warden's and only codes and
statuses are asserted. The issuer URL's form is warden's (docs/federation.md).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import jwt
import pytest

from e2e_util import ACCOUNT_ID, Creds, create_user_with_key, grant, make_client, raises_aws, unique


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        assert r.status == 200
        return json.loads(r.read())


def verify(token: str, audience: str, issuer: str) -> dict:
    """Verifies as an outside service does: discovery document, then the JWKS it names, then the token."""
    discovery = fetch_json(f"{issuer}/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer
    client = jwt.PyJWKClient(discovery["jwks_uri"])
    key = client.get_signing_key_from_jwt(token)
    alg = jwt.get_unverified_header(token)["alg"]
    return jwt.decode(token, key.key, algorithms=[alg], audience=audience, issuer=issuer)


@pytest.fixture(scope="module")
def issuer(iam):
    with raises_aws("FeatureDisabled", status=404):
        iam.get_outbound_web_identity_federation_info()
    out = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    yield out


def test_enable_gives_an_issuer_whose_discovery_and_jwks_are_served(server, iam, issuer):
    assert issuer.startswith(server.url + "/outbound/")
    info = iam.get_outbound_web_identity_federation_info()
    assert info["IssuerIdentifier"] == issuer and info["JwtVendingEnabled"] is True
    with raises_aws("FeatureEnabled", status=409):
        iam.enable_outbound_web_identity_federation()
    discovery = fetch_json(f"{issuer}/.well-known/openid-configuration")
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    keys = fetch_json(discovery["jwks_uri"])["keys"]
    assert sorted((k["kty"], k["alg"]) for k in keys) == [("EC", "ES384"), ("RSA", "RS256")]
    # An issuer warden does not have is 404, not a 500 or another account's keys.
    with pytest.raises(urllib.error.HTTPError) as e:
        fetch_json(f"{server.url}/outbound/{'0' * 32}/.well-known/jwks.json")
    assert e.value.code == 404


@pytest.mark.parametrize("alg", ["RS256", "ES384"])
def test_a_token_verifies_against_warden_jwks_with_the_callers_claims(server, iam, issuer, alg):
    user, creds = create_user_with_key(iam, Tags=[{"Key": "team", "Value": "blue"}])
    grant(iam, user["UserName"], ["sts:GetWebIdentityToken"])
    sts = make_client("sts", server.url, creds)
    before = int(time.time())
    out = sts.get_web_identity_token(
        Audience=["https://api.example.com"], SigningAlgorithm=alg, DurationSeconds=120,
        Tags=[{"Key": "job", "Value": "build-7"}],
    )
    claims = verify(out["WebIdentityToken"], "https://api.example.com", issuer)
    assert jwt.get_unverified_header(out["WebIdentityToken"])["alg"] == alg
    assert claims["sub"] == user["Arn"]
    assert before + 115 <= claims["exp"] <= before + 125 and claims["exp"] - claims["iat"] == 120
    assert abs(out["Expiration"].timestamp() - claims["exp"]) < 1
    aws = claims["https://sts.amazonaws.com/"]
    assert aws["aws_account"] == ACCOUNT_ID and aws["source_region"] == "us-east-1"
    assert aws["principal_id"] == user["Arn"]
    assert aws["principal_tags"] == {"team": "blue"} and aws["request_tags"] == {"job": "build-7"}
    assert claims["jti"]


def test_several_audiences_the_default_duration_and_a_role_sessions_subject(server, iam, issuer):
    role_name = unique("minter")
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="mint", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*"}],
    }))
    user, creds = create_user_with_key(iam)
    grant(iam, user["UserName"], ["sts:AssumeRole"], role_arn)
    c = make_client("sts", server.url, creds).assume_role(RoleArn=role_arn, RoleSessionName="minting", DurationSeconds=900)[
        "Credentials"
    ]
    session = make_client("sts", server.url, Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
    token = session.get_web_identity_token(Audience=["a", "b"], SigningAlgorithm="ES384")["WebIdentityToken"]
    claims = verify(token, "b", issuer)
    assert claims["aud"] == ["a", "b"]
    assert claims["exp"] - claims["iat"] == 300
    # "For a role session, this is the ARN of the role" (GetWebIdentityToken reference).
    assert claims["sub"] == role_arn and claims["https://sts.amazonaws.com/"]["principal_id"] == role_arn
    # A token may not outlive the session that asks for it (the session has 900 s); the control fits in it.
    with raises_aws("SessionDurationEscalationException", status=403):
        session.get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384", DurationSeconds=1000)
    session.get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384", DurationSeconds=800)


def test_forged_and_misdirected_tokens_fail_verification(server, iam, issuer):
    """The attacks a verifier must stop, with warden's JWKS: a token for another audience, a tampered payload, and
    one signed by a key warden never published; the control is the untouched token."""
    user, creds = create_user_with_key(iam)
    grant(iam, user["UserName"], ["sts:GetWebIdentityToken"])
    token = make_client("sts", server.url, creds).get_web_identity_token(Audience=["svc"], SigningAlgorithm="RS256")[
        "WebIdentityToken"
    ]
    verify(token, "svc", issuer)
    with pytest.raises(jwt.InvalidAudienceError):
        verify(token, "other-svc", issuer)
    header, payload, sig = token.split(".")
    forged = json.loads(jwt.utils.base64url_decode(payload))
    forged["sub"] = f"arn:aws:iam::{ACCOUNT_ID}:root"
    tampered = ".".join([header, jwt.utils.base64url_encode(json.dumps(forged).encode()).decode(), sig])
    with pytest.raises(jwt.InvalidSignatureError):
        verify(tampered, "svc", issuer)
    from cryptography.hazmat.primitives.asymmetric import rsa

    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(token)["kid"]
    self_signed = jwt.encode(forged, own_key, algorithm="RS256", headers={"kid": kid})
    with pytest.raises(jwt.InvalidSignatureError):
        verify(self_signed, "svc", issuer)


def test_the_call_needs_its_action(server, iam, issuer):
    user, creds = create_user_with_key(iam)
    sts = make_client("sts", server.url, creds)
    with raises_aws("AccessDenied", status=403):
        sts.get_web_identity_token(Audience=["svc"], SigningAlgorithm="ES384")
    # Allowed only for another audience (sts:IdentityTokenAudience, as AWS's examples scope it): still denied.
    iam.put_user_policy(UserName=user["UserName"], PolicyName="aud", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"sts:IdentityTokenAudience": "svc"}, "NumericLessThanEquals": {"sts:DurationSeconds": 300}},
        }],
    }))
    with raises_aws("AccessDenied", status=403):
        sts.get_web_identity_token(Audience=["other"], SigningAlgorithm="ES384")
    with raises_aws("AccessDenied", status=403):
        sts.get_web_identity_token(Audience=["svc"], SigningAlgorithm="ES384", DurationSeconds=600)
    # The control: the audience and duration the policy allows.
    sts.get_web_identity_token(Audience=["svc"], SigningAlgorithm="ES384", DurationSeconds=300)


@pytest.mark.parametrize(
    "args, code",
    [
        ({"SigningAlgorithm": "HS256"}, "ValidationError"),
        ({"SigningAlgorithm": "ES384", "DurationSeconds": 59}, "ValidationError"),
        ({"SigningAlgorithm": "ES384", "DurationSeconds": 3601}, "ValidationError"),
        ({"SigningAlgorithm": "ES384", "SubjectMode": "OriginIdentity"}, "ValidationError"),
        ({"SigningAlgorithm": "ES384", "Scope": "read"}, "ValidationError"),
    ],
)
def test_bad_requests_are_validation_errors(server, issuer, args, code):
    # boto3 would refuse the out-of-range durations itself: its validation is off so warden answers.
    sts = make_client("sts", server.url, parameter_validation=False)
    with raises_aws(code, status=400):
        sts.get_web_identity_token(Audience=["svc"], **args)
    # The control: the same call made right.
    sts.get_web_identity_token(Audience=["svc"], SigningAlgorithm="ES384", DurationSeconds=60)


def test_disabled_tokens_are_refused_and_earlier_ones_still_verify(warden_factory):
    w = warden_factory()
    iam, sts = make_client("iam", w.url), make_client("sts", w.url)
    with raises_aws("OutboundWebIdentityFederationDisabledException", status=403):
        sts.get_web_identity_token(Audience=["svc"], SigningAlgorithm="ES384")
    with raises_aws("FeatureDisabled", status=404):
        iam.disable_outbound_web_identity_federation()
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    token = sts.get_web_identity_token(Audience=["svc"], SigningAlgorithm="RS256")["WebIdentityToken"]
    iam.disable_outbound_web_identity_federation()
    with raises_aws("OutboundWebIdentityFederationDisabledException", status=403):
        sts.get_web_identity_token(Audience=["svc"], SigningAlgorithm="ES384")
    with raises_aws("FeatureDisabled", status=404):
        iam.get_outbound_web_identity_federation_info()
    # "This operation does not affect tokens that were issued before the feature was disabled."
    verify(token, "svc", issuer)
    # Enabled again: the same issuer and keys.
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer
    verify(token, "svc", issuer)


def test_the_issuer_and_sealed_keys_survive_a_restart_and_the_public_url_is_configurable(warden_factory, store):
    w = warden_factory(extra_env={**store.env, "WARDEN_PUBLIC_URL": "https://idp.warden.example/"})
    iam, sts = make_client("iam", w.url), make_client("sts", w.url)
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith("https://idp.warden.example/outbound/")
    issuer_id = issuer.rsplit("/", 1)[1]
    token = sts.get_web_identity_token(Audience=["svc"], SigningAlgorithm="ES384")["WebIdentityToken"]
    # The discovery document names the public URL; the keys are served on the listener.
    local = f"{w.url}/outbound/{issuer_id}"
    assert fetch_json(f"{local}/.well-known/openid-configuration")["issuer"] == issuer
    before = fetch_json(f"{local}/.well-known/jwks.json")
    w.restart()
    assert fetch_json(f"{local}/.well-known/jwks.json") == before
    key = jwt.PyJWKClient(f"{local}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    assert jwt.decode(token, key.key, algorithms=["ES384"], audience="svc", issuer=issuer)["sub"].endswith(":root")
