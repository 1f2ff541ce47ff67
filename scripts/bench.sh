#!/usr/bin/env bash
# `make bench`: the measurements behind BENCHMARKS.md. Prints the machine, each command
# and its result; nothing here is asserted. Run on a quiet machine: the numbers are only
# as good as the machine is idle.
set -euo pipefail
source "$(dirname "$0")/bench/env.sh"

echo "## machine"
echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$(uname -sr), $(rustc --version)"

echo
echo "## criterion: cargo bench --bench decision"
(cd authorizer && cargo bench --locked --bench decision -- --noplot) | tee "$out/criterion.txt" \
  | grep -E '^(decision|http_v2_event|policy_load)/|time:' || true

echo
echo "## the floor beside decision/bare_verify: OpenSSL's own verification on this machine (openssl speed)"
openssl version
openssl speed -seconds 3 rsa2048 ecdsap256 ed25519 2>/dev/null | awk '
  /^rsa 2048 bits/           { printf "RSA-2048 verify (RS256 floor): %.1f µs\n", 1e6 / $NF }
  /bits ecdsa \(nistp256\)/  { printf "P-256 verify (ES256 floor):    %.1f µs\n", 1e6 / $NF }
  /bits EdDSA \(Ed25519\)/   { printf "Ed25519 verify (EdDSA floor):  %.1f µs\n", 1e6 / $NF }'

echo
echo "## large policy: 10,000 clients, 1,000 APIs x 10 routes, 100 keys"
rm -f "$out/large-policy.json"
large="$(large_policy)"
/usr/bin/env time -f 'authz validate: %e s wall, %M KiB peak RSS' "$release/authz" validate "$large"

echo
echo "## bootstrap cold start (process spawn -> first decision, no emulator): riebench direct"
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "native bootstrap (stripped): $(mib "$release/bootstrap")"
for zip in dist/bootstrap-*.zip; do
  [ -f "$zip" ] && echo "$zip: $(mib "$zip")"
done
fixtures e2e "$out/fixtures"
rb="$(riebench_bin)"
echo -n "conformance policy (small): "
"$rb" direct -policy conformance/policy.json -api-id orders -event "$out/fixtures/public-event.json" -runs 15
echo -n "large policy:               "
"$rb" direct -policy "$large" -api-id api-001 -event "$out/fixtures/public-event.json" -runs 15

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
echo "## fleet propagation: ${FLEET_INSTANCES:-200} authorizer environments in one process (FLEET_MODE=${FLEET_MODE:-inproc}) on 3 KRaft nodes with racks, status reporting on, scripts/bench/fleet.sh"
# The convergence plot of docs/fleet-convergence.png comes from this run. In one process:
# on 2 cores 200 emulator + bootstrap pairs did not all start (BENCHMARKS.md);
# FLEET_MODE=emulator FLEET_INSTANCES=50 runs the real bootstrap under aws-lambda-rie instead.
FLEET_CLUSTER=3 FLEET_STATUS=1 FLEET_MODE="${FLEET_MODE:-inproc}" FLEET_INSTANCES="${FLEET_INSTANCES:-200}" \
  FLEET_ROUNDS="${FLEET_ROUNDS:-20}" FLEET_GAP="${FLEET_GAP:-5s}" \
  FLEET_POLL="${FLEET_POLL:-100ms}" FLEET_STARTUP_TIMEOUT="${FLEET_STARTUP_TIMEOUT:-240s}" \
  FLEET_ROUND_TIMEOUT="${FLEET_ROUND_TIMEOUT:-60s}" FLEET_WAIT_TIMEOUT="${FLEET_WAIT_TIMEOUT:-15s}" \
  FLEET_PNG=docs/fleet-convergence.png KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-180}" \
  bash scripts/bench/fleet.sh

echo
echo "## Open Policy Agent side by side (the same token and rules), scripts/bench/opa.sh"
bash scripts/bench/opa.sh

echo
echo "## a second peer: aws-jwt-verify on Node 22 (the same token and key), scripts/bench/peer.sh"
bash scripts/bench/peer.sh

echo
echo "## arm64 under qemu-aarch64 (emulated) beside native x86_64, scripts/bench/arm64.sh"
# Last, and guarded: a missing cross toolchain or emulator must not cost the figures above.
bash scripts/bench/arm64.sh || echo "scripts/bench/arm64.sh failed (exit $?): no emulated arm64 figures this run"

echo
echo "## the Lambda zips' cold start: arm64 under qemu-aarch64 beside x86_64, scripts/bench/arm64-cold.sh"
# Needs both zips in dist/ (make build; scripts/build-lambda.sh x86_64), whose cross builds
# take minutes: not built here. Guarded like the step above.
if [ -f dist/bootstrap-arm64.zip ] && [ -f dist/bootstrap-x86_64.zip ]; then
  bash scripts/bench/arm64-cold.sh || echo "scripts/bench/arm64-cold.sh failed (exit $?): no emulated cold start this run"
else
  echo "skipped: build dist/bootstrap-arm64.zip (make build) and dist/bootstrap-x86_64.zip (bash scripts/build-lambda.sh x86_64) first"
fi
