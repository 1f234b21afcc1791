"""What the management account hands to others: trusted service access (EnableAWSServiceAccess,
DisableAWSServiceAccess, ListAWSServiceAccessForOrganization), delegated administrators
(RegisterDelegatedAdministrator, DeregisterDelegatedAdministrator, ListDelegatedAdministrators,
ListDelegatedServicesForAccount) and the organization's resource policy (PutResourcePolicy,
DescribeResourcePolicy, DeleteResourcePolicy).

Sources of the expected answers (AWS, not warden):
* moto's tests written against AWS, getmoto/moto tests/test_organizations/test_organizations.py:
  test_enable_aws_service_access (enabling twice keeps one entry and its DateEnabled),
  test_enable_aws_service_access_error and test_disable_aws_service_access_errors
  (InvalidInputException "You specified an unrecognized service principal."),
  test_disable_aws_service_access (disabling twice is no error), test_register_delegated_administrator
  (the DelegatedAdministrator shape: Id, Arn arn:aws:organizations::MGMT:account/o-ORG/ACCOUNT,
  Email, Name, Status/State ACTIVE, JoinedMethod, JoinedTimestamp, DelegationEnabledDate),
  test_register_delegated_administrator_errors (ConstraintViolationException "You cannot register
  master account/yourself as delegated administrator for your organization.",
  AccountNotFoundException "You specified an account that doesn't exist.", InvalidInputException
  for an unsupported service, AccountAlreadyRegisteredException "The provided account is already a
  delegated administrator for your organization."), test_list_delegated_administrators (the
  ServicePrincipal filter), test_list_delegated_services_for_account and its _erros variant
  (AWSOrganizationsNotInUseException for an account outside the organization,
  AccountNotRegisteredException "The provided account is not a registered delegated administrator
  for your organization."), test_deregister_delegated_administrator_erros.
* botocore's Organizations model: the ConstraintViolationException reasons
  CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR, SERVICE_ACCESS_NOT_ENABLED ("You attempted to
  register a delegated administrator before you enabled service access. Call the
  EnableAWSServiceAccess API first.") and CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG (the
  documented sentences; moto does not require service access before registering, AWS's model
  documents that it does), the InvalidInputException reason UNRECOGNIZED_SERVICE_PRINCIPAL,
  ResourcePolicyNotFoundException "We can't find a resource policy request with the parameter that
  you specified." (the model's documentation sentence; no recording), the ResourcePolicyId pattern
  ^rp-[0-9a-zA-Z_]{4,128}$ and the ARN form .../resourcepolicy/o-ORG/rp-ID.
* A malformed resource policy is answered with Organizations' MalformedPolicyDocumentException, as
  CreatePolicy answers a malformed SCP: warden's choice, AWS's answer is not recorded.
"""

from __future__ import annotations

import datetime as _dt
import json
import re

from e2e_util import (
    ACCOUNT_ID,
    assert_cli_error,
    create_user_with_key,
    creds_of,
    grant,
    make_client,
    new_organization,
    raises_aws,
    run_aws,
    unique,
)

MGMT = ACCOUNT_ID
OAAR = "OrganizationAccountAccessRole"
NO_PERMS = "You don't have permissions to access this resource."
NOT_IN_USE = "Your account is not a member of an organization."
UNRECOGNIZED = "You specified an unrecognized service principal."
MGMT_NOT_DELEGABLE = "You cannot register master account/yourself as delegated administrator for your organization."
NO_ACCOUNT = "You specified an account that doesn't exist."
ALREADY_REGISTERED = "The provided account is already a delegated administrator for your organization."
NOT_REGISTERED = "The provided account is not a registered delegated administrator for your organization."
ACCESS_NOT_ENABLED = (
    "You attempted to register a delegated administrator before you enabled service access. "
    "Call the EnableAWSServiceAccess API first."
)
NO_POLICY = "We can't find a resource policy request with the parameter that you specified."
SSM = "ssm.amazonaws.com"
GUARDDUTY = "guardduty.amazonaws.com"


def reason_of(e: dict) -> str | None:
    return e["error"].response.get("Reason")


def member_client(w, wd: dict, account: str, service: str = "organizations"):
    sts = make_client("sts", w.url, wd["admin_creds"])
    creds = creds_of(sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{OAAR}", RoleSessionName="admin"))
    return make_client(service, w.url, creds)


def test_trusted_service_access_is_enabled_once_listed_and_disabled(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs = wd["orgs"]
    assert orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []
    orgs.enable_aws_service_access(ServicePrincipal="config.amazonaws.com")
    first = orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [s["ServicePrincipal"] for s in first] == ["config.amazonaws.com"]
    assert isinstance(first[0]["DateEnabled"], _dt.datetime)
    # Enabling again changes nothing, its date included.
    orgs.enable_aws_service_access(ServicePrincipal="config.amazonaws.com")
    assert orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == first
    res = run_aws(w.url, "organizations", "enable-aws-service-access", "--service-principal", "ram.amazonaws.com")
    assert res.returncode == 0, res.stderr
    page = orgs.list_aws_service_access_for_organization(MaxResults=1)
    assert [s["ServicePrincipal"] for s in page["EnabledServicePrincipals"]] == ["config.amazonaws.com"]
    rest = orgs.list_aws_service_access_for_organization(NextToken=page["NextToken"])
    assert [s["ServicePrincipal"] for s in rest["EnabledServicePrincipals"]] == ["ram.amazonaws.com"]
    assert "NextToken" not in rest

    for call in (orgs.enable_aws_service_access, orgs.disable_aws_service_access):
        with raises_aws("InvalidInputException", UNRECOGNIZED, 400) as e:
            call(ServicePrincipal="moto.amazonaws.com")
        assert reason_of(e) == "UNRECOGNIZED_SERVICE_PRINCIPAL"
    res = run_aws(w.url, "organizations", "disable-aws-service-access", "--service-principal", "nope.amazonaws.com")
    assert_cli_error(res, "InvalidInputException", "DisableAWSServiceAccess", UNRECOGNIZED)

    orgs.disable_aws_service_access(ServicePrincipal="config.amazonaws.com")
    orgs.disable_aws_service_access(ServicePrincipal="config.amazonaws.com")
    listed = orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [s["ServicePrincipal"] for s in listed] == ["ram.amazonaws.com"]
    # A member that is no delegated administrator may not read it.
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        member_client(w, wd, wd["member"]).list_aws_service_access_for_organization()


def test_delegated_administrators_register_list_and_deregister_with_aws_refusals(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, member = wd["orgs"], wd["org"], wd["member"]
    second = orgs.create_account(Email=f"{unique('d')}@example.com", AccountName="Second")["CreateAccountStatus"][
        "AccountId"
    ]
    # Trusted access first, as AWS requires.
    with raises_aws("ConstraintViolationException", ACCESS_NOT_ENABLED, 400) as e:
        orgs.register_delegated_administrator(AccountId=member, ServicePrincipal=SSM)
    assert reason_of(e) == "SERVICE_ACCESS_NOT_ENABLED"
    orgs.enable_aws_service_access(ServicePrincipal=SSM)
    orgs.enable_aws_service_access(ServicePrincipal=GUARDDUTY)
    orgs.register_delegated_administrator(AccountId=member, ServicePrincipal=SSM)
    res = run_aws(
        w.url,
        "organizations",
        "register-delegated-administrator",
        "--account-id",
        second,
        "--service-principal",
        GUARDDUTY,
    )
    assert res.returncode == 0, res.stderr

    with raises_aws("ConstraintViolationException", MGMT_NOT_DELEGABLE, 400) as e:
        orgs.register_delegated_administrator(AccountId=MGMT, ServicePrincipal=SSM)
    assert reason_of(e) == "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR"
    with raises_aws("AccountNotFoundException", NO_ACCOUNT, 400):
        orgs.register_delegated_administrator(AccountId="000000000000", ServicePrincipal=SSM)
    with raises_aws("InvalidInputException", UNRECOGNIZED, 400):
        orgs.register_delegated_administrator(AccountId=member, ServicePrincipal="moto.amazonaws.com")
    with raises_aws("AccountAlreadyRegisteredException", ALREADY_REGISTERED, 400):
        orgs.register_delegated_administrator(AccountId=member, ServicePrincipal=SSM)

    admins = orgs.list_delegated_administrators()["DelegatedAdministrators"]
    assert [a["Id"] for a in admins] == [member, second]
    a = admins[0]
    assert a["Arn"] == f"arn:aws:organizations::{MGMT}:account/{org['Id']}/{member}"
    assert (a["Name"], a["Status"], a["State"], a["JoinedMethod"]) == ("Member", "ACTIVE", "ACTIVE", "CREATED")
    assert isinstance(a["JoinedTimestamp"], _dt.datetime) and isinstance(a["DelegationEnabledDate"], _dt.datetime)
    only = orgs.list_delegated_administrators(ServicePrincipal=SSM)["DelegatedAdministrators"]
    assert [a["Id"] for a in only] == [member]
    with raises_aws("InvalidInputException", UNRECOGNIZED, 400):
        orgs.list_delegated_administrators(ServicePrincipal="moto.amazonaws.com")
    page = orgs.list_delegated_administrators(MaxResults=1)
    assert [a["Id"] for a in page["DelegatedAdministrators"]] == [member]
    assert [a["Id"] for a in orgs.list_delegated_administrators(NextToken=page["NextToken"])["DelegatedAdministrators"]] == [
        second
    ]

    orgs.register_delegated_administrator(AccountId=member, ServicePrincipal=GUARDDUTY)
    services = orgs.list_delegated_services_for_account(AccountId=member)["DelegatedServices"]
    assert [s["ServicePrincipal"] for s in services] == [SSM, GUARDDUTY]
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.list_delegated_services_for_account(AccountId="000000000000")
    with raises_aws("AccountNotRegisteredException", NOT_REGISTERED, 400):
        orgs.list_delegated_services_for_account(AccountId=MGMT)

    # A delegated administrator reads what AWS opens to it; a plain member does not.
    d_orgs = member_client(w, wd, member)
    assert [a["Id"] for a in d_orgs.list_delegated_administrators()["DelegatedAdministrators"]] == [member, second]
    assert len(d_orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]) == 2
    # A delegated administrator must be deregistered before it leaves the organization.
    with raises_aws("ConstraintViolationException", status=400) as e:
        orgs.remove_account_from_organization(AccountId=second)
    assert reason_of(e) == "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG"

    # Deregistering, with moto's recorded refusals.
    with raises_aws("ConstraintViolationException", MGMT_NOT_DELEGABLE, 400):
        orgs.deregister_delegated_administrator(AccountId=MGMT, ServicePrincipal=SSM)
    with raises_aws("AccountNotFoundException", NO_ACCOUNT, 400):
        orgs.deregister_delegated_administrator(AccountId="000000000000", ServicePrincipal=SSM)
    with raises_aws("InvalidInputException", UNRECOGNIZED, 400):
        orgs.deregister_delegated_administrator(AccountId=second, ServicePrincipal=SSM)
    orgs.deregister_delegated_administrator(AccountId=second, ServicePrincipal=GUARDDUTY)
    with raises_aws("AccountNotRegisteredException", NOT_REGISTERED, 400):
        orgs.deregister_delegated_administrator(AccountId=second, ServicePrincipal=GUARDDUTY)
    res = run_aws(
        w.url, "organizations", "deregister-delegated-administrator", "--account-id", second,
        "--service-principal", GUARDDUTY,
    )
    assert_cli_error(res, "AccountNotRegisteredException", "DeregisterDelegatedAdministrator", NOT_REGISTERED)
    orgs.remove_account_from_organization(AccountId=second)
    assert [a["Id"] for a in orgs.list_delegated_administrators()["DelegatedAdministrators"]] == [member]
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        member_client(w, wd, member).register_delegated_administrator(AccountId=member, ServicePrincipal=SSM)


def test_registering_needs_organizations_register_delegated_administrator(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, member = wd["orgs"], wd["member"]
    orgs.enable_aws_service_access(ServicePrincipal=SSM)
    iam = w.client("iam")
    user, creds = create_user_with_key(iam, unique("registrar"))
    u_orgs = make_client("organizations", w.url, creds)
    with raises_aws("AccessDeniedException", status=400) as e:
        u_orgs.register_delegated_administrator(AccountId=member, ServicePrincipal=SSM)
    assert e["message"].startswith(
        f"User: {user['Arn']} is not authorized to perform: organizations:RegisterDelegatedAdministrator"
    ), e["message"]
    assert orgs.list_delegated_administrators()["DelegatedAdministrators"] == []
    # Control: the same request once the action is granted.
    grant(iam, user["UserName"], ["organizations:RegisterDelegatedAdministrator"])
    u_orgs.register_delegated_administrator(AccountId=member, ServicePrincipal=SSM)
    assert [a["Id"] for a in orgs.list_delegated_administrators()["DelegatedAdministrators"]] == [member]


def test_the_resource_policy_is_put_described_replaced_and_deleted(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, member = wd["orgs"], wd["org"], wd["member"]
    with raises_aws("ResourcePolicyNotFoundException", NO_POLICY, 400):
        orgs.describe_resource_policy()
    with raises_aws("ResourcePolicyNotFoundException", NO_POLICY, 400):
        orgs.delete_resource_policy()
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadForMembers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
                    "Action": ["organizations:DescribeOrganization", "organizations:ListAccounts"],
                    "Resource": "*",
                }
            ],
        }
    )
    put = orgs.put_resource_policy(Content=doc, Tags=[{"Key": "k", "Value": "v"}])["ResourcePolicy"]
    rp = put["ResourcePolicySummary"]
    assert re.fullmatch(r"rp-[0-9a-zA-Z_]{4,128}", rp["Id"]), rp
    assert rp["Arn"] == f"arn:aws:organizations::{MGMT}:resourcepolicy/{org['Id']}/{rp['Id']}"
    assert put["Content"] == doc
    assert orgs.describe_resource_policy()["ResourcePolicy"] == put
    assert orgs.list_tags_for_resource(ResourceId=rp["Id"])["Tags"] == [{"Key": "k", "Value": "v"}]
    # Replacing keeps the id.
    doc2 = doc.replace("ReadForMembers", "Read")
    res = run_aws(w.url, "organizations", "put-resource-policy", "--content", doc2)
    assert res.returncode == 0, res.stderr
    assert res.json["ResourcePolicy"]["ResourcePolicySummary"] == rp
    assert orgs.describe_resource_policy()["ResourcePolicy"]["Content"] == doc2
    # Malformed documents and a resource policy without a principal are refused; nothing changes.
    for bad in ("{not json", json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})):
        with raises_aws("MalformedPolicyDocumentException", status=400):
            orgs.put_resource_policy(Content=bad)
    assert orgs.describe_resource_policy()["ResourcePolicy"]["Content"] == doc2
    # Management account only (a member that is no delegated administrator may not read it).
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        member_client(w, wd, member).describe_resource_policy()
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        member_client(w, wd, member).put_resource_policy(Content=doc)

    w.restart()
    assert orgs.describe_resource_policy()["ResourcePolicy"]["ResourcePolicySummary"] == rp
    assert orgs.delete_resource_policy()["ResponseMetadata"]["HTTPStatusCode"] == 200
    with raises_aws("ResourcePolicyNotFoundException", NO_POLICY, 400):
        orgs.describe_resource_policy()
    res = run_aws(w.url, "organizations", "describe-resource-policy")
    assert_cli_error(res, "ResourcePolicyNotFoundException", "DescribeResourcePolicy", NO_POLICY)
    with raises_aws("TargetNotFoundException", status=400):
        orgs.list_tags_for_resource(ResourceId=rp["Id"])


def test_service_access_and_delegated_administrators_survive_a_restart(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    wd = new_organization(w)
    orgs, member = wd["orgs"], wd["member"]
    orgs.enable_aws_service_access(ServicePrincipal=SSM)
    orgs.enable_aws_service_access(ServicePrincipal=GUARDDUTY)
    orgs.register_delegated_administrator(AccountId=member, ServicePrincipal=SSM)
    orgs.put_resource_policy(
        Content=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
                        "Action": "organizations:DescribeOrganization",
                        "Resource": "*",
                    }
                ],
            }
        )
    )
    access = orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    admins = orgs.list_delegated_administrators()["DelegatedAdministrators"]
    policy = orgs.describe_resource_policy()["ResourcePolicy"]
    w.restart()
    assert orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == access
    assert orgs.list_delegated_administrators()["DelegatedAdministrators"] == admins
    assert orgs.describe_resource_policy()["ResourcePolicy"] == policy
    # Deleting the organization deletes them too: deregister, remove, delete, and nothing is left.
    orgs.deregister_delegated_administrator(AccountId=member, ServicePrincipal=SSM)
    orgs.remove_account_from_organization(AccountId=member)
    orgs.delete_organization()
    w.restart()
    orgs.create_organization(FeatureSet="ALL")
    assert orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []
    assert orgs.list_delegated_administrators()["DelegatedAdministrators"] == []
    with raises_aws("ResourcePolicyNotFoundException", NO_POLICY, 400):
        orgs.describe_resource_policy()


def test_the_resource_policy_grants_members_the_read_calls_it_names_and_never_writes(warden_factory):
    """The organization's resource policy delegates read-only Organizations calls to member
    accounts (Organizations User Guide, "Delegated administrator for AWS Organizations": a
    resource-based delegation policy). Warden grants the Describe*/List* calls the policy allows the
    calling principal, and never a write, whatever the policy says."""
    w = warden_factory()
    wd = new_organization(w)
    orgs, member, root = wd["orgs"], wd["member"], wd["root"]["Id"]
    m_orgs = member_client(w, wd, member)
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        m_orgs.list_accounts()

    def put(*statements):
        orgs.put_resource_policy(Content=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))

    reader = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
        "Action": ["organizations:ListAccounts", "organizations:ListRoots"],
        "Resource": "*",
    }
    put(reader)
    assert {a["Id"] for a in m_orgs.list_accounts()["Accounts"]} == {MGMT, member}
    assert m_orgs.list_roots()["Roots"][0]["Id"] == root
    # Calls the policy does not name stay refused.
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        m_orgs.list_organizational_units_for_parent(ParentId=root)
    # A principal of another account is not granted what names this one.
    other = orgs.create_account(Email=f"{unique('o')}@example.com", AccountName="Other")["CreateAccountStatus"][
        "AccountId"
    ]
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        member_client(w, wd, other).list_accounts()
    # Even "organizations:*" grants no write.
    put({**reader, "Action": "organizations:*"})
    m_orgs.list_organizational_units_for_parent(ParentId=root)
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        m_orgs.create_organizational_unit(ParentId=root, Name="Nope")
    # A Deny in the policy wins.
    put(
        {**reader, "Action": "organizations:*"},
        {
            "Effect": "Deny",
            "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
            "Action": "organizations:ListAccounts",
            "Resource": "*",
        },
    )
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        m_orgs.list_accounts()
    m_orgs.list_roots()
    # The member's own policies still decide first: a member user without permissions is refused
    # by its identity policies before the resource policy is read.
    m_iam = member_client(w, wd, member, "iam")
    user, key = create_user_with_key(m_iam, unique("plain"))
    with raises_aws("AccessDeniedException", status=400) as e:
        make_client("organizations", w.url, key).list_roots()
    assert "organizations:ListRoots" in e["message"] and "identity-based policy" in e["message"], e["message"]
    # Deleting the policy ends the grant.
    orgs.delete_resource_policy()
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        m_orgs.list_roots()
