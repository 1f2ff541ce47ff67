#!/usr/bin/env bash
# The criterion decision benchmark (authorizer/benches/decision.rs) built for arm64 and run
# under qemu-aarch64 (user-mode emulation) beside the native x86_64 build of the same source,
# alternately, so both see the same load. It prints the machine, the load before and after
# each run, the commands, and a markdown table of medians with the ratio emulated/native.
#
# What the ratio is: the cost of qemu's instruction translation on this x86_64 CPU plus the
# difference between the two compilers' output. It says nothing about Graviton's speed; it
# shows that the arm64 build of the decision core builds and runs, and what emulation costs.
#
# Only the pure core (--no-default-features: no librdkafka) is built, with Debian's
# gcc-aarch64-linux-gnu as the cross linker and C compiler (aws-lc-sys). Not part of
# `make test`; `make bench` calls it last.
#
#   ARM64_FILTER   criterion filter (regex on benchmark ids), default below
#   ARM64_ARGS     criterion options, default "--warm-up-time 1 --measurement-time 3 --noplot"
#   ARM64_ROUNDS   native/emulated pairs, default 2
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$TG_ROOT" || exit 1

filter="${ARM64_FILTER:-decision/(fresh|bare_verify|repeat)/(RS256|ES256|EdDSA)|http_v2_event/public_route_no_crypto|policy_load}"
read -r -a crit_args <<<"${ARM64_ARGS:---warm-up-time 1 --measurement-time 3 --noplot}"
rounds="${ARM64_ROUNDS:-2}"
out="${BENCH_OUT:-$CARGO_TARGET_DIR/bench}/arm64"
rm -rf "$out" && mkdir -p "$out"
target=aarch64-unknown-linux-gnu
sysroot=/usr/aarch64-linux-gnu

load_now() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"; }

[ "$(uname -m)" = x86_64 ] || die "this compares an emulated arm64 run with native x86_64: run it on x86_64"
if ! have qemu-aarch64 || [ ! -d "$sysroot" ] || ! have aarch64-linux-gnu-gcc; then
  have apt-get || die "qemu-aarch64, $sysroot or aarch64-linux-gnu-gcc missing and no apt-get"
  log "installing qemu-user, libc6-arm64-cross and gcc-aarch64-linux-gnu (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    qemu-user libc6-arm64-cross gcc-aarch64-linux-gnu >/dev/null
fi
if have rustup && ! rustup target list --installed | grep -qx "$target"; then
  log "adding Rust target $target"
  rustup target add "$target"
fi
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

echo "## machine"
echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$(uname -sr), $(rustc --version), $(qemu-aarch64 --version | head -n 1), $(aarch64-linux-gnu-gcc --version | head -n 1)"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

# Builds one bench binary and prints its path; the build's wall time goes to stderr.
build() {
  local start end exe
  start=$(date +%s.%N)
  exe=$(cd authorizer && cargo bench --locked --no-default-features --bench decision --no-run \
    --message-format=json "$@" | jq -r 'select(.reason == "compiler-artifact" and .target.name == "decision" and .executable != null) | .executable' | tail -n 1)
  end=$(date +%s.%N)
  [ -x "$exe" ] || die "no bench executable from: cargo bench --no-run $*"
  log "built $exe in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f s", e - s }') ($(load_now))"
  echo "$exe"
}

echo
echo "## build (cd authorizer && cargo bench --locked --no-default-features --bench decision --no-run [--target $target])"
native=$(build)
arm64=$(build --target "$target")
file -b "$arm64" | cut -d, -f1-2

run() { # kind round cmd...
  local kind=$1 round=$2
  shift 2
  echo
  echo "### $kind, round $round: $* --bench '$filter' ${crit_args[*]}"
  echo "before: $(load_now)"
  CRITERION_HOME="$out/$kind-$round" "$@" --bench "$filter" "${crit_args[@]}" >"$out/$kind-$round.txt" 2>&1 \
    || { tail -n 20 "$out/$kind-$round.txt"; die "$kind round $round failed"; }
  echo "after:  $(load_now)"
}

echo
echo "## runs, alternating (criterion output under $out)"
for round in $(seq 1 "$rounds"); do
  run native "$round" "$native"
  run arm64-qemu "$round" qemu-aarch64 -L "$sysroot" "$arm64"
done

echo
echo "## medians (criterion point estimate of the median per run; ratio = mean of the emulated medians / mean of the native ones)"
python3 - "$out" "$rounds" <<'EOF'
import json, os, sys

out, rounds = sys.argv[1], int(sys.argv[2])

def medians(d):
    found = {}
    for root, _dirs, files in os.walk(d):
        if os.path.basename(root) == "new" and "estimates.json" in files:
            with open(os.path.join(root, "benchmark.json")) as f:
                name = json.load(f)["full_id"]
            with open(os.path.join(root, "estimates.json")) as f:
                found[name] = json.load(f)["median"]["point_estimate"]
    return found

def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

runs = {k: [medians(f"{out}/{k}-{r}") for r in range(1, rounds + 1)] for k in ("native", "arm64-qemu")}
names = sorted(set().union(*runs["native"], *runs["arm64-qemu"]))
print("| benchmark | x86_64 native (per round) | arm64 under qemu-aarch64 (per round) | emulated / native |")
print("|---|---|---|---|")
for name in names:
    nat = [m[name] for m in runs["native"] if name in m]
    emu = [m[name] for m in runs["arm64-qemu"] if name in m]
    ratio = f"{(sum(emu) / len(emu)) / (sum(nat) / len(nat)):.1f}×" if nat and emu else "n/a"
    print(f"| `{name}` | {', '.join(map(fmt, nat))} | {', '.join(map(fmt, emu))} | {ratio} |")
EOF
