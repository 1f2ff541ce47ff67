#!/usr/bin/env bash
# A peer side by side: Open Policy Agent evaluating bench/opa/authz.rego (the same checks,
# on the same policy document) against our criterion `decision/RS256`, on the same kind of
# token (RS256, 2048-bit key, the same claims, NOW = 1795000000). Prints both figures and the
# ratio. `opa bench` times the evaluation of a prepared query in-process (no HTTP, no
# inter-query cache: the signature is verified on every evaluation, as ours is).
#
#   bash scripts/bench/opa.sh      (env: OPA_BENCH_COUNT=5 runs of `opa bench`)
set -euo pipefail
source "$(dirname "$0")/env.sh"

bash scripts/bench/install-opa.sh
opa="$TOOLS_BIN/opa"
fx="$out/opa"
rb="$(riebench_bin)"
fixtures opa bench/opa/request.json "$fx"

"$opa" version | head -n 1
echo "Both sides must agree on the benchmark's request (allow) and on the negative cases (deny):"
ours=$("$release/authz" decide --policy "$fx/policy.json" --api-id orders --event "$fx/event.json" --now 1795000000 \
  | sed -n 's/^  "reason": "\(.*\)",*$/\1/p')
# A disagreement means the comparison is void: stop there.
check() {
  local want="$1" policy="$2" input="$3" got
  got=$("$opa" eval --format raw -d bench/opa/authz.rego -d "$policy" -i "$input" 'data.gateway.authz.allow')
  echo "  $(basename "$policy") $(basename "$input"): opa allow=$got"
  [ "$got" = "$want" ] || { echo "opa.sh: expected allow=$want" >&2; exit 1; }
}
echo "  ours: $ours"
[ "$ours" = ok ] || { echo "opa.sh: expected our decision ok" >&2; exit 1; }
check true "$fx/policy.json" "$fx/input.json"
for case in expired bad-signature wrong-audience missing-scope; do
  check false "$fx/policy.json" "$fx/input-$case.json"
done
check false "$fx/policy-suspended.json" "$fx/input.json"

echo
echo "\$ opa bench --benchmem --count ${OPA_BENCH_COUNT:-5} -d bench/opa/authz.rego -d policy.json -i input.json data.gateway.authz.allow"
echo "($(load_now))"
"$opa" bench --benchmem --count "${OPA_BENCH_COUNT:-5}" --format json -d bench/opa/authz.rego -d "$fx/policy.json" \
  -i "$fx/input.json" 'data.gateway.authz.allow' >"$fx/opa-bench.json"

echo
echo "\$ cd authorizer && cargo bench --locked --bench decision -- decision/RS256 --noplot"
echo "($(load_now))"
(cd authorizer && cargo bench --locked --bench decision -- decision/RS256 --noplot 2>/dev/null) | tee "$fx/criterion-rs256.txt" \
  | grep -E '^decision/RS256|time:' || true
echo
"$rb" opa -opa "$fx/opa-bench.json" -criterion "$fx/criterion-rs256.txt"
echo "($(load_now))"
