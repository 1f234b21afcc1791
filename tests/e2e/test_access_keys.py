"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
GetAccessKeyLastUsed, and that a user's keys authenticate (and stop doing so at once).

AWS texts from LocalStack's AWS-recorded test_iam_users.snapshot.json (TestUserAccessKeys)
and aws-wire-facts.md.
"""

from __future__ import annotations

import re
import time

import pytest
from botocore.exceptions import ClientError

from e2e_util import (
    ACCOUNT_ID,
    Creds,
    assert_cli_error,
    make_client,
    raises_aws,
    unique,
    wait_until,
)

AKID_RE = re.compile(r"^AKIA[A-Z0-9]{16}$")
INVALID_TOKEN = "The security token included in the request is invalid."
QUOTA = "Cannot exceed quota for AccessKeysPerUser: 2"


def caller(server, creds: Creds):
    return make_client("sts", server.url, creds).get_caller_identity()


def test_create_access_key_shape(iam):
    name = unique("ak")
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    assert AKID_RE.match(k["AccessKeyId"]), k["AccessKeyId"]
    assert len(k["SecretAccessKey"]) == 40
    assert k["Status"] == "Active"
    assert k["UserName"] == name
    assert "CreateDate" in k
    listed = iam.list_access_keys(UserName=name)
    assert listed["IsTruncated"] is False
    meta = listed["AccessKeyMetadata"]
    assert [(m["AccessKeyId"], m["Status"], m["UserName"]) for m in meta] == [(k["AccessKeyId"], "Active", name)]
    assert "SecretAccessKey" not in meta[0]


def test_list_access_keys_empty_and_unknown_user(iam):
    name = unique("ak-empty")
    iam.create_user(UserName=name)
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    with raises_aws("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404):
        iam.list_access_keys(UserName="nonexistent-user")
    with raises_aws("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404):
        iam.create_access_key(UserName="nonexistent-user")


def test_third_key_is_limit_exceeded(iam):
    name = unique("ak-limit")
    iam.create_user(UserName=name)
    k1 = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    k2 = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    assert k1 != k2
    with raises_aws("LimitExceeded", QUOTA, 409):
        iam.create_access_key(UserName=name)
    assert sorted(m["AccessKeyId"] for m in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == sorted([k1, k2])
    # An inactive key still counts toward the quota.
    iam.update_access_key(UserName=name, AccessKeyId=k1, Status="Inactive")
    with raises_aws("LimitExceeded", QUOTA, 409):
        iam.create_access_key(UserName=name)
    # After a delete there is room again.
    iam.delete_access_key(UserName=name, AccessKeyId=k1)
    k3 = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    assert sorted(m["AccessKeyId"] for m in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == sorted([k2, k3])


def test_concurrent_create_access_key_respects_quota(server, iam):
    import threading

    name = unique("ak-race")
    iam.create_user(UserName=name)
    results: list[str] = []
    lock = threading.Lock()

    def attempt():
        try:
            server.client("iam").create_access_key(UserName=name)
            r = "ok"
        except Exception as e:  # noqa: BLE001
            r = getattr(e, "response", {}).get("Error", {}).get("Code", repr(e))
        with lock:
            results.append(r)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count("ok") == 2, results
    assert results.count("LimitExceeded") == 4, results
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2


def test_user_key_authenticates_and_inactive_is_refused_at_once(server, iam):
    name = unique("ak-auth")
    user = iam.create_user(UserName=name)["User"]
    k = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Creds(k["AccessKeyId"], k["SecretAccessKey"])
    ident = caller(server, creds)
    assert ident == {**ident, "Account": ACCOUNT_ID, "Arn": user["Arn"], "UserId": user["UserId"]}

    iam.update_access_key(UserName=name, AccessKeyId=k["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    # Enforced on the very next request (no cache delay).
    with raises_aws("InvalidClientTokenId", INVALID_TOKEN, 403):
        caller(server, creds)

    # GetAccessKeyInfo "does not indicate the state of the access key" (STS API reference).
    assert make_client("sts", server.url).get_access_key_info(AccessKeyId=k["AccessKeyId"])["Account"] == ACCOUNT_ID

    iam.update_access_key(UserName=name, AccessKeyId=k["AccessKeyId"], Status="Active")
    assert caller(server, creds)["Arn"] == user["Arn"]

    iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    with raises_aws("InvalidClientTokenId", INVALID_TOKEN, 403):
        caller(server, creds)
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []


def test_wrong_secret_for_user_key(server, iam):
    name = unique("ak-wrong")
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    bad = Creds(k["AccessKeyId"], k["SecretAccessKey"][:-1] + ("A" if k["SecretAccessKey"][-1] != "A" else "B"))
    with raises_aws("SignatureDoesNotMatch", status=403):
        caller(server, bad)


def test_update_and_delete_errors(iam):
    name = unique("ak-err")
    iam.create_user(UserName=name)
    missing = "AKIAIOSFODNN7EXAMPLE"
    with raises_aws("NoSuchEntity", f"The Access Key with id {missing} cannot be found.", 404):
        iam.update_access_key(UserName=name, AccessKeyId=missing, Status="Inactive")
    with raises_aws("NoSuchEntity", f"The Access Key with id {missing} cannot be found.", 404):
        iam.delete_access_key(UserName=name, AccessKeyId=missing)
    # A key of another user is not found under this user.
    other = unique("ak-other")
    iam.create_user(UserName=other)
    ok = iam.create_access_key(UserName=other)["AccessKey"]["AccessKeyId"]
    with raises_aws("NoSuchEntity", f"The Access Key with id {ok} cannot be found.", 404):
        iam.delete_access_key(UserName=name, AccessKeyId=ok)
    assert [m["AccessKeyId"] for m in iam.list_access_keys(UserName=other)["AccessKeyMetadata"]] == [ok]


def test_user_manages_own_keys_without_user_name(server, iam):
    """Without UserName, IAM acts on the user who signed the request (IAM API reference for
    CreateAccessKey/ListAccessKeys/UpdateAccessKey/DeleteAccessKey; LocalStack's AWS recording
    test_access_key_deletion_without_username answers 200)."""
    from e2e_util import create_user_with_key, grant

    user, creds = create_user_with_key(iam)
    name = user["UserName"]
    grant(
        iam, name,
        ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:DeleteAccessKey"],
        resource=user["Arn"],
    )
    me = make_client("iam", server.url, creds)
    k2 = me.create_access_key()["AccessKey"]
    assert k2["UserName"] == name and AKID_RE.match(k2["AccessKeyId"])
    mine = me.list_access_keys()
    assert sorted(m["AccessKeyId"] for m in mine["AccessKeyMetadata"]) == sorted([creds.access_key_id, k2["AccessKeyId"]])
    assert {m["UserName"] for m in mine["AccessKeyMetadata"]} == {name}
    me.update_access_key(AccessKeyId=k2["AccessKeyId"], Status="Inactive")
    assert {m["AccessKeyId"]: m["Status"] for m in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}[
        k2["AccessKeyId"]
    ] == "Inactive"
    assert me.delete_access_key(AccessKeyId=k2["AccessKeyId"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [m["AccessKeyId"] for m in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]] == [creds.access_key_id]
    # Another user's key is not reachable this way.
    other = unique("ak-notmine")
    iam.create_user(UserName=other)
    theirs = iam.create_access_key(UserName=other)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as exc:
        me.delete_access_key(AccessKeyId=theirs)
    assert exc.value.response["Error"]["Code"] in ("NoSuchEntity", "AccessDenied"), exc.value.response
    assert [m["AccessKeyId"] for m in iam.list_access_keys(UserName=other)["AccessKeyMetadata"]] == [theirs]


def test_get_access_key_last_used(server, iam):
    name = unique("ak-lu")
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    before = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])
    assert before["UserName"] == name
    # Recorded against AWS: an unused key reports N/A and no date.
    assert before["AccessKeyLastUsed"] == {"Region": "N/A", "ServiceName": "N/A"}

    caller(server, Creds(k["AccessKeyId"], k["SecretAccessKey"]))

    def used():
        r = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
        return r if "LastUsedDate" in r else None

    after = wait_until(used, timeout=10)
    assert after, "LastUsedDate was not recorded after the key was used"
    assert after["ServiceName"] == "sts"
    assert after["Region"] == "us-east-1"
    assert abs(after["LastUsedDate"].timestamp() - time.time()) < 120


def test_get_access_key_last_used_unknown_key(iam):
    # Recorded against AWS: an unknown key id is AccessDenied, not NoSuchEntity.
    with raises_aws("AccessDenied", status=403) as e:
        iam.get_access_key_last_used(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert e["message"].endswith(
        "is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key AKIAIOSFODNN7EXAMPLE"
    ), e["message"]


def test_cli_access_keys(aws, server, iam):
    name = unique("cli-ak")
    assert aws("iam", "create-user", "--user-name", name).returncode == 0
    rc, out, err = aws("iam", "create-access-key", "--user-name", name)
    assert rc == 0, err
    key = out["AccessKey"]
    assert AKID_RE.match(key["AccessKeyId"]) and len(key["SecretAccessKey"]) == 40
    creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])

    # The new user's keys work for `aws sts get-caller-identity`.
    rc, out, err = aws("sts", "get-caller-identity", creds=creds)
    assert rc == 0, err
    assert out["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert out["Account"] == ACCOUNT_ID
    assert out["UserId"].startswith("AIDA")

    rc, out, err = aws("iam", "list-access-keys", "--user-name", name)
    assert rc == 0, err
    assert [m["AccessKeyId"] for m in out["AccessKeyMetadata"]] == [key["AccessKeyId"]]

    rc, out, err = aws("iam", "get-access-key-last-used", "--access-key-id", key["AccessKeyId"])
    assert rc == 0, err
    assert out["UserName"] == name

    assert aws("iam", "create-access-key", "--user-name", name).returncode == 0
    res = aws("iam", "create-access-key", "--user-name", name)
    assert_cli_error(res, "LimitExceeded", "CreateAccessKey", QUOTA)

    rc, _, err = aws(
        "iam", "update-access-key", "--user-name", name, "--access-key-id", key["AccessKeyId"], "--status", "Inactive"
    )
    assert rc == 0, err
    res = aws("sts", "get-caller-identity", creds=creds)
    assert_cli_error(res, "InvalidClientTokenId", "GetCallerIdentity", INVALID_TOKEN)

    rc, _, err = aws("iam", "delete-access-key", "--user-name", name, "--access-key-id", key["AccessKeyId"])
    assert rc == 0, err
    assert key["AccessKeyId"] not in [m["AccessKeyId"] for m in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]
