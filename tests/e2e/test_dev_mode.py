"""Dev mode (`warden serve --dev`), a drop-in for a moto server in tests: unknown keys act as the
default account's root user, warden-issued keys are verified as usual, POST /moto-api/reset wipes
state, POST /moto-api/reset-auth N lets N requests through then refuses unknown keys. None of it
is reachable in normal mode.

moto's own contract for these endpoints (moto/moto_api): reset answers {"status": "ok"};
reset-auth answers {"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": "<old>"}.
"""

from __future__ import annotations

import json

import pytest

from e2e_util import (
    ACCOUNT_ID,
    ROOT_ARN,
    Creds,
    make_client,
    raises_aws,
    raw_request,
    run_aws,
    unique,
)

STRANGER = Creds("AKIASTRANGERKEY00001", "stranger-secret-that-nobody-issued-0000")
STRANGER2 = Creds("AKIASTRANGERKEY00002", "another-secret-that-nobody-issued-00000")


def post(w, path: str, body: bytes = b""):
    return raw_request(w.url, "POST", path, body, {"Content-Type": "text/plain"})


@pytest.fixture(scope="module")
def dev(module_warden_factory):
    return module_warden_factory(dev=True)


def test_unknown_keys_act_as_root(dev):
    post(dev, "/moto-api/reset")
    ident = make_client("sts", dev.url, STRANGER).get_caller_identity()
    assert ident["Arn"] == ROOT_ARN and ident["Account"] == ACCOUNT_ID
    iam = make_client("iam", dev.url, STRANGER2)
    name = unique("dev-user")
    iam.create_user(UserName=name)
    # A different unknown key sees the same account.
    assert make_client("iam", dev.url, STRANGER).get_user(UserName=name)["User"]["UserName"] == name
    # The aws CLI with made-up keys works too (the moto use case).
    res = run_aws(dev.url, "iam", "get-user", "--user-name", name, creds=STRANGER)
    assert res.returncode == 0, res.stderr
    assert res.json["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"


def test_issued_keys_are_verified(dev):
    post(dev, "/moto-api/reset")
    iam = make_client("iam", dev.url, STRANGER)
    name = unique("dev-keyed")
    user = iam.create_user(UserName=name)["User"]
    k = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Creds(k["AccessKeyId"], k["SecretAccessKey"])
    assert make_client("sts", dev.url, creds).get_caller_identity()["Arn"] == user["Arn"]
    with raises_aws("SignatureDoesNotMatch", status=403):
        make_client("sts", dev.url, Creds(k["AccessKeyId"], "w" * 40)).get_caller_identity()
    # An issued user key is a user, not root: IAM is denied to it.
    with raises_aws("AccessDenied", status=403):
        make_client("iam", dev.url, creds).list_users()


def test_issued_keys_deactivated_deleted_or_tampered_never_act_as_root(dev):
    # Issue 12, item 16: only keys warden never issued may act as the dev-mode root.
    post(dev, "/moto-api/reset")
    iam = make_client("iam", dev.url, STRANGER)
    name = unique("dev-revoked")
    user = iam.create_user(UserName=name)["User"]
    k = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Creds(k["AccessKeyId"], k["SecretAccessKey"])
    sts = make_client("sts", dev.url, creds)
    # Control: active, the key is its user.
    assert sts.get_caller_identity()["Arn"] == user["Arn"]
    session = sts.get_session_token()["Credentials"]
    temp = Creds(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    assert make_client("sts", dev.url, temp).get_caller_identity()["Arn"] == user["Arn"]
    # A tampered token of a session key warden issued is refused, not root.
    token = temp.session_token
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("sts", dev.url, Creds(temp.access_key_id, temp.secret_access_key, flipped)).get_caller_identity()
    # Deactivated: refused, not root.
    iam.update_access_key(UserName=name, AccessKeyId=k["AccessKeyId"], Status="Inactive")
    with raises_aws("InvalidClientTokenId", status=403):
        sts.get_caller_identity()
    iam.update_access_key(UserName=name, AccessKeyId=k["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"] == user["Arn"]
    # Deleted: refused, not root.
    iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    with raises_aws("InvalidClientTokenId", status=403):
        sts.get_caller_identity()
    # Control: a key warden never issued still acts as root.
    assert make_client("sts", dev.url, STRANGER2).get_caller_identity()["Arn"] == ROOT_ARN


def test_reset_wipes_state(dev):
    iam = make_client("iam", dev.url, STRANGER)
    name, group = unique("dev-wipe"), unique("dev-wipe-g")
    iam.create_user(UserName=name)
    iam.create_group(GroupName=group)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    r = post(dev, "/moto-api/reset")
    assert r.status == 200, r.body
    assert json.loads(r.body) == {"status": "ok"}
    with raises_aws("NoSuchEntity", f"The user with name {name} cannot be found.", 404):
        iam.get_user(UserName=name)
    with raises_aws("NoSuchEntity", f"The group with name {group} cannot be found.", 404):
        iam.get_group(GroupName=group)
    assert iam.list_users()["Users"] == []
    # A key warden issued stays refused after the reset: only keys warden never issued act as
    # the dev-mode root (issue 12, item 16).
    with raises_aws("InvalidClientTokenId", None, 403):
        make_client("sts", dev.url, Creds(k["AccessKeyId"], k["SecretAccessKey"])).get_caller_identity()
    ident = make_client("sts", dev.url, Creds("AKIAIOSFODNN7EXAMPLE", "x" * 40)).get_caller_identity()
    assert ident["Arn"] == ROOT_ARN


def test_reset_auth_semantics(dev):
    post(dev, "/moto-api/reset")
    iam = make_client("iam", dev.url, STRANGER)
    user = iam.create_user(UserName=unique("dev-issued"))["User"]
    k = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    issued = Creds(k["AccessKeyId"], k["SecretAccessKey"])
    r = post(dev, "/moto-api/reset-auth", b"2")
    assert r.status == 200, r.body
    first = json.loads(r.body)
    assert first["status"] == "ok"
    assert isinstance(first["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"], str)

    sts = make_client("sts", dev.url, STRANGER)
    assert sts.get_caller_identity()["Arn"] == ROOT_ARN
    assert sts.get_caller_identity()["Arn"] == ROOT_ARN
    # The third request with an unknown key is refused, as in normal mode.
    with raises_aws("InvalidClientTokenId", status=403):
        sts.get_caller_identity()
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("iam", dev.url, STRANGER2).list_users()
    # Keys warden issued are still verified and work.
    assert make_client("sts", dev.url, issued).get_caller_identity()["Arn"] == user["Arn"]

    r = post(dev, "/moto-api/reset-auth", b"5")
    second = json.loads(r.body)
    assert second["status"] == "ok"
    # moto answers the previous *initial* allowance (str(float): "2.0"), not what is left of it.
    assert float(second["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]) == 2.0, second
    assert sts.get_caller_identity()["Arn"] == ROOT_ARN
    # Leave the module's server with a generous allowance for later tests.
    post(dev, "/moto-api/reset-auth", b"1000000")


def test_dev_state_is_ephemeral(warden_factory):
    w = warden_factory(dev=True)
    iam = make_client("iam", w.url, STRANGER)
    name = unique("dev-eph")
    iam.create_user(UserName=name)
    w.restart()
    with raises_aws("NoSuchEntity", status=404):
        make_client("iam", w.url, STRANGER).get_user(UserName=name)


def test_normal_mode_has_no_moto_api(server, iam):
    name = unique("normal-keep")
    iam.create_user(UserName=name)
    for path, body in (("/moto-api/reset", b""), ("/moto-api/reset-auth", b"100")):
        r = post(server, path, body)
        assert r.status != 200 or b'"status"' not in r.body, (path, r.status, r.body)
        assert r.status < 500, (path, r.status, r.body)
    # Nothing was wiped, and unknown keys are still refused.
    assert iam.get_user(UserName=name)["User"]["UserName"] == name
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("sts", server.url, STRANGER).get_caller_identity()
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("iam", server.url, STRANGER).list_users()
