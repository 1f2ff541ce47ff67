#!/usr/bin/env bash
# The coverage-guided fuzz targets of authorizer/fuzz (cargo-fuzz, libFuzzer, nightly).
#   scripts/fuzz.sh smoke [target...]   a short run of each (make fuzz-smoke, part of make test)
#   scripts/fuzz.sh long  [target...]   a long run of each (make fuzz)
# FUZZ_SECONDS overrides the time per target (smoke 25 s, long 600 s). Working corpora and
# crash artifacts live under the cache ($FUZZ_TARGET_DIR), never in the repo; a crash's
# input is printed with the command that replays it. Prints "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-smoke}
shift || true
case $mode in
  smoke) seconds=${FUZZ_SECONDS:-25} ;;
  long) seconds=${FUZZ_SECONDS:-600} ;;
  *) echo "usage: $0 smoke|long [target...]" >&2; exit 2 ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(token apigw_event policy stream_record)

CACHE_DIR=${CACHE_DIR:-$HOME/.cache/team-gateway}
FUZZ_TARGET_DIR=${FUZZ_TARGET_DIR:-$CACHE_DIR/fuzz-target}
export PATH="${TOOLS_BIN:-$CACHE_DIR/bin}:$HOME/.cargo/bin:$PATH"
# librdkafka's cmake build needs the (empty) curl header; the same path as the Makefile's.
export C_INCLUDE_PATH=${C_INCLUDE_PATH:-$CACHE_DIR/stub-include}
mkdir -p "$C_INCLUDE_PATH/curl" && touch "$C_INCLUDE_PATH/curl/curl.h"
# The main build's CARGO_TARGET_DIR would mix nightly and stable artifacts.
unset CARGO_TARGET_DIR

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: run make tools" >&2; exit 1; }
cd authorizer
# cargo-fuzz has no --locked; this fails when fuzz/Cargo.lock would have to change.
cargo +nightly metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
# No sanitizer: the targets are safe Rust (ASan would only slow them down), and the C
# underneath (AWS-LC) is not instrumented by cargo-fuzz either way. Debug assertions
# (overflow checks) stay on.
fuzz=(cargo +nightly fuzz)
opts=(-s none --target-dir "$FUZZ_TARGET_DIR")
"${fuzz[@]}" build "${opts[@]}"

passed=0 failed=0
for target in "${targets[@]}"; do
  corpus="$FUZZ_TARGET_DIR/corpus/$target"
  artifacts="$FUZZ_TARGET_DIR/artifacts/$target/"
  log="$FUZZ_TARGET_DIR/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  dict=()
  [ "$target" = token ] || dict=(-dict="$PWD/fuzz/dict/json.dict")
  # -timeout: one input running over 10 s is a hang; -rss_limit_mb: a memory blow-up.
  if "${fuzz[@]}" run "${opts[@]}" "$target" "$corpus" "$PWD/fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=12000 "${dict[@]}" \
      -artifact_prefix="$artifacts" -print_final_stats=1 >"$log" 2>&1; then
    passed=$((passed + 1))
    status=ok
  else
    failed=$((failed + 1))
    status=FAIL
    grep -E "panicked|ERROR|SUMMARY|Test unit written|deadly signal|timeout" "$log" | head -20 >&2 || true
    echo "replay: cd authorizer && cargo +nightly fuzz run ${opts[*]} $target <artifact>  (log: $log)" >&2
  fi
  # The last status line: total runs, coverage (cov: edges, ft: features), corpus size.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  echo "fuzz $target: $status, ${seconds}s, $runs runs, $rate exec/s, $(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' <<<"$last" || echo 'no status line')"
done
echo "fuzz $mode: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
