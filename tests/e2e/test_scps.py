"""Service control policies: the Organizations policy calls, and SCPs enforced on member accounts.

Each test starts its own warden (enabling SCPs changes every member's permissions).

Sources of the expected answers (AWS, not warden):
* botocore's Organizations model: shapes (Root, PolicySummary, Policy, PolicyTargetSummary), the
  errors each operation may raise, the id patterns (r-..., p-...), and the exception texts its
  documentation gives: PolicyNotFoundException "We can't find a policy with the PolicyId that you
  specified.", PolicyInUseException "The policy is attached to one or more entities. You must
  detach it from all roots, OUs, and accounts before performing this operation.",
  DuplicatePolicyException "A policy with the same name already exists.",
  DuplicatePolicyAttachmentException "The selected policy is already attached to the specified
  target.", PolicyNotAttachedException "The policy isn't attached to the specified target in the
  specified root.", RootNotFoundException "We can't find a root with the RootId that you
  specified.", TargetNotFoundException, the ConstraintViolationException reason
  MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED and the InvalidInputException reason IMMUTABLE_POLICY.
* Organizations User Guide, orgs_manage_policies_scps and orgs_manage_policies_scps_attach: when
  SCPs are enabled, FullAWSAccess (p-FullAWSAccess, AWS managed) is attached to the root and every
  account; every entity must keep at least one SCP; SCPs don't affect the management account; an
  action is allowed only if every level from the root to the account allows it.
* IAM User Guide, troubleshoot_access-denied: "... with an explicit deny in a service control
  policy" and "... because no service control policy allows the ACTION action".
"""

from __future__ import annotations

import json
import re

from e2e_util import (
    ACCOUNT_ID,
    assert_cli_error,
    create_user_with_key,
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
ROOT_ID_RE = re.compile(r"^r-[0-9a-z]{4,32}$")
POLICY_ID_RE = re.compile(r"^p-[0-9a-zA-Z_]{8,128}$")
NO_PERMS = "You don't have permissions to access this resource."


doc = policy_doc


DENY_CREATE_USER = doc({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"})
ONLY_STS = doc({"Effect": "Allow", "Action": "sts:*", "Resource": "*"})


def scp_denial(caller_arn: str, action: str, tail: str, message: str) -> None:
    prefix = f"User: {caller_arn} is not authorized to perform: {action} on resource: "
    assert message.startswith(prefix), message
    assert message.endswith(tail), message


# --------------------------------------------------------------------------------------
# The policy calls
# --------------------------------------------------------------------------------------


def test_roots_and_enabling_scps(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, root, member = wd["orgs"], wd["org"], wd["root"], wd["member"]
    assert ROOT_ID_RE.match(root["Id"]), root
    assert root["Arn"] == f"arn:aws:organizations::{MGMT}:root/{org['Id']}/{root['Id']}"
    assert root["Name"] == "Root"
    assert root["PolicyTypes"] == []

    with raises_aws("RootNotFoundException", "We can't find a root with the RootId that you specified.", 400):
        orgs.enable_policy_type(RootId="r-zzzz", PolicyType=SCP)
    enabled = orgs.enable_policy_type(RootId=root["Id"], PolicyType=SCP)["Root"]
    assert enabled["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    assert orgs.list_roots()["Roots"][0]["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    with raises_aws("PolicyTypeAlreadyEnabledException", status=400):
        orgs.enable_policy_type(RootId=root["Id"], PolicyType=SCP)

    # FullAWSAccess is attached to the root and to every account.
    targets = orgs.list_targets_for_policy(PolicyId=FULL)["Targets"]
    by_id = {t["TargetId"]: t for t in targets}
    assert set(by_id) == {root["Id"], MGMT, member}, targets
    assert by_id[root["Id"]]["Type"] == "ROOT"
    assert by_id[member]["Type"] == "ACCOUNT" and by_id[member]["Name"] == "Member"
    assert by_id[member]["Arn"] == f"arn:aws:organizations::{MGMT}:account/{org['Id']}/{member}"
    for target in (root["Id"], member):
        attached = orgs.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]
        assert [(p["Id"], p["Name"], p["AwsManaged"]) for p in attached] == [(FULL, "FullAWSAccess", True)]

    # An account created afterwards gets it too.
    st = orgs.create_account(Email=f"{unique('late')}@example.com", AccountName="Late")["CreateAccountStatus"]
    late = orgs.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]["AccountId"]
    assert [p["Id"] for p in orgs.list_policies_for_target(TargetId=late, Filter=SCP)["Policies"]] == [FULL]

    # Disabling detaches every SCP.
    disabled = orgs.disable_policy_type(RootId=root["Id"], PolicyType=SCP)["Root"]
    assert disabled["PolicyTypes"] == []
    assert orgs.list_targets_for_policy(PolicyId=FULL)["Targets"] == []
    with raises_aws("PolicyTypeNotEnabledException", status=400):
        orgs.disable_policy_type(RootId=root["Id"], PolicyType=SCP)


def test_policy_lifecycle_and_errors(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, root, member = wd["orgs"], wd["org"], wd["root"], wd["member"]

    # Creating needs no enabled type; attaching does.
    created = orgs.create_policy(
        Content=DENY_CREATE_USER, Description="no new users", Name="NoUsers", Type=SCP
    )["Policy"]
    summary = created["PolicySummary"]
    pid = summary["Id"]
    assert POLICY_ID_RE.match(pid), pid
    assert summary["Arn"] == f"arn:aws:organizations::{MGMT}:policy/{org['Id']}/service_control_policy/{pid}"
    assert (summary["Name"], summary["Description"], summary["Type"], summary["AwsManaged"]) == (
        "NoUsers",
        "no new users",
        SCP,
        False,
    )
    assert json.loads(created["Content"]) == json.loads(DENY_CREATE_USER)
    with raises_aws("PolicyTypeNotEnabledException", status=400):
        orgs.attach_policy(PolicyId=pid, TargetId=member)
    orgs.enable_policy_type(RootId=root["Id"], PolicyType=SCP)

    with raises_aws("DuplicatePolicyException", "A policy with the same name already exists.", 400):
        orgs.create_policy(Content=DENY_CREATE_USER, Description="", Name="NoUsers", Type=SCP)
    with raises_aws("MalformedPolicyDocumentException", status=400):
        orgs.create_policy(Content='{"Version": "2012-10-17", "Statement": [', Description="", Name="Bad", Type=SCP)
    # SCPs may not name principals (Organizations User Guide, SCP syntax).
    with raises_aws("MalformedPolicyDocumentException", status=400):
        orgs.create_policy(
            Content=doc({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}),
            Description="",
            Name="WithPrincipal",
            Type=SCP,
        )
    names = [p["Name"] for p in orgs.list_policies(Filter=SCP)["Policies"]]
    assert sorted(names) == ["FullAWSAccess", "NoUsers"], names

    described = orgs.describe_policy(PolicyId=pid)["Policy"]
    assert described["PolicySummary"] == summary
    full = orgs.describe_policy(PolicyId=FULL)["Policy"]
    assert full["PolicySummary"]["AwsManaged"] is True
    assert json.loads(full["Content"])["Statement"][0]["Action"] == "*"
    missing = "We can't find a policy with the PolicyId that you specified."
    with raises_aws("PolicyNotFoundException", missing, 400):
        orgs.describe_policy(PolicyId="p-00000000")

    updated = orgs.update_policy(PolicyId=pid, Name="NoNewUsers", Description="renamed")["Policy"]
    assert (updated["PolicySummary"]["Name"], updated["PolicySummary"]["Description"]) == ("NoNewUsers", "renamed")
    assert json.loads(updated["Content"]) == json.loads(DENY_CREATE_USER), "content kept"
    with raises_aws("InvalidInputException", status=400) as e:
        orgs.update_policy(PolicyId=FULL, Name="Mine")
    assert e["error"].response.get("Reason") == "IMMUTABLE_POLICY", e["error"].response

    orgs.attach_policy(PolicyId=pid, TargetId=member)
    with raises_aws(
        "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.", 400
    ):
        orgs.attach_policy(PolicyId=pid, TargetId=member)
    with raises_aws("TargetNotFoundException", status=400):
        orgs.attach_policy(PolicyId=pid, TargetId="999999999999")
    with raises_aws("PolicyNotFoundException", missing, 400):
        orgs.attach_policy(PolicyId="p-00000000", TargetId=member)
    with raises_aws(
        "PolicyInUseException",
        "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts "
        "before performing this operation.",
        400,
    ):
        orgs.delete_policy(PolicyId=pid)
    assert {p["Id"] for p in orgs.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]} == {FULL, pid}
    assert [t["TargetId"] for t in orgs.list_targets_for_policy(PolicyId=pid)["Targets"]] == [member]

    orgs.detach_policy(PolicyId=pid, TargetId=member)
    with raises_aws(
        "PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.", 400
    ):
        orgs.detach_policy(PolicyId=pid, TargetId=member)
    # Every target keeps at least one SCP.
    with raises_aws("ConstraintViolationException", status=400) as e:
        orgs.detach_policy(PolicyId=FULL, TargetId=member)
    assert e["error"].response.get("Reason") == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED", e["error"].response
    assert [p["Id"] for p in orgs.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]] == [FULL]

    orgs.delete_policy(PolicyId=pid)
    with raises_aws("PolicyNotFoundException", missing, 400):
        orgs.describe_policy(PolicyId=pid)


def test_only_the_management_account_manages_scps(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    creds, _ = member_session(w, wd)
    m_orgs = make_client("organizations", w.url, creds)
    with raises_aws("AccessDeniedException", NO_PERMS):
        m_orgs.list_policies(Filter=SCP)
    with raises_aws("AccessDeniedException", NO_PERMS):
        m_orgs.create_policy(Content=DENY_CREATE_USER, Description="", Name="Mine", Type=SCP)
    with raises_aws("AccessDeniedException", NO_PERMS):
        m_orgs.list_roots()
    # A standalone account has no organization.
    other = warden_factory()
    with raises_aws("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", 400):
        other.client("organizations").list_roots()


# --------------------------------------------------------------------------------------
# Enforcement
# --------------------------------------------------------------------------------------


def test_scps_limit_member_accounts_and_not_the_management_account(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"], wd["member"]
    creds, caller = member_session(w, wd)
    m_iam = make_client("iam", w.url, creds)
    m_iam.create_user(UserName=unique("before"))

    orgs.enable_policy_type(RootId=root["Id"], PolicyType=SCP)
    # FullAWSAccess everywhere: nothing changes.
    m_iam.create_user(UserName=unique("enabled"))

    pid = orgs.create_policy(Content=DENY_CREATE_USER, Description="", Name="NoUsers", Type=SCP)["Policy"][
        "PolicySummary"
    ]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=member)
    with raises_aws("AccessDenied", status=403) as e:
        m_iam.create_user(UserName=unique("denied"))
    scp_denial(caller, "iam:CreateUser", " with an explicit deny in a service control policy", e["message"])
    # Other actions still work, and the management account is never limited by SCPs.
    assert m_iam.list_users()["Users"] is not None
    mgmt_iam = w.client("iam")
    mgmt_iam.create_user(UserName=unique("mgmt"))
    admin_creds = wd["admin_creds"]
    make_client("iam", w.url, admin_creds).create_user(UserName=unique("mgmt-admin"))

    # The very next request sees a detach; a root-level attach reaches every member.
    orgs.detach_policy(PolicyId=pid, TargetId=member)
    m_iam.create_user(UserName=unique("detached"))
    orgs.attach_policy(PolicyId=pid, TargetId=root["Id"])
    with raises_aws("AccessDenied", status=403):
        m_iam.create_user(UserName=unique("root-level"))
    make_client("iam", w.url, admin_creds).create_user(UserName=unique("mgmt-again"))
    orgs.detach_policy(PolicyId=pid, TargetId=root["Id"])
    m_iam.create_user(UserName=unique("free-again"))


def test_an_allow_list_scp_denies_what_it_does_not_allow(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"], wd["member"]
    creds, caller = member_session(w, wd)
    orgs.enable_policy_type(RootId=root["Id"], PolicyType=SCP)
    pid = orgs.create_policy(Content=ONLY_STS, Description="", Name="OnlySts", Type=SCP)["Policy"]["PolicySummary"][
        "Id"
    ]
    orgs.attach_policy(PolicyId=pid, TargetId=member)
    orgs.detach_policy(PolicyId=FULL, TargetId=member)

    m_iam = make_client("iam", w.url, creds)
    with raises_aws("AccessDenied", status=403) as e:
        m_iam.list_users()
    scp_denial(caller, "iam:ListUsers", " because no service control policy allows the iam:ListUsers action", e["message"])
    # What the SCP allows still works: STS calls, e.g. chaining into the same role.
    make_client("sts", w.url, creds).get_caller_identity()

    # Updating the SCP's content takes effect on the next request.
    orgs.update_policy(PolicyId=pid, Content=doc({"Effect": "Allow", "Action": ["sts:*", "iam:List*"], "Resource": "*"}))
    m_iam.list_users()
    with raises_aws("AccessDenied", status=403):
        m_iam.create_user(UserName=unique("still-no"))


def test_the_policy_simulator_includes_scps(warden_factory):
    """SimulatePrincipalPolicy reports OrganizationsDecisionDetail for principals of an organization's
    accounts (IAM API reference, EvaluationResult), and the SCPs take part in EvalDecision."""
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"], wd["member"]
    orgs.enable_policy_type(RootId=root["Id"], PolicyType=SCP)
    pid = orgs.create_policy(Content=DENY_CREATE_USER, Description="", Name="NoUsers", Type=SCP)["Policy"][
        "PolicySummary"
    ]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=member)
    creds, _ = member_session(w, wd)
    m_iam = make_client("iam", w.url, creds)
    results = m_iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{member}:role/{OAAR}", ActionNames=["iam:CreateUser", "iam:ListUsers"]
    )["EvaluationResults"]
    by_action = {r["EvalActionName"]: r for r in results}
    denied, allowed = by_action["iam:CreateUser"], by_action["iam:ListUsers"]
    assert denied["EvalDecision"] == "explicitDeny", denied
    assert denied["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}, denied
    assert allowed["EvalDecision"] == "allowed", allowed
    assert allowed["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}, allowed
    # Matched statements name only IAM policies (SourcePolicyType has no SCP value).
    for r in results:
        for st in r["MatchedStatements"]:
            assert st["SourcePolicyType"] in {"user", "group", "role", "aws-managed", "user-managed", "IAM Policy"}, st

    # An allow-list SCP: what it does not list is an implicit deny.
    sim_only = doc({"Effect": "Allow", "Action": ["sts:*", "iam:SimulatePrincipalPolicy"], "Resource": "*"})
    only = orgs.create_policy(Content=sim_only, Description="", Name="SimOnly", Type=SCP)["Policy"]["PolicySummary"][
        "Id"
    ]
    orgs.attach_policy(PolicyId=only, TargetId=member)
    orgs.detach_policy(PolicyId=FULL, TargetId=member)
    orgs.detach_policy(PolicyId=pid, TargetId=member)
    r = m_iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{member}:role/{OAAR}", ActionNames=["iam:ListUsers"]
    )["EvaluationResults"][0]
    assert r["EvalDecision"] == "implicitDeny", r
    assert r["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}, r

    # A standalone account is in no organization: no detail.
    other = warden_factory()
    iam = other.client("iam")
    user, _ = create_user_with_key(iam)
    r = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["iam:ListUsers"])[
        "EvaluationResults"
    ][0]
    assert r["EvalDecision"] == "implicitDeny", r
    assert "OrganizationsDecisionDetail" not in r, r


def test_scps_survive_a_restart(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"], wd["member"]
    orgs.enable_policy_type(RootId=root["Id"], PolicyType=SCP)
    pid = orgs.create_policy(Content=DENY_CREATE_USER, Description="d", Name="NoUsers", Type=SCP)["Policy"][
        "PolicySummary"
    ]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=member)
    w.restart()
    orgs = w.client("organizations")
    assert orgs.list_roots()["Roots"][0]["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    assert {p["Id"] for p in orgs.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]} == {FULL, pid}
    creds, caller = member_session(w, wd)
    with raises_aws("AccessDenied", status=403) as e:
        make_client("iam", w.url, creds).create_user(UserName=unique("after-restart"))
    scp_denial(caller, "iam:CreateUser", " with an explicit deny in a service control policy", e["message"])


def test_scps_with_the_aws_cli(warden_factory, tmp_path):
    w = warden_factory()
    wd = new_organization(w)
    root, member = wd["root"], wd["member"]
    rc, out, err = run_aws(w.url, "organizations", "list-roots")
    assert rc == 0, err
    assert out["Roots"][0]["Id"] == root["Id"]
    rc, out, err = run_aws(
        w.url, "organizations", "enable-policy-type", "--root-id", root["Id"], "--policy-type", SCP
    )
    assert rc == 0, err
    path = tmp_path / "scp.json"
    path.write_text(DENY_CREATE_USER)
    rc, out, err = run_aws(
        w.url,
        "organizations",
        "create-policy",
        "--name",
        "NoUsers",
        "--description",
        "from the CLI",
        "--type",
        SCP,
        "--content",
        f"file://{path}",
    )
    assert rc == 0, err
    pid = out["Policy"]["PolicySummary"]["Id"]
    rc, out, err = run_aws(w.url, "organizations", "attach-policy", "--policy-id", pid, "--target-id", member)
    assert rc == 0, err
    rc, out, err = run_aws(
        w.url, "organizations", "list-policies-for-target", "--target-id", member, "--filter", SCP
    )
    assert rc == 0, err
    assert {p["Id"] for p in out["Policies"]} == {FULL, pid}

    creds, caller = member_session(w, wd, "cli")
    res = run_aws(w.url, "iam", "create-user", "--user-name", unique("cli"), creds=creds)
    assert_cli_error(res, "AccessDenied", "CreateUser")
    assert "with an explicit deny in a service control policy" in res.stderr, res.stderr
    assert caller in res.stderr

    res = run_aws(w.url, "organizations", "delete-policy", "--policy-id", pid)
    assert_cli_error(res, "PolicyInUseException", "DeletePolicy")
