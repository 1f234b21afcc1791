"""Organizations' management policy types (tag, backup, AI services opt-out, chat applications,
declarative and the rest of the model's PolicyType enum) and their effective policies.

Sources of the expected answers (AWS, not warden):
* moto's tests written against AWS, tests/test_organizations/test_organizations.py:
  test_enable_policy_type / test_enable_policy_type_errors / test_disable_policy_type (a management
  type enables with Status ENABLED; an unknown type is InvalidInputException "You specified an
  invalid value."), test_aiservices_opt_out_policy and test_tag_policy (the documents, the ARN
  formats .../aiservices_opt_out_policy/p-... and .../tag_policy/p-..., AwsManaged False, the
  content returned as given, ListPoliciesForTarget after attaching to the root).
* botocore's Organizations model: the PolicyType and EffectivePolicyType enums, the shapes of
  EffectivePolicy, ListAccountsWithInvalidEffectivePolicy and ListEffectivePolicyValidationErrors,
  the reasons POLICY_CONTENT_LIMIT_EXCEEDED, MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED,
  TARGET_NOT_SUPPORTED ("You can't perform the specified operation on that target entity.") and
  INVALID_ENUM, and DescribeEffectivePolicy's rule that only management types have one.
* Organizations User Guide: "Inheritance operators" and "Inheritance examples" (the effective
  policy drops the operators; @@append adds to the inherited values), "Tag policy syntax",
  "AI services opt-out policy syntax" and the quotas page (AI services opt-out policies: 2,500
  characters; tag policies 10,000; 5 AI opt-out policies per target).
* Warden's own wording, where no recording exists: EffectivePolicyNotFoundException's message
  (EFFECTIVE_NOT_FOUND below).
"""

from __future__ import annotations

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
    policy_doc,
    raises_aws,
    run_aws,
    unique,
)

MGMT = ACCOUNT_ID
TAG = "TAG_POLICY"
AI = "AISERVICES_OPT_OUT_POLICY"
MANAGEMENT_TYPES = [
    "TAG_POLICY", "BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY", "CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2",
    "SECURITYHUB_POLICY", "SECURITYHUB_CSPM_POLICY", "INSPECTOR_POLICY", "UPGRADE_ROLLOUT_POLICY",
    "BEDROCK_POLICY", "S3_POLICY", "NETWORK_SECURITY_DIRECTOR_POLICY", "GUARDDUTY_POLICY",
]
POLICY_ID_RE = re.compile(r"^p-[0-9a-zA-Z_]{8,128}$")
NO_PERMS = "You don't have permissions to access this resource."
MALFORMED = "The provided policy document doesn't meet the requirements of the specified policy type."
INVALID_VALUE = "You specified an invalid value."
TOO_LARGE = "You attempted to create a policy that is larger than the maximum size."
NOT_ENABLED = (
    "The specified policy type isn't currently enabled in this root. You can't attach policies of the "
    "specified type to entities in a root until you enable that type in the root."
)
EFFECTIVE_NOT_FOUND = "The account doesn't have an effective policy of the specified type."

# moto's test_tag_policy and test_aiservices_opt_out_policy documents.
MOTO_TAG_POLICY = {
    "tags": {
        "CostCenter": {
            "tag_key": {"@@assign": "CostCenter"},
            "tag_value": {"@@assign": ["100", "200", "300"]},
            "enforced_for": {"@@assign": ["ec2:instance", "s3:bucket"]},
        }
    }
}
MOTO_AI_POLICY = {
    "services": {
        "@@operators_allowed_for_child_policies": ["@@none"],
        "default": {
            "@@operators_allowed_for_child_policies": ["@@none"],
            "opt_out_policy": {"@@operators_allowed_for_child_policies": ["@@none"], "@@assign": "optOut"},
        },
    }
}
# The User Guide's "Inheritance examples": policy A on the root, policy C (@@append) below it.
POLICY_A = {
    "tags": {
        "costcenter": {
            "tag_key": {"@@assign": "CostCenter"},
            "tag_value": {"@@assign": ["Development", "Support"]},
        }
    }
}
POLICY_C = {"tags": {"costcenter": {"tag_value": {"@@append": ["Marketing"]}}}}


def create(orgs, ptype: str, content: dict | str, name: str | None = None) -> dict:
    text = content if isinstance(content, str) else json.dumps(content)
    return orgs.create_policy(
        Content=text, Description="d", Name=name or unique("p"), Type=ptype
    )["Policy"]


def member_orgs(w, wd: dict):
    sts = make_client("sts", w.url, wd["admin_creds"])
    r = sts.assume_role(
        RoleArn=f"arn:aws:iam::{wd['member']}:role/OrganizationAccountAccessRole", RoleSessionName="admin"
    )
    return make_client("organizations", w.url, creds_of(r))


def test_every_management_type_enables_without_an_aws_managed_policy(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root = wd["orgs"], wd["root"]["Id"]
    for t in MANAGEMENT_TYPES:
        got = orgs.enable_policy_type(RootId=root, PolicyType=t)["Root"]
        assert {"Type": t, "Status": "ENABLED"} in got["PolicyTypes"], got
        # Unlike SCPs and RCPs, no AWS managed policy comes with the type, and none is attached.
        assert orgs.list_policies(Filter=t)["Policies"] == []
        assert orgs.list_policies_for_target(TargetId=wd["member"], Filter=t)["Policies"] == []
    listed = {p["Type"] for p in orgs.list_roots()["Roots"][0]["PolicyTypes"]}
    assert listed == set(MANAGEMENT_TYPES)
    with raises_aws("PolicyTypeAlreadyEnabledException", status=400):
        orgs.enable_policy_type(RootId=root, PolicyType=TAG)
    # moto's test_enable_policy_type_errors / test_disable_policy_type_errors.
    with raises_aws("InvalidInputException", INVALID_VALUE, 400) as e:
        orgs.enable_policy_type(RootId=root, PolicyType="MOTO")
    assert e["error"].response["Reason"] == "INVALID_ENUM"
    with raises_aws("InvalidInputException", INVALID_VALUE, 400):
        orgs.disable_policy_type(RootId=root, PolicyType="MOTO")
    res = run_aws(w.url, "organizations", "enable-policy-type", "--root-id", root, "--policy-type", "MOTO")
    assert_cli_error(res, "InvalidInputException", "EnablePolicyType", INVALID_VALUE)
    got = orgs.disable_policy_type(RootId=root, PolicyType=AI)["Root"]
    assert AI not in {p["Type"] for p in got["PolicyTypes"]}
    with raises_aws("PolicyTypeNotEnabledException", status=400):
        orgs.disable_policy_type(RootId=root, PolicyType=AI)


def test_moto_recorded_tag_and_ai_opt_out_policies_are_created_and_attached(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, root = wd["orgs"], wd["org"], wd["root"]["Id"]
    for ptype, content, segment in [
        (AI, MOTO_AI_POLICY, "aiservices_opt_out_policy"),
        (TAG, MOTO_TAG_POLICY, "tag_policy"),
    ]:
        name = unique("mgmt")
        # Creating needs no enabled type; attaching does.
        policy = create(orgs, ptype, content, name)
        s = policy["PolicySummary"]
        assert POLICY_ID_RE.match(s["Id"]), s
        assert s["Arn"] == f"arn:aws:organizations::{MGMT}:policy/{org['Id']}/{segment}/{s['Id']}"
        assert (s["Name"], s["Type"], s["AwsManaged"]) == (name, ptype, False)
        assert json.loads(policy["Content"]) == content
        with raises_aws("PolicyTypeNotEnabledException", NOT_ENABLED, 400):
            orgs.attach_policy(PolicyId=s["Id"], TargetId=root)
        orgs.enable_policy_type(RootId=root, PolicyType=ptype)
        orgs.attach_policy(PolicyId=s["Id"], TargetId=root)
        attached = orgs.list_policies_for_target(TargetId=root, Filter=ptype)["Policies"]
        assert [p["Id"] for p in attached] == [s["Id"]]
        assert [p["Id"] for p in orgs.list_policies(Filter=ptype)["Policies"]] == [s["Id"]]
        # Management policies may leave a target with none (only SCPs/RCPs keep one everywhere).
        orgs.detach_policy(PolicyId=s["Id"], TargetId=root)
        assert orgs.list_policies_for_target(TargetId=root, Filter=ptype)["Policies"] == []
        orgs.delete_policy(PolicyId=s["Id"])


def test_documents_outside_each_types_syntax_are_malformed_and_nothing_is_stored(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs = wd["orgs"]
    bad = [
        (TAG, policy_doc({"Effect": "Deny", "Action": "*", "Resource": "*"})),  # an IAM document
        (TAG, json.dumps({"tags": {"cc": {"tag_key": "CostCenter"}}})),  # a value without an operator
        (TAG, json.dumps({"tags": {"cc": {"tag_colour": {"@@assign": "red"}}}})),
        (TAG, json.dumps({"tags": {"cc": {"tag_value": {"@@replace": ["x"]}}}})),
        (AI, json.dumps({"services": {"default": {"opt_out_policy": {"@@assign": "maybe"}}}})),
        ("DECLARATIVE_POLICY_EC2", json.dumps({"ec2": {"x": {"@@assign": "y"}}})),
        ("BACKUP_POLICY", "{not json"),
    ]
    for ptype, content in bad:
        with raises_aws("MalformedPolicyDocumentException", MALFORMED, 400):
            orgs.create_policy(Content=content, Description="", Name=unique("bad"), Type=ptype)
    res = run_aws(
        w.url, "organizations", "create-policy", "--name", unique("bad"), "--description", "",
        "--type", TAG, "--content", bad[1][1],
    )
    assert_cli_error(res, "MalformedPolicyDocumentException", "CreatePolicy", MALFORMED)
    for ptype in {t for t, _ in bad}:
        assert orgs.list_policies(Filter=ptype)["Policies"] == []
    # UpdatePolicy checks the same way, and keeps the old document.
    good = create(orgs, AI, MOTO_AI_POLICY)["PolicySummary"]
    with raises_aws("MalformedPolicyDocumentException", MALFORMED, 400):
        orgs.update_policy(PolicyId=good["Id"], Content=bad[4][1])
    assert json.loads(orgs.describe_policy(PolicyId=good["Id"])["Policy"]["Content"]) == MOTO_AI_POLICY
    # The type's own quota: 2,500 characters for AI opt-out, 10,000 for tag policies.
    services = {f"svc{i:04d}": {"opt_out_policy": {"@@assign": "optOut"}} for i in range(60)}
    big = json.dumps({"services": services})
    assert 2_500 < len(big) < 10_000
    with raises_aws("ConstraintViolationException", TOO_LARGE, 400) as e:
        orgs.create_policy(Content=big, Description="", Name=unique("big"), Type=AI)
    assert e["error"].response["Reason"] == "POLICY_CONTENT_LIMIT_EXCEEDED"
    tags = {f"k{i:04d}": {"tag_key": {"@@assign": f"K{i:04d}"}} for i in range(60)}
    assert len(json.dumps({"tags": tags})) < 10_000
    create(orgs, TAG, {"tags": tags})


def test_a_target_holds_at_most_five_ai_opt_out_policies(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root = wd["orgs"], wd["root"]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=AI)
    ids = [create(orgs, AI, MOTO_AI_POLICY)["PolicySummary"]["Id"] for _ in range(6)]
    for pid in ids[:5]:
        orgs.attach_policy(PolicyId=pid, TargetId=wd["member"])
    with raises_aws("ConstraintViolationException", status=400) as e:
        orgs.attach_policy(PolicyId=ids[5], TargetId=wd["member"])
    assert e["error"].response["Reason"] == "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    # Control: another target still takes it.
    orgs.attach_policy(PolicyId=ids[5], TargetId=root)


def test_management_policies_never_change_what_a_member_may_do(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root = wd["orgs"], wd["root"]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=TAG)
    pid = create(orgs, TAG, MOTO_TAG_POLICY)["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=wd["member"])
    sts = make_client("sts", w.url, wd["admin_creds"])
    r = sts.assume_role(
        RoleArn=f"arn:aws:iam::{wd['member']}:role/OrganizationAccountAccessRole", RoleSessionName="admin"
    )
    m_iam = make_client("iam", w.url, creds_of(r))
    name = unique("u")
    assert m_iam.create_user(UserName=name)["User"]["UserName"] == name
    # Only SCPs limit it: the same member is refused once an SCP denies the action.
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    scp = orgs.create_policy(
        Content=policy_doc({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}),
        Description="", Name=unique("scp"), Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp, TargetId=wd["member"])
    with raises_aws("AccessDenied", status=403):
        m_iam.create_user(UserName=unique("u"))


def test_an_accounts_effective_tag_policy_merges_the_root_ou_and_account_policies(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"]["Id"], wd["member"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="ou1")["OrganizationalUnit"]["Id"]
    orgs.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    with raises_aws("EffectivePolicyNotFoundException", EFFECTIVE_NOT_FOUND, 400):
        orgs.describe_effective_policy(PolicyType=TAG, TargetId=member)
    orgs.enable_policy_type(RootId=root, PolicyType=TAG)
    with raises_aws("EffectivePolicyNotFoundException", EFFECTIVE_NOT_FOUND, 400):
        orgs.describe_effective_policy(PolicyType=TAG, TargetId=member)
    a = create(orgs, TAG, POLICY_A)["PolicySummary"]["Id"]
    c = create(orgs, TAG, POLICY_C)["PolicySummary"]["Id"]
    own = create(orgs, TAG, {"tags": {"CostCenter": {"enforced_for": {"@@assign": ["ec2:instance"]}}}})
    orgs.attach_policy(PolicyId=a, TargetId=root)
    orgs.attach_policy(PolicyId=c, TargetId=ou)
    orgs.attach_policy(PolicyId=own["PolicySummary"]["Id"], TargetId=member)
    eff = orgs.describe_effective_policy(PolicyType=TAG, TargetId=member)["EffectivePolicy"]
    assert eff["TargetId"] == member and eff["PolicyType"] == TAG
    assert "LastUpdatedTimestamp" in eff
    # Operators are gone; the tag key is one whatever its case in each policy.
    assert json.loads(eff["PolicyContent"]) == {
        "tags": {
            "costcenter": {
                "tag_key": "CostCenter",
                "tag_value": ["Development", "Support", "Marketing"],
                "enforced_for": ["ec2:instance"],
            }
        }
    }
    # The management account, under the root only, gets policy A alone (management policies do
    # apply to it, unlike SCPs).
    mine = orgs.describe_effective_policy(PolicyType=TAG)["EffectivePolicy"]
    assert mine["TargetId"] == MGMT
    assert json.loads(mine["PolicyContent"]) == {
        "tags": {"costcenter": {"tag_key": "CostCenter", "tag_value": ["Development", "Support"]}}
    }
    # The aws CLI reads the same.
    res = run_aws(w.url, "organizations", "describe-effective-policy", "--policy-type", TAG, "--target-id", member)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.json["EffectivePolicy"]["PolicyContent"]) == json.loads(eff["PolicyContent"])
    # A member reads its own, and nobody else's.
    m_orgs = member_orgs(w, wd)
    assert m_orgs.describe_effective_policy(PolicyType=TAG)["EffectivePolicy"]["PolicyContent"] == eff["PolicyContent"]
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        m_orgs.describe_effective_policy(PolicyType=TAG, TargetId=MGMT)
    # Roots and OUs have no effective policy; SCPs have none either.
    for target in (root, ou):
        with raises_aws("InvalidInputException", "You can't perform the specified operation on that target entity.", 400) as e:
            orgs.describe_effective_policy(PolicyType=TAG, TargetId=target)
        assert e["error"].response["Reason"] == "TARGET_NOT_SUPPORTED"
    with raises_aws("InvalidInputException", INVALID_VALUE, 400):
        orgs.describe_effective_policy(PolicyType="SERVICE_CONTROL_POLICY", TargetId=member)
    with raises_aws("TargetNotFoundException", status=400):
        orgs.describe_effective_policy(PolicyType=TAG, TargetId="999999999999")
    res = run_aws(w.url, "organizations", "describe-effective-policy", "--policy-type", AI, "--target-id", member)
    assert_cli_error(res, "EffectivePolicyNotFoundException", "DescribeEffectivePolicy", EFFECTIVE_NOT_FOUND)


def test_a_locked_ai_opt_out_setting_ignores_a_childs_change(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"]["Id"], wd["member"]
    orgs.enable_policy_type(RootId=root, PolicyType=AI)
    locked = create(orgs, AI, MOTO_AI_POLICY)["PolicySummary"]["Id"]
    child = create(orgs, AI, {"services": {"default": {"opt_out_policy": {"@@assign": "optIn"}}}})
    orgs.attach_policy(PolicyId=child["PolicySummary"]["Id"], TargetId=member)
    eff = orgs.describe_effective_policy(PolicyType=AI, TargetId=member)["EffectivePolicy"]
    assert json.loads(eff["PolicyContent"]) == {"services": {"default": {"opt_out_policy": "optIn"}}}
    # Control: the root's policy, with @@none, makes the member's change void.
    orgs.attach_policy(PolicyId=locked, TargetId=root)
    eff = orgs.describe_effective_policy(PolicyType=AI, TargetId=member)["EffectivePolicy"]
    assert json.loads(eff["PolicyContent"]) == {"services": {"default": {"opt_out_policy": "optOut"}}}


def test_describing_an_effective_policy_needs_the_action(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root = wd["orgs"], wd["root"]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=TAG)
    orgs.attach_policy(PolicyId=create(orgs, TAG, POLICY_A)["PolicySummary"]["Id"], TargetId=root)
    iam = w.client("iam")
    user, creds = create_user_with_key(iam, unique("reader"))
    u_orgs = make_client("organizations", w.url, creds)
    with raises_aws("AccessDeniedException", status=400) as e:
        u_orgs.describe_effective_policy(PolicyType=TAG)
    assert e["message"].startswith(
        f"User: {user['Arn']} is not authorized to perform: organizations:DescribeEffectivePolicy"
    ), e["message"]
    # Control: the same request once the action is granted.
    grant(iam, user["UserName"], ["organizations:DescribeEffectivePolicy"])
    assert u_orgs.describe_effective_policy(PolicyType=TAG)["EffectivePolicy"]["TargetId"] == MGMT


def test_no_effective_policy_is_invalid_and_the_lists_say_so(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"]["Id"], wd["member"]
    with raises_aws("EffectivePolicyNotFoundException", EFFECTIVE_NOT_FOUND, 400):
        orgs.list_accounts_with_invalid_effective_policy(PolicyType=TAG)
    orgs.enable_policy_type(RootId=root, PolicyType=TAG)
    orgs.attach_policy(PolicyId=create(orgs, TAG, POLICY_A)["PolicySummary"]["Id"], TargetId=root)
    got = orgs.list_accounts_with_invalid_effective_policy(PolicyType=TAG)
    assert (got["Accounts"], got["PolicyType"]) == ([], TAG)
    report = orgs.list_effective_policy_validation_errors(AccountId=member, PolicyType=TAG)
    assert report["AccountId"] == member and report["PolicyType"] == TAG
    assert report["Path"] == f"{wd['org']['Id']}/{root}/{member}/"
    assert report["EffectivePolicyValidationErrors"] == []
    assert "EvaluationTimestamp" in report
    res = run_aws(w.url, "organizations", "list-accounts-with-invalid-effective-policy", "--policy-type", TAG)
    assert res.returncode == 0, res.stderr
    assert res.json["Accounts"] == []
    with raises_aws("AccountNotFoundException", "You specified an account that doesn't exist.", 400):
        orgs.list_effective_policy_validation_errors(AccountId="999999999999", PolicyType=TAG)
    with raises_aws("InvalidInputException", INVALID_VALUE, 400):
        orgs.list_accounts_with_invalid_effective_policy(PolicyType="SERVICE_CONTROL_POLICY")
    # Members who are not delegated administrators may not list.
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        member_orgs(w, wd).list_accounts_with_invalid_effective_policy(PolicyType=TAG)


def test_management_policies_and_their_effect_survive_a_restart(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, root, member = wd["orgs"], wd["root"]["Id"], wd["member"]
    orgs.enable_policy_type(RootId=root, PolicyType=TAG)
    a = create(orgs, TAG, POLICY_A)["PolicySummary"]["Id"]
    c = create(orgs, TAG, POLICY_C)["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=a, TargetId=root)
    orgs.attach_policy(PolicyId=c, TargetId=member)
    before = orgs.describe_effective_policy(PolicyType=TAG, TargetId=member)["EffectivePolicy"]
    w.restart()
    orgs = w.client("organizations")
    assert orgs.describe_effective_policy(PolicyType=TAG, TargetId=member)["EffectivePolicy"] == before
    assert json.loads(orgs.describe_policy(PolicyId=c)["Policy"]["Content"]) == POLICY_C
    assert {p["Type"] for p in orgs.list_roots()["Roots"][0]["PolicyTypes"]} == {TAG}
