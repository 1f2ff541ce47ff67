#!/usr/bin/env bash
# Open Policy Agent, built from its Go module at OPA_VERSION (scripts/versions.env) into $TOOLS_BIN/opa. Only
# the benchmarks use it (scripts/bench/opa.sh: our decision core against `opa bench` on the
# same token and rules). Idempotent: quick when the pinned version is already there; the
# first build on a machine downloads and compiles the module (see BENCHMARKS.md for how long
# that takes).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

MODULE=github.com/open-policy-agent/opa
BIN="$TOOLS_BIN/opa"
STAMP="$TOOLS_BIN/.opa.version"

if [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$OPA_VERSION" ]; then
  exit 0
fi

GO="$(go_bin)"
log "installing opa $OPA_VERSION"
start=$SECONDS
# The module root is the CLI (main.go at the root of the module); no cgo.
CGO_ENABLED=0 GOBIN="$TOOLS_BIN" "$GO" install "$MODULE@$OPA_VERSION"
echo "$OPA_VERSION" >"$STAMP"
log "opa $OPA_VERSION built in $((SECONDS - start)) s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
