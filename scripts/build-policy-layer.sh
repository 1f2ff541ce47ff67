#!/usr/bin/env bash
# Builds the baked-policy Lambda layer: validates POLICY with `authz validate` (a broken
# policy never gets packaged) and zips it as gateway-policy.json at the zip root, which
# Lambda mounts at /opt/gateway-policy.json. A fixed mtime makes the zip reproducible, so
# an unchanged policy is not a new layer version.
#   usage: build-policy-layer.sh POLICY.json [OUT.zip]   (default dist/policy-layer.zip)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
policy="${1:?usage: build-policy-layer.sh POLICY.json [OUT.zip]}"
out="${2:-dist/policy-layer.zip}"
authz="$CARGO_TARGET_DIR/release/authz"
"$authz" validate "$policy"
mkdir -p "$(dirname "$out")"
python3 - "$policy" "$out" <<'PY'
import sys, zipfile
policy, out = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("gateway-policy.json", date_time=(2020, 1, 1, 0, 0, 0))
info.compress_type = zipfile.ZIP_DEFLATED
info.external_attr = 0o644 << 16
with open(policy, "rb") as f, zipfile.ZipFile(out, "w") as z:
    z.writestr(info, f.read())
PY
echo "policy layer: $out"
