"""Warden's answers compared with AWS's recorded ones, key by key (issue 15).

The recorded answers are LocalStack's snapshot suites for IAM and STS, recorded against real AWS
(github.com/localstack/localstack, pinned commit in the corpus), compacted into
`tests/e2e/data/recorded_shapes.json` by `tools/recorded-shapes/extract.py`. For every recorded
test, a scenario below makes the same calls against the real warden binary with boto3 and returns
the answers under the recording's keys; each answer is compared with the recorded one:

* the same keys at every level: a key warden adds or leaves out fails;
* lists: the same length (an empty list AWS keeps must be there, and empty);
* numbers and booleans: the same value and type;
* strings: the recorded text, with each placeholder (`<role-id:1>`, `<partition>`) matched by the
  corpus's format for it (id prefixes and lengths, ARN forms) and bound to one value across the
  recorded test, and the recording account `111111111111` standing for the caller's account;
* `<datetime>`: a timestamp (boto3 parses it, so the wire form is ISO 8601);
* errors: code, message, type and HTTP status as recorded.

A recorded case that no scenario reproduces fails, unless the corpus lists it as an exception with
its reason.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from e2e_util import ACCOUNT_ID, REGION, Creds, make_client

REPO = Path(__file__).resolve().parents[2]
CORPUS_PATH = Path(__file__).parent / "data" / "recorded_shapes.json"
CORPUS = json.loads(CORPUS_PATH.read_text())
EXTRACT = REPO / "tools" / "recorded-shapes" / "extract.py"
MIRROR = os.environ.get("LOCALSTACK_MIRROR", "/work/.mirror/localstack+localstack/repo")

PLACEHOLDER = re.compile(r"<([a-z0-9-]+)(?::\d+)?>|" + re.escape(CORPUS["recorded_account"]))


def _groups() -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for case in CORPUS["cases"]:
        out.setdefault((case["source"], case["test"]), []).append(case)
    return out


GROUPS = _groups()
EXCEPTIONS = {(e["test"], e["key"]): e["reason"] for e in CORPUS["exceptions"]}


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------


class Comparison:
    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}
        self.diffs: list[str] = []

    def string(self, recorded: str, actual: Any, path: str) -> None:
        if recorded in ("<datetime>", "<timestamp>"):
            if not isinstance(actual, _dt.datetime):
                self.diffs.append(f"{path}: a timestamp recorded, warden gives {actual!r}")
            return
        if not isinstance(actual, str):
            self.diffs.append(f"{path}: a string recorded ({recorded!r}), warden gives {actual!r}")
            return
        pattern, names, pos = [], [], 0
        for m in PLACEHOLDER.finditer(recorded):
            pattern.append(re.escape(recorded[pos : m.start()]))
            if m.group(1) is None:
                pattern.append(re.escape(ACCOUNT_ID))
            else:
                fmt = CORPUS["formats"][m.group(1)]
                fmt = r"\S+" if fmt == "<datetime>" else fmt
                pattern.append(f"(?P<g{len(names)}>{fmt})")
                names.append(m.group(0))
            pos = m.end()
        pattern.append(re.escape(recorded[pos:]))
        found = re.fullmatch("".join(pattern), actual)
        if not found:
            self.diffs.append(f"{path}: recorded {recorded!r}, warden gives {actual!r}")
            return
        for i, name in enumerate(names):
            value = found.group(f"g{i}")
            bound = self.bindings.setdefault(name, value)
            if bound != value:
                self.diffs.append(f"{path}: {name} was {bound!r} before, here {value!r}")

    def value(self, recorded: Any, actual: Any, path: str, loose: dict) -> None:
        if isinstance(recorded, dict):
            if not isinstance(actual, dict):
                self.diffs.append(f"{path}: an object recorded, warden gives {actual!r}")
                return
            for key in sorted(set(recorded) | set(actual)):
                sub = f"{path}.{key}" if path else key
                if sub in loose:
                    continue
                if key not in actual:
                    self.diffs.append(f"{sub}: missing (AWS gives {_short(recorded[key])})")
                elif key not in recorded:
                    self.diffs.append(f"{sub}: extra (AWS leaves it out; warden gives {_short(actual[key])})")
                else:
                    self.value(recorded[key], actual[key], sub, loose)
        elif isinstance(recorded, list):
            if not isinstance(actual, list) or len(actual) != len(recorded):
                self.diffs.append(f"{path}: recorded {_short(recorded)}, warden gives {_short(actual)}")
                return
            for i, (r, a) in enumerate(zip(recorded, actual)):
                self.value(r, a, f"{path}[{i}]", loose)
        elif isinstance(recorded, bool) or isinstance(recorded, int) or recorded is None:
            if type(actual) is not type(recorded) or actual != recorded:
                self.diffs.append(f"{path}: recorded {recorded!r}, warden gives {actual!r}")
        elif isinstance(recorded, str):
            self.string(recorded, actual, path)
        else:  # pragma: no cover - the corpus is JSON
            raise AssertionError(f"{path}: unexpected recorded value {recorded!r}")


def _short(v: Any) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _normalise(answer: dict) -> dict:
    out = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    out["ResponseMetadata"] = {"HTTPStatusCode": answer["ResponseMetadata"]["HTTPStatusCode"]}
    return out


def _fragment(answer: dict, path: str) -> Any:
    value: Any = answer
    for part in path.split("."):
        m = re.fullmatch(r"(\w+)(?:\[(\d+)\])?", part)
        assert m, path
        value = value[m.group(1)]
        if m.group(2) is not None:
            value = value[int(m.group(2))]
    return value


def instantiate(recorded: Any) -> Any:
    """A recorded document turned back into the input that gave it: the placeholders of the
    recording environment replaced by ours."""
    if isinstance(recorded, dict):
        return {k: instantiate(v) for k, v in recorded.items()}
    if isinstance(recorded, list):
        return [instantiate(v) for v in recorded]
    if isinstance(recorded, str):
        return (
            recorded.replace("<partition>", "aws")
            .replace("<region>", REGION)
            .replace(CORPUS["recorded_account"], ACCOUNT_ID)
        )
    return recorded


def recorded(test: str, key: str) -> Any:
    for case in CORPUS["cases"]:
        if case["test"] == test and case["key"] == key:
            return case["recorded"]
    raise KeyError((test, key))


# --------------------------------------------------------------------------------------
# Scenarios: the recorded tests' calls, made against warden
# --------------------------------------------------------------------------------------


class Ctx:
    def __init__(self, server, iam, sts, creds: Creds):
        self.server = server
        self.iam = iam
        self.sts = sts
        self.creds = creds

    @staticmethod
    def uid() -> str:
        return uuid.uuid4().hex[:8]

    def client(self, service: str, creds: Creds, **cfg):
        return make_client(service, self.server.url, creds, **cfg)


def answer(fn: Callable, **kwargs) -> dict:
    """The call's answer, or its error answer as boto3 gives it."""
    try:
        return fn(**kwargs)
    except ClientError as e:
        return e.response


SCENARIOS: dict[str, Callable[[Ctx, str | None], dict[str, dict]]] = {}


def scenario(*names: str):
    def register(fn):
        for name in names:
            assert name not in SCENARIOS, name
            SCENARIOS[name] = fn
        return fn

    return register


def doc(statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


EC2_TRUST = [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
LAMBDA_LIST = [{"Effect": "Allow", "Action": ["lambda:ListFunctions"], "Resource": ["*"]}]
ENCODED_TARGET = f"arn%3Aaws%3Aapigateway%3A{REGION}%3A%3A%2Frestapis%2Faaeeieije"
ENCODED_POLICY = [
    {
        "Effect": "Allow",
        "Action": ["apigatway:PUT"],
        "Resource": [f"arn:aws:apigateway:{REGION}::/tags/{ENCODED_TARGET}"],
    }
]


@scenario("test_update_assume_role_policy")
def _update_assume_role_policy(c: Ctx, _p) -> dict:
    policy = doc([{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}])
    name = f"role-{c.uid()}"
    return {
        "created_role": c.iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy),
        "updated_policy": c.iam.update_assume_role_policy(RoleName=name, PolicyDocument=policy),
    }


@scenario("test_create_role_with_malformed_assume_role_policy_document")
def _malformed_trust(c: Ctx, _p) -> dict:
    bad = '{"Version": "2012-10-17", "Statement": [{"Action": "sts:AssumeRole", "Principal": "*", "Effect": "Allow",}]}'
    return {"invalid-json": answer(c.iam.create_role, RoleName=f"role-{c.uid()}", AssumeRolePolicyDocument=bad)}


@scenario("test_list_roles_with_permission_boundary")
def _list_roles_with_boundary(c: Ctx, _p) -> dict:
    path = f"/{c.uid()}/"
    name = f"role-{c.uid()}"
    out = {"created_role": c.iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(EC2_TRUST), Path=path)}
    arn = c.iam.create_policy(PolicyName=f"policy-{c.uid()}", PolicyDocument=doc(LAMBDA_LIST))["Policy"]["Arn"]
    c.iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=arn)
    out["list_roles_result"] = c.iam.list_roles(PathPrefix=path)
    return out


@scenario("test_create_describe_role")
def _create_describe_role(c: Ctx, _p) -> dict:
    path = f"/{c.uid()}/"
    name = f"role-{c.uid()}"
    return {
        "create_role_result": c.iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(EC2_TRUST), Path=path),
        "get_role_result": c.iam.get_role(RoleName=name),
        "list_roles_result": c.iam.list_roles(PathPrefix=path),
    }


def _attach(c: Ctx, attach: Callable, principal: dict) -> dict:
    name = f"test-policy-{c.uid()}"
    created = c.iam.create_policy(PolicyName=name, PolicyDocument=doc(LAMBDA_LIST))
    arn = created["Policy"]["Arn"]
    return {
        "create_policy_response": created,
        "non_existent_malformed_policy_arn": answer(attach, PolicyArn="longpolicynamebutnoarn", **principal),
        "existing_policy_name_provided": answer(attach, PolicyArn=name, **principal),
        "valid_arn_not_existent": answer(attach, PolicyArn=f"{arn}123", **principal),
        "valid_policy_arn": attach(PolicyArn=arn, **principal),
    }


@scenario("test_role_attach_policy")
def _role_attach_policy(c: Ctx, _p) -> dict:
    name = f"test-role-{c.uid()}"
    c.iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(EC2_TRUST))
    return _attach(c, c.iam.attach_role_policy, {"RoleName": name})


@scenario("test_user_attach_policy")
def _user_attach_policy(c: Ctx, _p) -> dict:
    name = f"test-user-{c.uid()}"
    c.iam.create_user(UserName=name)
    return _attach(c, c.iam.attach_user_policy, {"UserName": name})


@scenario("test_role_with_path_lifecycle")
def _role_with_path_lifecycle(c: Ctx, _p) -> dict:
    name, path = f"role-{c.uid()}", f"/path{c.uid()}/"
    trust = doc([{"Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}, "Effect": "Allow"}])
    return {
        "create-role-response": c.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, Path=path),
        "get-role-response": c.iam.get_role(RoleName=name),
        "delete-role-response": c.iam.delete_role(RoleName=name),
    }


@scenario("test_put_user_policy_encoding")
def _put_user_policy_encoding(c: Ctx, _p) -> dict:
    user, policy = f"test-user-{c.uid()}", f"test-policy-{c.uid()}"
    c.iam.create_user(UserName=user)
    c.iam.put_user_policy(UserName=user, PolicyName=policy, PolicyDocument=doc(ENCODED_POLICY))
    return {"get-policy-response": c.iam.get_user_policy(UserName=user, PolicyName=policy)}


@scenario("test_put_role_policy_encoding")
def _put_role_policy_encoding(c: Ctx, _p) -> dict:
    role, policy, path = f"test-role-{c.uid()}", f"test-policy-{c.uid()}", f"/{c.uid()}/"
    trust = doc(
        [
            {
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Effect": "Allow",
                "Condition": {"StringEquals": {"aws:SourceArn": ENCODED_TARGET}},
            }
        ]
    )
    out = {"create-role-response": c.iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust, Path=path)}
    c.iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=doc(ENCODED_POLICY))
    out["get-policy-response"] = c.iam.get_role_policy(RoleName=role, PolicyName=policy)
    out["get-role-response"] = c.iam.get_role(RoleName=role)
    out["list-roles-response"] = c.iam.list_roles(PathPrefix=path)
    return out


@scenario("test_put_group_policy_encoding")
def _put_group_policy_encoding(c: Ctx, _p) -> dict:
    group, policy = f"test-group-{c.uid()}", f"test-policy-{c.uid()}"
    c.iam.create_group(GroupName=group)
    c.iam.put_group_policy(GroupName=group, PolicyName=policy, PolicyDocument=doc(ENCODED_POLICY))
    return {"get-policy-response": c.iam.get_group_policy(GroupName=group, PolicyName=policy)}


@scenario("test_delete_non_existent_policy_returns_no_such_entity")
def _delete_missing_policy(c: Ctx, _p) -> dict:
    arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/non-existent-policy"
    return {"delete-non-existent-policy-exc": answer(c.iam.delete_policy, PolicyArn=arn)}


# Service-specific credentials


def _user_with_credential(c: Ctx, service: str = "codecommit.amazonaws.com") -> tuple[str, dict, str]:
    user = f"user-{c.uid()}"
    created_user = c.iam.create_user(UserName=user)
    cred = c.iam.create_service_specific_credential(UserName=user, ServiceName=service)
    return user, {"create-user-response": created_user, "create-service-specific-credential-response": cred}, cred[
        "ServiceSpecificCredential"
    ]["ServiceSpecificCredentialId"]


@scenario("test_service_specific_credential_lifecycle")
def _ssc_lifecycle(c: Ctx, service: str | None) -> dict:
    assert service
    user, out, cred_id = _user_with_credential(c, service)
    ids = {"UserName": user, "ServiceSpecificCredentialId": cred_id}
    out["list-service-specific-credentials-response-before-update"] = c.iam.list_service_specific_credentials(
        UserName=user, ServiceName=service
    )
    out["update-service-specific-credential-response"] = c.iam.update_service_specific_credential(
        Status="Inactive", **ids
    )
    out["list-service-specific-credentials-response-after-update"] = c.iam.list_service_specific_credentials(
        UserName=user, ServiceName=service
    )
    out["reset-service-specific-credential-response"] = c.iam.reset_service_specific_credential(**ids)
    out["delete-service-specific-credentials-response"] = c.iam.delete_service_specific_credential(**ids)
    return out


@scenario("test_create_service_specific_credential_invalid_user")
def _ssc_invalid_user(c: Ctx, _p) -> dict:
    create = c.iam.create_service_specific_credential
    return {
        "invalid-user-name-exception": answer(
            create, UserName="non-existent-user", ServiceName="codecommit.amazonaws.com"
        ),
        "invalid-user-and-service-exception": answer(
            create, UserName="non-existent-user", ServiceName="nonexistentservice.amazonaws.com"
        ),
    }


@scenario("test_create_service_specific_credential_invalid_service")
def _ssc_invalid_service(c: Ctx, _p) -> dict:
    user = f"user-{c.uid()}"
    create = c.iam.create_service_specific_credential
    return {
        "create-user-response": c.iam.create_user(UserName=user),
        "invalid-service-exception": answer(create, UserName=user, ServiceName="nonexistentservice.amazonaws.com"),
        "invalid-service-completely-malformed-exception": answer(create, UserName=user, ServiceName="o3on3n3onosneo"),
        "invalid-service-existing-but-unsupported-exception": answer(
            create, UserName=user, ServiceName="lambda.amazonaws.com"
        ),
    }


@scenario("test_list_service_specific_credential_different_service")
def _ssc_list_other_service(c: Ctx, _p) -> dict:
    user = f"user-{c.uid()}"
    out = {"create-user-response": c.iam.create_user(UserName=user)}
    out["list-service-specific-credentials-invalid-service"] = answer(
        c.iam.list_service_specific_credentials, UserName=user, ServiceName="nonexistentservice.amazonaws.com"
    )
    out["create-service-specific-credential-response"] = c.iam.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com"
    )
    out["list-service-specific-credentials-response-wrong-service"] = c.iam.list_service_specific_credentials(
        UserName=user, ServiceName="cassandra.amazonaws.com"
    )
    return out


@scenario("test_delete_user_after_service_credential_created")
def _ssc_delete_user(c: Ctx, _p) -> dict:
    user, out, _id = _user_with_credential(c)
    out["delete-user-existing-credential"] = answer(c.iam.delete_user, UserName=user)
    return out


@scenario("test_user_match_id_mismatch")
def _ssc_wrong_id(c: Ctx, wrong_id: str | None) -> dict:
    user, out, _id = _user_with_credential(c)
    ids = {"UserName": user, "ServiceSpecificCredentialId": wrong_id}
    out["update-wrong-id"] = answer(c.iam.update_service_specific_credential, Status="Inactive", **ids)
    out["reset-wrong-id"] = answer(c.iam.reset_service_specific_credential, **ids)
    out["delete-wrong-id"] = answer(c.iam.delete_service_specific_credential, **ids)
    return out


@scenario("test_id_match_user_mismatch")
def _ssc_wrong_user(c: Ctx, _p) -> dict:
    _user, out, cred_id = _user_with_credential(c)
    ids = {"UserName": "wrong-user-name", "ServiceSpecificCredentialId": cred_id}
    out["update-wrong-user-name"] = answer(c.iam.update_service_specific_credential, Status="Inactive", **ids)
    out["reset-wrong-user-name"] = answer(c.iam.reset_service_specific_credential, **ids)
    out["delete-wrong-user-name"] = answer(c.iam.delete_service_specific_credential, **ids)
    return out


@scenario("test_invalid_update_parameters")
def _ssc_invalid_status(c: Ctx, _p) -> dict:
    _user, out, cred_id = _user_with_credential(c)
    out["update-invalid-status"] = answer(
        c.iam.update_service_specific_credential, ServiceSpecificCredentialId=cred_id, Status="Invalid"
    )
    return out


# Service-linked roles


def _service_role(c: Ctx, **kwargs) -> dict:
    role = c.iam.create_service_linked_role(**kwargs)["Role"]["RoleName"]
    try:
        return {
            "describe-response": c.iam.get_role(RoleName=role),
            "inline-role-policies": c.iam.list_role_policies(RoleName=role),
            "attached-role-policies": c.iam.list_attached_role_policies(RoleName=role),
        }
    finally:
        c.iam.delete_service_linked_role(RoleName=role)


@scenario("test_service_role_lifecycle")
def _service_role_lifecycle(c: Ctx, service: str | None) -> dict:
    return _service_role(c, AWSServiceName=service)


@scenario("test_service_role_lifecycle_custom_suffix")
def _service_role_custom_suffix(c: Ctx, service: str | None) -> dict:
    return _service_role(c, AWSServiceName=service, CustomSuffix=c.uid())


@scenario("test_service_role_lifecycle_custom_suffix_not_allowed")
def _service_role_suffix_refused(c: Ctx, service: str | None) -> dict:
    return {
        "custom-suffix-not-allowed": answer(
            c.iam.create_service_linked_role, AWSServiceName=service, CustomSuffix="testsuffix"
        )
    }


@scenario("test_service_role_deletion")
def _service_role_deletion(c: Ctx, _p) -> dict:
    role = c.iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")["Role"]["RoleName"]
    deleted = c.iam.delete_service_linked_role(RoleName=role)
    status = c.iam.get_service_linked_role_deletion_status(DeletionTaskId=deleted["DeletionTaskId"])
    return {"service-linked-role-deletion-response": deleted, "service-linked-role-deletion-status-response": status}


@scenario("test_service_role_already_exists")
def _service_role_taken(c: Ctx, _p) -> dict:
    role = c.iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")["Role"]["RoleName"]
    try:
        return {
            "role-already-exists-error": answer(c.iam.create_service_linked_role, AWSServiceName="batch.amazonaws.com")
        }
    finally:
        c.iam.delete_service_linked_role(RoleName=role)


@scenario("test_simulate_principle_policy")
def _simulate_principal_policy(c: Ctx, kind: str | None) -> dict:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Sid": "", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        }
    )
    arn = c.iam.create_policy(PolicyName=f"policy-{c.uid()}", PolicyDocument=policy)["Policy"]["Arn"]
    if kind == "role":
        name = f"role-{c.uid()}"
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Sid": "",
                    "Effect": "Allow",
                    "Principal": {"Service": "apigateway.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                },
            }
        )
        source = c.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        c.iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    elif kind == "group":
        name = f"group-{c.uid()}"
        source = c.iam.create_group(GroupName=name)["Group"]["Arn"]
        c.iam.attach_group_policy(GroupName=name, PolicyArn=arn)
    else:
        name = f"user-{c.uid()}"
        source = c.iam.create_user(UserName=name)["User"]["Arn"]
        c.iam.attach_user_policy(UserName=name, PolicyArn=arn)
    # The recording names the bucket `bucket` (LocalStack replaced the test's random name).
    return {
        "response": c.iam.simulate_principal_policy(
            PolicySourceArn=source,
            ActionNames=["s3:PutObject", "s3:GetObjectVersion"],
            ResourceArns=["arn:aws:s3:::bucket"],
        )
    }


@scenario("test_role_with_tags")
def _role_with_tags(c: Ctx, _p) -> dict:
    name, path = f"role-{c.uid()}", "/role-with-tags/"
    created = c.iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=doc(EC2_TRUST), Tags=[{"Key": "test", "Value": "value"}], Path=path
    )
    out = {"create-role-response": created, "get-role-response": c.iam.get_role(RoleName=name)}
    out["list-role-response"] = c.iam.list_roles(PathPrefix=path)
    # ListRoles is scoped by path: the next run of this module reuses no server, but keep it clean.
    c.iam.delete_role(RoleName=name)
    return out


# CloudFormation-made entities, made here with the IAM calls CloudFormation makes


@scenario("test_black_box", "test_autogenerated_values", "test_getatt", "test_iam_username_defaultname")
def _plain_user(c: Ctx, _p) -> dict:
    name = f"user-{c.uid()}"
    c.iam.create_user(UserName=name)
    got = c.iam.get_user(UserName=name)
    return {k: got for k in ("describe-resource", "autogenerated-get-user", "get_iam_user")}


@scenario("test_update_without_replacement")
def _renamed_user(c: Ctx, _p) -> dict:
    # AWS replaced the user (a new user id) under the name with `-updated` appended.
    name = f"user-{c.uid()}"
    c.iam.create_user(UserName=name)
    before = c.iam.get_user(UserName=name)
    c.iam.create_user(UserName=f"{name}-updated")
    return {
        "describe-resource-before-update": before,
        "describe-resource-after-update": c.iam.get_user(UserName=f"{name}-updated"),
    }


@scenario("test_create_with_full_properties")
def _user_in_groups(c: Ctx, _p) -> dict:
    name, groups = f"user-{c.uid()}", [f"group-1-{c.uid()}", f"group-2-{c.uid()}"]
    c.iam.create_user(UserName=name)
    for g in groups:
        c.iam.create_group(GroupName=g)
        c.iam.add_user_to_group(GroupName=g, UserName=name)
    return {
        "describe-user-resource": c.iam.get_user(UserName=name),
        "describe-user-group-association": c.iam.list_groups_for_user(UserName=name),
    }


@scenario("test_managed_policy_with_empty_resource")
def _managed_policy(c: Ctx, _p) -> dict:
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/table-{c.uid()}"
    policy = doc([{"Action": "dynamodb:DescribeTable", "Effect": "Allow", "Resource": [table]}])
    arn = c.iam.create_policy(PolicyName=f"managed-policy-{c.uid()}", PolicyDocument=policy)["Policy"]["Arn"]
    return {"managed_policy": c.iam.get_policy(PolicyArn=arn)}


@scenario("test_iam_user_access_key")
def _user_access_key(c: Ctx, _p) -> dict:
    name = f"user-{c.uid()}"
    c.iam.create_user(UserName=name)
    first = c.iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    out = {"access_key": c.iam.list_access_keys(UserName=name)}
    # The stack update made a second key, Inactive, and deleted the first.
    second = c.iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    c.iam.update_access_key(UserName=name, AccessKeyId=second, Status="Inactive")
    c.iam.delete_access_key(UserName=name, AccessKeyId=first)
    out["access_key_updated"] = c.iam.list_access_keys(UserName=name)
    return out


@scenario("test_update_inline_policy")
def _update_inline_policy(c: Ctx, _p) -> dict:
    test = "test_update_inline_policy"
    user, role, policy = f"user-{c.uid()}", f"role-{c.uid()}", f"policy-{c.uid()}"
    c.iam.create_user(UserName=user)
    c.iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(EC2_TRUST))
    out = {}
    for stage in ("", "updated_"):
        user_doc = instantiate(recorded(test, f"user_{stage}inline_policy")["PolicyDocument"])
        role_doc = instantiate(recorded(test, f"role_{stage}inline_policy")["PolicyDocument"])
        c.iam.put_user_policy(UserName=user, PolicyName=policy, PolicyDocument=json.dumps(user_doc))
        c.iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=json.dumps(role_doc))
        out[f"user_{stage}inline_policy"] = c.iam.get_user_policy(UserName=user, PolicyName=policy)
        out[f"role_{stage}inline_policy"] = c.iam.get_role_policy(RoleName=role, PolicyName=policy)
    return out


@scenario("test_server_certificate")
def _server_certificate(c: Ctx, _p) -> dict:
    name = f"server-certificate-{c.uid()}"
    body = recorded("test_server_certificate", "certificate")["ServerCertificate"]["CertificateBody"]
    key = CORPUS["fixtures"]["server_certificate_private_key"]["pem"]
    # The recorded body has no final newline. CloudFormation uploaded it from a block scalar that
    # has one, but whether IAM or CloudFormation dropped it is not recorded: uploaded as recorded.
    c.iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key)
    out = {"certificate": c.iam.get_server_certificate(ServerCertificateName=name)}
    c.iam.delete_server_certificate(ServerCertificateName=name)
    out["get_server_certificate_error"] = answer(c.iam.get_server_certificate, ServerCertificateName=name)
    return out


def _policy_version_document(test: str, key: str) -> Callable:
    def run(c: Ctx, _p) -> dict:
        document = instantiate(recorded(test, key))
        arn = c.iam.create_policy(PolicyName=f"policy-{c.uid()}", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        version = c.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        return {key: c.iam.get_policy_version(PolicyArn=arn, VersionId=version)}

    return run


SCENARIOS["test_managedpolicy_with_fn_sub_json_string"] = _policy_version_document(
    "test_managedpolicy_with_fn_sub_json_string", "policy_document"
)
SCENARIOS["test_managedpolicy_with_fn_sub_multiline_yaml"] = _policy_version_document(
    "test_managedpolicy_with_fn_sub_multiline_yaml", "policy_document_multiline"
)
SCENARIOS["test_managedpolicy_with_fn_sub_and_arrays"] = _policy_version_document(
    "test_managedpolicy_with_fn_sub_and_arrays", "policy_with_arrays"
)


@scenario("test_inline_policy_with_fn_sub_json_string")
def _inline_policy_document(c: Ctx, _p) -> dict:
    document = instantiate(recorded("test_inline_policy_with_fn_sub_json_string", "inline_policy_document"))
    role, policy = f"role-{c.uid()}", f"policy-{c.uid()}"
    c.iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(EC2_TRUST))
    c.iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=json.dumps(document))
    return {"inline_policy_document": c.iam.get_role_policy(RoleName=role, PolicyName=policy)}


# STS


ACCOUNT_TRUST_TAGS = [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Principal": {"AWS": ACCOUNT_ID}}]


@scenario("test_get_federation_token")
def _federation_token(c: Ctx, _p) -> dict:
    return {"get-federation-token": c.sts.get_federation_token(Name=f"TestName{c.uid()}", DurationSeconds=900)}


@scenario("test_assume_role")
def _assume_role(c: Ctx, _p) -> dict:
    trust = doc([{"Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNT_ID}, "Effect": "Allow"}])
    created = c.iam.create_role(RoleName=f"role-{c.uid()}", AssumeRolePolicyDocument=trust)
    assumed = c.sts.assume_role(RoleArn=created["Role"]["Arn"], RoleSessionName=f"test-assume-role-{c.uid()}")
    return {"create-role": created, "assume-role": assumed}


@scenario("test_assume_role_tag_validation")
def _assume_role_tags(c: Ctx, _p) -> dict:
    role = c.iam.create_role(RoleName=f"role-1-{c.uid()}", AssumeRolePolicyDocument=doc(ACCOUNT_TRUST_TAGS))
    arn = role["Role"]["Arn"]
    tag = {"Key": "SessionTag1", "Value": "SessionValue1"}
    out = {"role-1": role}
    out["invalid-transitive-tag-keys"] = answer(
        c.sts.assume_role,
        RoleArn=arn,
        RoleSessionName="SessionInvalidTransitiveKeys",
        Tags=[tag],
        TransitiveTagKeys=["InvalidKey"],
    )
    # Transitive keys are matched without case: this one is accepted.
    c.sts.assume_role(
        RoleArn=arn, RoleSessionName="SessionInvalidCasingTransitiveKeys", Tags=[tag], TransitiveTagKeys=["sessiontag1"]
    )
    out["duplicate-tag-keys-different-casing"] = answer(
        c.sts.assume_role,
        RoleArn=arn,
        RoleSessionName="SessionInvalidCasingTransitiveKeys",
        Tags=[tag, {"Key": "sessiontag1", "Value": "SessionValue2"}],
        TransitiveTagKeys=["sessiontag1"],
    )
    return out


@scenario("test_iam_role_chaining_override_transitive_tags")
def _role_chaining_tags(c: Ctx, _p) -> dict:
    role1 = c.iam.create_role(RoleName=f"role-1-{c.uid()}", AssumeRolePolicyDocument=doc(ACCOUNT_TRUST_TAGS))
    role2 = c.iam.create_role(RoleName=f"role-2-{c.uid()}", AssumeRolePolicyDocument=doc(ACCOUNT_TRUST_TAGS))
    c.iam.put_role_policy(
        RoleName=role1["Role"]["RoleName"],
        PolicyName=f"policy-{c.uid()}",
        PolicyDocument=doc(
            [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": [role2["Role"]["Arn"]]}]
        ),
    )
    keys = c.sts.assume_role(
        RoleArn=role1["Role"]["Arn"],
        RoleSessionName="Session1",
        Tags=[{"Key": "SessionTag1", "Value": "SessionValue1"}],
        TransitiveTagKeys=["SessionTag1"],
    )["Credentials"]
    sts1 = c.client("sts", Creds(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]))
    out = {"role-1": role1, "role-2": role2}
    for key, tag_key in (
        ("override-transitive-tag-error", "SessionTag1"),
        ("override-transitive-tag-case-ignore-error", "sessiontag1"),
    ):
        out[key] = answer(
            sts1.assume_role,
            RoleArn=role2["Role"]["Arn"],
            RoleSessionName="Session2SessionTagOverride",
            Tags=[{"Key": tag_key, "Value": "SessionValue2"}],
        )
    return out


@scenario("test_sts_invalid_parameters")
def _sts_invalid_parameters(c: Ctx, _p) -> dict:
    sts = c.client("sts", c.creds, parameter_validation=False)
    calls = {
        "malformed-arn": ("nothing-valid-in-here", "Session1"),
        "no-partition": ("arn::b:::something/test-role", "Session1"),
        "no-service": ("arn:a::::something/test-role", "Session1"),
        "not-enough-colons": ("arn:a:::something/test-role", "Session1"),
        "no-resource": ("arn:a:a::aaaaaaaaaa:", "Session1"),
        "invalid-session-name": ("arn:a:b:::something/test-role", "Session1:2"),
    }
    return {k: answer(sts.assume_role, RoleArn=arn, RoleSessionName=s) for k, (arn, s) in calls.items()}


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ctx(server, iam) -> Ctx:
    # LocalStack's suites call as an administrator user, not as root (root may not assume roles).
    name = "recorded-shapes-admin"
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name, PolicyName="admin", PolicyDocument=doc([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    return Ctx(server, make_client("iam", server.url, creds), make_client("sts", server.url, creds), creds)


def _param(test: str) -> str | None:
    m = re.fullmatch(r"[^\[]+\[(.*)\]", test)
    return m.group(1) if m else None


def _case_id(group: tuple[str, str]) -> str:
    source, test = group
    return f"{Path(source).parent.name}/{Path(source).name.split('.')[0]}::{test}"


@pytest.mark.parametrize("group", sorted(GROUPS), ids=_case_id)
def test_warden_answers_as_aws_recorded(ctx, group):
    source, test = group
    cases = GROUPS[group]
    bare = test.split("[")[0]
    todo = [c for c in cases if (test, c["key"]) not in EXCEPTIONS and (test, "*") not in EXCEPTIONS]
    if not todo:
        pytest.skip("; ".join(sorted({EXCEPTIONS.get((test, "*")) or EXCEPTIONS[(test, c["key"])] for c in cases})))
    assert bare in SCENARIOS, f"no scenario reproduces {source} {test}, and the corpus lists no exception for it"
    answers = SCENARIOS[bare](ctx, _param(test))
    cmp = Comparison()
    for case in todo:
        key = case["key"]
        assert key in answers, f"the scenario of {test} gives no answer for {key!r}"
        got = answers[key]
        if case["kind"] == "fragment":
            got = _fragment(got, case["fragment"])
        else:
            got = _normalise(got)
        before = len(cmp.diffs)
        cmp.value(case["recorded"], got, "", case.get("loose", {}))
        for i in range(before, len(cmp.diffs)):
            cmp.diffs[i] = f"{case['operation']} ({key}): {cmp.diffs[i]}"
    assert not cmp.diffs, f"{source} {test}: warden differs from AWS's recording:\n  " + "\n  ".join(cmp.diffs)


IAM_MODEL = json.loads((REPO / "crates" / "warden-wire" / "models" / "iam-2010-05-08.json").read_text())


def _documented_omissions() -> dict[str, list[str]]:
    """Operations whose API reference says which attributes they leave out, in either of its two
    wordings ("This operation does not return the following attributes, even though they are an
    attribute of the returned object: ..." and "For example, this operation does not return tags,
    even though they are an attribute of the returned object"), from the pinned botocore model."""
    out = {}
    for name, op in IAM_MODEL["operations"].items():
        text = op.get("documentation", "")
        listed = re.search(r"does not return the following attributes[^<]*</p>\s*<ul>(.*?)</ul>", text, re.S)
        if listed:
            out[name] = re.findall(r"<li>\s*<p>\s*(\w+)\s*</p>", listed.group(1))
        elif "this operation does not return tags" in text:
            out[name] = ["Tags"]
    return out


def _list_item_members(operation: str) -> set[str]:
    """The members of the items an IAM List operation answers with."""
    shapes = IAM_MODEL["shapes"]
    output = shapes[IAM_MODEL["operations"][operation]["output"]["shape"]]["members"]
    for member in output.values():
        shape = shapes[member["shape"]]
        if shape["type"] == "list":
            return set(shapes[shape["member"]["shape"]]["members"])
    raise AssertionError(operation)


def test_list_answers_leave_out_what_the_api_reference_says(ctx):
    omitted = _documented_omissions()
    # A newly documented operation needs a setup below; this fails until it has one.
    assert omitted == {
        "ListInstanceProfiles": ["Tags"],
        "ListOpenIDConnectProviders": ["Tags"],
        "ListPolicies": ["Tags"],
        "ListRoles": ["PermissionsBoundary", "RoleLastUsed", "Tags"],
        "ListSAMLProviders": ["Tags"],
        "ListServerCertificates": ["Tags"],
        "ListUsers": ["PermissionsBoundary", "Tags"],
        "ListVirtualMFADevices": ["Tags"],
    }, omitted
    # Where the listed items have no such member at all, there is nothing warden could add.
    checked = {op: names for op, names in omitted.items() if set(names) & _list_item_members(op)}
    assert set(checked) == {"ListInstanceProfiles", "ListPolicies", "ListRoles", "ListUsers", "ListVirtualMFADevices"}
    uid = ctx.uid()
    path, tags = f"/documented-{uid}/", [{"Key": "k", "Value": "v"}]
    boundary = ctx.iam.create_policy(PolicyName=f"boundary-{uid}", PolicyDocument=doc(LAMBDA_LIST), Path=path, Tags=tags)
    boundary_arn = boundary["Policy"]["Arn"]
    ctx.iam.create_user(UserName=f"user-{uid}", Path=path, Tags=tags, PermissionsBoundary=boundary_arn)
    ctx.iam.create_role(
        RoleName=f"role-{uid}", Path=path, AssumeRolePolicyDocument=doc(EC2_TRUST), Tags=tags,
        PermissionsBoundary=boundary_arn,
    )
    ctx.iam.create_instance_profile(InstanceProfileName=f"profile-{uid}", Path=path, Tags=tags)
    mfa = ctx.iam.create_virtual_mfa_device(VirtualMFADeviceName=f"mfa-{uid}", Path=path, Tags=tags)
    serial = mfa["VirtualMFADevice"]["SerialNumber"]
    # The control: the Get answers carry every attribute the lists leave out.
    full = {
        "ListUsers": ctx.iam.get_user(UserName=f"user-{uid}")["User"],
        "ListRoles": ctx.iam.get_role(RoleName=f"role-{uid}")["Role"],
        "ListInstanceProfiles": ctx.iam.get_instance_profile(InstanceProfileName=f"profile-{uid}")["InstanceProfile"],
        "ListPolicies": ctx.iam.get_policy(PolicyArn=boundary_arn)["Policy"],
        "ListVirtualMFADevices": {"Tags": ctx.iam.list_mfa_device_tags(SerialNumber=serial)["Tags"]},
    }
    listed = {
        "ListUsers": ctx.iam.list_users(PathPrefix=path)["Users"],
        "ListRoles": ctx.iam.list_roles(PathPrefix=path)["Roles"],
        "ListInstanceProfiles": ctx.iam.list_instance_profiles(PathPrefix=path)["InstanceProfiles"],
        "ListPolicies": ctx.iam.list_policies(Scope="Local", PathPrefix=path)["Policies"],
        "ListVirtualMFADevices": [
            d for d in ctx.iam.list_virtual_mfa_devices()["VirtualMFADevices"] if d["SerialNumber"] == serial
        ],
    }
    for op, names in checked.items():
        assert set(names) <= set(full[op]), (op, full[op])
        [item] = listed[op]
        assert not set(names) & set(item), (op, item)
    ctx.iam.delete_virtual_mfa_device(SerialNumber=serial)


def test_get_instance_profile_keeps_an_empty_tags_list(ctx):
    # Not recorded: issue 15 reports that AWS keeps it, as the recorded GetPolicy and
    # GetServerCertificate answers above do (entities tagged since the same 2021 release), while
    # GetUser and GetRole leave it out (recorded above too).
    name = f"profile-{ctx.uid()}"
    ctx.iam.create_instance_profile(InstanceProfileName=name)
    assert ctx.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Tags"] == []
    # The control: a tag shows.
    ctx.iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "k", "Value": "v"}])
    got = ctx.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Tags"]
    assert got == [{"Key": "k", "Value": "v"}]


def test_every_exception_names_a_recorded_case():
    known = {(c["test"], c["key"]) for c in CORPUS["cases"]}
    known |= {(t, "*") for t, _k in known}
    stale = [e for e in CORPUS["exceptions"] if (e["test"], e["key"]) not in known]
    assert not stale


def test_the_comparison_catches_a_missing_an_extra_and_a_misformatted_key():
    # The comparison itself, on a recorded GetRole answer: it must not pass everything.
    rec = recorded("test_create_describe_role", "get_role_result")
    good = instantiate(json.loads(json.dumps(rec)))
    good["Role"].update(
        RoleId="AROA" + "A" * 17,
        RoleName="r",
        Arn=f"arn:aws:iam::{ACCOUNT_ID}:role/p/r",
        Path="/p/",
        CreateDate=_dt.datetime.now(_dt.timezone.utc),
    )
    ok = Comparison()
    ok.value(rec, good, "", {})
    assert ok.diffs == []
    bad = json.loads(json.dumps(good, default=str))
    bad["Role"].pop("RoleLastUsed")
    bad["Role"]["PermissionsBoundary"] = {}
    bad["Role"]["RoleId"] = "AIDA" + "A" * 17
    cmp = Comparison()
    cmp.value(rec, bad, "", {})
    text = "\n".join(cmp.diffs)
    assert "Role.RoleLastUsed: missing" in text
    assert "Role.PermissionsBoundary: extra" in text
    assert "Role.RoleId" in text
    assert "Role.CreateDate: a timestamp recorded" in text


@pytest.mark.skipif(
    not (Path(MIRROR) / "HEAD").exists(), reason=f"no git mirror of localstack at {MIRROR} (LOCALSTACK_MIRROR)"
)
def test_the_corpus_is_what_the_pinned_recordings_give(tmp_path):
    out = tmp_path / "recorded_shapes.json"
    subprocess.run([sys.executable, str(EXTRACT), "--mirror", MIRROR, "--out", str(out)], check=True)
    assert out.read_text() == CORPUS_PATH.read_text(), "stale corpus: rerun tools/recorded-shapes/extract.py"
