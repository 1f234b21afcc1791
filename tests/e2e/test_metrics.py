"""Prometheus metrics (`warden serve --metrics-listen ADDR`): `/metrics` parses with the reference
parser (prometheus_client), its counters move with requests, it is served only on its own listener,
and nothing on it names an identity or a secret."""

from __future__ import annotations

import http.client
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from e2e_util import ACCOUNT_ID, ROOT, ROOT_ACCESS_KEY_ID, Creds, free_port, make_client, raises_aws, unique


def http_get(port: int, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    return r.status, r.getheader("content-type") or "", body


class Scrape:
    def __init__(self, text: str):
        self.text = text
        # The reference parser raises on anything that is not valid exposition text.
        self.families = {f.name: f for f in text_string_to_metric_families(text)}

    def value(self, sample_name: str, **labels: str) -> float:
        total = 0.0
        for family in self.families.values():
            for s in family.samples:
                if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items()):
                    total += s.value
        return total


@pytest.fixture(scope="module")
def metrics_port():
    return free_port()


@pytest.fixture(scope="module")
def w(module_warden_factory, metrics_port):
    return module_warden_factory(extra_env={"WARDEN_METRICS_LISTEN": f"127.0.0.1:{metrics_port}"})


def scrape(port: int) -> Scrape:
    status, content_type, body = http_get(port, "/metrics")
    assert status == 200, body
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    return Scrape(body)


def test_metrics_parse_as_prometheus_text_with_their_types(w, metrics_port):
    s = scrape(metrics_port)
    assert s.families["warden_requests"].type == "counter"
    assert s.families["warden_request_duration_seconds"].type == "histogram"
    assert s.families["warden_authorization_decisions"].type == "counter"
    assert s.families["warden_sessions_issued"].type == "counter"
    assert s.families["warden_store_commit_duration_seconds"].type == "histogram"
    assert s.families["warden_model_entities"].type == "gauge"
    assert s.value("warden_model_entities", kind="accounts") == 1


def test_counters_move_with_requests(w, metrics_port):
    iam = w.client("iam")
    before = scrape(metrics_port)
    name = unique("m")
    iam.create_user(UserName=name)
    iam.get_user(UserName=name)
    iam.get_user(UserName=name)
    with raises_aws("NoSuchEntity", status=404):
        iam.get_user(UserName=unique("missing"))
    w.client("sts").get_session_token()
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("sts", w.url, Creds("AKIAIOSFODNN7EXAMPLE", "x" * 40)).get_caller_identity()
    after = scrape(metrics_port)

    def moved(sample, **labels):
        return after.value(sample, **labels) - before.value(sample, **labels)

    assert moved("warden_requests_total", service="iam", action="GetUser", outcome="ok") == 2
    assert moved("warden_requests_total", service="iam", action="GetUser", outcome="NoSuchEntity") == 1
    assert moved("warden_requests_total", service="iam", action="CreateUser", outcome="ok") == 1
    assert moved("warden_requests_total", service="sts", action="GetSessionToken", outcome="ok") == 1
    # A request refused before its operation is known is counted under its service.
    assert moved("warden_requests_total", service="sts", action="unknown", outcome="InvalidClientTokenId") == 1
    assert moved("warden_request_duration_seconds_count", service="iam", action="GetUser") == 3
    assert moved("warden_request_duration_seconds_bucket", service="iam", action="GetUser", le="+Inf") == 3
    assert moved("warden_request_duration_seconds_sum", service="iam", action="GetUser") > 0
    assert moved("warden_sessions_issued_total", operation="GetSessionToken") == 1
    assert moved("warden_sessions_issued_total", operation="AssumeRole") == 0
    assert moved("warden_store_commit_duration_seconds_count") >= 1
    assert moved("warden_model_entities", kind="users") == 1
    # CreateUser and the three GetUser calls each needed the engine's Allow.
    assert moved("warden_authorization_decisions_total", result="allow") >= 4


def test_decisions_are_counted_by_result(w, metrics_port):
    iam = w.client("iam")
    name = unique("d")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user_iam = make_client("iam", w.url, Creds(key["AccessKeyId"], key["SecretAccessKey"]))
    before = scrape(metrics_port)
    # No policy: an implicit deny.
    with raises_aws("AccessDenied", status=403):
        user_iam.list_users()
    mid = scrape(metrics_port)
    assert mid.value("warden_authorization_decisions_total", result="implicit_deny") - before.value(
        "warden_authorization_decisions_total", result="implicit_deny"
    ) == 1
    assert mid.value("warden_requests_total", service="iam", action="ListUsers", outcome="AccessDenied") - before.value(
        "warden_requests_total", service="iam", action="ListUsers", outcome="AccessDenied"
    ) == 1
    # An Allow and a Deny of the same action: an explicit deny.
    iam.put_user_policy(
        UserName=name,
        PolicyName="p",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"},'
        '{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}',
    )
    with raises_aws("AccessDenied", status=403):
        user_iam.list_users()
    after = scrape(metrics_port)
    assert after.value("warden_authorization_decisions_total", result="explicit_deny") - mid.value(
        "warden_authorization_decisions_total", result="explicit_deny"
    ) == 1
    # Control: the allowed neighbour is allowed and counted as such.
    user_iam.list_groups()
    last = scrape(metrics_port)
    assert last.value("warden_requests_total", service="iam", action="ListGroups", outcome="ok") >= 1
    assert last.value("warden_authorization_decisions_total", result="allow") > after.value(
        "warden_authorization_decisions_total", result="allow"
    )


def test_no_identity_or_secret_appears_in_the_metrics(w, metrics_port):
    iam = w.client("iam")
    name = unique("secretive")
    iam.create_user(UserName=name)
    user_arn = iam.get_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.put_user_policy(
        UserName=name,
        PolicyName="assume",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","iam:GetUser"],"Resource":"*"}]}',
    )
    role = iam.create_role(
        RoleName=unique("r"),
        AssumeRolePolicyDocument=f'{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},"Action":"sts:AssumeRole"}}]}}',
    )["Role"]
    user_creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    creds = make_client("sts", w.url, user_creds).assume_role(RoleArn=role["Arn"], RoleSessionName="sess-name-xyz")[
        "Credentials"
    ]
    make_client("iam", w.url, user_creds).get_user()
    text = scrape(metrics_port).text
    for secret in (
        ACCOUNT_ID,
        name,
        role["RoleName"],
        role["Arn"],
        "arn:",
        "sess-name-xyz",
        key["AccessKeyId"],
        key["SecretAccessKey"],
        creds["AccessKeyId"],
        creds["SecretAccessKey"],
        creds["SessionToken"][:40],
        ROOT_ACCESS_KEY_ID,
        ROOT.secret_access_key,
    ):
        assert secret not in text, secret
    # Every label value is a plain name from a fixed set: no ARN, id or path can hide in one.
    for value in re.findall(r'="([^"]*)"', text):
        assert re.fullmatch(r"[A-Za-z0-9_.+]+", value), value
    # Control: the operations that carried them were counted.
    assert 'action="AssumeRole",outcome="ok"' in text


def test_metrics_are_not_served_on_the_aws_listener(w, metrics_port):
    status, _, body = http_get(w.port, "/metrics")
    assert status != 200 and "warden_requests_total" not in body, (status, body)
    # The metrics listener serves only /metrics: not the AWS API, not the landing page.
    status, _, body = http_get(metrics_port, "/")
    assert status == 404, (status, body)
    status, _, body = http_get(metrics_port, "/?Action=ListUsers")
    assert status == 404, (status, body)


def test_without_the_flag_no_metrics_are_served(warden_factory):
    plain = warden_factory()
    status, _, body = http_get(plain.port, "/metrics")
    assert status != 200 and "warden_" not in body, (status, body)
    assert "metrics=\"off\"" in plain.stderr_text() or "metrics=off" in plain.stderr_text()
    # Control: the same binary with the flag serves them.
    port = free_port()
    on = warden_factory(extra_env={"WARDEN_METRICS_LISTEN": f"127.0.0.1:{port}"})
    assert scrape(port).value("warden_model_entities", kind="accounts") == 1
    assert on.health() == 200


def test_a_taken_metrics_port_fails_the_start(warden_factory, w, metrics_port):
    clash = warden_factory(start=False, extra_env={"WARDEN_METRICS_LISTEN": f"127.0.0.1:{metrics_port}"})
    with pytest.raises(RuntimeError) as e:
        clash.start(timeout=10)
    assert f"cannot listen on 127.0.0.1:{metrics_port}" in str(e.value)


def test_authorization_api_requests_are_counted_under_the_warden_service(w, metrics_port):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "authz-python"))
    from warden_authz import WardenAuthz, WardenError

    before = scrape(metrics_port)
    client = WardenAuthz(w.url, ROOT.access_key_id, ROOT.secret_access_key)
    try:
        client.get_resource_policy("arn:aws:s3:::photos")
        outcome = "ok"
    except WardenError as e:
        outcome = e.code
    after = scrape(metrics_port)
    labels = {"service": "warden", "action": "GetResourcePolicy", "outcome": outcome}
    assert after.value("warden_requests_total", **labels) - before.value("warden_requests_total", **labels) == 1
