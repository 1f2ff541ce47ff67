#!/usr/bin/env bash
# The authorizer release (`make release`): both Lambda zips, their hashes, an SBOM each, and
# the manifest the Terraform module pins.
#   [RELEASE_BUCKET='acme-gateway-artifacts-{region}'] scripts/release.sh [OUT_DIR]
#   (default OUT_DIR: dist/release/<version>; RELEASE_BUCKET: the bucket the module deploys from)
# -> OUT_DIR/bootstrap-arm64.zip, bootstrap-x86_64.zip, SHA256SUMS,
#    bootstrap-<arch>.cdx.json (CycloneDX SBOM), release.json
# and modules/authorizer/release.json (version, S3 key and base64 SHA-256 per architecture):
# commit it, tag the commit, upload OUT_DIR to the release bucket of every region
# (docs/release.md). Each zip is started before it is accepted (arm64 under qemu-aarch64).
# Reproducible: the same commit gives the same hashes (scripts/build-lambda.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TG_ROOT"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' authorizer/Cargo.toml | head -1)"
[ -n "$version" ] || die "no version in authorizer/Cargo.toml"
out="${1:-dist/release/$version}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

declare -A triple=([arm64]=aarch64-unknown-linux-gnu [x86_64]=x86_64-unknown-linux-gnu)
for arch in arm64 x86_64; do
  bash scripts/build-lambda.sh "$arch" --smoke --out "$out"
  python3 scripts/sbom.py "${triple[$arch]}" "$out/bootstrap-$arch.zip" "$out/bootstrap-$arch.cdx.json"
done

# The TypeScript build's bundle, when authorizer-ts/dist has been built.
files=(bootstrap-arm64.zip bootstrap-x86_64.zip bootstrap-arm64.cdx.json bootstrap-x86_64.cdx.json)
if [ -f authorizer-ts/dist/handler.mjs ]; then
  bash scripts/build-lambda.sh nodejs22.x --smoke --out "$out"
  files+=(authorizer-nodejs22.x.zip)
else
  log "authorizer-ts/dist not built: no nodejs22.x zip in this release"
fi
(cd "$out" && sha256sum "${files[@]}" >SHA256SUMS)
b64() { if [ -f "$1" ]; then printf '"%s"' "$(openssl dgst -sha256 -binary "$1" | base64)"; else echo null; fi; }
cat >"$out/release.json" <<JSON
{
  "version": "$version",
  "built_from_commit": "$(git rev-parse HEAD)",
  "bucket": $(if [ -n "${RELEASE_BUCKET:-}" ]; then printf '"%s"' "$RELEASE_BUCKET"; else echo null; fi),
  "s3_key_prefix": "team-gateway/authorizer/$version/",
  "source_code_hash": {
    "arm64": $(b64 "$out/bootstrap-arm64.zip"),
    "x86_64": $(b64 "$out/bootstrap-x86_64.zip"),
    "nodejs22.x": $(b64 "$out/authorizer-nodejs22.x.zip")
  }
}
JSON
cp "$out/release.json" modules/authorizer/release.json
cat "$out/SHA256SUMS"
log "release $version in $out; modules/authorizer/release.json updated (commit it and tag v$version)"
