"""Policies on the server (issue #4): customer managed policies and their versions, tags,
inline user/group policies, managed attachments, permissions boundaries, ListPolicies filters,
ListEntitiesForPolicy, document validation, quotas, AWS managed policies, and persistence.

Expected texts, codes and statuses are AWS's, from:
* LocalStack's AWS-recorded snapshots (tests/aws/services/iam/test_iam_policies.snapshot.json,
  test_iam_managed_policies.snapshot.json, recorded against real AWS in Feb 2026):
  shapes of CreatePolicy/GetPolicy/ListPolicies/ListPolicyVersions/ListEntitiesForPolicy,
  `A policy called NAME already exists. Duplicate names are not allowed.`,
  `A managed policy can have up to 5 versions. ...` (409), `Cannot delete the default version of a
  policy.` (409), `Policy ARN version vN does not exist or is not attachable.` (404),
  `Policy ARN was not found.` (404), the versionId pattern ValidationError, and the
  MalformedPolicyDocument texts (`Syntax errors in policy.`, `Policy statement must contain
  actions.`, `Policy statement must contain resources.`, `Statement IDs (SID) in a single policy
  must be unique.`, `Policy document must be version 2012-10-17 or greater.`, ...).
* /work/shared/reference/aws-wire-facts.md: attach errors (`Policy ARN does not exist or is not
  attachable.` 404, `Invalid ARN:  Could not be parsed!` 400), `Policy document should not
  specify a principal.`, DeleteUser conflict text.
* AWS error texts users quote verbatim from the AWS CLI/SDKs: `Cannot delete a policy attached to
  entities.`, `This policy has more than one version. Before you delete a policy, you must delete
  the policy's versions. The default version is deleted with the policy.`, `Maximum policy size of
  2048 bytes exceeded for user NAME`, `... 5120 bytes exceeded for group NAME`,
  `Cannot exceed quota for PoliciesPerUser: 10` / `PoliciesPerGroup: 10`, `The user policy with
  name X cannot be found.`
* IAM User Guide, reference_iam-quotas (inline aggregate 2,048 user / 5,120 group characters, whitespace
  not counted; 10 managed policies per user/group; 5 versions).
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from e2e_util import (
    ACCOUNT_ID,
    IAM_NS,
    assert_cli_error,
    create_user_with_key,
    make_client,
    raises_aws,
    signed_call,
    unique,
    validation_pattern_message,
)

ANPA_RE = re.compile(r"^ANPA[A-Z0-9]{17}$")
VERSION_LIMIT = (
    "A managed policy can have up to 5 versions. Before you create a new version, you must delete "
    "an existing version."
)
DELETE_ATTACHED = "Cannot delete a policy attached to entities."
DELETE_VERSIONS = (
    "This policy has more than one version. Before you delete a policy, you must delete the "
    "policy's versions. The default version is deleted with the policy."
)
VERSION_ID_PATTERN = (
    "1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must "
    "satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
)
INVALID_ARN = "Invalid ARN:  Could not be parsed!"
# AWS has used several texts for a user/group that still has policies; the recorded one (2024-26)
# is the first. Any of AWS's texts is accepted, anything else fails.
USER_POLICY_CONFLICTS = {
    "Cannot delete entity, must remove referenced objects first.",
    "Cannot delete entity, must detach all policies first.",
    "Cannot delete entity, must delete policies first.",
}
GROUP_POLICY_CONFLICTS = {
    "Cannot delete entity, must delete policies first.",
    "Cannot delete entity, must detach all policies first.",
}

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
AWS_MANAGED = [
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    "IAMUserChangePassword",
    "IAMSelfManageServiceSpecificCredentials",
]


def doc(*statements, version: str | None = "2012-10-17", **top) -> str:
    d: dict = {}
    if version is not None:
        d["Version"] = version
    d["Statement"] = list(statements)
    d.update(top)
    return json.dumps(d)


def allow(action="iam:ListUsers", resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:policy{path}{name}"


def create_policy(iam, name=None, document=None, **kw) -> dict:
    name = name or unique("pol")
    return iam.create_policy(PolicyName=name, PolicyDocument=document or doc(allow()), **kw)["Policy"]


def non_ws_len(s: str) -> int:
    return len(re.sub(r"\s", "", s))


def padded_doc(target_non_ws: int) -> str:
    """A valid identity policy with exactly `target_non_ws` non-whitespace characters."""
    base = doc(allow(resource="arn:aws:iam::*:user/X"))
    pad = target_non_ws - non_ws_len(base)
    assert pad >= 0
    d = doc(allow(resource="arn:aws:iam::*:user/" + "X" * (pad + 1)))
    assert non_ws_len(d) == target_non_ws, (non_ws_len(d), target_non_ws)
    return d


# --------------------------------------------------------------------------------------
# Customer managed policies
# --------------------------------------------------------------------------------------


def test_create_and_get_policy_shape(iam):
    name = unique("Shape")
    document = doc(allow("iam:ListUsers"), allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}"))
    p = iam.create_policy(
        PolicyName=name,
        Path="/team/a/",
        Description="testing",
        PolicyDocument=document,
        Tags=[{"Key": "owner", "Value": "alice"}, {"Key": "empty", "Value": ""}],
    )["Policy"]
    assert p["PolicyName"] == name
    assert ANPA_RE.match(p["PolicyId"]), p["PolicyId"]
    assert p["Arn"] == policy_arn(name, "/team/a/")
    assert p["Path"] == "/team/a/"
    assert p["DefaultVersionId"] == "v1"
    assert p["AttachmentCount"] == 0
    assert p["PermissionsBoundaryUsageCount"] == 0
    assert p["IsAttachable"] is True
    assert p["CreateDate"] == p["UpdateDate"]
    assert sorted(t["Key"] for t in p["Tags"]) == ["empty", "owner"]

    g = iam.get_policy(PolicyArn=p["Arn"])["Policy"]
    assert g["Description"] == "testing"
    for k in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "AttachmentCount",
              "PermissionsBoundaryUsageCount", "IsAttachable", "CreateDate"):
        assert g[k] == p[k], k
    assert {t["Key"]: t["Value"] for t in g["Tags"]} == {"owner": "alice", "empty": ""}

    v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]
    assert v["VersionId"] == "v1" and v["IsDefaultVersion"] is True
    # boto3 hands back the decoded document as a dict, exactly the one sent.
    assert v["Document"] == json.loads(document)

    # Two policies never share an id.
    q = create_policy(iam)
    assert q["PolicyId"] != p["PolicyId"] and ANPA_RE.match(q["PolicyId"])

    listed = [x for x in iam.list_policies(Scope="Local", PathPrefix="/team/a/")["Policies"] if x["Arn"] == p["Arn"]]
    assert len(listed) == 1
    # ListPolicies items carry neither Description nor Tags (recorded "filtered-policy-list").
    assert "Tags" not in listed[0] and "Description" not in listed[0]
    assert listed[0]["DefaultVersionId"] == "v1" and listed[0]["IsAttachable"] is True


def test_create_policy_answer_has_no_description(iam):
    # AWS's CreatePolicy answer carries no Description (recorded "create-with-tags"); GetPolicy does.
    p = iam.create_policy(PolicyName=unique("nodesc"), Description="testing", PolicyDocument=doc(allow()))["Policy"]
    assert "Description" not in p, p
    assert iam.get_policy(PolicyArn=p["Arn"])["Policy"]["Description"] == "testing"


def test_policy_document_is_url_encoded_on_the_wire(server, iam):
    document = doc(allow("iam:GetUser", "arn:aws:iam::*:user/a b&c"))
    p = create_policy(iam, document=document)
    r = signed_call(server.url, "iam", {"Action": "GetPolicyVersion", "Version": "2010-05-08",
                                        "PolicyArn": p["Arn"], "VersionId": "v1"})
    assert r.status == 200, r.body
    el = r.xml().find(f".//{{{IAM_NS}}}Document")
    assert el is not None and el.text, r.body
    raw = el.text
    assert "{" not in raw and "%7B" in raw, raw  # URL-encoded, not raw JSON
    assert json.loads(urllib.parse.unquote(raw)) == json.loads(document)

    user = unique("enc")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=document)
    r = signed_call(server.url, "iam", {"Action": "GetUserPolicy", "Version": "2010-05-08",
                                        "UserName": user, "PolicyName": "inline"})
    assert r.status == 200, r.body
    raw = r.xml().find(f".//{{{IAM_NS}}}PolicyDocument").text
    assert "%7B" in raw and json.loads(urllib.parse.unquote(raw)) == json.loads(document)


def test_create_policy_errors(iam):
    name = unique("Dup")
    create_policy(iam, name)
    with raises_aws("EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed.", 409):
        create_policy(iam, name)
    # Names are unique case-insensitively, whatever the path.
    with raises_aws("EntityAlreadyExists", status=409):
        create_policy(iam, name.upper(), Path="/other/")
    missing = policy_arn("nope-" + unique("x"))
    with raises_aws("NoSuchEntity", f"Policy {missing} was not found.", 404):
        iam.get_policy(PolicyArn=missing)
    with raises_aws("NoSuchEntity", f"Policy {missing} was not found.", 404):
        iam.delete_policy(PolicyArn=missing)


def test_create_policy_input_validation(iam):
    bad = "bad name!"
    with raises_aws("ValidationError", validation_pattern_message(bad, "policyName", r"[\w+=,.@-]+"), 400):
        iam.create_policy(PolicyName=bad, PolicyDocument=doc(allow()))
    # An invalid path is a ValidationError (no public AWS output shows CreatePolicy's exact text).
    for path in ("no-leading-slash/", "/no-trailing-slash"):
        name = unique("p")
        with raises_aws("ValidationError", status=400):
            iam.create_policy(PolicyName=name, Path=path, PolicyDocument=doc(allow()))
        with raises_aws("NoSuchEntity", status=404):
            iam.get_policy(PolicyArn=policy_arn(name))


def test_managed_policy_size_quota(iam):
    # 6,144 characters, whitespace not counted (reference_iam-quotas); AWS answers
    # "LimitExceeded: Cannot exceed quota for PolicySize: 6144" (quoted from AWS by users).
    msg = "Cannot exceed quota for PolicySize: 6144"
    with raises_aws("LimitExceeded", msg, 409):
        iam.create_policy(PolicyName=unique("big"), PolicyDocument=padded_doc(6145))
    p = iam.create_policy(PolicyName=unique("max"), PolicyDocument=padded_doc(6144))["Policy"]
    airy = json.dumps(json.loads(padded_doc(6000)), indent=300)
    assert len(airy) > 6144 and non_ws_len(airy) == 6000
    iam.create_policy(PolicyName=unique("airy"), PolicyDocument=airy)
    with raises_aws("LimitExceeded", msg, 409):
        iam.create_policy_version(PolicyArn=p["Arn"], PolicyDocument=padded_doc(6145))
    assert len(iam.list_policy_versions(PolicyArn=p["Arn"])["Versions"]) == 1


def test_policy_versions(iam):
    p = create_policy(iam, document=doc(allow("iam:ListUsers")))
    arn = p["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListGroups")), SetAsDefault=True)["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True
    assert "Document" not in v2
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListRoles")))["PolicyVersion"]
    assert v3["VersionId"] == "v3" and v3["IsDefaultVersion"] is False
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert got["Document"]["Statement"][0]["Action"] == "iam:ListRoles" and got["IsDefaultVersion"] is False

    versions = iam.list_policy_versions(PolicyArn=arn)
    assert versions["IsTruncated"] is False
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions["Versions"]] == [
        ("v3", False), ("v2", True), ("v1", False)]
    assert all("Document" not in v for v in versions["Versions"])

    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListPolicies")))
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListPolicies")))
    with raises_aws("LimitExceeded", VERSION_LIMIT, 409):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow()))
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5

    # The default version cannot be deleted; others can, and numbering never reuses an id.
    with raises_aws("DeleteConflict", "Cannot delete the default version of a policy.", 409):
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    v6 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow()))["PolicyVersion"]
    assert v6["VersionId"] == "v6"
    with raises_aws("NoSuchEntity", f"Policy {arn} version v5 does not exist or is not attachable.", 404):
        iam.get_policy_version(PolicyArn=arn, VersionId="v5")
    with raises_aws("NoSuchEntity", f"Policy {arn} version v9 does not exist or is not attachable.", 404):
        iam.delete_policy_version(PolicyArn=arn, VersionId="v9")
    with raises_aws("NoSuchEntity", f"Policy {arn} version v9 does not exist or is not attachable.", 404):
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v9")
    with raises_aws("ValidationError", status=400):
        iam.set_default_policy_version(PolicyArn=arn, VersionId="wrong_version_id")

    # SetDefaultPolicyVersion moves the default flag.
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    flags = {v["VersionId"]: v["IsDefaultVersion"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]}
    assert flags == {"v1": True, "v2": False, "v3": False, "v4": False, "v6": False}
    # Invalid documents never create a version.
    with raises_aws("MalformedPolicyDocument", "Syntax errors in policy.", 400):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument="{not json")
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5


def test_version_id_pattern_error_text(iam):
    # AWS's text for this pattern failure does not echo the value (recorded
    # "err-set-default-invalid-version-format" and "get-version-error").
    arn = create_policy(iam)["Arn"]
    with raises_aws("ValidationError", VERSION_ID_PATTERN, 400):
        iam.set_default_policy_version(PolicyArn=arn, VersionId="wrong_version_id")
    with raises_aws("ValidationError", VERSION_ID_PATTERN, 400):
        iam.get_policy_version(PolicyArn=arn, VersionId="wrong_version_id")


def test_missing_policy_texts(iam):
    # Recorded against AWS: version and entity calls on a missing policy say "does not exist or is
    # not attachable"; GetPolicy / DeletePolicy / tag calls say "was not found" (test_create_policy_errors).
    missing = policy_arn(unique("TestNonExistingPolicy"))
    with raises_aws("NoSuchEntity", f"Policy {missing} version v1 does not exist or is not attachable.", 404):
        iam.get_policy_version(PolicyArn=missing, VersionId="v1")
    with raises_aws("NoSuchEntity", f"Policy {missing} version v1 does not exist or is not attachable.", 404):
        iam.set_default_policy_version(PolicyArn=missing, VersionId="v1")
    with raises_aws("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404):
        iam.list_entities_for_policy(PolicyArn=missing)


def test_delete_policy_conflicts(iam):
    p = create_policy(iam)
    arn = p["Arn"]
    user = unique("att")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    with raises_aws("DeleteConflict", DELETE_ATTACHED, 409):
        iam.delete_policy(PolicyArn=arn)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)

    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListGroups")))
    with raises_aws("DeleteConflict", DELETE_VERSIONS, 409):
        iam.delete_policy(PolicyArn=arn)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy(PolicyArn=arn)
    with raises_aws("NoSuchEntity", f"Policy {arn} was not found.", 404):
        iam.get_policy(PolicyArn=arn)
    # The name is free again, with a new id.
    again = create_policy(iam, p["PolicyName"])
    assert again["Arn"] == arn and again["PolicyId"] != p["PolicyId"]


def test_policy_lifecycle_with_the_cli(aws):
    name = unique("cli-pol")
    res = aws("iam", "create-policy", "--policy-name", name, "--path", "/cli/",
              "--policy-document", doc(allow("iam:ListUsers")), "--tags", "Key=k,Value=v")
    assert res.returncode == 0, res.stderr
    p = res.json["Policy"]
    arn = p["Arn"]
    assert arn == policy_arn(name, "/cli/") and ANPA_RE.match(p["PolicyId"]) and p["DefaultVersionId"] == "v1"

    res = aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")
    assert res.returncode == 0, res.stderr
    assert res.json["PolicyVersion"]["Document"] == json.loads(doc(allow("iam:ListUsers")))

    res = aws("iam", "create-policy-version", "--policy-arn", arn, "--set-as-default",
              "--policy-document", doc(allow("iam:ListGroups")))
    assert res.returncode == 0 and res.json["PolicyVersion"] == {
        **res.json["PolicyVersion"], "VersionId": "v2", "IsDefaultVersion": True}
    res = aws("iam", "delete-policy", "--policy-arn", arn)
    assert_cli_error(res, "DeleteConflict", "DeletePolicy", DELETE_VERSIONS)
    res = aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2")
    assert_cli_error(res, "DeleteConflict", "DeletePolicyVersion", "Cannot delete the default version of a policy.")
    assert aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v1").returncode == 0
    res = aws("iam", "list-policy-tags", "--policy-arn", arn)
    assert res.returncode == 0 and res.json["Tags"] == [{"Key": "k", "Value": "v"}]
    assert aws("iam", "delete-policy", "--policy-arn", arn).returncode == 0
    res = aws("iam", "get-policy", "--policy-arn", arn)
    assert_cli_error(res, "NoSuchEntity", "GetPolicy", f"Policy {arn} was not found.")
    res = aws("iam", "create-policy", "--policy-name", unique("cli-bad"), "--policy-document", "{nope")
    assert_cli_error(res, "MalformedPolicyDocument", "CreatePolicy", "Syntax errors in policy.")


# --------------------------------------------------------------------------------------
# Document validation (MalformedPolicyDocument, 400)
# --------------------------------------------------------------------------------------

S3 = "arn:aws:s3:::example_bucket"
MALFORMED = [
    ("invalid-json", "This is not a json document", "Syntax errors in policy."),
    ("trailing-comma", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},]}',
     "Syntax errors in policy."),
    ("no-action", doc({"Effect": "Allow", "Resource": S3}), "Policy statement must contain actions."),
    ("empty-action-list", doc({"Effect": "Allow", "Action": [], "Resource": S3}), "Policy statement must contain actions."),
    ("no-resource", doc({"Effect": "Allow", "Action": "s3:ListBucket"}), "Policy statement must contain resources."),
    ("principal", doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket", "Resource": S3}),
     "Policy document should not specify a principal."),
    ("duplicate-sid", doc({"Sid": "sdf", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": S3},
                          {"Sid": "sdf", "Effect": "Allow", "Action": "s3:GetObject", "Resource": S3}),
     "Statement IDs (SID) in a single policy must be unique."),
    ("version-2008", doc(allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}"), version="2008-10-17"),
     "Policy document must be version 2012-10-17 or greater."),
    ("no-version", doc(allow("s3:ListBucket", S3), version=None), "Policy document must be version 2012-10-17 or greater."),
    ("bad-version", doc(allow("s3:ListBucket", S3), version="2013-10-17"), "Syntax errors in policy."),
    ("no-statement", json.dumps({"Version": "2012-10-17"}), "Syntax errors in policy."),
    ("empty-statement", doc(), "Syntax errors in policy."),
    ("unknown-element", doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": S3, "Extra field": "v"}),
     "Syntax errors in policy."),
    ("bad-effect", doc({"Effect": "invalid", "Action": "s3:ListBucket", "Resource": S3}), "Syntax errors in policy."),
    ("no-effect", doc({"Action": "s3:ListBucket", "Resource": S3}), "Syntax errors in policy."),
    ("action-and-notaction", doc({"Effect": "Allow", "NotAction": "s3:ListBucket", "Action": "iam:dsf", "Resource": S3}),
     "Syntax errors in policy."),
    ("no-vendor", doc({"Effect": "Allow", "Action": "invalid", "Resource": S3}),
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ("two-colons", doc({"Effect": "Allow", "Action": "s3:List:Bucket", "Resource": S3}),
     "Actions/Condition can contain only one colon."),
    ("resource-not-arn", doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "invalid resource"}),
     'Resource invalid resource must be in ARN format or "*".'),
    ("condition-not-object", doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": S3, "Condition": []}),
     "Syntax errors in policy."),
    ("bad-operator", doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": S3, "Condition": {"x": {"a": "1"}}}),
     "Syntax errors in policy."),
]


@pytest.mark.parametrize("document,message", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_policy_documents(iam, document, message):
    name = unique("bad")
    with raises_aws("MalformedPolicyDocument", message, 400):
        iam.create_policy(PolicyName=name, PolicyDocument=document)
    # Nothing was created.
    with raises_aws("NoSuchEntity", status=404):
        iam.get_policy(PolicyArn=policy_arn(name))


def test_duplicate_json_keys_are_refused(iam):
    # Duplicate keys make the document ambiguous (which Effect wins?): IAM refuses them rather than
    # silently picking one. A Deny hidden behind a later Allow must not be stored.
    dup_effect = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"iam:*","Resource":"*"}]}'
    dup_top = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}],"Statement":[]}'
    for d in (dup_effect, dup_top):
        name = unique("dupkey")
        with raises_aws("MalformedPolicyDocument", status=400):
            iam.create_policy(PolicyName=name, PolicyDocument=d)
    user = unique("dupkey-u")
    iam.create_user(UserName=user)
    with raises_aws("MalformedPolicyDocument", status=400):
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=dup_effect)
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []


def test_valid_unusual_documents_are_accepted(iam):
    # Recorded as accepted by AWS (valid-1, -5, -10, -23, -38 of the LocalStack snapshot).
    for d in (
        doc({"Effect": "Allow", "Action": "iam: asdf safdsf af ", "Resource": S3}),
        doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": S3, "Condition": {}}),
        doc({"Effect": "Deny", "Action": "s3:*", "NotResource": [S3, S3 + "/*"]}),
        doc({"Effect": "Allow", "NotAction": "s3:ListBucket", "NotResource": "*"}),
        json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}}),
        doc({"Effect": "Deny", "NotAction": ["iam:GetUser", "sts:GetSessionToken"], "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}),
    ):
        p = create_policy(iam, document=d)
        assert p["DefaultVersionId"] == "v1"


def test_inline_policy_documents_are_validated(iam):
    user = unique("inl-val")
    group = unique("inl-valg")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    principal = doc({"Effect": "Allow", "Principal": "*", "Action": "iam:GetUser", "Resource": "*"})
    with raises_aws("MalformedPolicyDocument", "Policy document should not specify a principal.", 400):
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=principal)
    with raises_aws("MalformedPolicyDocument", "Syntax errors in policy.", 400):
        iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument="{")
    with raises_aws("MalformedPolicyDocument", "Policy statement must contain actions.", 400):
        iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=doc({"Effect": "Allow", "Resource": "*"}))
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == []


# --------------------------------------------------------------------------------------
# Inline policies
# --------------------------------------------------------------------------------------


def test_user_inline_policies(iam, aws):
    user = unique("inl")
    iam.create_user(UserName=user)
    d1 = doc(allow("iam:ListUsers"))
    d2 = doc(allow("iam:ListGroups"))
    iam.put_user_policy(UserName=user, PolicyName="b-pol", PolicyDocument=d1)
    iam.put_user_policy(UserName=user, PolicyName="a-pol", PolicyDocument=d1)
    listed = iam.list_user_policies(UserName=user)
    assert sorted(listed["PolicyNames"]) == ["a-pol", "b-pol"] and listed["IsTruncated"] is False
    got = iam.get_user_policy(UserName=user, PolicyName="b-pol")
    assert got["UserName"] == user and got["PolicyName"] == "b-pol"
    assert got["PolicyDocument"] == json.loads(d1)
    # Put with the same name replaces the document.
    iam.put_user_policy(UserName=user, PolicyName="b-pol", PolicyDocument=d2)
    assert iam.get_user_policy(UserName=user, PolicyName="b-pol")["PolicyDocument"] == json.loads(d2)
    assert sorted(iam.list_user_policies(UserName=user)["PolicyNames"]) == ["a-pol", "b-pol"]
    page = iam.list_user_policies(UserName=user, MaxItems=1)
    assert len(page["PolicyNames"]) == 1 and page["IsTruncated"] is True
    rest = iam.list_user_policies(UserName=user, Marker=page["Marker"])
    assert rest["IsTruncated"] is False and sorted(page["PolicyNames"] + rest["PolicyNames"]) == ["a-pol", "b-pol"]

    iam.delete_user_policy(UserName=user, PolicyName="a-pol")
    with raises_aws("NoSuchEntity", "The user policy with name a-pol cannot be found.", 404):
        iam.get_user_policy(UserName=user, PolicyName="a-pol")
    with raises_aws("NoSuchEntity", "The user policy with name a-pol cannot be found.", 404):
        iam.delete_user_policy(UserName=user, PolicyName="a-pol")
    with raises_aws("NoSuchEntity", "The user with name no-such-user-x cannot be found.", 404):
        iam.put_user_policy(UserName="no-such-user-x", PolicyName="p", PolicyDocument=d1)
    with raises_aws("NoSuchEntity", "The user with name no-such-user-x cannot be found.", 404):
        iam.list_user_policies(UserName="no-such-user-x")

    # The CLI, once for this family.
    res = aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "cli-pol", "--policy-document", d1)
    assert res.returncode == 0, res.stderr
    res = aws("iam", "get-user-policy", "--user-name", user, "--policy-name", "cli-pol")
    assert res.returncode == 0 and res.json["PolicyDocument"] == json.loads(d1)
    res = aws("iam", "get-user-policy", "--user-name", user, "--policy-name", "nope")
    assert_cli_error(res, "NoSuchEntity", "GetUserPolicy", "The user policy with name nope cannot be found.")


def test_group_inline_policies(iam, aws):
    group = unique("ginl")
    iam.create_group(GroupName=group)
    d1 = doc(allow("iam:ListUsers"))
    iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=d1)
    got = iam.get_group_policy(GroupName=group, PolicyName="gp")
    assert got["GroupName"] == group and got["PolicyName"] == "gp" and got["PolicyDocument"] == json.loads(d1)
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["gp"]
    with raises_aws("NoSuchEntity", "The group policy with name nope cannot be found.", 404):
        iam.get_group_policy(GroupName=group, PolicyName="nope")
    res = aws("iam", "delete-group-policy", "--group-name", group, "--policy-name", "gp")
    assert res.returncode == 0, res.stderr
    res = aws("iam", "delete-group-policy", "--group-name", group, "--policy-name", "gp")
    assert_cli_error(res, "NoSuchEntity", "DeleteGroupPolicy", "The group policy with name gp cannot be found.")
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == []
    iam.delete_group(GroupName=group)


def test_inline_aggregate_quota_user(iam):
    user = unique("quota")
    iam.create_user(UserName=user)
    big = padded_doc(1500)
    iam.put_user_policy(UserName=user, PolicyName="big", PolicyDocument=big)
    # Replacing a policy by name counts its new size only, not old + new.
    iam.put_user_policy(UserName=user, PolicyName="big", PolicyDocument=padded_doc(1600))
    with raises_aws("LimitExceeded", f"Maximum policy size of 2048 bytes exceeded for user {user}", 409):
        iam.put_user_policy(UserName=user, PolicyName="more", PolicyDocument=padded_doc(449))
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["big"]
    # Exactly at the quota is fine: 1600 + 448 = 2048.
    iam.put_user_policy(UserName=user, PolicyName="more", PolicyDocument=padded_doc(448))
    # Whitespace is not counted.
    airy = json.dumps(json.loads(padded_doc(1000)), indent=400)
    assert len(airy) > 2048 and non_ws_len(airy) == 1000
    other = unique("quota-ws")
    iam.create_user(UserName=other)
    iam.put_user_policy(UserName=other, PolicyName="airy", PolicyDocument=airy)


def test_inline_aggregate_quota_group(iam):
    group = unique("gquota")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="a", PolicyDocument=padded_doc(3000))
    iam.put_group_policy(GroupName=group, PolicyName="b", PolicyDocument=padded_doc(2120))
    with raises_aws("LimitExceeded", f"Maximum policy size of 5120 bytes exceeded for group {group}", 409):
        iam.put_group_policy(GroupName=group, PolicyName="c", PolicyDocument=padded_doc(200))


# --------------------------------------------------------------------------------------
# Managed attachments
# --------------------------------------------------------------------------------------


def test_attach_detach_user_and_group(iam, aws):
    p = create_policy(iam, Path="/att/")
    arn = p["Arn"]
    user, group = unique("au"), unique("ag")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)  # idempotent, counted once
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2
    au = iam.list_attached_user_policies(UserName=user)
    assert au["AttachedPolicies"] == [{"PolicyName": p["PolicyName"], "PolicyArn": arn}] and au["IsTruncated"] is False
    assert iam.list_attached_user_policies(UserName=user, PathPrefix="/att/")["AttachedPolicies"] == au["AttachedPolicies"]
    assert iam.list_attached_user_policies(UserName=user, PathPrefix="/other/")["AttachedPolicies"] == []
    res = aws("iam", "list-attached-group-policies", "--group-name", group)
    assert res.returncode == 0 and res.json["AttachedPolicies"] == [{"PolicyName": p["PolicyName"], "PolicyArn": arn}]

    ents = iam.list_entities_for_policy(PolicyArn=arn)
    assert ents["IsTruncated"] is False
    user_id = iam.get_user(UserName=user)["User"]["UserId"]
    group_id = iam.get_group(GroupName=group)["Group"]["GroupId"]
    assert ents["PolicyUsers"] == [{"UserName": user, "UserId": user_id}]
    assert ents["PolicyGroups"] == [{"GroupName": group, "GroupId": group_id}]
    assert ents["PolicyRoles"] == []
    only_users = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")
    assert only_users["PolicyUsers"] and only_users["PolicyGroups"] == [] and only_users["PolicyRoles"] == []
    only_groups = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Group")
    assert only_groups["PolicyGroups"] and only_groups["PolicyUsers"] == []

    # DeleteUser / DeleteGroup refuse while a policy is attached.
    with raises_aws("DeleteConflict", status=409) as e:
        iam.delete_user(UserName=user)
    assert e["message"] in USER_POLICY_CONFLICTS, e["message"]

    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    res = aws("iam", "detach-group-policy", "--group-name", group, "--policy-arn", arn)
    assert res.returncode == 0, res.stderr
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    with raises_aws("NoSuchEntity", status=404):
        iam.detach_user_policy(UserName=user, PolicyArn=arn)
    ents = iam.list_entities_for_policy(PolicyArn=arn)
    assert ents["PolicyUsers"] == [] and ents["PolicyGroups"] == []
    iam.delete_user(UserName=user)
    iam.delete_group(GroupName=group)


@pytest.mark.parametrize("kind", ["inline", "attached"])
def test_group_with_policies_cannot_be_deleted(iam, kind):
    # DeleteGroup (API reference): "The group must not contain any users or have any attached policies."
    group = unique("gdel")
    iam.create_group(GroupName=group)
    arn = None
    if kind == "inline":
        iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=doc(allow()))
    else:
        arn = create_policy(iam)["Arn"]
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    with raises_aws("DeleteConflict", status=409) as e:
        iam.delete_group(GroupName=group)
    assert e["message"] in GROUP_POLICY_CONFLICTS, e["message"]
    assert iam.get_group(GroupName=group)["Group"]["GroupName"] == group
    if kind == "inline":
        iam.delete_group_policy(GroupName=group, PolicyName="gp")
    else:
        iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.delete_group(GroupName=group)


def test_user_with_inline_policy_cannot_be_deleted(iam):
    user = unique("inl-del")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc(allow()))
    with raises_aws("DeleteConflict", status=409) as e:
        iam.delete_user(UserName=user)
    assert e["message"] in USER_POLICY_CONFLICTS, e["message"]
    iam.delete_user_policy(UserName=user, PolicyName="p")
    iam.delete_user(UserName=user)


def test_attach_errors(server, iam, aws):
    user, group = unique("ae"), unique("aeg")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    nope = f"arn:aws:iam::{ACCOUNT_ID}:policy/nope"
    msg = f"Policy {nope} does not exist or is not attachable."
    with raises_aws("NoSuchEntity", msg, 404):
        iam.attach_user_policy(UserName=user, PolicyArn=nope)
    with raises_aws("NoSuchEntity", msg, 404):
        iam.attach_group_policy(GroupName=group, PolicyArn=nope)
    aws_nope = "arn:aws:iam::aws:policy/NoSuchAwsManagedPolicyX"
    with raises_aws("NoSuchEntity", f"Policy {aws_nope} does not exist or is not attachable.", 404):
        iam.attach_user_policy(UserName=user, PolicyArn=aws_nope)
    res = aws("iam", "attach-user-policy", "--user-name", user, "--policy-arn", nope)
    assert_cli_error(res, "NoSuchEntity", "AttachUserPolicy", msg)

    # A name instead of an ARN. botocore enforces PolicyArn's min length (20) client-side, so a
    # name of 20+ characters reaches the server.
    not_arn = "NotAnArnJustAPolicyName"
    assert len(not_arn) >= 20
    with raises_aws("ValidationError", INVALID_ARN, 400):
        iam.attach_user_policy(UserName=user, PolicyArn=not_arn)
    res = aws("iam", "attach-group-policy", "--group-name", group, "--policy-arn", not_arn)
    assert_cli_error(res, "ValidationError", "AttachGroupPolicy", INVALID_ARN)

    # A short name never leaves botocore (min length 20); sent raw-signed, AWS refuses it either for
    # the length or as an unparsable ARN.
    r = signed_call(server.url, "iam", {"Action": "AttachUserPolicy", "Version": "2010-05-08",
                                        "UserName": user, "PolicyArn": "nope"})
    assert r.status == 400, r.body
    code, message = r.error()
    length = "failed to satisfy constraint: Member must have length greater than or equal to 20"
    assert code == "ValidationError" and message in (
        INVALID_ARN,
        f"1 validation error detected: Value at 'policyArn' {length}",  # AWS's recorded style omits the value
        f"1 validation error detected: Value 'nope' at 'policyArn' {length}"), (code, message)

    p = create_policy(iam)
    with raises_aws("NoSuchEntity", "The user with name no-such-user-y cannot be found.", 404):
        iam.attach_user_policy(UserName="no-such-user-y", PolicyArn=p["Arn"])
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == []


def test_attachment_quota(iam):
    user, group = unique("q10"), unique("q10g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    arns = [create_policy(iam, unique("q"))["Arn"] for _ in range(11)]
    for a in arns[:10]:
        iam.attach_user_policy(UserName=user, PolicyArn=a)
        iam.attach_group_policy(GroupName=group, PolicyArn=a)
    with raises_aws("LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10", 409):
        iam.attach_user_policy(UserName=user, PolicyArn=arns[10])
    with raises_aws("LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 10", 409):
        iam.attach_group_policy(GroupName=group, PolicyArn=arns[10])
    # Re-attaching one already attached is not a new attachment.
    iam.attach_user_policy(UserName=user, PolicyArn=arns[0])
    listed = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert sorted(x["PolicyArn"] for x in listed) == sorted(arns[:10])
    page = iam.list_attached_user_policies(UserName=user, MaxItems=4)
    assert len(page["AttachedPolicies"]) == 4 and page["IsTruncated"] is True
    rest = iam.list_attached_user_policies(UserName=user, Marker=page["Marker"])
    assert len(rest["AttachedPolicies"]) == 6 and rest["IsTruncated"] is False
    # A boundary is not an attachment: it does not use the quota.
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=arns[10])
    iam.detach_user_policy(UserName=user, PolicyArn=arns[0])
    iam.attach_user_policy(UserName=user, PolicyArn=arns[10])


# --------------------------------------------------------------------------------------
# Permissions boundaries
# --------------------------------------------------------------------------------------


def test_permissions_boundary(iam, aws):
    b = create_policy(iam, unique("boundary"))
    user = unique("pb")
    u = iam.create_user(UserName=user, PermissionsBoundary=b["Arn"])["User"]
    assert u["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy",
                                       "PermissionsBoundaryArn": b["Arn"]}
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == b["Arn"]
    g = iam.get_policy(PolicyArn=b["Arn"])["Policy"]
    assert g["PermissionsBoundaryUsageCount"] == 1 and g["AttachmentCount"] == 0

    other = unique("pb2")
    iam.create_user(UserName=other)
    iam.put_user_permissions_boundary(UserName=other, PermissionsBoundary=b["Arn"])
    assert iam.get_policy(PolicyArn=b["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 2
    by_boundary = iam.list_entities_for_policy(PolicyArn=b["Arn"], PolicyUsageFilter="PermissionsBoundary")
    assert {x["UserName"] for x in by_boundary["PolicyUsers"]} == {user, other}
    by_perm = iam.list_entities_for_policy(PolicyArn=b["Arn"], PolicyUsageFilter="PermissionsPolicy")
    assert by_perm["PolicyUsers"] == []

    # A policy used as a boundary is in use: AWS refuses to delete it (DeleteConflict; the console
    # says it is attached as a permissions boundary; gruntwork-io/cloud-nuke#972).
    with raises_aws("DeleteConflict", status=409):
        iam.delete_policy(PolicyArn=b["Arn"])
    # A boundary alone does not block DeleteUser (unlike attached or inline policies).
    third = unique("pb-del")
    iam.create_user(UserName=third, PermissionsBoundary=b["Arn"])
    assert iam.get_policy(PolicyArn=b["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 3
    iam.delete_user(UserName=third)
    assert iam.get_policy(PolicyArn=b["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 2

    iam.delete_user_permissions_boundary(UserName=other)
    assert "PermissionsBoundary" not in iam.get_user(UserName=other)["User"]
    assert iam.get_policy(PolicyArn=b["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 1

    # The CLI, once for boundaries.
    res = aws("iam", "put-user-permissions-boundary", "--user-name", other, "--permissions-boundary", b["Arn"])
    assert res.returncode == 0, res.stderr
    res = aws("iam", "get-user", "--user-name", other)
    assert res.json["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == b["Arn"]
    assert aws("iam", "delete-user-permissions-boundary", "--user-name", other).returncode == 0
    assert "PermissionsBoundary" not in aws("iam", "get-user", "--user-name", other).json["User"]

    missing = policy_arn(unique("nob"))
    with raises_aws("NoSuchEntity", status=404):
        iam.create_user(UserName=unique("pb3"), PermissionsBoundary=missing)
    with raises_aws("NoSuchEntity", status=404):
        iam.put_user_permissions_boundary(UserName=other, PermissionsBoundary=missing)
    assert "PermissionsBoundary" not in iam.get_user(UserName=other)["User"]


# --------------------------------------------------------------------------------------
# Tags on policies
# --------------------------------------------------------------------------------------


def test_policy_tags(iam):
    p = create_policy(iam)
    arn = p["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "somekey", "Value": "somevalue"}, {"Key": "someotherkey", "Value": "x"}])
    tags = lambda: {t["Key"]: t["Value"] for t in iam.list_policy_tags(PolicyArn=arn)["Tags"]}  # noqa: E731
    assert tags() == {"somekey": "somevalue", "someotherkey": "x"}
    page = iam.list_policy_tags(PolicyArn=arn, MaxItems=1)
    assert len(page["Tags"]) == 1 and page["IsTruncated"] is True
    page2 = iam.list_policy_tags(PolicyArn=arn, Marker=page["Marker"])
    assert len(page2["Tags"]) == 1 and page2["IsTruncated"] is False
    assert page["Tags"][0]["Key"] != page2["Tags"][0]["Key"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "somekey", "Value": ""}])
    assert tags() == {"somekey": "", "someotherkey": "x"}
    iam.untag_policy(PolicyArn=arn, TagKeys=["somekey", "never-there"])
    assert tags() == {"someotherkey": "x"}
    with raises_aws("InvalidInput", status=400):
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "0", "Value": ""}, {"Key": "0", "Value": ""}])
    with raises_aws(
        "ValidationError",
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        400,
    ):
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": str(i), "Value": ""} for i in range(51)])
    missing = policy_arn("NotAPolicy-" + unique("x"))
    with raises_aws("NoSuchEntity", f"Policy {missing} was not found.", 404):
        iam.tag_policy(PolicyArn=missing, Tags=[{"Key": "k", "Value": "v"}])
    with raises_aws("NoSuchEntity", f"Policy {missing} was not found.", 404):
        iam.untag_policy(PolicyArn=missing, TagKeys=["k"])
    with raises_aws("NoSuchEntity", f"Policy {missing} was not found.", 404):
        iam.list_policy_tags(PolicyArn=missing)


def test_policy_tag_keys_are_case_sensitive(iam):
    # Recorded against AWS: "a" and "A" are two tags of one policy, untagging "a" keeps "A".
    p = iam.create_policy(PolicyName=unique("case"), PolicyDocument=doc(allow()),
                          Tags=[{"Key": "a", "Value": "lowercase"}, {"Key": "A", "Value": "uppercase"}])["Policy"]
    tags = lambda: {t["Key"]: t["Value"] for t in iam.list_policy_tags(PolicyArn=p["Arn"])["Tags"]}  # noqa: E731
    assert tags() == {"a": "lowercase", "A": "uppercase"}
    iam.untag_policy(PolicyArn=p["Arn"], TagKeys=["a"])
    assert tags() == {"A": "uppercase"}
    iam.tag_policy(PolicyArn=p["Arn"], Tags=[{"Key": "a", "Value": "again"}])
    assert tags() == {"a": "again", "A": "uppercase"}


def test_policy_duplicate_tag_keys_text(iam):
    # Recorded against AWS for CreatePolicy and TagPolicy.
    with raises_aws("InvalidInput", "Duplicate tag keys found.", 400):
        iam.create_policy(PolicyName=unique("dupt"), PolicyDocument=doc(allow()),
                          Tags=[{"Key": "0", "Value": ""}, {"Key": "0", "Value": ""}])
    arn = create_policy(iam)["Arn"]
    with raises_aws("InvalidInput", "Duplicate tag keys found.", 400):
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "0", "Value": ""}, {"Key": "0", "Value": ""}])


# --------------------------------------------------------------------------------------
# ListPolicies filters and pagination
# --------------------------------------------------------------------------------------


def all_policies(iam, **kw) -> list[dict]:
    out = []
    for page in iam.get_paginator("list_policies").paginate(**kw):
        out += page["Policies"]
    return out


def test_list_policies_filters(iam, aws):
    prefix = "/" + unique("lp") + "/"
    attached = create_policy(iam, unique("lp-att"), Path=prefix)
    boundary = create_policy(iam, unique("lp-bnd"), Path=prefix)
    idle = create_policy(iam, unique("lp-idle"), Path=prefix)
    user = unique("lpu")
    iam.create_user(UserName=user, PermissionsBoundary=boundary["Arn"])
    iam.attach_user_policy(UserName=user, PolicyArn=attached["Arn"])

    arns = lambda ps: {p["Arn"] for p in ps}  # noqa: E731
    mine = {attached["Arn"], boundary["Arn"], idle["Arn"]}
    assert arns(all_policies(iam, Scope="Local", PathPrefix=prefix)) == mine
    assert arns(all_policies(iam, PathPrefix=prefix)) == mine
    only_attached = arns(all_policies(iam, Scope="Local", PathPrefix=prefix, OnlyAttached=True))
    assert attached["Arn"] in only_attached and idle["Arn"] not in only_attached
    assert arns(all_policies(iam, Scope="Local", PathPrefix=prefix, OnlyAttached=True,
                             PolicyUsageFilter="PermissionsPolicy")) == {attached["Arn"]}
    # PolicyUsageFilter picks the kind of use; with OnlyAttached it selects the policies in use that way.
    assert arns(all_policies(iam, Scope="Local", PathPrefix=prefix, OnlyAttached=True,
                             PolicyUsageFilter="PermissionsBoundary")) == {boundary["Arn"]}
    assert attached["Arn"] in arns(all_policies(iam, Scope="Local", PathPrefix=prefix, PolicyUsageFilter="PermissionsPolicy"))
    assert arns(all_policies(iam, Scope="AWS", PathPrefix=prefix)) == set()
    assert arns(all_policies(iam, Scope="Local", PathPrefix="/no-such-prefix-zz/")) == set()
    local = all_policies(iam, Scope="Local")
    assert all(":aws:policy/" not in p["Arn"] and p["Arn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:policy/") for p in local)

    res = aws("iam", "list-policies", "--scope", "Local", "--only-attached", "--path-prefix", prefix,
              "--policy-usage-filter", "PermissionsPolicy")
    assert res.returncode == 0 and [p["Arn"] for p in res.json["Policies"]] == [attached["Arn"]], res.stderr

    # Pagination: pages of 2 with a Marker, no duplicates, nothing lost.
    first = iam.list_policies(Scope="Local", PathPrefix=prefix, MaxItems=2)
    assert len(first["Policies"]) == 2 and first["IsTruncated"] is True and first["Marker"]
    second = iam.list_policies(Scope="Local", PathPrefix=prefix, MaxItems=2, Marker=first["Marker"])
    assert len(second["Policies"]) == 1 and second["IsTruncated"] is False and "Marker" not in second
    assert arns(first["Policies"]) | arns(second["Policies"]) == mine


def _aws_policy(iam, name):
    return iam.get_policy(PolicyArn=f"arn:aws:iam::aws:policy/{name}")["Policy"]


@pytest.mark.parametrize("name", AWS_MANAGED)
def test_aws_managed_policies_exist(iam, name):
    p = _aws_policy(iam, name)
    assert p["Arn"] == f"arn:aws:iam::aws:policy/{name}"
    assert p["PolicyName"] == name and p["Path"] == "/"
    assert ANPA_RE.match(p["PolicyId"]), p["PolicyId"]
    assert p["IsAttachable"] is True and re.match(r"^v[1-9][0-9]*$", p["DefaultVersionId"])
    v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])["PolicyVersion"]
    assert v["IsDefaultVersion"] is True and v["Document"]["Version"] == "2012-10-17"


def test_aws_managed_policy_documents(iam):
    admin = _aws_policy(iam, "AdministratorAccess")
    # AWS's AdministratorAccess: ANPAIWMBCKSKIEE64ZLYK, v1, one Allow * on *.
    assert admin["PolicyId"] == "ANPAIWMBCKSKIEE64ZLYK" and admin["DefaultVersionId"] == "v1"
    d = iam.get_policy_version(PolicyArn=ADMIN_ARN, VersionId="v1")["PolicyVersion"]["Document"]
    assert d == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    # IAMUserChangePassword (recorded: DefaultVersionId v5, Description as below).
    cp = _aws_policy(iam, "IAMUserChangePassword")
    assert cp["DefaultVersionId"] == "v5"
    assert cp["Description"] == "Provides the ability for an IAM user to change their own password."
    cpd = iam.get_policy_version(PolicyArn=cp["Arn"], VersionId="v5")["PolicyVersion"]["Document"]
    stmts = cpd["Statement"] if isinstance(cpd["Statement"], list) else [cpd["Statement"]]
    # v5 lists the pathed-user form too (arn:aws:iam::*:user/*/${aws:username}).
    as_list = lambda v: v if isinstance(v, list) else [v]  # noqa: E731
    assert any("iam:ChangePassword" in as_list(s["Action"])
               and "arn:aws:iam::*:user/${aws:username}" in as_list(s["Resource"])
               for s in stmts), cpd


def test_aws_managed_policies_are_listed(iam):
    aws_scope = all_policies(iam, Scope="AWS")
    names = {p["PolicyName"] for p in aws_scope}
    assert set(AWS_MANAGED) <= names
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in aws_scope)
    assert set(AWS_MANAGED) <= {p["PolicyName"] for p in all_policies(iam, Scope="All")}
    assert not set(AWS_MANAGED) & {p["PolicyName"] for p in all_policies(iam, Scope="Local")}


def test_aws_managed_policies_are_read_only(iam):
    # Customers cannot change or delete them (AWS refuses writes to the aws account's policies).
    for call in (
        lambda: iam.delete_policy(PolicyArn=ADMIN_ARN),
        lambda: iam.create_policy_version(PolicyArn=ADMIN_ARN, PolicyDocument=doc(allow())),
        lambda: iam.delete_policy_version(PolicyArn=ADMIN_ARN, VersionId="v1"),
        lambda: iam.set_default_policy_version(PolicyArn=ADMIN_ARN, VersionId="v1"),
        lambda: iam.tag_policy(PolicyArn=ADMIN_ARN, Tags=[{"Key": "k", "Value": "v"}]),
    ):
        with pytest.raises(ClientError) as e:
            call()
        code = e.value.response["Error"]["Code"]
        assert code in ("AccessDenied", "InvalidInput", "UnmodifiableEntity", "NoSuchEntity"), e.value.response
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403, 404)
    [admin] = [p for p in all_policies(iam, Scope="AWS") if p["Arn"] == ADMIN_ARN]
    assert admin["DefaultVersionId"] == "v1"


def test_aws_managed_policy_attachment_is_counted(iam):
    def admin():
        return [p for p in all_policies(iam, Scope="AWS") if p["Arn"] == ADMIN_ARN][0]

    user = unique("awsatt")
    iam.create_user(UserName=user)
    before = admin()["AttachmentCount"]
    iam.attach_user_policy(UserName=user, PolicyArn=ADMIN_ARN)
    assert admin()["AttachmentCount"] == before + 1
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == [
        {"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_ARN}]
    assert ADMIN_ARN in {p["Arn"] for p in all_policies(iam, Scope="AWS", OnlyAttached=True)}
    ents = iam.list_entities_for_policy(PolicyArn=ADMIN_ARN)
    assert user in {u["UserName"] for u in ents["PolicyUsers"]}
    iam.detach_user_policy(UserName=user, PolicyArn=ADMIN_ARN)
    assert admin()["AttachmentCount"] == before


def test_aws_managed_policies_grant_what_they_say(server, iam):
    # Attached AWS managed policies are enforced: ReadOnlyAccess reads but cannot write,
    # IAMUserChangePassword lets a user change only its own password.
    reader, creds = create_user_with_key(iam, unique("ro"))
    iam.attach_user_policy(UserName=reader["UserName"], PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    me = make_client("iam", server.url, creds)
    assert me.list_users()["Users"]
    with raises_aws("AccessDenied", status=403):
        me.create_user(UserName=unique("nope"))
    admin_user, admin_creds = create_user_with_key(iam, unique("adm"))
    iam.attach_user_policy(UserName=admin_user["UserName"], PolicyArn=ADMIN_ARN)
    adm = make_client("iam", server.url, admin_creds)
    made = adm.create_user(UserName=unique("by-admin"))["User"]
    adm.delete_user(UserName=made["UserName"])


# --------------------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------------------


def test_policies_survive_restart(warden_factory):
    w = warden_factory()
    iam = w.client("iam")
    p = iam.create_policy(PolicyName="persist-pol", Path="/keep/", Description="kept",
                          PolicyDocument=doc(allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}")),
                          Tags=[{"Key": "t", "Value": "1"}])["Policy"]
    arn = p["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListUsers")), SetAsDefault=True)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListGroups")))
    bnd = iam.create_policy(PolicyName="persist-bnd", PolicyDocument=doc(allow("iam:*")))["Policy"]
    user, creds = create_user_with_key(iam, "persist-user", PermissionsBoundary=bnd["Arn"])
    iam.create_group(GroupName="persist-group")
    iam.add_user_to_group(UserName="persist-user", GroupName="persist-group")
    iam.attach_user_policy(UserName="persist-user", PolicyArn=arn)
    iam.attach_group_policy(GroupName="persist-group", PolicyArn=arn)
    iam.put_user_policy(UserName="persist-user", PolicyName="inl", PolicyDocument=doc(allow("iam:ListPolicies")))
    iam.put_group_policy(GroupName="persist-group", PolicyName="ginl", PolicyDocument=doc(allow("iam:ListGroups")))
    before = iam.get_policy(PolicyArn=arn)["Policy"]
    me = make_client("iam", w.url, creds)
    assert me.list_users()["Users"]  # allowed by v2 (default)

    w.restart()
    iam = w.client("iam")
    after = iam.get_policy(PolicyArn=arn)["Policy"]
    for k in ("PolicyId", "Arn", "Path", "DefaultVersionId", "AttachmentCount", "Description", "CreateDate"):
        assert after[k] == before[k], k
    assert after["DefaultVersionId"] == "v2" and after["AttachmentCount"] == 2
    assert {t["Key"]: t["Value"] for t in iam.list_policy_tags(PolicyArn=arn)["Tags"]} == {"t": "1"}
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        ("v3", False), ("v2", True), ("v1", False)]
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]["Statement"][0][
        "Resource"] == "arn:aws:iam::*:user/${aws:username}"
    assert iam.list_attached_user_policies(UserName="persist-user")["AttachedPolicies"] == [
        {"PolicyName": "persist-pol", "PolicyArn": arn}]
    assert iam.list_attached_group_policies(GroupName="persist-group")["AttachedPolicies"][0]["PolicyArn"] == arn
    assert iam.list_user_policies(UserName="persist-user")["PolicyNames"] == ["inl"]
    assert iam.get_group_policy(GroupName="persist-group", PolicyName="ginl")["PolicyDocument"] == json.loads(doc(allow("iam:ListGroups")))
    assert iam.get_user(UserName="persist-user")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == bnd["Arn"]
    assert iam.get_policy(PolicyArn=bnd["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 1
    # Enforcement after the restart uses the stored policies: the attached policy's default v2
    # allows ListUsers, the user's inline policy ListPolicies, the group's inline policy ListGroups
    # (all inside the iam:* boundary), and nothing allows CreateUser.
    me = make_client("iam", w.url, creds)
    assert me.list_users()["Users"]
    me.list_policies(Scope="Local")
    me.list_groups()
    with raises_aws("AccessDenied", status=403):
        me.create_user(UserName="persist-nope")
    # The versions quota still counts the stored versions.
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow()))
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow()))
    with raises_aws("LimitExceeded", VERSION_LIMIT, 409):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow()))


# --------------------------------------------------------------------------------------
# Account views: GetAccountSummary policy counts, GetAccountAuthorizationDetails
# --------------------------------------------------------------------------------------


def test_account_summary_policy_counts(iam):
    before = iam.get_account_summary()["SummaryMap"]
    # AWS's fixed quotas (recorded SummaryMap).
    for k, v in {"PolicySizeQuota": 6144, "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120,
                 "VersionsPerPolicyQuota": 5, "AttachedPoliciesPerUserQuota": 10,
                 "AttachedPoliciesPerGroupQuota": 10, "PoliciesQuota": 1500,
                 "PolicyVersionsInUseQuota": 10000}.items():
        assert before[k] == v, (k, before.get(k))
    # Recorded delta: one customer managed policy, attached -> Policies +1, PolicyVersionsInUse +1.
    p = create_policy(iam)
    user = unique("sum")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=p["Arn"])
    after = iam.get_account_summary()["SummaryMap"]
    assert after["Policies"] - before["Policies"] == 1
    assert after["PolicyVersionsInUse"] - before["PolicyVersionsInUse"] == 1
    iam.detach_user_policy(UserName=user, PolicyArn=p["Arn"])
    iam.delete_policy(PolicyArn=p["Arn"])
    assert iam.get_account_summary()["SummaryMap"]["Policies"] == before["Policies"]


def test_account_authorization_details(warden_factory):
    w = warden_factory()
    iam = w.client("iam")
    pol = iam.create_policy(PolicyName="ad-pol", Path="/ad/", Description="d",
                            PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]
    iam.create_policy_version(PolicyArn=pol["Arn"], PolicyDocument=doc(allow("iam:ListGroups")), SetAsDefault=True)
    bnd = iam.create_policy(PolicyName="ad-bnd", PolicyDocument=doc(allow("iam:*")))["Policy"]
    u = iam.create_user(UserName="ad-user", Path="/ad/", PermissionsBoundary=bnd["Arn"],
                        Tags=[{"Key": "team", "Value": "blue"}])["User"]
    g = iam.create_group(GroupName="ad-group")["Group"]
    iam.add_user_to_group(GroupName="ad-group", UserName="ad-user")
    iam.put_user_policy(UserName="ad-user", PolicyName="ui", PolicyDocument=doc(allow("iam:GetUser")))
    iam.put_group_policy(GroupName="ad-group", PolicyName="gi", PolicyDocument=doc(allow("iam:GetGroup")))
    iam.attach_user_policy(UserName="ad-user", PolicyArn=pol["Arn"])
    iam.attach_group_policy(GroupName="ad-group", PolicyArn=pol["Arn"])

    users = iam.get_account_authorization_details(Filter=["User"])
    assert users["GroupDetailList"] == [] and users["Policies"] == [] and users["IsTruncated"] is False
    [ud] = users["UserDetailList"]
    assert (ud["UserName"], ud["UserId"], ud["Arn"], ud["Path"]) == ("ad-user", u["UserId"], u["Arn"], "/ad/")
    assert ud["UserPolicyList"] == [{"PolicyName": "ui", "PolicyDocument": json.loads(doc(allow("iam:GetUser")))}]
    assert ud["GroupList"] == ["ad-group"]
    assert ud["AttachedManagedPolicies"] == [{"PolicyName": "ad-pol", "PolicyArn": pol["Arn"]}]
    assert ud["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy",
                                         "PermissionsBoundaryArn": bnd["Arn"]}
    assert ud["Tags"] == [{"Key": "team", "Value": "blue"}]

    groups = iam.get_account_authorization_details(Filter=["Group"])
    assert groups["UserDetailList"] == [] and groups["Policies"] == []
    [gd] = groups["GroupDetailList"]
    assert (gd["GroupName"], gd["GroupId"], gd["Arn"]) == ("ad-group", g["GroupId"], g["Arn"])
    assert gd["GroupPolicyList"] == [{"PolicyName": "gi", "PolicyDocument": json.loads(doc(allow("iam:GetGroup")))}]
    assert gd["AttachedManagedPolicies"] == [{"PolicyName": "ad-pol", "PolicyArn": pol["Arn"]}]

    local = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])
    assert local["UserDetailList"] == [] and local["GroupDetailList"] == []
    by_name = {p["PolicyName"]: p for p in local["Policies"]}
    assert set(by_name) == {"ad-pol", "ad-bnd"}
    p = by_name["ad-pol"]
    assert p["Arn"] == pol["Arn"] and p["PolicyId"] == pol["PolicyId"] and p["DefaultVersionId"] == "v2"
    assert p["AttachmentCount"] == 2 and p["Path"] == "/ad/" and p["IsAttachable"] is True
    versions = {v["VersionId"]: v for v in p["PolicyVersionList"]}
    assert set(versions) == {"v1", "v2"}
    assert versions["v2"]["IsDefaultVersion"] is True and versions["v1"]["IsDefaultVersion"] is False
    assert versions["v1"]["Document"] == json.loads(doc(allow("iam:ListUsers")))
    assert versions["v2"]["Document"] == json.loads(doc(allow("iam:ListGroups")))
    assert by_name["ad-bnd"]["PermissionsBoundaryUsageCount"] == 1 and by_name["ad-bnd"]["AttachmentCount"] == 0

    # Pagination over everything: each entity exactly once.
    seen, marker, pages = [], None, 0
    while True:
        kw = {"MaxItems": 1}
        if marker:
            kw["Marker"] = marker
        page = iam.get_account_authorization_details(**kw)
        pages += 1
        seen += [("u", x["UserName"]) for x in page["UserDetailList"]]
        seen += [("g", x["GroupName"]) for x in page["GroupDetailList"]]
        seen += [("p", x["Arn"]) for x in page["Policies"] if ":aws:policy/" not in x["Arn"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
        assert pages < 50
    assert pages >= 2
    assert sorted(seen) == sorted([("u", "ad-user"), ("g", "ad-group"), ("p", pol["Arn"]), ("p", bnd["Arn"])])
