#!/usr/bin/env bash
# Cold start of the Lambda zips' own binaries: the arm64 `bootstrap` under qemu-aarch64
# (user-mode emulation) beside the x86_64 one run natively, both built by
# scripts/build-lambda.sh (same profile, same linker), each spawned against riebench's
# minimal Runtime API (`riebench direct`): spawn -> first decision, and peak RSS (for the
# emulated one: qemu's, the guest's memory included). Rounds alternate between the two so
# both see the same load. Two policies: the 10,000-client one (api-001, an RS256 token) and
# a team-sized one (the fleet fixture, api orders).
#
# What the ratio is: qemu's translation cost on this x86_64 CPU, paid here on every
# instruction of the start (the dynamic loader and the policy load included). It says nothing
# about a cold start on Graviton, where the same binary runs natively. What it shows: the
# arm64 zip starts, loads a fleet-sized policy and decides, and what the start costs relative
# to x86_64 under emulation.
#
#   ARM64_ZIP        default dist/bootstrap-arm64.zip   (make build)
#   X86_64_ZIP       default dist/bootstrap-x86_64.zip  (scripts/build-lambda.sh x86_64)
#   ARM64_COLD_RUNS  spawns per round and policy, default 15
#   ARM64_COLD_ROUNDS  rounds (x86_64 then arm64), default 2
#
#   bash scripts/bench/arm64-cold.sh   (after make build-native, which riebench's fixtures need)
set -euo pipefail
source "$(dirname "$0")/env.sh"

arm64_zip="${ARM64_ZIP:-$TG_ROOT/dist/bootstrap-arm64.zip}"
x86_zip="${X86_64_ZIP:-$TG_ROOT/dist/bootstrap-x86_64.zip}"
runs="${ARM64_COLD_RUNS:-15}"
rounds="${ARM64_COLD_ROUNDS:-2}"
sysroot=/usr/aarch64-linux-gnu
[ -f "$arm64_zip" ] || die "$arm64_zip missing: make build (or set ARM64_ZIP)"
[ -f "$x86_zip" ] || die "$x86_zip missing: bash scripts/build-lambda.sh x86_64 (or set X86_64_ZIP)"
have qemu-aarch64 && [ -d "$sysroot" ] || die "qemu-aarch64 or $sysroot missing (bash scripts/tools-lambda.sh installs them)"

work="$out/arm64-cold"
rm -rf "$work" && mkdir -p "$work/arm64" "$work/x86_64"
unzip -q "$arm64_zip" bootstrap -d "$work/arm64"
unzip -q "$x86_zip" bootstrap -d "$work/x86_64"
# riebench spawns E2E_BOOTSTRAP with no arguments; exec keeps the pid, so the peak RSS it
# reads is qemu's.
cat >"$work/arm64-under-qemu" <<EOF
#!/bin/sh
exec qemu-aarch64 -L $sysroot $work/arm64/bootstrap
EOF
chmod +x "$work/arm64-under-qemu"

fx="$work/fixtures"
rb="$(riebench_bin)"
fixtures e2e "$fx" "$(large_policy)"

echo "## machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr), $(qemu-aarch64 --version | head -n 1)"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
for z in "$x86_zip" "$arm64_zip"; do echo "$(sha256sum "$z" | cut -c1-16)…  $(stat -c %s "$z") bytes  $z"; done

# one KIND ROUND POLICY_NAME POLICY API EVENT -> $work/KIND-ROUND-POLICY_NAME.json
one() {
  local kind=$1 round=$2 name=$3 policy=$4 api=$5 event=$6 bin
  bin="$work/x86_64/bootstrap"
  [ "$kind" = arm64-qemu ] && bin="$work/arm64-under-qemu"
  echo "### $kind, round $round, $name policy ($(load_now))"
  E2E_BOOTSTRAP="$bin" "$rb" direct -policy "$policy" -api-id "$api" -event "$event" -runs "$runs" \
    | tee "$work/$kind-$round-$name.json"
}

echo
echo "## runs, alternating: riebench direct -runs $runs (spawn -> first decision, median)"
for round in $(seq 1 "$rounds"); do
  for kind in x86_64 arm64-qemu; do
    one "$kind" "$round" large "$fx/large-bench-policy.json" api-001 "$fx/protected-event.json"
    one "$kind" "$round" team "$fx/fleet-active.json" orders "$fx/fleet-event.json"
  done
done
echo "after: $(load_now)"

echo
echo "## medians (ratio = mean of the emulated medians / mean of the native ones)"
python3 - "$work" "$rounds" <<'EOF'
import json, sys

work, rounds = sys.argv[1], int(sys.argv[2])
def load(kind, name):
    return [json.load(open(f"{work}/{kind}-{r}-{name}.json")) for r in range(1, rounds + 1)]
print("| policy | x86_64 zip, native: first decision (per round) | arm64 zip under qemu-aarch64 | emulated / native | peak RSS x86_64 / arm64 under qemu | decision |")
print("|---|---|---|---|---|---|")
for name, label in (("large", "10,000 clients, 1,000 APIs, 100 keys"), ("team", "team-sized (1 API, 2 clients)")):
    nat, emu = load("x86_64", name), load("arm64-qemu", name)
    n = [r["first_decision_ms_median"] for r in nat]
    e = [r["first_decision_ms_median"] for r in emu]
    ratio = (sum(e) / len(e)) / (sum(n) / len(n))
    rss = f'{max(r["peak_rss_mb_max"] for r in nat)} / {max(r["peak_rss_mb_max"] for r in emu)} MB'
    decisions = sorted({r["decision"] for r in nat + emu})
    print(f"| {label} | {', '.join(f'{x:.1f} ms' for x in n)} | {', '.join(f'{x:.1f} ms' for x in e)} | {ratio:.1f}× | {rss} | {', '.join(decisions)} |")
EOF
