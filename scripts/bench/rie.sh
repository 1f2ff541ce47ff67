#!/usr/bin/env bash
# The real `bootstrap` under the AWS Lambda Runtime Interface Emulator, with the
# 10,000-client policy (plus one issuer whose key signs the benchmark's token):
#   cold start   spawn of aws-lambda-rie -> first decision returned by its invoke endpoint
#                (RIE starts bootstrap on that first invoke), peak RSS; median of RIE_RUNS
#   throughput   invocations/s and p50/p99 of one warm instance, RIE_N requests at
#                concurrency 1 (RIE runs one invocation at a time per function anyway)
# The request is GET /things-1/42 on api-001 with an RS256 token for client-00001 (scope
# api-001:read): a full decision, signature included. No broker: the baked policy only.
#
#   bash scripts/bench/rie.sh      (env: RIE_RUNS=15, RIE_N=2000, RIE_PORT=29150)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/env.sh

runs="${RIE_RUNS:-15}"
n="${RIE_N:-2000}"
port="${RIE_PORT:-29150}"
fx="$out/fixtures"
rb="$(riebench_bin)"
rie="$(rie_bin)"

if [ ! -f "$out/large-policy.json" ]; then
  (cd authorizer && cargo run --release --locked --quiet --example gen_large_policy -- "$out/large-policy.json")
fi
python3 scripts/bench/fixtures.py "$release/authz" "$out/large-policy.json" "$fx"

export AUTHZ_API_ID=api-001 AUTHZ_POLICY_FILE="$fx/large-bench-policy.json" AUTHZ_LOG_LEVEL=error

echo "\$ riebench cold -runs $runs (aws-lambda-rie + bootstrap, large policy, GET /things-1/42 with an RS256 token)"
echo "($(load_now))"
"$rb" cold -rie "$rie" -bootstrap "$release/bootstrap" -event "$fx/protected-event.json" -runs "$runs" -port "$port"
echo "the same request straight to bootstrap, no emulator: scripts/bench/cold_start.py"
python3 scripts/bench/cold_start.py "$release/bootstrap" "$fx/large-bench-policy.json" api-001 "$fx/protected-event.json" "$runs"

echo
echo "\$ riebench load -n $n -c 1 (one warm aws-lambda-rie + bootstrap, keep-alive, 100 warm-up requests)"
echo "($(load_now))"
"$rb" load -rie "$rie" -bootstrap "$release/bootstrap" -event "$fx/protected-event.json" -n "$n" -c 1 -port "$port"
echo "($(load_now))"
