"""Resource control policies: the RESOURCE_CONTROL_POLICY type of the Organizations policy calls, and
RCPs enforced on STS requests to roles of member accounts.

Each test starts its own warden.

Sources of the expected answers (AWS, not warden):
* Organizations User Guide, orgs_manage_policies_rcps: enabling RCPs attaches the AWS managed
  RCPFullAWSAccess to the root, every OU and every account; RCPs restrict the permissions of
  resources in member accounts, whoever the principal is; they don't apply to resources in the
  management account nor to service-linked roles; supported services include AWS STS (IAM is not
  among them).
* orgs_manage_policies_rcps_syntax: an RCP statement must have "Principal": "*" and custom RCPs
  may only use "Effect": "Deny".
* botocore's Organizations model: the PolicyType enum, PolicyTypeNotEnabledException,
  MalformedPolicyDocumentException, the IMMUTABLE_POLICY reason.
"""

from __future__ import annotations

import json

from e2e_util import (
    ACCOUNT_ID,
    make_client,
    member_session,
    new_organization,
    policy_doc,
    raises_aws,
    run_aws,
    unique,
)

MGMT = ACCOUNT_ID
RCP = "RESOURCE_CONTROL_POLICY"
SCP = "SERVICE_CONTROL_POLICY"
RCP_FULL = "p-RCPFullAWSAccess"
TRUST_MGMT = policy_doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"})
DENY_MGMT_ASSUME = policy_doc(
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sts:AssumeRole",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": MGMT}},
    }
)


def setup(w) -> dict:
    """An organization whose member has a role the management account may assume."""
    wd = new_organization(w)
    creds, _ = member_session(w, wd)
    m_iam = make_client("iam", w.url, creds)
    role = m_iam.create_role(RoleName=unique("shared"), AssumeRolePolicyDocument=TRUST_MGMT)["Role"]
    wd.update(member_creds=creds, m_iam=m_iam, role=role, admin_sts=make_client("sts", w.url, wd["admin_creds"]))
    return wd


def assume(wd: dict, role_arn: str | None = None):
    return wd["admin_sts"].assume_role(RoleArn=role_arn or wd["role"]["Arn"], RoleSessionName="rcp-test")


def test_enabling_rcps_and_the_managed_policy(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"]["Id"], wd["member"]
    enabled = orgs.enable_policy_type(RootId=root, PolicyType=RCP)["Root"]
    assert enabled["PolicyTypes"] == [{"Type": RCP, "Status": "ENABLED"}]
    listed = orgs.list_policies(Filter=RCP)["Policies"]
    assert [(p["Id"], p["Name"], p["Type"], p["AwsManaged"]) for p in listed] == [
        (RCP_FULL, "RCPFullAWSAccess", RCP, True)
    ]
    assert listed[0]["Arn"] == f"arn:aws:organizations::aws:policy/resource_control_policy/{RCP_FULL}"
    full = json.loads(orgs.describe_policy(PolicyId=RCP_FULL)["Policy"]["Content"])
    assert full["Statement"][0]["Principal"] == "*" and full["Statement"][0]["Effect"] == "Allow"
    targets = {t["TargetId"] for t in orgs.list_targets_for_policy(PolicyId=RCP_FULL)["Targets"]}
    assert targets == {root, MGMT, member}
    with raises_aws("InvalidInputException", status=400) as e:
        orgs.delete_policy(PolicyId=RCP_FULL)
    assert e["error"].response.get("Reason") == "IMMUTABLE_POLICY", e["error"].response

    # SCPs are a separate type: enabling one leaves the other's attachments alone.
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    types = {t["Type"] for t in orgs.list_roots()["Roots"][0]["PolicyTypes"]}
    assert types == {RCP, SCP}
    assert [p["Id"] for p in orgs.list_policies_for_target(TargetId=member, Filter=RCP)["Policies"]] == [RCP_FULL]
    assert [p["Id"] for p in orgs.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]] == [
        "p-FullAWSAccess"
    ]
    orgs.disable_policy_type(RootId=root, PolicyType=RCP)
    assert orgs.list_policies_for_target(TargetId=member, Filter=RCP)["Policies"] == []
    assert [p["Id"] for p in orgs.list_policies_for_target(TargetId=member, Filter=SCP)["Policies"]] == [
        "p-FullAWSAccess"
    ]


def test_rcp_syntax_is_checked(warden_factory):
    w = warden_factory()
    orgs = new_organization(w)["orgs"]
    # Custom RCPs may only deny, and must name Principal "*".
    allow = policy_doc({"Effect": "Allow", "Principal": "*", "Action": "sts:*", "Resource": "*"})
    no_principal = policy_doc({"Effect": "Deny", "Action": "sts:*", "Resource": "*"})
    for content in (allow, no_principal):
        with raises_aws("MalformedPolicyDocumentException", status=400):
            orgs.create_policy(Content=content, Description="", Name=unique("bad"), Type=RCP)
    created = orgs.create_policy(Content=DENY_MGMT_ASSUME, Description="d", Name="NoMgmt", Type=RCP)["Policy"]
    summary = created["PolicySummary"]
    assert summary["Type"] == RCP and summary["AwsManaged"] is False
    assert "/resource_control_policy/" in summary["Arn"], summary
    # An RCP's content is not a valid SCP and the reverse: each type keeps its own rules.
    with raises_aws("MalformedPolicyDocumentException", status=400):
        orgs.create_policy(Content=DENY_MGMT_ASSUME, Description="", Name="AsScp", Type=SCP)
    names = [p["Name"] for p in orgs.list_policies(Filter=RCP)["Policies"]]
    assert names == ["RCPFullAWSAccess", "NoMgmt"]
    assert [p["Name"] for p in orgs.list_policies(Filter=SCP)["Policies"]] == ["FullAWSAccess"]


def test_rcps_limit_sts_on_member_roles(warden_factory):
    w = warden_factory()
    wd = setup(w)
    orgs, root, member = wd["orgs"], wd["root"]["Id"], wd["member"]
    assume(wd)
    pid = orgs.create_policy(Content=DENY_MGMT_ASSUME, Description="", Name="NoMgmt", Type=RCP)["Policy"][
        "PolicySummary"
    ]["Id"]
    with raises_aws("PolicyTypeNotEnabledException", status=400):
        orgs.attach_policy(PolicyId=pid, TargetId=member)
    orgs.enable_policy_type(RootId=root, PolicyType=RCP)
    assume(wd)  # RCPFullAWSAccess everywhere: nothing changed

    orgs.attach_policy(PolicyId=pid, TargetId=member)
    with raises_aws("AccessDenied", status=403) as e:
        assume(wd)
    # STS answers AssumeRole denials without naming the policy type (issue 5's text).
    assert e["message"].startswith(f"User: arn:aws:iam::{MGMT}:user/"), e["message"]
    assert e["message"].endswith(f" is not authorized to perform: sts:AssumeRole on resource: {wd['role']['Arn']}")
    # IAM is not an RCP service: the member's IAM calls go on.
    wd["m_iam"].create_user(UserName=unique("iam-still-works"))

    # At the root it reaches every member's roles, but never the management account's own.
    orgs.detach_policy(PolicyId=pid, TargetId=member)
    assume(wd)
    orgs.attach_policy(PolicyId=pid, TargetId=root)
    with raises_aws("AccessDenied", status=403):
        assume(wd)
    iam = w.client("iam")
    own = iam.create_role(RoleName=unique("own"), AssumeRolePolicyDocument=TRUST_MGMT)["Role"]
    assume(wd, own["Arn"])

    # A restart keeps it; detaching lifts it on the next request.
    w.restart()
    wd["admin_sts"] = make_client("sts", w.url, wd["admin_creds"])
    with raises_aws("AccessDenied", status=403):
        assume(wd)
    w.client("organizations").detach_policy(PolicyId=pid, TargetId=root)
    assume(wd)


def test_rcps_with_the_aws_cli(warden_factory, tmp_path):
    w = warden_factory()
    wd = setup(w)
    root, member = wd["root"]["Id"], wd["member"]
    rc, _, err = run_aws(w.url, "organizations", "enable-policy-type", "--root-id", root, "--policy-type", RCP)
    assert rc == 0, err
    path = tmp_path / "rcp.json"
    path.write_text(DENY_MGMT_ASSUME)
    rc, out, err = run_aws(
        w.url, "organizations", "create-policy", "--name", "NoMgmt", "--description", "cli", "--type", RCP,
        "--content", f"file://{path}",
    )
    assert rc == 0, err
    pid = out["Policy"]["PolicySummary"]["Id"]
    rc, _, err = run_aws(w.url, "organizations", "attach-policy", "--policy-id", pid, "--target-id", member)
    assert rc == 0, err
    res = run_aws(
        w.url, "sts", "assume-role", "--role-arn", wd["role"]["Arn"], "--role-session-name", "cli",
        creds=wd["admin_creds"],
    )
    assert res.returncode != 0
    assert "(AccessDenied)" in res.stderr, res.stderr
    assert f"is not authorized to perform: sts:AssumeRole on resource: {wd['role']['Arn']}" in res.stderr
