"""IAM credential report: GenerateCredentialReport and GetCredentialReport through the real
binary, boto3 and the aws CLI.

What AWS answers, and where it is recorded:
  * Generate's first answer `{"State": "STARTED", "Description": "No report exists. Starting a new
    report generation task"}` and then `{"State": "COMPLETE"}` (no Description): aws CLI output
    quoted in prowler-cloud/prowler#272, and AWS's own Request-IAMCredentialReport example;
    moto's test_generate_credential_report asserts the same STARTED-then-COMPLETE sequence.
  * Get before any report: ReportNotPresent, HTTP 410, with no message ("An error occurred
    (ReportNotPresent) when calling the GetCredentialReport operation: Unknown" from the aws CLI
    in prowler-cloud/prowler#272; "ReportNotPresent: / status code: 410" from the Go SDK in
    turbot/steampipe-plugin-aws#509). The 410 is also the API reference's.
  * The CSV header, exactly: moto's test_get_credential_report_content (written against AWS),
    the IAM User Guide's "Getting credential reports" column list. Values: `true`/`false`,
    ISO 8601 times as `YYYY-MM-DDTHH:MM:SS+00:00` (moto's test parses that format), `N/A` for a
    key slot without a key or a key never used, `no_information` for a password never used
    (moto's server-mode branch), `not_supported` for the root user's password columns (the user
    guide). Content is a blob: base64 on the wire, bytes in boto3, base64 text in the CLI.
Not recorded, so ours: ReportExpired carrying no message either (by analogy; the 4-hour expiry
itself is AWS's documented cadence and is unit-tested in warden-core, as e2e cannot move the
clock); `N/A` for a user without a password in password_last_used/_changed/_next_rotation
(the user guide's wording as we read it); no newline after the last line.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import time

import pytest

from e2e_util import (
    ACCOUNT_ID,
    Creds,
    access_denied_message,
    assert_cli_error,
    create_user_with_key,
    grant,
    make_client,
    raises_aws,
    run_aws,
    unique,
    utcnow,
)

HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
STARTED = {"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}
ISO = "%Y-%m-%dT%H:%M:%S+00:00"


def answer(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "ResponseMetadata"}


def rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, ISO).replace(tzinfo=dt.timezone.utc)


@pytest.fixture
def fresh(warden_factory):
    """A warden of its own: the report is per account, and one is kept 4 hours."""
    return warden_factory()


def test_get_before_any_report_is_report_not_present_without_a_message(fresh):
    iam = fresh.client("iam")
    with raises_aws("ReportNotPresent", status=410) as err:
        iam.get_credential_report()
    assert err["message"] is None
    res = run_aws(fresh.url, "iam", "get-credential-report")
    assert_cli_error(res, "ReportNotPresent", "GetCredentialReport", "Unknown")


def test_generate_answers_started_then_complete_while_the_report_is_fresh(fresh):
    iam = fresh.client("iam")
    assert answer(iam.generate_credential_report()) == STARTED
    assert answer(iam.generate_credential_report()) == {"State": "COMPLETE"}
    res = run_aws(fresh.url, "iam", "generate-credential-report")
    assert res.returncode == 0, res.stderr
    assert res.json == {"State": "COMPLETE"}
    # Within the 4 hours the report is not regenerated: a user created since is not in it.
    first = iam.get_credential_report()
    iam.create_user(UserName=unique("later"))
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    again = iam.get_credential_report()
    assert (again["Content"], again["GeneratedTime"]) == (first["Content"], first["GeneratedTime"])


def test_the_report_lists_root_first_then_every_user_as_aws_writes_it(fresh):
    iam = fresh.client("iam")
    before = utcnow().replace(microsecond=0)
    plain = iam.create_user(UserName="a-plain")["User"]
    name = "b-keyed"
    user = iam.create_user(UserName=name, Path="/team/")["User"]
    iam.create_login_profile(UserName=name, Password="Report-Passw0rd!")
    k1 = iam.create_access_key(UserName=name)["AccessKey"]
    iam.update_access_key(UserName=name, AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    # Slots follow creation time, kept to the second: the second key comes a second later.
    time.sleep(1.1)
    k2 = iam.create_access_key(UserName=name)["AccessKey"]
    # The second key signs one request, so its last use is known.
    make_client("sts", fresh.url, Creds(k2["AccessKeyId"], k2["SecretAccessKey"])).get_caller_identity()

    assert iam.generate_credential_report()["State"] == "STARTED"
    r = iam.get_credential_report()
    assert set(r) - {"ResponseMetadata"} == {"Content", "ReportFormat", "GeneratedTime"}
    assert r["ReportFormat"] == "text/csv"
    assert before - dt.timedelta(seconds=2) <= r["GeneratedTime"] <= utcnow() + dt.timedelta(seconds=2)
    text = r["Content"].decode("utf-8")
    assert text.split("\n")[0] == HEADER
    got = rows(r["Content"])
    assert [row["user"] for row in got] == ["<root_account>", "a-plain", name]

    root = got[0]
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert (root["password_enabled"], root["password_last_changed"], root["password_next_rotation"]) == (
        "not_supported",
        "not_supported",
        "not_supported",
    )
    # The root keys warden serves with are long-term keys of the root user.
    assert root["access_key_1_active"] == "true"

    p = got[1]
    assert p["arn"] == plain["Arn"]
    assert parse_time(p["user_creation_time"]) == plain["CreateDate"].replace(microsecond=0)
    assert [p[c] for c in ("password_enabled", "password_last_used", "password_last_changed", "mfa_active")] == [
        "false",
        "N/A",
        "N/A",
        "false",
    ]
    for slot in ("1", "2"):
        assert p[f"access_key_{slot}_active"] == "false"
        for col in ("last_rotated", "last_used_date", "last_used_region", "last_used_service"):
            assert p[f"access_key_{slot}_{col}"] == "N/A"
    assert [p[c] for c in ("cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated")] == [
        "false",
        "N/A",
        "false",
        "N/A",
    ]

    k = got[2]
    assert k["arn"] == user["Arn"]
    assert (k["password_enabled"], k["password_last_used"]) == ("true", "no_information")
    assert parse_time(k["password_last_changed"]) >= before
    assert k["password_next_rotation"] == "N/A"
    assert k["access_key_1_active"] == "false"
    assert parse_time(k["access_key_1_last_rotated"]) == k1["CreateDate"].replace(microsecond=0)
    assert k["access_key_1_last_used_date"] == "N/A"
    assert k["access_key_2_active"] == "true"
    assert parse_time(k["access_key_2_last_used_date"]) >= before
    assert (k["access_key_2_last_used_region"], k["access_key_2_last_used_service"]) == ("us-east-1", "sts")


def test_the_cli_prints_the_content_as_base64_of_the_same_csv(fresh):
    iam = fresh.client("iam")
    iam.create_user(UserName=unique("cli"))
    res = run_aws(fresh.url, "iam", "generate-credential-report")
    assert res.json == STARTED
    res = run_aws(fresh.url, "iam", "get-credential-report")
    assert res.returncode == 0, res.stderr
    assert res.json["ReportFormat"] == "text/csv"
    assert base64.b64decode(res.json["Content"]) == iam.get_credential_report()["Content"]


def test_a_changed_password_and_a_max_age_date_the_next_rotation(fresh):
    iam = fresh.client("iam")
    name = unique("rot")
    iam.create_user(UserName=name)
    created = iam.create_login_profile(UserName=name, Password="Report-Passw0rd!")["LoginProfile"]["CreateDate"]
    time.sleep(1.1)
    iam.update_login_profile(UserName=name, Password="Report-Passw0rd!2")
    iam.update_account_password_policy(MaxPasswordAge=30)
    iam.generate_credential_report()
    row = next(r for r in rows(iam.get_credential_report()["Content"]) if r["user"] == name)
    changed = parse_time(row["password_last_changed"])
    assert changed > created
    assert parse_time(row["password_next_rotation"]) == changed + dt.timedelta(days=30)


def test_the_report_survives_a_restart(warden_factory, store):
    fresh = warden_factory(extra_env=store.env)
    iam = fresh.client("iam")
    iam.create_user(UserName="kept")
    iam.generate_credential_report()
    before = iam.get_credential_report()
    fresh.restart()
    iam = fresh.client("iam")
    after = iam.get_credential_report()
    assert (after["Content"], after["GeneratedTime"]) == (before["Content"], before["GeneratedTime"])
    assert iam.generate_credential_report()["State"] == "COMPLETE"


@pytest.mark.parametrize(
    "action,call",
    [
        ("iam:GenerateCredentialReport", lambda c: c.generate_credential_report()),
        ("iam:GetCredentialReport", lambda c: c.get_credential_report()),
    ],
)
def test_each_operation_is_denied_without_its_action_and_allowed_with_it(fresh, action, call):
    iam = fresh.client("iam")
    iam.generate_credential_report()
    user, creds = create_user_with_key(iam)
    as_user = make_client("iam", fresh.url, creds)
    with raises_aws("AccessDenied", access_denied_message(user["Arn"], action, "*"), 403):
        call(as_user)
    # Control: the same request succeeds once the action is granted.
    grant(iam, user["UserName"], [action])
    call(as_user)


def test_signing_certificates_fill_the_cert_columns(fresh, tmp_path):
    """The user guide's cert_N_active / cert_N_last_rotated: the user's signing certificates, oldest first."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl CLI to make certificates")

    def certificate(n: int) -> str:
        key = tmp_path / f"k{n}.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)], check=True, capture_output=True)
        out = subprocess.run(
            ["openssl", "req", "-x509", "-key", str(key), "-days", "30", "-subj", f"/CN={unique('cn')}"],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    iam = make_client("iam", fresh.url)
    name = unique("certified")
    iam.create_user(UserName=name)
    first = iam.upload_signing_certificate(UserName=name, CertificateBody=certificate(1))["Certificate"]
    # Upload times are kept to the second (certificates of one second fill the slots in id order):
    # the second upload waits for the next second, so "oldest first" has one answer.
    time.sleep(1.1 - (time.time() % 1))
    second = iam.upload_signing_certificate(UserName=name, CertificateBody=certificate(2))["Certificate"]
    iam.update_signing_certificate(UserName=name, CertificateId=second["CertificateId"], Status="Inactive")
    iam.generate_credential_report()
    [row] = [r for r in rows(iam.get_credential_report()["Content"]) if r["user"] == name]
    assert (row["cert_1_active"], row["cert_2_active"]) == ("true", "false")
    assert parse_time(row["cert_1_last_rotated"]) == first["UploadDate"].replace(microsecond=0)
    assert parse_time(row["cert_2_last_rotated"]) == second["UploadDate"].replace(microsecond=0)
    # The root user has none: AWS's values for an empty slot.
    root = rows(iam.get_credential_report()["Content"])[0]
    assert (root["cert_1_active"], root["cert_1_last_rotated"]) == ("false", "N/A")
