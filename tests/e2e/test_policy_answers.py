"""IAM's validation answers, from the real server and from `warden policy validate` (issue 14).

Every document of crates/warden-policy/tests/data/iam_create_policy_answers.json (132 CreatePolicy documents
recorded against AWS in moto's test suite: 78 refused with AWS's MalformedPolicyDocument message, 54 accepted;
see tools/policy-answers/extract_moto.py) is sent to the real `warden` server with boto3's CreatePolicy, and
run through `warden policy validate --type managed`:
* the server answers exactly AWS's code, message and status, or creates the policy where AWS did;
* `warden policy validate` predicts exactly the server's answer, on its first line.
Disputed rows (each with its reason in the data file) expect warden's answer instead of the recorded one.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from e2e_util import error_of, unique

REPO = Path(__file__).resolve().parents[2]
CORPUS = json.loads(
    (REPO / "crates" / "warden-policy" / "tests" / "data" / "iam_create_policy_answers.json").read_text()
)
CASES = [
    (c["source"], c["document"], c["warden"] if "warden" in c else c["message"]) for c in CORPUS["cases"]
]


def cli_answer(warden_bin: str, document: str) -> str:
    out = subprocess.run(
        [warden_bin, "policy", "validate", "--type", "managed", "-"],
        input=document,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode in (0, 1), out.stderr
    return out.stdout.splitlines()[0]


def test_corpus_is_whole():
    assert CORPUS["operation"] == "CreatePolicy"
    refused = [c for c in CASES if c[2] is not None]
    accepted = [c for c in CASES if c[2] is None]
    assert len(refused) >= 75 and len(accepted) >= 50


@pytest.mark.parametrize("source,document,message", CASES, ids=[c[0] for c in CASES])
def test_server_and_validator_give_aws_answer(iam, warden_bin, source, document, message):
    name = unique("answer")
    try:
        created = iam.create_policy(PolicyName=name, PolicyDocument=document)
    except ClientError as e:
        code, got, status = error_of(e)
        assert (code, got, status) == ("MalformedPolicyDocument", message, 400), source
        assert cli_answer(warden_bin, document) == f"IAM answer: MalformedPolicyDocument: {message}"
        return
    arn = created["Policy"]["Arn"]
    iam.delete_policy(PolicyArn=arn)
    assert message is None, f"{source}: AWS refused it with {message!r}, warden created it"
    assert cli_answer(warden_bin, document) == "IAM answer: accepted"


def run_validate(warden_bin: str, document: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [warden_bin, "policy", "validate", "-"], input=document, capture_output=True, text=True, timeout=60
    )


def test_validate_names_a_misspelt_action_from_the_service_catalogue(warden_bin):
    """The Service Authorization Reference ships as data: a misspelt action is an ERROR finding with the nearest
    real action, while IAM itself still accepts the document (it does not know actions)."""
    doc = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjct", "Resource": "*"}]}
    )
    out = run_validate(warden_bin, doc)
    assert out.returncode == 1, out.stdout
    lines = out.stdout.splitlines()
    assert lines[0] == "IAM answer: accepted"
    assert any(l.startswith("ERROR INVALID_ACTION") and "s3:GetObject" in l for l in lines), out.stdout
    # Control: the real action gets no such finding and exits 0.
    good = doc.replace("GetObjct", "GetObject")
    out = run_validate(warden_bin, good)
    assert out.returncode == 0, out.stdout
    assert "INVALID_ACTION" not in out.stdout


def test_validate_reports_an_operator_of_the_wrong_type(warden_bin):
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceIp": "203.0.113.0/24"}},
                }
            ],
        }
    )
    out = run_validate(warden_bin, doc)
    assert any(l.startswith("WARNING TYPE_MISMATCH") and "IpAddress" in l for l in out.stdout.splitlines()), out.stdout
    out = run_validate(warden_bin, doc.replace("StringEquals", "IpAddress"))
    assert "TYPE_MISMATCH" not in out.stdout, out.stdout
