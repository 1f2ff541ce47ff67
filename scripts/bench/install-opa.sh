#!/usr/bin/env bash
# Open Policy Agent, built from its Go module at a pinned version into $TOOLS_BIN/opa. Only
# the benchmarks use it (scripts/bench/opa.sh: our decision core against `opa bench` on the
# same token and rules). Idempotent: quick when the pinned version is already there; the
# first build on a machine downloads and compiles the module (see BENCHMARKS.md for how long
# that takes).
set -euo pipefail

CACHE_DIR="${CACHE_DIR:-$HOME/.cache/team-gateway}"
TOOLS_BIN="${TOOLS_BIN:-$CACHE_DIR/bin}"
export GOCACHE="${GOCACHE:-$CACHE_DIR/go-build}"
export GOMODCACHE="${GOMODCACHE:-$CACHE_DIR/go-mod}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

MODULE=github.com/open-policy-agent/opa
OPA_VERSION="${OPA_VERSION:-v1.22.4}"
BIN="$TOOLS_BIN/opa"
STAMP="$TOOLS_BIN/.opa.version"

if [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$OPA_VERSION" ]; then
  exit 0
fi

GO="$(command -v go || true)"
[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; }
[ -n "$GO" ] || { echo "tools-opa: go not found (Go 1.26 or newer builds OPA)" >&2; exit 1; }

echo "tools-opa: installing opa $OPA_VERSION" >&2
mkdir -p "$TOOLS_BIN"
start=$(date +%s.%N)
# The module root is the CLI (main.go at the root of the module); no cgo.
CGO_ENABLED=0 GOBIN="$TOOLS_BIN" "$GO" install "$MODULE@$OPA_VERSION"
end=$(date +%s.%N)
echo "$OPA_VERSION" >"$STAMP"
printf 'tools-opa: opa %s built in %.0f s (load: %s)\n' "$OPA_VERSION" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
