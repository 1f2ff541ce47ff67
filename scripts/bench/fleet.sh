#!/usr/bin/env bash
# Fleet propagation: FLEET_INSTANCES (50) authorizers, each the real `bootstrap` under its
# own aws-lambda-rie, all reading one policy topic on one local broker. Each round suspends
# (then, alternately, reactivates) a client with `authz publish` and polls every instance
# through its invoke endpoint until it decides accordingly; a round's figure is the time from
# the start of `authz publish` until the last of the instances has flipped, and from the
# broker's append of the record until then.
#
#   bash scripts/bench/fleet.sh      (env: FLEET_KAFKA=127.0.0.1:29092, FLEET_INSTANCES=50,
#                                     FLEET_ROUNDS=20, FLEET_POLL=50ms)
#   FLEET_CLUSTER=3: a cluster of 3 KRaft nodes with racks (scripts/kafka.sh cluster up 3,
#     nodes on FLEET_KAFKA's port, +2, +4) and the recommended layout (docs/capacity.md):
#     policy and status topics with replication 3, the status topic with 3 partitions, and
#     __consumer_offsets with 50 partitions as on MSK.
#   FLEET_STATUS=1: the instances report to a status topic of their own (AUTHZ_STATUS_TOPIC,
#     one gateway name) and each round publishes with `authz publish --wait`, so a round
#     also measures publish start -> every environment reported the revision applied.
#   FLEET_GAP (1s): idle time between rounds (longer than the clients' 60 s idle timeout in
#     all makes "connections after the rounds" the steady state).
#   FLEET_STARTUP_TIMEOUT (120s), FLEET_ROUND_TIMEOUT (30s), FLEET_WAIT_TIMEOUT (20s, --wait's
#     bound; a round whose --wait times out is counted and keeps the bound as its figure).
#   FLEET_MODE=inproc: the instances are environments of one process
#     (authorizer/examples/fleet_envs.rs: each with its own consumer, status reporter and
#     environment id, as bootstrap builds it), invoked over HTTP, for fleet sizes whose
#     bootstrap + emulator pairs do not fit; default FLEET_MODE=emulator.
#   FLEET_PNG=PATH: draw the convergence (share of instances enforcing against time since
#     publish start, with the --wait returns) into PATH (riebench plot).
# Also counts the bootstrap processes' connections per broker (ss) after start-up and after
# the rounds, and samples memory and load every 5 s while it runs.
# Starts the broker(s) on FLEET_KAFKA if not running and stops them again at the end. The
# emulators listen on free loopback ports.
set -euo pipefail
source "$(dirname "$0")/env.sh"

kafka="${FLEET_KAFKA:-127.0.0.1:29092}"
nodes="${FLEET_CLUSTER:-1}"
status="${FLEET_STATUS:-0}"
brokers="$kafka"
rf=1
kcmd=""
if [ "$nodes" -gt 1 ]; then
  kcmd="cluster"
  rf=3
  [ "$nodes" -ge 3 ] || rf="$nodes"
fi
instances="${FLEET_INSTANCES:-50}"
rounds="${FLEET_ROUNDS:-20}"
poll="${FLEET_POLL:-50ms}"
startup="${FLEET_STARTUP_TIMEOUT:-120s}"
round_timeout="${FLEET_ROUND_TIMEOUT:-30s}"
topic="gateway-policy.bench-fleet-$(date +%s)"
fx="$out/fixtures"

rb="$(riebench_bin)"
mode="${FLEET_MODE:-emulator}"
mode_args=()
case "$mode" in
  emulator) ;;
  inproc)
    (cd "$TG_ROOT/authorizer" && cargo build --release --locked --quiet --example fleet_envs)
    mode_args=(-inproc "$release/examples/fleet_envs")
    ;;
  *) die "FLEET_MODE=$mode: expected emulator or inproc" ;;
esac
fixtures e2e "$fx"

kafka_started=0
sampler=""
cleanup() {
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  if [ "$kafka_started" = 1 ]; then
    # shellcheck disable=SC2086
    KAFKA_BOOTSTRAP="$kafka" bash scripts/kafka.sh $kcmd down >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck disable=SC2086
if ! KAFKA_BOOTSTRAP="$kafka" bash scripts/kafka.sh $kcmd status >/dev/null 2>&1; then
  kafka_started=1
fi
if [ "$nodes" -gt 1 ]; then
  # __consumer_offsets with MSK's 50 partitions, so group coordinators spread over the nodes
  # as they do on MSK (applies when this script starts the cluster).
  brokers="$(KAFKA_OFFSETS_PARTITIONS="${KAFKA_OFFSETS_PARTITIONS:-50}" KAFKA_BOOTSTRAP="$kafka" bash scripts/kafka.sh cluster up "$nodes" | tail -n 1)"
else
  KAFKA_BOOTSTRAP="$kafka" bash scripts/kafka.sh up >/dev/null
fi

"$release/authz" topic create --brokers "$brokers" --topic "$topic" --replication-factor "$rf" >/dev/null
# The broker stamps each record when it appends it (this bench topic only), so "after the
# record's timestamp" below is measured from the broker's append, not from the producer's
# send (which the producer may queue while it sets up its idempotent session).
KAFKA_BOOTSTRAP="$kafka" bash scripts/kafka.sh tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "$brokers" \
  --entity-type topics --entity-name "$topic" --alter --add-config message.timestamp.type=LogAppendTime >/dev/null
"$release/authz" publish --brokers "$brokers" --topic "$topic" "$fx/fleet-active.json" >/dev/null
status_args=()
status_env=()
if [ "$status" = 1 ]; then
  stopic="gateway-status.bench-fleet-$(date +%s)"
  "$release/authz" fleet --brokers "$brokers" --status-topic "$stopic" --create-topic --replication-factor "$rf" >/dev/null || true
  status_args=(-status-topic "$stopic" -wait-timeout "${FLEET_WAIT_TIMEOUT:-20s}")
  status_env=(AUTHZ_STATUS_TOPIC="$stopic" AUTHZ_GATEWAY_NAME=bench-fleet AUTHZ_ACCOUNT_ID=123456789012 AWS_REGION=eu-west-1)
fi
# Memory in use and load every 5 s; the peak and the highest 1-minute load are printed at the end.
( while sleep 5; do echo "$(free -m | awk '/^Mem:/ {print $3}') $(cut -d' ' -f1 /proc/loadavg)"; done ) >"$out/fleet-load.txt" &
sampler=$!
# Round 1 starts once every instance decides at the topic's newest revision (riebench reads
# it), so no round measures an instance's first connection to the broker.
echo "\$ riebench fleet -instances $instances -rounds $rounds -poll $poll ${status_args[*]} ${mode_args[*]} (mode $mode; each: an authorizer environment, AUTHZ_KAFKA_TOPIC=$topic on $brokers, replication $rf, default AUTHZ_MAX_STALENESS_MS/AUTHZ_SYNC_BUDGET_MS)"
echo "before: $(load_now), $(free -m | awk '/^Mem:/ {print $3}') MiB in use"
env "${status_env[@]}" AUTHZ_API_ID=orders AUTHZ_POLICY_FILE="$fx/fleet-active.json" AUTHZ_LOG_LEVEL=error \
AUTHZ_KAFKA_BROKERS="$brokers" AUTHZ_KAFKA_TOPIC="$topic" AUTHZ_KAFKA_AUTH=plaintext \
  "$rb" fleet -brokers "$brokers" -topic "$topic" -instances "$instances" -rounds "$rounds" -poll "$poll" \
    -startup-timeout "$startup" -timeout "$round_timeout" -gap "${FLEET_GAP:-1s}" -event "$fx/fleet-event.json" -suspended "$fx/fleet-suspended.json" -active "$fx/fleet-active.json" \
    "${status_args[@]}" "${mode_args[@]}" >"$out/fleet.json"
# The summary (the per-round, per-instance times stay in the file, for the plot).
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(json.dumps({k: v for k, v in r.items() if not k.startswith("per_round")}))' "$out/fleet.json"
echo "after:  $(load_now)"
awk '$1 > m { m = $1 } $2 > l { l = $2 } END { printf "while it ran: peak %d MiB in use, highest 1-minute load %s\n", m, l }' "$out/fleet-load.txt"
if [ -n "${FLEET_PNG:-}" ]; then
  "$rb" plot -result "$out/fleet.json" -out "$FLEET_PNG"
fi
