#!/usr/bin/env python3
"""Extracts IAM's recorded CreatePolicy answers from moto's test suite into
crates/warden-policy/tests/data/iam_create_policy_answers.json.

moto's tests/test_iam/test_iam_policies.py lists policy documents with the
MalformedPolicyDocument message AWS returned for each (and documents AWS
accepted); its authors wrote them against AWS. Only that data is taken: each
document (as the JSON text the test sends) and its message.

Run from the repository root, with a checkout of getmoto/moto at MOTO_COMMIT:

    python3 tools/policy-answers/extract_moto.py /path/to/moto

The output is deterministic; rerunning on the same commit gives the same file.
"""

import ast
import json
import os
import subprocess
import sys

MOTO_COMMIT = "0af643a5dbfc98797f08ee64f5be3ef8002d56ff"
SOURCE = "tests/test_iam/test_iam_policies.py"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "crates", "warden-policy", "tests", "data", "iam_create_policy_answers.json")

# Rows where warden answers otherwise, each with the evidence. Later additions
# to moto's "valid" list by contributors are not known to be recorded against
# AWS; where AWS's documentation says the opposite, warden follows the docs.
DISPUTED = {
    "valid_policy_documents[39]": (
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        "IAM User Guide, reference_policies_elements_sid: IAM Sids are [A-Za-z0-9]; public reports of this "
        "exact IAM error (aws-cdk PR 37057 and others). The underscore Sid was added to moto's list later, "
        "for Bool conditions, not to test Sids.",
    ),
    "valid_policy_documents[40]": (
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        "as valid_policy_documents[39]",
    ),
    "valid_policy_documents[41]": (
        "Syntax errors in policy.",
        "a null inside Resource; the policy grammar (reference_policies_grammar) wants strings, and no "
        "recording of AWS accepting it is known. warden refuses what it could not evaluate.",
    ),
}


def main() -> None:
    moto = sys.argv[1]
    text = subprocess.run(
        ["git", "-C", moto, "show", f"{MOTO_COMMIT}:{SOURCE}"],
        check=True, capture_output=True, text=True,
    ).stdout
    lists = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                lists[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    cases = []
    for i, c in enumerate(lists["invalid_policy_document_test_cases"]):
        cases.append((f"invalid_policy_document_test_cases[{i}]", c["document"], c["error_message"]))
    for i, doc in enumerate(lists["valid_policy_documents"]):
        cases.append((f"valid_policy_documents[{i}]", doc, None))
    rows = []
    for source, doc, message in cases:
        row = {
            "source": source,
            # moto sends json.dumps(document); a string document is sent as it is.
            "document": doc if isinstance(doc, str) else json.dumps(doc),
            "message": message,
        }
        if source in DISPUTED:
            row["warden"], row["why"] = DISPUTED[source]
        rows.append(row)
    out = {
        "about": (
            "CreatePolicy answers recorded against AWS in moto's test suite: each document with the "
            "MalformedPolicyDocument message IAM returned, or null where IAM accepted it. Data only, from "
            f"getmoto/moto {SOURCE} @ {MOTO_COMMIT}, by tools/policy-answers/extract_moto.py. Rows with "
            "\"warden\" are disputed: warden answers that, for the reason in \"why\"."
        ),
        "operation": "CreatePolicy",
        "cases": rows,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
