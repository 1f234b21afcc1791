#!/usr/bin/env python3
"""The cost of metrics on the request path: signed iam:GetUser under wrk (as bench.py measures it),
two warden release binaries side by side, rounds interleaved so drift on the shared machine hits both.

    bench/.venv/bin/python bench/load/metrics_cost.py --before OLD/warden --after NEW/warden [--rounds 5]

`--after-metrics` also gives the second binary `--metrics-listen` and scrapes it once a second
during its runs, as a Prometheus server would. Prints the per-round req/s and the medians.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import threading
from pathlib import Path

from bench import AKID, SECRET, Server, bench_read, free_port, post


def start(binary: str, work: Path, name: str, metrics_port: int | None) -> Server:
    import os

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"WARDEN_ROOT_ACCESS_KEY_ID": AKID, "WARDEN_ROOT_SECRET_ACCESS_KEY": SECRET})
    cmd = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(work / f"{name}-data")]
    if metrics_port:
        cmd += ["--metrics-listen", f"127.0.0.1:{metrics_port}"]
    s = Server(name, cmd, env, port, "/health", lambda st: st == 200, work / f"{name}.log")
    s.start()
    st, data = post(s, "iam", {"Action": "CreateUser", "Version": "2010-05-08", "UserName": "bench-user"})
    assert st == 200, data[:300]
    return s


def scraper(port: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/metrics")
        c.getresponse().read()
        c.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--after-metrics", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warden-metrics-cost-"))
    metrics_port = free_port() if args.after_metrics else None
    servers = {
        "before": start(args.before, work, "before", None),
        "after": start(args.after, work, "after", metrics_port),
    }
    params = {"Action": "GetUser", "Version": "2010-05-08", "UserName": "bench-user"}
    rps: dict[str, list[float]] = {"before": [], "after": []}
    try:
        for i in range(args.rounds):
            for name in ("before", "after") if i % 2 == 0 else ("after", "before"):
                stop = threading.Event()
                if name == "after" and metrics_port:
                    threading.Thread(target=scraper, args=(metrics_port, stop), daemon=True).start()
                r = bench_read(servers[name], work, "iam", params, args.duration)
                stop.set()
                rps[name].append(r["ok_rps"])
                print(f"round {i + 1} {name}: {r['ok_rps']:,.0f} req/s p50 {r.get('p50_ms')} ms p99 {r.get('p99_ms')} ms", flush=True)
    finally:
        for s in servers.values():
            s.stop()
    b, a = statistics.median(rps["before"]), statistics.median(rps["after"])
    print(f"median before {b:,.0f} req/s, after {a:,.0f} req/s, after/before {a / b:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
