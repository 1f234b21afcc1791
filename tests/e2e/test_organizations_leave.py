"""Undoing an organization (issue 15): DeleteOrganization, RemoveAccountFromOrganization,
LeaveOrganization, and ListCreateAccountStatus.

Each test starts its own warden (these calls change who belongs to which organization).

Sources of the expected answers (AWS, not warden):
* botocore's Organizations model: the operations' shapes (no input for DeleteOrganization and
  LeaveOrganization, AccountId for RemoveAccountFromOrganization, States/MaxResults/NextToken and
  CreateAccountStatuses for ListCreateAccountStatus), the errors each may raise, and the
  ConstraintViolationException reason ACCOUNT_CANNOT_LEAVE_ORGANIZATION, documented as "You
  attempted to remove the management account from the organization. You can't remove the
  management account. Instead, after you remove all member accounts, delete the organization
  itself." (warden answers that text for both ways of removing the management account).
* moto's tests written against AWS, getmoto/moto tests/test_organizations/test_organizations_boto3.py:
  test_delete_organization_with_existing_account (DeleteOrganization with a member raises
  OrganizationNotEmptyException; after RemoveAccountFromOrganization it succeeds and
  DescribeOrganization raises AWSOrganizationsNotInUseException), test_remove_account_from_organization
  (ListAccounts goes from 2 accounts to 1), test_list_create_account_status (MaxResults=2 gives 2
  statuses and a NextToken, the next page the rest and no NextToken). The OrganizationNotEmptyException
  text is moto's (moto/organizations/exceptions.py): "To delete an organization you must first
  remove all member accounts (except the master)."; moto's test asserts the code only.
* Organizations User Guide, orgs_manage_accounts_remove and orgs_manage_org_delete: a removed or
  departed account is a standalone account, no longer affected by the organization's policies;
  only the management account deletes the organization, once it is the only account left.
* AccessDeniedException "You don't have permissions to access this resource." for a member
  account calling a management-only operation (see test_organizations.py).
"""

from __future__ import annotations

import json
import sqlite3

from e2e_util import (
    ACCOUNT_ID,
    assert_cli_error,
    create_user_with_key,
    creds_of,
    grant,
    make_client,
    member_session,
    new_organization,
    policy_doc,
    raises_aws,
    run_aws,
    unique,
)

MGMT = ACCOUNT_ID
SCP = "SERVICE_CONTROL_POLICY"
FULL = "p-FullAWSAccess"
OAAR = "OrganizationAccountAccessRole"
NOT_IN_USE = "Your account is not a member of an organization."
NO_PERMS = "You don't have permissions to access this resource."
NOT_EMPTY = "To delete an organization you must first remove all member accounts (except the master)."
CANNOT_LEAVE = (
    "You attempted to remove the management account from the organization. You can't remove the management "
    "account. Instead, after you remove all member accounts, delete the organization itself."
)
DENY_CREATE_USER = policy_doc({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"})
ORG_KINDS = {
    "organization",
    "org_member",
    "org_create_request",
    "org_policy",
    "org_attachment",
    "org_unit",
    "org_account_parent",
    "org_tags",
}


def org_record_kinds(w, store) -> list[str]:
    """The kinds of organization records the warden's store holds."""
    if store.kind == "postgres":
        kinds = [line.split("|", 1)[0] for line in store.dump().splitlines() if line]
    else:
        with sqlite3.connect(w.data_dir / "warden.db") as db:
            kinds = [k for (k,) in db.execute("SELECT kind FROM records")]
    return sorted(k for k in kinds if k in ORG_KINDS)


def add_member(orgs, name: str) -> str:
    st = orgs.create_account(Email=f"{unique(name)}@example.com", AccountName=name)["CreateAccountStatus"]
    assert st["State"] == "SUCCEEDED", st
    return st["AccountId"]


def session_in(w, world: dict, account: str, name: str = "admin"):
    """An administrator session (OrganizationAccountAccessRole) in `account`."""
    sts = make_client("sts", w.url, world["admin_creds"])
    r = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{OAAR}", RoleSessionName=name)
    return creds_of(r), r["AssumedRoleUser"]["Arn"]


def refused(client_call, action: str) -> None:
    """An identity-policy refusal of `action` (AccessDeniedException 400 naming the action)."""
    with raises_aws("AccessDeniedException", status=400) as e:
        client_call()
    assert f"is not authorized to perform: {action} on resource: " in e["message"], e["message"]


# --------------------------------------------------------------------------------------
# DeleteOrganization, and the store after it
# --------------------------------------------------------------------------------------


def test_delete_organization_lifecycle_survives_a_restart(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    orgs = w.client("organizations")
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.delete_organization()
    wd = new_organization(w)
    org, root, member = wd["org"], wd["root"]["Id"], wd["member"]
    # Something of every part kind: policies, attachments, an OU, an account parent, tags.
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    pid = orgs.create_policy(Content=DENY_CREATE_USER, Description="", Name="NoUsers", Type=SCP)["Policy"][
        "PolicySummary"
    ]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="Eng", Tags=[{"Key": "k", "Value": "v"}])[
        "OrganizationalUnit"
    ]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=ou)
    orgs.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    orgs.tag_resource(ResourceId=member, Tags=[{"Key": "team", "Value": "a"}])
    assert set(org_record_kinds(w, store)) == ORG_KINDS

    with raises_aws("OrganizationNotEmptyException", NOT_EMPTY, 400):
        orgs.delete_organization()
    res = run_aws(w.url, "organizations", "delete-organization")
    assert_cli_error(res, "OrganizationNotEmptyException", "DeleteOrganization", NOT_EMPTY)
    # A member cannot delete it either.
    m_creds, _ = member_session(w, wd)
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        make_client("organizations", w.url, m_creds).delete_organization()
    assert orgs.describe_organization()["Organization"]["Id"] == org["Id"]

    orgs.remove_account_from_organization(AccountId=member)
    assert orgs.delete_organization()["ResponseMetadata"]["HTTPStatusCode"] == 200
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.describe_organization()
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.list_roots()
    assert org_record_kinds(w, store) == []

    w.restart()
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.describe_organization()
    # Standalone again: a new organization can be created, and it is the one that persists.
    again = orgs.create_organization(FeatureSet="ALL")["Organization"]
    assert again["Id"] != org["Id"]
    assert [a["Id"] for a in orgs.list_accounts()["Accounts"]] == [MGMT]
    w.restart()
    assert orgs.describe_organization()["Organization"]["Id"] == again["Id"]
    assert orgs.list_roots()["Roots"][0]["PolicyTypes"] == []


# --------------------------------------------------------------------------------------
# RemoveAccountFromOrganization and LeaveOrganization
# --------------------------------------------------------------------------------------


def test_removed_and_departed_members_are_no_longer_limited_by_scps(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, removed = wd["orgs"], wd["root"]["Id"], wd["member"]
    departing = add_member(orgs, "Departing")
    ou = orgs.create_organizational_unit(ParentId=root, Name="Eng")["OrganizationalUnit"]["Id"]
    orgs.move_account(AccountId=removed, SourceParentId=root, DestinationParentId=ou)
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    pid = orgs.create_policy(Content=DENY_CREATE_USER, Description="", Name="NoUsers", Type=SCP)["Policy"][
        "PolicySummary"
    ]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=removed)
    orgs.attach_policy(PolicyId=pid, TargetId=departing)

    # Each member's administrator (AdministratorAccess through OrganizationAccountAccessRole) is
    # denied by the SCP.
    sessions = {acct: session_in(w, wd, acct) for acct in (removed, departing)}
    for acct, (creds, arn) in sessions.items():
        with raises_aws("AccessDenied", status=403) as e:
            make_client("iam", w.url, creds).create_user(UserName=unique("blocked"))
        assert e["message"].startswith(f"User: {arn} is not authorized to perform: iam:CreateUser"), e["message"]
        assert e["message"].endswith("with an explicit deny in a service control policy"), e["message"]

    orgs.remove_account_from_organization(AccountId=removed)
    leaver = make_client("organizations", w.url, sessions[departing][0])
    assert leaver.leave_organization()["ResponseMetadata"]["HTTPStatusCode"] == 200

    # Standalone now: their own identity policy decides.
    for acct, (creds, _) in sessions.items():
        user = make_client("iam", w.url, creds).create_user(UserName=unique("free"))["User"]
        assert user["Arn"].startswith(f"arn:aws:iam::{acct}:user/"), user
        with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
            make_client("organizations", w.url, creds).describe_organization()
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        leaver.leave_organization()

    # Gone from the organization: accounts, the OU, and the policies' targets.
    assert [a["Id"] for a in orgs.list_accounts()["Accounts"]] == [MGMT]
    assert orgs.list_accounts_for_parent(ParentId=ou)["Accounts"] == []
    assert orgs.list_targets_for_policy(PolicyId=pid)["Targets"] == []
    assert {t["TargetId"] for t in orgs.list_targets_for_policy(PolicyId=FULL)["Targets"]} == {root, ou, MGMT}
    for acct in (removed, departing):
        with raises_aws("AccountNotFoundException", "You specified an account that doesn't exist.", 400):
            orgs.describe_account(AccountId=acct)
        with raises_aws("AccountNotFoundException", "You specified an account that doesn't exist.", 400):
            orgs.remove_account_from_organization(AccountId=acct)
    # The OU is empty, so it can go; the policy is attached nowhere, so it can go.
    orgs.delete_organizational_unit(OrganizationalUnitId=ou)
    orgs.delete_policy(PolicyId=pid)


def test_leaving_is_a_member_call_that_scps_govern_and_it_ends_aws_principal_org_id(warden_factory):
    """SCPs limit a member account's own Organizations calls (an SCP denying
    organizations:LeaveOrganization keeps it in), and after leaving its principals no longer carry
    aws:PrincipalOrgID, so a trust policy conditioned on the organization stops admitting them."""
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, root, member = wd["orgs"], wd["org"], wd["root"]["Id"], wd["member"]
    iam = w.client("iam")
    role_arn = iam.create_role(
        RoleName=unique("org-only"),
        AssumeRolePolicyDocument=policy_doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org["Id"]}},
            }
        ),
    )["Role"]["Arn"]
    creds, arn = member_session(w, wd)
    m_sts = make_client("sts", w.url, creds)
    m_sts.assume_role(RoleArn=role_arn, RoleSessionName="inside")

    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    stay = orgs.create_policy(
        Content=policy_doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}),
        Description="",
        Name="Stay",
        Type=SCP,
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=stay, TargetId=member)
    m_orgs = make_client("organizations", w.url, creds)
    with raises_aws("AccessDeniedException", status=400) as e:
        m_orgs.leave_organization()
    assert e["message"].startswith(f"User: {arn} is not authorized to perform: organizations:LeaveOrganization"), e
    assert e["message"].endswith("with an explicit deny in a service control policy"), e["message"]
    orgs.detach_policy(PolicyId=stay, TargetId=member)
    m_orgs.leave_organization()

    with raises_aws("AccessDenied", status=403) as e:
        m_sts.assume_role(RoleArn=role_arn, RoleSessionName="outside")
    assert e["message"] == f"User: {arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def test_the_management_account_can_neither_be_removed_nor_leave(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, member = wd["orgs"], wd["member"]
    with raises_aws("ConstraintViolationException", CANNOT_LEAVE, 400) as e:
        orgs.remove_account_from_organization(AccountId=MGMT)
    assert e["error"].response.get("Reason") == "ACCOUNT_CANNOT_LEAVE_ORGANIZATION", e["error"].response
    with raises_aws("ConstraintViolationException", CANNOT_LEAVE, 400) as e:
        orgs.leave_organization()
    assert e["error"].response.get("Reason") == "ACCOUNT_CANNOT_LEAVE_ORGANIZATION", e["error"].response
    with raises_aws("AccountNotFoundException", "You specified an account that doesn't exist.", 400):
        orgs.remove_account_from_organization(AccountId="999999999999")
    # A member may leave, but not remove anyone.
    m_orgs = make_client("organizations", w.url, member_session(w, wd)[0])
    for acct in (MGMT, member):
        with raises_aws("AccessDeniedException", NO_PERMS, 400):
            m_orgs.remove_account_from_organization(AccountId=acct)
    assert [a["Id"] for a in orgs.list_accounts()["Accounts"]] == [MGMT, member]


# --------------------------------------------------------------------------------------
# Authorization: each operation needs its action
# --------------------------------------------------------------------------------------


def test_each_operation_is_denied_without_its_action_and_allowed_once_granted(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, removed = wd["orgs"], wd["org"], wd["member"]
    leaving = add_member(orgs, "Leaving")
    iam = w.client("iam")
    user, creds = create_user_with_key(iam, unique("org-operator"))
    u_orgs = make_client("organizations", w.url, creds)

    refused(lambda: u_orgs.list_create_account_status(), "organizations:ListCreateAccountStatus")
    grant(iam, user["UserName"], ["organizations:ListCreateAccountStatus"])
    assert len(u_orgs.list_create_account_status()["CreateAccountStatuses"]) == 2

    account_arn = f"arn:aws:organizations::{MGMT}:account/{org['Id']}/{removed}"
    refused(lambda: u_orgs.remove_account_from_organization(AccountId=removed), "organizations:RemoveAccountFromOrganization")
    # Granted on another account's ARN only: still refused.
    other_arn = f"arn:aws:organizations::{MGMT}:account/{org['Id']}/{leaving}"
    grant(iam, user["UserName"], ["organizations:RemoveAccountFromOrganization"], resource=other_arn)
    refused(lambda: u_orgs.remove_account_from_organization(AccountId=removed), "organizations:RemoveAccountFromOrganization")
    grant(iam, user["UserName"], ["organizations:RemoveAccountFromOrganization"], resource=account_arn)
    u_orgs.remove_account_from_organization(AccountId=removed)
    assert removed not in {a["Id"] for a in orgs.list_accounts()["Accounts"]}

    # LeaveOrganization is the member account's own call.
    m_creds, _ = session_in(w, wd, leaving)
    m_iam = make_client("iam", w.url, m_creds)
    m_user, m_user_creds = create_user_with_key(m_iam, unique("leaver"))
    m_orgs = make_client("organizations", w.url, m_user_creds)
    refused(lambda: m_orgs.leave_organization(), "organizations:LeaveOrganization")
    grant(m_iam, m_user["UserName"], ["organizations:LeaveOrganization"])
    m_orgs.leave_organization()
    assert [a["Id"] for a in orgs.list_accounts()["Accounts"]] == [MGMT]

    refused(lambda: u_orgs.delete_organization(), "organizations:DeleteOrganization")
    grant(iam, user["UserName"], ["organizations:DeleteOrganization"])
    u_orgs.delete_organization()
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.describe_organization()


# --------------------------------------------------------------------------------------
# ListCreateAccountStatus
# --------------------------------------------------------------------------------------


def test_list_create_account_status_filters_by_state_and_pages(warden_factory):
    w = warden_factory()
    orgs = w.client("organizations")
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.list_create_account_status()
    orgs.create_organization(FeatureSet="ALL")
    assert orgs.list_create_account_status()["CreateAccountStatuses"] == []
    email = f"{unique('dup')}@example.com"
    started = [orgs.create_account(Email=email, AccountName="First")["CreateAccountStatus"]]
    for i in range(3):
        started.append(orgs.create_account(Email=f"{unique('n')}@example.com", AccountName=f"N{i}")["CreateAccountStatus"])
    # The same email again: accepted, and FAILED in its status.
    started.append(orgs.create_account(Email=email.upper(), AccountName="Again")["CreateAccountStatus"])
    assert started[-1]["State"] == "FAILED", started[-1]

    everything = orgs.list_create_account_status()["CreateAccountStatuses"]
    assert [s["Id"] for s in everything] == [s["Id"] for s in started]
    for listed in everything:
        described = orgs.describe_create_account_status(CreateAccountRequestId=listed["Id"])["CreateAccountStatus"]
        assert listed == described

    failed = orgs.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"]
    assert [(s["Id"], s["FailureReason"]) for s in failed] == [(started[-1]["Id"], "EMAIL_ALREADY_EXISTS")]
    assert "AccountId" not in failed[0]
    succeeded = orgs.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"]
    assert [s["Id"] for s in succeeded] == [s["Id"] for s in started[:-1]]
    both = orgs.list_create_account_status(States=["SUCCEEDED", "FAILED"])["CreateAccountStatuses"]
    assert both == everything
    assert orgs.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"] == []

    first = orgs.list_create_account_status(MaxResults=2)
    assert [s["Id"] for s in first["CreateAccountStatuses"]] == [s["Id"] for s in started[:2]]
    rest = orgs.list_create_account_status(NextToken=first["NextToken"])
    assert [s["Id"] for s in rest["CreateAccountStatuses"]] == [s["Id"] for s in started[2:]]
    assert "NextToken" not in rest
    paged = [
        s["Id"]
        for page in orgs.get_paginator("list_create_account_status").paginate(
            PaginationConfig={"PageSize": 2}, States=["SUCCEEDED"]
        )
        for s in page["CreateAccountStatuses"]
    ]
    assert paged == [s["Id"] for s in started[:-1]]

    # A removed account's request stays in the history.
    orgs.remove_account_from_organization(AccountId=started[0]["AccountId"])
    assert [s["Id"] for s in orgs.list_create_account_status()["CreateAccountStatuses"]] == [s["Id"] for s in started]

    # The management account's call only.
    wd_member = started[1]["AccountId"]
    admin, admin_creds = create_user_with_key(w.client("iam"), unique("admin"))
    w.client("iam").put_user_policy(
        UserName=admin["UserName"], PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        )
    )
    m_creds, _ = session_in(w, {"admin_creds": admin_creds}, wd_member)
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        make_client("organizations", w.url, m_creds).list_create_account_status()
