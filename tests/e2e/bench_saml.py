"""AssumeRoleWithSAML over HTTP: starts warden (WARDEN_BIN), creates a provider and a role, signs
N distinct responses with xmlsec1 beforehand (each assertion is accepted once), then exchanges
them from T threads and prints calls per second. Not a test: run it by hand.

    WARDEN_BIN=target/release/warden python tests/e2e/bench_saml.py [N] [T]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore import UNSIGNED
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).parent))
from e2e_util import Warden, make_client  # noqa: E402
from saml_idp import Idp, b64, response  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    w = Warden(os.environ["WARDEN_BIN"], Path(tempfile.mkdtemp()) / "data")
    w.start()
    try:
        iam = make_client("iam", w.url)
        idp = Idp()
        provider = iam.create_saml_provider(Name="bench", SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML"}],
        }
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        t0 = time.perf_counter()
        assertions = [b64(response(idp, [(role, provider)], lifetime=3600)) for _ in range(n)]
        print(f"signed {n} responses in {time.perf_counter() - t0:.1f}s")
        clients = [
            boto3.session.Session().client(
                "sts", endpoint_url=w.url, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
            )
            for _ in range(threads)
        ]

        def call(i: int) -> None:
            clients[i % threads].assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertions[i])

        call(0)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(call, range(1, n)))
        dt = time.perf_counter() - t0
        print(f"{n - 1} AssumeRoleWithSAML calls, {threads} threads: {(n - 1) / dt:.0f}/s")
    finally:
        w.stop()


if __name__ == "__main__":
    main()
