#!/usr/bin/env bash
# Go tests of the module (`make go-test`): `go test ./...` in test/, every package of the
# gateway/test module (test/terraform applies every example against moto's server mode,
# which the tests start on a free 127.0.0.1 port; later packages run the same way).
#   GO_TEST_FLAGS   extra flags for go test (e.g. "-run TestREST -v")
#   MOTO_ENDPOINT   use an already running moto server instead of starting one
#   TF_BINARY       terraform or tofu (default: terraform when present)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE_DIR="${CACHE_DIR:-$HOME/.cache/team-gateway}"
TOOLS_BIN="${TOOLS_BIN:-$CACHE_DIR/bin}"
export CACHE_DIR TOOLS_BIN
export GOCACHE="${GOCACHE:-$CACHE_DIR/go-build}"
export GOMODCACHE="${GOMODCACHE:-$CACHE_DIR/go-mod}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export PATH="$TOOLS_BIN:/usr/local/go/bin:$PATH"

# moto's server mode: install moto[server] from PyPI when moto_server is missing.
if ! command -v moto_server >/dev/null 2>&1; then
  echo "go-test: moto_server missing, installing moto[server]"
  python3 -m venv "$CACHE_DIR/venv-moto"
  "$CACHE_DIR/venv-moto/bin/pip" install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION:-5.2.1}"
  mkdir -p "$TOOLS_BIN"
  ln -sfn "$CACHE_DIR/venv-moto/bin/moto_server" "$TOOLS_BIN/moto_server"
fi

# terraform/tofu and the provider mirror; the CLI config that uses only the mirror.
bash "$ROOT/scripts/tools-terraform.sh" >/dev/null
export TF_CLI_CONFIG_FILE="$CACHE_DIR/terraform.rc"

cd "$ROOT/test"
start=$(date +%s)
# shellcheck disable=SC2086
go test -count=1 -timeout 20m ${GO_TEST_FLAGS:-} ./...
echo "go-test: $(($(date +%s) - start))s" >&2
