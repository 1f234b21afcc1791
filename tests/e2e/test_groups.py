"""IAM groups: CreateGroup, GetGroup (members), ListGroups, UpdateGroup, DeleteGroup,
AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.

Messages from LocalStack's AWS-recorded snapshots (test_iam_users.snapshot.json,
TestUserGroups) and aws-wire-facts.md.
"""

from __future__ import annotations

import re

from e2e_util import ACCOUNT_ID, assert_cli_error, raises_aws, unique, validation_pattern_message

GROUP_ID_RE = re.compile(r"^AGPA[A-Z0-9]{17}$")
# DeleteGroup on a group with members; the text used by AWS-compatible tools and SDK wrappers
# (e.g. n8n's AWS IAM node maps exactly this AWS message).
DELETE_CONFLICT = "Cannot delete entity, must remove users from group first."


def no_such_group(name: str) -> str:
    return f"The group with name {name} cannot be found."


def test_create_get_list_group(iam):
    name = unique("devs")
    g = iam.create_group(GroupName=name, Path="/eng/")["Group"]
    assert g["GroupName"] == name
    assert g["Path"] == "/eng/"
    assert g["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/eng/{name}"
    assert GROUP_ID_RE.match(g["GroupId"]), g["GroupId"]
    got = iam.get_group(GroupName=name)
    assert got["Group"]["GroupId"] == g["GroupId"]
    assert got["Group"]["Arn"] == g["Arn"]
    assert got["Users"] == []
    assert got["IsTruncated"] is False
    listed = [x for x in iam.list_groups()["Groups"] if x["GroupName"] == name]
    assert len(listed) == 1 and listed[0]["GroupId"] == g["GroupId"]
    assert name in {x["GroupName"] for x in iam.list_groups(PathPrefix="/eng/")["Groups"]}
    assert name not in {x["GroupName"] for x in iam.list_groups(PathPrefix="/ops/")["Groups"]}


def test_group_duplicate_and_missing(iam):
    name = unique("Dup")
    iam.create_group(GroupName=name)
    with raises_aws("EntityAlreadyExists", f"Group with name {name} already exists.", 409):
        iam.create_group(GroupName=name)
    with raises_aws("EntityAlreadyExists", status=409):
        iam.create_group(GroupName=name.upper())
    for call in (
        lambda: iam.get_group(GroupName="nonexistent-group"),
        lambda: iam.delete_group(GroupName="nonexistent-group"),
        lambda: iam.update_group(GroupName="nonexistent-group", NewGroupName=unique("x")),
    ):
        with raises_aws("NoSuchEntity", no_such_group("nonexistent-group"), 404):
            call()


def test_group_name_validation(iam):
    with raises_aws(
        "ValidationError", validation_pattern_message("bad group", "groupName", r"[\w+=,.@-]+"), 400
    ):
        iam.create_group(GroupName="bad group")


def test_membership(iam):
    user = unique("member")
    g1, g2 = unique("g1"), unique("g2")
    u = iam.create_user(UserName=user)["User"]
    iam.create_group(GroupName=g1)
    iam.create_group(GroupName=g2)
    assert iam.list_groups_for_user(UserName=user)["Groups"] == []
    iam.add_user_to_group(GroupName=g1, UserName=user)
    iam.add_user_to_group(GroupName=g2, UserName=user)
    # Adding twice is not an error in AWS and does not duplicate.
    iam.add_user_to_group(GroupName=g1, UserName=user)
    groups = iam.list_groups_for_user(UserName=user)
    assert sorted(x["GroupName"] for x in groups["Groups"]) == sorted([g1, g2])
    assert groups["IsTruncated"] is False
    members = iam.get_group(GroupName=g1)["Users"]
    assert [(m["UserName"], m["UserId"], m["Arn"]) for m in members] == [(user, u["UserId"], u["Arn"])]
    iam.remove_user_from_group(GroupName=g1, UserName=user)
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=user)["Groups"]] == [g2]
    assert iam.get_group(GroupName=g1)["Users"] == []
    # AWS answers 200 when removing a user that is not a member (recorded against AWS).
    assert iam.remove_user_from_group(GroupName=g1, UserName=user)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_membership_errors(iam):
    g = unique("errg")
    user = unique("erru")
    iam.create_group(GroupName=g)
    iam.create_user(UserName=user)
    with raises_aws("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404):
        iam.add_user_to_group(GroupName=g, UserName="nonexistent-user")
    with raises_aws("NoSuchEntity", no_such_group("nonexistent-group"), 404):
        iam.add_user_to_group(GroupName="nonexistent-group", UserName=user)
    with raises_aws("NoSuchEntity", no_such_group("nonexistent-group"), 404):
        iam.remove_user_from_group(GroupName="nonexistent-group", UserName=user)
    with raises_aws("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404):
        iam.list_groups_for_user(UserName="nonexistent-user")


def test_update_group_rename_and_move(iam):
    old, new = unique("gold"), unique("gnew")
    user = unique("gm")
    g = iam.create_group(GroupName=old)["Group"]
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=old, UserName=user)
    iam.update_group(GroupName=old, NewGroupName=new, NewPath="/moved/")
    got = iam.get_group(GroupName=new)
    assert got["Group"]["GroupId"] == g["GroupId"]
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/moved/{new}"
    assert [m["UserName"] for m in got["Users"]] == [user]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=user)["Groups"]] == [new]
    with raises_aws("NoSuchEntity", no_such_group(old), 404):
        iam.get_group(GroupName=old)


def test_delete_group_conflict_when_not_empty(iam):
    g, user = unique("full"), unique("fu")
    iam.create_group(GroupName=g)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=g, UserName=user)
    with raises_aws("DeleteConflict", DELETE_CONFLICT, 409):
        iam.delete_group(GroupName=g)
    assert iam.get_group(GroupName=g)["Group"]["GroupName"] == g
    iam.remove_user_from_group(GroupName=g, UserName=user)
    iam.delete_group(GroupName=g)
    with raises_aws("NoSuchEntity", no_such_group(g), 404):
        iam.get_group(GroupName=g)
    assert g not in {x["GroupName"] for x in iam.list_groups()["Groups"]}


def test_cli_groups(aws, iam):
    g = unique("cli-grp")
    user = unique("cli-gu")
    rc, out, err = aws("iam", "create-group", "--group-name", g)
    assert rc == 0, err
    assert GROUP_ID_RE.match(out["Group"]["GroupId"])
    iam.create_user(UserName=user)
    rc, _, err = aws("iam", "add-user-to-group", "--group-name", g, "--user-name", user)
    assert rc == 0, err
    rc, out, err = aws("iam", "get-group", "--group-name", g)
    assert rc == 0, err
    assert [u["UserName"] for u in out["Users"]] == [user]
    rc, out, err = aws("iam", "list-groups-for-user", "--user-name", user)
    assert rc == 0, err
    assert [x["GroupName"] for x in out["Groups"]] == [g]
    rc, out, err = aws("iam", "list-groups")
    assert rc == 0, err
    assert g in [x["GroupName"] for x in out["Groups"]]
    res = aws("iam", "delete-group", "--group-name", g)
    assert_cli_error(res, "DeleteConflict", "DeleteGroup", DELETE_CONFLICT)
    rc, _, err = aws("iam", "remove-user-from-group", "--group-name", g, "--user-name", user)
    assert rc == 0, err
    new = unique("cli-grp2")
    rc, _, err = aws("iam", "update-group", "--group-name", g, "--new-group-name", new)
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-group", "--group-name", new)
    assert rc == 0, err
    res = aws("iam", "get-group", "--group-name", new)
    assert_cli_error(res, "NoSuchEntity", "GetGroup", no_such_group(new))
