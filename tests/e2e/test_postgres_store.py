"""The PostgreSQL store (`--database-url` / `WARDEN_DATABASE_URL`) beyond the persistence tests that
run on both stores (test_persistence.py): a server that cannot be reached is a clean start-up error
that never shows the URL's password, and two wardens on one schema see each other's records
after a restart (the table, not the process, holds the state)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from e2e_util import Creds, make_client, postgres_store, unique


@pytest.fixture
def pg():
    with postgres_store() as s:
        yield s


def test_an_unreachable_database_stops_start_up_without_leaking_the_password(warden_factory):
    password = "Pg-Canary-Password-Must-Not-Leak-7"
    w = warden_factory(
        start=False,
        extra_env={"WARDEN_DATABASE_URL": f"postgres://warden:{password}@127.0.0.1:1/none?connect_timeout=3"},
    )
    with pytest.raises(RuntimeError, match="exited"):
        w.start(timeout=20)
    assert w.proc.returncode not in (0, None)
    err = w.stderr_text() + w.stdout_text()
    assert "PostgreSQL error" in err, err
    assert "panicked" not in err, err
    assert password not in err
    # --help shows the option but not the value taken from the environment.
    out = subprocess.run(
        [w.binary, "serve", "--help"],
        capture_output=True,
        text=True,
        env={**w.env(), "WARDEN_DATABASE_URL": f"postgres://x:{password}@h/db"},
        timeout=30,
    )
    assert "--database-url" in out.stdout
    assert password not in out.stdout + out.stderr


def test_dev_mode_refuses_a_database(warden_factory):
    """Dev mode seals secrets under a key it forgets at exit: records it left in a database could
    never be read again, so the combination is refused at start."""
    w = warden_factory(start=False, dev=True, extra_env={"WARDEN_DATABASE_URL": "postgres://x@127.0.0.1:1/db"})
    with pytest.raises(RuntimeError, match="exited"):
        w.start(timeout=20)
    assert "--dev keeps its state in memory" in w.stderr_text() + w.stdout_text()


def test_a_first_start_on_postgres_makes_the_data_dir_for_its_key_and_root_credentials(warden_factory, pg):
    """`warden serve --database-url ...` on a fresh machine: no data dir yet, no root keys in the
    environment. warden makes the dir, its master key and the root credentials file, and they work."""
    w = warden_factory(start=False, root_from_env=False, extra_env=pg.env)
    w.data_dir.rmdir()
    w.start()
    assert (w.data_dir / "master.key").exists()
    text = (w.data_dir / "root-credentials").read_text()
    key_id = re.search(r"aws_access_key_id\s*=\s*(\S+)", text).group(1)
    secret = re.search(r"aws_secret_access_key\s*=\s*(\S+)", text).group(1)
    ident = make_client("sts", w.url, Creds(key_id, secret)).get_caller_identity()
    assert ident["Arn"].endswith(":root")
    assert "access_key" in pg.dump()


def test_records_live_in_the_database_not_in_the_data_dir(warden_factory, pg):
    """A second warden with a new, empty data dir but the same schema and master key sees the
    first one's users and can verify their access keys (secrets sealed under that key)."""
    first = warden_factory(extra_env=pg.env)
    iam = first.client("iam")
    name = unique("pg")
    iam.create_user(UserName=name, Tags=[{"Key": "store", "Value": "postgres"}])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    master = (first.data_dir / "master.key").read_bytes()
    first.stop()
    assert name in pg.dump()
    assert not (first.data_dir / "warden.db").exists()

    second = warden_factory(start=False, extra_env=pg.env)
    (second.data_dir / "master.key").write_bytes(master)
    os.chmod(second.data_dir / "master.key", 0o600)
    second.start()
    user = second.client("iam").get_user(UserName=name)["User"]
    assert user["Tags"] == [{"Key": "store", "Value": "postgres"}]
    ident = make_client("sts", second.url, Creds(key["AccessKeyId"], key["SecretAccessKey"])).get_caller_identity()
    assert ident["Arn"] == user["Arn"]
