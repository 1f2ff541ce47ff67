# shellcheck shell=bash
# Sourced by the scripts in scripts/bench: the same cache paths as the Makefile, so each
# part runs on its own (`bash scripts/bench/fleet.sh`) or from `make bench` alike.
CACHE_DIR="${CACHE_DIR:-$HOME/.cache/team-gateway}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/cargo-target}"
export GOCACHE="${GOCACHE:-$CACHE_DIR/go-build}"
export GOMODCACHE="${GOMODCACHE:-$CACHE_DIR/go-mod}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export TOOLS_BIN="${TOOLS_BIN:-$CACHE_DIR/bin}"
export PATH="$TOOLS_BIN:$HOME/.cargo/bin:$PATH"
# librdkafka's build wants an (empty) <curl/curl.h>; the same path as the Makefile's keeps
# the C dependencies' build cache warm.
export C_INCLUDE_PATH="$CACHE_DIR/stub-include"
mkdir -p "$C_INCLUDE_PATH/curl" && touch "$C_INCLUDE_PATH/curl/curl.h"

release="$CARGO_TARGET_DIR/release"
out="${BENCH_OUT:-$CARGO_TARGET_DIR/bench}"
mkdir -p "$out"
for bin in authz bootstrap; do
  [ -x "$release/$bin" ] || { echo "bench: $release/$bin missing: run make build-native" >&2; exit 1; }
done

# The machine's load next to every figure: the numbers are only as good as the machine is idle.
load_now() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"; }

# Prints a command, then runs it.
run() { echo "\$ $*"; "$@"; }

# riebench (scripts/bench/riebench.go), rebuilt when its source changes.
riebench_bin() {
  local src bin
  src="$(dirname "${BASH_SOURCE[0]}")/riebench.go"
  bin="$out/riebench"
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    go build -o "$bin" "$src"
  fi
  echo "$bin"
}

# aws-lambda-rie, installed by scripts/tools-emulator.sh when missing.
rie_bin() {
  [ -x "$TOOLS_BIN/aws-lambda-rie" ] || bash "$(dirname "${BASH_SOURCE[0]}")/../tools-emulator.sh" >&2
  echo "$TOOLS_BIN/aws-lambda-rie"
}
