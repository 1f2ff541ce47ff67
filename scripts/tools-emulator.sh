#!/usr/bin/env bash
# The AWS Lambda Runtime Interface Emulator (aws-lambda-rie), built from its Go module at a
# pinned version (RIE_VERSION in scripts/versions.env: the module has no release tags on
# the proxy, so a commit's pseudo-version) into $TOOLS_BIN. It runs the real `bootstrap` as a child process and
# serves Lambda's invoke API, which is how `make demo` and the Go end-to-end tests
# (test/e2e) call the authorizer:
#
#   aws-lambda-rie --log-level error \
#     --runtime-interface-emulator-address 127.0.0.1:9000 \   # invoke API (default 0.0.0.0:8080)
#     --runtime-api-address 127.0.0.1:9001 \                  # Runtime API the bootstrap polls
#     /path/to/bootstrap
#   curl -d @event.json http://127.0.0.1:9000/2015-03-31/functions/function/invocations
#
# The function is initialised on the first invoke, one invoke runs at a time, and the
# process is never frozen between invokes (unlike Lambda).
#
# Also libfaketime (Debian package), with which the end-to-end tests run the unchanged
# release bootstrap at a conformance case's fixed `now` (LD_PRELOAD, wall clock only).
# Idempotent and quick when both are there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
BIN="$TOOLS_BIN/aws-lambda-rie"
STAMP="$TOOLS_BIN/.aws-lambda-rie.version"

have_faketime() {
  compgen -G '/usr/lib/*/faketime/libfaketimeMT.so.1' >/dev/null \
    || compgen -G '/usr/lib/faketime/libfaketimeMT.so.1' >/dev/null \
    || [ -n "${FAKETIME_LIB:-}" ]
}
if ! have_faketime; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing libfaketime (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq libfaketime >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y -qq libfaketime >/dev/null; }
  else
    log "libfaketime missing and no root apt-get here; install it (Debian: libfaketime) or set FAKETIME_LIB"
  fi
fi

if [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$RIE_VERSION" ]; then
  exit 0
fi

GO="$(go_bin)"
log "installing aws-lambda-rie $RIE_VERSION"
# A static binary: no cgo, so it runs anywhere and LD_PRELOAD never touches it.
CGO_ENABLED=0 GOBIN="$TOOLS_BIN" "$GO" install "$MODULE/cmd/aws-lambda-rie@$RIE_VERSION"
echo "$RIE_VERSION" >"$STAMP"
