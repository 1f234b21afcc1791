"""The authorization API's documented format (docs/authorization-api.md, docs/authorization-api.schema.json):

* every example of the doc (fenced blocks `json example=NAME def=DEFINITION`) is valid against its definition;
* live answers of the real binary, for each kind of answer the doc describes (allowed, denied, anonymous,
  authentication failure, stored policy, errors of the call), are valid against theirs;
* requests the schema refuses are refused by warden (an unknown member, no checks, a bad payload hash).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from e2e_util import ROOT, policy_doc, unique
from test_authorization_api import (
    SERVICE_POLICY,
    WardenAuthz,
    WardenError,
    get_object,
    s3_request,
    user_allowed,
)

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "authorization-api.md").read_text()
SCHEMA = json.loads((REPO / "docs" / "authorization-api.schema.json").read_text())
FENCE = re.compile(r"^```json[ \t]+([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def validator(definition: str):
    schema = {**SCHEMA, "$ref": f"#/$defs/{definition}"}
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def valid(definition: str, value) -> bool:
    return validator(definition).is_valid(value)


def doc_examples() -> list[tuple[str, str, object]]:
    out = []
    for info, body in FENCE.findall(DOC):
        tokens = dict(t.split("=", 1) for t in info.split() if "=" in t)
        if "example" in tokens:
            out.append((tokens["example"], tokens["def"], json.loads(body)))
    return out


def test_the_doc_has_an_example_of_each_answer_kind():
    names = {(name, d) for name, d, _ in doc_examples()}
    assert ("get-object", "AuthorizeRequest") in names
    assert {"get-object", "anonymous", "bad-signature"} <= {n for n, d in names if d == "AuthorizeResponse"}


@pytest.mark.parametrize("name,definition,value", doc_examples(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_doc_example_is_valid(name, definition, value):
    errors = sorted(validator(definition).iter_errors(value), key=str)
    assert not errors, f"{name}: {[e.message for e in errors]}"


@pytest.fixture(scope="module")
def svc(server, iam):
    name = unique("svc")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="authz", PolicyDocument=SERVICE_POLICY)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return WardenAuthz(server.url, key["AccessKeyId"], key["SecretAccessKey"])


def test_live_answers_match_the_schema(iam, svc):
    from e2e_util import allow

    _, creds = user_allowed(iam, allow("s3:GetObject", "arn:aws:s3:::ok/*"))
    answers = [
        svc.authorize(s3_request(creds, "GET", "/ok/a"), "s3", [get_object("ok", "a")]),
        svc.authorize(s3_request(creds, "GET", "/no/a"), "s3", [get_object("no", "a")]),
        svc.authorize(s3_request(None, "GET", "/no/a"), "s3", [get_object("no", "a")]),
        svc.authorize(
            s3_request(ROOT, "GET", "/no/a"),
            "s3",
            [get_object("no", "a", ResourcePolicy=policy_doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Sid": "No"}))],
        ),
    ]
    tampered = s3_request(creds, "GET", "/ok/a")
    tampered["Path"] = "/ok/b"
    answers.append(svc.authorize(tampered, "s3", [get_object("ok", "b")]))
    for a in answers:
        errors = [e.message for e in validator("AuthorizeResponse").iter_errors(a)]
        assert not errors, (a, errors)
    arn = "arn:aws:s3:::" + unique("site")
    public = policy_doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"})
    assert valid("PutResourcePolicyRequest", {"ResourceArn": arn, "Policy": public})
    svc.put_resource_policy(arn, public)
    assert valid("GetResourcePolicyResponse", svc.get_resource_policy(arn))
    with pytest.raises(WardenError):
        svc.get_resource_policy(arn + "-none")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.update(Bogus=1),
        lambda b: b.update(Checks=[]),
        lambda b: b["Request"].update(PayloadHash="ABC"),
        lambda b: b["Request"].update(Method="get"),
        lambda b: b["Checks"][0].update(ResourceAccount="12"),
        lambda b: b["Checks"][0].update(ResourcePolicy="{}", ResourcePolicyArn="arn:aws:s3:::x"),
        lambda b: b["Checks"][0].pop("Action"),
    ],
)
def test_requests_the_schema_refuses_warden_refuses(svc, mutate):
    body = {
        "Request": s3_request(ROOT, "GET", "/ok/a"),
        "SigningService": "s3",
        "Checks": [get_object("ok", "a")],
    }
    assert valid("AuthorizeRequest", body)
    mutate(body)
    assert not valid("AuthorizeRequest", body)
    with pytest.raises(WardenError) as e:
        svc.call("Authorize", body)
    assert e.value.status == 400 and e.value.code in {"SerializationException", "InvalidInput"}


def test_the_docs_anonymous_and_bad_signature_examples_are_warden_s_answers(iam, svc):
    examples = {name: value for name, d, value in doc_examples() if d == "AuthorizeResponse"}
    anonymous = svc.authorize(s3_request(None, "GET", "/website/index.html"), "s3", [get_object("website", "index.html")])
    assert anonymous == examples["anonymous"]
    from e2e_util import allow

    _, creds = user_allowed(iam, allow("s3:GetObject", "*"))
    tampered = s3_request(creds, "GET", "/photos/cat.jpg")
    tampered["Path"] = "/photos/dog.jpg"
    assert svc.authorize(tampered, "s3", [get_object("photos", "dog.jpg")]) == examples["bad-signature"]
