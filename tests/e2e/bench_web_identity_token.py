"""GetWebIdentityToken over HTTP: starts warden (WARDEN_BIN), enables outbound federation, then mints N tokens
from T threads with the root user's signed calls and prints tokens per second for each algorithm. Not a test:
run it by hand.

    WARDEN_BIN=target/release/warden python tests/e2e/bench_web_identity_token.py [N] [T]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from e2e_util import Warden, make_client  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    w = Warden(os.environ["WARDEN_BIN"], Path(tempfile.mkdtemp()) / "data")
    w.start()
    try:
        t0 = time.perf_counter()
        make_client("iam", w.url).enable_outbound_web_identity_federation()
        print(f"enabled (two key pairs generated) in {time.perf_counter() - t0:.2f}s")
        clients = [make_client("sts", w.url) for _ in range(threads)]
        for alg in ("ES384", "RS256"):
            def call(i: int) -> None:
                clients[i % threads].get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=alg)

            call(0)
            t0 = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(call, range(1, n)))
            dt = time.perf_counter() - t0
            print(f"{n - 1} GetWebIdentityToken {alg}, {threads} threads: {(n - 1) / dt:.0f}/s")
    finally:
        w.stop()


if __name__ == "__main__":
    main()
