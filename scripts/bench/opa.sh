#!/usr/bin/env bash
# A peer side by side: Open Policy Agent evaluating bench/opa/authz.rego (the same checks,
# on the same policy document) against our criterion `decision/RS256`, on the same kind of
# token (RS256, 2048-bit key, the same claims, NOW = 1795000000). Prints both figures and the
# ratio. `opa bench` times the evaluation of a prepared query in-process (no HTTP, no
# inter-query cache: the signature is verified on every evaluation, as ours is).
#
#   bash scripts/bench/opa.sh      (env: OPA_BENCH_COUNT=5 runs of `opa bench`)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/env.sh

bash scripts/bench/install-opa.sh
opa="$TOOLS_BIN/opa"
fx="$out/opa"
python3 scripts/bench/opa_fixture.py "$release/authz" bench/opa "$fx"

"$opa" version | head -n 1
echo "Both sides must agree on the benchmark's request (allow) and on the negative cases (deny):"
ours=$("$release/authz" decide --policy "$fx/policy.json" --api-id orders --event "$fx/event.json" --now 1795000000 \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["reason"])')
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
opa_ns=$(python3 - "$fx/opa-bench.json" <<'PY'
import json, statistics, sys
text = open(sys.argv[1]).read()
dec, pos, runs = json.JSONDecoder(), 0, []
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    obj, pos = dec.raw_decode(text, pos)
    runs.append(obj)
per_op = [r["T"] / r["N"] for r in runs]
allocs = [r["MemAllocs"] / r["N"] for r in runs]
bytes_ = [r["MemBytes"] / r["N"] for r in runs]
print(f"{statistics.median(per_op):.0f}")
print(f"opa: median {statistics.median(per_op) / 1000:.1f} µs/op over {len(runs)} runs "
      f"(runs: {', '.join(f'{x / 1000:.1f}' for x in per_op)}), {statistics.median(allocs):.0f} allocs/op, "
      f"{statistics.median(bytes_) / 1024:.1f} KiB/op", file=sys.stderr)
PY
)

echo
echo "\$ cd authorizer && cargo bench --locked --bench decision -- decision/RS256 --noplot"
echo "($(load_now))"
(cd authorizer && cargo bench --locked --bench decision -- decision/RS256 --noplot 2>/dev/null) | tee "$fx/criterion-rs256.txt" \
  | grep -E '^decision/RS256|time:' || true
ours_ns=$(python3 - "$fx/criterion-rs256.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"decision/RS256\s+time:\s+\[\S+ \S+ (\S+) (\S+)", text)
value, unit = float(m.group(1)), m.group(2)
print(f"{value * {'ns': 1, 'µs': 1e3, 'us': 1e3, 'ms': 1e6}[unit]:.0f}")
PY
)
echo
python3 -c "import sys; o, r = float(sys.argv[1]), float(sys.argv[2]); print(f'opa / ours: {o / 1000:.1f} µs / {r / 1000:.1f} µs = {o / r:.1f}x')" "$opa_ns" "$ours_ns"
echo "($(load_now))"
