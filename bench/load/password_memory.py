#!/usr/bin/env python3
"""Memory under password-hashing load (issue 12, item 18).

Starts the release warden on loopback, makes a user with a console password, then samples the
server's VmRSS before, during and after N clients (default 6) call ChangePassword with a wrong old
password for a bounded time (default 8 s). Each such call costs one Argon2id verification (19 MiB,
2 passes) and is refused with AccessDenied. Prints the three figures (MiB) and the call counts.

    .venv/bin/python bench/load/password_memory.py [--bin target/release/warden] [--clients 6]
        [--duration 8] [--settle 5]

Needs boto3 (tests/e2e/requirements.txt or bench/requirements.txt). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
AKID = "AKIAWARDENBENCHROOT1"
SECRET = "wardenBenchRootSecretKey0000000000000001"
PASSWORD = "Bench-passw0rd-right!"
MAX_CALLS_PER_CLIENT = 100_000  # the loop is bounded in count as well as time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def client(url: str, akid: str, secret: str):
    cfg = Config(retries={"total_max_attempts": 1, "mode": "legacy"}, read_timeout=120, connect_timeout=5)
    return boto3.session.Session().client(
        "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=akid, aws_secret_access_key=secret, config=cfg
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(REPO / "target/release/warden"))
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--settle", type=float, default=5.0, help="seconds after the load before the last sample")
    args = ap.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="warden-pwmem-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WARDEN_"))}
    env.update(WARDEN_ROOT_ACCESS_KEY_ID=AKID, WARDEN_ROOT_SECRET_ACCESS_KEY=SECRET, WARDEN_LOG="warn")
    cmd = [args.bin, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(work / "data")]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(work / "log", "wb"))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if urllib.request.urlopen(f"{url}/health", timeout=1).status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("warden did not start: " + (work / "log").read_text())
            time.sleep(0.05)

        root = client(url, AKID, SECRET)
        root.create_user(UserName="hasher")
        root.create_login_profile(UserName="hasher", Password=PASSWORD)
        root.put_user_policy(
            UserName="hasher",
            PolicyName="change-own-password",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "*"}]}
            ),
        )
        key = root.create_access_key(UserName="hasher")["AccessKey"]
        time.sleep(1)
        before = rss_mib(proc.pid)

        counts: dict[str, int] = {}
        lock = threading.Lock()
        stop_at = time.monotonic() + args.duration

        def hammer() -> None:
            c = client(url, key["AccessKeyId"], key["SecretAccessKey"])
            for _ in range(MAX_CALLS_PER_CLIENT):
                if time.monotonic() >= stop_at:
                    return
                try:
                    c.change_password(OldPassword="Wrong-passw0rd-guess!", NewPassword="Another-passw0rd-1!")
                    outcome = "ok"
                except ClientError as e:
                    outcome = e.response["Error"]["Code"]
                except Exception as e:  # timeouts, resets: count them, keep going
                    outcome = type(e).__name__
                with lock:
                    counts[outcome] = counts.get(outcome, 0) + 1

        threads = [threading.Thread(target=hammer) for _ in range(args.clients)]
        for t in threads:
            t.start()
        peak = before
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_mib(proc.pid))
            time.sleep(0.1)
        for t in threads:
            t.join()
        load_end = time.monotonic()
        time.sleep(args.settle)
        after = rss_mib(proc.pid)
        honest = client(url, key["AccessKeyId"], key["SecretAccessKey"])
        honest.change_password(OldPassword=PASSWORD, NewPassword="Another-passw0rd-1!")

        print(f"binary: {args.bin}")
        print(f"clients: {args.clients}, load: {args.duration:.0f} s, sampled every 0.1 s; after = {args.settle:.0f} s after the load")
        print(f"answers: {dict(sorted(counts.items()))} ({sum(counts.values()) / args.duration:.1f}/s)")
        print(f"VmRSS MiB  before {before:.1f}  during (peak) {peak:.1f}  after {after:.1f}")
        print(f"load ended {time.monotonic() - load_end:.1f} s before the last sample; honest ChangePassword afterwards: ok")
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
