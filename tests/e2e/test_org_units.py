"""Organizational units: the OU calls, moving accounts, and SCPs attached to OUs.

Each test starts its own warden, since OUs and SCPs change the organization for every caller.

Sources of the expected answers (AWS, not warden):
* botocore's Organizations model: the OrganizationalUnit, Parent and Child shapes, the id
  patterns (ou-<root part>-<8..32>), the Path pattern (o-ID/r-ID/ou-ID/.../), the errors each
  operation may raise, and their texts: ParentNotFoundException "We can't find a root or OU with
  the ParentId that you specified.", OrganizationalUnitNotFoundException "We can't find an OU
  with the OrganizationalUnitId that you specified.", DuplicateOrganizationalUnitException "An
  OU with the same name already exists.", OrganizationalUnitNotEmptyException "The specified OU
  is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try
  the operation again.", ChildNotFoundException, SourceParentNotFoundException,
  DestinationParentNotFoundException, DuplicateAccountException "That account is already
  present in the specified destination.", and the ConstraintViolationException reason
  OU_DEPTH_LIMIT_EXCEEDED.
* Organizations User Guide (orgs_manage_ous, orgs_reference_limits): OUs nest five levels deep
  under the root; an OU must be empty to be deleted.
* Organizations User Guide (orgs_manage_policies_scps_evaluation): an account is limited by the
  SCPs of the root, of every OU above it and of itself; a Deny at any level wins and every level
  must allow.
"""

from __future__ import annotations

import re

from e2e_util import (
    ACCOUNT_ID,
    assert_cli_error,
    make_client,
    member_session,
    new_organization,
    policy_doc,
    raises_aws,
    run_aws,
    unique,
)

SCP = "SERVICE_CONTROL_POLICY"
FULL = "p-FullAWSAccess"
OU_ID_RE = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
DENY_CREATE_USER = policy_doc({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"})
PARENT_MISSING = "We can't find a root or OU with the ParentId that you specified."
OU_MISSING = "We can't find an OU with the OrganizationalUnitId that you specified."


def children(orgs, parent: str, kind: str) -> list[str]:
    return [c["Id"] for c in orgs.list_children(ParentId=parent, ChildType=kind)["Children"]]


def test_ou_lifecycle_and_errors(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, root, member = wd["orgs"], wd["org"], wd["root"]["Id"], wd["member"]

    eng = orgs.create_organizational_unit(ParentId=root, Name="Engineering")["OrganizationalUnit"]
    assert OU_ID_RE.match(eng["Id"]), eng
    assert eng["Id"].startswith(f"ou-{root[2:]}-"), "the OU id carries its root's id"
    assert eng["Arn"] == f"arn:aws:organizations::{ACCOUNT_ID}:ou/{org['Id']}/{eng['Id']}"
    assert eng["Name"] == "Engineering"
    assert eng["Path"] == f"{org['Id']}/{root}/{eng['Id']}/"
    dev = orgs.create_organizational_unit(ParentId=eng["Id"], Name="Dev")["OrganizationalUnit"]
    assert dev["Path"] == f"{org['Id']}/{root}/{eng['Id']}/{dev['Id']}/"
    assert orgs.describe_organizational_unit(OrganizationalUnitId=dev["Id"])["OrganizationalUnit"] == dev

    # Names are unique among siblings only.
    with raises_aws("DuplicateOrganizationalUnitException", "An OU with the same name already exists.", 400):
        orgs.create_organizational_unit(ParentId=root, Name="Engineering")
    orgs.create_organizational_unit(ParentId=eng["Id"], Name="Engineering")
    with raises_aws("ParentNotFoundException", PARENT_MISSING, 400):
        orgs.create_organizational_unit(ParentId="ou-zzzz-00000000", Name="Lost")
    with raises_aws("OrganizationalUnitNotFoundException", OU_MISSING, 400):
        orgs.describe_organizational_unit(OrganizationalUnitId="ou-zzzz-00000000")

    renamed = orgs.update_organizational_unit(OrganizationalUnitId=dev["Id"], Name="Development")[
        "OrganizationalUnit"
    ]
    assert (renamed["Id"], renamed["Name"]) == (dev["Id"], "Development")
    with raises_aws("DuplicateOrganizationalUnitException", status=400):
        orgs.update_organizational_unit(OrganizationalUnitId=dev["Id"], Name="Engineering")

    names = [u["Name"] for u in orgs.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]]
    assert names == ["Engineering"]
    assert children(orgs, root, "ORGANIZATIONAL_UNIT") == [eng["Id"]]
    assert set(children(orgs, root, "ACCOUNT")) == {ACCOUNT_ID, member}
    assert orgs.list_parents(ChildId=dev["Id"])["Parents"] == [{"Id": eng["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert orgs.list_parents(ChildId=member)["Parents"] == [{"Id": root, "Type": "ROOT"}]
    with raises_aws("ChildNotFoundException", status=400):
        orgs.list_parents(ChildId="999999999999")
    with raises_aws("ParentNotFoundException", PARENT_MISSING, 400):
        orgs.list_children(ParentId="r-zzzz", ChildType="ACCOUNT")

    # Moving an account.
    orgs.move_account(AccountId=member, SourceParentId=root, DestinationParentId=dev["Id"])
    assert orgs.list_parents(ChildId=member)["Parents"] == [{"Id": dev["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert children(orgs, dev["Id"], "ACCOUNT") == [member]
    assert member not in children(orgs, root, "ACCOUNT")
    listed = orgs.list_accounts_for_parent(ParentId=dev["Id"])["Accounts"]
    assert [a["Id"] for a in listed] == [member]
    assert orgs.describe_account(AccountId=member)["Account"]["Paths"] == [
        f"{org['Id']}/{root}/{eng['Id']}/{dev['Id']}/{member}/"
    ]
    with raises_aws("DuplicateAccountException", "That account is already present in the specified destination.", 400):
        orgs.move_account(AccountId=member, SourceParentId=dev["Id"], DestinationParentId=dev["Id"])
    with raises_aws("SourceParentNotFoundException", status=400):
        orgs.move_account(AccountId=member, SourceParentId=root, DestinationParentId=eng["Id"])
    with raises_aws("DestinationParentNotFoundException", status=400):
        orgs.move_account(AccountId=member, SourceParentId=dev["Id"], DestinationParentId="ou-zzzz-00000000")
    with raises_aws("AccountNotFoundException", status=400):
        orgs.move_account(AccountId="999999999999", SourceParentId=root, DestinationParentId=dev["Id"])

    # Only empty OUs can be deleted; nothing is lost by a refused delete.
    not_empty = (
        "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, "
        "and try the operation again."
    )
    with raises_aws("OrganizationalUnitNotEmptyException", not_empty, 400):
        orgs.delete_organizational_unit(OrganizationalUnitId=dev["Id"])
    with raises_aws("OrganizationalUnitNotEmptyException", not_empty, 400):
        orgs.delete_organizational_unit(OrganizationalUnitId=eng["Id"])
    assert children(orgs, dev["Id"], "ACCOUNT") == [member]
    orgs.move_account(AccountId=member, SourceParentId=dev["Id"], DestinationParentId=root)
    orgs.delete_organizational_unit(OrganizationalUnitId=dev["Id"])
    with raises_aws("OrganizationalUnitNotFoundException", OU_MISSING, 400):
        orgs.delete_organizational_unit(OrganizationalUnitId=dev["Id"])
    assert orgs.list_parents(ChildId=member)["Parents"] == [{"Id": root, "Type": "ROOT"}]


def test_ous_nest_five_levels_deep(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs = wd["orgs"]
    parent = wd["root"]["Id"]
    for depth in range(1, 6):
        parent = orgs.create_organizational_unit(ParentId=parent, Name=f"level-{depth}")["OrganizationalUnit"]["Id"]
    with raises_aws("ConstraintViolationException", "You attempted to create an OU tree that is too many levels deep.", 400) as e:
        orgs.create_organizational_unit(ParentId=parent, Name="level-6")
    assert e["error"].response.get("Reason") == "OU_DEPTH_LIMIT_EXCEEDED", e["error"].response


def test_only_the_management_account_manages_ous(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    creds, _ = member_session(w, wd)
    m_orgs = make_client("organizations", w.url, creds)
    with raises_aws("AccessDeniedException", "You don't have permissions to access this resource."):
        m_orgs.create_organizational_unit(ParentId=wd["root"]["Id"], Name="Mine")
    with raises_aws("AccessDeniedException"):
        m_orgs.list_children(ParentId=wd["root"]["Id"], ChildType="ACCOUNT")


def test_scps_attached_to_ous_limit_the_accounts_below(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"]["Id"], wd["member"]
    eng = orgs.create_organizational_unit(ParentId=root, Name="Engineering")["OrganizationalUnit"]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    # Enabling attached FullAWSAccess to the existing OU; a new OU gets it too.
    for ou in (eng, orgs.create_organizational_unit(ParentId=eng, Name="Dev")["OrganizationalUnit"]["Id"]):
        attached = orgs.list_policies_for_target(TargetId=ou, Filter=SCP)["Policies"]
        assert [p["Id"] for p in attached] == [FULL]
    dev = children(orgs, eng, "ORGANIZATIONAL_UNIT")[0]
    targets = {t["TargetId"]: t for t in orgs.list_targets_for_policy(PolicyId=FULL)["Targets"]}
    assert targets[eng]["Type"] == "ORGANIZATIONAL_UNIT" and targets[eng]["Name"] == "Engineering"

    deny = orgs.create_policy(Content=DENY_CREATE_USER, Description="", Name="NoUsers", Type=SCP)["Policy"][
        "PolicySummary"
    ]["Id"]
    orgs.attach_policy(PolicyId=deny, TargetId=eng)
    creds, caller = member_session(w, wd)
    m_iam = make_client("iam", w.url, creds)
    # In the root, the OU's SCP does not reach the account.
    m_iam.create_user(UserName=unique("in-root"))
    # Two levels below the OU, it does.
    orgs.move_account(AccountId=member, SourceParentId=root, DestinationParentId=dev)
    with raises_aws("AccessDenied", status=403) as e:
        m_iam.create_user(UserName=unique("in-dev"))
    assert e["message"].startswith(f"User: {caller} is not authorized to perform: iam:CreateUser"), e["message"]
    assert e["message"].endswith(" with an explicit deny in a service control policy"), e["message"]
    orgs.detach_policy(PolicyId=deny, TargetId=eng)
    m_iam.create_user(UserName=unique("detached"))

    # Every level must allow: an OU that allows only STS leaves IAM calls with no allowing SCP.
    only_sts = orgs.create_policy(
        Content=policy_doc({"Effect": "Allow", "Action": "sts:*", "Resource": "*"}),
        Description="",
        Name="OnlySts",
        Type=SCP,
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=only_sts, TargetId=dev)
    orgs.detach_policy(PolicyId=FULL, TargetId=dev)
    with raises_aws("AccessDenied", status=403) as e:
        m_iam.list_users()
    assert e["message"].endswith(" because no service control policy allows the iam:ListUsers action"), e["message"]
    make_client("sts", w.url, creds).get_caller_identity()

    # Moving the account out of the OU frees it; deleting an OU drops its attachments.
    orgs.move_account(AccountId=member, SourceParentId=dev, DestinationParentId=root)
    m_iam.list_users()
    orgs.delete_organizational_unit(OrganizationalUnitId=dev)
    assert orgs.list_targets_for_policy(PolicyId=only_sts)["Targets"] == []
    orgs.delete_policy(PolicyId=only_sts)


def test_ous_survive_a_restart(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"]["Id"], wd["member"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="Kept")["OrganizationalUnit"]
    orgs.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou["Id"])
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    deny = orgs.create_policy(Content=DENY_CREATE_USER, Description="", Name="NoUsers", Type=SCP)["Policy"][
        "PolicySummary"
    ]["Id"]
    orgs.attach_policy(PolicyId=deny, TargetId=ou["Id"])
    w.restart()
    orgs = w.client("organizations")
    assert orgs.describe_organizational_unit(OrganizationalUnitId=ou["Id"])["OrganizationalUnit"] == ou
    assert orgs.list_parents(ChildId=member)["Parents"] == [{"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    creds, _ = member_session(w, wd)
    with raises_aws("AccessDenied", status=403):
        make_client("iam", w.url, creds).create_user(UserName=unique("after-restart"))


def test_ous_with_the_aws_cli(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    root, member = wd["root"]["Id"], wd["member"]
    rc, out, err = run_aws(w.url, "organizations", "create-organizational-unit", "--parent-id", root, "--name", "Cli")
    assert rc == 0, err
    ou = out["OrganizationalUnit"]["Id"]
    assert OU_ID_RE.match(ou), out
    rc, out, err = run_aws(
        w.url,
        "organizations",
        "move-account",
        "--account-id",
        member,
        "--source-parent-id",
        root,
        "--destination-parent-id",
        ou,
    )
    assert rc == 0, err
    rc, out, err = run_aws(w.url, "organizations", "list-children", "--parent-id", ou, "--child-type", "ACCOUNT")
    assert rc == 0, err
    assert out["Children"] == [{"Id": member, "Type": "ACCOUNT"}]
    res = run_aws(w.url, "organizations", "delete-organizational-unit", "--organizational-unit-id", ou)
    assert_cli_error(res, "OrganizationalUnitNotEmptyException", "DeleteOrganizationalUnit")


def test_org_paths_condition_keys(warden_factory):
    """aws:PrincipalOrgPaths and aws:ResourceOrgPaths (IAM User Guide, global condition keys): the
    path of OUs above the principal's (the resource's) account, `o-ID/r-ID/ou-ID/`, multivalued."""
    w = warden_factory()
    wd = new_organization(w)
    orgs, org_id, root, member = wd["orgs"], wd["org"]["Id"], wd["root"]["Id"], wd["member"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="Sandbox")["OrganizationalUnit"]["Id"]
    creds, _ = member_session(w, wd)
    m_iam = make_client("iam", w.url, creds)
    in_ou = f"{org_id}/{root}/{ou}/"
    m_iam.put_role_policy(
        RoleName="OrganizationAccountAccessRole",
        PolicyName="sandbox-limits",
        PolicyDocument=policy_doc(
            {
                "Effect": "Deny",
                "Action": "iam:ListUsers",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": in_ou}},
            },
            {
                "Effect": "Deny",
                "Action": "iam:ListRoles",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": f"{org_id}/*/{ou}/*"}},
            },
        ),
    )
    # In the root, the paths are o-ID/r-ID/: neither deny applies.
    m_iam.list_users()
    m_iam.list_roles()
    orgs.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    with raises_aws("AccessDenied", status=403):
        m_iam.list_users()
    with raises_aws("AccessDenied", status=403):
        m_iam.list_roles()
    orgs.move_account(AccountId=member, SourceParentId=ou, DestinationParentId=root)
    m_iam.list_users()
    m_iam.list_roles()


def test_tags_on_the_organizations_resources(warden_factory):
    """TagResource, UntagResource, ListTagsForResource on a root, OU, account and policy, and the
    Tags of CreateOrganizationalUnit, CreatePolicy and CreateAccount (botocore model: the
    TaggableResourceId pattern, TargetNotFoundException, the reasons DUPLICATE_TAG_KEY,
    INVALID_SYSTEM_TAGS_PARAMETER and MAX_TAG_LIMIT_EXCEEDED; Organizations quotas: 50 tags)."""
    w = warden_factory()
    wd = new_organization(w)
    orgs, root = wd["orgs"], wd["root"]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="Tagged", Tags=[{"Key": "team", "Value": "a"}])[
        "OrganizationalUnit"
    ]["Id"]
    pid = orgs.create_policy(
        Content=DENY_CREATE_USER, Description="", Name="Tagged", Type=SCP, Tags=[{"Key": "tier", "Value": "1"}]
    )["Policy"]["PolicySummary"]["Id"]
    st = orgs.create_account(
        Email=f"{unique('t')}@example.com", AccountName="Tagged", Tags=[{"Key": "env", "Value": "dev"}]
    )["CreateAccountStatus"]
    account = orgs.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]["AccountId"]

    def tags(resource: str) -> dict:
        return {t["Key"]: t["Value"] for t in orgs.list_tags_for_resource(ResourceId=resource)["Tags"]}

    assert tags(ou) == {"team": "a"}
    assert tags(pid) == {"tier": "1"}
    assert tags(account) == {"env": "dev"}
    assert tags(root) == {}

    orgs.tag_resource(ResourceId=root, Tags=[{"Key": "owner", "Value": "platform"}])
    orgs.tag_resource(ResourceId=ou, Tags=[{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "42"}])
    assert tags(root) == {"owner": "platform"}
    assert tags(ou) == {"team": "b", "cost": "42"}
    orgs.untag_resource(ResourceId=ou, TagKeys=["team", "absent"])
    assert tags(ou) == {"cost": "42"}

    with raises_aws(
        "TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.", 400
    ):
        orgs.list_tags_for_resource(ResourceId="ou-zzzz-00000000")
    with raises_aws("TargetNotFoundException", status=400):
        orgs.tag_resource(ResourceId=FULL, Tags=[{"Key": "k", "Value": "v"}])
    with raises_aws("InvalidInputException", status=400) as e:
        orgs.tag_resource(ResourceId=ou, Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])
    assert e["error"].response.get("Reason") == "DUPLICATE_TAG_KEY", e["error"].response
    with raises_aws("InvalidInputException", status=400) as e:
        orgs.tag_resource(ResourceId=ou, Tags=[{"Key": "aws:mine", "Value": "1"}])
    assert e["error"].response.get("Reason") == "INVALID_SYSTEM_TAGS_PARAMETER", e["error"].response
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    with raises_aws("ConstraintViolationException", status=400) as e:
        orgs.tag_resource(ResourceId=ou, Tags=many)
    assert e["error"].response.get("Reason") == "MAX_TAG_LIMIT_EXCEEDED", e["error"].response
    assert tags(ou) == {"cost": "42"}, "a refused call changes nothing"

    # A deleted OU's tags go with it; a new OU starts with none.
    orgs.delete_organizational_unit(OrganizationalUnitId=ou)
    with raises_aws("TargetNotFoundException", status=400):
        orgs.list_tags_for_resource(ResourceId=ou)
    w.restart()
    orgs = w.client("organizations")
    assert tags(root) == {"owner": "platform"}
    assert tags(account) == {"env": "dev"}
