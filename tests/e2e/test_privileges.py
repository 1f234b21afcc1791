"""Privilege matrix for issue #4: every IAM call is authorized by the caller's policies, and each
refused attempt is refused exactly as AWS refuses it, next to an allowed counterpart that proves
the setup can pass.

AWS's denial text (aws-wire-facts.md, AWS's "Troubleshoot access denied error messages" page):
  User: ARN is not authorized to perform: ACTION on resource: RESOURCE because no identity-based
  policy allows the ACTION action
  ... with an explicit deny in an identity-based policy
  ... because no permissions boundary allows the ACTION action
all 403 AccessDenied. Resources are the Service Authorization Reference's: iam:CreateUser,
iam:GetUser, iam:CreateAccessKey, iam:AttachUserPolicy, iam:DeleteUserPermissionsBoundary and
iam:TagUser act on `arn:aws:iam::ACCT:user/PATH/NAME`, iam:GetPolicy and iam:CreatePolicyVersion on
the policy ARN. Evaluation semantics: IAM User Guide, reference_policies_evaluation-logic,
access_policies_boundaries, reference_policies_condition-keys (aws:SourceIp,
aws:MultiFactorAuthPresent: absent for long-term keys, true for GetSessionToken with MFA),
reference_policies_variables (${aws:username}, ${aws:PrincipalTag/k}), access_tags (ABAC with
aws:ResourceTag, aws:RequestTag, aws:TagKeys), access_policies_boundaries (delegation with the
iam:PermissionsBoundary key). sts:GetCallerIdentity and sts:GetSessionToken need no permission
(STS API reference).

How IAM renders the resource in its own denials is AWS's, quoted from real AWS answers in public
threads: an existing user is "user NAME" (GetUser, ListAccessKeys, CreateAccessKey, PutUserPolicy,
AttachUserPolicy), a policy "policy ARN" (GetPolicy, CreatePolicyVersion), a policy being created
"policy NAME", a user being created its ARN, ListUsers "arn:aws:iam::ACCT:user/"; explicit denies from
a managed policy now end with ": POLICY_ARN". test_denial_texts_name_resources_as_iam_does pins those
texts once; matrix tests accept name-or-ARN only where no AWS output shows the form, so a rendering
divergence does not hide the decision checks.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass

import pytest

from e2e_util import (
    allow,
    deny,
    policy_doc as doc,
    ACCOUNT_ID,
    Creds,
    assert_cli_error,
    create_user_with_key,
    make_client,
    raises_aws,
    run_aws,
    totp,
    two_consecutive_codes,
    unique,
    wait_next_window,
)

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def user_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}"


def policy_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}"


# How IAM names the resource in its own denials (messages quoted from AWS by users): an existing
# user is "user NAME" (GetUser, CreateAccessKey, ListAccessKeys, AttachUserPolicy, PutUserPolicy),
# a policy is "policy ARN" (GetPolicy, CreatePolicyVersion), a policy being created "policy NAME"
# (CreatePolicy); a user being created is its ARN (CreateUser), and the list calls name the path
# ARN (ListUsers: arn:aws:iam::ACCT:user/).
def ures(name: str) -> str:
    return f"user {name}"


def pres(arn: str) -> str:
    return f"policy {arn}"


@contextlib.contextmanager
def denied_as(*messages):
    """AccessDenied (403) with one of `messages`: for the calls whose resource rendering in IAM's
    denial text (name or ARN) no public AWS output shows."""
    with raises_aws("AccessDenied", status=403) as e:
        yield e
    assert e["message"] in messages, e["message"]


def no_allow(who: str, action: str, resource: str) -> str:
    return (f"User: {who} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def explicit_deny(who: str, action: str, resource: str) -> str:
    return (f"User: {who} is not authorized to perform: {action} on resource: {resource} "
            f"with an explicit deny in an identity-based policy")


def no_boundary(who: str, action: str, resource: str) -> str:
    return (f"User: {who} is not authorized to perform: {action} on resource: {resource} "
            f"because no permissions boundary allows the {action} action")


@dataclass
class Principal:
    name: str
    arn: str
    creds: Creds
    iam: object
    sts: object


def principal(iam, server, *, inline: str | None = None, attached=(), boundary: str | None = None,
              path: str = "/", tags: dict | None = None, name: str | None = None) -> Principal:
    name = name or unique("pv")
    kw: dict = {}
    if path != "/":
        kw["Path"] = path
    if boundary:
        kw["PermissionsBoundary"] = boundary
    if tags:
        kw["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    user, creds = create_user_with_key(iam, name, **kw)
    assert user["Arn"] == user_arn(name, path)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="perms", PolicyDocument=inline)
    for a in attached:
        iam.attach_user_policy(UserName=name, PolicyArn=a)
    return Principal(name, user["Arn"], creds, make_client("iam", server.url, creds),
                     make_client("sts", server.url, creds))


def managed(iam, document: str, name: str | None = None) -> str:
    return iam.create_policy(PolicyName=name or unique("pp"), PolicyDocument=document)["Policy"]["Arn"]


# --------------------------------------------------------------------------------------
# A user attaching AdministratorAccess to itself
# --------------------------------------------------------------------------------------


def test_attach_admin_to_self_with_rights_only_on_other_users(server, iam):
    harmless = managed(iam, doc(allow("iam:ListUsers")))
    me = principal(iam, server, inline=doc(allow("iam:AttachUserPolicy", "arn:aws:iam::*:user/others/*")))
    other, _ = create_user_with_key(iam, unique("victim"), Path="/others/")
    for arn in (ADMIN_ARN, harmless):
        with raises_aws("AccessDenied", no_allow(me.arn, "iam:AttachUserPolicy", ures(me.name)), 403):
            me.iam.attach_user_policy(UserName=me.name, PolicyArn=arn)
    assert iam.list_attached_user_policies(UserName=me.name)["AttachedPolicies"] == []
    # Allowed counterpart: the same calls on a user under /others/, AdministratorAccess included.
    me.iam.attach_user_policy(UserName=other["UserName"], PolicyArn=harmless)
    me.iam.attach_user_policy(UserName=other["UserName"], PolicyArn=ADMIN_ARN)
    assert sorted(p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=other["UserName"])["AttachedPolicies"]) == sorted(
        [harmless, ADMIN_ARN])
    # The victim is now an administrator; the attacker still is not.
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:ListUsers", f"arn:aws:iam::{ACCOUNT_ID}:user/"), 403):
        me.iam.list_users()


def test_attach_admin_to_self_limited_by_policy_arn_condition(server, iam):
    readonly = managed(iam, doc(allow(["iam:Get*", "iam:List*"])))
    me = principal(iam, server, inline=doc(allow(
        "iam:AttachUserPolicy", "arn:aws:iam::*:user/${aws:username}",
        Condition={"ArnEquals": {"iam:PolicyARN": readonly}})))
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:AttachUserPolicy", ures(me.name)), 403):
        me.iam.attach_user_policy(UserName=me.name, PolicyArn=ADMIN_ARN)
    assert iam.list_attached_user_policies(UserName=me.name)["AttachedPolicies"] == []
    # Allowed counterpart: the one policy the condition names.
    me.iam.attach_user_policy(UserName=me.name, PolicyArn=readonly)
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=me.name)["AttachedPolicies"]] == [readonly]
    # ...and the self-attached policy is in force on the very next request.
    assert me.iam.list_users()["Users"]


def test_attach_admin_to_self_explicitly_denied(server, iam):
    harmless = managed(iam, doc(allow("iam:ListGroups")))
    me = principal(iam, server, inline=doc(
        allow("iam:AttachUserPolicy"),
        deny("iam:AttachUserPolicy", Condition={"ArnLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"}}),
    ))
    with raises_aws("AccessDenied", explicit_deny(me.arn, "iam:AttachUserPolicy", ures(me.name)), 403):
        me.iam.attach_user_policy(UserName=me.name, PolicyArn=ADMIN_ARN)
    me.iam.attach_user_policy(UserName=me.name, PolicyArn=harmless)
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=me.name)["AttachedPolicies"]] == [harmless]


# --------------------------------------------------------------------------------------
# A user creating keys for another user
# --------------------------------------------------------------------------------------


def test_create_keys_for_another_user(server, iam):
    me = principal(iam, server, inline=doc(allow(
        ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:DeleteAccessKey"], "arn:aws:iam::*:user/${aws:username}")))
    victim = unique("victim")
    iam.create_user(UserName=victim)
    # (exact resource text for CreateAccessKey: test_denial_texts_name_resources_as_iam_does)
    with denied_as(no_allow(me.arn, "iam:CreateAccessKey", ures(victim)),
                   no_allow(me.arn, "iam:CreateAccessKey", user_arn(victim))):
        me.iam.create_access_key(UserName=victim)
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:ListAccessKeys", ures(victim)), 403):
        me.iam.list_access_keys(UserName=victim)
    assert iam.list_access_keys(UserName=victim)["AccessKeyMetadata"] == []
    res = run_aws(server.url, "iam", "create-access-key", "--user-name", victim, creds=me.creds)
    assert_cli_error(res, "AccessDenied", "CreateAccessKey")
    assert any(m in res.stderr for m in (no_allow(me.arn, "iam:CreateAccessKey", ures(victim)),
                                         no_allow(me.arn, "iam:CreateAccessKey", user_arn(victim)))), res.stderr
    assert iam.list_access_keys(UserName=victim)["AccessKeyMetadata"] == []
    # Allowed counterpart: its own keys, by name and implicitly (no UserName = the caller).
    k = me.iam.create_access_key(UserName=me.name)["AccessKey"]
    assert k["UserName"] == me.name
    assert len(me.iam.list_access_keys()["AccessKeyMetadata"]) == 2
    me.iam.delete_access_key(AccessKeyId=k["AccessKeyId"])


# --------------------------------------------------------------------------------------
# A user removing its own boundary
# --------------------------------------------------------------------------------------


def test_remove_own_boundary_explicit_deny(server, iam):
    boundary = managed(iam, doc(allow("iam:*")))
    guarded = doc(allow("iam:*"), deny(["iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"],
                                       "arn:aws:iam::*:user/${aws:username}"))
    me = principal(iam, server, inline=guarded, boundary=boundary)
    with denied_as(explicit_deny(me.arn, "iam:DeleteUserPermissionsBoundary", ures(me.name)), explicit_deny(me.arn, "iam:DeleteUserPermissionsBoundary", me.arn)):
        me.iam.delete_user_permissions_boundary(UserName=me.name)
    with denied_as(explicit_deny(me.arn, "iam:PutUserPermissionsBoundary", ures(me.name)), explicit_deny(me.arn, "iam:PutUserPermissionsBoundary", me.arn)):
        me.iam.put_user_permissions_boundary(UserName=me.name, PermissionsBoundary=ADMIN_ARN)
    assert iam.get_user(UserName=me.name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    # Allowed counterpart: a user with the same boundary and no deny removes its boundary.
    free = principal(iam, server, inline=doc(allow("iam:*")), boundary=boundary)
    free.iam.delete_user_permissions_boundary(UserName=free.name)
    assert "PermissionsBoundary" not in iam.get_user(UserName=free.name)["User"]


def test_remove_own_boundary_not_allowed_by_boundary(server, iam):
    boundary = managed(iam, doc(allow(["iam:Get*", "iam:List*"])))
    me = principal(iam, server, inline=doc(allow("iam:*")), boundary=boundary)
    with denied_as(no_boundary(me.arn, "iam:DeleteUserPermissionsBoundary", ures(me.name)), no_boundary(me.arn, "iam:DeleteUserPermissionsBoundary", me.arn)):
        me.iam.delete_user_permissions_boundary(UserName=me.name)
    assert iam.get_user(UserName=me.name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    # Reads inside the boundary pass.
    assert me.iam.get_user(UserName=me.name)["User"]["UserName"] == me.name


# --------------------------------------------------------------------------------------
# A user editing a policy it can read but not write
# --------------------------------------------------------------------------------------


def test_edit_policy_read_but_not_write(server, iam):
    target = managed(iam, doc(allow("iam:ListUsers")))
    reader = doc(allow(["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"], target))
    me = principal(iam, server, inline=reader)
    # Reads pass.
    assert me.iam.get_policy(PolicyArn=target)["Policy"]["Arn"] == target
    assert me.iam.get_policy_version(PolicyArn=target, VersionId="v1")["PolicyVersion"]["Document"]["Statement"][0][
        "Action"] == "iam:ListUsers"
    assert len(me.iam.list_policy_versions(PolicyArn=target)["Versions"]) == 1
    # Writes are refused, naming the policy as the resource.
    with denied_as(no_allow(me.arn, "iam:CreatePolicyVersion", pres(target)),
                   no_allow(me.arn, "iam:CreatePolicyVersion", target)):
        me.iam.create_policy_version(PolicyArn=target, PolicyDocument=doc(allow("*")), SetAsDefault=True)
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:DeletePolicy", pres(target)), 403):
        me.iam.delete_policy(PolicyArn=target)
    with denied_as(no_allow(me.arn, "iam:TagPolicy", pres(target)), no_allow(me.arn, "iam:TagPolicy", target)):
        me.iam.tag_policy(PolicyArn=target, Tags=[{"Key": "k", "Value": "v"}])
    # A policy the reader may not even read.
    other = managed(iam, doc(allow("iam:ListGroups")))
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetPolicy", pres(other)), 403):
        me.iam.get_policy(PolicyArn=other)
    p = iam.get_policy(PolicyArn=target)["Policy"]
    assert p["DefaultVersionId"] == "v1" and len(iam.list_policy_versions(PolicyArn=target)["Versions"]) == 1
    # Allowed counterpart: grant CreatePolicyVersion on that ARN; the next request passes.
    iam.put_user_policy(UserName=me.name, PolicyName="perms", PolicyDocument=doc(
        allow(["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:CreatePolicyVersion"], target)))
    v = me.iam.create_policy_version(PolicyArn=target, PolicyDocument=doc(allow("iam:ListGroups")), SetAsDefault=True)
    assert v["PolicyVersion"]["VersionId"] == "v2"


# --------------------------------------------------------------------------------------
# A boundary that caps an admin policy
# --------------------------------------------------------------------------------------


def test_boundary_caps_admin_policy(server, iam):
    boundary = managed(iam, doc(allow(["iam:Get*", "iam:List*"])))
    me = principal(iam, server, inline=doc(allow("*")), boundary=boundary)
    assert me.iam.list_users()["Users"]
    assert me.iam.get_user(UserName=me.name)["User"]["Arn"] == me.arn
    new = unique("capped")
    with raises_aws("AccessDenied", no_boundary(me.arn, "iam:CreateUser", user_arn(new)), 403):
        me.iam.create_user(UserName=new)
    with raises_aws("AccessDenied", no_boundary(me.arn, "iam:PutUserPolicy", ures(me.name)), 403):
        me.iam.put_user_policy(UserName=me.name, PolicyName="escape", PolicyDocument=doc(allow("*")))
    with raises_aws("AccessDenied", no_boundary(me.arn, "iam:AttachUserPolicy", ures(me.name)), 403):
        me.iam.attach_user_policy(UserName=me.name, PolicyArn=ADMIN_ARN)
    res = run_aws(server.url, "iam", "create-group", "--group-name", new, creds=me.creds)
    assert_cli_error(res, "AccessDenied", "CreateGroup",
                     no_boundary(me.arn, "iam:CreateGroup", f"arn:aws:iam::{ACCOUNT_ID}:group/{new}"))
    # The boundary also caps managed admin rights (the same user with AdministratorAccess-like
    # customer policy attached instead of inline).
    admin_like = managed(iam, doc(allow("*")))
    iam.delete_user_policy(UserName=me.name, PolicyName="perms")
    iam.attach_user_policy(UserName=me.name, PolicyArn=admin_like)
    with raises_aws("AccessDenied", no_boundary(me.arn, "iam:CreateUser", user_arn(new)), 403):
        me.iam.create_user(UserName=new)
    # ...and rights that come from a group.
    iam.detach_user_policy(UserName=me.name, PolicyArn=admin_like)
    grp = unique("capgrp")
    iam.create_group(GroupName=grp)
    iam.attach_group_policy(GroupName=grp, PolicyArn=admin_like)
    iam.add_user_to_group(GroupName=grp, UserName=me.name)
    assert me.iam.get_user(UserName=me.name)["User"]["UserName"] == me.name
    with raises_aws("AccessDenied", no_boundary(me.arn, "iam:CreateUser", user_arn(new)), 403):
        me.iam.create_user(UserName=new)
    iam.remove_user_from_group(GroupName=grp, UserName=me.name)
    iam.attach_user_policy(UserName=me.name, PolicyArn=admin_like)
    # A boundary alone grants nothing: with no identity policy, reads fail with the identity text.
    iam.detach_user_policy(UserName=me.name, PolicyArn=admin_like)
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(me.name)), 403):
        me.iam.get_user(UserName=me.name)
    # Allowed counterpart: root removes the boundary and restores the admin policy; writes pass.
    iam.attach_user_policy(UserName=me.name, PolicyArn=admin_like)
    iam.delete_user_permissions_boundary(UserName=me.name)
    assert me.iam.create_user(UserName=new)["User"]["UserName"] == new


# --------------------------------------------------------------------------------------
# An explicit deny beats an allow
# --------------------------------------------------------------------------------------


def test_explicit_deny_beats_allow(server, iam):
    me = principal(iam, server, inline=doc(allow("iam:*"), deny("iam:CreateUser")))
    new = unique("denied")
    with raises_aws("AccessDenied", explicit_deny(me.arn, "iam:CreateUser", user_arn(new)), 403):
        me.iam.create_user(UserName=new)
    assert me.iam.list_users()["Users"]  # the Allow still applies elsewhere
    # A deny in a group policy beats the user's own allow, and so does one in a managed policy.
    group = unique("denygrp")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="deny", PolicyDocument=doc(deny("iam:ListUsers")))
    iam.add_user_to_group(GroupName=group, UserName=me.name)
    with raises_aws("AccessDenied", explicit_deny(me.arn, "iam:ListUsers", f"arn:aws:iam::{ACCOUNT_ID}:user/"), 403):
        me.iam.list_users()
    deny_groups = managed(iam, doc(deny("iam:ListGroups")))
    iam.attach_user_policy(UserName=me.name, PolicyArn=deny_groups)
    with raises_aws("AccessDenied", status=403) as e:
        me.iam.list_groups()
    # AWS now appends the deciding managed policy's ARN to explicit-deny messages.
    groups_res = f"arn:aws:iam::{ACCOUNT_ID}:group/"
    base = explicit_deny(me.arn, "iam:ListGroups", groups_res)
    assert e["message"] in (base, f"{base}: {deny_groups}"), e["message"]
    # Deny * does not stop sts:GetCallerIdentity (authentication needs no permission).
    iam.put_user_policy(UserName=me.name, PolicyName="perms", PolicyDocument=doc(deny("*")))
    assert me.sts.get_caller_identity()["Arn"] == me.arn
    with raises_aws("AccessDenied", explicit_deny(me.arn, "iam:GetUser", ures(me.name)), 403):
        me.iam.get_user(UserName=me.name)
    # Allowed counterpart: without the deny statements the same calls pass.
    iam.put_user_policy(UserName=me.name, PolicyName="perms", PolicyDocument=doc(allow("iam:*")))
    iam.remove_user_from_group(GroupName=group, UserName=me.name)
    iam.detach_user_policy(UserName=me.name, PolicyArn=deny_groups)
    assert me.iam.create_user(UserName=new)["User"]["UserName"] == new
    me.iam.list_groups()


def test_notaction_deny_and_wildcards(server, iam):
    # Deny everything except reading oneself (NotAction), with an Allow iam:* underneath.
    me = principal(iam, server, inline=doc(allow("iam:*"), {"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"],
                                                            "Resource": "*"}))
    assert me.iam.get_user()["User"]["UserName"] == me.name
    with denied_as(explicit_deny(me.arn, "iam:CreateAccessKey", ures(me.name)),
                   explicit_deny(me.arn, "iam:CreateAccessKey", me.arn)):
        me.iam.create_access_key(UserName=me.name)
    # Action matching is case-insensitive; resource matching is case-sensitive.
    other = principal(iam, server, inline=doc(allow("IAM:getuser", "arn:aws:iam::*:user/${aws:username}")))
    assert other.iam.get_user(UserName=other.name)["User"]["UserName"] == other.name
    upper = principal(iam, server, name=unique("CaseUser"), inline=doc(allow("iam:GetUser", "arn:aws:iam::*:user/caseuser*")))
    with raises_aws("AccessDenied", no_allow(upper.arn, "iam:GetUser", ures(upper.name)), 403):
        upper.iam.get_user(UserName=upper.name)


# --------------------------------------------------------------------------------------
# Conditions: aws:SourceIp, aws:MultiFactorAuthPresent
# --------------------------------------------------------------------------------------


def test_condition_source_ip(server, iam):
    far = principal(iam, server, inline=doc(allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    with raises_aws("AccessDenied", no_allow(far.arn, "iam:GetUser", ures(far.name)), 403):
        far.iam.get_user(UserName=far.name)
    near = principal(iam, server, inline=doc(allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})))
    assert near.iam.get_user(UserName=near.name)["User"]["UserName"] == near.name
    # A single address is a /32.
    exact = principal(iam, server, inline=doc(allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.1"}})))
    assert exact.iam.get_user(UserName=exact.name)["User"]["UserName"] == exact.name
    # The classic deny-outside-the-office policy: NotIpAddress with an explicit Deny.
    office = principal(iam, server, inline=doc(
        allow("iam:*"), deny("*", Condition={"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}})))
    with raises_aws("AccessDenied", explicit_deny(office.arn, "iam:GetUser", ures(office.name)), 403):
        office.iam.get_user(UserName=office.name)
    home = principal(iam, server, inline=doc(
        allow("iam:*"), deny("*", Condition={"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8"]}})))
    assert home.iam.get_user(UserName=home.name)["User"]["UserName"] == home.name
    # Changing the condition takes effect at once.
    iam.put_user_policy(UserName=far.name, PolicyName="perms", PolicyDocument=doc(
        allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}})))
    assert far.iam.get_user(UserName=far.name)["User"]["UserName"] == far.name


def test_condition_multi_factor_auth_present(server, iam):
    require_mfa = doc(
        allow(["iam:GetUser", "iam:ListAccessKeys"], "arn:aws:iam::*:user/${aws:username}",
              Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        allow("iam:ListUsers", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
    )
    me = principal(iam, server, inline=require_mfa)
    # Classic "force MFA" deny on a second user: BoolIfExists false denies long-term keys (key absent).
    forced = principal(iam, server, inline=doc(
        allow("iam:*"),
        {"Effect": "Deny", "NotAction": ["iam:GetUser", "sts:GetSessionToken"], "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}))

    devices = {}
    for p in (me, forced):
        d = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
        c1, c2 = two_consecutive_codes(d["Base32StringSeed"])
        iam.enable_mfa_device(UserName=p.name, SerialNumber=d["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2)
        devices[p.name] = (d["SerialNumber"], d["Base32StringSeed"], int(time.time() // 30))

    # Long-term keys: the key is absent, `Bool ... true` does not match.
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(me.name)), 403):
        me.iam.get_user(UserName=me.name)
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:ListAccessKeys", ures(me.name)), 403):
        me.iam.list_access_keys(UserName=me.name)
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:ListUsers", f"arn:aws:iam::{ACCOUNT_ID}:user/"), 403):
        me.iam.list_users()
    with raises_aws("AccessDenied", explicit_deny(forced.arn, "iam:ListAccessKeys", ures(forced.name)), 403):
        forced.iam.list_access_keys(UserName=forced.name)
    assert forced.iam.get_user(UserName=forced.name)["User"]["UserName"] == forced.name  # NotAction exempts it

    # A GetSessionToken session without MFA cannot call IAM at all (STS API reference,
    # GetSessionToken; AWS answers InvalidClientTokenId, as in test_sts).
    plain = me.sts.get_session_token(DurationSeconds=900)["Credentials"]
    plain_iam = make_client("iam", server.url, Creds(plain["AccessKeyId"], plain["SecretAccessKey"], plain["SessionToken"]))
    with raises_aws("InvalidClientTokenId", status=403):
        plain_iam.get_user(UserName=me.name)

    # The codes used to enable the devices are spent: wait for a fresh window if needed.
    if any(int(time.time() // 30) == w for (_, _, w) in devices.values()):
        wait_next_window()
    sessions = {}
    for p in (me, forced):
        sn, seed, _ = devices[p.name]
        c = p.sts.get_session_token(SerialNumber=sn, TokenCode=totp(seed), DurationSeconds=900)["Credentials"]
        sessions[p.name] = Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    mfa_me = make_client("iam", server.url, sessions[me.name])
    assert mfa_me.get_user(UserName=me.name)["User"]["Arn"] == me.arn
    assert mfa_me.list_access_keys(UserName=me.name)["AccessKeyMetadata"]
    assert mfa_me.list_users()["Users"]  # aws:MultiFactorAuthAge is present and small
    # MFA does not widen the resource: another user's keys stay refused, naming the user ARN.
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:ListAccessKeys", ures(forced.name)), 403):
        mfa_me.list_access_keys(UserName=forced.name)
    mfa_forced = make_client("iam", server.url, sessions[forced.name])
    assert mfa_forced.list_access_keys(UserName=forced.name)["AccessKeyMetadata"]


# --------------------------------------------------------------------------------------
# Path-scoped and tag-scoped (ABAC) permissions
# --------------------------------------------------------------------------------------


def test_path_scoped_permissions(server, iam):
    me = principal(iam, server, inline=doc(allow(
        ["iam:GetUser", "iam:CreateUser", "iam:DeleteUser", "iam:ListAccessKeys"], "arn:aws:iam::*:user/team/*")))
    inside, _ = create_user_with_key(iam, unique("in"), Path="/team/")
    deeper, _ = create_user_with_key(iam, unique("deep"), Path="/team/sub/")
    outside, _ = create_user_with_key(iam, unique("out"))
    assert me.iam.get_user(UserName=inside["UserName"])["User"]["Arn"] == inside["Arn"]
    assert me.iam.get_user(UserName=deeper["UserName"])["User"]["Arn"] == deeper["Arn"]  # * spans /
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(outside["UserName"])), 403):
        me.iam.get_user(UserName=outside["UserName"])
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:ListAccessKeys", ures(outside["UserName"])), 403):
        me.iam.list_access_keys(UserName=outside["UserName"])
    # CreateUser is authorized on the ARN the new user will have, path included.
    new = unique("n")
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:CreateUser", user_arn(new)), 403):
        me.iam.create_user(UserName=new)
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:CreateUser", user_arn(new, "/teams/")), 403):
        me.iam.create_user(UserName=new, Path="/teams/")
    assert me.iam.create_user(UserName=new, Path="/team/")["User"]["Arn"] == user_arn(new, "/team/")
    # Its own user is at / and therefore outside its rights too.
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(me.name)), 403):
        me.iam.get_user(UserName=me.name)
    me.iam.delete_user(UserName=new)


def test_tag_scoped_abac_on_resources(server, iam):
    me = principal(iam, server, tags={"team": "blue"}, inline=doc(allow(
        ["iam:GetUser", "iam:ListAccessKeys"], "*",
        Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})))
    blue, _ = create_user_with_key(iam, unique("blue"), Tags=[{"Key": "team", "Value": "blue"}])
    red, _ = create_user_with_key(iam, unique("red"), Tags=[{"Key": "team", "Value": "red"}])
    untagged, _ = create_user_with_key(iam, unique("none"))
    assert me.iam.get_user(UserName=blue["UserName"])["User"]["UserName"] == blue["UserName"]
    assert me.iam.list_access_keys(UserName=blue["UserName"])["AccessKeyMetadata"]
    for target in (red, untagged):
        with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(target["UserName"])), 403):
            me.iam.get_user(UserName=target["UserName"])
    # Retagging the resource changes the decision on the next request.
    iam.tag_user(UserName=red["UserName"], Tags=[{"Key": "team", "Value": "blue"}])
    assert me.iam.get_user(UserName=red["UserName"])["User"]["UserName"] == red["UserName"]
    iam.untag_user(UserName=red["UserName"], TagKeys=["team"])
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(red["UserName"])), 403):
        me.iam.get_user(UserName=red["UserName"])
    # So does retagging the principal: with team=red it now matches nothing blue.
    iam.tag_user(UserName=me.name, Tags=[{"Key": "team", "Value": "red"}])
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(blue["UserName"])), 403):
        me.iam.get_user(UserName=blue["UserName"])
    # Without the principal tag the variable resolves to nothing and the condition fails.
    iam.untag_user(UserName=me.name, TagKeys=["team"])
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(untagged["UserName"])), 403):
        me.iam.get_user(UserName=untagged["UserName"])


def test_tag_scoped_abac_on_requests(server, iam):
    me = principal(iam, server, tags={"team": "blue"}, inline=doc(allow(
        ["iam:CreateUser", "iam:TagUser"], "*",
        Condition={"StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
                   "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})))

    def refused(name, tags):
        with raises_aws("AccessDenied", status=403) as e:
            me.iam.create_user(UserName=name, Tags=tags)
        # CreateUser with tags also needs iam:TagUser; either refusal names this user as resource.
        assert e["message"] in (no_allow(me.arn, "iam:CreateUser", user_arn(name)),
                                no_allow(me.arn, "iam:TagUser", user_arn(name))), e["message"]

    refused(unique("r1"), [{"Key": "team", "Value": "red"}])
    refused(unique("r2"), [{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}])
    n3 = unique("r3")
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:CreateUser", user_arn(n3)), 403):
        me.iam.create_user(UserName=n3)  # no RequestTag at all
    for n in (n3,):
        with raises_aws("NoSuchEntity", status=404):
            iam.get_user(UserName=n)
    ok = unique("ok")
    u = me.iam.create_user(UserName=ok, Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert u["UserName"] == ok
    assert iam.list_user_tags(UserName=ok)["Tags"] == [{"Key": "team", "Value": "blue"}]
    # TagUser on an existing user: only team=blue may be set, no other key.
    target = unique("tgt")
    iam.create_user(UserName=target)
    with denied_as(no_allow(me.arn, "iam:TagUser", ures(target)), no_allow(me.arn, "iam:TagUser", user_arn(target))):
        me.iam.tag_user(UserName=target, Tags=[{"Key": "team", "Value": "red"}])
    with denied_as(no_allow(me.arn, "iam:TagUser", ures(target)), no_allow(me.arn, "iam:TagUser", user_arn(target))):
        me.iam.tag_user(UserName=target, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "owner", "Value": "x"}])
    assert iam.list_user_tags(UserName=target)["Tags"] == []
    me.iam.tag_user(UserName=target, Tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_user_tags(UserName=target)["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_tag_keys_deny_untag_of_protected_key(server, iam):
    me = principal(iam, server, inline=doc(
        allow(["iam:TagUser", "iam:UntagUser"]),
        deny(["iam:TagUser", "iam:UntagUser"], Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}})))
    target = unique("prot")
    iam.create_user(UserName=target, Tags=[{"Key": "owner", "Value": "root"}, {"Key": "misc", "Value": "1"}])
    with denied_as(explicit_deny(me.arn, "iam:UntagUser", ures(target)), explicit_deny(me.arn, "iam:UntagUser", user_arn(target))):
        me.iam.untag_user(UserName=target, TagKeys=["misc", "owner"])
    with denied_as(explicit_deny(me.arn, "iam:TagUser", ures(target)), explicit_deny(me.arn, "iam:TagUser", user_arn(target))):
        me.iam.tag_user(UserName=target, Tags=[{"Key": "owner", "Value": "me"}])
    me.iam.untag_user(UserName=target, TagKeys=["misc"])
    assert iam.list_user_tags(UserName=target)["Tags"] == [{"Key": "owner", "Value": "root"}]


# --------------------------------------------------------------------------------------
# Policy changes take effect on the very next request
# --------------------------------------------------------------------------------------


def test_policy_changes_take_effect_immediately(server, iam):
    me = principal(iam, server)
    groups_res = f"arn:aws:iam::{ACCOUNT_ID}:group/"
    p = managed(iam, doc(allow("iam:ListGroups")))

    def denied():
        with raises_aws("AccessDenied", no_allow(me.arn, "iam:ListGroups", groups_res), 403):
            me.iam.list_groups()

    denied()
    iam.attach_user_policy(UserName=me.name, PolicyArn=p)
    me.iam.list_groups()
    iam.detach_user_policy(UserName=me.name, PolicyArn=p)
    denied()
    iam.put_user_policy(UserName=me.name, PolicyName="inline", PolicyDocument=doc(allow("iam:ListGroups")))
    me.iam.list_groups()
    iam.delete_user_policy(UserName=me.name, PolicyName="inline")
    denied()
    # Through a group: membership and the group's policies.
    g = unique("eff")
    iam.create_group(GroupName=g)
    iam.attach_group_policy(GroupName=g, PolicyArn=p)
    iam.add_user_to_group(GroupName=g, UserName=me.name)
    me.iam.list_groups()
    iam.remove_user_from_group(GroupName=g, UserName=me.name)
    denied()
    iam.add_user_to_group(GroupName=g, UserName=me.name)
    me.iam.list_groups()
    iam.detach_group_policy(GroupName=g, PolicyArn=p)
    denied()
    # Through the default version of an attached policy.
    iam.attach_user_policy(UserName=me.name, PolicyArn=p)
    me.iam.list_groups()
    iam.create_policy_version(PolicyArn=p, PolicyDocument=doc(allow("iam:ListUsers")), SetAsDefault=True)
    denied()
    iam.set_default_policy_version(PolicyArn=p, VersionId="v1")
    me.iam.list_groups()
    # A boundary added later caps at once; removing it restores.
    b = managed(iam, doc(allow("iam:GetUser")))
    iam.put_user_permissions_boundary(UserName=me.name, PermissionsBoundary=b)
    with raises_aws("AccessDenied", no_boundary(me.arn, "iam:ListGroups", groups_res), 403):
        me.iam.list_groups()
    iam.delete_user_permissions_boundary(UserName=me.name)
    me.iam.list_groups()


def test_root_and_unauthorized_defaults(server, iam, sts):
    # A user with no policy at all can do nothing in IAM, but can still learn who it is.
    me = principal(iam, server)
    assert me.sts.get_caller_identity()["Arn"] == me.arn
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(me.name)), 403):
        me.iam.get_user(UserName=me.name)
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:CreatePolicy", "policy x-" + me.name), 403):
        me.iam.create_policy(PolicyName="x-" + me.name, PolicyDocument=doc(allow("*")))
    # GetSessionToken needs no permission either (STS API reference: "No permissions are required
    # for users to perform this operation").
    assert me.sts.get_session_token(DurationSeconds=900)["Credentials"]["AccessKeyId"].startswith("ASIA")
    # The account root is allowed without any policy.
    assert iam.get_user(UserName=me.name)["User"]["Arn"] == me.arn


def test_denial_texts_name_resources_as_iam_does(server, iam):
    """IAM's denials name an existing user as "user NAME" and a policy as "policy ARN"; a user
    being created by its ARN, a policy being created as "policy NAME", ListUsers by the path ARN.
    Every expected text below is one AWS returned to a user (quoted in public issue threads and
    write-ups; see the module docstring)."""
    target_pol = managed(iam, doc(allow("iam:ListUsers")))
    me = principal(iam, server)
    victim = unique("victim")
    iam.create_user(UserName=victim)
    new = unique("new")
    cases = [
        ("iam:GetUser", ures(victim), lambda: me.iam.get_user(UserName=victim)),
        ("iam:ListAccessKeys", ures(victim), lambda: me.iam.list_access_keys(UserName=victim)),
        ("iam:CreateAccessKey", ures(victim), lambda: me.iam.create_access_key(UserName=victim)),
        ("iam:PutUserPolicy", ures(victim), lambda: me.iam.put_user_policy(
            UserName=victim, PolicyName="p", PolicyDocument=doc(allow("*")))),
        ("iam:AttachUserPolicy", ures(victim), lambda: me.iam.attach_user_policy(UserName=victim, PolicyArn=target_pol)),
        ("iam:GetPolicy", pres(target_pol), lambda: me.iam.get_policy(PolicyArn=target_pol)),
        ("iam:CreatePolicyVersion", pres(target_pol), lambda: me.iam.create_policy_version(
            PolicyArn=target_pol, PolicyDocument=doc(allow("*")))),
        ("iam:CreatePolicy", "policy " + new, lambda: me.iam.create_policy(PolicyName=new, PolicyDocument=doc(allow("*")))),
        ("iam:CreateUser", user_arn(new), lambda: me.iam.create_user(UserName=new)),
        ("iam:ListUsers", f"arn:aws:iam::{ACCOUNT_ID}:user/", lambda: me.iam.list_users()),
    ]
    wrong = []
    for action, resource, call in cases:
        with raises_aws("AccessDenied", status=403) as e:
            call()
        if e["message"] != no_allow(me.arn, action, resource):
            wrong.append(f"{action}: expected resource {resource!r}; got {e['message']!r}")
    assert not wrong, "\n".join(wrong)


# --------------------------------------------------------------------------------------
# Request context keys (reference_policies_condition-keys): each condition once matching (allowed)
# and once not (refused), over plain HTTP from 127.0.0.1 with boto3 in us-east-1.
# --------------------------------------------------------------------------------------

CONTEXT_CASES = [
    ("secure-transport-false", {"Bool": {"aws:SecureTransport": "false"}}, True),
    ("secure-transport-true", {"Bool": {"aws:SecureTransport": "true"}}, False),
    ("region-us-east-1", {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, True),
    ("region-eu-west-1", {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, False),
    ("user-agent-boto", {"StringLike": {"aws:UserAgent": "*Boto3*"}}, True),
    ("user-agent-other", {"StringLike": {"aws:UserAgent": "*NotThisClient*"}}, False),
    ("current-time-after-2020", {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, True),
    ("current-time-before-2020", {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, False),
    ("epoch-after-2020", {"NumericGreaterThan": {"aws:EpochTime": "1577836800"}}, True),
    ("epoch-before-2020", {"NumericLessThan": {"aws:EpochTime": "1577836800"}}, False),
    ("principal-type-user", {"StringEquals": {"aws:PrincipalType": "User"}}, True),
    ("principal-type-role", {"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, False),
    ("principal-account", {"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}}, True),
    ("principal-account-other", {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}, False),
    ("principal-arn-self", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/ctx-*"}}, True),
    ("principal-arn-other", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/other-*"}}, False),
    ("username-var", {"StringEquals": {"aws:username": "${aws:PrincipalTag/me}"}}, True),
    ("userid-prefix", {"StringLike": {"aws:userid": "AIDA*"}}, True),
    ("userid-wrong", {"StringLike": {"aws:userid": "AROA*"}}, False),
    ("mfa-absent-null", {"Null": {"aws:MultiFactorAuthPresent": "true"}}, True),
    ("mfa-present-null", {"Null": {"aws:MultiFactorAuthPresent": "false"}}, False),
]


@pytest.mark.parametrize("condition,allowed", [c[1:] for c in CONTEXT_CASES], ids=[c[0] for c in CONTEXT_CASES])
def test_request_context_keys(server, iam, condition, allowed):
    name = unique("ctx")
    me = principal(iam, server, name=name, tags={"me": name},
                   inline=doc(allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}", Condition=condition)))
    if allowed:
        assert me.iam.get_user(UserName=me.name)["User"]["UserName"] == me.name
    else:
        with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetUser", ures(me.name)), 403):
            me.iam.get_user(UserName=me.name)


def test_delegated_admin_must_set_boundary(server, iam):
    # The IAM User Guide's delegation pattern: create users only with a given boundary
    # (iam:PermissionsBoundary condition on CreateUser and PutUserPermissionsBoundary).
    required = managed(iam, doc(allow(["iam:Get*", "iam:List*"])))
    other = managed(iam, doc(allow("*")))
    cond = {"StringEquals": {"iam:PermissionsBoundary": required}}
    me = principal(iam, server, inline=doc(
        allow(["iam:CreateUser", "iam:PutUserPermissionsBoundary"], "arn:aws:iam::*:user/delegated/*", Condition=cond)))
    n1, n2, n3 = unique("d1"), unique("d2"), unique("d3")
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:CreateUser", user_arn(n1, "/delegated/")), 403):
        me.iam.create_user(UserName=n1, Path="/delegated/")
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:CreateUser", user_arn(n2, "/delegated/")), 403):
        me.iam.create_user(UserName=n2, Path="/delegated/", PermissionsBoundary=other)
    made = me.iam.create_user(UserName=n3, Path="/delegated/", PermissionsBoundary=required)["User"]
    assert made["PermissionsBoundary"]["PermissionsBoundaryArn"] == required
    # Swapping the boundary for a wider one is refused; re-setting the required one is allowed.
    with denied_as(no_allow(me.arn, "iam:PutUserPermissionsBoundary", ures(n3)),
                   no_allow(me.arn, "iam:PutUserPermissionsBoundary", user_arn(n3, "/delegated/"))):
        me.iam.put_user_permissions_boundary(UserName=n3, PermissionsBoundary=other)
    me.iam.put_user_permissions_boundary(UserName=n3, PermissionsBoundary=required)
    assert iam.get_user(UserName=n3)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == required
    for n in (n1, n2):
        with raises_aws("NoSuchEntity", status=404):
            iam.get_user(UserName=n)


def test_tag_scoped_access_to_policies(server, iam):
    blue = iam.create_policy(PolicyName=unique("blue"), PolicyDocument=doc(allow("iam:ListUsers")),
                             Tags=[{"Key": "team", "Value": "blue"}])["Policy"]["Arn"]
    red = iam.create_policy(PolicyName=unique("red"), PolicyDocument=doc(allow("iam:ListUsers")),
                            Tags=[{"Key": "team", "Value": "red"}])["Policy"]["Arn"]
    me = principal(iam, server, tags={"team": "blue"}, inline=doc(allow(
        ["iam:GetPolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion"], "*",
        Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})))
    assert me.iam.get_policy(PolicyArn=blue)["Policy"]["Arn"] == blue
    v = me.iam.create_policy_version(PolicyArn=blue, PolicyDocument=doc(allow("iam:ListGroups")))["PolicyVersion"]
    me.iam.delete_policy_version(PolicyArn=blue, VersionId=v["VersionId"])
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetPolicy", pres(red)), 403):
        me.iam.get_policy(PolicyArn=red)
    with denied_as(no_allow(me.arn, "iam:CreatePolicyVersion", pres(red)), no_allow(me.arn, "iam:CreatePolicyVersion", red)):
        me.iam.create_policy_version(PolicyArn=red, PolicyDocument=doc(allow("*")), SetAsDefault=True)
    assert len(iam.list_policy_versions(PolicyArn=red)["Versions"]) == 1
    # Retagging the policy moves it in or out of reach on the next request.
    iam.untag_policy(PolicyArn=blue, TagKeys=["team"])
    with raises_aws("AccessDenied", no_allow(me.arn, "iam:GetPolicy", pres(blue)), 403):
        me.iam.get_policy(PolicyArn=blue)
    iam.tag_policy(PolicyArn=red, Tags=[{"Key": "team", "Value": "blue"}])
    assert me.iam.get_policy(PolicyArn=red)["Policy"]["Arn"] == red
