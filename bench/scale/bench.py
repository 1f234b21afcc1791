#!/usr/bin/env python3
"""Scale-out figures (docs/scale-out.md): warden nodes sharing one PostgreSQL cluster of their own.

Measures, on this machine (loopback, release build, one PostgreSQL started with initdb/pg_ctl):
  * propagation delay: CreateUser answered by node A -> the user visible through a signed GetUser on
    node B, polled back to back (resolution: one GetUser round trip); p50/p99 over --samples
  * durable CreateUser/s with 1 node, and with 3 nodes written at once (wrk cycling through distinct
    pre-signed requests, as bench/load does; the 3-node figure is the sum of the three)
  * signed GetUser/s on node B alone, and while node A takes CreateUser at full speed
  * the start-up time (spawn -> /health 200) of a node joining a database of --users users (seeded
    in SQL from one real user record, then loaded like any snapshot)

Usage: python bench/scale/bench.py [--duration 8] [--samples 300] [--users 100000]
Needs: wrk, PostgreSQL server binaries (/usr/lib/postgresql/15/bin), the e2e virtualenv (boto3).
Writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "bench" / "load"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import bench as load  # noqa: E402  (bench/load/bench.py: signing, wrk, Server)
from e2e_util import PgCluster  # noqa: E402


def start_node(name: str, binary: str, url: str, master: str, work: Path) -> load.Server:
    port = load.free_port()
    data = work / name
    data.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "WARDEN_DATABASE_URL": url,
        "WARDEN_MASTER_KEY": master,
        "WARDEN_ROOT_ACCESS_KEY_ID": load.AKID,
        "WARDEN_ROOT_SECRET_ACCESS_KEY": load.SECRET,
    }
    cmd = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data)]
    s = load.Server(name, cmd, env, port, "/health", lambda st: st == 200, work / f"{name}.log")
    s.ready_s = s.start()
    return s


def call(server: load.Server, action: str, **params: str) -> int:
    status, _ = load.post(server, "iam", {"Action": action, "Version": "2010-05-08", **params})
    return status


def propagation(a: load.Server, b: load.Server, samples: int) -> dict:
    delays = []
    for i in range(samples):
        name = f"prop{i}"
        assert call(a, "CreateUser", UserName=name) == 200
        acked = time.perf_counter()
        polls = 0
        while call(b, "GetUser", UserName=name) != 200:
            polls += 1
            if time.perf_counter() - acked > 5:
                raise RuntimeError(f"{name} not visible on node B after 5 s")
        delays.append((time.perf_counter() - acked) * 1000)
    delays.sort()
    # The GetUser that finds the user is itself one round trip: measure it to state the resolution.
    t0 = time.perf_counter()
    for _ in range(50):
        call(b, "GetUser", UserName="prop0")
    rtt = (time.perf_counter() - t0) * 1000 / 50
    return {
        "samples": samples,
        "p50_ms": round(statistics.median(delays), 2),
        "p99_ms": round(delays[int(len(delays) * 0.99) - 1], 2),
        "max_ms": round(delays[-1], 2),
        "getuser_round_trip_ms": round(rtt, 2),
    }


def creates(servers: list[load.Server], work: Path, duration: float, n: int, tag: str) -> dict:
    results: dict[str, dict] = {}

    def one(s: load.Server):
        results[s.kind] = load.bench_create(s, work, duration, n, f"{tag}-{s.kind}-")

    threads = [threading.Thread(target=one, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(r["created_per_s"] for r in results.values())
    p99 = max(r.get("p99_ms", 0) for r in results.values())
    return {"created_per_s": round(total), "worst_p99_ms": p99, "per_node": {k: round(v["created_per_s"]) for k, v in results.items()}}


def reads(server: load.Server, work: Path, duration: float) -> dict:
    assert call(server, "CreateUser", UserName="reader-target") in (200, 409)
    params = {"Action": "GetUser", "Version": "2010-05-08", "UserName": "reader-target"}
    r = load.bench_read(server, work, "iam", params, duration)
    return {"ok_rps": round(r["ok_rps"]), "p99_ms": r.get("p99_ms")}


def seed_users(cluster: PgCluster, db: str, target: int) -> float:
    """Copies one real user record into `target` users, in SQL (name, key and id replaced)."""
    t0 = time.monotonic()
    have = int(cluster.sql("SELECT count(*) FROM warden_records WHERE kind = 'user'", db))
    need = target - have
    if need > 0:
        cluster.sql(
            f"""INSERT INTO warden_records (kind, account, key, value)
            SELECT t.kind, t.account, 'seeded' || i,
                   replace(replace(t.value, 'seedtemplate', 'seeded' || i), t.value::json->>'id', 'AIDA' || lpad(i::text, 17, '0'))
            FROM warden_records t, generate_series(1, {need}) AS i
            WHERE t.kind = 'user' AND t.key = 'seedtemplate'""",
            db,
        )
    return time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "warden"))
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--create-requests", type=int, default=60_000)
    args = ap.parse_args()
    load.crosscheck_signer()
    out: dict = {"binary": args.binary, "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    out["loadavg_start"] = os.getloadavg()
    cluster = PgCluster()
    nodes: list[load.Server] = []
    work = Path(tempfile.mkdtemp(prefix="warden-scale-bench-"))
    try:
        db = cluster.new_database()
        url = cluster.url(db)
        master = base64.b64encode(os.urandom(32)).decode()
        a = start_node("node1", args.binary, url, master, work)
        nodes.append(a)
        out["writes_1_node"] = creates([a], work, args.duration, args.create_requests, "one")
        print("writes, 1 node:", out["writes_1_node"], flush=True)
        b = start_node("node2", args.binary, url, master, work)
        c = start_node("node3", args.binary, url, master, work)
        nodes += [b, c]
        out["writes_3_nodes"] = creates([a, b, c], work, args.duration, args.create_requests, "three")
        print("writes, 3 nodes:", out["writes_3_nodes"], flush=True)
        out["propagation"] = propagation(a, b, args.samples)
        print("propagation:", out["propagation"], flush=True)
        out["reads_alone"] = reads(b, work, args.duration)
        print("reads on node 2 alone:", out["reads_alone"], flush=True)
        during: dict = {}
        writer = threading.Thread(
            target=lambda: during.update(creates([a], work, args.duration + 2, args.create_requests, "during"))
        )
        writer.start()
        time.sleep(1)
        out["reads_while_another_writes"] = reads(b, work, args.duration)
        writer.join()
        out["reads_while_another_writes"]["writes_meanwhile_per_s"] = during["created_per_s"]
        print("reads on node 2 while node 1 writes:", out["reads_while_another_writes"], flush=True)
        assert call(a, "CreateUser", UserName="seedtemplate") == 200
        out["seed_seconds"] = round(seed_users(cluster, db, args.users), 1)
        users = int(cluster.sql("SELECT count(*) FROM warden_records WHERE kind = 'user'", db))
        joiner = start_node("node4", args.binary, url, master, work)
        nodes.append(joiner)
        count = load.count_users(joiner)
        out["join"] = {"users_in_database": users, "users_seen": count, "ready_s": round(joiner.ready_s, 2)}
        print("join:", out["join"], flush=True)
    finally:
        for n in nodes:
            n.stop()
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)
    out["loadavg_end"] = os.getloadavg()
    dest = REPO / "bench" / "results" / "scale.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
