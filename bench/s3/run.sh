#!/usr/bin/env bash
# S3 gateway benchmark: warden --s3-backend in front of an instantly answering backend stub
# (crates/warden-server/examples/s3_stub.rs), next to the stub alone. Loopback only, bounded.
#
#   bench/s3/run.sh                      # 10 s per scenario
#   BENCH_DURATION=5 bench/s3/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "==> release builds (warden, s3_stub)"
cargo build --release --quiet -p warden
cargo build --release --quiet -p warden-server --example s3_stub
T="${CARGO_TARGET_DIR:-$PWD/target}/release"
PY="${BENCH_PYTHON:-python3}"
exec "$PY" bench/s3/bench.py --warden-bin "$T/warden" --stub-bin "$T/examples/s3_stub" "$@"
