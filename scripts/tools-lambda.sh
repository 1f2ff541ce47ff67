#!/usr/bin/env bash
# Tools for the Lambda zip (scripts/build-lambda.sh): cargo-lambda, which cross-links with
# zig (its PyPI package brings the ziglang wheel), and the Rust target for arm64.
# Idempotent and quick when everything is there: it runs on every `make tools` / CI run.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if ! cargo lambda --version >/dev/null 2>&1; then
  # Only touch pip when cargo-lambda is missing: a pip resolve costs seconds on every run.
  echo "tools-lambda: installing cargo-lambda from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore cargo-lambda
  # pyenv only sees new console scripts after a rehash.
  if have pyenv; then pyenv rehash; fi
  cargo lambda --version >/dev/null 2>&1 \
    || { echo "tools-lambda: cargo-lambda installed but 'cargo lambda' is not on PATH" >&2; exit 1; }
fi

# Lambda's arm64 runtime (Graviton); x86_64 is this machine's host target already.
if have rustup && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  echo "tools-lambda: adding Rust target aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi
