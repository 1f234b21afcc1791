#!/usr/bin/env python3
"""The S3 gateway's cost: small GETs (req/s at 32 connections, p50 at 1 connection) and one large
object streamed through (GB/s, warden's peak RSS while streaming), each through the gateway and
straight from the stub backend. Requests through the gateway are presigned (SigV4 verified on
every request, decided by the engine, re-signed for the backend). Needs boto3 (presigning) and wrk.
Writes bench/results/s3.json."""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

KEY, SECRET = "AKIAWARDENBENCHS3001", "wardenBenchS3Secret000000000000000000001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def wrk(url: str, conns: int, threads: int, duration: int) -> dict:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99), "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stream(url: str, pid: int | None, upload: str | None = None) -> dict:
    peak = [0]
    samples = []
    done = threading.Event()
    def sample():
        while not done.is_set():
            if pid:
                r = rss_kib(pid)
                samples.append(r)
                peak[0] = max(peak[0], r)
            time.sleep(0.05)
    t = threading.Thread(target=sample)
    t.start()
    t0 = time.monotonic()
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}" if upload is None else "%{size_upload}"]
    if upload is not None:
        cmd += ["-T", upload]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    secs = time.monotonic() - t0
    done.set()
    t.join()
    size = int(out)
    return {"bytes": size, "seconds": round(secs, 3), "GBps": round(size / secs / 1e9, 3),
            "peak_rss_kib": peak[0], "rss_samples": len(samples)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warden-bin", required=True)
    ap.add_argument("--stub-bin", required=True)
    ap.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "10")))
    args = ap.parse_args()
    stub_port, w_port = free_port(), free_port()
    stub = subprocess.Popen([args.stub_bin, f"127.0.0.1:{stub_port}"], stdout=subprocess.DEVNULL)
    data = tempfile.mkdtemp(prefix="s3bench-")
    env = dict(os.environ, WARDEN_ROOT_ACCESS_KEY_ID=KEY, WARDEN_ROOT_SECRET_ACCESS_KEY=SECRET,
               WARDEN_S3_BACKEND=f"http://127.0.0.1:{stub_port}",
               WARDEN_S3_BACKEND_ACCESS_KEY_ID="stub", WARDEN_S3_BACKEND_SECRET_ACCESS_KEY="stub",
               WARDEN_LOG="warn")
    w = subprocess.Popen([args.warden_bin, "serve", "--listen", f"127.0.0.1:{w_port}", "--data-dir", data],
                         env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "log"), "w"))
    try:
        wait_http(f"http://127.0.0.1:{w_port}/health")
        gw = f"http://127.0.0.1:{w_port}"
        s3 = boto3.client("s3", endpoint_url=gw, region_name="us-east-1", aws_access_key_id=KEY,
                          aws_secret_access_key=SECRET, config=Config(signature_version="s3v4"))
        s3.create_bucket(Bucket="bench")
        small = s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": "small"}, ExpiresIn=900)
        big = s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": "big"}, ExpiresIn=900)
        direct = f"http://127.0.0.1:{stub_port}"
        # A presigned PUT (UNSIGNED-PAYLOAD) of a 512 MiB file, streamed by curl.
        blob = os.path.join(data, "blob")
        with open(blob, "wb") as f:
            f.truncate(512 << 20)
        put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "bench", "Key": "up"}, ExpiresIn=900)
        # One untimed upload each way first: the first large body pays for buffer growth.
        stream(put_url, None, upload=blob)
        stream(direct + "/bench/up", None, upload=blob)
        res = {
            "small_get_gateway_c32": wrk(small, 32, 2, args.duration),
            "small_get_direct_c32": wrk(direct + "/bench/small", 32, 2, args.duration),
            "small_get_gateway_c1": wrk(small, 1, 1, args.duration),
            "small_get_direct_c1": wrk(direct + "/bench/small", 1, 1, args.duration),
            "big_gateway": stream(big, w.pid),
            "big_direct": stream(direct + "/bench/big", None),
            "upload_gateway": stream(put_url, w.pid, upload=blob),
            "upload_direct": stream(direct + "/bench/up", None, upload=blob),
            "idle_rss_kib": rss_kib(w.pid),
            "load_average": os.getloadavg(),
        }
        res["p50_overhead_us_c1"] = round(
            (res["small_get_gateway_c1"]["p50_ms"] - res["small_get_direct_c1"]["p50_ms"]) * 1000, 1)
        print(json.dumps(res, indent=2))
        out = Path("bench/results")
        out.mkdir(parents=True, exist_ok=True)
        (out / "s3.json").write_text(json.dumps(res, indent=2) + "\n")
    finally:
        w.terminate()
        stub.terminate()
        w.wait(10)
        stub.wait(10)


if __name__ == "__main__":
    main()
