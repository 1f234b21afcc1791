#!/usr/bin/env bash
# Refresh the AWS service models that warden-wire's generated code is built from.
#
# The models ship inside the botocore wheel on PyPI. We pin the exact botocore
# version (the end-to-end venv pins the same one) so that the generated shapes
# and the clients in the e2e suite agree on every member, list wrapper and error.
#
# Usage: scripts/update-models.sh            (then: cargo run -p warden-codegen)
set -euo pipefail

BOTOCORE_VERSION="1.44.8"
cd "$(dirname "$0")/.."
dest="crates/warden-wire/models"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m pip download --quiet --disable-pip-version-check --no-deps \
  --only-binary=:all: --dest "$work" "botocore==${BOTOCORE_VERSION}"

wheel="$(ls "$work"/botocore-"${BOTOCORE_VERSION}"-*.whl)"

mkdir -p "$dest"
# Extract only the three models and their paginators; nothing else of botocore is kept.
python3 - "$wheel" "$dest" <<'PY'
import gzip, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
models = {
    "botocore/data/iam/2010-05-08/service-2.json.gz": "iam-2010-05-08.json",
    "botocore/data/sts/2011-06-15/service-2.json.gz": "sts-2011-06-15.json",
    "botocore/data/organizations/2016-11-28/service-2.json.gz": "organizations-2016-11-28.json",
}
# Paginators are stored uncompressed in the wheel.
paginators = {
    "botocore/data/iam/2010-05-08/paginators-1.json": "iam-2010-05-08.paginators.json",
    "botocore/data/sts/2011-06-15/paginators-1.json": "sts-2011-06-15.paginators.json",
    "botocore/data/organizations/2016-11-28/paginators-1.json": "organizations-2016-11-28.paginators.json",
}
with zipfile.ZipFile(wheel) as zf:
    for member, name in list(models.items()) + list(paginators.items()):
        data = zf.read(member)
        if member.endswith(".gz"):
            data = gzip.decompress(data)
        with open(f"{dest}/{name}", "wb") as out:
            out.write(data)
        print(f"wrote {dest}/{name} ({len(data)} bytes)")
PY
echo "botocore ${BOTOCORE_VERSION}" > "$dest/BOTOCORE_VERSION"
