#!/usr/bin/env python3
"""What the audit trail costs: signed iam:GetUser (and durable iam:CreateUser) throughput with the
trail on (the default: a record per request, journaled with batched syncs) against
`--audit-trail off`, on the release warden over loopback. The two servers run side by side and
the rounds alternate (off, on, on, off, ...) so a noisy shared machine weighs on both alike.
Reuses bench.py's signer, server runner and wrk driver.

    bench/load/run.sh audit [--duration 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

GET_USER = {"Action": "GetUser", "Version": "2010-05-08", "UserName": "bench"}


def start(binary: str, work: Path, mode: str) -> bench.Server:
    port = bench.free_port()
    env = dict(
        os.environ,
        WARDEN_ROOT_ACCESS_KEY_ID=bench.AKID,
        WARDEN_ROOT_SECRET_ACCESS_KEY=bench.SECRET,
        WARDEN_AUDIT_TRAIL=mode,
    )
    cmd = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(work / f"data-{mode}")]
    server = bench.Server(f"audit-{mode}", cmd, env, port, "/health", lambda s: s == 200, work / f"warden-{mode}.log")
    server.start()
    status, data = bench.post(server, "iam", {"Action": "CreateUser", "Version": "2010-05-08", "UserName": "bench"})
    if status != 200:
        raise RuntimeError(f"CreateUser answered {status}: {data[:300]!r}")
    return server


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warden-bin", required=True)
    ap.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", "10")))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warden-audit-bench-"))
    servers = {mode: start(args.warden_bin, work, mode) for mode in ("off", "on")}
    reads: dict[str, list[float]] = {"off": [], "on": []}
    p99: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    creates: dict[str, list[float]] = {"off": [], "on": []}
    try:
        for i in range(args.rounds):
            order = ("off", "on") if i % 2 == 0 else ("on", "off")
            for mode in order:
                r = bench.bench_read(servers[mode], work, "iam", GET_USER, args.duration)
                reads[mode].append(r["ok_rps"])
                p99[mode].append(r.get("p99_ms") or 0.0)
                if r["server_cpu_us_per_request"] is not None:
                    cpu[mode].append(r["server_cpu_us_per_request"])
                cpu_text = f", server CPU {cpu[mode][-1]:.1f} us/request" if cpu[mode] else ""
                print(f"round {i + 1} GetUser audit {mode}: {r['ok_rps']:,.0f} req/s{cpu_text}", flush=True)
            for mode in order:
                c = bench.bench_create(servers[mode], work, args.duration / 2, 20_000, f"r{i}{mode}")
                creates[mode].append(c["created_per_s"])
                print(f"round {i + 1} CreateUser audit {mode}: {creates[mode][-1]:,.0f} req/s", flush=True)
        journal = sorted((work / "data-on" / "audit").glob("trail-*.jsonl"))
        lines = sum(sum(1 for _ in p.open()) for p in journal)
        rss = {mode: bench.rss_kib(s.proc.pid) for mode, s in servers.items()}
    finally:
        for s in servers.values():
            s.stop()
    med = {m: statistics.median(v) for m, v in reads.items()}
    cmed = {m: statistics.median(v) for m, v in creates.items()}
    result = {
        "get_user_rps": reads,
        "get_user_p99_ms": p99,
        "create_user_rps": creates,
        "get_user_median": med,
        "create_user_median": cmed,
        "get_user_on_over_off": med["on"] / med["off"] if med["off"] else None,
        "get_user_server_cpu_us_per_request": cpu,
        # Throughput a saturated machine would give, from CPU per request: off / on.
        "get_user_cpu_off_over_on": (
            statistics.median(cpu["off"]) / statistics.median(cpu["on"]) if cpu["off"] and cpu["on"] else None
        ),
        "create_user_on_over_off": cmed["on"] / cmed["off"] if cmed["off"] else None,
        "journal_records": lines,
        "rss_kib_at_end": rss,
        "loadavg_end": os.getloadavg(),
    }
    out = Path(__file__).resolve().parents[1] / "results"
    out.mkdir(exist_ok=True)
    (out / "audit.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
