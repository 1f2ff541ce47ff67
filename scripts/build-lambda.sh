#!/usr/bin/env bash
# Builds the Lambda deployment zip for the provided.al2023 runtime:
#   scripts/build-lambda.sh [arm64|x86_64] [--smoke]
# -> dist/bootstrap-<arch>.zip with the `bootstrap` binary at the zip root.
# Cross-compiles with cargo-lambda (zig as the linker), in the same CARGO_TARGET_DIR as the
# native build, so dependencies compiled for one target are kept for the next run.
# --smoke runs the built binary (arm64 under qemu-user) and checks it starts and stops
# only because no Lambda Runtime API is there, not because it cannot be executed.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
REPO_ROOT="$TG_ROOT"

arch=arm64
smoke=no
for arg in "$@"; do
  case "$arg" in
    arm64|aarch64) arch=arm64 ;;
    x86_64|x86-64|amd64) arch=x86_64 ;;
    --smoke) smoke=yes ;;
    *) echo "usage: $0 [arm64|x86_64] [--smoke]" >&2; exit 2 ;;
  esac
done

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

# A fixed mtime and no extra attributes: the same binary gives the same zip (and the same
# source_code_hash in Terraform). Mode 755 is kept: Lambda executes `bootstrap` as is.
dist="$REPO_ROOT/dist"
zip_path="$dist/bootstrap-$arch.zip"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$bin" "$stage/bootstrap"
chmod 0755 "$stage/bootstrap"
touch -d '2000-01-01 00:00:00 UTC' "$stage/bootstrap"
mkdir -p "$dist"
rm -f "$zip_path"
(cd "$stage" && zip -q -X -9 "$zip_path" bootstrap)

size() { stat -c %s "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "build-lambda: $arch build took ${build_s}s"
echo "build-lambda: binary $bin: $(size "$bin") bytes ($(mib "$(size "$bin")"))"
echo "build-lambda: zip    $zip_path: $(size "$zip_path") bytes ($(mib "$(size "$zip_path")"))"

if [ "$smoke" = yes ]; then
  runner=()
  if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
    if ! have qemu-aarch64 || [ ! -d /usr/aarch64-linux-gnu ]; then
      log "installing qemu-user and libc6-arm64-cross for the smoke test (Debian packages)"
      apt-get update -qq && apt-get install -y -qq qemu-user libc6-arm64-cross >/dev/null
    fi
    # The arm64 glibc from libc6-arm64-cross stands in for the runtime's.
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
