#!/usr/bin/env python3
"""Generates docs/coverage.md: every operation of the pinned IAM, STS and Organizations
botocore models (crates/warden-wire/models/), served or not, with counts per service.

Sources, all in the repository:
  * the operations: the botocore models in crates/warden-wire/models/;
  * the trait method that serves each operation: the generated traits in
    crates/warden-wire/src/generated/{iam,sts,organizations}.rs (each method is preceded
    by its doc line "/// `OperationName`: ...");
  * what the server serves: the routing tables, i.e. the methods overridden in
    `impl IamApi for Iam` (crates/warden-server/src/iam/mod.rs), `impl StsApi for Sts`
    (crates/warden-server/src/sts.rs) and `impl OrganizationsApi for Organizations`
    (crates/warden-server/src/organizations/mod.rs). An operation whose method is not
    overridden answers NotImplemented (501) through the trait's default.

Run from the repository root:

    python3 tools/coverage/generate.py           # rewrites docs/coverage.md
    python3 tools/coverage/generate.py --check   # exits 1 when docs/coverage.md is stale

tests/e2e/test_coverage_doc.py runs --check and drives the real server with a sample of
the operations the doc lists on each side.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "coverage.md"

# (service, model file, generated module, trait, routing file, implementing type)
SERVICES = [
    ("IAM", "iam-2010-05-08.json", "iam.rs", "IamApi", "crates/warden-server/src/iam/mod.rs", "Iam"),
    ("STS", "sts-2011-06-15.json", "sts.rs", "StsApi", "crates/warden-server/src/sts.rs", "Sts"),
    (
        "Organizations",
        "organizations-2016-11-28.json",
        "organizations.rs",
        "OrganizationsApi",
        "crates/warden-server/src/organizations/mod.rs",
        "Organizations",
    ),
]

FEDERATION = "federation issue"
NOT_YET = "not yet"
BY_DESIGN = "not served by design"

# Operations warden leaves out on purpose, each with its reason. They still answer
# NotImplemented (501) after authentication and authorization, like any unserved one.
PARTNER_ONLY = (
    "AWS serves it only to partners onboarded to temporary delegation (the model: \"not available "
    "for general use\"); nothing outside AWS can create a delegation request"
)
ROLE_TEMPLATES = (
    "role templates are published by AWS services (ManagedByType `Service`) into AWS's own catalogue; "
    "no public source holds them for warden to ship"
)
ACCOUNT_PROPERTIES = (
    "the namespaces and properties (Role Manager's) and the values AWS accepts for them are not published"
)
BY_DESIGN_REASONS = {
    ("IAM", "AcceptDelegationRequest"): PARTNER_ONLY,
    ("IAM", "AssociateDelegationRequest"): PARTNER_ONLY,
    ("IAM", "CreateDelegationRequest"): PARTNER_ONLY,
    ("IAM", "GetDelegationRequest"): PARTNER_ONLY,
    ("IAM", "ListDelegationRequests"): PARTNER_ONLY,
    ("IAM", "RejectDelegationRequest"): PARTNER_ONLY,
    ("IAM", "UpdateDelegationRequest"): PARTNER_ONLY,
    ("IAM", "SendDelegationToken"): PARTNER_ONLY,
    ("STS", "GetDelegatedAccessToken"): PARTNER_ONLY,
    ("IAM", "GetHumanReadableSummary"): (
        "a large language model's summary of a delegation request (partner-only, see above); "
        "no deterministic answer to reproduce"
    ),
    ("IAM", "AcquireRole"): ROLE_TEMPLATES,
    ("IAM", "GetRoleTemplateVersion"): ROLE_TEMPLATES,
    ("IAM", "GetAccountProperties"): ACCOUNT_PROPERTIES,
    ("IAM", "PutAccountProperties"): ACCOUNT_PROPERTIES,
    ("Organizations", "CreateGovCloudAccount"): (
        "creates an account in the AWS GovCloud (US) partition, which warden does not model"
    ),
}


def reason(service: str, op: str) -> str:
    """Why an operation is not served: OIDC/SAML federation (identity providers, the STS calls
    that trust them, and outbound web identity tokens) is an issue of its own; a few operations
    are left out on purpose (BY_DESIGN_REASONS); the rest is simply not written."""
    if service == "IAM" and ("OpenIDConnectProvider" in op or "SAMLProvider" in op):
        return FEDERATION
    if service == "IAM" and "OutboundWebIdentityFederation" in op:
        return FEDERATION
    if service == "STS" and op in ("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetWebIdentityToken"):
        return FEDERATION
    if (service, op) in BY_DESIGN_REASONS:
        return f"{BY_DESIGN}: {BY_DESIGN_REASONS[(service, op)]}"
    return NOT_YET


def model_operations(model: str) -> list[str]:
    data = json.loads((REPO / "crates/warden-wire/models" / model).read_text())
    return sorted(data["operations"])


def block(text: str, header: str, path: str) -> str:
    """The body of the first `header ... { ... }` block (brace matched)."""
    start = text.find(header)
    if start < 0:
        raise SystemExit(f"{path}: no `{header}`")
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    raise SystemExit(f"{path}: unbalanced `{header}`")


def trait_methods(module: str, trait: str) -> dict[str, str]:
    """Trait method name -> operation name, from the generated trait."""
    path = f"crates/warden-wire/src/generated/{module}"
    body = block((REPO / path).read_text(), f"pub trait {trait}", path)
    pairs = re.findall(r"///\s*`(\w+)`:.*?\n\s*fn\s+(\w+)\s*\(", body)
    return {method: op for op, method in pairs}


def routed_methods(path: str, trait: str, ty: str) -> set[str]:
    text = (REPO / path).read_text()
    body = block(text, f"impl {trait} for {ty}", path)
    return set(re.findall(r"\bfn\s+(\w+)\s*\(", body))


def coverage() -> list[tuple[str, list[tuple[str, bool, str]]]]:
    out = []
    for service, model, module, trait, routing, ty in SERVICES:
        ops = model_operations(model)
        methods = trait_methods(module, trait)
        if sorted(methods.values()) != ops:
            raise SystemExit(f"{module}: the generated trait and {model} disagree; rerun tools/codegen")
        routed = routed_methods(routing, trait, ty)
        unknown = routed - set(methods)
        if unknown:
            raise SystemExit(f"{routing}: methods not in {trait}: {sorted(unknown)}")
        served = {methods[m] for m in routed}
        out.append((service, [(op, op in served, "" if op in served else reason(service, op)) for op in ops]))
    return out


def render(cov) -> str:
    version = (REPO / "crates/warden-wire/models/BOTOCORE_VERSION").read_text().strip()
    lines = [
        "# Operation coverage",
        "",
        "<!-- Generated by tools/coverage/generate.py from the botocore models and the server's",
        "     routing tables; do not edit. tests/e2e/test_coverage_doc.py fails when it is stale. -->",
        "",
        f"Every operation of the pinned models ({version}, `crates/warden-wire/models/`) and whether warden",
        "serves it. An operation warden does not serve answers `NotImplemented` (HTTP 501); it is still",
        "authenticated and authorized like the real one would be. Reasons: *not yet* means nobody wrote it;",
        "*federation issue* marks the OIDC and SAML identity providers, the STS calls that trust them and",
        "outbound web identity tokens, which are one piece of work of their own; *not served by design*",
        "gives its reason on the operation's line.",
        "",
        "| Service | Served | Not yet | Federation issue | Not served by design | Total |",
        "|---------|-------:|--------:|-----------------:|---------------------:|------:|",
    ]
    totals = [0, 0, 0, 0, 0]
    for service, rows in cov:
        served = sum(1 for _, s, _ in rows if s)
        not_yet = sum(1 for _, s, r in rows if not s and r == NOT_YET)
        fed = sum(1 for _, s, r in rows if not s and r == FEDERATION)
        by_design = sum(1 for _, s, r in rows if not s and r.startswith(BY_DESIGN))
        counts = [served, not_yet, fed, by_design, len(rows)]
        totals = [a + b for a, b in zip(totals, counts)]
        lines.append("| " + " | ".join([service, *map(str, counts)]) + " |")
    lines.append("| " + " | ".join(["**All**", *(f"**{n}**" for n in totals)]) + " |")
    for service, rows in cov:
        served = sum(1 for _, s, _ in rows if s)
        lines += [
            "",
            f"## {service}: {served} of {len(rows)} served",
            "",
            "| Operation | Served | Reason |",
            "|-----------|--------|--------|",
        ]
        for op, s, r in rows:
            lines.append(f"| `{op}` | {'yes' if s else 'no'} | {r} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail when docs/coverage.md is stale")
    args = ap.parse_args()
    text = render(coverage())
    if args.check:
        if not DOC.is_file() or DOC.read_text() != text:
            print("docs/coverage.md is stale: run python3 tools/coverage/generate.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
