#!/usr/bin/env python3
"""Load benchmark: warden vs moto_server on this machine, loopback only.

Run through bench/load/run.sh (it builds warden in release mode, creates bench/.venv with the
pinned moto[server], installs wrk if needed). Everything here is bounded in time and count and
talks to 127.0.0.1 only.

Measures, for both servers where it applies:
  * signed sts:GetCallerIdentity at 32 connections (wrk replaying one SigV4-signed request:
    a signature stays valid for 15 minutes) - throughput and p99 latency
  * signed iam:GetUser at 32 connections
  * durable iam:CreateUser/s (wrk cycling through N distinct pre-signed requests)
  * idle RSS after start
  * time to ready (spawn -> first 200 from /health; for moto: first answer on /moto-api/)
  * warden time to ready with BENCH_USERS users in the store (default 100,000)
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REGION = "us-east-1"
AKID = "AKIAWARDENBENCHROOT1"
SECRET = "wardenBenchRootSecretKey0000000000000001"
assert len(AKID) == 20 and len(SECRET) == 40


# ----------------------------------------------------------------------------------------
# SigV4 (Query protocol, POST form body). Cross-checked against botocore at start-up.
# ----------------------------------------------------------------------------------------


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign(host: str, service: str, params: dict[str, str], now: dt.datetime) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode(params).encode()
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    payload_hash = hashlib.sha256(body).hexdigest()
    ctype = "application/x-www-form-urlencoded; charset=utf-8"
    canonical_headers = f"content-type:{ctype}\nhost:{host}\nx-amz-date:{amz_date}\n"
    signed_headers = "content-type;host;x-amz-date"
    creq = f"POST\n/\n\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    scope = f"{date}/{REGION}/{service}/aws4_request"
    sts = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
    k = _hmac(_hmac(_hmac(_hmac(("AWS4" + SECRET).encode(), date), REGION), service), "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": ctype,
        "Host": host,
        "X-Amz-Date": amz_date,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={AKID}/{scope}, SignedHeaders={signed_headers}, Signature={sig}",
    }
    return body, headers


def crosscheck_signer() -> None:
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    from unittest import mock

    now = dt.datetime(2026, 1, 2, 3, 4, 5)
    params = {"Action": "GetUser", "Version": "2010-05-08", "UserName": "bench"}
    body, headers = sign("127.0.0.1:1234", "iam", params, now)
    req = botocore.awsrequest.AWSRequest(
        method="POST",
        url="http://127.0.0.1:1234/",
        data=body,
        headers={"Content-Type": headers["Content-Type"]},
    )
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: now):
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(AKID, SECRET), "iam", REGION).add_auth(req)
    assert req.headers["Authorization"] == headers["Authorization"], (req.headers["Authorization"], headers["Authorization"])


# ----------------------------------------------------------------------------------------
# Processes
# ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port: int, method: str, path: str, timeout: float = 1.0) -> int | None:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request(method, path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except OSError:
        return None


def wait_ready(proc: subprocess.Popen, port: int, path: str, timeout: float, ok=lambda s: s == 200) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        s = http_status(port, "GET", path, timeout=0.5)
        if s is not None and ok(s):
            return time.monotonic() - t0
        time.sleep(0.002)
    raise RuntimeError(f"not ready within {timeout}s")


def rss_kib(pid: int) -> int:
    total = 0
    pids = [pid]
    # include children (moto_server may fork a reloader-free child; warden is one process)
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        pids += [int(x) for x in out.split()]
    except Exception:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


class Server:
    def __init__(self, kind: str, cmd: list[str], env: dict[str, str], port: int, ready_path: str, ready_ok, log: Path):
        self.kind, self.cmd, self.env, self.port = kind, cmd, env, port
        self.ready_path, self.ready_ok, self.log = ready_path, ready_ok, log
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> float:
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT
        )
        wait_ready(self.proc, self.port, self.ready_path, timeout, self.ready_ok)
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"


def post(server: Server, service: str, params: dict[str, str]) -> tuple[int, bytes]:
    body, headers = sign(server.host, service, params, dt.datetime.utcnow())
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.request("POST", "/", body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


# ----------------------------------------------------------------------------------------
# wrk
# ----------------------------------------------------------------------------------------


def lua_str(s: str | bytes) -> str:
    if isinstance(s, bytes):
        s = s.decode()
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_single_script(path: Path, body: bytes, headers: dict[str, str]) -> None:
    hs = ", ".join(f"[{lua_str(k)}] = {lua_str(v)}" for k, v in headers.items() if k != "Host")
    path.write_text(
        f"""wrk.method = "POST"
wrk.body = {lua_str(body)}
wrk.headers = {{ {hs} }}
"""
    )


def write_many_script(path: Path, reqs: list[tuple[bytes, dict[str, str]]]) -> None:
    """A wrk script cycling through many pre-signed requests, read from a TSV file at start.

    Each wrk thread keeps every T-th line (T = thread count, passed after `--`), so threads never
    send the same request while the list lasts; after that it wraps (duplicates answer 409)."""
    data = path.with_suffix(".tsv")
    with open(data, "w") as f:
        for body, headers in reqs:
            f.write(f"{body.decode()}\t{headers['X-Amz-Date']}\t{headers['Authorization']}\n")
    ctype = reqs[0][1]["Content-Type"]
    path.write_text(
        f"""local datafile = {lua_str(str(data))}
local ctype = {lua_str(ctype)}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  local nthreads = tonumber(args[1]) or 1
  reqs = {{}}
  local i = 0
  for line in io.lines(datafile) do
    if i % nthreads == tid then
      local body, date, auth = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", "/", {{ ["Content-Type"] = ctype, ["X-Amz-Date"] = date, ["Authorization"] = auth }}, body)
    end
    i = i + 1
  end
  idx = 1
end
function request()
  local r = reqs[idx]
  idx = idx + 1
  if idx > #reqs then idx = 1 end
  return r
end
"""
    )


def run_wrk(url: str, script: Path, duration: float, conns: int = 32, threads: int = 2, args: list[str] | None = None) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{int(duration)}s", "--timeout", "10s", "--latency", "-s", str(script), url]
    if args:
        cmd += ["--"] + args
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    res = {"raw": out}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s|m)", out)
    if m:
        res["requests"] = int(m.group(1))
        val, unit = float(m.group(2)), m.group(3)
        res["seconds"] = val / 1000 if unit == "ms" else val * 60 if unit == "m" else val
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:.*", out)
    res["socket_errors"] = m.group(0) if m else ""
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)
        if m:
            v, u = float(m.group(1)), m.group(2)
            res[f"p{pct}_ms"] = v / 1000 if u == "us" else v * 1000 if u == "s" else v
    return res


# ----------------------------------------------------------------------------------------
# Scenarios
# ----------------------------------------------------------------------------------------


def bench_read(server: Server, work: Path, service: str, params: dict[str, str], duration: float) -> dict:
    status, data = post(server, service, params)
    if status != 200:
        raise RuntimeError(f"{server.kind} {params['Action']} answered {status}: {data[:300]!r}")
    body, headers = sign(server.host, service, params, dt.datetime.utcnow())
    script = work / f"{server.kind}-{params['Action']}.lua"
    write_single_script(script, body, headers)
    run_wrk(server.url, script, 2)  # warm-up
    cpu_before = process_cpu_seconds(server.proc.pid)
    r = run_wrk(server.url, script, duration)
    cpu_after = process_cpu_seconds(server.proc.pid)
    r["ok_rps"] = r["rps"] * (1 - r["non2xx"] / r["requests"]) if r.get("requests") else 0.0
    # The server's own CPU time per request (resolution: one clock tick, 10 ms, per run). It moves
    # less than req/s with the load other processes put on a shared machine, but it does move.
    measured = cpu_before is not None and cpu_after is not None and r.get("requests")
    r["server_cpu_us_per_request"] = (cpu_after - cpu_before) * 1e6 / r["requests"] if measured else None
    return r


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (all its threads), from /proc/PID/stat; None
    where there is no /proc (not Linux)."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    utime, stime = int(after_name[11]), int(after_name[12])  # fields 14 and 15
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def presign_create_users(server: Server, prefix: str, n: int) -> list[tuple[bytes, dict[str, str]]]:
    now = dt.datetime.utcnow()
    return [
        sign(server.host, "iam", {"Action": "CreateUser", "Version": "2010-05-08", "UserName": f"{prefix}{i}"}, now)
        for i in range(n)
    ]


def bench_create(server: Server, work: Path, duration: float, n: int, prefix: str) -> dict:
    reqs = presign_create_users(server, prefix, n)
    script = work / f"{server.kind}-create.lua"
    write_many_script(script, reqs)
    r = run_wrk(server.url, script, duration, args=["2"])
    ok = r.get("requests", 0) - r.get("non2xx", 0)
    r["created"] = ok
    r["created_per_s"] = ok / r["seconds"] if r.get("seconds") else 0.0
    # If every pre-signed request was used, the list wrapped (duplicates answer 409) and the
    # rate above is only a lower bound: rerun with more --create-requests.
    r["list_exhausted"] = ok >= n
    if r["list_exhausted"]:
        print(f"WARNING: all {n} pre-signed CreateUser requests were used; created/s is a lower bound", flush=True)
    return r


def count_users(server: Server) -> int:
    st, data = post(server, "iam", {"Action": "GetAccountSummary", "Version": "2010-05-08"})
    if st != 200:
        return -1
    m = re.search(rb"<key>Users</key>\s*<value>(\d+)</value>", data)
    return int(m.group(1)) if m else -1


def populate(server: Server, work: Path, target: int) -> float:
    """Create users until the store holds `target` of them; return seconds spent."""
    t0 = time.monotonic()
    have = count_users(server)
    batch = 0
    while have < target and time.monotonic() - t0 < 900:
        need = target - have
        n = min(need, 50_000)
        reqs = presign_create_users(server, f"pop{batch}-", n)
        script = work / f"populate-{batch}.lua"
        write_many_script(script, reqs)
        # Enough time for n creates at >= 500/s; the list wraps into 409s if it runs out early.
        run_wrk(server.url, script, max(5, n / 500), args=["2"])
        batch += 1
        have = count_users(server)
        print(f"  populated: {have} users", flush=True)
    return time.monotonic() - t0


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "n/a"
    return f"{a / b:.1f}x"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warden-bin", default=str(REPO / "target" / "release" / "warden"))
    ap.add_argument("--moto-server", default=str(Path(sys.executable).with_name("moto_server")))
    ap.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", "10")))
    ap.add_argument("--users", type=int, default=int(os.environ.get("BENCH_USERS", "100000")))
    ap.add_argument("--create-requests", type=int, default=int(os.environ.get("BENCH_CREATE_REQUESTS", "150000")))
    ap.add_argument("--skip-moto", action="store_true")
    ap.add_argument("--json-out", default=str(REPO / "bench" / "results" / "latest.json"))
    args = ap.parse_args()

    crosscheck_signer()
    work = Path(tempfile.mkdtemp(prefix="warden-bench-"))
    results: dict = {
        "date": dt.datetime.utcnow().isoformat() + "Z",
        "cores": os.cpu_count(),
        "duration_s": args.duration,
        "loadavg_at_start": os.getloadavg(),
    }
    servers: list[Server] = []
    try:
        wport = free_port()
        wenv = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        wenv.update({"WARDEN_ROOT_ACCESS_KEY_ID": AKID, "WARDEN_ROOT_SECRET_ACCESS_KEY": SECRET})
        data_dir = work / "warden-data"
        warden = Server(
            "warden",
            [args.warden_bin, "serve", "--listen", f"127.0.0.1:{wport}", "--data-dir", str(data_dir)],
            wenv, wport, "/health", lambda s: s == 200, work / "warden.log",
        )
        servers.append(warden)
        ready = warden.start()
        results["warden_ready_empty_ms"] = ready * 1000
        # Ready on an empty store a second time (the first start also creates the store).
        warden.stop()
        results["warden_ready_existing_empty_ms"] = warden.start() * 1000
        time.sleep(1.0)
        results["warden_idle_rss_mib"] = rss_kib(warden.proc.pid) / 1024

        moto = None
        if not args.skip_moto:
            mport = free_port()
            menv = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            moto = Server(
                "moto",
                [args.moto_server, "-H", "127.0.0.1", "-p", str(mport)],
                menv, mport, "/moto-api/", lambda s: s is not None and s < 500, work / "moto.log",
            )
            servers.append(moto)
            results["moto_ready_empty_ms"] = moto.start() * 1000
            time.sleep(1.0)
            results["moto_idle_rss_mib"] = rss_kib(moto.proc.pid) / 1024

        for s in [x for x in (warden, moto) if x]:
            st, data = post(s, "iam", {"Action": "CreateUser", "Version": "2010-05-08", "UserName": "bench-user"})
            if st != 200:
                raise RuntimeError(f"{s.kind} CreateUser bench-user: {st} {data[:300]!r}")

        for s in [x for x in (warden, moto) if x]:
            print(f"== {s.kind}: sts:GetCallerIdentity", flush=True)
            r = bench_read(s, work, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, args.duration)
            results[f"{s.kind}_gci"] = {k: v for k, v in r.items() if k != "raw"}
            print(r["raw"], flush=True)
            print(f"== {s.kind}: iam:GetUser", flush=True)
            r = bench_read(s, work, "iam", {"Action": "GetUser", "Version": "2010-05-08", "UserName": "bench-user"}, args.duration)
            results[f"{s.kind}_getuser"] = {k: v for k, v in r.items() if k != "raw"}
            print(r["raw"], flush=True)
            print(f"== {s.kind}: iam:CreateUser", flush=True)
            n = args.create_requests if s.kind == "warden" else 10000
            r = bench_create(s, work, args.duration, n, f"c-{s.kind}-")
            results[f"{s.kind}_create"] = {k: v for k, v in r.items() if k != "raw"}
            print(r["raw"], flush=True)

        if moto:
            moto.stop()

        if args.users > 0:
            print(f"== warden: populating {args.users} users", flush=True)
            results["warden_populate_s"] = populate(warden, work, args.users)
            results["warden_users_in_store"] = count_users(warden)
            warden.stop()
            results["warden_ready_with_users_ms"] = warden.start(timeout=120) * 1000
            time.sleep(1.0)
            results["warden_rss_with_users_mib"] = rss_kib(warden.proc.pid) / 1024
            results["warden_users_after_restart"] = count_users(warden)
    finally:
        for s in servers:
            s.stop()

    results["loadavg_at_end"] = os.getloadavg()
    Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json_out).write_text(json.dumps(results, indent=2))

    g = lambda k, f: (results.get(k) or {}).get(f)  # noqa: E731
    rows = [
        ("sts:GetCallerIdentity req/s (32 conns)", g("warden_gci", "ok_rps"), g("moto_gci", "ok_rps"), ">= 20,000"),
        ("sts:GetCallerIdentity p99 ms", g("warden_gci", "p99_ms"), g("moto_gci", "p99_ms"), "<= 5"),
        ("iam:GetUser req/s (32 conns)", g("warden_getuser", "ok_rps"), g("moto_getuser", "ok_rps"), ">= 15,000"),
        ("iam:GetUser p99 ms", g("warden_getuser", "p99_ms"), g("moto_getuser", "p99_ms"), ""),
        ("iam:CreateUser created/s (durable)", g("warden_create", "created_per_s"), g("moto_create", "created_per_s"), ">= 1,000"),
        ("idle RSS MiB", results.get("warden_idle_rss_mib"), results.get("moto_idle_rss_mib"), "<= 30"),
        ("ready ms, empty store", results.get("warden_ready_empty_ms"), results.get("moto_ready_empty_ms"), "<= 200"),
        (f"ready ms, {args.users} users", results.get("warden_ready_with_users_ms"), None, "<= 2,000"),
    ]
    print("\n| metric | warden | moto | warden/moto | target |")
    print("|---|---|---|---|---|")
    for name, w, m, tgt in rows:
        fw = f"{w:,.1f}" if isinstance(w, (int, float)) else "n/a"
        fm = f"{m:,.1f}" if isinstance(m, (int, float)) else "n/a"
        print(f"| {name} | {fw} | {fm} | {ratio(w, m)} | {tgt} |")
    print(f"\nresults: {args.json_out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
