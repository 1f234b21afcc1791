#!/usr/bin/env bash
# Load benchmark: warden (release build) vs moto_server, side by side on this machine.
# Loopback only, bounded in time and count. Prints a table with warden/moto ratios and writes
# bench/results/latest.json.
#
#   bench/load/run.sh                 # full run (10 s per scenario, 100,000-user restart test)
#   BENCH_DURATION=5 BENCH_USERS=20000 bench/load/run.sh   # quicker
#   bench/load/run.sh --skip-moto     # warden only
#   bench/load/run.sh principals      # per caller kind: policy-heavy user vs root, AssumeRole/s,
#                                     # session vs long-term credentials (bench/results/principals.json)
#   bench/load/run.sh audit           # audit trail on vs off: GetUser and CreateUser throughput
#                                     # (bench/results/audit.json)
#   bench/load/run.sh authz           # authorization API: Authorize decisions/s, two signatures
#                                     # verified per call (bench/results/authz.json)
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "==> warden release build"
cargo build --release --quiet -p warden
WARDEN_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/warden"

echo "==> bench virtualenv (pinned moto[server])"
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
bench/.venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt

if ! command -v wrk >/dev/null 2>&1; then
  echo "==> installing wrk"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
  else
    sudo apt-get install -y -qq wrk
  fi
fi

if [ "${1:-}" = audit ]; then
  shift
  exec bench/.venv/bin/python bench/load/audit.py --warden-bin "$WARDEN_BIN" "$@"
fi
if [ "${1:-}" = authz ]; then
  shift
  exec bench/.venv/bin/python bench/load/authz.py --warden-bin "$WARDEN_BIN" "$@"
fi
if [ "${1:-}" = principals ]; then
  shift
  exec bench/.venv/bin/python bench/load/principals.py --warden-bin "$WARDEN_BIN" "$@"
fi
exec bench/.venv/bin/python bench/load/bench.py --warden-bin "$WARDEN_BIN" "$@"
