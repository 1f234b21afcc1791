"""`warden policy evaluate`'s documented input format (issue 14), against the real binary.

* Every worked example of docs/policy-evaluate.md (fenced blocks whose info string has `example=NAME`) is run
  through `warden policy evaluate` and must print exactly the result block shown, with the exit code shown.
* Every example request is checked against docs/policy-evaluate-request.schema.json: it must be valid exactly
  when the binary evaluates it (an example whose result is `{"error": ...}` must be invalid), and every result
  line must match docs/policy-evaluate-result.schema.json.
* The schema and the parser agree on a table of requests, accepted and rejected (unknown field, wrong types,
  principal forms, ...); the rules the doc says the schema cannot express are shown to be exactly that.
* `--help` and the doc point at each other's facts: the doc is named in the help, every schema field is in the
  doc, and the schema's fields are the parser's.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "policy-evaluate.md"
REQUEST_SCHEMA = json.loads((REPO / "docs" / "policy-evaluate-request.schema.json").read_text())
RESULT_SCHEMA = json.loads((REPO / "docs" / "policy-evaluate-result.schema.json").read_text())

# ```json example=NAME request [batch]   /   ```json example=NAME result [exit=N]
FENCE = re.compile(r"^```(\w+)[ \t]+([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass
class Example:
    name: str
    request: str = ""
    batch: bool = False
    result: str | None = None
    exit: int = 0


def doc_examples() -> dict[str, Example]:
    examples: dict[str, Example] = {}
    for _lang, info, body in FENCE.findall(DOC.read_text()):
        tokens = dict(t.split("=", 1) if "=" in t else (t, "") for t in info.split())
        if "example" not in tokens:
            continue
        ex = examples.setdefault(tokens["example"], Example(tokens["example"]))
        if "request" in tokens:
            assert not ex.request, f"two request blocks for example {ex.name}"
            ex.request, ex.batch = body, "batch" in tokens
        elif "result" in tokens:
            assert ex.result is None, f"two result blocks for example {ex.name}"
            ex.result, ex.exit = body, int(tokens.get("exit", "0"))
        else:
            raise AssertionError(f"example block {info!r} is neither a request nor a result")
    for ex in examples.values():
        assert ex.request and ex.result is not None, f"example {ex.name} needs a request and a result block"
    return examples


EXAMPLES = doc_examples()


def strict_json(text: str):
    """JSON as the request parser reads it: no NaN/Infinity, and a repeated key is an error."""

    def no_constants(name: str):
        raise ValueError(f"{name} is not JSON")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate key in {keys}")
        return dict(pairs)

    return json.loads(text, parse_constant=no_constants, object_pairs_hook=no_duplicates)


REQUEST_VALIDATOR = jsonschema.Draft202012Validator(REQUEST_SCHEMA)
RESULT_VALIDATOR = jsonschema.Draft202012Validator(RESULT_SCHEMA)


def schema_errors(request) -> list[str]:
    return [e.message for e in REQUEST_VALIDATOR.iter_errors(request)]


def evaluate(warden_bin: str, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [warden_bin, "policy", "evaluate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def evaluate_batch(warden_bin: str, requests: list[str]) -> list[dict]:
    """Runs one-line requests as one batch; returns the parsed result lines."""
    assert all("\n" not in r and r.strip() for r in requests)
    done = evaluate(warden_bin, ["--batch", "-"], "\n".join(requests) + "\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(requests), done.stdout
    return [json.loads(line) for line in lines]


def test_the_doc_has_the_examples_the_issue_asks_for():
    assert {
        "simple-allow",
        "scp-deny",
        "cross-account-denied",
        "cross-account-allowed",
        "condition-allowed",
        "batch",
        "malformed-context",
    } <= EXAMPLES.keys()
    assert any(ex.batch for ex in EXAMPLES.values())


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_doc_example_gives_the_output_shown(warden_bin, name, tmp_path):
    ex = EXAMPLES[name]
    if ex.batch:
        # A batch from standard input, as `... --batch - < requests.jsonl`.
        done = evaluate(warden_bin, ["--batch", "-"], ex.request)
    else:
        # A single request from a file, as `warden policy evaluate request.json`.
        path = tmp_path / f"{name}.json"
        path.write_text(ex.request)
        done = evaluate(warden_bin, [str(path)])
    assert done.stdout == ex.result, f"\n--- doc\n{ex.result}--- warden\n{done.stdout}{done.stderr}"
    assert done.returncode == ex.exit, done.stderr
    assert done.stderr == ""


def example_pairs() -> list[tuple[str, str, str]]:
    """(example name, request text, its result line) for every request of every example."""
    pairs = []
    for ex in EXAMPLES.values():
        requests = [line for line in ex.request.splitlines() if line.strip()] if ex.batch else [ex.request]
        results = ex.result.splitlines()
        assert len(requests) == len(results), f"example {ex.name}: one result line per request"
        pairs += [(ex.name, req, res) for req, res in zip(requests, results)]
    return pairs


def test_schemas_are_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(REQUEST_SCHEMA)
    jsonschema.Draft202012Validator.check_schema(RESULT_SCHEMA)
    assert REQUEST_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert REQUEST_SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize("name,request_text,result_line", example_pairs())
def test_doc_example_request_is_valid_exactly_when_warden_evaluates_it(name, request_text, result_line):
    result = json.loads(result_line)
    assert not list(RESULT_VALIDATOR.iter_errors(result)), result_line
    errors = schema_errors(strict_json(request_text))
    if "error" in result:
        assert errors, f"{name}: warden rejects it ({result['error']}) but the schema accepts it"
    else:
        assert not errors, f"{name}: warden evaluates it but the schema says {errors}"


ALICE = "arn:aws:iam::111122223333:user/alice"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def req(**fields) -> dict:
    r = {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}
    r.update(fields)
    return {k: v for k, v in r.items() if v is not OMIT}


OMIT = object()

ACCEPTED = [
    req(),
    req(
        resourceAccount="444455556666",
        context={"a:s": "x", "a:n": -1.5e3, "a:b": False, "a:many": ["x", 1, True], "a:none": []},
        identityPolicies=[ALLOW_ALL, json.dumps(ALLOW_ALL)],
        resourcePolicy=json.dumps(ALLOW_ALL),
        permissionsBoundary=ALLOW_ALL,
        sessionPolicy=ALLOW_ALL,
        serviceControlPolicies=[[ALLOW_ALL], []],
        resourceControlPolicies=[],
        principalAccountIsManagement=True,
        resourceAccountIsManagement=False,
        requireResourcePolicyAllow=True,
    ),
    req(resourceAccount=None, resourcePolicy=None, permissionsBoundary=None, sessionPolicy=None),
    req(context={}, identityPolicies=[], serviceControlPolicies=[[]]),
    req(action="s3:"),
    req(resource=""),
] + [
    req(principal=p)
    for p in [
        "anonymous",
        "111122223333",
        "ec2.amazonaws.com",
        "accounts.google.com",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:user/division/alice",
        "arn:aws:iam::111122223333:role/Deployer",
        "arn:aws-cn:iam:cn-north-1:111122223333:role/a:b",
        "arn:aws:sts::111122223333:assumed-role/Deployer/ci/run-7",
        "arn:aws:sts::111122223333:federated-user/carol",
        "arn:aws:iam::111122223333:saml-provider/Corp",
        "arn:aws:iam::111122223333:oidc-provider/token.example.com",
    ]
]

REJECTED = [
    req(actoin="s3:GetObject"),
    req(Action="s3:GetObject"),
    req(principal=OMIT),
    req(action=OMIT),
    req(resource=OMIT),
    req(principal=None),
    req(action=7),
    req(resource=["*"]),
    req(resourceAccount=111122223333),
    req(context=5),
    req(context=None),
    req(context=[]),
    req(context={"k": None}),
    req(context={"k": {"a": "b"}}),
    req(context={"k": ["a", ["b"]]}),
    req(context={"k": ["a", None]}),
    req(identityPolicies=ALLOW_ALL),
    req(identityPolicies=None),
    req(identityPolicies=[7]),
    req(identityPolicies=[None]),
    req(identityPolicies=[[ALLOW_ALL]]),
    req(resourcePolicy=[ALLOW_ALL]),
    req(resourcePolicy=True),
    req(sessionPolicy=1),
    req(serviceControlPolicies=[ALLOW_ALL]),
    req(serviceControlPolicies=None),
    req(resourceControlPolicies=[[ALLOW_ALL, 5]]),
    req(principalAccountIsManagement="true"),
    req(resourceAccountIsManagement=None),
    req(requireResourcePolicyAllow=1),
    req(action="GetObject"),
    req(action=":GetObject"),
    req(action=""),
] + [
    req(principal=p)
    for p in [
        "",
        "alice",
        "anonymous\n",
        "11112222333",
        "arn:aws:iam::111122223333:group/devs",
        "arn:aws:iam::111122223333:user/",
        "arn:aws:iam::111122223333:user/alice/",
        "arn:aws:iam:::user/alice",
        "arn:aws:iam::111122223333:root:x",
        "arn:aws:sts::111122223333:assumed-role/Deployer",
        "arn:aws:sts::111122223333:assumed-role//s",
        "arn:aws:sts::111122223333:federated-user/",
        "arn:aws:iam::111122223333:saml-provider/",
        "arn:aws:s3:::bucket",
        "ARN:aws:iam::111122223333:root",
        "svc.example.com/x",
    ]
]


def test_schema_and_parser_agree_on_accepted_and_rejected_requests(warden_bin):
    requests = ACCEPTED + REJECTED
    results = evaluate_batch(warden_bin, [json.dumps(r) for r in requests])
    disagreements = []
    for r, result in zip(requests, results):
        parser_accepts = "error" not in result
        schema_accepts = not schema_errors(r)
        if parser_accepts != schema_accepts or parser_accepts != (r in ACCEPTED):
            disagreements.append((r, result, schema_errors(r)))
    assert not disagreements, "\n".join(map(repr, disagreements))


def test_rejections_name_the_field_and_the_shape(warden_bin):
    cases = [
        (req(actoin="s3:GetObject"), r'^unknown field "actoin" \(expected one of principal, action, '),
        (req(action=OMIT), r'^missing field "action"$'),
        (req(context=5), r'^field "context": expected an object of key to string, number, boolean or array of those, found a number at byte \d+$'),
        (req(identityPolicies=[ALLOW_ALL, 7]), r'^field "identityPolicies\[1\]": expected a policy \(a JSON object, or a string holding one\), found a number at byte \d+$'),
        (req(principal="alice"), r'^field "principal": unrecognised principal "alice" \(expected an IAM user, '),
        (req(requireResourcePolicyAllow="yes"), r'^field "requireResourcePolicyAllow": expected true or false, found a string at byte \d+$'),
    ]
    results = evaluate_batch(warden_bin, [json.dumps(r) for r, _ in cases])
    for (r, pattern), result in zip(cases, results):
        assert re.search(pattern, result.get("error", "")), (r, result)
        assert schema_errors(r), r


def test_what_the_doc_says_the_schema_cannot_check_is_rejected_by_warden_only(warden_bin):
    base = json.dumps(req())[:-1]
    lines = [
        # A field given twice (a JSON parser keeps the last one).
        base + ', "action": "s3:PutObject"}',
        # Two context keys that differ only in case.
        base + ', "context": {"aws:SourceIp": "203.0.113.7", "AWS:sourceip": "203.0.113.8"}}',
        # A policy that does not compile.
        base + ', "identityPolicies": [{"Statement": []}]}',
        # A number outside the range of a 64-bit float.
        base + ', "context": {"n": 1e400}}',
        # A lone surrogate escape.
        json.dumps(req(resource=OMIT))[:-1] + ', "resource": "\\ud800"}',
    ]
    results = evaluate_batch(warden_bin, lines)
    for line, result in zip(lines, results):
        assert "error" in result, (line, result)
        parsed = json.loads(line)  # Python's default reading, as a schema validator would get it
        assert not schema_errors(parsed), (line, schema_errors(parsed))
    doc = DOC.read_text()
    section = doc[doc.index("### What the schema cannot check") :]
    section = section[: section.index("\n## ")]
    for said in ["a field given twice", "differ only in case", "does not compile", "1e400", "surrogate"]:
        assert said in section, said


def test_the_schema_fields_are_the_parser_fields_and_the_doc_names_them(warden_bin):
    [result] = evaluate_batch(warden_bin, [json.dumps(req(nope=1))])
    listed = re.search(r"\(expected one of (.*)\)$", result["error"]).group(1).split(", ")
    assert listed == list(REQUEST_SCHEMA["properties"]), "schema properties in the parser's order"
    assert REQUEST_SCHEMA["required"] == ["principal", "action", "resource"]
    doc = DOC.read_text()
    for field in listed:
        assert f"| `{field}` |" in doc, f"{field} has no row in the doc's field table"


def test_help_points_at_the_doc(warden_bin):
    done = subprocess.run(
        [warden_bin, "policy", "evaluate", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "docs/policy-evaluate.md" in done.stdout
    short = subprocess.run([warden_bin, "policy", "--help"], capture_output=True, text=True, timeout=60)
    assert "docs/policy-evaluate.md" in short.stdout
