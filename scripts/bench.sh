#!/usr/bin/env bash
# `make bench`: the measurements behind BENCHMARKS.md. Prints the machine, each command
# and its result; nothing here is asserted. Run on a quiet machine: the numbers are only
# as good as the machine is idle.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:?run through make}"
out="${BENCH_OUT:-$CARGO_TARGET_DIR/bench}"
mkdir -p "$out"
release="$CARGO_TARGET_DIR/release"

echo "## machine"
echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$(uname -sr), $(rustc --version)"

echo
echo "## criterion: cargo bench --bench decision"
(cd authorizer && cargo bench --locked --bench decision -- --noplot) | tee "$out/criterion.txt" \
  | grep -E '^(decision|http_v2_event|policy_load)/|time:' || true

echo
echo "## large policy: 10,000 clients, 1,000 APIs x 10 routes, 100 keys"
(cd authorizer && cargo run --release --locked --quiet --example gen_large_policy -- "$out/large-policy.json")
/usr/bin/env time -f 'authz validate: %e s wall, %M KiB peak RSS' "$release/authz" validate "$out/large-policy.json"

echo
echo "## bootstrap cold start (process spawn -> first decision), scripts/bench/cold_start.py"
ls -l "$release/bootstrap" | awk '{printf "native bootstrap (stripped): %.1f MiB\n", $5/1048576}'
for zip in dist/bootstrap-*.zip; do
  [ -f "$zip" ] && ls -l "$zip" | awk '{printf "%s: %.1f MiB\n", $9, $5/1048576}'
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
event = {"version": "2.0", "type": "REQUEST",
         "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/health",
         "headers": {}, "requestContext": {"http": {"method": "GET"}}}
json.dump(event, open(f"{out}/public-event.json", "w"))
PY
echo -n "conformance policy (small): "
python3 scripts/bench/cold_start.py "$release/bootstrap" conformance/policy.json orders "$out/public-event.json" 15
echo -n "large policy:               "
python3 scripts/bench/cold_start.py "$release/bootstrap" "$out/large-policy.json" api-001 "$out/public-event.json" 15

echo
echo "## policy stream (real broker): cargo run --release --example stream_bench"
started=0
if ! bash scripts/kafka.sh status >/dev/null 2>&1; then started=1; fi
trap '[ "$started" = 1 ] && bash scripts/kafka.sh down >/dev/null 2>&1 || true' EXIT
brokers=$(bash scripts/kafka.sh up | tail -n 1)
(cd authorizer && cargo run --release --locked --quiet --example stream_bench -- "$brokers" "${BENCH_CHANGES:-1000}" "${BENCH_ENTITIES:-100000}")

echo
echo "## under the Lambda emulator (aws-lambda-rie): cold start and one instance's throughput, scripts/bench/rie.sh"
bash scripts/bench/rie.sh

echo
echo "## fleet propagation: 50 instances (aws-lambda-rie + bootstrap each) on one broker, scripts/bench/fleet.sh"
bash scripts/bench/fleet.sh

echo
echo "## Open Policy Agent side by side (the same token and rules), scripts/bench/opa.sh"
bash scripts/bench/opa.sh
