"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, tags, validation.

Expected codes/messages/statuses are AWS's (LocalStack's AWS-recorded snapshots
tests/aws/services/iam/test_iam_users.snapshot.json, botocore's IAM model, and
shared/reference/aws-wire-facts.md), not whatever warden happens to answer.
"""

from __future__ import annotations

import re
import datetime as dt

import pytest

from e2e_util import (
    ACCOUNT_ID,
    ROOT_ARN,
    assert_cli_error,
    raises_aws,
    unique,
    validation_pattern_message,
)

USER_ID_RE = re.compile(r"^AIDA[A-Z0-9]{17}$")
NAME_PATTERN = r"[\w+=,.@-]+"
DELETE_CONFLICT = "Cannot delete entity, must remove referenced objects first."


def no_such_user(name: str) -> str:
    return f"The user with name {name} cannot be found."


def test_create_user_shape_and_read_back(iam):
    name = unique("alice")
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    resp = iam.create_user(UserName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    u = resp["User"]
    assert u["UserName"] == name
    assert u["Path"] == "/"
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert USER_ID_RE.match(u["UserId"]), u["UserId"]
    assert before <= u["CreateDate"] <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)
    assert "Tags" not in u  # AWS omits Tags when none were given
    # Read back through other calls.
    got = iam.get_user(UserName=name)["User"]
    assert got["UserId"] == u["UserId"] and got["Arn"] == u["Arn"] and got["Path"] == "/"
    listed = [x for x in iam.list_users()["Users"] if x["UserName"] == name]
    assert len(listed) == 1 and listed[0]["UserId"] == u["UserId"]


def test_create_user_with_path_tags_and_boundary(iam):
    name = unique("pathuser")
    boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
    tags = [{"Key": "Environment", "Value": "Test"}, {"Key": "Team", "Value": "Platform"}]
    u = iam.create_user(UserName=name, Path="/e2e/team-a/", Tags=tags, PermissionsBoundary=boundary)["User"]
    assert u["Path"] == "/e2e/team-a/"
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/e2e/team-a/{name}"
    assert sorted(u["Tags"], key=lambda t: t["Key"]) == tags
    got = iam.get_user(UserName=name)["User"]
    assert got["Arn"] == u["Arn"]
    assert sorted(got["Tags"], key=lambda t: t["Key"]) == tags
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": boundary,
    }
    listed = iam.list_user_tags(UserName=name)
    assert sorted(listed["Tags"], key=lambda t: t["Key"]) == tags
    assert listed["IsTruncated"] is False
    # ListUsers leaves out Tags and PermissionsBoundary (IAM API reference, ListUsers).
    entry = [x for x in iam.list_users(PathPrefix="/e2e/team-a/")["Users"] if x["UserName"] == name][0]
    assert "Tags" not in entry and "PermissionsBoundary" not in entry
    assert entry["Arn"] == u["Arn"]


def test_special_characters_round_trip(iam, aws):
    """Form-encoding ('+' is not a space), XML escaping (&, <, >, quotes) and UTF-8 tags."""
    name = "a+b=c,d.e@f-g_" + unique("h")[-6:]
    path = "/esc&<>'\"+=/"
    tags = [
        {"Key": "ünïcode key", "Value": "välue with spaces + = : / @ ."},
        {"Key": "plus+equals=", "Value": ""},
    ]
    u = iam.create_user(UserName=name, Path=path, Tags=tags)["User"]
    assert u["UserName"] == name and u["Path"] == path
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}"
    got = iam.get_user(UserName=name)["User"]
    assert (got["UserName"], got["Path"]) == (name, path)
    assert sorted(iam.list_user_tags(UserName=name)["Tags"], key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])
    rc, out, err = aws("iam", "get-user", "--user-name", name)
    assert rc == 0, err
    assert out["User"]["Path"] == path and out["User"]["UserName"] == name
    assert name in [x["UserName"] for x in iam.list_users(PathPrefix="/esc&")["Users"]]


def test_unique_ids_are_distinct(iam):
    ids = set()
    for _ in range(5):
        ids.add(iam.create_user(UserName=unique("idu"))["User"]["UserId"])
    assert len(ids) == 5
    assert all(USER_ID_RE.match(i) for i in ids)


def test_get_user_without_name_is_the_caller_root(iam):
    """For the root user (account without alias) AWS returns only UserId (the account id), Arn,
    CreateDate (and PasswordLastUsed): no UserName, no Path. Raw AWS XML quoted in
    brendanhay/amazonka#102 (2015, 2017); also grycap/scar#180, 99designs/aws-vault#152,
    boto/boto3#4484."""
    u = iam.get_user()["User"]
    assert u["UserId"] == ACCOUNT_ID
    assert u["Arn"] == ROOT_ARN
    assert isinstance(u["CreateDate"], dt.datetime)
    assert "UserName" not in u, u
    assert "Path" not in u, u


def test_root_is_not_listed_as_a_user(iam):
    users = iam.list_users()["Users"]
    assert all(u["Arn"] != ROOT_ARN and u["UserId"] != ACCOUNT_ID for u in users)


def test_get_user_without_name_is_the_calling_user(server, iam):
    """With permission, GetUser without UserName answers the user who signed the request."""
    from e2e_util import create_user_with_key, grant, make_client

    user, creds = create_user_with_key(iam, Path="/self/")
    grant(iam, user["UserName"], ["iam:GetUser"], resource=user["Arn"])
    me = make_client("iam", server.url, creds).get_user()["User"]
    assert (me["UserName"], me["UserId"], me["Arn"], me["Path"]) == (user["UserName"], user["UserId"], user["Arn"], "/self/")


def test_get_user_missing(iam):
    with raises_aws("NoSuchEntity", no_such_user("nonexistent-user"), 404):
        iam.get_user(UserName="nonexistent-user")


def test_duplicate_name_case_insensitive(iam):
    name = unique("Bob")
    iam.create_user(UserName=name)
    with raises_aws("EntityAlreadyExists", f"User with name {name} already exists.", 409):
        iam.create_user(UserName=name)
    with raises_aws("EntityAlreadyExists", status=409) as e:
        iam.create_user(UserName=name.lower())
    assert e["message"].lower() == f"User with name {name} already exists.".lower()
    # The original case is kept, and only one user exists.
    matching = [u["UserName"] for u in iam.list_users()["Users"] if u["UserName"].lower() == name.lower()]
    assert matching == [name]


def test_list_users_path_prefix(iam):
    a = unique("pfx-a")
    b = unique("pfx-b")
    c = unique("pfx-c")
    iam.create_user(UserName=a, Path="/prefixtest/eng/")
    iam.create_user(UserName=b, Path="/prefixtest/ops/")
    iam.create_user(UserName=c)
    names = lambda resp: {u["UserName"] for u in resp["Users"]}  # noqa: E731
    assert {a, b} <= names(iam.list_users(PathPrefix="/prefixtest/"))
    assert c not in names(iam.list_users(PathPrefix="/prefixtest/"))
    eng = names(iam.list_users(PathPrefix="/prefixtest/eng/"))
    assert a in eng and b not in eng
    assert names(iam.list_users(PathPrefix="/nothing-here/")) == set()
    everyone = names(iam.list_users())
    assert {a, b, c} <= everyone


def test_update_user_rename_and_move(iam):
    old = unique("old")
    new = unique("new")
    created = iam.create_user(UserName=old)["User"]
    resp = iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = iam.get_user(UserName=new)["User"]
    assert got["UserId"] == created["UserId"]
    assert got["Path"] == "/moved/"
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/moved/{new}"
    with raises_aws("NoSuchEntity", no_such_user(old), 404):
        iam.get_user(UserName=old)
    # Path-only move keeps the name.
    iam.update_user(UserName=new, NewPath="/")
    assert iam.get_user(UserName=new)["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{new}"


def test_update_user_errors(iam):
    with raises_aws("NoSuchEntity", no_such_user("nonexistent-user"), 404):
        iam.update_user(UserName="nonexistent-user", NewUserName=unique("x"))
    a, b = unique("ua"), unique("ub")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    with raises_aws("EntityAlreadyExists", status=409):
        iam.update_user(UserName=a, NewUserName=b)
    # both still exist unchanged
    assert iam.get_user(UserName=a)["User"]["UserName"] == a
    assert iam.get_user(UserName=b)["User"]["UserName"] == b


def test_rename_keeps_access_keys_and_identity(server, iam):
    old, new = unique("rk-old"), unique("rk-new")
    u = iam.create_user(UserName=old)["User"]
    key = iam.create_access_key(UserName=old)["AccessKey"]
    iam.update_user(UserName=old, NewUserName=new)
    keys = iam.list_access_keys(UserName=new)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["UserName"]) for k in keys] == [(key["AccessKeyId"], new)]
    from e2e_util import Creds, make_client

    ident = make_client("sts", server.url, Creds(key["AccessKeyId"], key["SecretAccessKey"])).get_caller_identity()
    assert ident["UserId"] == u["UserId"]
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{new}"


def test_concurrent_create_same_name_exactly_one_wins(server):
    import threading

    name = unique("race")
    results: list[str] = []
    lock = threading.Lock()

    def attempt(i):
        c = server.client("iam")
        try:
            c.create_user(UserName=name if i % 2 else name.upper())
            r = "ok"
        except Exception as e:  # noqa: BLE001
            r = getattr(e, "response", {}).get("Error", {}).get("Code", repr(e))
        with lock:
            results.append(r)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count("ok") == 1, results
    assert results.count("EntityAlreadyExists") == 7, results


def test_rename_updates_group_membership(iam):
    old, new, group = unique("rg-old"), unique("rg-new"), unique("rg-g")
    iam.create_user(UserName=old)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=old)
    iam.update_user(UserName=old, NewUserName=new)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [new]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=new)["Groups"]] == [group]
    with raises_aws("NoSuchEntity", no_such_user(old), 404):
        iam.list_groups_for_user(UserName=old)


def test_rename_updates_login_profile_and_mfa_devices(iam):
    """Recorded against AWS (TestUserRename): the login profile and MFA devices follow the rename."""
    from e2e_util import two_consecutive_codes

    old, new = unique("rn-old"), unique("rn-new")
    iam.create_user(UserName=old)
    iam.create_login_profile(UserName=old, Password="Rename-Passw0rd-Kept!")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("rn-mfa"))["VirtualMFADevice"]
    c1, c2 = two_consecutive_codes(dev["Base32StringSeed"])
    iam.enable_mfa_device(UserName=old, SerialNumber=dev["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2)
    iam.update_user(UserName=old, NewUserName=new)
    assert iam.get_login_profile(UserName=new)["LoginProfile"]["UserName"] == new
    mfa = iam.list_mfa_devices(UserName=new)["MFADevices"]
    assert [(m["SerialNumber"], m["UserName"]) for m in mfa] == [(dev["SerialNumber"], new)]
    assigned = [d for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
                if d["SerialNumber"] == dev["SerialNumber"]]
    assert assigned and assigned[0]["User"]["UserName"] == new


def test_other_calls_validate_user_name(iam):
    for call in (
        lambda: iam.get_user(UserName="bad name"),
        lambda: iam.delete_user(UserName="bad name"),
        lambda: iam.list_user_tags(UserName="bad name"),
    ):
        with raises_aws("ValidationError", status=400) as e:
            call()
        assert "at 'userName' failed to satisfy constraint" in e["message"], e["message"]


def test_untag_missing_key_is_a_no_op(iam):
    name = unique("untag")
    iam.create_user(UserName=name, Tags=[{"Key": "keep", "Value": "1"}])
    iam.untag_user(UserName=name, TagKeys=["never-set"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "keep", "Value": "1"}]


def test_delete_user(iam):
    name = unique("del")
    iam.create_user(UserName=name)
    assert iam.delete_user(UserName=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with raises_aws("NoSuchEntity", no_such_user(name), 404):
        iam.get_user(UserName=name)
    assert name not in {u["UserName"] for u in iam.list_users()["Users"]}
    with raises_aws("NoSuchEntity", no_such_user(name), 404):
        iam.delete_user(UserName=name)
    # The name can be reused, and gets a new unique id.
    again = iam.create_user(UserName=name)["User"]
    assert USER_ID_RE.match(again["UserId"])


def test_delete_conflict_access_key(iam):
    name = unique("dc-key")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    with raises_aws("DeleteConflict", DELETE_CONFLICT, 409):
        iam.delete_user(UserName=name)
    assert iam.get_user(UserName=name)["User"]["UserName"] == name  # still there
    iam.delete_access_key(UserName=name, AccessKeyId=key)
    iam.delete_user(UserName=name)


def test_delete_conflict_group_membership(iam):
    name, group = unique("dc-grp"), unique("grp")
    iam.create_user(UserName=name)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    with raises_aws("DeleteConflict", DELETE_CONFLICT, 409):
        iam.delete_user(UserName=name)
    iam.remove_user_from_group(GroupName=group, UserName=name)
    iam.delete_user(UserName=name)
    assert iam.get_group(GroupName=group)["Users"] == []


def test_delete_conflict_login_profile(iam):
    name = unique("dc-lp")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Corr3ct-Horse-Battery!")
    with raises_aws("DeleteConflict", DELETE_CONFLICT, 409):
        iam.delete_user(UserName=name)
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def test_delete_conflict_mfa_device(iam):
    from e2e_util import two_consecutive_codes

    name = unique("dc-mfa")
    iam.create_user(UserName=name)
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    c1, c2 = two_consecutive_codes(dev["Base32StringSeed"])
    iam.enable_mfa_device(
        UserName=name, SerialNumber=dev["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2
    )
    with raises_aws("DeleteConflict", DELETE_CONFLICT, 409):
        iam.delete_user(UserName=name)
    iam.deactivate_mfa_device(UserName=name, SerialNumber=dev["SerialNumber"])
    iam.delete_user(UserName=name)
    iam.delete_virtual_mfa_device(SerialNumber=dev["SerialNumber"])


@pytest.mark.parametrize("bad", ["bad name", "semi;colon", "slash/name", "star*"])
def test_user_name_pattern_validation(iam, bad):
    with raises_aws("ValidationError", validation_pattern_message(bad, "userName", NAME_PATTERN), 400):
        iam.create_user(UserName=bad)


def test_user_name_too_long(iam):
    bad = "a" * 65
    with raises_aws(
        "ValidationError",
        f"1 validation error detected: Value '{bad}' at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
        400,
    ):
        iam.create_user(UserName=bad)


def test_invalid_path(iam):
    with raises_aws("ValidationError", status=400):
        iam.create_user(UserName=unique("badpath"), Path="no-leading-slash/")


def test_tag_untag_list(iam):
    name = unique("tags")
    iam.create_user(UserName=name)
    assert iam.list_user_tags(UserName=name)["Tags"] == []
    iam.tag_user(UserName=name, Tags=[{"Key": "key-1", "Value": "value-1"}, {"Key": "key-2", "Value": "value-2"}])
    tags = sorted(iam.list_user_tags(UserName=name)["Tags"], key=lambda t: t["Key"])
    assert tags == [{"Key": "key-1", "Value": "value-1"}, {"Key": "key-2", "Value": "value-2"}]
    # Re-tagging an existing key overwrites its value.
    iam.tag_user(UserName=name, Tags=[{"Key": "key-1", "Value": "changed"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]}
    assert tags == {"key-1": "changed", "key-2": "value-2"}
    iam.untag_user(UserName=name, TagKeys=["key-2"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "key-1", "Value": "changed"}]
    assert iam.get_user(UserName=name)["User"]["Tags"] == [{"Key": "key-1", "Value": "changed"}]


def test_tag_errors(iam):
    for call in (
        lambda: iam.tag_user(UserName="nonexistent-user", Tags=[{"Key": "k", "Value": "v"}]),
        lambda: iam.untag_user(UserName="nonexistent-user", TagKeys=["k"]),
        lambda: iam.list_user_tags(UserName="nonexistent-user"),
    ):
        with raises_aws("NoSuchEntity", no_such_user("nonexistent-user"), 404):
            call()


def test_more_than_50_tags_is_limit_exceeded(iam):
    name = unique("manytags")
    iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(45)])
    with raises_aws("LimitExceeded", status=409):
        iam.tag_user(UserName=name, Tags=[{"Key": f"extra{i}", "Value": "v"} for i in range(10)])
    # Nothing of the refused call was applied.
    assert len(iam.list_user_tags(UserName=name)["Tags"]) == 45
    # Exactly 50 is fine.
    iam.tag_user(UserName=name, Tags=[{"Key": f"extra{i}", "Value": "v"} for i in range(5)])
    assert len(iam.list_user_tags(UserName=name)["Tags"]) == 50


# ------------------------------------------------------------------------------------------
# The same flows through the aws CLI
# ------------------------------------------------------------------------------------------


def test_cli_user_lifecycle(aws, iam):
    name = unique("cli-user")
    rc, out, err = aws("iam", "create-user", "--user-name", name, "--path", "/cli/", "--tags", "Key=team,Value=blue")
    assert rc == 0, err
    assert out["User"]["UserName"] == name
    assert out["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/cli/{name}"
    assert USER_ID_RE.match(out["User"]["UserId"])
    # Read back with boto3 (a different client).
    assert iam.get_user(UserName=name)["User"]["UserId"] == out["User"]["UserId"]

    rc, out, err = aws("iam", "get-user", "--user-name", name)
    assert rc == 0, err
    assert out["User"]["Path"] == "/cli/"

    rc, out, err = aws("iam", "list-users", "--path-prefix", "/cli/")
    assert rc == 0, err
    assert name in [u["UserName"] for u in out["Users"]]

    rc, out, err = aws("iam", "list-user-tags", "--user-name", name)
    assert rc == 0, err
    assert out["Tags"] == [{"Key": "team", "Value": "blue"}]

    rc, _, err = aws("iam", "tag-user", "--user-name", name, "--tags", "Key=env,Value=dev")
    assert rc == 0, err
    rc, _, err = aws("iam", "untag-user", "--user-name", name, "--tag-keys", "team")
    assert rc == 0, err
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "env", "Value": "dev"}]

    new = unique("cli-renamed")
    rc, _, err = aws("iam", "update-user", "--user-name", name, "--new-user-name", new)
    assert rc == 0, err
    assert iam.get_user(UserName=new)["User"]["Path"] == "/cli/"

    rc, _, err = aws("iam", "delete-user", "--user-name", new)
    assert rc == 0, err
    res = aws("iam", "get-user", "--user-name", new)
    assert_cli_error(res, "NoSuchEntity", "GetUser", no_such_user(new))


def test_cli_get_user_root_and_errors(aws):
    rc, out, err = aws("iam", "get-user")
    assert rc == 0, err
    assert out["User"]["Arn"] == ROOT_ARN
    assert out["User"]["UserId"] == ACCOUNT_ID

    name = unique("cli-dup")
    assert aws("iam", "create-user", "--user-name", name).returncode == 0
    res = aws("iam", "create-user", "--user-name", name)
    assert_cli_error(res, "EntityAlreadyExists", "CreateUser", f"User with name {name} already exists.")

    res = aws("iam", "create-user", "--user-name", "bad name")
    assert_cli_error(
        res, "ValidationError", "CreateUser", validation_pattern_message("bad name", "userName", NAME_PATTERN)
    )

    assert aws("iam", "create-access-key", "--user-name", name).returncode == 0
    res = aws("iam", "delete-user", "--user-name", name)
    assert_cli_error(res, "DeleteConflict", "DeleteUser", DELETE_CONFLICT)
