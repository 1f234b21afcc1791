"""Attacks on the process rather than on the API (issue 12): reading the data dir's files as another
local user, running two servers on one data dir, holding connections open with slow or huge heads,
and exhausting memory with password hashing. Each attack is shown refused, next to the honest use
that must keep working.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path

from e2e_util import (
    ROOT,
    Creds,
    Warden,
    grant_change_own_password,
    make_client,
    raises_aws,
    signed_call,
    unique,
)

# What limits.rs sets (docs/design.md, "Connection limits").
HEADER_READ_TIMEOUT_S = 10.0
LOCK_MESSAGE = "is already serving the data dir"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def root_creds_from_file(w: Warden) -> Creds:
    text = (w.data_dir / "root-credentials").read_text()
    akid = re.search(r"aws_access_key_id\s*=\s*(\S+)", text)
    secret = re.search(r"aws_secret_access_key\s*=\s*(\S+)", text)
    assert akid and secret, "root-credentials has no key"
    return Creds(akid.group(1), secret.group(1))


# --------------------------------------------------------------------------------------
# Item 13: the data dir and its files are the owner's only
# --------------------------------------------------------------------------------------


def test_data_dir_and_every_file_in_it_are_owner_only(warden_factory):
    w = warden_factory(start=False, root_from_env=False)
    # The harness made the dir with the default umask: warden must tighten it, not rely on it.
    os.chmod(w.data_dir, 0o755)
    w.start()
    creds = root_creds_from_file(w)
    iam = make_client("iam", w.url, creds)
    name = unique("owner")
    iam.create_user(UserName=name)
    # A password hash is what makes the database worth reading.
    iam.create_login_profile(UserName=name, Password="Corr3ct-horse-battery!")

    def check() -> set[str]:
        assert mode_of(w.data_dir) == 0o700, oct(mode_of(w.data_dir))
        names = set()
        for p in w.data_dir.iterdir():
            names.add(p.name)
            if p.name == "audit":
                # The audit journal's directory: owner-only too, and every journal file in it.
                assert p.is_dir() and mode_of(p) == 0o700, f"audit: {oct(mode_of(p))}"
                journals = list(p.iterdir())
                assert journals, "the audit journal has no file"
                for j in journals:
                    assert j.is_file() and mode_of(j) == 0o600, f"audit/{j.name}: {oct(mode_of(j))}"
                continue
            assert p.is_file(), p
            assert mode_of(p) == 0o600, f"{p.name}: {oct(mode_of(p))}"
        return names

    names = check()
    # While the server runs, SQLite's WAL and shared-memory files exist too.
    expected = {"warden.db", "warden.db-wal", "warden.db-shm", "master.key", "root-credentials", "lock", "audit"}
    assert expected <= names, sorted(names)

    # Honest use: the owner's server restarts on its own files and still has the user.
    w.restart()
    check()
    assert make_client("iam", w.url, creds).get_user(UserName=name)["User"]["UserName"] == name


# --------------------------------------------------------------------------------------
# Item 17: one process per data dir
# --------------------------------------------------------------------------------------


def run_second(w: Warden, *extra: str, timeout: float = 20) -> subprocess.CompletedProcess:
    """Run `warden serve` for `w`'s settings to completion (it should refuse at once)."""
    return subprocess.run(
        w.command() + list(extra),
        env=w.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_a_second_server_on_a_data_dir_refuses_to_start(warden_factory):
    first = warden_factory()
    iam = first.client("iam")
    name = unique("first")
    iam.create_user(UserName=name)

    second = warden_factory(start=False)
    second.data_dir = first.data_dir  # same dir, its own port and logs

    t0 = time.monotonic()
    p = run_second(second)
    assert p.returncode != 0, f"second server ran: {p.stdout}{p.stderr}"
    assert time.monotonic() - t0 < 10, "the second server hung instead of refusing"
    assert LOCK_MESSAGE in p.stderr, p.stderr
    assert str(first.data_dir) in p.stderr, p.stderr
    assert f"pid {first.proc.pid}" in p.stderr, p.stderr

    # With PostgreSQL the dir still holds the master key: the lock is taken before connecting
    # (this URL names no server, so reaching it would fail differently).
    bogus_pg = ["--database-url", "postgres://nobody@127.0.0.1:1/none"]
    p = run_second(second, *bogus_pg)
    assert p.returncode != 0 and LOCK_MESSAGE in p.stderr, p.stderr

    # The first server was not disturbed.
    assert first.health() == 200
    assert iam.get_user(UserName=name)["User"]["UserName"] == name

    # Dev mode has no data dir, so it is not locked out.
    dev = warden_factory(start=False, dev=True)
    dev.data_dir = first.data_dir
    dev.start()
    assert dev.health() == 200
    dev.stop()

    # Control: once the first has stopped, the second starts and sees the first's writes.
    first.stop()
    p = run_second(second, *bogus_pg)
    assert LOCK_MESSAGE not in p.stderr, p.stderr
    second.start()
    assert second.client("iam").get_user(UserName=name)["User"]["UserName"] == name


# --------------------------------------------------------------------------------------
# Item 14: slow and oversized heads
# --------------------------------------------------------------------------------------


def open_slow(w: Warden) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", w.port), timeout=HEADER_READ_TIMEOUT_S + 8)
    s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return s


def closed_by_server(s: socket.socket) -> bytes:
    """Block until the server closes `s`; what it sent first. A socket timeout fails the test."""
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got
            got += chunk
    except ConnectionResetError:
        return got


def test_slowloris_is_dropped_while_honest_clients_are_served(warden_factory):
    w = warden_factory()
    sts = w.client("sts")
    slow = [open_slow(w) for _ in range(50)]
    t_open = time.monotonic()
    try:
        # Honest clients are answered promptly while the slow sockets hang.
        for _ in range(3):
            t0 = time.monotonic()
            assert sts.get_caller_identity()["Arn"].endswith(":root")
            r = signed_call(w.url, "iam", {"Action": "GetUser", "Version": "2010-05-08"})
            assert r.status == 200, r.body[:300]
            assert time.monotonic() - t0 < 2.0
            time.sleep(0.5)
        # Then every slow socket is closed by the server, at the timeout and not before.
        for s in slow:
            got = closed_by_server(s)
            assert b" 200 " not in got, got[:200]
        elapsed = time.monotonic() - t_open
        assert HEADER_READ_TIMEOUT_S - 1 <= elapsed <= HEADER_READ_TIMEOUT_S + 5, elapsed
    finally:
        for s in slow:
            s.close()
    assert w.running()
    assert sts.get_caller_identity()["Account"]


def send_head(w: Warden, head: bytes) -> bytes:
    """Send a whole request head; the server's answer (empty if it just closed)."""
    with socket.create_connection(("127.0.0.1", w.port), timeout=10) as s:
        try:
            s.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while we were still sending
        try:
            return closed_by_server(s)
        except OSError:
            return b""


def test_a_400_kb_header_is_refused_and_a_normal_one_served(warden_factory):
    w = warden_factory()
    big = b"a" * (400 * 1024)
    got = send_head(w, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + big + b"\r\nConnection: close\r\n\r\n")
    assert got == b"" or got.startswith(b"HTTP/1.1 431"), got[:200]

    # Control: a head of a few KiB (like a SigV4 request with a session token) is served.
    got = send_head(
        w, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 4096 + b"\r\nConnection: close\r\n\r\n"
    )
    assert got.startswith(b"HTTP/1.1 200"), got[:200]
    assert w.client("sts").get_caller_identity()["Account"]


# --------------------------------------------------------------------------------------
# Item 18: password hashing has a bound
# --------------------------------------------------------------------------------------

ARGON2_MIB = 19  # the default m_cost of every hash warden makes


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_wrong_password_floods_cannot_grow_memory_without_bound(warden_factory):
    w = warden_factory()
    iam = w.client("iam")
    name = unique("hasher")
    right = "Right-passw0rd-1!"
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=right)
    grant_change_own_password(iam, name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Creds(key["AccessKeyId"], key["SecretAccessKey"])
    time.sleep(0.5)
    base = rss_mib(w.proc.pid)

    cores = os.cpu_count() or 1
    clients = cores + 4  # more than the bound, so an unbounded server would show it
    stop_at = time.monotonic() + 5
    refused: list[str] = []

    def hammer() -> None:
        c = make_client("iam", w.url, creds, read_timeout=120)
        while time.monotonic() < stop_at:
            with raises_aws("AccessDenied", "The old password provided is incorrect.") as e:
                c.change_password(OldPassword="Wrong-guess-0!", NewPassword="Another-passw0rd-1!")
            refused.append(e["code"])

    threads = [threading.Thread(target=hammer) for _ in range(clients)]
    for t in threads:
        t.start()
    peak, slowest_read = base, 0.0
    sts = w.client("sts")
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mib(w.proc.pid))
        t0 = time.monotonic()
        sts.get_caller_identity()
        slowest_read = max(slowest_read, time.monotonic() - t0)
        time.sleep(0.1)
    for t in threads:
        t.join()
    assert refused, "no ChangePassword was answered"
    # At most one hash per core holds its memory at once (plus room for the rest of the load).
    bound = base + ARGON2_MIB * cores + 30
    assert peak <= bound, f"peak RSS {peak:.0f} MiB > {bound:.0f} MiB (base {base:.0f}, {clients} clients)"
    # Reads are not queued behind the hashing.
    assert slowest_read < 2.0, slowest_read
    # Control: the owner of the password can still change it.
    make_client("iam", w.url, creds).change_password(OldPassword=right, NewPassword="Another-passw0rd-1!")
