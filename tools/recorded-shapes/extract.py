#!/usr/bin/env python3
"""Writes tests/e2e/data/recorded_shapes.json: the IAM and STS answers AWS gave to LocalStack's
snapshot suites, one case per recorded answer, for tests/e2e/test_recorded_shapes.py to compare
warden's answers against.

Source: LocalStack's snapshot files (Apache-2.0), recorded against real AWS, read at the pinned
commit below from a git mirror of github.com/localstack/localstack (`git show COMMIT:PATH`; no work
tree needed). LocalStack replaces identifiers by placeholders (`<role-id:1>`, `<datetime>`); the
corpus keeps the answers as recorded (placeholders included) and adds:

* `operation`: the IAM/STS operation whose answer it is. The snapshot files name answers by the
  test's own key (`created_role`, `get-policy-response`), so the mapping is written here by hand
  (KEY_OPERATIONS, TEST_KEY_OPERATIONS), read off the calls of the test sources at the same commit.
* `fragment`: where the test recorded a part of an answer (`list_access_keys(...)["AccessKeyMetadata"][0]`),
  the path of that part within the answer.
* `formats`: what each placeholder stands for, as a regular expression. These are ours, from AWS's
  documented identifier layouts (IAM User Guide, "IAM identifiers": unique ID prefixes AIDA, AROA,
  AGPA, ANPA, ASCA, ACCA, 21 characters; access key ids AKIA/ASIA, 20 characters; 40-character
  secrets), not from the recordings.
* `exceptions`: recorded answers the e2e test does not reproduce, each with its reason.
  The e2e test fails on any case that it neither reproduces nor finds here.

Answers that are not an IAM/STS answer (CloudFormation stack outputs and resources, values the test
made up itself) are left out, listed under `excluded` with the reason.

Run from the repository root:

    python3 tools/recorded-shapes/extract.py                     # mirror at the default path
    python3 tools/recorded-shapes/extract.py --mirror DIR        # another git directory of the mirror
    python3 tools/recorded-shapes/extract.py --out FILE          # write elsewhere (staleness test)

To refresh: update the mirror (`git -C MIRROR fetch`, or the session tool's `fetch
github:localstack/localstack`), set PINNED_COMMIT to the new commit, rerun, review the diff of the
corpus (new tests need a line in KEY_OPERATIONS or TEST_KEY_OPERATIONS; the script stops on an
unmapped answer), then run tests/e2e/test_recorded_shapes.py. The output is deterministic.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "e2e", "data", "recorded_shapes.json")
DEFAULT_MIRROR = "/work/.mirror/localstack+localstack/repo"
UPSTREAM = "https://github.com/localstack/localstack"
PINNED_COMMIT = "8b9a79f05846835cf4dff63ab7eefdde9df83783"

# Every snapshot file of the pinned commit for IAM, STS or Organizations (there is none for
# Organizations): `git ls-tree -r COMMIT --name-only | grep snapshot.json | grep -E '/(iam|sts)/'`.
SNAPSHOT_FILES = [
    "tests/aws/services/iam/test_iam.snapshot.json",
    "tests/aws/services/iam/resource_providers/test_iam.snapshot.json",
    "tests/aws/services/iam/resource_providers/aws_iam_user/test_basic_user.snapshot.json",
    "tests/aws/services/iam/resource_providers/aws_iam_user/test_parity.snapshot.json",
    "tests/aws/services/sts/test_sts.snapshot.json",
]

# Answer key -> operation, where the key means the same in every test.
KEY_OPERATIONS = {
    "created_role": "CreateRole",
    "create_role_result": "CreateRole",
    "create-role-response": "CreateRole",
    "create-role": "CreateRole",
    "role-1": "CreateRole",
    "role-2": "CreateRole",
    "updated_policy": "UpdateAssumeRolePolicy",
    "invalid-json": "CreateRole",
    "get_role_result": "GetRole",
    "get-role-response": "GetRole",
    "describe-response": "GetRole",
    "list_roles_result": "ListRoles",
    "list-roles-response": "ListRoles",
    "list-role-response": "ListRoles",
    "delete-role-response": "DeleteRole",
    "create_policy_response": "CreatePolicy",
    "delete-non-existent-policy-exc": "DeletePolicy",
    "create-user-response": "CreateUser",
    "create-service-specific-credential-response": "CreateServiceSpecificCredential",
    "invalid-user-name-exception": "CreateServiceSpecificCredential",
    "invalid-user-and-service-exception": "CreateServiceSpecificCredential",
    "invalid-service-exception": "CreateServiceSpecificCredential",
    "invalid-service-completely-malformed-exception": "CreateServiceSpecificCredential",
    "invalid-service-existing-but-unsupported-exception": "CreateServiceSpecificCredential",
    "list-service-specific-credentials-response-before-update": "ListServiceSpecificCredentials",
    "list-service-specific-credentials-response-after-update": "ListServiceSpecificCredentials",
    "list-service-specific-credentials-invalid-service": "ListServiceSpecificCredentials",
    "list-service-specific-credentials-response-wrong-service": "ListServiceSpecificCredentials",
    "update-service-specific-credential-response": "UpdateServiceSpecificCredential",
    "update-wrong-id": "UpdateServiceSpecificCredential",
    "update-wrong-user-name": "UpdateServiceSpecificCredential",
    "update-invalid-status": "UpdateServiceSpecificCredential",
    "reset-service-specific-credential-response": "ResetServiceSpecificCredential",
    "reset-wrong-id": "ResetServiceSpecificCredential",
    "reset-wrong-user-name": "ResetServiceSpecificCredential",
    "delete-service-specific-credentials-response": "DeleteServiceSpecificCredential",
    "delete-wrong-id": "DeleteServiceSpecificCredential",
    "delete-wrong-user-name": "DeleteServiceSpecificCredential",
    "delete-user-existing-credential": "DeleteUser",
    "inline-role-policies": "ListRolePolicies",
    "attached-role-policies": "ListAttachedRolePolicies",
    "custom-suffix-not-allowed": "CreateServiceLinkedRole",
    "role-already-exists-error": "CreateServiceLinkedRole",
    "service-linked-role-deletion-response": "DeleteServiceLinkedRole",
    "service-linked-role-deletion-status-response": "GetServiceLinkedRoleDeletionStatus",
    "response": "SimulatePrincipalPolicy",
    # resource_providers (CloudFormation-made entities, read back with IAM calls)
    "describe-resource": "GetUser",
    "describe-resource-before-update": "GetUser",
    "describe-resource-after-update": "GetUser",
    "autogenerated-get-user": "GetUser",
    "describe-user-resource": "GetUser",
    "get_iam_user": "GetUser",
    "describe-user-group-association": "ListGroupsForUser",
    "managed_policy": "GetPolicy",
    "user_inline_policy": "GetUserPolicy",
    "user_updated_inline_policy": "GetUserPolicy",
    "role_inline_policy": "GetRolePolicy",
    "role_updated_inline_policy": "GetRolePolicy",
    "certificate": "GetServerCertificate",
    "get_server_certificate_error": "GetServerCertificate",
    # sts
    "get-federation-token": "GetFederationToken",
    "assume-role": "AssumeRole",
    "invalid-transitive-tag-keys": "AssumeRole",
    "duplicate-tag-keys-different-casing": "AssumeRole",
    "override-transitive-tag-error": "AssumeRole",
    "override-transitive-tag-case-ignore-error": "AssumeRole",
    "malformed-arn": "AssumeRole",
    "no-partition": "AssumeRole",
    "no-service": "AssumeRole",
    "not-enough-colons": "AssumeRole",
    "no-resource": "AssumeRole",
    "invalid-session-name": "AssumeRole",
}

# (test name without parameters, key) -> (operation, fragment) where the key alone is ambiguous
# or the test recorded a part of the answer.
TEST_KEY_OPERATIONS = {
    ("test_role_attach_policy", "non_existent_malformed_policy_arn"): ("AttachRolePolicy", None),
    ("test_role_attach_policy", "existing_policy_name_provided"): ("AttachRolePolicy", None),
    ("test_role_attach_policy", "valid_arn_not_existent"): ("AttachRolePolicy", None),
    ("test_role_attach_policy", "valid_policy_arn"): ("AttachRolePolicy", None),
    ("test_user_attach_policy", "non_existent_malformed_policy_arn"): ("AttachUserPolicy", None),
    ("test_user_attach_policy", "existing_policy_name_provided"): ("AttachUserPolicy", None),
    ("test_user_attach_policy", "valid_arn_not_existent"): ("AttachUserPolicy", None),
    ("test_user_attach_policy", "valid_policy_arn"): ("AttachUserPolicy", None),
    ("test_put_user_policy_encoding", "get-policy-response"): ("GetUserPolicy", None),
    ("test_put_role_policy_encoding", "get-policy-response"): ("GetRolePolicy", None),
    ("test_put_group_policy_encoding", "get-policy-response"): ("GetGroupPolicy", None),
    ("test_iam_user_access_key", "access_key"): ("ListAccessKeys", "AccessKeyMetadata[0]"),
    ("test_iam_user_access_key", "access_key_updated"): ("ListAccessKeys", "AccessKeyMetadata[0]"),
    ("test_managedpolicy_with_fn_sub_json_string", "policy_document"): (
        "GetPolicyVersion",
        "PolicyVersion.Document",
    ),
    ("test_managedpolicy_with_fn_sub_multiline_yaml", "policy_document_multiline"): (
        "GetPolicyVersion",
        "PolicyVersion.Document",
    ),
    ("test_managedpolicy_with_fn_sub_and_arrays", "policy_with_arrays"): (
        "GetPolicyVersion",
        "PolicyVersion.Document",
    ),
    ("test_inline_policy_with_fn_sub_json_string", "inline_policy_document"): (
        "GetRolePolicy",
        "PolicyDocument",
    ),
}

# Recorded values that are not an IAM/STS answer.
EXCLUDED_KEYS = {
    "stack-outputs": "CloudFormation stack outputs, not an IAM answer",
    "stack_outputs": "CloudFormation stack outputs, not an IAM answer",
    "stack-outputs-before-update": "CloudFormation stack outputs, not an IAM answer",
    "stack-outputs-after-update": "CloudFormation stack outputs, not an IAM answer",
    "outputs": "CloudFormation stack outputs, not an IAM answer",
    "key_outputs": "CloudFormation stack outputs, not an IAM answer",
    "stack_resource": "CloudFormation DescribeStackResource answer, not an IAM answer",
    "role-session-name": "a value the test made up itself, not an answer",
}

# Placeholder kind (the part before `:n`) -> regular expression of what AWS puts there. Ours,
# from AWS's documented identifier layouts (see the module docstring).
ID_TAIL = "[A-Z0-9]{17}"
FORMATS = {
    "partition": "aws",
    "region": "[a-z]{2}(-[a-z]+)+-[0-9]",
    "datetime": "<datetime>",
    "timestamp": "<datetime>",
    "user-id": "AIDA" + ID_TAIL,
    "role-id": "AROA" + ID_TAIL,
    "group-id": "AGPA" + ID_TAIL,
    "policy-id": "ANPA" + ID_TAIL,
    "server-certificate-id": "ASCA" + ID_TAIL,
    "service-specific-credential-id": "ACCA" + ID_TAIL,
    "access-key-id": "(AKIA|ASIA)[A-Z0-9]{16}",
    "key-id": "AKIA[A-Z0-9]{16}",
    "secret-access-key": "[A-Za-z0-9/+]{40}",
    "session-token": "[A-Za-z0-9/+=_.-]{16,}",
    "service-password": "[A-Za-z0-9/+=]{16,}",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "source-policy-id": "[\\w+=,.@-]+",
    "path": "/([\\w+=,.@-]+/)*",
    "path-prefix": "[\\w+=,.@-]+",
    "user-name": "[\\w+=,.@-]+",
    "role-name": "[\\w+=,.@-]+",
    "group-name": "[\\w+=,.@-]+",
    "group-name-1": "[\\w+=,.@-]+",
    "group-name-2": "[\\w+=,.@-]+",
    "policy-name": "[\\w+=,.@-]+",
    "server-certificate-name": "[\\w+=,.@-]+",
    "role-session-name": "[\\w+=,.@-]+",
    "resource": "[\\w+=,.@-]+",
    "account-id": "[0-9]{12}",
    "suffix": "[\\w+=,.@-]+",
}
# LocalStack records its test account as this literal; it stands for the caller's account.
RECORDED_ACCOUNT = "111111111111"

# (test name without parameters, key) -> {path: reason}: parts of a recording that depend on the
# recording account's history rather than on AWS's answer; the e2e test does not compare them.
# LocalStack's own skip_snapshot_verify markers are not copied: they mark where LocalStack differs
# from AWS, and AWS's recording is what warden must match.
LOOSE_PATHS = {
    ("test_service_role_lifecycle", "describe-response"): {
        "Role.RoleLastUsed": "AWS records a last use when the service itself used a role that existed "
        "in the recording account before the test (kafka, rds, ssm, sso, resource-explorer-2)",
        "Role.Description": "present only for the roles the service had created in the recording "
        "account before the test (rds, ssm, sso): the test reused them",
    },
    **{
        (test, key): {
            "IsTruncated": "recorded on 2025-03-06, before ListServiceSpecificCredentials took "
            "Marker/MaxItems (the pinned botocore model has them, with IsTruncated in the answer); "
            "warden answers IsTruncated as every paginated IAM list does",
        }
        for test, key in [
            ("test_service_specific_credential_lifecycle", "list-service-specific-credentials-response-before-update"),
            ("test_service_specific_credential_lifecycle", "list-service-specific-credentials-response-after-update"),
            ("test_list_service_specific_credential_different_service", "list-service-specific-credentials-response-wrong-service"),
        ]
    },
    ("test_simulate_principle_policy", "response"): {
        f"EvaluationResults[{i}].OrganizationsDecisionDetail": "AWS reports it for an account in an "
        "organization; the recording account's membership is unknown, warden's test account is "
        "standalone (tests/e2e/test_scps.py covers both)"
        for i in range(2)
    },
}

# Recorded cases the e2e test does not reproduce: (test as recorded, with its parameters; key or
# "*") -> reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("test_service_role_lifecycle[lex.amazonaws.com]", "attached-role-policies"): "AWS attaches "
    "aws-service-role/AmazonLexBotPolicy, which the pinned managed-policy source "
    "(crates/warden-core/data/aws-managed-policies) does not hold, so warden cannot attach it",
}


def git_show(mirror: str, path: str) -> str:
    out = subprocess.run(
        ["git", "-C", mirror, "show", f"{PINNED_COMMIT}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def placeholders(value, found: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            placeholders(k, found)
            placeholders(v, found)
    elif isinstance(value, list):
        for v in value:
            placeholders(v, found)
    elif isinstance(value, str):
        i = value.find("<")
        while i >= 0:
            j = value.find(">", i)
            if j < 0:
                break
            found.add(value[i + 1 : j].split(":")[0])
            i = value.find("<", j)


def normalise(answer: dict) -> dict:
    """Keeps the HTTP status of ResponseMetadata and drops the rest (request ids, headers:
    LocalStack does not record them)."""
    out = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    meta = answer.get("ResponseMetadata")
    if isinstance(meta, dict) and "HTTPStatusCode" in meta:
        out["ResponseMetadata"] = {"HTTPStatusCode": meta["HTTPStatusCode"]}
    return out


def fixtures(mirror: str) -> dict:
    """Inputs of the recorded tests that the e2e test needs verbatim: the private key of the
    recorded server certificate (a throwaway test key published in LocalStack's template)."""
    template = git_show(mirror, "tests/aws/templates/iam_server_certificate.yaml")
    begin = template.index("-----BEGIN PRIVATE KEY-----")
    end = template.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----")
    key = "\n".join(line.strip() for line in template[begin:end].splitlines()) + "\n"
    return {"server_certificate_private_key": {"source": "tests/aws/templates/iam_server_certificate.yaml", "pem": key}}


def build(mirror: str) -> dict:
    cases = []
    excluded = []
    unknown_placeholders: set[str] = set()
    for path in SNAPSHOT_FILES:
        doc = json.loads(git_show(mirror, path))
        for test_id in sorted(doc):
            entry = doc[test_id]
            test = test_id.split("::")[-1]
            bare = test.split("[")[0]
            recorded = entry.get("recorded-content", {})
            for key, answer in recorded.items():
                if key in EXCLUDED_KEYS:
                    excluded.append({"source": path, "test": test, "key": key, "reason": EXCLUDED_KEYS[key]})
                    continue
                if (bare, key) in TEST_KEY_OPERATIONS:
                    operation, fragment = TEST_KEY_OPERATIONS[(bare, key)]
                elif key in KEY_OPERATIONS:
                    operation, fragment = KEY_OPERATIONS[key], None
                else:
                    sys.exit(f"{path} {test}: answer {key!r} has no operation; add it to KEY_OPERATIONS")
                if isinstance(answer, dict) and "Error" in answer:
                    kind = "error"
                elif fragment:
                    kind = "fragment"
                else:
                    kind = "answer"
                found: set[str] = set()
                placeholders(answer, found)
                unknown_placeholders |= found - set(FORMATS)
                case = {
                    "source": path,
                    "test": test,
                    "key": key,
                    "operation": operation,
                    "kind": kind,
                    "recorded": normalise(answer) if kind != "fragment" else answer,
                }
                if fragment:
                    case["fragment"] = fragment
                loose = LOOSE_PATHS.get((bare, key))
                if loose:
                    case["loose"] = loose
                cases.append(case)
    if unknown_placeholders:
        sys.exit(f"placeholders without a format: {sorted(unknown_placeholders)}; add them to FORMATS")
    operations: dict[str, int] = {}
    for c in cases:
        operations[c["operation"]] = operations.get(c["operation"], 0) + 1
    return {
        "about": "AWS's answers recorded by LocalStack's snapshot suites; generated by "
        "tools/recorded-shapes/extract.py, do not edit",
        "upstream": UPSTREAM,
        "commit": PINNED_COMMIT,
        "files": SNAPSHOT_FILES,
        "recorded_account": RECORDED_ACCOUNT,
        "formats": FORMATS,
        "operations": dict(sorted(operations.items())),
        "exceptions": [
            {"test": t, "key": k, "reason": r} for (t, k), r in sorted(EXCEPTIONS.items())
        ],
        "excluded": excluded,
        "fixtures": fixtures(mirror),
        "cases": cases,
    }


def render(corpus: dict) -> str:
    # One case per line keeps the file compact and its diffs readable.
    lines = ["{"]
    items = list(corpus.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(v, list) and v and isinstance(v[0], dict):
            lines.append(f"  {json.dumps(k)}: [")
            for j, item in enumerate(v):
                c = "," if j < len(v) - 1 else ""
                lines.append("    " + json.dumps(item, sort_keys=False, ensure_ascii=False) + c)
            lines.append("  ]" + comma)
        else:
            lines.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror", default=os.environ.get("LOCALSTACK_MIRROR", DEFAULT_MIRROR))
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    text = render(build(args.mirror))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
