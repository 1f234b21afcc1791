"""Attacks on authorization (issue 12, items 1, 2, 3, 4, 7, 8, 10) and the privilege-escalation paths
security teams check, each refused with AWS's code and status, each next to a control: the same request,
honestly permitted (or without the Deny), succeeds, so every test can fail.

IAM and STS refuse with AccessDenied (403); Organizations, a JSON service, with AccessDeniedException
(400, botocore's model). Sources for what AWS authorizes: the Service Authorization Reference (resources
and condition keys of each action: iam:PolicyARN, iam:PermissionsBoundary, iam:AWSServiceName,
iam:PassedToService, aws:RequestTag, organizations:PolicyType; UpdateUser/UpdateGroup need the
permission on both the source and the target), the IAM User Guide (names are case-insensitive;
"Pass session tags in AWS STS": tags need sts:TagSession; evaluation logic: an explicit Deny wins,
negated operators match an absent key), Rhino Security Labs' list of IAM privilege-escalation methods
(CreatePolicyVersion, SetDefaultPolicyVersion, CreateAccessKey, CreateLoginProfile, UpdateLoginProfile,
AttachUserPolicy, PutUserPolicy, AddUserToGroup, UpdateAssumeRolePolicy, PassRole, boundary removal).
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from e2e_util import (
    allow,
    deny,
    policy_doc as doc,
    ACCOUNT_ID,
    REGION,
    Creds,
    create_user_with_key,
    grant_change_own_password,
    make_client,
    new_organization,
    raises_aws,
    send_prepared,
    unique,
)

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
SCP = "SERVICE_CONTROL_POLICY"
PW1 = "Initial-Passw0rd-One!"
PW2 = "Second-Passw0rd-Two!"


def arn(kind: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:{kind}{path}{name}"


TRUST_EC2 = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def trust(principal_arn: str) -> str:
    return doc({"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"})


class Me:
    """A narrowly permitted user and its clients."""

    def __init__(self, server, iam, policy: str | None, *, path: str = "/", name: str | None = None, **kw):
        self.name = name or unique("atk")
        if path != "/":
            kw["Path"] = path
        user, self.creds = create_user_with_key(iam, self.name, **kw)
        self.arn = user["Arn"]
        if policy:
            iam.put_user_policy(UserName=self.name, PolicyName="perms", PolicyDocument=policy)
        self.iam = make_client("iam", server.url, self.creds)
        self.sts = make_client("sts", server.url, self.creds)
        self.url = server.url

    def client(self, service: str):
        return make_client(service, self.url, self.creds)


def set_policy(iam, me: Me, policy: str) -> None:
    iam.put_user_policy(UserName=me.name, PolicyName="perms", PolicyDocument=policy)


@contextlib.contextmanager
def refused(action: str, *, explicit: bool | None = None, who: str | None = None, orgs: bool = False):
    """AWS's refusal of `action`: AccessDenied 403 (IAM, STS) or AccessDeniedException 400
    (Organizations), whose text names this action (and the explicit deny, when `explicit`)."""
    code, status = ("AccessDeniedException", 400) if orgs else ("AccessDenied", 403)
    with raises_aws(code, status=status) as e:
        yield e
    msg = e["message"] or ""
    head = f"is not authorized to perform: {action} on resource: "
    assert head in msg, msg
    if who is not None:
        assert msg.startswith(f"User: {who} "), msg
    if explicit is True:
        assert "with an explicit deny" in msg, msg
    elif explicit is False:
        assert "with an explicit deny" not in msg, msg


def managed(iam, document: str, name: str | None = None) -> str:
    return iam.create_policy(PolicyName=name or unique("pol"), PolicyDocument=document)["Policy"]["Arn"]


def attached(iam, user: str) -> list[str]:
    return sorted(p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"])


def keys_of(iam, user: str) -> list[str]:
    return [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]


# ======================================================================================
# Item 1: a resource spelled in another letter case is still the protected entity
# ======================================================================================


def test_a_deny_on_a_user_arn_holds_when_the_name_is_spelled_in_another_case(server, iam):
    protected = unique("admin")
    plain = unique("plain")
    iam.create_user(UserName=protected)
    iam.create_user(UserName=plain)
    me = Me(server, iam, doc(allow("iam:*"), deny("iam:*", arn("user", protected))))
    for spelling in (protected.upper(), protected.capitalize(), protected.swapcase()[:3] + protected[3:]):
        with refused("iam:CreateAccessKey", explicit=True, who=me.arn):
            me.iam.create_access_key(UserName=spelling)
        with refused("iam:AttachUserPolicy", explicit=True, who=me.arn):
            me.iam.attach_user_policy(UserName=spelling, PolicyArn=ADMIN_ARN)
        with refused("iam:PutUserPolicy", explicit=True, who=me.arn):
            me.iam.put_user_policy(UserName=spelling, PolicyName="x", PolicyDocument=doc(allow("*")))
    assert keys_of(iam, protected) == [] and attached(iam, protected) == []
    assert iam.list_user_policies(UserName=protected)["PolicyNames"] == []
    # Control: the same calls on an unprotected user, also spelled in another case, succeed.
    k = me.iam.create_access_key(UserName=plain.upper())["AccessKey"]
    assert k["UserName"] == plain and keys_of(iam, plain) == [k["AccessKeyId"]]
    me.iam.attach_user_policy(UserName=plain.capitalize(), PolicyArn=ADMIN_ARN)
    assert attached(iam, plain) == [ADMIN_ARN]
    # Control: with the Deny removed, the ADMIN spelling works and acts on the stored user.
    set_policy(iam, me, doc(allow("iam:*")))
    k = me.iam.create_access_key(UserName=protected.upper())["AccessKey"]
    assert k["UserName"] == protected and keys_of(iam, protected) == [k["AccessKeyId"]]


def test_a_deny_on_a_role_arn_holds_for_update_assume_role_policy_in_another_case(server, iam):
    protected, plain = unique("prole"), unique("orole")
    for r in (protected, plain):
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_EC2)
    me = Me(server, iam, doc(allow("iam:*"), deny("iam:*", arn("role", protected))))
    evil = trust(f"arn:aws:iam::{ACCOUNT_ID}:root")
    for spelling in (protected.upper(), protected.capitalize()):
        with refused("iam:UpdateAssumeRolePolicy", explicit=True, who=me.arn):
            me.iam.update_assume_role_policy(RoleName=spelling, PolicyDocument=evil)
        with refused("iam:AttachRolePolicy", explicit=True, who=me.arn):
            me.iam.attach_role_policy(RoleName=spelling, PolicyArn=ADMIN_ARN)
    stmt = iam.get_role(RoleName=protected)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert stmt["Principal"] == {"Service": "ec2.amazonaws.com"}, stmt
    # Control: the unprotected role, spelled in another case, is updated.
    me.iam.update_assume_role_policy(RoleName=plain.upper(), PolicyDocument=evil)
    stmt = iam.get_role(RoleName=plain)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert "AWS" in stmt["Principal"], stmt


def test_a_deny_on_a_group_arn_holds_for_add_user_to_group_in_another_case(server, iam):
    protected, plain = unique("admins"), unique("devs")
    for g in (protected, plain):
        iam.create_group(GroupName=g)
    iam.attach_group_policy(GroupName=protected, PolicyArn=ADMIN_ARN)
    me = Me(server, iam, doc(allow("iam:*"), deny("iam:*", arn("group", protected))))
    for spelling in (protected.upper(), protected.capitalize()):
        with refused("iam:AddUserToGroup", explicit=True, who=me.arn):
            me.iam.add_user_to_group(GroupName=spelling, UserName=me.name)
    assert iam.list_groups_for_user(UserName=me.name)["Groups"] == []
    # Control: the unprotected group in another case; and without the Deny, the protected one.
    me.iam.add_user_to_group(GroupName=plain.upper(), UserName=me.name)
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=me.name)["Groups"]] == [plain]
    set_policy(iam, me, doc(allow("iam:*")))
    me.iam.add_user_to_group(GroupName=protected.upper(), UserName=me.name)
    assert sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=me.name)["Groups"]) == sorted(
        [plain, protected])


# ======================================================================================
# Item 2: renames and moves are authorized on the target too
# ======================================================================================


def test_a_sandbox_user_cannot_move_itself_out_of_its_sandbox(server, iam):
    me = Me(server, iam, doc(allow(["iam:UpdateUser", "iam:GetUser"], f"arn:aws:iam::{ACCOUNT_ID}:user/sandbox/*")),
            path="/sandbox/")
    with refused("iam:UpdateUser", explicit=False, who=me.arn):
        me.iam.update_user(UserName=me.name, NewPath="/admins/")
    with refused("iam:UpdateUser", explicit=False, who=me.arn):
        me.iam.update_user(UserName=me.name.upper(), NewPath="/admins/")
    assert iam.get_user(UserName=me.name)["User"]["Path"] == "/sandbox/"
    # Control: a move within the sandbox succeeds.
    me.iam.update_user(UserName=me.name, NewPath="/sandbox/x/")
    assert iam.get_user(UserName=me.name)["User"]["Arn"] == arn("user", me.name, "/sandbox/x/")


def test_a_user_cannot_rename_a_group_onto_a_denied_name(server, iam):
    g = unique("team")
    iam.create_group(GroupName=g)
    me = Me(server, iam, doc(allow("iam:UpdateGroup"), deny("iam:UpdateGroup", f"arn:aws:iam::{ACCOUNT_ID}:group/admin*")))
    target = "admin-" + g
    with refused("iam:UpdateGroup", explicit=True, who=me.arn):
        me.iam.update_group(GroupName=g, NewGroupName=target)
    with refused("iam:UpdateGroup", explicit=True, who=me.arn):
        me.iam.update_group(GroupName=g.upper(), NewGroupName=target)
    with raises_aws("NoSuchEntity", status=404):
        iam.get_group(GroupName=target)
    # A move onto a denied path is refused too (the target ARN is group/admin/NAME).
    with refused("iam:UpdateGroup", explicit=True, who=me.arn):
        me.iam.update_group(GroupName=g, NewPath="/admin/")
    assert iam.get_group(GroupName=g)["Group"]["Path"] == "/"
    # Control: a rename onto an allowed name succeeds.
    ok = "team2-" + g
    me.iam.update_group(GroupName=g, NewGroupName=ok)
    assert iam.get_group(GroupName=ok)["Group"]["GroupName"] == ok


def test_a_sandbox_user_cannot_move_into_a_path_a_role_trusts(server, iam):
    role = unique("admins-only")
    cond = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT_ID}:user/admins/*"}}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole",
         "Condition": cond}))
    me = Me(server, iam, doc(allow("sts:AssumeRole"),
                             allow("iam:UpdateUser", f"arn:aws:iam::{ACCOUNT_ID}:user/sandbox/*")), path="/sandbox/")
    role_arn = arn("role", role)
    with refused("sts:AssumeRole", who=me.arn):
        me.sts.assume_role(RoleArn=role_arn, RoleSessionName="ss")
    with refused("iam:UpdateUser", who=me.arn):
        me.iam.update_user(UserName=me.name, NewPath="/admins/")
    with refused("sts:AssumeRole", who=me.arn):
        me.sts.assume_role(RoleArn=role_arn, RoleSessionName="ss")
    # Control: an administrator moves the user; the same keys now assume the role.
    iam.update_user(UserName=me.name, NewPath="/admins/")
    r = me.sts.assume_role(RoleArn=role_arn, RoleSessionName="ss")
    assert r["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{role}/ss")


# ======================================================================================
# Item 3: Organizations resources by ARN
# ======================================================================================


@pytest.fixture(scope="module")
def org(module_warden_factory):
    """An organization with SCPs enabled on its own server (the module's server stays standalone)."""
    w = module_warden_factory()
    world = new_organization(w)
    world["orgs"].enable_policy_type(RootId=world["root"]["Id"], PolicyType=SCP)
    world["w"] = w
    world["iam"] = w.client("iam")
    return world


def new_scp(org, deny_action: str = "iam:CreateUser") -> dict:
    return org["orgs"].create_policy(Content=doc(deny(deny_action)), Description="", Name=unique("scp"),
                                     Type=SCP)["Policy"]["PolicySummary"]


def test_a_deny_on_one_scp_arn_stops_update_and_detach_of_that_scp(org):
    orgs, member = org["orgs"], org["member"]
    prot, other = new_scp(org), new_scp(org)
    assert prot["Arn"].startswith(f"arn:aws:organizations::{ACCOUNT_ID}:policy/o-"), prot
    for p in (prot, other):
        orgs.attach_policy(PolicyId=p["Id"], TargetId=member)
    me = Me(org["w"], org["iam"], doc(allow("organizations:*"),
                                      deny(["organizations:UpdatePolicy", "organizations:DetachPolicy"], prot["Arn"])))
    m = me.client("organizations")
    with refused("organizations:UpdatePolicy", explicit=True, who=me.arn, orgs=True):
        m.update_policy(PolicyId=prot["Id"], Content=doc(allow("*")))
    with refused("organizations:UpdatePolicy", explicit=True, who=me.arn, orgs=True):
        m.update_policy(PolicyId=prot["Id"], Description="defanged")
    with refused("organizations:DetachPolicy", explicit=True, who=me.arn, orgs=True):
        m.detach_policy(PolicyId=prot["Id"], TargetId=member)
    p = orgs.describe_policy(PolicyId=prot["Id"])["Policy"]
    assert json.loads(p["Content"])["Statement"][0]["Effect"] == "Deny" and p["PolicySummary"]["Description"] == ""
    ids = [x["Id"] for x in orgs.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]]
    assert prot["Id"] in ids
    # Control: the same calls on the other SCP succeed.
    m.update_policy(PolicyId=other["Id"], Description="changed")
    assert orgs.describe_policy(PolicyId=other["Id"])["Policy"]["PolicySummary"]["Description"] == "changed"
    m.detach_policy(PolicyId=other["Id"], TargetId=member)
    ids = [x["Id"] for x in orgs.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]]
    assert other["Id"] not in ids and prot["Id"] in ids


def test_an_allow_on_one_policy_arn_reads_that_policy_only(org):
    mine, theirs = new_scp(org), new_scp(org)
    me = Me(org["w"], org["iam"], doc(allow("organizations:DescribePolicy", mine["Arn"])))
    m = me.client("organizations")
    assert m.describe_policy(PolicyId=mine["Id"])["Policy"]["PolicySummary"]["Arn"] == mine["Arn"]
    with refused("organizations:DescribePolicy", explicit=False, who=me.arn, orgs=True) as e:
        m.describe_policy(PolicyId=theirs["Id"])
    assert theirs["Arn"] in e["message"], e["message"]
    # Control: the Allow widened to both ARNs reads the second.
    set_policy(org["iam"], me, doc(allow("organizations:DescribePolicy", [mine["Arn"], theirs["Arn"]])))
    assert m.describe_policy(PolicyId=theirs["Id"])["Policy"]["PolicySummary"]["Id"] == theirs["Id"]


def test_a_deny_on_the_policy_type_stops_creating_an_scp(org):
    def deny_type(t: str) -> str:
        return doc(allow("organizations:*"),
                   deny("organizations:CreatePolicy", Condition={"StringEquals": {"organizations:PolicyType": t}}))

    me = Me(org["w"], org["iam"], deny_type(SCP))
    m = me.client("organizations")
    name = unique("blocked")
    with refused("organizations:CreatePolicy", explicit=True, who=me.arn, orgs=True):
        m.create_policy(Content=doc(deny("iam:CreateUser")), Description="", Name=name, Type=SCP)
    assert name not in [p["Name"] for p in org["orgs"].list_policies(Filter=SCP)["Policies"]]
    # Control: the same Deny naming another policy type lets the SCP be created.
    set_policy(org["iam"], me, deny_type("TAG_POLICY"))
    made = m.create_policy(Content=doc(deny("iam:CreateUser")), Description="", Name=name, Type=SCP)["Policy"]
    assert made["PolicySummary"]["Name"] == name and made["PolicySummary"]["Type"] == SCP


# ======================================================================================
# Item 4: GetFederationToken with tags needs sts:TagSession
# ======================================================================================

FED_POLICY = doc(allow("sts:GetCallerIdentity"))
TAGS = [{"Key": "team", "Value": "blue"}]


def test_federation_token_with_tags_refused_when_tag_session_is_denied(server, iam):
    me = Me(server, iam, doc(allow("sts:GetFederationToken"), deny("sts:TagSession")))
    with refused("sts:TagSession", explicit=True, who=me.arn):
        me.sts.get_federation_token(Name="fed1", Policy=FED_POLICY, Tags=TAGS)
    # Control: without tags the same call succeeds.
    r = me.sts.get_federation_token(Name="fed1", Policy=FED_POLICY)
    assert r["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fed1"
    # Control: with sts:TagSession allowed (and no Deny), the tagged call succeeds.
    set_policy(iam, me, doc(allow(["sts:GetFederationToken", "sts:TagSession"])))
    r = me.sts.get_federation_token(Name="fed1", Policy=FED_POLICY, Tags=TAGS)
    assert r["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_federation_token_with_tags_refused_without_a_tag_session_allow(server, iam):
    me = Me(server, iam, doc(allow("sts:GetFederationToken")))
    with refused("sts:TagSession", explicit=False, who=me.arn):
        me.sts.get_federation_token(Name="fed2", Policy=FED_POLICY, Tags=TAGS)
    set_policy(iam, me, doc(allow("sts:GetFederationToken"), allow("sts:TagSession")))
    assert me.sts.get_federation_token(Name="fed2", Policy=FED_POLICY, Tags=TAGS)["Credentials"]


# ======================================================================================
# Item 7: request condition keys reach the engine
# ======================================================================================


def test_a_deny_on_the_service_name_stops_that_service_linked_role_only(server, iam):
    me = Me(server, iam, doc(allow("iam:CreateServiceLinkedRole"), deny(
        "iam:CreateServiceLinkedRole",
        Condition={"StringEquals": {"iam:AWSServiceName": "connect.amazonaws.com"}})))
    # Services that take a CustomSuffix (the catalogue's suffix_allowed), so that each test makes its own roles.
    sfx = unique("s").replace("-", "")
    with refused("iam:CreateServiceLinkedRole", explicit=True, who=me.arn):
        me.iam.create_service_linked_role(AWSServiceName="connect.amazonaws.com", CustomSuffix=sfx)
    with raises_aws("NoSuchEntity", status=404):
        iam.get_role(RoleName=f"AWSServiceRoleForAmazonConnect_{sfx}")
    # Control: another service succeeds for the same user...
    r = me.iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=sfx)["Role"]
    assert r["Path"] == "/aws-service-role/autoscaling.amazonaws.com/", r
    # ...and without the Deny, the refused service succeeds.
    set_policy(iam, me, doc(allow("iam:CreateServiceLinkedRole")))
    r = me.iam.create_service_linked_role(AWSServiceName="connect.amazonaws.com", CustomSuffix=sfx)["Role"]
    assert r["Path"] == "/aws-service-role/connect.amazonaws.com/", r


def test_an_allow_limited_by_policy_arn_does_not_attach_administrator_access(server, iam):
    ok = managed(iam, doc(allow("iam:ListGroups")))
    victim = unique("tgt")
    iam.create_user(UserName=victim)
    me = Me(server, iam, doc(allow("iam:AttachUserPolicy", Condition={"ArnEquals": {"iam:PolicyARN": ok}})))
    with refused("iam:AttachUserPolicy", explicit=False, who=me.arn):
        me.iam.attach_user_policy(UserName=victim, PolicyArn=ADMIN_ARN)
    with refused("iam:AttachUserPolicy", explicit=False, who=me.arn):
        me.iam.attach_user_policy(UserName=me.name, PolicyArn=ADMIN_ARN)
    assert attached(iam, victim) == [] and attached(iam, me.name) == []
    # Control: the policy the condition names.
    me.iam.attach_user_policy(UserName=victim, PolicyArn=ok)
    assert attached(iam, victim) == [ok]


def test_an_allow_conditioned_on_a_request_tag_needs_that_tag(server, iam):
    me = Me(server, iam, doc(allow(["iam:CreateUser", "iam:TagUser"],
                                   Condition={"StringEquals": {"aws:RequestTag/team": "blue"}})))
    n1, n2, n3 = unique("untagged"), unique("red"), unique("blue")
    with refused("iam:CreateUser", explicit=False, who=me.arn):
        me.iam.create_user(UserName=n1)
    with refused("iam:CreateUser", explicit=False, who=me.arn):
        me.iam.create_user(UserName=n2, Tags=[{"Key": "team", "Value": "red"}])
    for n in (n1, n2):
        with raises_aws("NoSuchEntity", status=404):
            iam.get_user(UserName=n)
    # Control: with the tag.
    u = me.iam.create_user(UserName=n3, Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert u["UserName"] == n3
    assert iam.list_user_tags(UserName=n3)["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_a_deny_unless_the_role_has_the_boundary_stops_attaching_to_unbounded_roles(server, iam):
    boundary = managed(iam, doc(allow(["s3:*"])))
    other_boundary = managed(iam, doc(allow(["*"])))
    free, wrong, bounded = unique("free"), unique("wrong"), unique("bounded")
    iam.create_role(RoleName=free, AssumeRolePolicyDocument=TRUST_EC2)
    iam.create_role(RoleName=wrong, AssumeRolePolicyDocument=TRUST_EC2, PermissionsBoundary=other_boundary)
    iam.create_role(RoleName=bounded, AssumeRolePolicyDocument=TRUST_EC2, PermissionsBoundary=boundary)
    me = Me(server, iam, doc(allow("iam:AttachRolePolicy"), deny(
        "iam:AttachRolePolicy", Condition={"StringNotEquals": {"iam:PermissionsBoundary": boundary}})))
    for r in (free, wrong):
        with refused("iam:AttachRolePolicy", explicit=True, who=me.arn):
            me.iam.attach_role_policy(RoleName=r, PolicyArn=ADMIN_ARN)
        assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == []
    # Control: the role that carries the boundary.
    me.iam.attach_role_policy(RoleName=bounded, PolicyArn=ADMIN_ARN)
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=bounded)["AttachedPolicies"]] == [ADMIN_ARN]


# ======================================================================================
# Item 8: dependent actions (iam:PassRole)
# ======================================================================================


def _profile_and_role(iam, role_prefix: str = "app") -> tuple[str, str]:
    prof, role = unique("prof"), unique(role_prefix)
    iam.create_instance_profile(InstanceProfileName=prof)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_EC2)
    return prof, role


def _roles_in(iam, prof: str) -> list[str]:
    return [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName=prof)["InstanceProfile"]["Roles"]]


def test_adding_a_role_to_an_instance_profile_needs_pass_role(server, iam):
    prof, role = _profile_and_role(iam)
    me = Me(server, iam, doc(allow("iam:AddRoleToInstanceProfile"), deny("iam:PassRole")))
    with refused("iam:PassRole", explicit=True, who=me.arn):
        me.iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=role)
    set_policy(iam, me, doc(allow("iam:AddRoleToInstanceProfile")))
    with refused("iam:PassRole", explicit=False, who=me.arn):
        me.iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=role)
    assert _roles_in(iam, prof) == []
    # Control: with PassRole allowed.
    set_policy(iam, me, doc(allow(["iam:AddRoleToInstanceProfile", "iam:PassRole"])))
    me.iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=role)
    assert _roles_in(iam, prof) == [role]


def test_pass_role_conditioned_on_the_service_it_is_passed_to(server, iam):
    prof, role = _profile_and_role(iam)

    def passed_to(service: str) -> str:
        return doc(allow("iam:AddRoleToInstanceProfile"),
                   allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": service}}))

    me = Me(server, iam, passed_to("lambda.amazonaws.com"))
    with refused("iam:PassRole", explicit=False, who=me.arn):
        me.iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=role)
    assert _roles_in(iam, prof) == []
    # Control: the key is filled with EC2, the service an instance profile passes the role to.
    set_policy(iam, me, passed_to("ec2.amazonaws.com"))
    me.iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=role)
    assert _roles_in(iam, prof) == [role]


def test_pass_role_limited_to_app_roles_does_not_pass_an_admin_role(server, iam):
    prof = unique("prof")
    iam.create_instance_profile(InstanceProfileName=prof)
    admin_role, app_role = unique("admin"), unique("app")
    for r in (admin_role, app_role):
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST_EC2)
    iam.attach_role_policy(RoleName=admin_role, PolicyArn=ADMIN_ARN)
    me = Me(server, iam, doc(allow("iam:AddRoleToInstanceProfile"),
                             allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT_ID}:role/app-*")))
    with refused("iam:PassRole", explicit=False, who=me.arn) as e:
        me.iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=admin_role.upper())
    assert admin_role in e["message"], e["message"]
    assert _roles_in(iam, prof) == []
    me.iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=app_role)
    assert _roles_in(iam, prof) == [app_role]


# ======================================================================================
# Item 10: the query string and the body naming different operations
# ======================================================================================


def _signed(endpoint: str, query: str, body: str, creds: Creds, service: str = "iam", target: str | None = None):
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if target:
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    req = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/" + ("?" + query if query else ""),
                                         data=body.encode(), headers=headers)
    c = botocore.credentials.Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
    botocore.auth.SigV4Auth(c, service, REGION).add_auth(req)
    return req.prepare()


def signed_post(endpoint: str, query: dict[str, str], form: dict[str, str], creds: Creds, service: str = "iam"):
    """A SigV4-signed POST with `query` in the URL and `form` as the body (both signed)."""
    return send_prepared(_signed(endpoint, urllib.parse.urlencode(query), urllib.parse.urlencode(form), creds, service))


def test_a_query_action_conflicting_with_the_body_action_is_refused(server, iam):
    me = Me(server, iam, None)
    grant_change_own_password(iam, me.name)
    iam.put_user_policy(UserName=me.name, PolicyName="getuser",
                        PolicyDocument=doc(allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}")))
    iam.create_login_profile(UserName=me.name, Password=PW1)
    change = {"Action": "ChangePassword", "Version": "2010-05-08", "OldPassword": PW1, "NewPassword": PW2}
    get = {"Action": "GetUser", "Version": "2010-05-08"}
    for query, form in ((get, change), (change, get), ({"Action": "GetUser"}, change)):
        r = signed_post(server.url, query, form, me.creds)
        assert r.status == 400, (r.status, r.body[:400])
        assert r.error()[0] == "InvalidParameterCombination", r.body[:400]
    # Control: a second ChangePassword from PW1 succeeds, so none of the above changed it; and the
    # same body without the query Action succeeds, as does a query Action that agrees with the body.
    r = signed_post(server.url, {}, change, me.creds)
    assert r.status == 200, (r.status, r.body[:400])
    back = {**change, "OldPassword": PW2, "NewPassword": PW1}
    r = signed_post(server.url, {"Action": "ChangePassword"}, back, me.creds)
    assert r.status == 200, (r.status, r.body[:400])
    r = signed_post(server.url, {}, get, me.creds)
    assert r.status == 200 and me.name.encode() in r.body, (r.status, r.body[:400])


# ======================================================================================
# Privilege-escalation paths
# ======================================================================================


def test_create_policy_version_on_a_policy_attached_to_yourself(server, iam):
    pol = managed(iam, doc(allow(["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"])))
    me = Me(server, iam, None)
    iam.attach_user_policy(UserName=me.name, PolicyArn=pol)
    assert me.iam.get_policy(PolicyArn=pol)["Policy"]["Arn"] == pol
    with refused("iam:CreatePolicyVersion", explicit=False, who=me.arn):
        me.iam.create_policy_version(PolicyArn=pol, PolicyDocument=doc(allow("*")), SetAsDefault=True)
    # A Deny on CreatePolicyVersion stops it even next to iam:*.
    set_policy(iam, me, doc(allow("iam:*"), deny("iam:CreatePolicyVersion")))
    with refused("iam:CreatePolicyVersion", explicit=True, who=me.arn):
        me.iam.create_policy_version(PolicyArn=pol, PolicyDocument=doc(allow("*")), SetAsDefault=True)
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=pol)["Versions"]] == ["v1"]
    # Control: without the Deny the new default is created and in force on the next request.
    iam.delete_user_policy(UserName=me.name, PolicyName="perms")
    iam.put_user_policy(UserName=me.name, PolicyName="cpv", PolicyDocument=doc(allow("iam:CreatePolicyVersion", pol)))
    with refused("iam:ListUsers", who=me.arn):
        me.iam.list_users()
    me.iam.create_policy_version(PolicyArn=pol, PolicyDocument=doc(allow("iam:ListUsers")), SetAsDefault=True)
    assert me.iam.list_users()["Users"]


def test_set_default_policy_version_back_to_a_permissive_version(server, iam):
    pol = managed(iam, doc(allow("iam:*")))
    iam.create_policy_version(PolicyArn=pol, SetAsDefault=True, PolicyDocument=doc(
        allow(["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"], pol)))
    me = Me(server, iam, None)
    iam.attach_user_policy(UserName=me.name, PolicyArn=pol)
    versions = me.iam.list_policy_versions(PolicyArn=pol)["Versions"]
    assert {v["VersionId"]: v["IsDefaultVersion"] for v in versions} == {"v1": False, "v2": True}
    with refused("iam:SetDefaultPolicyVersion", explicit=False, who=me.arn):
        me.iam.set_default_policy_version(PolicyArn=pol, VersionId="v1")
    assert iam.get_policy(PolicyArn=pol)["Policy"]["DefaultVersionId"] == "v2"
    with refused("iam:ListUsers", who=me.arn):
        me.iam.list_users()
    # Control: granted SetDefaultPolicyVersion, the rollback succeeds and grants iam:* at once.
    iam.put_user_policy(UserName=me.name, PolicyName="sdpv",
                        PolicyDocument=doc(allow("iam:SetDefaultPolicyVersion", pol)))
    me.iam.set_default_policy_version(PolicyArn=pol, VersionId="v1")
    assert iam.get_policy(PolicyArn=pol)["Policy"]["DefaultVersionId"] == "v1"
    assert me.iam.list_users()["Users"]


def test_credentials_for_another_user_are_refused(server, iam):
    own = f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}"
    me = Me(server, iam, doc(allow(["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"], own)))
    victim = unique("victim")
    iam.create_user(UserName=victim)
    iam.create_login_profile(UserName=victim, Password=PW1)
    fresh = unique("victim2")
    iam.create_user(UserName=fresh)
    with refused("iam:CreateAccessKey", explicit=False, who=me.arn):
        me.iam.create_access_key(UserName=victim)
    with refused("iam:UpdateLoginProfile", explicit=False, who=me.arn):
        me.iam.update_login_profile(UserName=victim, Password=PW2)
    with refused("iam:CreateLoginProfile", explicit=False, who=me.arn):
        me.iam.create_login_profile(UserName=fresh, Password=PW2)
    assert keys_of(iam, victim) == []
    with raises_aws("NoSuchEntity", status=404):
        iam.get_login_profile(UserName=fresh)
    # Control: the same three calls on the caller's own user succeed.
    assert me.iam.create_access_key(UserName=me.name)["AccessKey"]["UserName"] == me.name
    me.iam.create_login_profile(UserName=me.name, Password=PW1)
    me.iam.update_login_profile(UserName=me.name, Password=PW2)
    assert iam.get_login_profile(UserName=me.name)["LoginProfile"]["UserName"] == me.name


def test_attach_or_put_a_policy_on_yourself_is_refused(server, iam):
    other, _ = create_user_with_key(iam, unique("other"), Path="/others/")
    me = Me(server, iam, doc(allow(["iam:AttachUserPolicy", "iam:PutUserPolicy"], f"arn:aws:iam::{ACCOUNT_ID}:user/others/*")))
    with refused("iam:AttachUserPolicy", explicit=False, who=me.arn):
        me.iam.attach_user_policy(UserName=me.name, PolicyArn=ADMIN_ARN)
    with refused("iam:PutUserPolicy", explicit=False, who=me.arn):
        me.iam.put_user_policy(UserName=me.name, PolicyName="escape", PolicyDocument=doc(allow("*")))
    assert attached(iam, me.name) == [] and iam.list_user_policies(UserName=me.name)["PolicyNames"] == ["perms"]
    # Control: the same on a user under /others/.
    me.iam.attach_user_policy(UserName=other["UserName"], PolicyArn=ADMIN_ARN)
    me.iam.put_user_policy(UserName=other["UserName"], PolicyName="p", PolicyDocument=doc(allow("iam:ListUsers")))
    assert attached(iam, other["UserName"]) == [ADMIN_ARN]


def test_joining_an_admin_group_is_refused(server, iam):
    admins, devs = unique("admins"), unique("dev")
    for g in (admins, devs):
        iam.create_group(GroupName=g)
    iam.attach_group_policy(GroupName=admins, PolicyArn=ADMIN_ARN)
    me = Me(server, iam, doc(allow("iam:AddUserToGroup", f"arn:aws:iam::{ACCOUNT_ID}:group/dev-*")))
    with refused("iam:AddUserToGroup", explicit=False, who=me.arn):
        me.iam.add_user_to_group(GroupName=admins, UserName=me.name)
    assert iam.list_groups_for_user(UserName=me.name)["Groups"] == []
    with refused("iam:ListUsers", who=me.arn):
        me.iam.list_users()
    # Control: the dev group.
    me.iam.add_user_to_group(GroupName=devs, UserName=me.name)
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=me.name)["Groups"]] == [devs]


def test_rewriting_a_trust_policy_to_assume_the_role_is_refused(server, iam):
    role = unique("target")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_EC2)
    iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN_ARN)
    me = Me(server, iam, doc(allow("sts:AssumeRole"),
                             allow("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT_ID}:role/mine-*")))
    role_arn = arn("role", role)
    with refused("iam:UpdateAssumeRolePolicy", explicit=False, who=me.arn):
        me.iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust(me.arn))
    with refused("sts:AssumeRole", who=me.arn):
        me.sts.assume_role(RoleArn=role_arn, RoleSessionName="esc")
    # Control: honestly granted UpdateAssumeRolePolicy on that role, the rewrite and the assume succeed.
    set_policy(iam, me, doc(allow("sts:AssumeRole"), allow("iam:UpdateAssumeRolePolicy", role_arn)))
    me.iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust(me.arn))
    r = me.sts.assume_role(RoleArn=role_arn, RoleSessionName="esc")
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/esc"


def test_removing_your_own_boundary_is_refused(server, iam):
    capped = managed(iam, doc(allow(["iam:Get*", "iam:List*"])))
    me = Me(server, iam, doc(allow("iam:*")), PermissionsBoundary=capped)
    with refused("iam:DeleteUserPermissionsBoundary", explicit=False, who=me.arn) as e:
        me.iam.delete_user_permissions_boundary(UserName=me.name)
    assert "permissions boundary" in e["message"], e["message"]
    # With a boundary that would allow it, an explicit Deny in the identity policy still holds.
    loose = managed(iam, doc(allow("iam:*")))
    iam.put_user_permissions_boundary(UserName=me.name, PermissionsBoundary=loose)
    set_policy(iam, me, doc(allow("iam:*"), deny(["iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"],
                                                  f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}")))
    with refused("iam:DeleteUserPermissionsBoundary", explicit=True, who=me.arn):
        me.iam.delete_user_permissions_boundary(UserName=me.name)
    with refused("iam:PutUserPermissionsBoundary", explicit=True, who=me.arn):
        me.iam.put_user_permissions_boundary(UserName=me.name.upper(), PermissionsBoundary=ADMIN_ARN)
    assert iam.get_user(UserName=me.name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == loose
    # Control: without the Deny, under the loose boundary, the removal succeeds.
    set_policy(iam, me, doc(allow("iam:*")))
    me.iam.delete_user_permissions_boundary(UserName=me.name)
    assert "PermissionsBoundary" not in iam.get_user(UserName=me.name)["User"]


ABAC = allow("iam:*", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}})


def test_tagging_yourself_into_an_abac_condition_is_refused(server, iam):
    me = Me(server, iam, doc(ABAC))
    # The tag the request would set does not count: the stored (absent) tag decides.
    with refused("iam:TagUser", explicit=False, who=me.arn):
        me.iam.tag_user(UserName=me.name, Tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_user_tags(UserName=me.name)["Tags"] == []
    with refused("iam:PutUserPolicy", explicit=False, who=me.arn):
        me.iam.put_user_policy(UserName=me.name, PolicyName="x", PolicyDocument=doc(allow("*")))
    # Control: an administrator tags the user; its own user is then in reach.
    iam.tag_user(UserName=me.name, Tags=[{"Key": "team", "Value": "blue"}])
    assert me.iam.get_user(UserName=me.name)["User"]["UserName"] == me.name


def test_a_deny_on_tagging_yourself_holds_next_to_an_abac_allow(server, iam):
    own = f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}"
    me = Me(server, iam, doc(ABAC, allow("iam:TagUser"), deny(["iam:TagUser", "iam:UntagUser"], own)))
    with refused("iam:TagUser", explicit=True, who=me.arn):
        me.iam.tag_user(UserName=me.name, Tags=[{"Key": "team", "Value": "blue"}])
    with refused("iam:TagUser", explicit=True, who=me.arn):
        me.iam.tag_user(UserName=me.name.upper(), Tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_user_tags(UserName=me.name)["Tags"] == []
    with refused("iam:CreateAccessKey", explicit=False, who=me.arn):
        me.iam.create_access_key(UserName=me.name)
    # Control: tagging another user works (the Deny is about the caller only)...
    other = unique("other")
    iam.create_user(UserName=other)
    me.iam.tag_user(UserName=other, Tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_user_tags(UserName=other)["Tags"] == [{"Key": "team", "Value": "blue"}]
    # ...and once an administrator tags the caller, the ABAC Allow covers its own user.
    iam.tag_user(UserName=me.name, Tags=[{"Key": "team", "Value": "blue"}])
    assert me.iam.create_access_key(UserName=me.name)["AccessKey"]["UserName"] == me.name
    with refused("iam:UntagUser", explicit=True, who=me.arn):
        me.iam.untag_user(UserName=me.name, TagKeys=["team"])


# ======================================================================================
# More of the same attacks on other resources
# ======================================================================================


def test_a_deny_on_an_instance_profile_arn_holds_in_another_case(server, iam):
    prof, role = _profile_and_role(iam)
    plain = unique("prof")
    iam.create_instance_profile(InstanceProfileName=plain)
    me = Me(server, iam, doc(allow("iam:*"), deny("iam:*", arn("instance-profile", prof))))
    with refused("iam:AddRoleToInstanceProfile", explicit=True, who=me.arn):
        me.iam.add_role_to_instance_profile(InstanceProfileName=prof.upper(), RoleName=role)
    with refused("iam:DeleteInstanceProfile", explicit=True, who=me.arn):
        me.iam.delete_instance_profile(InstanceProfileName=prof.capitalize())
    assert _roles_in(iam, prof) == []
    # Control: the unprotected profile, spelled in another case.
    me.iam.add_role_to_instance_profile(InstanceProfileName=plain.upper(), RoleName=role)
    assert _roles_in(iam, plain) == [role]


def test_renaming_a_protected_user_away_or_a_user_onto_a_protected_name_is_refused(server, iam):
    protected, plain = unique("admin"), unique("bob")
    for n in (protected, plain):
        iam.create_user(UserName=n)
    me = Me(server, iam, doc(allow("iam:UpdateUser"),
                             deny("iam:UpdateUser", f"arn:aws:iam::{ACCOUNT_ID}:user/admin*")))
    # Source: the protected user, spelled in another case, may not be renamed (out of the Deny).
    with refused("iam:UpdateUser", explicit=True, who=me.arn):
        me.iam.update_user(UserName=protected.upper(), NewUserName="x" + protected)
    # Target: an unprotected user may not be renamed into the protected namespace.
    onto = "admin2-" + plain
    with refused("iam:UpdateUser", explicit=True, who=me.arn):
        me.iam.update_user(UserName=plain, NewUserName=onto)
    assert iam.get_user(UserName=protected)["User"]["UserName"] == protected
    with raises_aws("NoSuchEntity", status=404):
        iam.get_user(UserName=onto)
    # Control: a rename that stays outside the protected names.
    me.iam.update_user(UserName=plain.upper(), NewUserName="bob2-" + plain)
    assert iam.get_user(UserName="bob2-" + plain)["User"]["UserName"] == "bob2-" + plain


def test_a_deny_on_a_member_account_arn_stops_calls_naming_that_account(org):
    orgs, member, root = org["orgs"], org["member"], org["root"]
    acct_arn = orgs.describe_account(AccountId=member)["Account"]["Arn"]
    ou = orgs.create_organizational_unit(ParentId=root["Id"], Name=unique("ou"))["OrganizationalUnit"]
    scp = new_scp(org)
    me = Me(org["w"], org["iam"], doc(allow("organizations:*"), deny("organizations:*", acct_arn)))
    m = me.client("organizations")
    with refused("organizations:AttachPolicy", explicit=True, who=me.arn, orgs=True) as e:
        m.attach_policy(PolicyId=scp["Id"], TargetId=member)
    assert acct_arn in e["message"], e["message"]
    with refused("organizations:MoveAccount", explicit=True, who=me.arn, orgs=True):
        m.move_account(AccountId=member, SourceParentId=root["Id"], DestinationParentId=ou["Id"])
    with refused("organizations:RemoveAccountFromOrganization", explicit=True, who=me.arn, orgs=True):
        m.remove_account_from_organization(AccountId=member)
    assert [p["Id"] for p in orgs.list_parents(ChildId=member)["Parents"]] == [root["Id"]]
    assert scp["Id"] not in [p["Id"] for p in orgs.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]]
    # Control: the same policy attached to another target (the OU) succeeds.
    m.attach_policy(PolicyId=scp["Id"], TargetId=ou["Id"])
    assert scp["Id"] in [p["Id"] for p in orgs.list_policies_for_target(TargetId=ou["Id"], Filter=SCP)["Policies"]]


def test_a_deny_on_a_federated_user_name_stops_that_token_only(server, iam):
    me = Me(server, iam, doc(allow("sts:GetFederationToken"),
                             deny("sts:GetFederationToken", f"arn:aws:sts::{ACCOUNT_ID}:federated-user/boss")))
    with refused("sts:GetFederationToken", explicit=True, who=me.arn):
        me.sts.get_federation_token(Name="boss", Policy=FED_POLICY)
    # Control: another name.
    r = me.sts.get_federation_token(Name="worker", Policy=FED_POLICY)
    assert r["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/worker"


def test_a_deny_on_a_service_linked_role_path_stops_that_service_only(server, iam):
    me = Me(server, iam, doc(allow("iam:CreateServiceLinkedRole"), deny(
        "iam:CreateServiceLinkedRole", "arn:aws:iam::*:role/aws-service-role/lexv2.amazonaws.com/*")))
    sfx = unique("t").replace("-", "")
    with refused("iam:CreateServiceLinkedRole", explicit=True, who=me.arn) as e:
        me.iam.create_service_linked_role(AWSServiceName="lexv2.amazonaws.com", CustomSuffix=sfx)
    assert e["message"].split(" on resource: ")[1].startswith(
        f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/lexv2.amazonaws.com/"
        f"AWSServiceRoleForLexV2Bots_{sfx} "), e["message"]
    r = me.iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=sfx)["Role"]
    assert r["RoleName"] == f"AWSServiceRoleForAutoScaling_{sfx}"


def test_another_users_access_key_cannot_be_reactivated_by_its_id(server, iam):
    own = f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}"
    me = Me(server, iam, doc(allow(["iam:UpdateAccessKey", "iam:DeleteAccessKey"], own)))
    victim, _ = create_user_with_key(iam, unique("victim"))
    kid = iam.list_access_keys(UserName=victim["UserName"])["AccessKeyMetadata"][0]["AccessKeyId"]
    iam.update_access_key(UserName=victim["UserName"], AccessKeyId=kid, Status="Inactive")
    with refused("iam:UpdateAccessKey", explicit=False, who=me.arn):
        me.iam.update_access_key(UserName=victim["UserName"], AccessKeyId=kid, Status="Active")
    # Without UserName the caller is meant, and the key is not one of its own (as IAM answers).
    gone = f"The Access Key with id {kid} cannot be found."
    with raises_aws("NoSuchEntity", gone, 404):
        me.iam.update_access_key(AccessKeyId=kid, Status="Active")
    with raises_aws("NoSuchEntity", gone, 404):
        me.iam.delete_access_key(AccessKeyId=kid)
    assert [(k["AccessKeyId"], k["Status"]) for k in iam.list_access_keys(UserName=victim["UserName"])["AccessKeyMetadata"]] == [(kid, "Inactive")]
    # Control: its own key, without UserName.
    mine = me.creds.access_key_id
    me.iam.update_access_key(AccessKeyId=mine, Status="Active")
    assert iam.list_access_keys(UserName=me.name)["AccessKeyMetadata"][0]["Status"] == "Active"


# ======================================================================================
# Holes: tags set at creation without the Tag* permission
# ======================================================================================


def test_tagging_at_creation_needs_the_tag_permission(server, iam):
    me = Me(server, iam, doc(allow(["iam:CreateRole", "iam:CreateUser", "iam:TagRole", "iam:TagUser"]),
                             deny(["iam:TagRole", "iam:TagUser"])))
    # Control: untagged creates succeed. AWS refuses a tagged CreateRole without iam:TagRole on the
    # new role (openshift/installer#1073); warden does the same for every tagged IAM create.
    me.iam.create_role(RoleName=unique("plain"), AssumeRolePolicyDocument=TRUST_EC2)
    me.iam.create_user(UserName=unique("plain"))
    role, user = unique("tagged"), unique("tagged")
    try:
        with refused("iam:TagRole", explicit=True, who=me.arn):
            me.iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_EC2, Tags=TAGS)
        with refused("iam:TagUser", explicit=True, who=me.arn):
            me.iam.create_user(UserName=user, Tags=TAGS)
    finally:
        # Control: without the Deny the tagged creates succeed.
        set_policy(iam, me, doc(allow(["iam:CreateRole", "iam:CreateUser", "iam:TagRole", "iam:TagUser"])))
        assert me.iam.create_role(RoleName=unique("ok"), AssumeRolePolicyDocument=TRUST_EC2, Tags=TAGS)["Role"]
        assert me.iam.create_user(UserName=unique("ok"), Tags=TAGS)["User"]


# ======================================================================================
# Parameter pollution: the parameter that is authorized is the one that is acted on
# ======================================================================================


def test_a_repeated_user_name_never_acts_on_a_user_that_was_not_authorized(server, iam):
    me = Me(server, iam, doc(allow(["iam:CreateAccessKey"], f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}")))
    victim = unique("victim")
    iam.create_user(UserName=victim)
    for first, second in ((me.name, victim), (victim, me.name)):
        body = urllib.parse.urlencode([("Action", "CreateAccessKey"), ("Version", "2010-05-08"),
                                       ("UserName", first), ("UserName", second)])
        prep = _signed(server.url, "", body, me.creds)
        r = send_prepared(prep)
        if r.status == 200:
            assert f"<UserName>{me.name}</UserName>".encode() in r.body, r.body[:400]
        else:
            assert (r.status, r.error()[0]) == (403, "AccessDenied"), r.body[:400]
            assert f"iam:CreateAccessKey on resource: user {victim} ".encode() in r.body, r.body[:400]
        # Never a key for the victim. A query-string UserName beside a form body is not read either.
        r = send_prepared(_signed(server.url, urllib.parse.urlencode({"UserName": victim}),
                                  "Action=CreateAccessKey&Version=2010-05-08", me.creds))
        assert r.status in (200, 409), r.body[:400]  # 409: the caller's own two-key quota
        assert keys_of(iam, victim) == []
        for k in keys_of(iam, me.name):
            if k != me.creds.access_key_id:
                iam.delete_access_key(UserName=me.name, AccessKeyId=k)
    # Control: the victim's name alone is refused; the caller's own name alone is served.
    r = send_prepared(_signed(server.url, "", f"Action=CreateAccessKey&Version=2010-05-08&UserName={victim}", me.creds))
    assert (r.status, r.error()[0]) == (403, "AccessDenied"), r.body[:400]
    r = send_prepared(_signed(server.url, "", f"Action=CreateAccessKey&Version=2010-05-08&UserName={me.name}", me.creds))
    assert r.status == 200 and f"<UserName>{me.name}</UserName>".encode() in r.body, r.body[:400]


def test_a_repeated_json_policy_id_never_acts_on_the_denied_policy(org):
    orgs = org["orgs"]
    prot, other = new_scp(org), new_scp(org)
    me = Me(org["w"], org["iam"], doc(allow("organizations:*"), deny("organizations:*", prot["Arn"])))
    target = "AWSOrganizationsV20161128.UpdatePolicy"
    for first, second in ((other["Id"], prot["Id"]), (prot["Id"], other["Id"])):
        body = '{"PolicyId": "%s", "Description": "changed", "PolicyId": "%s"}' % (first, second)
        r = send_prepared(_signed(org["w"].url, "", body, me.creds, "organizations", target))
        if r.status == 200:
            assert json.loads(r.body)["Policy"]["PolicySummary"]["Id"] == other["Id"], r.body[:400]
        else:
            got = json.loads(r.body)
            assert (r.status, got.get("__type")) == (400, "AccessDeniedException"), r.body[:400]
            assert prot["Arn"] in got.get("message", ""), got
        assert orgs.describe_policy(PolicyId=prot["Id"])["Policy"]["PolicySummary"]["Description"] == ""
    # Control: the denied policy alone is refused; the other alone is updated.
    r = send_prepared(_signed(org["w"].url, "", json.dumps({"PolicyId": prot["Id"], "Description": "x"}), me.creds,
                              "organizations", target))
    assert (r.status, json.loads(r.body).get("__type")) == (400, "AccessDeniedException"), r.body[:400]
    r = send_prepared(_signed(org["w"].url, "", json.dumps({"PolicyId": other["Id"], "Description": "y"}), me.creds,
                              "organizations", target))
    assert r.status == 200, r.body[:400]
    assert orgs.describe_policy(PolicyId=other["Id"])["Policy"]["PolicySummary"]["Description"] == "y"
