#!/usr/bin/env python3
"""Who signs, and what it costs: load benchmarks per kind of caller, against the release warden
on loopback, bounded in time. Reuses bench.py's signer, server runner and wrk driver.

- issue 4: signed iam:GetUser by a user with 10 attached policies, 2 groups (each with an
  attached and an inline policy) and a permissions boundary, vs the same call signed by root;
- issue 5: AssumeRole throughput (sessions/s), and requests signed with role-session
  credentials vs the same requests signed with long-term keys.

    bench/load/run.sh principals [--duration 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

ROOT = (bench.AKID, bench.SECRET)


def signed(server, service: str, params: dict[str, str], creds: tuple[str, str], token: str | None = None):
    """A request signed with `creds` (bench.sign reads its module-level key pair)."""
    bench.AKID, bench.SECRET = creds
    try:
        body, headers = bench.sign(server.host, service, params, dt.datetime.utcnow())
    finally:
        bench.AKID, bench.SECRET = ROOT
    if token:
        headers["X-Amz-Security-Token"] = token
    return body, headers


def call(server, service, params, creds=ROOT, token=None) -> str:
    import http.client

    body, headers = signed(server, service, params, creds, token)
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    c.request("POST", "/", body=body, headers=headers)
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    if r.status != 200:
        raise RuntimeError(f"{params['Action']} answered {r.status}: {data[:300]}")
    return data


def tag(xml: str, name: str) -> str:
    m = re.search(rf"<{name}>([^<]*)</{name}>", xml)
    if not m:
        raise RuntimeError(f"no <{name}> in {xml[:300]}")
    return m.group(1)


def wrk(server, work: Path, name: str, body: bytes, headers: dict[str, str], duration: float) -> dict:
    script = work / f"{name}.lua"
    bench.write_single_script(script, body, headers)
    bench.run_wrk(server.url, script, 2)  # warm-up
    r = bench.run_wrk(server.url, script, duration)
    r["ok_rps"] = r["rps"] * (1 - r["non2xx"] / r["requests"]) if r.get("requests") else 0.0
    r.pop("raw", None)
    return r


def heavy_user(server) -> tuple[str, str]:
    """A user at /team3/ with 10 attached customer managed policies of 10 statements each, in 2
    groups that each have an attached and an inline policy, under a permissions boundary; allowed
    iam:GetUser on itself by one of its policies. Returns its access key."""
    iam, acct = "iam", "123456789012"

    def doc(n: int) -> str:
        st = []
        for i in range(10):
            st.append([
                {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": f"arn:aws:iam::{acct}:user/team{n}/*"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{n}-{i}/*",
                 "Condition": {"StringEquals": {"aws:PrincipalTag/team": f"t{n}"}}},
                {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*",
                 "Condition": {"IpAddress": {"aws:SourceIp": f"10.{n}.0.0/16"}}},
                {"Effect": "Deny", "Action": "iam:Delete*", "Resource": f"arn:aws:iam::{acct}:role/protected-{n}-{i}"},
                {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": f"arn:aws:dynamodb:us-east-1:{acct}:table/t{n}-{i}"},
            ][i % 5])
        return json.dumps({"Version": "2012-10-17", "Statement": st})

    v = {"Version": "2010-05-08"}
    arns = []
    for n in range(13):
        xml = call(server, iam, {**v, "Action": "CreatePolicy", "PolicyName": f"p{n}", "PolicyDocument": doc(n)})
        arns.append(tag(xml, "Arn"))
    boundary = tag(call(server, iam, {**v, "Action": "CreatePolicy", "PolicyName": "boundary", "PolicyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:*", "sts:*", "s3:*", "ec2:*"], "Resource": "*"}]})}), "Arn")
    call(server, iam, {**v, "Action": "CreateUser", "UserName": "heavy", "Path": "/team3/", "PermissionsBoundary": boundary})
    for arn in arns[:10]:
        call(server, iam, {**v, "Action": "AttachUserPolicy", "UserName": "heavy", "PolicyArn": arn})
    for g, arn in zip(["developers", "operators"], arns[10:]):
        call(server, iam, {**v, "Action": "CreateGroup", "GroupName": g})
        call(server, iam, {**v, "Action": "AttachGroupPolicy", "GroupName": g, "PolicyArn": arn})
        call(server, iam, {**v, "Action": "PutGroupPolicy", "GroupName": g, "PolicyName": "inline", "PolicyDocument": json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}]})})
        call(server, iam, {**v, "Action": "AddUserToGroup", "GroupName": g, "UserName": "heavy"})
    xml = call(server, iam, {**v, "Action": "CreateAccessKey", "UserName": "heavy"})
    return tag(xml, "AccessKeyId"), tag(xml, "SecretAccessKey")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warden-bin", required=True)
    ap.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", "10")))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warden-sessions-"))
    port = bench.free_port()
    env = dict(os.environ, WARDEN_ROOT_ACCESS_KEY_ID=ROOT[0], WARDEN_ROOT_SECRET_ACCESS_KEY=ROOT[1])
    cmd = [args.warden_bin, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(work / "data")]
    server = bench.Server("warden", cmd, env, port, "/health", lambda s: s == 200, work / "warden.log")
    server.start()
    try:
        iam = "iam"
        call(server, iam, {"Action": "CreateUser", "Version": "2010-05-08", "UserName": "bench"})
        xml = call(server, iam, {"Action": "CreateAccessKey", "Version": "2010-05-08", "UserName": "bench"})
        user = (tag(xml, "AccessKeyId"), tag(xml, "SecretAccessKey"))
        read = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
        call(server, iam, {"Action": "AttachUserPolicy", "Version": "2010-05-08", "UserName": "bench", "PolicyArn": read})
        call(server, iam, {
            "Action": "PutUserPolicy", "Version": "2010-05-08", "UserName": "bench", "PolicyName": "assume",
            "PolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}),
        })
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
        call(server, iam, {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "app",
                           "AssumeRolePolicyDocument": json.dumps(trust)})
        call(server, iam, {"Action": "AttachRolePolicy", "Version": "2010-05-08", "RoleName": "app", "PolicyArn": read})
        assume = {"Action": "AssumeRole", "Version": "2011-06-15",
                  "RoleArn": "arn:aws:iam::123456789012:role/app", "RoleSessionName": "bench"}
        xml = call(server, "sts", assume, user)
        session = (tag(xml, "AccessKeyId"), tag(xml, "SecretAccessKey"))
        token = tag(xml, "SessionToken")

        heavy = heavy_user(server)

        results = {}
        get_heavy = {"Action": "GetUser", "Version": "2010-05-08", "UserName": "heavy"}
        body, headers = signed(server, iam, get_heavy, ROOT)
        results["get_user_root"] = wrk(server, work, "getuser-root", body, headers, args.duration)
        body, headers = signed(server, iam, get_heavy, heavy)
        results["get_user_heavy_user"] = wrk(server, work, "getuser-heavy", body, headers, args.duration)
        body, headers = signed(server, "sts", assume, user)
        results["assume_role"] = wrk(server, work, "assume", body, headers, args.duration)
        get_user = {"Action": "GetUser", "Version": "2010-05-08", "UserName": "bench"}
        body, headers = signed(server, iam, get_user, user)
        results["get_user_long_term"] = wrk(server, work, "getuser-lt", body, headers, args.duration)
        body, headers = signed(server, iam, get_user, session, token)
        results["get_user_session"] = wrk(server, work, "getuser-sess", body, headers, args.duration)
        gci = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
        body, headers = signed(server, "sts", gci, user)
        results["gci_long_term"] = wrk(server, work, "gci-lt", body, headers, args.duration)
        body, headers = signed(server, "sts", gci, session, token)
        results["gci_session"] = wrk(server, work, "gci-sess", body, headers, args.duration)
    finally:
        server.stop()

    def ratio(a: str, b: str) -> str:
        return f"{results[a]['ok_rps'] / results[b]['ok_rps']:.2f}" if results[b]["ok_rps"] else "-"

    print(f"{'scenario':<22} {'ok req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for k, r in results.items():
        print(f"{k:<22} {r['ok_rps']:>10.0f} {r.get('p50_ms', 0):>8.2f} {r.get('p99_ms', 0):>8.2f} {r['non2xx']:>8}")
    print(f"policy-heavy user/root: GetUser {ratio('get_user_heavy_user', 'get_user_root')}")
    print(f"session/long-term: GetUser {ratio('get_user_session', 'get_user_long_term')}, "
          f"GetCallerIdentity {ratio('gci_session', 'gci_long_term')}")
    out = Path(__file__).resolve().parents[1] / "results" / "principals.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": dt.datetime.utcnow().isoformat() + "Z", "loadavg": os.getloadavg(),
                               "duration_s": args.duration, **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
