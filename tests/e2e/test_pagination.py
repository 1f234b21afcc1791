"""Pagination: MaxItems / Marker / IsTruncated on the List calls, boto3 paginators, the aws
CLI's automatic paging, and invalid markers.

"Invalid Marker." (ValidationError, 400) is recorded against AWS for ListVirtualMFADevices in
LocalStack's test_iam_mfa.snapshot.json; MaxItems bounds (1..1000) from botocore's IAM model.
"""

from __future__ import annotations

import pytest

from e2e_util import assert_cli_error, raises_aws, unique


def walk(call, key, **kw):
    """Follow Marker by hand; return (items, pages)."""
    items, pages, marker = [], [], None
    for _ in range(100):
        args = dict(kw)
        if marker:
            args["Marker"] = marker
        r = call(**args)
        pages.append(r)
        items.extend(r[key])
        if not r["IsTruncated"]:
            assert "Marker" not in r or not r["Marker"], r
            return items, pages
        assert r.get("Marker"), "IsTruncated without a Marker"
        marker = r["Marker"]
    raise AssertionError("pagination did not terminate")


@pytest.fixture(scope="module")
def seven_users(iam):
    prefix = f"/{unique('page')}/"
    names = [unique(f"pu{i}") for i in range(7)]
    for n in names:
        iam.create_user(UserName=n, Path=prefix)
    return prefix, names


def test_list_users_pages(iam, seven_users):
    prefix, names = seven_users
    items, pages = walk(iam.list_users, "Users", PathPrefix=prefix, MaxItems=3)
    assert [len(p["Users"]) for p in pages] == [3, 3, 1]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    got = [u["UserName"] for u in items]
    assert sorted(got) == sorted(names)
    assert len(set(got)) == len(got)


def test_max_items_larger_than_result(iam, seven_users):
    prefix, names = seven_users
    r = iam.list_users(PathPrefix=prefix, MaxItems=100)
    assert r["IsTruncated"] is False
    assert sorted(u["UserName"] for u in r["Users"]) == sorted(names)
    assert "Marker" not in r


def test_paginator_walks_everything(iam, seven_users):
    prefix, names = seven_users
    pages = list(iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    assert sorted(u["UserName"] for p in pages for u in p["Users"]) == sorted(names)


def test_groups_and_group_members_pages(iam):
    prefix = f"/{unique('gpage')}/"
    groups = [unique(f"pg{i}") for i in range(5)]
    for g in groups:
        iam.create_group(GroupName=g, Path=prefix)
    items, pages = walk(iam.list_groups, "Groups", PathPrefix=prefix, MaxItems=2)
    assert [len(p["Groups"]) for p in pages] == [2, 2, 1]
    assert sorted(g["GroupName"] for g in items) == sorted(groups)

    # GetGroup pages its members; ListGroupsForUser pages the groups.
    user_names = [unique(f"gm{i}") for i in range(5)]
    for u in user_names:
        iam.create_user(UserName=u)
        iam.add_user_to_group(GroupName=groups[0], UserName=u)
    for g in groups:
        iam.add_user_to_group(GroupName=g, UserName=user_names[0])
    members, mpages = walk(iam.get_group, "Users", GroupName=groups[0], MaxItems=2)
    assert len(mpages) == 3
    assert sorted(u["UserName"] for u in members) == sorted(user_names)
    mine, gpages = walk(iam.list_groups_for_user, "Groups", UserName=user_names[0], MaxItems=3)
    assert len(gpages) == 2
    assert sorted(g["GroupName"] for g in mine) == sorted(groups)
    paged = list(iam.get_paginator("get_group").paginate(GroupName=groups[0], PaginationConfig={"PageSize": 1}))
    assert sorted(u["UserName"] for p in paged for u in p["Users"]) == sorted(user_names)


def test_access_keys_tags_and_mfa_pages(iam):
    name = unique("kp")
    iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(5)])
    k1 = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    k2 = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    keys, pages = walk(iam.list_access_keys, "AccessKeyMetadata", UserName=name, MaxItems=1)
    assert len(pages) == 2
    assert sorted(k["AccessKeyId"] for k in keys) == sorted([k1, k2])
    tags, tpages = walk(iam.list_user_tags, "Tags", UserName=name, MaxItems=2)
    assert len(tpages) == 3
    assert sorted(t["Key"] for t in tags) == [f"k{i}" for i in range(5)]

    serials = [
        iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("pm"))["VirtualMFADevice"]["SerialNumber"]
        for _ in range(3)
    ]
    devices, _ = walk(iam.list_virtual_mfa_devices, "VirtualMFADevices", MaxItems=1)
    assert set(serials) <= {d["SerialNumber"] for d in devices}
    assert len({d["SerialNumber"] for d in devices}) == len(devices)


def test_invalid_marker(iam, seven_users):
    with raises_aws("ValidationError", "Invalid Marker.", 400):
        iam.list_virtual_mfa_devices(Marker="invalid-marker-value")
    with raises_aws("ValidationError", status=400):
        iam.list_users(Marker="invalid-marker-value")
    with raises_aws("ValidationError", status=400):
        iam.list_groups(Marker="invalid-marker-value")


def test_max_items_out_of_range(iam):
    tail = "at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"
    # Recorded AWS answers for integer members omit the value ("Value at 'maxPasswordAge' ...");
    # accept the form with the value too.
    with raises_aws(
        "ValidationError",
        status=400,
        message_in={f"1 validation error detected: Value {tail}", f"1 validation error detected: Value '1001' {tail}"},
    ):
        iam.list_users(MaxItems=1001)


def test_cli_paging(aws, seven_users):
    prefix, names = seven_users
    # The CLI pages automatically; a small page size makes it follow several markers.
    rc, out, err = aws("iam", "list-users", "--path-prefix", prefix, "--page-size", "2")
    assert rc == 0, err
    assert sorted(u["UserName"] for u in out["Users"]) == sorted(names)

    rc, out, err = aws("iam", "list-users", "--path-prefix", prefix, "--max-items", "3")
    assert rc == 0, err
    assert len(out["Users"]) == 3 and out.get("NextToken")
    rc, out2, err = aws("iam", "list-users", "--path-prefix", prefix, "--starting-token", out["NextToken"])
    assert rc == 0, err
    assert sorted(u["UserName"] for u in out["Users"] + out2["Users"]) == sorted(names)

    res = aws("iam", "list-virtual-mfa-devices", "--no-paginate", "--marker", "invalid-marker-value")
    assert_cli_error(res, "ValidationError", "ListVirtualMFADevices", "Invalid Marker.")
