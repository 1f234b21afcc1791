"""Fixtures for the end-to-end suite: real `warden` binary, real aws CLI, real boto3.

* `WARDEN_BIN` names the binary; without it the suite builds it with `cargo build -p warden`.
* `server` is one normal-mode warden per test module (fresh SQLite data dir under tmp_path),
  with the root keys taken from WARDEN_ROOT_ACCESS_KEY_ID / WARDEN_ROOT_SECRET_ACCESS_KEY.
* `warden_factory(...)` starts extra, isolated servers (dev mode, no env keys, kill -9 ...).
* `aws(*args, creds=...)` runs the pinned aws CLI against `server`.
* `store` runs a test once per store: SQLite (the default) and PostgreSQL (`WARDEN_TEST_POSTGRES`,
  default the machine's server at 127.0.0.1:5432, database `test`, a schema per test). Without a
  server the PostgreSQL runs are skipped, unless `WARDEN_REQUIRE_POSTGRES` is set (`.ci/run` sets it).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from e2e_util import ROOT, Creds, StoreUnderTest, Warden, make_client, postgres_store, run_aws

REPO = Path(__file__).resolve().parents[2]
_LIVE: list[Warden] = []


def _binary_path() -> str:
    env = os.environ.get("WARDEN_BIN")
    if env:
        p = Path(env)
        if not p.is_file():
            raise pytest.UsageError(f"WARDEN_BIN={env} does not exist")
        return str(p)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    subprocess.run(["cargo", "build", "--quiet", "-p", "warden"], cwd=REPO, check=True)
    return str(target / "debug" / "warden")


@pytest.fixture(scope="session")
def warden_bin() -> str:
    return _binary_path()


class _Factory:
    def __init__(self, binary: str, base: Path):
        self.binary = binary
        self.base = base
        self.started: list[Warden] = []
        self._n = 0

    def __call__(self, *, start: bool = True, **kw) -> Warden:
        self._n += 1
        w = Warden(self.binary, self.base / f"data{self._n}", **kw)
        self.started.append(w)
        _LIVE.append(w)
        if start:
            w.start()
        return w

    def close(self) -> None:
        for w in self.started:
            try:
                w.stop()
            finally:
                if w in _LIVE:
                    _LIVE.remove(w)


@pytest.fixture
def warden_factory(warden_bin, tmp_path):
    f = _Factory(warden_bin, tmp_path)
    yield f
    f.close()


@pytest.fixture(scope="module")
def module_warden_factory(warden_bin, tmp_path_factory):
    f = _Factory(warden_bin, tmp_path_factory.mktemp("warden"))
    yield f
    f.close()


@pytest.fixture(scope="module")
def server(module_warden_factory) -> Warden:
    """A normal-mode warden shared by the tests of one module."""
    return module_warden_factory()


@pytest.fixture(scope="module")
def iam(server):
    return make_client("iam", server.url, ROOT)


@pytest.fixture(scope="module")
def sts(server):
    return make_client("sts", server.url, ROOT)


@pytest.fixture(scope="module")
def aws(server):
    def run(*args: str, creds: Creds | None = ROOT, endpoint: str | None = None):
        return run_aws(endpoint or server.url, *args, creds=creds)

    return run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _LIVE:
        for w in list(_LIVE):
            try:
                report.sections.append((f"warden {w.url} (gen {w.generation})", w.describe(3000)))
            except Exception as e:  # pragma: no cover - diagnostics only
                report.sections.append(("warden", f"could not read logs: {e!r}"))


@pytest.fixture(params=["sqlite", "postgres"])
def store(request):
    if request.param == "sqlite":
        yield StoreUnderTest("sqlite", {})
        return
    with postgres_store() as s:
        yield s
