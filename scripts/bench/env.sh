# shellcheck shell=bash
# Sourced by the scripts in scripts/bench: the shared library (cache paths, pins), so each
# part runs on its own (`bash scripts/bench/fleet.sh`) or from `make bench` alike, and the
# helpers they share.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
stub_include
cd "$TG_ROOT" || exit 1

release="$CARGO_TARGET_DIR/release"
out="${BENCH_OUT:-$CARGO_TARGET_DIR/bench}"
mkdir -p "$out"
for bin in authz bootstrap; do
  [ -x "$release/$bin" ] || die "$release/$bin missing: run make build-native"
done

# The machine's load next to every figure: the numbers are only as good as the machine is idle.
load_now() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"; }

# The benchmark driver (test/bench/cmd/riebench, on the e2e harness); go build's cache
# makes this quick when nothing changed. It installs aws-lambda-rie itself when missing.
riebench_bin() {
  (cd "$TG_ROOT/test" && "$(go_bin)" build -o "$out/riebench" ./bench/cmd/riebench)
  echo "$out/riebench"
}

# The benchmarks' keys, tokens, policies and events (authorizer/examples/bench_fixtures.rs).
fixtures() {
  (cd "$TG_ROOT/authorizer" && cargo run --release --locked --quiet --example bench_fixtures -- "$@")
}

# The 10,000-client policy (authorizer/examples/gen_large_policy.rs), generated once.
large_policy() {
  if [ ! -f "$out/large-policy.json" ]; then
    # its "wrote …" line to stderr: stdout is this function's answer
    (cd "$TG_ROOT/authorizer" && cargo run --release --locked --quiet --example gen_large_policy -- "$out/large-policy.json") >&2
  fi
  echo "$out/large-policy.json"
}
