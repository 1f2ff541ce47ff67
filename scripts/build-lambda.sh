#!/usr/bin/env bash
# Builds the Lambda deployment zip for the provided.al2023 runtime:
#   scripts/build-lambda.sh [arm64|x86_64] [--smoke] [--out DIR]
# -> DIR/bootstrap-<arch>.zip (default DIR: dist/) with the `bootstrap` binary at the zip root.
# Reproducible: source paths are remapped (--remap-path-prefix), SOURCE_DATE_EPOCH is fixed
# (vendored OpenSSL embeds a build date otherwise), and the zip has one entry
# with a fixed mtime, mode and compression, so the same commit gives the same zip hash.
# Cross-compiles with cargo-lambda (zig as the linker), in the same CARGO_TARGET_DIR as the
# native build, so dependencies compiled for one target are kept for the next run.
# --smoke runs the built binary (arm64 under qemu-user) and checks it starts and stops
# only because no Lambda Runtime API is there, not because it cannot be executed.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
REPO_ROOT="$TG_ROOT"

arch=arm64
smoke=no
dist="$REPO_ROOT/dist"
while [ $# -gt 0 ]; do
  case "$1" in
    arm64|aarch64) arch=arm64 ;;
    x86_64|x86-64|amd64) arch=x86_64 ;;
    nodejs22.x|nodejs) arch=nodejs22.x ;;
    --smoke) smoke=yes ;;
    --out) dist="${2:?--out needs a directory}"; shift ;;
    *) echo "usage: $0 [arm64|x86_64|nodejs22.x] [--smoke] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"

# nodejs22.x: the TypeScript build's bundle, authorizer-ts/dist as it stands (its own build,
# `npm run build` or `make ts-test`, makes it), every file at the zip root in name order.
if [ "$arch" = nodejs22.x ]; then
  ts_dist="$REPO_ROOT/authorizer-ts/dist"
  [ -f "$ts_dist/handler.mjs" ] || die "$ts_dist/handler.mjs missing: build the TypeScript authorizer first (make ts-test, or npm ci && npm run build in authorizer-ts)"
  zip_path="$dist/authorizer-nodejs22.x.zip"
  mapfile -t entries < <(cd "$ts_dist" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
  python3 "$REPO_ROOT/scripts/deterministic-zip.py" "$zip_path" $(for e in "${entries[@]}"; do printf '%s=%s ' "$e" "$ts_dist/$e"; done)
  echo "build-lambda: zip $zip_path: ${#entries[@]} files, $(stat -c %s "$zip_path") bytes"
  if [ "$smoke" = yes ]; then
    node_bin="$(command -v node || true)"
    [ -x "$CACHE_DIR/node-current/bin/node" ] && node_bin="$CACHE_DIR/node-current/bin/node"
    [ -n "$node_bin" ] || die "no node for the smoke test (scripts/tools-node.sh)"
    tmp="$(mktemp -d)"
    unzip -q "$zip_path" -d "$tmp"
    (cd "$tmp" && "$node_bin" -e 'import("./handler.mjs").then((m) => { if (typeof m.handler !== "function") { console.error("no handler export"); process.exit(1); } console.log("build-lambda: smoke ok: handler.mjs exports handler"); })')
    rm -rf "$tmp"
  fi
  exit 0
fi

flag=--arm64
[ "$arch" = x86_64 ] && flag=--x86-64

# Cheap when already installed; makes `make build` work on a fresh machine.
bash "$REPO_ROOT/scripts/tools-lambda.sh"

# --disable-optimizations: cargo-lambda would otherwise inject its own release settings
# (panic = "abort" among them), which defeats lambda_runtime's catch_unwind. The crate's
# [profile.release] in authorizer/Cargo.toml is the one that applies.
# The librdkafka curl-header stub comes from authorizer/.cargo/config.toml's [env], which
# cargo only reads when run from inside authorizer/ and applies to the build scripts only.
# C_INCLUDE_PATH must not be in cargo-lambda's own environment: cargo-lambda 1.9.2 panics
# at start when it names an existing directory ("range start index 18446744073709551615
# out of range"), and the Makefile exports it for the native build.
# Paths that would otherwise end up in panic locations and debug strings: the checkout,
# the cargo registry, the toolchain and the target dir all map to fixed names.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
export RUSTFLAGS="--remap-path-prefix=$REPO_ROOT=/build/team-gateway --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$rustup_home=/rustup --remap-path-prefix=$CARGO_TARGET_DIR=/target"
# A constant, not the commit time: build scripts do not rerun when it changes, so a
# moving value would leave a warm build with a stale date and a clean one with another.
SOURCE_DATE_EPOCH=946684800
export SOURCE_DATE_EPOCH
# Vendored OpenSSL compiles its default engines and providers directories into libcrypto
# (ENGINESDIR, MODULESDIR: <prefix>/lib/engines-3 and <prefix>/lib/ossl-modules, shown by
# `openssl version -e -m`), and openssl-src's prefix is its OUT_DIR inside CARGO_TARGET_DIR:
# C string literals from -D flags, which --remap-path-prefix does not reach, so two target
# dirs gave two different binaries. OpenSSL's Configure puts $CPPFLAGS after its own -D
# flags and the last definition of a macro wins; the values are a stock OpenSSL's for
# openssl-src's OPENSSLDIR (/usr/local/ssl). Nothing is loaded from either at run time (the
# Lambda has neither directory, nor had it the build paths). Of this build's C builds only
# OpenSSL's Configure reads CPPFLAGS (cc-rs and CMake do not). openssl-sys does not rerun
# when CPPFLAGS changes: a target dir that built OpenSSL without it keeps the build paths
# until `cargo clean -p openssl-sys` (or a fresh target dir).
CPPFLAGS="${CPPFLAGS:+$CPPFLAGS }-Wno-macro-redefined -DENGINESDIR=\"\\\"/usr/local/lib/engines-3\\\"\" -DMODULESDIR=\"\\\"/usr/local/lib/ossl-modules\\\"\""
export CPPFLAGS
# The zip's binary only: fat LTO with one codegen unit (BENCHMARKS.md, "LTO for the
# Lambda zip"): a sixth smaller zip, an eighth faster on the event path, at 1.4x (arm64) to
# 1.8x (x86_64) the cold build time; the same commit still gives the same zip. Native builds (tests, benches, the CLI) keep the crate's faster-building
# [profile.release]; LAMBDA_LTO=off builds the zip with it too.
case "${LAMBDA_LTO:-fat}" in
  fat) export CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 ;;
  off) ;;
  *) die "LAMBDA_LTO must be fat or off (got '${LAMBDA_LTO}')" ;;
esac
start=$SECONDS
# cargo-lambda moves the binary out of target/<triple>/release into --lambda-dir; one
# directory per arch keeps an arm64 and an x86_64 build from replacing each other.
lambda_dir="$CARGO_TARGET_DIR/lambda-$arch"
(cd "$REPO_ROOT/authorizer" &&
  env -u C_INCLUDE_PATH cargo lambda build --release --locked "$flag" --disable-optimizations --bin bootstrap \
    --lambda-dir "$lambda_dir")
build_s=$((SECONDS - start))

bin="$lambda_dir/bootstrap/bootstrap"
[ -x "$bin" ] || { echo "build-lambda: $bin was not produced" >&2; exit 1; }

# One entry, a fixed mtime (independent of the time zone, unlike zip(1)'s DOS time), mode
# 755 (Lambda executes `bootstrap` as is) and fixed compression: the same binary gives the
# same zip, and so the same source_code_hash in Terraform.
zip_path="$dist/bootstrap-$arch.zip"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
python3 "$REPO_ROOT/scripts/deterministic-zip.py" "$zip_path" "bootstrap=$bin:755"

size() { stat -c %s "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "build-lambda: $arch build took ${build_s}s"
echo "build-lambda: binary $bin: $(size "$bin") bytes ($(mib "$(size "$bin")"))"
echo "build-lambda: zip    $zip_path: $(size "$zip_path") bytes ($(mib "$(size "$zip_path")"))"

if [ "$smoke" = yes ]; then
  runner=()
  if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
    # scripts/tools-lambda.sh installed qemu-user and libc6-arm64-cross; the arm64 glibc
    # from libc6-arm64-cross stands in for the runtime's.
    have qemu-aarch64 && [ -d /usr/aarch64-linux-gnu ] || die "qemu-aarch64 or /usr/aarch64-linux-gnu missing (bash scripts/tools-lambda.sh)"
    runner=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
  fi
  # Run the binary from the zip, in an empty environment: it must get far enough to look
  # for the Lambda Runtime API and give up, well within the timeout.
  unzip -q -o "$zip_path" -d "$stage/unzipped"
  set +e
  out="$(env -i PATH=/usr/bin:/bin timeout 30 "${runner[@]}" "$stage/unzipped/bootstrap" 2>&1)"
  rc=$?
  set -e
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && grep -q 'AWS_LAMBDA_' <<<"$out"; then
    echo "build-lambda: smoke ok: bootstrap ran and stopped for want of a Lambda runtime (exit $rc):"
    grep -m1 'AWS_LAMBDA_' <<<"$out"
  else
    echo "build-lambda: smoke FAILED (exit $rc):" >&2
    echo "$out" | tail -n 20 >&2
    exit 1
  fi
fi
