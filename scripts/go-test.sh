#!/usr/bin/env bash
# Go tests of the module (`make go-test`): `go test ./...` in test/, every package of the
# gateway/test module (test/terraform applies every example against moto's server mode,
# which the tests start on a free 127.0.0.1 port; test/e2e runs the bootstrap under the
# Lambda emulator with Kafka; test/bench holds the benchmark driver's unit tests).
#   GO_TEST_FLAGS   extra flags for go test (e.g. "-run TestREST -v")
#   MOTO_ENDPOINT   use an already running moto server instead of starting one
#   TF_BINARY       terraform or tofu (default: terraform when present)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# terraform/tofu, the provider mirror, the CLI config that uses only the mirror, and
# moto_server (scripts/tools-terraform.sh installs moto, at the pin of scripts/versions.env).
bash "$TG_ROOT/scripts/tools-terraform.sh" >/dev/null
export TF_CLI_CONFIG_FILE="$CACHE_DIR/terraform.rc"

cd "$TG_ROOT/test"
start=$(date +%s)
# shellcheck disable=SC2086
go test -count=1 -timeout 20m ${GO_TEST_FLAGS:-} ./...
log "$(($(date +%s) - start))s"
