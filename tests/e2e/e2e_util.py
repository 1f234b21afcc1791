"""Helpers shared by the end-to-end tests: starting warden, AWS clients, the aws CLI,
raw SigV4-signed HTTP requests, TOTP codes and error assertions.

Only the standard library and the pinned boto3/botocore/awscli/pytest are used.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.config import Config
from botocore.exceptions import ClientError
import pytest

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# 20-character access key id and 40-character secret, as AWS issues them.
ROOT_ACCESS_KEY_ID = "AKIAWARDENROOTTEST01"
ROOT_SECRET_ACCESS_KEY = "wardenRootSecretKeyForE2eTests0000000001"
assert len(ROOT_ACCESS_KEY_ID) == 20 and len(ROOT_SECRET_ACCESS_KEY) == 40

ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

HEALTH_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Creds:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


ROOT = Creds(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY)


def unique(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------


class _PortInUse(Exception):
    pass


class Warden:
    """One warden process on a free loopback port, with its data dir kept across restarts."""

    def __init__(
        self,
        binary: str,
        data_dir: Path,
        *,
        dev: bool = False,
        root_from_env: bool = True,
        account_id: str | None = None,
        extra_env: dict[str, str] | None = None,
    ):
        self.binary = binary
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.dev = dev
        self.root_from_env = root_from_env
        self.account_id = account_id
        self.extra_env = dict(extra_env or {})
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.generation = 0
        self._log_dir = self.data_dir.parent / f"{self.data_dir.name}-logs"
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path: Path | None = None
        self.stderr_path: Path | None = None
        self._ever_ready = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            self.binary,
            "serve",
            "--listen",
            f"127.0.0.1:{self.port}",
            "--data-dir",
            str(self.data_dir),
        ]
        if self.account_id:
            cmd += ["--account-id", self.account_id]
        if self.dev:
            cmd.append("--dev")
        return cmd

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AWS_") and not k.startswith("WARDEN_ROOT_")
        }
        if self.root_from_env:
            env["WARDEN_ROOT_ACCESS_KEY_ID"] = ROOT_ACCESS_KEY_ID
            env["WARDEN_ROOT_SECRET_ACCESS_KEY"] = ROOT_SECRET_ACCESS_KEY
        env.setdefault("RUST_BACKTRACE", "1")
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = HEALTH_TIMEOUT_S) -> float:
        """Start the process and wait for /health; return the seconds it took to become ready.

        If the port was taken in the meantime (another process on this machine), a first start
        moves to a new free port and a restart retries the same port briefly."""
        for attempt in range(3):
            try:
                return self._start_once(timeout)
            except _PortInUse:
                if attempt == 2:
                    raise RuntimeError("port stayed in use\n" + self.describe()) from None
                if not self._ever_ready:
                    self.port = free_port()
                else:
                    time.sleep(0.5)
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> float:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.generation += 1
        self.stdout_path = self._log_dir / f"stdout.{self.generation}.log"
        self.stderr_path = self._log_dir / f"stderr.{self.generation}.log"
        t0 = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # The child keeps its own copies of the descriptors.
            self.proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=self.env(),
                cwd=str(self.data_dir.parent),
            )
        deadline = t0 + timeout
        last_err: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "in use" in (self.stderr_text() + self.stdout_text()).lower():
                    raise _PortInUse()
                raise RuntimeError(
                    f"warden exited with {self.proc.returncode} before becoming ready\n"
                    + self.describe()
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/health")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                # Make sure it is our process that answered.
                if resp.status == 200 and self.proc.poll() is None:
                    self._ever_ready = True
                    return time.monotonic() - t0
                last_err = RuntimeError(f"/health answered {resp.status}")
            except OSError as e:
                last_err = e
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(
            f"warden not healthy within {timeout}s (last: {last_err!r})\n" + self.describe()
        )

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.terminate()
        try:
            return self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(STOP_TIMEOUT_S)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(STOP_TIMEOUT_S)

    def restart(self, timeout: float = HEALTH_TIMEOUT_S) -> float:
        """Stop (gracefully) and start again on the same port and data dir."""
        self.stop()
        return self.start(timeout)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stdout_text(self, generation: int | None = None) -> str:
        return self._read_log("stdout", generation)

    def stderr_text(self, generation: int | None = None) -> str:
        return self._read_log("stderr", generation)

    def all_logs_bytes(self) -> bytes:
        out = b""
        for p in sorted(self._log_dir.glob("*.log")):
            out += p.read_bytes()
        return out

    def _read_log(self, kind: str, generation: int | None) -> str:
        g = generation or self.generation
        p = self._log_dir / f"{kind}.{g}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def describe(self, tail: int = 4000) -> str:
        return (
            f"command: {' '.join(self.command())}\n"
            f"--- stderr (tail) ---\n{self.stderr_text()[-tail:]}\n"
            f"--- stdout (tail) ---\n{self.stdout_text()[-tail:]}"
        )

    # convenience -------------------------------------------------------------------
    def client(self, service: str, creds: Creds = ROOT, **cfg: Any):
        return make_client(service, self.url, creds, **cfg)

    def health(self) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("GET", "/health")
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status


def make_client(service: str, endpoint: str, creds: Creds = ROOT, **cfg: Any):
    # Retries disabled: `max_attempts` in client config counts *retries* (1 would mean two
    # attempts); total_max_attempts=1 is exactly one attempt.
    config = Config(
        retries={"total_max_attempts": 1, "mode": "legacy"},
        connect_timeout=cfg.pop("connect_timeout", 5),
        read_timeout=cfg.pop("read_timeout", 30),
        **cfg,
    )
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
        config=config,
    )


# --------------------------------------------------------------------------------------
# The aws CLI
# --------------------------------------------------------------------------------------


def aws_cli_command() -> list[str]:
    sibling = Path(sys.executable).with_name("aws")
    if sibling.exists():
        return [sys.executable, str(sibling)]
    return [sys.executable, "-m", "awscli"]


@dataclass
class CliResult:
    returncode: int
    json: Any
    stdout: str
    stderr: str

    def __iter__(self):  # allows: rc, out, err = aws(...)
        return iter((self.returncode, self.json, self.stderr))


def run_aws(endpoint: str, *args: str, creds: Creds | None = ROOT, timeout: float = 60) -> CliResult:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        # One attempt in total. "legacy" mode keeps the CLI's error line exactly as AWS users see
        # it; "standard" mode would add "(reached max retries: 0)" to every error.
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "legacy",
    }
    if creds is not None:
        env["AWS_ACCESS_KEY_ID"] = creds.access_key_id
        env["AWS_SECRET_ACCESS_KEY"] = creds.secret_access_key
        if creds.session_token:
            env["AWS_SESSION_TOKEN"] = creds.session_token
    cmd = aws_cli_command() + [
        "--endpoint-url",
        endpoint,
        "--region",
        REGION,
        "--output",
        "json",
        *args,
    ]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    parsed = None
    if p.stdout.strip():
        try:
            parsed = json.loads(p.stdout)
        except json.JSONDecodeError:
            parsed = None
    return CliResult(p.returncode, parsed, p.stdout, p.stderr)


def cli_error(code: str, operation: str, message: str | None = None) -> str:
    """The line aws CLI v1 prints for a service error."""
    s = f"An error occurred ({code}) when calling the {operation} operation"
    if message is not None:
        s += f": {message}"
    return s


def assert_cli_error(res: CliResult, code: str, operation: str, message: str | None = None):
    assert res.returncode != 0, f"expected failure, got rc=0 stdout={res.stdout!r}"
    expected = cli_error(code, operation, message)
    assert expected in res.stderr, f"expected {expected!r} in stderr:\n{res.stderr}"


# --------------------------------------------------------------------------------------
# Error assertions for boto3
# --------------------------------------------------------------------------------------


def error_of(exc: ClientError) -> tuple[str, str, int]:
    r = exc.response
    return (
        r.get("Error", {}).get("Code"),
        r.get("Error", {}).get("Message"),
        r.get("ResponseMetadata", {}).get("HTTPStatusCode"),
    )


@contextlib.contextmanager
def raises_aws(
    code: str,
    message: str | None = None,
    status: int | None = None,
    *,
    message_prefix: str | None = None,
    message_in: set[str] | list[str] | None = None,
):
    """Context manager asserting a botocore ClientError with AWS's code/message/status."""
    holder: dict[str, Any] = {}
    try:
        yield holder
    except ClientError as e:
        got_code, got_msg, got_status = error_of(e)
        holder["error"] = e
        holder["code"], holder["message"], holder["status"] = got_code, got_msg, got_status
        assert got_code == code, f"code: expected {code!r}, got {got_code!r} ({got_msg!r}, {got_status})"
        if message is not None:
            assert got_msg == message, f"message: expected {message!r}, got {got_msg!r}"
        if message_in is not None:
            assert got_msg in message_in, f"message: expected one of {sorted(message_in)!r}, got {got_msg!r}"
        if message_prefix is not None:
            assert got_msg and got_msg.startswith(message_prefix), (
                f"message: expected prefix {message_prefix!r}, got {got_msg!r}"
            )
        if status is not None:
            assert got_status == status, f"status: expected {status}, got {got_status} ({got_code})"
    else:
        raise AssertionError(f"expected AWS error {code}, but the call succeeded")


def access_denied_message(user_arn: str, action: str, resource: str) -> str:
    return (
        f"User: {user_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def access_denied_messages(user_arn: str, action: str, *resources: str) -> set[str]:
    """AccessDenied texts AWS may use: IAM names an existing user as `user NAME` in some
    calls and by ARN in others, so callers list the forms they accept."""
    return {access_denied_message(user_arn, action, r) for r in resources}


def user_resource_forms(user_arn: str) -> tuple[str, str]:
    """(`user NAME`, ARN) for a user ARN."""
    return (f"user {user_arn.rsplit('/', 1)[-1]}", user_arn)


# The document of AWS's IAMUserChangePassword managed policy.
CHANGE_OWN_PASSWORD_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:ChangePassword"], "Resource": ["arn:aws:iam::*:user/${aws:username}"]},
            {"Effect": "Allow", "Action": ["iam:GetAccountPasswordPolicy"], "Resource": "*"},
        ],
    }
)


def grant_change_own_password(iam, user_name: str) -> None:
    """Give a user what AWS's IAMUserChangePassword policy gives (as an inline policy)."""
    iam.put_user_policy(UserName=user_name, PolicyName="change-own-password", PolicyDocument=CHANGE_OWN_PASSWORD_POLICY)


def grant(iam, user_name: str, actions: list[str], resource: str = "*", name: str | None = None) -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    iam.put_user_policy(UserName=user_name, PolicyName=name or unique("grant"), PolicyDocument=json.dumps(doc))


def validation_pattern_message(value: str, member: str, pattern: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {pattern}"
    )


# --------------------------------------------------------------------------------------
# TOTP (RFC 6238) with the standard library
# --------------------------------------------------------------------------------------


def totp(seed_b32: str | bytes, for_time: float | None = None, step: int = 30, digits: int = 6) -> str:
    if isinstance(seed_b32, bytes):
        seed_b32 = seed_b32.decode("ascii")
    seed_b32 = seed_b32.strip().replace(" ", "").upper()
    seed_b32 += "=" * (-len(seed_b32) % 8)
    key = base64.b32decode(seed_b32)
    counter = int((time.time() if for_time is None else for_time) // step)
    return hotp(key, counter, digits)


def hotp(key: bytes, counter: int, digits: int = 6) -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % (10**digits)
    return str(code).zfill(digits)


def two_consecutive_codes(seed_b32: str | bytes) -> tuple[str, str]:
    """Codes for the previous and the current 30 s window (what AWS's own docs suggest)."""
    now = time.time()
    # Avoid straddling a window boundary between computing and the server checking.
    if now % 30 > 27:
        time.sleep(30 - now % 30 + 0.2)
        now = time.time()
    return totp(seed_b32, now - 30), totp(seed_b32, now)


def wait_next_window() -> None:
    """Sleep until the next 30 s TOTP window starts (AWS refuses re-use of a code)."""
    now = time.time()
    time.sleep(30 - now % 30 + 0.3)


# --------------------------------------------------------------------------------------
# Raw HTTP with botocore's SigV4 signer
# --------------------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None

    def xml(self) -> ET.Element:
        try:
            return ET.fromstring(self.body)
        except ET.ParseError as e:
            raise AssertionError(f"HTTP {self.status}: body is not XML ({e}): {self.body[:300]!r}") from None

    def error(self) -> tuple[str | None, str | None]:
        """(Code, Message) from an ErrorResponse envelope, namespace-agnostic."""
        root = self.xml()
        code = root.find(".//{*}Error/{*}Code")
        msg = root.find(".//{*}Error/{*}Message")
        return (code.text if code is not None else None, msg.text if msg is not None else None)


def raw_request(
    endpoint: str,
    method: str,
    path: str = "/",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15,
) -> RawResponse:
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return RawResponse(r.status, {k: v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def _frozen_time(when: _dt.datetime | None):
    if when is None:
        return contextlib.nullcontext()
    naive = when.astimezone(_dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when
    return mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: naive)


def sign_query_request(
    endpoint: str,
    service: str,
    params: dict[str, str],
    creds: Creds = ROOT,
    *,
    method: str = "POST",
    region: str = REGION,
    when: _dt.datetime | None = None,
    body: bytes | None = None,
) -> botocore.awsrequest.AWSPreparedRequest:
    """Build a SigV4-signed Query-protocol request (form body for POST, query string for GET).

    `body` replaces the form body (still correctly signed) to send malformed input."""
    encoded = urllib.parse.urlencode(params)
    if method == "POST":
        req = botocore.awsrequest.AWSRequest(
            method="POST",
            url=endpoint + "/",
            data=body if body is not None else encoded.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
    else:
        req = botocore.awsrequest.AWSRequest(method=method, url=endpoint + "/?" + encoded)
    c = botocore.credentials.Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
    with _frozen_time(when):
        botocore.auth.SigV4Auth(c, service, region).add_auth(req)
    return req.prepare()


def send_prepared(prep: botocore.awsrequest.AWSPreparedRequest, timeout: float = 15) -> RawResponse:
    u = urllib.parse.urlsplit(prep.url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    body = prep.body
    if isinstance(body, str):
        body = body.encode()
    return raw_request(
        f"{u.scheme}://{u.netloc}", prep.method, path, body=body, headers=dict(prep.headers), timeout=timeout
    )


def signed_call(
    endpoint: str,
    service: str,
    params: dict[str, str],
    creds: Creds = ROOT,
    **kw: Any,
) -> RawResponse:
    return send_prepared(sign_query_request(endpoint, service, params, creds, **kw))


def presigned_url(
    endpoint: str,
    service: str,
    params: dict[str, str],
    creds: Creds = ROOT,
    expires: int = 300,
    region: str = REGION,
) -> str:
    url = endpoint + "/?" + urllib.parse.urlencode(params)
    req = botocore.awsrequest.AWSRequest(method="GET", url=url)
    c = botocore.credentials.Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
    botocore.auth.SigV4QueryAuth(c, service, region, expires=expires).add_auth(req)
    return req.prepare().url


# --------------------------------------------------------------------------------------
# Convenience flows
# --------------------------------------------------------------------------------------


def create_user_with_key(iam, name: str | None = None, **kwargs: Any) -> tuple[dict, Creds]:
    name = name or unique("user")
    user = iam.create_user(UserName=name, **kwargs)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return user, Creds(key["AccessKeyId"], key["SecretAccessKey"])


def wait_until(pred, timeout: float = 5.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            return v
        time.sleep(interval)


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


# libfaketime (Debian package libfaketime; scripts/test.sh installs it where it can) moves the
# server's wall clock, so a session can outlive its DurationSeconds without waiting 15 minutes.
FAKETIME_LIB = next(
    (
        p
        for p in (
            "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
            "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
            "/usr/lib/faketime/libfaketimeMT.so.1",
        )
        if os.path.exists(p)
    ),
    None,
)


def restart_clock_ahead(w: Any, seconds: int) -> _dt.datetime:
    """Restarts the warden of `w` with its wall clock `seconds` ahead (monotonic time untouched)
    and returns that future time, to sign requests with."""
    assert FAKETIME_LIB is not None, "needs libfaketime"
    w.stop()
    w.extra_env.update(LD_PRELOAD=FAKETIME_LIB, FAKETIME=f"+{seconds}", FAKETIME_DONT_FAKE_MONOTONIC="1")
    w.start()
    return _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=seconds)


# --------------------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------------------


def iam_user_identity(user: dict, access_key_id: str) -> dict:
    """CloudTrail's `userIdentity` of a call signed with an IAM user's access key."""
    return {
        "type": "IAMUser",
        "principalId": user["UserId"],
        "arn": user["Arn"],
        "accountId": user["Arn"].split(":")[4],
        "accessKeyId": access_key_id,
        "userName": user["UserName"],
    }


def creds_of(resp) -> Creds:
    """The temporary credentials of an AssumeRole (or similar) answer."""
    c = resp["Credentials"]
    return Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def policy_doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    """An Allow statement; `extra` adds members such as Condition."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    """A Deny statement; `extra` adds members such as Condition."""
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def new_organization(w: Any) -> dict:
    """A fresh organization on the server `w`: the management root's Organizations client, one
    member account (created as on AWS, with OrganizationAccountAccessRole), the root, and the keys
    of an administrator user of the management account (root users may not assume roles)."""
    orgs = w.client("organizations")
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    st = orgs.create_account(Email=f"{unique('m')}@example.com", AccountName="Member")["CreateAccountStatus"]
    deadline = time.monotonic() + 15
    while st["State"] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.2)
        st = orgs.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
    assert st["State"] == "SUCCEEDED", st
    root = orgs.list_roots()["Roots"][0]
    iam = w.client("iam")
    admin, admin_creds = create_user_with_key(iam, unique("mgmt-admin"))
    iam.put_user_policy(
        UserName=admin["UserName"],
        PolicyName="admin",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    return {"orgs": orgs, "org": org, "member": st["AccountId"], "root": root, "admin_creds": admin_creds}


def member_session(w: Any, world: dict, name: str = "admin") -> tuple[Creds, str]:
    """An administrator session in the member account (OrganizationAccountAccessRole), and its ARN."""
    sts = make_client("sts", w.url, world["admin_creds"])
    r = sts.assume_role(
        RoleArn=f"arn:aws:iam::{world['member']}:role/OrganizationAccountAccessRole", RoleSessionName=name
    )
    return creds_of(r), r["AssumedRoleUser"]["Arn"]


# --- PostgreSQL store ---------------------------------------------------------------------------

POSTGRES_URL = os.environ.get("WARDEN_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")


def psql(sql: str, url: str = POSTGRES_URL) -> str:
    """Runs `sql` with the machine's psql against `url`; returns its unaligned output."""
    out = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if out.returncode != 0:
        raise RuntimeError(f"psql failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout


def postgres_available() -> str | None:
    """None when a PostgreSQL server answers at POSTGRES_URL, else why not."""
    try:
        psql("SELECT 1")
        return None
    except FileNotFoundError:
        return "psql is not installed"
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return str(e)


@dataclass
class StoreUnderTest:
    """Where a warden keeps its records: the SQLite file in its data dir, or a PostgreSQL schema
    of its own (`env` points warden at it; `dump()` is the table's whole text)."""

    kind: str
    env: dict[str, str]
    schema: str | None = None

    def dump(self) -> str:
        if self.schema is None:
            return ""
        return psql(f"SELECT kind, account, key, value FROM {self.schema}.warden_records")


@contextlib.contextmanager
def postgres_store():
    """A fresh schema for one warden, dropped afterwards. Skips the test when there is no PostgreSQL
    server, or fails it when `WARDEN_REQUIRE_POSTGRES` is set (`.ci/run` sets it)."""
    why = postgres_available()
    if why is not None:
        if os.environ.get("WARDEN_REQUIRE_POSTGRES"):
            pytest.fail(f"WARDEN_REQUIRE_POSTGRES is set but PostgreSQL is not usable: {why}")
        pytest.skip(f"no PostgreSQL: {why}")
    schema = f"warden_e2e_{uuid.uuid4().hex[:12]}"
    psql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        yield StoreUnderTest("postgres", {"WARDEN_DATABASE_URL": url}, schema)
    finally:
        psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# --------------------------------------------------------------------------------------
# A PostgreSQL cluster of the test's own (initdb, pg_ctl), to stop and restart at will
# --------------------------------------------------------------------------------------

PG_BIN_DIRS = [os.environ.get("WARDEN_PG_BIN", ""), "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"]


def pg_bin_dir() -> Path | None:
    for d in PG_BIN_DIRS:
        if d and (Path(d) / "initdb").is_file() and (Path(d) / "pg_ctl").is_file():
            return Path(d)
    return None


class PgCluster:
    """initdb in a temp dir, its own port, trust auth; `stop()`/`start()` with pg_ctl. As root the
    server runs as the `postgres` user (PostgreSQL refuses to run as root)."""

    def __init__(self):
        bindir = pg_bin_dir()
        if bindir is None:
            if os.environ.get("WARDEN_REQUIRE_POSTGRES"):
                pytest.fail("WARDEN_REQUIRE_POSTGRES is set but no PostgreSQL server binaries (initdb, pg_ctl)")
            pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl)")
        self.bindir = bindir
        # Not under pytest's tmp dir: pytest makes its root 0700 again whenever a run starts, which
        # would lock the `postgres` user out of its own data dir.
        self.base = Path(tempfile.mkdtemp(prefix="warden-pg-"))
        self.data = self.base / "pgdata"
        self.log = self.base / "pg.log"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            self.as_user = ["runuser", "-u", "postgres", "--"]
            os.chmod(self.base, 0o777)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                "max_connections = 100\nshared_buffers = 16MB\nfsync = on\nsynchronous_commit = on\n"
            )
        self.start()

    def _run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        out = subprocess.run(
            [*self.as_user, str(self.bindir / tool), *args], capture_output=True, text=True, timeout=timeout
        )
        if out.returncode != 0:
            raise RuntimeError(f"{tool} failed ({out.returncode}): {out.stderr.strip()} {out.stdout.strip()}")
        return out

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres", schema: str | None = None) -> str:
        url = f"postgres://postgres@127.0.0.1:{self.port}/{database}?connect_timeout=3"
        if schema:
            url += f"&options=-csearch_path%3D{schema}"
        return url

    def sql(self, sql: str, database: str = "postgres") -> str:
        return psql(sql, self.url(database).split("?")[0])

    def new_database(self) -> str:
        name = f"warden_{uuid.uuid4().hex[:10]}"
        self.sql(f"CREATE DATABASE {name}")
        return name


def new_master_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
