#!/usr/bin/env bash
# The real `bootstrap` under the AWS Lambda Runtime Interface Emulator, with the
# 10,000-client policy (plus one issuer whose key signs the benchmark's token):
#   cold start   spawn of aws-lambda-rie -> first decision returned by its invoke endpoint
#                (RIE starts bootstrap on that first invoke), peak RSS; median of RIE_RUNS
#   throughput   invocations/s and p50/p99 of one warm instance, RIE_N requests at
#                concurrency 1 (RIE runs one invocation at a time per function anyway)
# The request is GET /things-1/42 on api-001 with an RS256 token for client-00001 (scope
# api-001:read): a full decision, signature included. No broker: the baked policy only.
# The emulators listen on free loopback ports.
#
#   bash scripts/bench/rie.sh      (env: RIE_RUNS=15, RIE_N=2000)
set -euo pipefail
source "$(dirname "$0")/env.sh"

runs="${RIE_RUNS:-15}"
n="${RIE_N:-2000}"
fx="$out/fixtures"
rb="$(riebench_bin)"
fixtures e2e "$fx" "$(large_policy)"

export AUTHZ_API_ID=api-001 AUTHZ_POLICY_FILE="$fx/large-bench-policy.json" AUTHZ_LOG_LEVEL=error

echo "\$ riebench cold -runs $runs (aws-lambda-rie + bootstrap, large policy, GET /things-1/42 with an RS256 token)"
echo "($(load_now))"
"$rb" cold -event "$fx/protected-event.json" -runs "$runs"
echo "the same request straight to bootstrap, no emulator: riebench direct"
"$rb" direct -policy "$fx/large-bench-policy.json" -api-id api-001 -event "$fx/protected-event.json" -runs "$runs"

echo
echo "\$ riebench load -n $n -c 1 (one warm aws-lambda-rie + bootstrap, keep-alive, 100 warm-up requests)"
echo "($(load_now))"
"$rb" load -event "$fx/protected-event.json" -n "$n" -c 1
echo "($(load_now))"
