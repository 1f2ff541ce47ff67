# shellcheck shell=bash
# The shared preamble of every script under scripts/ (source it, do not run it):
#   - the cache layout outside the clone ($CACHE_DIR, default ~/.cache/team-gateway), the
#     same paths the Makefile exports, so a script run on its own (`bash scripts/bench/rie.sh`)
#     and one run through make share builds and tools;
#   - PATH with the installed tools first;
#   - the pinned versions of scripts/versions.env (a variable set in the environment wins);
#   - have, log, die, and go_bin (the Go toolchain that builds the Go tools).
[ -n "${TG_LIB_SH:-}" ] && return 0
TG_LIB_SH=1

TG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CACHE_DIR="${CACHE_DIR:-$HOME/.cache/team-gateway}"
export TOOLS_BIN="${TOOLS_BIN:-$CACHE_DIR/bin}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/cargo-target}"
export KAFKA_HOME_CACHE="${KAFKA_HOME_CACHE:-$CACHE_DIR/kafka}"
export GOCACHE="${GOCACHE:-$CACHE_DIR/go-build}"
export GOMODCACHE="${GOMODCACHE:-$CACHE_DIR/go-mod}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
case ":$PATH:" in *":$TOOLS_BIN:"*) ;; *) PATH="$TOOLS_BIN:$HOME/.cargo/bin:$PATH" ;; esac
case ":$PATH:" in *":/usr/local/go/bin:"*) ;; *) PATH="$PATH:/usr/local/go/bin" ;; esac
export PATH
mkdir -p "$TOOLS_BIN"

# KEY=value lines; the environment's value wins over the file's.
while IFS='=' read -r key value; do
  case "$key" in '' | \#*) continue ;; esac
  [ -n "${!key:-}" ] || export "$key=$value"
done <"$TG_ROOT/scripts/versions.env"

have() { command -v "$1" >/dev/null 2>&1; }
# Messages go to stderr, prefixed with the script's name, so stdout stays for results.
log() { echo "$(basename "$0" .sh): $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The Go toolchain for the tools built from the Go module proxy (1.26 or newer).
go_bin() {
  if have go; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    die "go not found (Go 1.26 or newer builds the Go tools)"
  fi
}

# The stub <curl/curl.h> librdkafka's cmake build wants (confluentinc/librdkafka#5135). The
# Makefile exports C_INCLUDE_PATH at this fixed path, the same in every clone, so the C
# dependencies' build cache stays warm across clones; a script run on its own does the same.
stub_include() {
  export C_INCLUDE_PATH="$CACHE_DIR/stub-include"
  mkdir -p "$C_INCLUDE_PATH/curl" && touch "$C_INCLUDE_PATH/curl/curl.h"
}
