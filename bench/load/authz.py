#!/usr/bin/env python3
"""The authorization API's throughput (issue 16): Authorize decisions per second over HTTP, each with two
SigV4 signatures verified (the calling service's call, signed for `warden`, and the client's S3 request
inside it), against the release warden on loopback, bounded in time. Reuses bench.py's server runner and
wrk driver.

One Authorize call (a client's `GET /photos/cat.jpg` signed by botocore's S3SigV4Auth as boto3 signs it,
one check `s3:GetObject` with the bucket owner and a bucket policy) is signed once and replayed by
`wrk -t2 -c32` for the whole run (both signatures stay valid for 15 minutes). Every answer must be 200 with
`"Decision":"Allow"` (checked on one call before the run; wrk counts non-2xx).

    python bench/load/authz.py --warden-bin target/release/warden [--duration 10]

Needs botocore (the e2e venv has it) and wrk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import urllib.parse
from pathlib import Path

import botocore.auth
import botocore.awsrequest
import botocore.credentials

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

ACCOUNT = "123456789012"


def call(server, body: dict, creds: botocore.credentials.Credentials, operation: str) -> tuple[bytes, dict]:
    """A signed JSON call: the Query API's `sign` does not fit, so botocore signs it."""
    data = json.dumps(body).encode()
    req = botocore.awsrequest.AWSRequest(
        method="POST",
        url=server.url + "/",
        data=data,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"WardenAuthorization.{operation}"},
    )
    botocore.auth.SigV4Auth(creds, "warden", "us-east-1").add_auth(req)
    return data, dict(req.prepare().headers)


def send(server, data: bytes, headers: dict) -> tuple[int, bytes]:
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.request("POST", "/", body=data, headers=headers)
    r = c.getresponse()
    out = r.read()
    c.close()
    return r.status, out


def query(server, params: dict[str, str], service: str = "iam") -> str:
    status, data = bench.post(server, service, params)
    if status != 200:
        raise RuntimeError(f"{params['Action']} answered {status}: {data[:300]!r}")
    return data.decode()


def new_user(server, name: str, policy: dict) -> botocore.credentials.Credentials:
    query(server, {"Action": "CreateUser", "Version": "2010-05-08", "UserName": name})
    query(
        server,
        {
            "Action": "PutUserPolicy",
            "Version": "2010-05-08",
            "UserName": name,
            "PolicyName": "p",
            "PolicyDocument": json.dumps(policy),
        },
    )
    xml = query(server, {"Action": "CreateAccessKey", "Version": "2010-05-08", "UserName": name})
    akid = xml.split("<AccessKeyId>")[1].split("<")[0]
    secret = xml.split("<SecretAccessKey>")[1].split("<")[0]
    return botocore.credentials.Credentials(akid, secret)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warden-bin", required=True)
    ap.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", "10")))
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--no-policy", action="store_true", help="send the check without its bucket policy")
    ap.add_argument(
        "--baseline",
        action="store_true",
        help="also measure sts:GetCallerIdentity (one signature) on the same server, for the machine's load",
    )
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="warden-authz-bench-"))
    port = bench.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"WARDEN_ROOT_ACCESS_KEY_ID": bench.AKID, "WARDEN_ROOT_SECRET_ACCESS_KEY": bench.SECRET})
    server = bench.Server(
        "warden",
        [args.warden_bin, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(work / "data"), "--account-id", ACCOUNT],
        env,
        port,
        "/health",
        lambda s: s == 200,
        work / "warden.log",
    )
    server.start()
    try:
        service = new_user(
            server,
            "s3-frontend",
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "warden:Authorize", "Resource": "arn:aws:s3:::*"}]},
        )
        client = new_user(
            server,
            "alice",
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}]},
        )
        # The client's request, signed as boto3 signs S3 calls.
        req = botocore.awsrequest.AWSRequest(method="GET", url="http://s3.example.test/photos/cat.jpg")
        botocore.auth.S3SigV4Auth(client, "s3", "us-east-1").add_auth(req)
        prepared = req.prepare()
        u = urllib.parse.urlsplit(prepared.url)
        headers = [("Host", "s3.example.test")] + list(prepared.headers.items())
        bucket_policy = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::photos/*"}
                ],
            }
        )
        body = {
            "Request": {
                "Method": "GET",
                "Path": u.path,
                "Query": u.query,
                "Headers": [{"Name": n, "Value": v} for n, v in headers],
                "PayloadHash": dict(prepared.headers)["X-Amz-Content-SHA256"],
            },
            "SigningService": "s3",
            "Checks": [
                {
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::photos/cat.jpg",
                    "ResourceAccount": ACCOUNT,
                }
            ],
        }
        if not args.no_policy:
            body["Checks"][0]["ResourcePolicy"] = bucket_policy
        data, hdrs = call(server, body, service, "Authorize")
        status, answer = send(server, data, hdrs)
        verdict = json.loads(answer)
        if status != 200 or verdict.get("Decision") != "Allow":
            raise RuntimeError(f"Authorize answered {status}: {answer[:400]!r}")
        script = work / "authorize.lua"
        bench.write_single_script(script, data, hdrs)
        bench.run_wrk(server.url, script, 2, conns=args.conns)  # warm-up
        r = bench.run_wrk(server.url, script, args.duration, conns=args.conns)
        r.pop("raw", None)
        base = None
        if args.baseline:
            b = bench.bench_read(server, work, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, args.duration)
            base = {"rps": b["rps"], "p50_ms": b.get("p50_ms"), "p99_ms": b.get("p99_ms"), "non2xx": b["non2xx"]}
        load = os.getloadavg()
        result = {
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "conns": args.conns,
            "duration_s": args.duration,
            "decisions_per_s": r["rps"],
            "non2xx": r["non2xx"],
            "p50_ms": r.get("p50_ms"),
            "p99_ms": r.get("p99_ms"),
            "socket_errors": r["socket_errors"],
            "with_bucket_policy": not args.no_policy,
            "baseline_get_caller_identity": base,
            "loadavg_after": load,
        }
        print(json.dumps(result, indent=2))
        out = bench.REPO / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "authz.json").write_text(json.dumps(result, indent=2) + "\n")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
