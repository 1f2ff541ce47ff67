#!/usr/bin/env bash
# The TypeScript build's checks, with the Node of the Lambda runtime (scripts/tools-node.sh):
# npm ci, lint, typecheck, bundle, node's test runner (unit, property, parity and
# differential tests against the Rust `authz`, the policy stream against a real broker from
# scripts/kafka.sh), then conformance/ through the TS CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
CACHE_DIR="${CACHE_DIR:-$HOME/.cache/team-gateway}"
bash scripts/tools-node.sh
export PATH="$CACHE_DIR/node-current/bin:$PATH"
# The Rust CLI the parity tests compare against (`make build-native`).
export AUTHZ_BIN="${AUTHZ_BIN:-${CARGO_TARGET_DIR:-$CACHE_DIR/cargo-target}/release/authz}"
[ -x "$AUTHZ_BIN" ] || { echo "ts-test: $AUTHZ_BIN is missing; run make build-native" >&2; exit 1; }
# The broker the stream tests use; started here (and stopped after) unless one runs.
export KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
started=0
bash scripts/kafka.sh status >/dev/null 2>&1 || started=1
cleanup() { [ "$started" = 1 ] && bash "$ROOT/scripts/kafka.sh" down >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
bash scripts/kafka.sh up >/dev/null
cd authorizer-ts
echo "ts-test: node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent lint
npm run --silent typecheck
npm run --silent build
# The Lambda zip is reproducible: a second clean build packs to the same bytes.
first="$(npm run --silent package)"
rm -rf dist && npm run --silent build
second="$(npm run --silent package)"
[ "$first" = "$second" ] || { echo "ts-test: the Lambda zip differs between two builds: $first / $second" >&2; exit 1; }
echo "ts-test: Lambda zip $second"
npm test --silent
node dist/cli.js conformance ../conformance
