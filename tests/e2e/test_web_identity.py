"""AssumeRoleWithWebIdentity (issue 17, part 2) against an OIDC issuer started by the tests: it serves its
discovery document and JWKS over HTTPS with a CA made at test time (handed to warden through SSL_CERT_FILE) and
signs tokens with keys it generated (PyJWT over `cryptography`). Driven by boto3's assume_role_with_web_identity
(unsigned, as botocore sends it), the SDK environment flow (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN + the
endpoint, a client that gets its credentials by itself) and the aws CLI. Every attack has its control.

Texts asserted and where they come from (shared/reference/federation.md, which quotes AWS's answers pasted in
public issue threads): "No OpenIDConnect provider found in your account for ISS", "Incorrect token audience",
"Token expired: current date/time NOW must be before the expiration date/time EXP" (ExpiredTokenException),
"Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity
documentation for requirements" and "Not authorized to perform sts:AssumeRoleWithWebIdentity" (AccessDenied). The
texts for a malformed token, a refused algorithm and a bad signature are warden's own (no recording found). The
response shape (SubjectFromWebIdentityToken, Audience, Provider as the provider ARN, AssumedRoleUser, Credentials)
is botocore's model and the AWS answer quoted in the reference (§2.3).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import jwt
import pytest
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from e2e_util import ACCOUNT_ID, aws_cli_command, create_user_with_key, grant, make_client, raises_aws, unique

AUD = "sts.amazonaws.com"
SUB = "system:serviceaccount:ci:builder"
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
DENIED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def _cert(subject: str, key, issuer_name, issuer_key, *, ca: bool, sans=()):
    now = dt.datetime.now(dt.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


class Issuer:
    """An OIDC issuer on https://127.0.0.1:PORT with its own CA and signing keys."""

    def __init__(self, tmp):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _cert("warden e2e test CA", ca_key, None, ca_key, ca=True)
        srv_key = ec.generate_private_key(ec.SECP256R1())
        srv = _cert(
            "127.0.0.1", srv_key, ca.subject, ca_key, ca=False,
            sans=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
        )
        self.ca_file = tmp / "issuer-ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        chain = tmp / "issuer-chain.pem"
        chain.write_bytes(srv.public_bytes(serialization.Encoding.PEM))
        keyfile = tmp / "issuer-key.pem"
        keyfile.write_bytes(srv_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain, keyfile)

        self.keys: dict[str, object] = {
            "rsa1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "ec256": ec.generate_private_key(ec.SECP256R1()),
            "ec384": ec.generate_private_key(ec.SECP384R1()),
        }
        self.published = set(self.keys)
        self.jwks_fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
                elif self.path == "/jwks":
                    issuer.jwks_fetches += 1
                    body = issuer.jwks()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.host = self.url.removeprefix("https://")
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def jwks(self) -> dict:
        out = []
        for kid in sorted(self.published):
            k = self.keys[kid]
            algo = jwt.algorithms.RSAAlgorithm if isinstance(k, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
            jwk = algo.to_jwk(k.public_key(), as_dict=True)
            jwk.update({"kid": kid, "use": "sig"})
            out.append(jwk)
        return {"keys": out}

    def add_key(self, kid: str, publish: bool = True):
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        if publish:
            self.published.add(kid)

    def token(self, *, alg="RS256", kid=None, iss=None, aud=AUD, sub=SUB, exp_in=600, key=None, **claims) -> str:
        kid = kid or {"RS": "rsa1", "PS": "rsa1", "ES": "ec256" if alg == "ES256" else "ec384"}[alg[:2]]
        now = int(time.time())
        body = {"iss": iss or self.url, "aud": aud, "sub": sub, "iat": now, "exp": now + exp_in, **claims}
        return jwt.encode(body, key or self.keys[kid], algorithm=alg, headers={"kid": kid})

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    i = Issuer(tmp_path_factory.mktemp("issuer"))
    yield i
    i.close()


@pytest.fixture(scope="module")
def server(module_warden_factory, issuer):
    return module_warden_factory(extra_env={"SSL_CERT_FILE": str(issuer.ca_file)})


@pytest.fixture(scope="module")
def provider(iam, issuer):
    return iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=[AUD])["OpenIDConnectProviderArn"]


@pytest.fixture(scope="module")
def anon_sts(server):
    # boto3 sends AssumeRoleWithWebIdentity unsigned whatever credentials the client holds.
    return make_client("sts", server.url)


def trust(provider_arn: str, host: str, sub: str = SUB, *actions: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": ["sts:AssumeRoleWithWebIdentity", *actions],
            "Condition": {"StringEquals": {f"{host}:aud": AUD, f"{host}:sub": sub}},
        }],
    })


def new_role(iam, provider, issuer, **kw) -> str:
    name = unique("web")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(provider, issuer.host, **kw))["Role"]["Arn"]


def assume(anon_sts, role_arn: str, token: str, **kw) -> dict:
    return anon_sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="builder", WebIdentityToken=token, **kw)


def creds_client(server, service: str, out: dict):
    c = out["Credentials"]
    return boto3.client(
        service, endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"],
        config=Config(retries={"max_attempts": 1}),
    )


def test_boto3_gets_a_role_session_with_aws_answer_shape(server, iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    role_name = role_arn.rsplit("/", 1)[1]
    out = assume(anon_sts, role_arn, issuer.token(), DurationSeconds=900)
    assert out["SubjectFromWebIdentityToken"] == SUB
    assert out["Audience"] == AUD
    assert out["Provider"] == provider == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer.host}"
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/builder"
    assert out["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA") and out["AssumedRoleUser"]["AssumedRoleId"].endswith(":builder")
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert "PackedPolicySize" not in out
    left = out["Credentials"]["Expiration"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(seconds=800) < left <= dt.timedelta(seconds=900)
    me = creds_client(server, "sts", out).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"] and me["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"])
def test_every_accepted_algorithm_verifies(iam, anon_sts, provider, issuer, alg):
    role_arn = new_role(iam, provider, issuer)
    assert assume(anon_sts, role_arn, issuer.token(alg=alg))["SubjectFromWebIdentityToken"] == SUB


def test_a_wrong_audience_is_refused(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    with raises_aws("InvalidIdentityToken", "Incorrect token audience", 400):
        assume(anon_sts, role_arn, issuer.token(aud="someone-else"))
    # The control: a list that holds the registered client id.
    assume(anon_sts, role_arn, issuer.token(aud=["someone-else", AUD]))


def test_a_wrong_issuer_is_refused(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    other = issuer.url + "/other"
    with raises_aws("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {other}", 400):
        assume(anon_sts, role_arn, issuer.token(iss=other))
    # The issuer must match byte for byte: a trailing slash is another issuer.
    with raises_aws("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer.url}/", 400):
        assume(anon_sts, role_arn, issuer.token(iss=issuer.url + "/"))
    assume(anon_sts, role_arn, issuer.token())


def test_an_expired_token_is_refused(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    with raises_aws("ExpiredTokenException", status=400, message_prefix="Token expired: current date/time "):
        assume(anon_sts, role_arn, issuer.token(exp_in=-120))
    with raises_aws("InvalidIdentityToken", status=400):
        assume(anon_sts, role_arn, issuer.token(nbf=int(time.time()) + 600))
    # The control: within the leeway (a few seconds past exp) it still works.
    assume(anon_sts, role_arn, issuer.token(exp_in=-5))


def test_an_unknown_kid_is_refused_until_the_issuer_publishes_it(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    assume(anon_sts, role_arn, issuer.token())  # the keys are cached now
    kid = unique("rot")
    issuer.add_key(kid, publish=False)
    with raises_aws("InvalidIdentityToken", NO_KEY, 400):
        assume(anon_sts, role_arn, issuer.token(alg="ES256", kid=kid))
    # A burst of made-up kids does not make warden refetch each time (one refetch per 5 s per issuer).
    before = issuer.jwks_fetches
    for _ in range(5):
        with raises_aws("InvalidIdentityToken", NO_KEY, 400):
            assume(anon_sts, role_arn, issuer.token(alg="ES256", kid=kid))
    assert issuer.jwks_fetches - before <= 1
    # The control: once the issuer publishes the key (a rotation), the refetch finds it.
    issuer.published.add(kid)
    time.sleep(5.2)
    assume(anon_sts, role_arn, issuer.token(alg="ES256", kid=kid))


def test_alg_none_is_refused(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    now = int(time.time())
    unsigned = jwt.encode({"iss": issuer.url, "aud": AUD, "sub": SUB, "exp": now + 600}, None, algorithm="none", headers={"kid": "rsa1"})
    with raises_aws("InvalidIdentityToken", status=400, message_prefix="The web identity token's signing algorithm 'none'"):
        assume(anon_sts, role_arn, unsigned)
    assume(anon_sts, role_arn, issuer.token())


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def test_the_public_key_as_an_hmac_secret_is_refused(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    pem = issuer.keys["rsa1"].public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    jwk = json.dumps(issuer.jwks()["keys"][0]).encode()
    now = int(time.time())
    payload = b64u(json.dumps({"iss": issuer.url, "aud": AUD, "sub": SUB, "exp": now + 600}).encode())
    for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
        for secret in (pem, jwk):
            header = b64u(json.dumps({"alg": alg, "kid": "rsa1", "typ": "JWT"}).encode())
            sig = hmac.new(secret, f"{header}.{payload}".encode(), digest).digest()
            with raises_aws("InvalidIdentityToken", status=400, message_prefix=f"The web identity token's signing algorithm '{alg}'"):
                assume(anon_sts, role_arn, f"{header}.{payload}.{b64u(sig)}")
    # A token signed by a key the issuer does not hold, under a published kid, fails its signature.
    with raises_aws("InvalidIdentityToken", "The web identity token's signature is not valid.", 400):
        assume(anon_sts, role_arn, issuer.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    assume(anon_sts, role_arn, issuer.token())


def test_malformed_tokens_are_refused(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    for bad in ("x" * 10, "a.b.c", issuer.token() + ".extra.part"):
        with raises_aws("InvalidIdentityToken", "The web identity token is not a well-formed JWT.", 400):
            assume(anon_sts, role_arn, bad)


def test_the_trust_policy_decides_with_the_providers_keys(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer, sub="system:serviceaccount:ci:deployer")
    with raises_aws("AccessDenied", DENIED, 403):
        assume(anon_sts, role_arn, issuer.token())
    # A role that does not exist reads the same (AWS does not reveal which).
    with raises_aws("AccessDenied", DENIED, 403):
        assume(anon_sts, role_arn + "-gone", issuer.token())
    # The control: the subject the condition names.
    assume(anon_sts, role_arn, issuer.token(sub="system:serviceaccount:ci:deployer"))
    # sts:RoleSessionName reaches the trust policy too.
    name = role_arn.rsplit("/", 1)[1]
    doc = json.loads(trust(provider, issuer.host))
    doc["Statement"][0]["Condition"]["StringEquals"]["sts:RoleSessionName"] = "builder"
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(doc))
    with raises_aws("AccessDenied", DENIED, 403):
        anon_sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="other", WebIdentityToken=issuer.token())
    assume(anon_sts, role_arn, issuer.token())


def test_session_tags_from_the_token_need_tag_session(server, iam, anon_sts, provider, issuer):
    tags = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["team"]}}
    role_arn = new_role(iam, provider, issuer)
    with raises_aws("AccessDenied", DENIED, 403):
        assume(anon_sts, role_arn, issuer.token(**tags))
    name = unique("web")
    tagging = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(provider, issuer.host, SUB, "sts:TagSession"))["Role"]["Arn"]
    out = assume(anon_sts, tagging, issuer.token(**tags))
    assert isinstance(out["PackedPolicySize"], int)
    # The tag is the session's principal tag: a policy conditioned on it lets the session act.
    iam.put_role_policy(
        RoleName=name, PolicyName="blue",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue", "aws:FederatedProvider": provider}},
        }]}),
    )
    creds_client(server, "iam", out).list_roles(MaxItems=1)


def test_duration_and_session_policies(server, iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    with raises_aws("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400):
        assume(anon_sts, role_arn, issuer.token(), DurationSeconds=7200)
    name = role_arn.rsplit("/", 1)[1]
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}))
    only_list_users = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
    out = assume(anon_sts, role_arn, issuer.token(), Policy=only_list_users)
    assert isinstance(out["PackedPolicySize"], int)
    client = creds_client(server, "iam", out)
    client.list_users(MaxItems=1)
    with raises_aws("AccessDenied", status=403):
        client.list_roles(MaxItems=1)


def test_deleting_the_provider_or_the_role_ends_their_sessions(server, iam, anon_sts, provider, issuer):
    # The module's provider is deleted here and created again (same URL, same ARN) for later tests.
    role_arn = new_role(iam, provider, issuer)
    out = assume(anon_sts, role_arn, issuer.token())
    session = creds_client(server, "sts", out)
    assert session.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    with raises_aws("InvalidClientTokenId", status=403):
        session.get_caller_identity()
    with raises_aws("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer.url}", 400):
        assume(anon_sts, role_arn, issuer.token())
    # Re-created, the provider serves new sessions; the old one stays ended.
    time.sleep(1.1)
    iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=[AUD])
    fresh = assume(anon_sts, role_arn, issuer.token())
    with raises_aws("InvalidClientTokenId", status=403):
        session.get_caller_identity()
    # Deleting the role ends the fresh session.
    fresh_session = creds_client(server, "sts", fresh)
    fresh_session.get_caller_identity()
    iam.delete_role(RoleName=role_arn.rsplit("/", 1)[1])
    with raises_aws("InvalidClientTokenId", status=403):
        fresh_session.get_caller_identity()


def token_file_env(issuer, role_arn: str, session_name: str, tmp_path) -> tuple:
    """A token file holding a fresh token, and an environment for an SDK's web identity flow
    (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) with no other AWS settings or files."""
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_ROLE_ARN": role_arn,
        "AWS_ROLE_SESSION_NAME": session_name,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    })
    return token_file, env


def test_the_sdk_environment_flow_gets_credentials_by_itself(server, iam, provider, issuer, tmp_path):
    role_arn = new_role(iam, provider, issuer)
    token_file, env = token_file_env(issuer, role_arn, "sdk-flow", tmp_path)
    env.update({"AWS_ENDPOINT_URL": server.url, "AWS_DEFAULT_REGION": "us-east-1"})
    want = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_arn.rsplit('/', 1)[1]}/sdk-flow"
    # boto3: a client with no credentials given finds them through the web identity provider.
    code = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    py = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert py.returncode == 0, py.stderr
    assert py.stdout.strip() == want
    # The aws CLI, the same way.
    cli = subprocess.run([*aws_cli_command(), "sts", "get-caller-identity", "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["Arn"] == want
    # The control: a token of the wrong audience in the file makes the SDK fail.
    token_file.write_text(issuer.token(aud="nobody"))
    py = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert py.returncode != 0 and "InvalidIdentityToken" in py.stderr


def test_a_signed_call_is_served_like_an_unsigned_one(server, iam, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    signed = make_client("sts", server.url)
    # botocore never signs this operation; a raw signed request would be ignored the same way.
    out = signed.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="builder", WebIdentityToken=issuer.token())
    assert out["Provider"] == provider


def test_an_unreachable_issuer_is_an_idp_communication_error(iam, anon_sts, provider, issuer):
    # A registered issuer nobody serves (nothing listens on port 9 of loopback): warden cannot get its keys.
    dead = f"https://127.0.0.1:9/{unique('gone')}"
    dead_arn = iam.create_open_id_connect_provider(Url=dead, ClientIDList=[AUD])["OpenIDConnectProviderArn"]
    role_arn = new_role(iam, dead_arn, type("I", (), {"host": dead.removeprefix("https://")})())
    for _ in range(2):
        with raises_aws("IDPCommunicationError", NO_KEY, 400):
            assume(anon_sts, role_arn, issuer.token(iss=dead))
    # The control: the live issuer's token for a role that trusts it.
    assume(anon_sts, new_role(iam, provider, issuer), issuer.token())


def test_a_web_identity_session_survives_a_restart_and_still_ends_with_its_provider(warden_factory, issuer):
    w = warden_factory(extra_env={"SSL_CERT_FILE": str(issuer.ca_file)})
    iam = make_client("iam", w.url)
    provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=[AUD])["OpenIDConnectProviderArn"]
    role_arn = new_role(iam, provider, issuer)
    out = assume(make_client("sts", w.url), role_arn, issuer.token())
    w.restart()
    session = creds_client(w, "sts", out)
    assert session.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    # After the restart the keys are fetched again for a new session.
    assume(make_client("sts", w.url), role_arn, issuer.token())
    make_client("iam", w.url).delete_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    with raises_aws("InvalidClientTokenId", status=403):
        session.get_caller_identity()


def test_a_roles_claim_limits_the_roles_a_token_may_assume(iam, anon_sts, provider, issuer):
    role_arn = new_role(iam, provider, issuer)
    other = new_role(iam, provider, issuer)
    with raises_aws("InvalidIdentityToken", "The target role ARN is not present in the roles claim of the identity token", 400):
        assume(anon_sts, role_arn, issuer.token(**{"https://aws.amazon.com/roles": [other]}))
    # The control: the role is listed (as a list or a single string).
    assume(anon_sts, role_arn, issuer.token(**{"https://aws.amazon.com/roles": [other, role_arn]}))
    assume(anon_sts, role_arn, issuer.token(**{"https://aws.amazon.com/roles": role_arn}))


def test_an_rcp_on_the_roles_account_binds_assume_role_with_web_identity(warden_factory, issuer):
    """Resource control policies govern STS actions on a member account's roles, federated ones included
    (Organizations User Guide, orgs_manage_policies_rcps: STS is a supported service; RCPs apply to
    requests from outside the organization too). The decision goes through warden's one engine entry."""
    from e2e_util import member_session, new_organization, policy_doc

    w = warden_factory(extra_env={"SSL_CERT_FILE": str(issuer.ca_file)})
    world = new_organization(w)
    admin, _ = member_session(w, world)
    iam = make_client("iam", w.url, admin)
    provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=[AUD])["OpenIDConnectProviderArn"]
    role_arn = new_role(iam, provider, issuer)
    anon = make_client("sts", w.url)
    assume(anon, role_arn, issuer.token())  # the control: no RCP yet
    orgs = world["orgs"]
    orgs.enable_policy_type(RootId=world["root"]["Id"], PolicyType="RESOURCE_CONTROL_POLICY")
    rcp = orgs.create_policy(
        Name=unique("no-oidc"),
        Description="no web identity federation",
        Type="RESOURCE_CONTROL_POLICY",
        Content=policy_doc(
            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Resource": "*"}
        ),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=rcp, TargetId=world["member"])
    with raises_aws("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403):
        assume(anon, role_arn, issuer.token())
    orgs.detach_policy(PolicyId=rcp, TargetId=world["member"])
    assume(anon, role_arn, issuer.token())


def test_the_providers_keys_reach_the_sessions_own_requests(server, iam, anon_sts, provider, issuer):
    """AWS keeps a web identity's `amr`, `aud` and `sub` keys in the session's later requests, so a permission
    policy may name `${HOST/PATH:sub}` (the per-user S3 prefix idiom) or condition on them (IAM User Guide,
    "Available keys for AWS web identity federation"; shared/reference/federation.md §2.6). Each session reaches
    only the user its subject names: the attack is the same session on another user, and another subject on it."""
    alice, bob = unique("alice"), unique("bob")
    for name in (alice, bob):
        iam.create_user(UserName=name)
    name = unique("web")
    doc = json.loads(trust(provider, issuer.host))
    doc["Statement"][0]["Condition"] = {"StringEquals": {f"{issuer.host}:aud": AUD}}
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name, PolicyName="own-user",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": f"arn:aws:iam::{ACCOUNT_ID}:user/${{{issuer.host}:sub}}"},
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*", "Condition": {
                "StringEquals": {f"{issuer.host}:aud": AUD, "aws:PrincipalType": "AssumedRole"},
                "ForAnyValue:StringEquals": {f"{issuer.host}:amr": "mfa"},
            }},
        ]}),
    )
    as_alice = creds_client(server, "iam", assume(anon_sts, role_arn, issuer.token(sub=alice, amr=["pwd", "mfa"])))
    as_bob = creds_client(server, "iam", assume(anon_sts, role_arn, issuer.token(sub=bob, amr=["pwd"])))
    assert as_alice.get_user(UserName=alice)["User"]["UserName"] == alice
    assert as_bob.get_user(UserName=bob)["User"]["UserName"] == bob
    with raises_aws("AccessDenied", status=403):
        as_alice.get_user(UserName=bob)
    with raises_aws("AccessDenied", status=403):
        as_bob.get_user(UserName=alice)
    # The multivalued `amr` and the single `aud`: alice signed in with MFA, bob did not.
    as_alice.list_roles(MaxItems=1)
    with raises_aws("AccessDenied", status=403):
        as_bob.list_roles(MaxItems=1)
    # A session of the role that did not come through the provider has no `:sub`: the variable matches nothing.
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        doc["Statement"][0], {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"},
    ]}))
    someone, creds = create_user_with_key(iam)
    grant(iam, someone["UserName"], ["sts:AssumeRole"], role_arn)
    plain = make_client("sts", server.url, creds).assume_role(RoleArn=role_arn, RoleSessionName=alice)
    with raises_aws("AccessDenied", status=403):
        creds_client(server, "iam", plain).get_user(UserName=alice)


def test_a_token_repeating_a_member_name_is_refused(iam, anon_sts, provider, issuer):
    """The ambiguity attack: a validly signed token whose payload says `sub` twice. serde_json would keep the last
    and PyJWT (Python's json) also the last, but other verifiers keep the first; a token that two verifiers read
    differently is refused. The trust policy admits only SUB: the attacker's token puts SUB last and another
    subject first (and the same trick in the header: `alg` twice). The control: the same claims without the
    repetition, signed by the same key."""
    from cryptography.hazmat.primitives.asymmetric import padding

    role_arn = new_role(iam, provider, issuer)
    now = int(time.time())
    key = issuer.keys["rsa1"]

    def signed(header_text: str, payload_text: str) -> str:
        signing_input = f"{b64u(header_text.encode())}.{b64u(payload_text.encode())}"
        sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64u(sig)}"

    header = '{"alg":"RS256","kid":"rsa1","typ":"JWT"}'
    claims = f'"iss":"{issuer.url}","aud":"{AUD}","exp":{now + 600},"iat":{now}'
    for bad in (
        signed(header, f'{{{claims},"sub":"system:serviceaccount:other:intruder","sub":"{SUB}"}}'),
        signed('{"alg":"none","alg":"RS256","kid":"rsa1"}', f'{{{claims},"sub":"{SUB}"}}'),
        signed(header, f'{{{claims},"sub":"{SUB}","https://aws.amazon.com/tags":{{"principal_tags":{{}},"principal_tags":{{}}}}}}'),
    ):
        with raises_aws("InvalidIdentityToken", "The web identity token is not a well-formed JWT.", 400):
            assume(anon_sts, role_arn, bad)
    assume(anon_sts, role_arn, signed(header, f'{{{claims},"sub":"{SUB}"}}'))


JS_DIR = os.path.join(os.path.dirname(__file__), "js")


@pytest.mark.skipif(
    not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "credential-providers")),
    reason="needs node and `npm ci` in tests/e2e/js (scripts/test.sh runs it)",
)
def test_the_javascript_sdk_token_file_flow_gets_credentials_by_itself(server, iam, provider, issuer, tmp_path):
    """A second SDK: the AWS SDK for JavaScript v3's fromTokenFile (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)
    exchanges the token at warden and signs GetCallerIdentity with the session; a token for another audience in
    the file makes it fail with InvalidIdentityToken (the control the other way round)."""
    role_arn = new_role(iam, provider, issuer)
    token_file, env = token_file_env(issuer, role_arn, "js-flow", tmp_path)
    env["WARDEN_URL"] = server.url

    def run() -> tuple[int, dict]:
        p = subprocess.run(["node", "web_identity_flow.js"], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=60)
        return p.returncode, json.loads(p.stdout.strip().splitlines()[-1])

    code, out = run()
    assert code == 0, out
    assert out["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_arn.rsplit('/', 1)[1]}/js-flow"
    assert out["Account"] == ACCOUNT_ID
    token_file.write_text(issuer.token(aud="nobody"))
    code, out = run()
    # The SDK names the error by the model's shape, InvalidIdentityTokenException, for the wire code InvalidIdentityToken.
    assert code != 0 and out["Error"] == "InvalidIdentityTokenException", out
