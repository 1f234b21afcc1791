"""The S3 gateway (`warden serve --s3-backend URL`): S3 with IAM in front of moto's S3 server.

The backend is moto's S3 server (`moto[server]`, pinned in requirements.txt), started here as a
subprocess on a free port. Clients talk to warden's own endpoint with warden's credentials; warden
authenticates, decides with IAM (identity policies, bucket policies, sessions, Organizations keys)
and forwards allowed requests re-signed with the backend's credentials.

Texts asserted come from recordings where they exist: `NoSuchBucketPolicy` "The bucket policy does
not exist" and `MalformedPolicy` "Policies must be valid JSON and the first byte must be '{'" /
"Missing required field Statement" from LocalStack's snapshot suite recorded against AWS
(`tests/aws/services/s3/test_s3_api.snapshot.json`, `TestS3BucketPolicy::test_bucket_policy_crud`
and `test_bucket_policy_exc`); "Access Denied", "Request has expired" and `HeadersNotSigned` from
LocalStack's `TestS3PresignedUrl` recordings (reference `s3-authorization.md` §1.7).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
import zlib
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e_util import (
    ACCOUNT_ID,
    REGION,
    ROOT,
    Creds,
    aws_cli_command,
    create_user_with_key,
    creds_of,
    free_port,
    iam_user_identity,
    make_client,
    member_session,
    new_organization,
    policy_doc,
    unique,
    wait_until,
)

BACKEND_KEY = "backendkey"
BACKEND_SECRET = "backendsecret"


def _ensure_moto() -> None:
    try:
        import moto  # noqa: F401
        import flask  # noqa: F401
    except ImportError:
        req = Path(__file__).with_name("requirements.txt").read_text()
        pin = next(line.strip() for line in req.splitlines() if line.startswith("moto"))
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", pin], check=True)


@pytest.fixture(scope="module")
def backend():
    _ensure_moto()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/moto-api/")
            c.getresponse().read()
            return True
        except OSError:
            return False

    assert wait_until(up, timeout=30), "moto server did not start"
    yield url
    proc.terminate()
    proc.wait(10)


def gateway_env(backend_url: str) -> dict[str, str]:
    return {
        "WARDEN_S3_BACKEND": backend_url,
        "WARDEN_S3_BACKEND_ACCESS_KEY_ID": BACKEND_KEY,
        "WARDEN_S3_BACKEND_SECRET_ACCESS_KEY": BACKEND_SECRET,
    }


@pytest.fixture(scope="module")
def gw(module_warden_factory, backend):
    return module_warden_factory(extra_env=gateway_env(backend))


def s3(w, creds: Creds = ROOT, **cfg):
    return make_client("s3", w.url, creds, signature_version="s3v4", **cfg)


def s3_in(w, region: str, creds: Creds = ROOT):
    """An S3 client signing for `region`."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=w.url,
        region_name=region,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
        config=Config(signature_version="s3v4", retries={"total_max_attempts": 1, "mode": "legacy"}),
    )


def direct(backend_url: str):
    """The backend itself, with its own credentials (to see what really got stored)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=backend_url,
        region_name=REGION,
        aws_access_key_id=BACKEND_KEY,
        aws_secret_access_key=BACKEND_SECRET,
    )


def code_of(e: ClientError) -> tuple[str, int]:
    return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


def denied(fn, *args, **kw) -> None:
    with pytest.raises(ClientError) as ei:
        fn(*args, **kw)
    assert code_of(ei.value) == ("AccessDenied", 403), ei.value.response
    if ei.value.response["ResponseMetadata"].get("HTTPHeaders", {}).get("content-length") != "0":
        assert ei.value.response["Error"]["Message"] == "Access Denied"


def new_bucket(w, creds: Creds = ROOT) -> str:
    name = unique("bkt")
    s3(w, creds).create_bucket(Bucket=name)
    return name


def user_with(w, statements: list[dict], name: str | None = None) -> tuple[dict, Creds]:
    iam = w.client("iam")
    user, creds = create_user_with_key(iam, name)
    if statements:
        iam.put_user_policy(
            UserName=user["UserName"], PolicyName="p", PolicyDocument=policy_doc(*statements)
        )
    return user, creds


# --- raw SigV4 for S3 (to send what the SDKs will not: chunked bodies, tampered signatures) -----


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str = REGION) -> bytes:
    k = _hmac(("AWS4" + secret).encode(), date)
    for part in (region, "s3", "aws4_request"):
        k = _hmac(k, part)
    return k


def signed_put(
    w,
    creds: Creds,
    path: str,
    body: bytes,
    payload: str,
    extra: dict[str, str] | None = None,
    method: str = "PUT",
    region: str = REGION,
):
    """Signs `method path` for S3 with the given payload line and region; returns (headers, seed
    signature, signing key, date, scope)."""
    now = _dt.datetime.now(_dt.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    host = f"127.0.0.1:{w.port}"
    headers = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload}
    headers.update({k.lower(): v for k, v in (extra or {}).items()})
    names = sorted(headers)
    creq = "\n".join(
        [method, path, "", *(f"{n}:{headers[n].strip()}" for n in names), "", ";".join(names), payload]
    )
    scope = f"{date}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = signing_key(creds.secret_access_key, date, region)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={creds.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={sig}"
    )
    return headers, sig, key, amz_date, scope


def send(w, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", w.port, timeout=30)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    out = r.read()
    c.close()
    return r.status, out


def chunked_body(data: bytes, seed: str, key: bytes, amz_date: str, scope: str, sizes: list[int]) -> bytes:
    """aws-chunked with chunk signatures (sigv4-streaming), chained from the seed signature."""
    out = b""
    prev = seed
    pos = 0
    empty = hashlib.sha256(b"").hexdigest()
    for size in sizes + [0]:
        chunk = data[pos : pos + size]
        pos += size
        sts = "\n".join(
            ["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, empty, hashlib.sha256(chunk).hexdigest()]
        )
        prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out += f"{len(chunk):x};chunk-signature={prev}\r\n".encode() + chunk + b"\r\n"
    return out


# --- CLI with S3 SigV4 presigning (awscli v1 presigns with SigV2 unless told) ---------------------


@pytest.fixture(scope="module")
def cli(gw, tmp_path_factory):
    cfg = tmp_path_factory.mktemp("awscfg") / "config"
    cfg.write_text("[default]\ns3 =\n    signature_version = s3v4\n    addressing_style = path\n")

    def run(*args: str, creds: Creds = ROOT, cwd: str | None = None):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": str(cfg),
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "legacy",
            "AWS_ACCESS_KEY_ID": creds.access_key_id,
            "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        }
        if creds.session_token:
            env["AWS_SESSION_TOKEN"] = creds.session_token
        cmd = aws_cli_command() + ["--endpoint-url", gw.url, "--region", REGION, *args]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=cwd)

    return run


# =================================================================================================
# The aws CLI through the gateway
# =================================================================================================


def test_cli_cp_ls_sync_rm_presign_and_a_50_mib_multipart_upload(gw, cli, backend, tmp_path):
    bucket = new_bucket(gw)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha")
    (src / "sub").mkdir()
    (src / "sub" / "b.txt").write_text("beta")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(50 * 1024 * 1024))

    r = cli("s3", "cp", str(src / "a.txt"), f"s3://{bucket}/a.txt")
    assert r.returncode == 0, r.stderr
    r = cli("s3", "sync", str(src), f"s3://{bucket}/synced/")
    assert r.returncode == 0, r.stderr
    # 50 MiB: the CLI splits it into 8 MiB parts (CreateMultipartUpload, UploadPart x7, Complete).
    r = cli("s3", "cp", str(big), f"s3://{bucket}/big.bin")
    assert r.returncode == 0, r.stderr
    r = cli("s3", "ls", f"s3://{bucket}/", "--recursive")
    assert r.returncode == 0, r.stderr
    listed = r.stdout
    for key in ("a.txt", "synced/a.txt", "synced/sub/b.txt", "big.bin"):
        assert key in listed, listed
    # What the backend stored is the file itself.
    got = direct(backend).get_object(Bucket=bucket, Key="big.bin")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(big.read_bytes()).digest()
    r = cli("s3", "cp", f"s3://{bucket}/big.bin", str(tmp_path / "back.bin"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()

    r = cli("s3", "presign", f"s3://{bucket}/a.txt", "--expires-in", "60")
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert "X-Amz-Signature=" in url, url
    status, body = _get(url)
    assert (status, body) == (200, b"alpha")

    r = cli("s3", "rm", f"s3://{bucket}/a.txt")
    assert r.returncode == 0, r.stderr
    r = cli("s3", "ls", f"s3://{bucket}/")
    assert "a.txt" not in r.stdout.replace("synced/", "")


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", u.path + ("?" + u.query if u.query else ""), headers=headers or {})
    r = c.getresponse()
    out = r.read()
    c.close()
    return r.status, out


def test_a_user_allowed_getobject_on_one_bucket_is_refused_on_another(gw):
    allowed, other = new_bucket(gw), new_bucket(gw)
    root = s3(gw)
    for b in (allowed, other):
        root.put_object(Bucket=b, Key="k", Body=b"data")
    _, creds = user_with(gw, [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{allowed}/*"}])
    c = s3(gw, creds)
    assert c.get_object(Bucket=allowed, Key="k")["Body"].read() == b"data"
    denied(c.get_object, Bucket=other, Key="k")
    # The grant is GetObject only: writing is refused on the allowed bucket too.
    denied(c.put_object, Bucket=allowed, Key="k2", Body=b"x")


def test_the_cli_is_refused_without_permission_and_allowed_with_it(gw, cli):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="f", Body=b"x")
    iam = gw.client("iam")
    user, creds = create_user_with_key(iam)
    r = cli("s3", "ls", f"s3://{bucket}/", creds=creds)
    assert r.returncode != 0 and "AccessDenied" in r.stderr, r.stderr
    iam.put_user_policy(
        UserName=user["UserName"],
        PolicyName="list",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}),
    )
    r = cli("s3", "ls", f"s3://{bucket}/", creds=creds)
    assert r.returncode == 0 and " f\n" in r.stdout + "\n", r.stdout + r.stderr


def test_listbucket_limited_to_the_callers_home_prefix(gw):
    bucket = new_bucket(gw)
    name = unique("alice")
    _, creds = user_with(
        gw,
        [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}},
            }
        ],
        name=name,
    )
    root = s3(gw)
    root.put_object(Bucket=bucket, Key=f"home/{name}/notes.txt", Body=b"n")
    root.put_object(Bucket=bucket, Key="home/bob/secret.txt", Body=b"s")
    c = s3(gw, creds)
    keys = [o["Key"] for o in c.list_objects_v2(Bucket=bucket, Prefix=f"home/{name}/")["Contents"]]
    assert keys == [f"home/{name}/notes.txt"]
    denied(c.list_objects_v2, Bucket=bucket, Prefix="home/bob/")
    denied(c.list_objects_v2, Bucket=bucket)


def test_a_role_session_reads_a_bucket(gw):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="r", Body=b"role-data")
    iam = gw.client("iam")
    role = unique("reader")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=policy_doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
        ),
    )
    _, ucreds = user_with(gw, [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])
    session = creds_of(
        make_client("sts", gw.url, ucreds).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", RoleSessionName="reader-session"
        )
    )
    # Without a policy on the role, the session is refused; with one, it reads.
    denied(s3(gw, session).get_object, Bucket=bucket, Key="r")
    iam.put_role_policy(
        RoleName=role,
        PolicyName="read",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}),
    )
    assert s3(gw, session).get_object(Bucket=bucket, Key="r")["Body"].read() == b"role-data"
    # A URL the session presigns carries its token (X-Amz-Security-Token) and works too.
    url = s3(gw, session).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "r"}, ExpiresIn=60)
    assert "X-Amz-Security-Token=" in url
    assert _get(url) == (200, b"role-data")
    # A tampered token is refused.
    status, body = _get(url.replace("X-Amz-Security-Token=", "X-Amz-Security-Token=A"))
    assert status in (400, 403) and b"<Error>" in body


def test_an_explicit_deny_in_a_bucket_policy_beats_an_identity_allow(gw):
    bucket = new_bucket(gw)
    root = s3(gw)
    root.put_object(Bucket=bucket, Key="private/x", Body=b"p")
    root.put_object(Bucket=bucket, Key="public/x", Body=b"q")
    user, creds = user_with(gw, [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    c = s3(gw, creds)
    assert c.get_object(Bucket=bucket, Key="private/x")["Body"].read() == b"p"
    root.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": user["Arn"]},
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/private/*",
                    }
                ],
            }
        ),
    )
    denied(c.get_object, Bucket=bucket, Key="private/x")
    # Control: the rest of the bucket is still readable.
    assert c.get_object(Bucket=bucket, Key="public/x")["Body"].read() == b"q"


@pytest.fixture(scope="module")
def org_world(gw):
    return new_organization(gw)


def test_a_bucket_policy_grants_a_role_in_another_account(gw, org_world):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="shared", Body=b"cross")
    member_creds, member_arn = member_session(gw, org_world, "x-acct")
    # The member's session may do anything in its account, but the bucket is another account's:
    # without the owner's bucket policy it is refused.
    c = s3(gw, member_creds)
    denied(c.get_object, Bucket=bucket, Key="shared")
    role_arn = f"arn:aws:iam::{org_world['member']}:role/OrganizationAccountAccessRole"
    s3(gw).put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": role_arn},
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    }
                ],
            }
        ),
    )
    assert c.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"cross"
    # The bucket policy does not open writes.
    denied(c.put_object, Bucket=bucket, Key="w", Body=b"x")


def test_a_cross_account_bucket_policy_with_an_organizations_condition(gw, org_world):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="org", Body=b"org-data")
    member_creds, _ = member_session(gw, org_world, "org-reader")
    org_id = org_world["org"]["Id"]

    def put(org: str) -> None:
        s3(gw).put_bucket_policy(
            Bucket=bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{bucket}/*",
                            "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}},
                        }
                    ],
                }
            ),
        )

    put("o-0000000000")
    denied(s3(gw, member_creds).get_object, Bucket=bucket, Key="org")
    put(org_id)
    assert s3(gw, member_creds).get_object(Bucket=bucket, Key="org")["Body"].read() == b"org-data"
    # Anonymous callers have no organization: the same policy does not open the bucket to them.
    status, _ = _get(f"{gw.url}/{bucket}/org")
    assert status == 403


def test_anonymous_public_read_only_where_a_bucket_policy_allows_everyone(gw):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="pub/a", Body=b"public")
    s3(gw).put_object(Bucket=bucket, Key="priv/a", Body=b"private")
    status, body = _get(f"{gw.url}/{bucket}/pub/a")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body and b"<Message>Access Denied</Message>" in body
    s3(gw).put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/pub/*"}
                ],
            }
        ),
    )
    assert _get(f"{gw.url}/{bucket}/pub/a") == (200, b"public")
    assert _get(f"{gw.url}/{bucket}/priv/a")[0] == 403
    # Anonymous writes and listings stay refused.
    assert send(gw, "PUT", f"/{bucket}/pub/b", {}, b"x")[0] == 403
    assert _get(f"{gw.url}/{bucket}")[0] == 403


def test_request_keys_reach_the_policies(gw):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="k", Body=b"v")
    _, creds = user_with(gw, [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/*"}])
    c = s3(gw, creds)
    url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    assert _get(url) == (200, b"v")
    # s3:authType: presigned URLs refused by the bucket policy, header auth still allowed.
    s3(gw).put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
             "Condition": {"StringEquals": {"s3:authType": "REST-QUERY-STRING"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "public-read"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*",
             "Condition": {"StringEquals": {"s3:RequestObjectTag/class": "secret"}}},
        ]}),
    )
    assert _get(url)[0] == 403
    assert c.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    # s3:x-amz-acl (ACL headers also need s3:PutObjectAcl, which the user lacks: refused either way;
    # root, which has every permission, is refused by the policy's key alone).
    denied(s3(gw).put_object, Bucket=bucket, Key="acl", Body=b"x", ACL="public-read")
    s3(gw).put_object(Bucket=bucket, Key="acl", Body=b"x", ACL="private")
    # s3:RequestObjectTag/<key> from x-amz-tagging.
    denied(s3(gw).put_object, Bucket=bucket, Key="t", Body=b"x", Tagging="class=secret")
    s3(gw).put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="class=public")


def test_bucket_policy_crud_and_s3s_validation_texts(gw):
    bucket = new_bucket(gw)
    root = s3(gw)
    with pytest.raises(ClientError) as ei:
        root.get_bucket_policy(Bucket=bucket)
    # LocalStack test_s3_api.snapshot.json, TestS3BucketPolicy::test_bucket_policy_crud.
    assert code_of(ei.value) == ("NoSuchBucketPolicy", 404)
    assert ei.value.response["Error"]["Message"] == "The bucket policy does not exist"
    for bad, msg in [
        ("", "Policies must be valid JSON and the first byte must be '{'"),
        ("randomstring", "Policies must be valid JSON and the first byte must be '{'"),
        ("{}", "Missing required field Statement"),
        (
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::another-bucket/*"}]}),
            "Policy has invalid resource",
        ),
    ]:
        with pytest.raises(ClientError) as ei:
            root.put_bucket_policy(Bucket=bucket, Policy=bad)
        assert code_of(ei.value) == ("MalformedPolicy", 400), bad
        assert ei.value.response["Error"]["Message"] == msg
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    r = root.put_bucket_policy(Bucket=bucket, Policy=doc)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert json.loads(root.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(doc)
    assert root.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    # Deleting an absent policy is 204 as well (recorded).
    assert root.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_bucket_policy_calls_need_the_action_and_the_owner_account(gw, org_world):
    bucket = new_bucket(gw)
    _, creds = user_with(gw, [])
    denied(s3(gw, creds).get_bucket_policy, Bucket=bucket)
    _, allowed = user_with(gw, [{"Effect": "Allow", "Action": "s3:GetBucketPolicy", "Resource": "*"}])
    with pytest.raises(ClientError) as ei:
        s3(gw, allowed).get_bucket_policy(Bucket=bucket)
    assert code_of(ei.value) == ("NoSuchBucketPolicy", 404)
    # Another account, even allowed by the bucket policy, gets 405 (S3 User Guide).
    member_creds, member_arn = member_session(gw, org_world, "pol")
    s3(gw).put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{org_world['member']}:root"}, "Action": "s3:GetBucketPolicy", "Resource": f"arn:aws:s3:::{bucket}"}]}),
    )
    with pytest.raises(ClientError) as ei:
        s3(gw, member_creds).get_bucket_policy(Bucket=bucket)
    assert code_of(ei.value) == ("MethodNotAllowed", 405)


def test_the_expected_bucket_owner_is_checked_against_warden_s_owner(gw, org_world):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="o", Body=b"x")
    got = s3(gw).get_object(Bucket=bucket, Key="o", ExpectedBucketOwner=ACCOUNT_ID)
    assert got["Body"].read() == b"x"
    denied(s3(gw).get_object, Bucket=bucket, Key="o", ExpectedBucketOwner=org_world["member"])
    with pytest.raises(ClientError) as ei:
        s3(gw).get_object(Bucket=bucket, Key="o", ExpectedBucketOwner="abcd")
    assert code_of(ei.value) == ("InvalidBucketOwnerAWSAccountID", 400)
    # LocalStack test_s3.snapshot.json, "delete-bucket-policy-invalid-bucket-owner" (recorded on AWS).
    assert ei.value.response["Error"]["Message"] == (
        "The value of the expected bucket owner parameter must be an AWS Account ID... [abcd]"
    )


def test_list_buckets_lists_the_callers_account_only(gw, org_world):
    mine = new_bucket(gw)
    member_creds, _ = member_session(gw, org_world, "lister")
    theirs = new_bucket(gw, member_creds)
    names = {b["Name"] for b in s3(gw).list_buckets()["Buckets"]}
    assert mine in names and theirs not in names
    names = {b["Name"] for b in s3(gw, member_creds).list_buckets()["Buckets"]}
    assert theirs in names and mine not in names
    # A bucket name is global: another account cannot take it.
    with pytest.raises(ClientError) as ei:
        s3(gw).create_bucket(Bucket=theirs)
    assert code_of(ei.value) == ("BucketAlreadyExists", 409)


def test_a_bucket_made_in_the_backend_directly_belongs_to_the_default_account(gw, backend, org_world):
    name = unique("pre")
    direct(backend).create_bucket(Bucket=name)
    member_creds, _ = member_session(gw, org_world, "taker")
    # Another account cannot claim it by "creating" it through the gateway.
    with pytest.raises(ClientError) as ei:
        s3(gw, member_creds).create_bucket(Bucket=name)
    assert code_of(ei.value) == ("BucketAlreadyExists", 409)
    denied(s3(gw, member_creds).list_objects_v2, Bucket=name)
    # The default account's root owns it.
    assert s3(gw).list_objects_v2(Bucket=name)["KeyCount"] == 0


def test_a_missing_key_is_404_only_to_callers_who_may_list(gw):
    bucket = new_bucket(gw)
    _, reader = user_with(gw, [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}])
    denied(s3(gw, reader).get_object, Bucket=bucket, Key="nope")
    _, lister = user_with(
        gw,
        [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        ],
    )
    with pytest.raises(ClientError) as ei:
        s3(gw, lister).get_object(Bucket=bucket, Key="nope")
    assert code_of(ei.value) == ("NoSuchKey", 404)


def test_delete_objects_is_decided_per_key(gw, backend):
    bucket = new_bucket(gw)
    for k in ("tmp/a", "tmp/b", "keep/c"):
        s3(gw).put_object(Bucket=bucket, Key=k, Body=b"x")
    _, creds = user_with(gw, [{"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/tmp/*"}])
    c = s3(gw, creds)
    # One denied key: the others are deleted and the denied one is reported inside a 200
    # DeleteResult (reference s3-authorization.md §7, "Per-key failures are inside a 200").
    r = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "tmp/a"}, {"Key": "keep/c"}]})
    assert [d["Key"] for d in r.get("Deleted", [])] == ["tmp/a"]
    assert [(e["Key"], e["Code"]) for e in r["Errors"]] == [("keep/c", "AccessDenied")]
    assert sorted(o["Key"] for o in direct(backend).list_objects_v2(Bucket=bucket)["Contents"]) == ["keep/c", "tmp/b"]
    # Only denied keys: nothing is forwarded.
    r = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "keep/c"}]})
    assert [(e["Key"], e["Code"]) for e in r["Errors"]] == [("keep/c", "AccessDenied")]
    # Control: all allowed.
    r = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "tmp/b"}]})
    assert [d["Key"] for d in r["Deleted"]] == ["tmp/b"] and not r.get("Errors")
    assert [o["Key"] for o in direct(backend).list_objects_v2(Bucket=bucket)["Contents"]] == ["keep/c"]


def test_copy_object_needs_getobject_on_the_source(gw):
    src, dst = new_bucket(gw), new_bucket(gw)
    s3(gw).put_object(Bucket=src, Key="s", Body=b"copy-me")
    _, creds = user_with(gw, [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{dst}/*"}])
    denied(s3(gw, creds).copy_object, Bucket=dst, Key="d", CopySource={"Bucket": src, "Key": "s"})
    _, creds2 = user_with(
        gw,
        [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{dst}/*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{src}/*"},
        ],
    )
    s3(gw, creds2).copy_object(Bucket=dst, Key="d", CopySource={"Bucket": src, "Key": "s"})
    assert s3(gw).get_object(Bucket=dst, Key="d")["Body"].read() == b"copy-me"


# =================================================================================================
# Attacks
# =================================================================================================


def test_a_tampered_chunk_signature_is_refused_and_nothing_is_stored(gw, backend):
    bucket = new_bucket(gw)
    data = os.urandom(70000)
    for tamper in (True, False):
        key = f"chunked-{tamper}"
        path = f"/{bucket}/{key}"
        payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        extra = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
        headers, seed, skey, amz_date, scope = signed_put(gw, ROOT, path, b"", payload, extra)
        body = chunked_body(data, seed, skey, amz_date, scope, [65536, len(data) - 65536])
        if tamper:
            # One byte of the second chunk's data changes; its signature no longer matches.
            i = body.rindex(b"\r\n0;chunk-signature") - 10
            body = body[:i] + bytes([body[i] ^ 1]) + body[i + 1 :]
        headers["content-length"] = str(len(body))
        status, out = send(gw, "PUT", path, headers, body)
        if tamper:
            assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in out, out
            with pytest.raises(ClientError):
                direct(backend).head_object(Bucket=bucket, Key=key)
        else:
            assert status == 200, out
            assert direct(backend).get_object(Bucket=bucket, Key=key)["Body"].read() == data


def test_a_signed_trailer_upload_verifies_its_trailer_signature(gw, backend):
    bucket = new_bucket(gw)
    data = os.urandom(20000)
    crc = __import__("base64").b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    for tamper in (False, True):
        key = f"strailer-{tamper}"
        path = f"/{bucket}/{key}"
        extra = {
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
            "x-amz-trailer": "x-amz-checksum-crc32",
        }
        headers, seed, skey, amz_date, scope = signed_put(
            gw, ROOT, path, b"", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", extra
        )
        body = chunked_body(data, seed, skey, amz_date, scope, [len(data)])
        final_sig = body.rsplit(b"chunk-signature=", 1)[1][:64].decode()
        trailer = f"x-amz-checksum-crc32:{crc}\n"
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, final_sig, hashlib.sha256(trailer.encode()).hexdigest()])
        tsig = hmac.new(skey, sts.encode(), hashlib.sha256).hexdigest()
        if tamper:
            tsig = ("0" if tsig[0] != "0" else "1") + tsig[1:]
        # The final chunk's CRLF is replaced by the trailer lines.
        body = body[:-2] + f"x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{tsig}\r\n\r\n".encode()
        headers["content-length"] = str(len(body))
        status, out = send(gw, "PUT", path, headers, body)
        if tamper:
            assert status == 403 and b"SignatureDoesNotMatch" in out, out
            with pytest.raises(ClientError):
                direct(backend).head_object(Bucket=bucket, Key=key)
        else:
            assert status == 200, out
            assert direct(backend).get_object(Bucket=bucket, Key=key)["Body"].read() == data
            # The verified trailing checksum reached the backend, which stored it.
            assert direct(backend).head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")["ChecksumCRC32"] == crc


def test_small_chunks_before_the_last_are_refused(gw):
    bucket = new_bucket(gw)
    data = os.urandom(300)
    path = f"/{bucket}/small-chunks"
    extra = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    headers, seed, skey, amz_date, scope = signed_put(gw, ROOT, path, b"", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", extra)
    body = chunked_body(data, seed, skey, amz_date, scope, [100, 200])
    headers["content-length"] = str(len(body))
    status, out = send(gw, "PUT", path, headers, body)
    # S3's text (reference 1.4, recorded via the JS SDK's e2e log).
    assert status == 400 and b"<Code>InvalidChunkSizeError</Code>" in out, out
    assert b"Only the last chunk is allowed to have a size less than 8192 bytes" in out


def test_a_denied_upload_is_answered_before_its_body_is_sent(gw):
    bucket = new_bucket(gw)
    _, creds = user_with(gw, [])
    path = f"/{bucket}/never"
    headers, *_ = signed_put(gw, creds, path, b"", "UNSIGNED-PAYLOAD")
    headers.update({"content-length": str(100 << 20), "expect": "100-continue"})
    c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    c.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        c.putheader(k, v)
    c.endheaders()
    # No body byte sent: the decision comes first, and no 100 Continue.
    r = c.getresponse()
    assert r.status == 403, r.read()
    assert b"AccessDenied" in r.read()
    c.close()


def test_an_unsigned_trailer_upload_checks_its_crc32(gw, backend):
    bucket = new_bucket(gw)
    data = os.urandom(30000)
    good = __import__("base64").b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    for crc, want in ((good, 200), ("AAAAAA==", 400)):
        key = f"trailer-{want}"
        path = f"/{bucket}/{key}"
        extra = {
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
            "x-amz-trailer": "x-amz-checksum-crc32",
        }
        headers, *_ = signed_put(gw, ROOT, path, b"", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", extra)
        body = b""
        for i in range(0, len(data), 16384):
            piece = data[i : i + 16384]
            body += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        body += f"0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n".encode()
        headers["content-length"] = str(len(body))
        status, out = send(gw, "PUT", path, headers, body)
        assert status == want, out
        if want == 200:
            assert direct(backend).get_object(Bucket=bucket, Key=key)["Body"].read() == data
            # The verified trailing checksum is passed on (re-framed as the backend's own
            # STREAMING-UNSIGNED-PAYLOAD-TRAILER upload) and stored: GetObject and HeadObject with
            # ChecksumMode=ENABLED return it, from the backend and through the gateway.
            assert direct(backend).head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")["ChecksumCRC32"] == crc
            got = s3(gw).get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
            assert got["ChecksumCRC32"] == crc and got["Body"].read() == data
        else:
            assert b"<Code>BadDigest</Code>" in out, out
            with pytest.raises(ClientError):
                direct(backend).head_object(Bucket=bucket, Key=key)


def test_trailing_checksums_of_every_size_and_algorithm_are_stored(gw, backend):
    import base64

    bucket = new_bucket(gw)
    sha256 = lambda d: base64.b64encode(hashlib.sha256(d).digest()).decode()  # noqa: E731
    sha1 = lambda d: base64.b64encode(hashlib.sha1(d).digest()).decode()  # noqa: E731
    crc32 = lambda d: base64.b64encode(zlib.crc32(d).to_bytes(4, "big")).decode()  # noqa: E731
    cases = [("SHA256", sha256, b""), ("SHA1", sha1, os.urandom(70000)), ("CRC32", crc32, b"x")]
    for name, digest, data in cases:
        key = f"alg-{name}-{len(data)}"
        path = f"/{bucket}/{key}"
        header = f"x-amz-checksum-{name.lower()}"
        extra = {
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
            "x-amz-trailer": header,
        }
        headers, *_ = signed_put(gw, ROOT, path, b"", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", extra)
        body = (f"{len(data):x}\r\n".encode() + data + b"\r\n") if data else b""
        body += f"0\r\n{header}:{digest(data)}\r\n\r\n".encode()
        headers["content-length"] = str(len(body))
        status, out = send(gw, "PUT", path, headers, body)
        assert status == 200, (name, out)
        head = direct(backend).head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        assert head[f"Checksum{name}"] == digest(data), (name, head)
        assert direct(backend).get_object(Bucket=bucket, Key=key)["Body"].read() == data


def test_a_body_that_does_not_match_its_signed_hash_is_refused_and_not_stored(gw, backend):
    bucket = new_bucket(gw)
    path = f"/{bucket}/hash"
    signed_for = hashlib.sha256(b"the body I signed").hexdigest()
    headers, *_ = signed_put(gw, ROOT, path, b"", signed_for)
    status, out = send(gw, "PUT", path, headers, b"another body")
    assert status == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in out, out
    with pytest.raises(ClientError):
        direct(backend).head_object(Bucket=bucket, Key="hash")
    # Control: the body it signed goes through.
    headers, *_ = signed_put(gw, ROOT, path, b"", signed_for)
    assert send(gw, "PUT", path, headers, b"the body I signed")[0] == 200


def test_a_presigned_url_replayed_after_expiry_is_refused(gw):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="e", Body=b"soon gone")
    url = s3(gw).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"}, ExpiresIn=1)
    assert _get(url) == (200, b"soon gone")
    time.sleep(2.2)
    status, body = _get(url)
    assert status == 403 and b"<Message>Request has expired</Message>" in body, body
    # A URL edited to point elsewhere does not verify.
    url2 = s3(gw).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"}, ExpiresIn=60)
    status, body = _get(url2.replace("/e?", "/f?"))
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_presigned_urls_live_at_most_a_week(gw):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="w", Body=b"week")
    ok = s3(gw).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "w"}, ExpiresIn=604800)
    assert _get(ok) == (200, b"week")
    too_long = s3(gw).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "w"}, ExpiresIn=604801)
    status, body = _get(too_long)
    assert status == 400 and b"<Code>AuthorizationQueryParametersError</Code>" in body, body
    assert b"X-Amz-Expires must be less than a week (in seconds)" in body
    # A parameter missing: S3's recorded text (LocalStack TestS3PresignedUrl, reference 1.7).
    status, body = _get(ok.replace("X-Amz-SignedHeaders=", "X-Amz-Nothing="))
    assert status == 400 and b"Query-string authentication version 4 requires" in body, body


def test_unsigned_amz_headers_and_sigv2_are_refused(gw):
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="h", Body=b"x")
    url = s3(gw).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "h"}, ExpiresIn=60)
    status, body = _get(url, {"x-amz-meta-extra": "1"})
    assert status == 403 and b"<HeadersNotSigned>x-amz-meta-extra</HeadersNotSigned>" in body, body
    assert _get(url)[0] == 200
    v2 = make_client("s3", gw.url, ROOT).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "h"}, ExpiresIn=60
    )
    if "AWSAccessKeyId=" in v2:
        status, body = _get(v2)
        assert status == 400 and b"AWS4-HMAC-SHA256" in body, body


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def error_of(xml: bytes) -> dict[str, str]:
    """An S3 error body's elements, decoded, without the request ids."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xml)
    return {e.tag: e.text or "" for e in root if e.tag not in ("RequestId", "HostId")}


def test_an_unsigned_amz_header_is_refused_in_header_auth_too(gw, backend):
    """Header auth, like presigned URLs: S3's answer to a header-signed request with an unsigned
    `x-amz-acl`, quoted by englacial/zagg (issue #522): 403 AccessDenied, `<HeadersNotSigned>`."""
    bucket = new_bucket(gw)
    path = f"/{bucket}/meta"
    body = b"with metadata"
    line = hashlib.sha256(body).hexdigest()
    headers, *_ = signed_put(gw, ROOT, path, body, line)
    headers["x-amz-meta-smuggled"] = "1"
    status, out = send(gw, "PUT", path, headers, body)
    assert status == 403, out
    assert b"<Code>AccessDenied</Code>" in out
    assert b"<Message>There were headers present in the request which were not signed</Message>" in out
    assert b"<HeadersNotSigned>x-amz-meta-smuggled</HeadersNotSigned>" in out
    with pytest.raises(ClientError):
        direct(backend).head_object(Bucket=bucket, Key="meta")
    # Control: the same header, signed.
    headers, *_ = signed_put(gw, ROOT, path, body, line, {"x-amz-meta-smuggled": "1"})
    assert send(gw, "PUT", path, headers, body)[0] == 200
    assert direct(backend).head_object(Bucket=bucket, Key="meta")["Metadata"] == {"smuggled": "1"}


def test_a_credential_scoped_to_another_region_is_refused_as_s3_does(gw):
    """S3's text, recorded against AWS (LocalStack `TestS3::test_create_bucket_aws_global`; the
    error carries `<Region>`); the presigned form as versitygw words it (reference §1.7)."""
    bucket = new_bucket(gw)
    s3(gw).put_object(Bucket=bucket, Key="r", Body=b"region")
    path = f"/{bucket}/r"
    headers, *_ = signed_put(gw, ROOT, path, b"", EMPTY_SHA256, method="GET", region="eu-west-1")
    status, out = send(gw, "GET", path, headers, b"")
    assert status == 400, out
    assert error_of(out) == {
        "Code": "AuthorizationHeaderMalformed",
        "Message": "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
        "Region": "us-east-1",
    }
    # Control: the gateway's region.
    headers, *_ = signed_put(gw, ROOT, path, b"", EMPTY_SHA256, method="GET")
    assert send(gw, "GET", path, headers, b"") == (200, b"region")
    # Presigned: the X-Amz-Credential scope likewise.
    url = s3_in(gw, "eu-west-1").generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "r"}, ExpiresIn=60)
    assert "eu-west-1" in url
    status, out = _get(url)
    assert status == 400, out
    assert error_of(out) == {
        "Code": "AuthorizationQueryParametersError",
        "Message": "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
        "Region": "us-east-1",
    }
    url = s3(gw).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "r"}, ExpiresIn=60)
    assert _get(url) == (200, b"region")


def test_the_gateway_serves_the_region_it_is_configured_for(warden_factory, backend):
    w = warden_factory(extra_env={**gateway_env(backend), "WARDEN_S3_REGION": "eu-west-1"})
    headers, *_ = signed_put(w, ROOT, "/", b"", EMPTY_SHA256, method="GET")
    status, out = send(w, "GET", "/", headers, b"")
    assert status == 400, out
    assert error_of(out)["Message"].endswith("the region 'us-east-1' is wrong; expecting 'eu-west-1'")
    # Control: a client of that region.
    assert isinstance(s3_in(w, "eu-west-1").list_buckets()["Buckets"], list)


def test_a_bucket_named_health_is_served_and_plain_gets_still_check_health(gw, backend):
    root = s3(gw)
    root.create_bucket(Bucket="health")
    try:
        root.put_object(Bucket="health", Key="k", Body=b"in health")
        assert root.get_object(Bucket="health", Key="k")["Body"].read() == b"in health"
        assert [o["Key"] for o in root.list_objects_v2(Bucket="health")["Contents"]] == ["k"]
        root.head_bucket(Bucket="health")
        # The bucket is warden's like any other: its owner is recorded and its actions decided.
        _, creds = user_with(gw, [])
        denied(s3(gw, creds).list_objects_v2, Bucket="health")
        # A presigned URL for the bucket reaches S3 too.
        url = root.generate_presigned_url("list_objects_v2", Params={"Bucket": "health"}, ExpiresIn=60)
        status, out = _get(url)
        assert status == 200 and b"<Key>k</Key>" in out, out
        # An unsigned GET is warden's health check.
        assert _get(f"{gw.url}/health") == (200, b"ok")
        root.delete_object(Bucket="health", Key="k")
    finally:
        root.delete_bucket(Bucket="health")
    with pytest.raises(ClientError):
        direct(backend).head_bucket(Bucket="health")


def test_existing_object_tags_decide_reads_and_are_fetched_only_when_a_policy_reads_them(warden_factory, backend):
    """`s3:ExistingObjectTag/<key>`: the tags stored on the object, read from the backend before
    deciding the actions the Service Authorization Reference lists with the key (GetObject, ...).
    S3 User Guide, "Tagging and access control policies": a policy granting GetObject only for
    objects tagged `classification=public` (here as in its example, an identity policy)."""
    w = warden_factory(extra_env={**gateway_env(backend), "WARDEN_LOG": "info,warden_server::s3=debug"})
    fetches = lambda: w.stderr_text().count("s3 object tags fetched")  # noqa: E731
    bucket = new_bucket(w)
    root = s3(w)
    root.put_object(Bucket=bucket, Key="public", Body=b"open", Tagging="classification=public")
    root.put_object(Bucket=bucket, Key="secret", Body=b"closed", Tagging="classification=secret")
    root.put_object(Bucket=bucket, Key="untagged", Body=b"plain")
    # No policy reads the key: no tag is fetched, whoever asks.
    assert root.get_object(Bucket=bucket, Key="secret")["Body"].read() == b"closed"
    _, plain = user_with(w, [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}])
    assert s3(w, plain).get_object(Bucket=bucket, Key="untagged")["Body"].read() == b"plain"
    assert fetches() == 0
    # An identity policy allowing GetObject for public objects only.
    _, reader = user_with(
        w,
        [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}},
            }
        ],
    )
    c = s3(w, reader)
    assert c.get_object(Bucket=bucket, Key="public")["Body"].read() == b"open"
    assert fetches() == 1
    denied(c.get_object, Bucket=bucket, Key="untagged")
    denied(c.get_object, Bucket=bucket, Key="secret")
    # A missing object has no tags: denied (403, not 404: the reader may not list).
    denied(c.get_object, Bucket=bucket, Key="missing")
    # The tags are read at each request: retagged, the object opens and closes.
    root.put_object_tagging(Bucket=bucket, Key="secret", Tagging={"TagSet": [{"Key": "classification", "Value": "public"}]})
    assert c.get_object(Bucket=bucket, Key="secret")["Body"].read() == b"closed"
    root.put_object_tagging(Bucket=bucket, Key="secret", Tagging={"TagSet": [{"Key": "classification", "Value": "secret"}]})
    denied(c.get_object, Bucket=bucket, Key="secret")
    # A deny on a tag in the bucket policy binds everyone, the owner's root included; control: the
    # untagged object stays readable.
    root.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                        "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "secret"}},
                    }
                ],
            }
        ),
    )
    denied(root.get_object, Bucket=bucket, Key="secret")
    denied(s3(w, plain).get_object, Bucket=bucket, Key="secret")
    assert root.get_object(Bucket=bucket, Key="untagged")["Body"].read() == b"plain"
    assert s3(w, plain).get_object(Bucket=bucket, Key="public")["Body"].read() == b"open"
    # HeadObject is GetObject, and a copy reads its source's tags.
    with pytest.raises(ClientError) as ei:
        root.head_object(Bucket=bucket, Key="secret")
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    denied(root.copy_object, Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "secret"})
    root.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "untagged"})
    # Actions the reference does not list with the key never fetch: PutObject on a tagged key.
    before = fetches()
    root.put_object(Bucket=bucket, Key="secret-2", Body=b"x")
    root.list_objects_v2(Bucket=bucket)
    assert fetches() == before


def test_create_bucket_is_decided_with_its_location_constraint(gw, backend):
    """`s3:LocationConstraint` (SAR: CreateBucket's key) comes from the CreateBucketConfiguration
    body, read before the decision and held to the client's signed hash."""
    _, creds = user_with(
        gw,
        [
            {
                "Effect": "Allow",
                "Action": "s3:CreateBucket",
                "Resource": "*",
                "Condition": {"StringEquals": {"s3:LocationConstraint": "eu-west-1"}},
            }
        ],
    )
    c = s3(gw, creds)
    ok = unique("loc")
    c.create_bucket(Bucket=ok, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert direct(backend).get_bucket_location(Bucket=ok)["LocationConstraint"] == "eu-west-1"
    for config in ({"LocationConstraint": "eu-central-1"}, None):
        name = unique("loc")
        kw = {"CreateBucketConfiguration": config} if config else {}
        denied(c.create_bucket, Bucket=name, **kw)
        with pytest.raises(ClientError):
            direct(backend).head_bucket(Bucket=name)
    # The body is the one signed: a configuration swapped after signing is refused.
    name = unique("loc")
    signed_for = b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
    swapped = signed_for.replace(b"eu-west-1", b"eu-central-1")
    headers, *_ = signed_put(gw, creds, f"/{name}", b"", hashlib.sha256(signed_for).hexdigest())
    status, out = send(gw, "PUT", f"/{name}", headers, swapped)
    assert status == 400 and error_of(out)["Code"] == "XAmzContentSHA256Mismatch", out
    with pytest.raises(ClientError):
        direct(backend).head_bucket(Bucket=name)
    headers, *_ = signed_put(gw, creds, f"/{name}", b"", hashlib.sha256(signed_for).hexdigest())
    assert send(gw, "PUT", f"/{name}", headers, signed_for)[0] == 200


def test_tls_version_is_absent_on_plain_http(gw):
    """warden serves plain HTTP: `s3:TlsVersion` is absent (as `aws:SecureTransport` is `false`), so
    a `Null` condition sees it missing and a numeric comparison never matches."""
    bucket = new_bucket(gw)
    root = s3(gw)
    root.put_object(Bucket=bucket, Key="k", Body=b"v")

    def policy(condition: dict) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                        "Condition": condition,
                    }
                ],
            }
        )

    root.put_bucket_policy(Bucket=bucket, Policy=policy({"NumericLessThan": {"s3:TlsVersion": "1.2"}}))
    assert root.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    root.put_bucket_policy(Bucket=bucket, Policy=policy({"Null": {"s3:TlsVersion": "true"}}))
    denied(root.get_object, Bucket=bucket, Key="k")
    root.delete_bucket_policy(Bucket=bucket)
    assert root.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_path_tricks_address_exactly_the_key_that_was_authorized(gw, backend):
    bucket = new_bucket(gw)
    root = s3(gw)
    root.put_object(Bucket=bucket, Key="secret", Body=b"SECRET")
    root.put_object(Bucket=bucket, Key="pub/x", Body=b"pub")
    _, creds = user_with(
        gw,
        [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/pub/*"},
        ],
    )
    c = s3(gw, creds)
    assert c.get_object(Bucket=bucket, Key="pub/x")["Body"].read() == b"pub"
    # `pub/../secret` is a key of its own in S3 (no dot-segment removal): allowed by `pub/*`, it
    # never reaches `secret`.
    headers, *_ = signed_put(gw, creds, f"/{bucket}/pub/../secret", b"", hashlib.sha256(b"mine").hexdigest())
    assert send(gw, "PUT", f"/{bucket}/pub/../secret", headers, b"mine")[0] == 200
    assert direct(backend).get_object(Bucket=bucket, Key="secret")["Body"].read() == b"SECRET"
    assert direct(backend).get_object(Bucket=bucket, Key="pub/../secret")["Body"].read() == b"mine"
    # The same through the SDK.
    assert c.get_object(Bucket=bucket, Key="pub/../secret")["Body"].read() == b"mine"
    # An encoded slash in the bucket segment is no bucket.
    status, body = _get(f"{gw.url}/{bucket}%2Fpub/x")
    assert status == 400 and b"InvalidBucketName" in body
    # A bucket named in the Host header does not change the bucket addressed by the path.
    url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pub/x"}, ExpiresIn=60)
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    conn.request("GET", f"/{bucket}/secret?{u.query}", headers={"Host": f"{bucket}.127.0.0.1:{gw.port}"})
    r = conn.getresponse()
    assert r.status == 403, r.read()
    conn.close()
    denied(c.get_object, Bucket=bucket, Key="secret")
    # `%73ecret` is `secret`: decoded once, and denied like it.
    status, _ = _get(f"{gw.url}/{bucket}/%73ecret")
    assert status == 403


# =================================================================================================
# Persistence and the rest of warden on the same endpoint
# =================================================================================================


def test_bucket_owners_and_policies_survive_a_restart(warden_factory, backend, store):
    w = warden_factory(extra_env={**gateway_env(backend), **store.env})
    bucket = new_bucket(w)
    s3(w).put_object(Bucket=bucket, Key="pub", Body=b"kept")
    s3(w).put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}),
    )
    w.restart()
    assert _get(f"{w.url}/{bucket}/pub") == (200, b"kept")
    assert bucket in s3(w).get_bucket_policy(Bucket=bucket)["Policy"]
    assert bucket in {b["Name"] for b in s3(w).list_buckets()["Buckets"]}
    # Deleting the bucket forgets its owner and policy, durably.
    s3(w).delete_object(Bucket=bucket, Key="pub")
    s3(w).delete_bucket(Bucket=bucket)
    w.restart()
    assert bucket not in {b["Name"] for b in s3(w).list_buckets()["Buckets"]}
    assert bucket not in store.dump()


def test_the_printed_profile_serves_s3_with_the_aws_cli(warden_factory, backend):
    w = warden_factory(root_from_env=False, extra_env=gateway_env(backend))
    profile = w.data_dir / "root-credentials"
    assert "s3 =" in profile.read_text() and "signature_version = s3v4" in profile.read_text()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_CONFIG_FILE": str(profile),
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    bucket = unique("prof")
    for args in (["s3", "mb", f"s3://{bucket}"], ["s3", "ls"], ["iam", "list-users"]):
        r = subprocess.run(aws_cli_command() + ["--profile", "warden", *args], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    r = subprocess.run(aws_cli_command() + ["--profile", "warden", "s3", "ls"], env=env, capture_output=True, text=True, timeout=60)
    assert bucket in r.stdout, r.stdout + r.stderr


def test_iam_sts_and_s3_share_one_endpoint(gw):
    assert gw.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID
    assert "Users" in gw.client("iam").list_users()
    assert isinstance(s3(gw).list_buckets()["Buckets"], list)


def _backend_cert(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA, and a certificate it signed for 127.0.0.1 with its key, made here with
    `cryptography` (moto's dependency). Returns (CA, certificate, key) paths."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = _dt.datetime.now(_dt.timezone.utc)

    def build(subject: str, issuer: str, public_key, signing_key, ca: bool):
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(minutes=5))
            .not_valid_after(now + _dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return b.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("warden-test-ca", "warden-test-ca", ca_key.public_key(), ca_key, True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = build("127.0.0.1", "warden-test-ca", leaf_key.public_key(), ca_key, False)
    paths = directory / "ca.pem", directory / "backend.pem", directory / "backend.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def test_an_https_backend_is_reached_over_verified_tls(warden_factory, tmp_path):
    _ensure_moto()
    ca, cert, key = _backend_cert(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port), "-c", str(cert), "-k", str(key)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import ssl

        ctx = ssl.create_default_context(cafile=str(ca))

        def up():
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, timeout=1, context=ctx)
                c.request("GET", "/moto-api/")
                c.getresponse().read()
                return True
            except OSError:
                return False

        assert wait_until(up, timeout=30), "moto server (TLS) did not start"
        url = f"https://127.0.0.1:{port}"
        # Trusting the backend's certificate (SSL_CERT_FILE): served.
        w = warden_factory(extra_env={**gateway_env(url), "SSL_CERT_FILE": str(ca)})
        bucket = new_bucket(w)
        s3(w).put_object(Bucket=bucket, Key="k", Body=b"over tls")
        assert s3(w).get_object(Bucket=bucket, Key="k")["Body"].read() == b"over tls"
        # Not trusting it: the certificate is refused and nothing is forwarded (503).
        untrusting = warden_factory(extra_env={**gateway_env(url), "SSL_CERT_FILE": "/dev/null"})
        with pytest.raises(ClientError) as ei:
            s3(untrusting).list_objects_v2(Bucket=bucket)
        assert code_of(ei.value) == ("ServiceUnavailable", 503), ei.value.response
    finally:
        proc.terminate()
        proc.wait(10)


def test_without_the_flag_s3_is_not_served(warden_factory):
    w = warden_factory()
    with pytest.raises(ClientError):
        s3(w).list_buckets()
    assert w.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID


def test_with_the_gateway_a_signed_get_of_the_root_is_list_buckets_and_an_unsigned_one_the_landing_page(gw):
    bucket = unique("root")
    s3(gw).create_bucket(Bucket=bucket)
    # Signed (botocore sends ListBuckets as `GET /`): S3's answer.
    assert bucket in {b["Name"] for b in s3(gw).list_buckets()["Buckets"]}
    # Unsigned: the page that says what this is, with s3 among the services served.
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    conn.request("GET", "/")
    r = conn.getresponse()
    body = r.read().decode()
    assert r.status == 200 and "Services served here: iam, sts, organizations, s3, cloudtrail (LookupEvents)." in body, body
    assert bucket not in body


def test_the_printed_profile_sends_s3_to_the_gateway_by_its_services_section(warden_factory, backend):
    w = warden_factory(root_from_env=False, extra_env=gateway_env(backend))
    text = w.stdout_text()
    assert text == (w.data_dir / "root-credentials").read_text()
    section = text.split("[services warden]", 1)[1]
    for service in ("iam", "sts", "organizations", "s3"):
        assert f"{service} =\n    endpoint_url = {w.url}\n" in section, section
    resolved = subprocess.run(
        [
            sys.executable,
            "-c",
            "import boto3; s = boto3.session.Session(profile_name='warden');"
            "print(s.client('s3').meta.endpoint_url, s.client('dynamodb').meta.endpoint_url)",
        ],
        env={**os.environ, "AWS_CONFIG_FILE": str(w.data_dir / "root-credentials"), "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resolved.stdout.split() == [w.url, "https://dynamodb.us-east-1.amazonaws.com"], resolved.stderr


def test_gateway_requests_are_counted_in_the_metrics(module_warden_factory, backend):
    from test_metrics import scrape

    port = free_port()
    w = module_warden_factory(extra_env={**gateway_env(backend), "WARDEN_METRICS_LISTEN": f"127.0.0.1:{port}"})
    bucket = new_bucket(w)
    s3(w).put_object(Bucket=bucket, Key="k", Body=b"1")
    _, nobody = user_with(w, [], name=unique("nobody"))
    before = scrape(port)
    s3(w).get_object(Bucket=bucket, Key="k")
    with pytest.raises(ClientError):
        s3(w).get_object(Bucket=bucket, Key="missing")
    denied(s3(w, nobody).get_object, Bucket=bucket, Key="k")
    after = scrape(port)

    def moved(outcome: str) -> float:
        labels = {"service": "s3", "action": "GetObject", "outcome": outcome}
        return after.value("warden_requests_total", **labels) - before.value("warden_requests_total", **labels)

    assert moved("ok") == 1
    assert moved("backend_4xx") == 1
    assert moved("AccessDenied") == 1
    got = after.value("warden_request_duration_seconds_count", service="s3", action="GetObject")
    assert got - before.value("warden_request_duration_seconds_count", service="s3", action="GetObject") == 3


# --- the audit trail ------------------------------------------------------------------------------


def s3_events(w, creds: Creds = ROOT, **attribute) -> list[dict]:
    """The S3 records LookupEvents finds (newest first), as records."""
    (key, value), = attribute.items() if attribute else (("EventSource", "s3.amazonaws.com"),)
    ct = make_client("cloudtrail", w.url, creds)
    out = []
    for page in ct.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}]
    ):
        out.extend(json.loads(e["CloudTrailEvent"]) for e in page["Events"])
    return [r for r in out if r["eventSource"] == "s3.amazonaws.com"]


def test_bucket_level_calls_are_in_the_trail_and_object_level_calls_are_not(gw, cli, org_world):
    """CloudTrail records S3's bucket-level calls as management events, under its own names
    (S3 User Guide, "Amazon S3 CloudTrail events"); object-level calls are data events, which
    CloudTrail records only when a trail asks for them."""
    user, creds = user_with(
        gw,
        [
            {
                "Effect": "Allow",
                "Action": ["s3:CreateBucket", "s3:ListAllMyBuckets", "s3:GetLifecycleConfiguration", "s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket"],
                "Resource": "*",
            }
        ],
    )
    c = s3(gw, creds)
    bucket = unique("trail")
    c.create_bucket(Bucket=bucket)
    # Denied (no s3:DeleteBucket), then its control: the same call with the permission.
    denied(c.delete_bucket, Bucket=bucket)
    # A backend's own error: the bucket has no lifecycle configuration.
    with pytest.raises(ClientError) as ei:
        c.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert code_of(ei.value) == ("NoSuchLifecycleConfiguration", 404)
    # Object-level calls and listings of objects: data events.
    c.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert c.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"
    c.list_objects_v2(Bucket=bucket)
    c.head_bucket(Bucket=bucket)
    # A presigned ListBuckets, and a bad signature with the user's real key.
    url = c.generate_presigned_url("list_buckets", ExpiresIn=60)
    assert _get(url)[0] == 200
    signature = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
    # The same with a session's credentials: its token travels in the URL.
    session = creds_of(make_client("sts", gw.url, creds).get_session_token())
    session_url = s3(gw, session).generate_presigned_url("list_buckets", ExpiresIn=60)
    assert "X-Amz-Security-Token=" in session_url and _get(session_url)[0] == 200
    with pytest.raises(ClientError) as ei:
        s3(gw, Creds(creds.access_key_id, "not-the-secret")).list_buckets()
    assert code_of(ei.value) == ("SignatureDoesNotMatch", 403)
    # The root user's bucket policy, then an anonymous read of it: refused, and recorded as the
    # anonymous principal's, in the bucket owner's trail.
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }
    s3(gw).put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    status, _ = _get(f"{gw.url}/{bucket}?policy")
    assert status == 403
    gw.client("iam").put_user_policy(
        UserName=user["UserName"],
        PolicyName="delete",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "s3:DeleteBucket", "Resource": f"arn:aws:s3:::{bucket}"}),
    )
    c.delete_object(Bucket=bucket, Key="k")
    c.delete_bucket(Bucket=bucket)

    mine = [r for r in s3_events(gw, ResourceName=bucket)]
    names = [(r["eventName"], r.get("errorCode")) for r in reversed(mine)]
    assert names == [
        ("CreateBucket", None),
        ("DeleteBucket", "AccessDenied"),
        ("GetBucketLifecycle", "NoSuchLifecycleConfiguration"),
        ("PutBucketPolicy", None),
        ("GetBucketPolicy", "AccessDenied"),
        ("DeleteBucket", None),
    ], names
    create, denial, lifecycle, put_policy, anonymous, delete = reversed(mine)
    assert create["userIdentity"] == iam_user_identity(user, creds.access_key_id)
    host = urllib.parse.urlsplit(gw.url).netloc
    assert create["requestParameters"] == {"bucketName": bucket, "Host": host}
    assert create["awsRegion"] == REGION and create["readOnly"] is False
    assert create["additionalEventData"] == {"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"}
    assert create["resources"] == [{"accountId": ACCOUNT_ID, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]
    assert create["responseElements"] is None and create["recipientAccountId"] == ACCOUNT_ID
    assert create["managementEvent"] is True and create["eventCategory"] == "Management"
    assert create["requestID"] and create["userAgent"].startswith("Boto3/")
    assert denial["errorMessage"] == "Access Denied"
    assert denial["requestParameters"] == {"bucketName": bucket, "Host": host}
    assert lifecycle["readOnly"] is True and lifecycle["requestParameters"]["lifecycle"] == ""
    assert lifecycle["errorMessage"] == "The lifecycle configuration does not exist"
    assert put_policy["userIdentity"]["type"] == "Root"
    assert put_policy["requestParameters"]["bucketPolicy"] == policy
    assert put_policy["requestParameters"]["policy"] == ""
    assert anonymous["userIdentity"] == {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
    assert anonymous["recipientAccountId"] == ACCOUNT_ID and "additionalEventData" not in anonymous
    assert delete["userIdentity"]["arn"] == user["Arn"] and "errorCode" not in delete
    assert delete["resources"] == create["resources"]

    # ListBuckets names no bucket: found by the user's name, presigned and failed alike.
    listed = [r for r in s3_events(gw, Username=user["UserName"]) if r["eventName"] == "ListBuckets"]
    presigned = [r for r in listed if "errorCode" not in r]
    assert len(presigned) == 2, presigned
    assert {r["additionalEventData"]["AuthenticationMethod"] for r in presigned} == {"QueryString"}
    assert {r["userIdentity"]["accessKeyId"] for r in presigned} == {creds.access_key_id, session.access_key_id}
    failed = [r for r in listed if r.get("errorCode") == "SignatureDoesNotMatch"]
    assert len(failed) == 1 and failed[0]["additionalEventData"] == {"authenticationFailure": True}
    assert failed[0]["userIdentity"]["arn"] == user["Arn"]
    assert failed[0]["requestParameters"] == {"Host": host}

    # No data event was recorded.
    everything = s3_events(gw)
    assert not {"PutObject", "GetObject", "ListObjects", "ListObjectsV2", "HeadBucket", "DeleteObject"} & {
        r["eventName"] for r in everything
    }
    # The CLI finds them too, by event source.
    r = cli("cloudtrail", "lookup-events", "--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={bucket}")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["Events"]) == 6
    # Another account's caller sees none of them.
    member_creds, _ = member_session(gw, org_world, "trail")
    assert s3_events(gw, member_creds, ResourceName=bucket) == []
    # Neither the user's secret nor the presigned URL's signature reaches the journal.
    journal = "".join(p.read_text() for p in sorted((gw.data_dir / "audit").glob("trail-*.jsonl")))
    assert bucket in journal
    assert creds.secret_access_key not in journal and signature not in journal
    assert session.session_token not in journal and session.secret_access_key not in journal
    assert session.access_key_id in journal
    # The log line of each is the edge's, with the answer's real status (PutBucketPolicy's 204).
    line = next(l for l in gw.stderr_text().splitlines() if f'request_id="{put_policy["requestID"]}"' in l)
    assert 'service="s3.amazonaws.com" action="PutBucketPolicy"' in line and "status=204" in line, line
