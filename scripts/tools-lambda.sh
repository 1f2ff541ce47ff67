#!/usr/bin/env bash
# Tools for the Lambda zip (scripts/build-lambda.sh): cargo-lambda, which cross-links with
# zig (its PyPI package brings the ziglang wheel), and the Rust target for arm64.
# Idempotent and quick when everything is there: it runs on every `make tools` / CI run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

installed="$(cargo lambda --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$installed" != "$CARGO_LAMBDA_VERSION" ]; then
  # Only touch pip when the pinned cargo-lambda is missing: a pip resolve costs seconds.
  log "installing cargo-lambda $CARGO_LAMBDA_VERSION from PyPI (found: ${installed:-none})"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "cargo-lambda==$CARGO_LAMBDA_VERSION"
  # pyenv only sees new console scripts after a rehash.
  if have pyenv; then pyenv rehash; fi
  cargo lambda --version >/dev/null 2>&1 || die "cargo-lambda installed but 'cargo lambda' is not on PATH"
fi

# Lambda's arm64 runtime (Graviton); x86_64 is this machine's host target already.
if have rustup && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  log "adding Rust target aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi

# The arm64 smoke test (build-lambda.sh --smoke) runs the binary under qemu-user, with
# Debian's arm64 glibc standing in for the runtime's.
if [ "$(uname -m)" != aarch64 ] && { ! have qemu-aarch64 || [ ! -d /usr/aarch64-linux-gnu ]; }; then
  have apt-get || die "qemu-aarch64 missing and no apt-get: install qemu-user and an arm64 glibc"
  log "installing qemu-user and libc6-arm64-cross (Debian packages) for the arm64 smoke test"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user libc6-arm64-cross >/dev/null
fi
