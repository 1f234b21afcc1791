"""AssumeRoleWithWebIdentity over HTTP: the release warden, an HTTPS OIDC issuer on loopback (the e2e suite's,
tests/e2e/test_web_identity.py), and wrk replaying one unsigned AssumeRoleWithWebIdentity request with the same
token (each answer is a new session: a new key pair and a sealed token) for BENCH_DURATION seconds at 32
connections, after the first call has fetched and cached the issuer's keys. Then the cost of a key refetch:
the latency of a call whose token names a kid the cache lacks, once the rate limit allows a fetch
(discovery + JWKS over HTTPS), against the same call with cached keys.

    python bench/load/web_identity.py [path/to/release/warden]

Needs wrk, boto3, PyJWT and cryptography (tests/e2e/requirements.txt).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from e2e_util import Warden, make_client  # noqa: E402
from test_web_identity import AUD, Issuer, trust  # noqa: E402


def call(url: str, body: bytes) -> float:
    start = time.perf_counter()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req) as r:
        r.read()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    binary = sys.argv[1] if len(sys.argv) > 1 else str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "warden")
    duration = int(os.environ.get("BENCH_DURATION", "10"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-wi-"))
    issuer = Issuer(tmp)
    w = Warden(binary, tmp / "data", extra_env={"SSL_CERT_FILE": str(issuer.ca_file), "RUST_LOG": "warn"})
    w.start()
    try:
        iam = make_client("iam", w.url)
        provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=[AUD])["OpenIDConnectProviderArn"]
        role_arn = iam.create_role(RoleName="bench-web", AssumeRolePolicyDocument=trust(provider, issuer.host))["Role"]["Arn"]

        def body(token: str) -> bytes:
            return urllib.parse.urlencode({
                "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": role_arn,
                "RoleSessionName": "bench", "WebIdentityToken": token,
            }).encode()

        token = issuer.token(exp_in=3600)
        call(w.url, body(token))  # fetches and caches the keys
        cached = [call(w.url, body(token)) for _ in range(200)]

        lua = tmp / "post.lua"
        lua.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f"wrk.body = {json.dumps(body(token).decode())}\n"
        )
        out = subprocess.run(
            ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", "-s", str(lua), w.url + "/"],
            capture_output=True, text=True, check=True,
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        p50 = re.search(r"\s50%\s+(\S+)", out).group(1)
        p99 = re.search(r"\s99%\s+(\S+)", out).group(1)

        # Refetch: each round publishes a new key and waits out the 5 s rate limit, so the first token of
        # the new kid makes warden fetch discovery + JWKS over HTTPS.
        refetch = []
        for i in range(5):
            kid = f"rot{i}"
            issuer.add_key(kid)
            time.sleep(5.1)
            refetch.append(call(w.url, body(issuer.token(alg="ES256", kid=kid, exp_in=3600))))
        print(json.dumps({
            "awrwi_req_per_s": rps,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "p50": p50, "p99": p99,
            "single_call_cached_ms_median": round(statistics.median(cached), 3),
            "single_call_refetch_ms_median": round(statistics.median(refetch), 3),
            "jwks_fetches": issuer.jwks_fetches,
        }, indent=2))
    finally:
        w.stop()
        issuer.close()


if __name__ == "__main__":
    main()
