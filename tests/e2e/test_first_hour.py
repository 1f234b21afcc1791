"""A new user's first hour: the first-start profile appended to a config, the services it sends to
warden (and those it does not), the answer to a service warden does not serve, and `GET /`.

The profile uses per-service endpoints (the shared config's `services` section, which botocore reads
since 1.31 and the pinned awscli 1.46 and boto3 1.44 honour): only iam, sts and organizations (and s3
with the gateway) go to warden; anything else in the same profile still goes to AWS.
"""

from __future__ import annotations

import configparser
import datetime as dt
import hashlib
import hmac
import http.client
import os
import subprocess
import sys
from pathlib import Path

import pytest

from e2e_util import ACCOUNT_ID, ROOT, aws_cli_command, make_client, raises_aws, run_aws

SERVED = "iam, sts, organizations, cloudtrail (LookupEvents)"


def cli_env(config: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "legacy",
    }


def cli(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        aws_cli_command() + ["--profile", "warden", "--output", "json", *args],
        env=cli_env(config),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def requests_seen(w) -> int:
    """How many requests warden has logged: every answered one, served or not, carries its id."""
    return w.stderr_text().count("request_id=")


@pytest.fixture
def first_start(warden_factory):
    """A warden started for the first time with no root keys given, as a new user would."""
    return warden_factory(root_from_env=False)


def test_standard_output_carries_only_the_profile_and_status_goes_to_standard_error(first_start, tmp_path):
    w = first_start
    printed = w.stdout_text()
    # What `warden serve >> ~/.aws/config` appends: exactly the file warden keeps, nothing else.
    assert printed == (w.data_dir / "root-credentials").read_text()
    assert "created root credentials" not in printed
    assert "created root credentials" in w.stderr_text()
    # It parses as a shared config, appended after an existing profile.
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-1\n\n[profile other]\nregion = us-west-2\n")
    with config.open("a") as f:
        f.write(printed)
    parsed = configparser.RawConfigParser()
    parsed.read(config)
    assert parsed.get("profile warden", "services") == "warden"
    assert parsed.get("default", "region") == "eu-west-1"
    # The profile itself names no global endpoint, which would send every service to warden.
    assert not parsed.has_option("profile warden", "endpoint_url")
    services = parsed.get("services warden", "iam")
    assert f"endpoint_url = {w.url}" in services
    # A restart prints nothing: appending its output again leaves the config as it was.
    w.restart()
    assert w.stdout_text() == ""


def test_the_appended_profile_sends_iam_sts_and_organizations_to_warden(first_start, tmp_path):
    w = first_start
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-1\n\n")
    with config.open("a") as f:
        f.write(w.stdout_text())

    r = cli(config, "iam", "list-users")
    assert r.returncode == 0, r.stderr
    r = cli(config, "sts", "get-caller-identity")
    assert r.returncode == 0, r.stderr
    assert f'"Arn": "arn:aws:iam::{ACCOUNT_ID}:root"' in r.stdout
    r = cli(config, "organizations", "describe-organization")
    assert r.returncode != 0
    assert "(AWSOrganizationsNotInUseException) when calling the DescribeOrganization operation" in r.stderr, r.stderr


def test_other_services_in_the_same_profile_do_not_reach_warden(first_start, tmp_path):
    w = first_start
    config = tmp_path / "config"
    config.write_text(w.stdout_text())
    # Endpoint resolution, without sending anything: only the three services resolve to warden.
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    resolved = subprocess.run(
        [
            sys.executable,
            "-c",
            "import boto3; s = boto3.session.Session(profile_name='warden');"
            "print('\\n'.join(s.client(n).meta.endpoint_url for n in"
            " ('iam', 'sts', 'organizations', 's3', 'dynamodb', 'ec2')))",
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resolved.returncode == 0, resolved.stderr
    iam, sts, orgs, s3, dynamodb, ec2 = resolved.stdout.split()
    assert iam == sts == orgs == w.url
    assert s3 == "https://s3.amazonaws.com"
    assert dynamodb == "https://dynamodb.us-east-1.amazonaws.com"
    assert ec2 == "https://ec2.us-east-1.amazonaws.com"

    # And sending: `aws s3 ls` tries AWS (this machine has no route out, so it fails fast), and
    # warden never sees it, while an iam call through the same profile does reach it.
    before = requests_seen(w)
    r = cli(config, "s3", "ls", "--cli-connect-timeout", "1", "--cli-read-timeout", "1", timeout=120)
    assert r.returncode != 0
    assert w.url not in r.stderr and "127.0.0.1" not in r.stderr, r.stderr
    assert "amazonaws.com" in r.stderr, r.stderr
    assert requests_seen(w) == before
    assert cli(config, "iam", "list-users").returncode == 0
    assert requests_seen(w) == before + 1


# --------------------------------------------------------------------------------------
# A service warden does not serve
# --------------------------------------------------------------------------------------


def test_a_json_service_hears_in_json_which_services_warden_serves(server):
    dynamodb = make_client("dynamodb", server.url, ROOT)
    with raises_aws("InvalidAction", status=400) as e:
        dynamodb.list_tables()
    assert f"serves {SERVED}" in e["message"] and "'dynamodb'" in e["message"], e["message"]
    assert "<ErrorResponse" not in e["message"]
    raw = e["error"].response
    assert raw["ResponseMetadata"]["HTTPHeaders"]["content-type"].startswith("application/x-amz-json")
    # Control: the same credentials at the same endpoint, for a served service.
    assert "Users" in make_client("iam", server.url, ROOT).list_users()


def test_query_rest_json_and_s3_services_are_told_too(server, aws):
    for args, operation, name in (
        (("ec2", "describe-instances"), "DescribeInstances", "ec2"),
        (("sns", "list-topics"), "ListTopics", "sns"),
        (("lambda", "list-functions"), "ListFunctions", "lambda"),
        (("s3api", "list-buckets"), "ListBuckets", "s3"),
    ):
        r = aws(*args)
        assert r.returncode != 0
        line = f"An error occurred (InvalidAction) when calling the {operation} operation: "
        assert line in r.stderr, r.stderr
        assert f"serves {SERVED}; the request is signed for '{name}'" in r.stderr, r.stderr
        assert "<ErrorResponse" not in r.stderr, r.stderr
    # S3 without the gateway names the flag that serves it.
    assert "--s3-backend" in aws("s3api", "list-buckets").stderr
    # Control: a served service through the same CLI.
    assert aws("iam", "list-users").returncode == 0


def test_a_service_name_from_the_request_is_never_echoed_raw(server):
    """The signing scope is the caller's text: anything but a plain name is not repeated."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    bad = "<script>"
    auth = (
        f"AWS4-HMAC-SHA256 Credential={ROOT.access_key_id}/{now[:8]}/us-east-1/{bad}/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={hmac.new(b'k', b'm', hashlib.sha256).hexdigest()}"
    )
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("POST", "/", body=b"{}", headers={"Authorization": auth, "X-Amz-Date": now, "X-Amz-Target": "X.Y"})
    r = conn.getresponse()
    body = r.read().decode()
    assert r.status == 400, body
    assert "<script>" not in body and "another service" in body, body


# --------------------------------------------------------------------------------------
# GET /
# --------------------------------------------------------------------------------------


def get(w, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", w.port, timeout=5)
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read().decode()
    return r.status, r.getheader("content-type") or "", body


def test_an_unsigned_get_of_the_root_says_what_this_is(server):
    status, content_type, body = get(server, "/")
    assert status == 200 and content_type.startswith("text/plain"), (status, content_type, body)
    version = subprocess.run([server.binary, "--version"], capture_output=True, text=True).stdout.split()[-1]
    assert body.startswith(f"warden {version}: AWS IAM, STS and Organizations"), body
    assert f"Services served here: {SERVED}." in body
    assert "docs/coverage.md" in body and "GET /health" in body
    assert "MissingAction" not in body
    # Control: a root request naming an action is still the AWS API (and still wants a signature).
    status, _, body = get(server, "/?Action=ListUsers&Version=2010-05-08")
    assert status == 403 and "MissingAuthenticationToken" in body, body
    # Signed, the same endpoint answers the API as before.
    assert run_aws(server.url, "iam", "list-users").returncode == 0
