#!/usr/bin/env bash
# The fuzz targets (make fuzz, make fuzz-smoke) need a nightly toolchain and cargo-fuzz.
# Idempotent: both are kept in caches (rustup's, and $TOOLS_BIN) once installed.
set -euo pipefail
: "${TOOLS_BIN:?run through make}"
CARGO_FUZZ_VERSION=0.13.2
export PATH="$TOOLS_BIN:$HOME/.cargo/bin:$PATH"
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo-fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  # A target dir of its own: the Makefile's CARGO_TARGET_DIR is the authorizer's build.
  CARGO_TARGET_DIR="${CACHE_DIR:-$HOME/.cache/team-gateway}/fuzz-target/cargo-fuzz-install" \
    cargo install --locked --quiet cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$root"
  mv "$root/bin/cargo-fuzz" "$TOOLS_BIN/"
fi
