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
# Starts the broker on FLEET_KAFKA if it is not running and stops it again at the end. The
# emulators listen on free loopback ports.
set -euo pipefail
source "$(dirname "$0")/env.sh"

brokers="${FLEET_KAFKA:-127.0.0.1:29092}"
instances="${FLEET_INSTANCES:-50}"
rounds="${FLEET_ROUNDS:-20}"
poll="${FLEET_POLL:-50ms}"
topic="gateway-policy.bench-fleet-$(date +%s)"
fx="$out/fixtures"

rb="$(riebench_bin)"
fixtures e2e "$fx"

kafka_started=0
cleanup() {
  if [ "$kafka_started" = 1 ]; then
    KAFKA_BOOTSTRAP="$brokers" bash scripts/kafka.sh down >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! KAFKA_BOOTSTRAP="$brokers" bash scripts/kafka.sh status >/dev/null 2>&1; then
  kafka_started=1
fi
KAFKA_BOOTSTRAP="$brokers" bash scripts/kafka.sh up >/dev/null

"$release/authz" topic create --brokers "$brokers" --topic "$topic" --replication-factor 1 >/dev/null
# The broker stamps each record when it appends it (this bench topic only), so "after the
# record's timestamp" below is measured from the broker's append, not from the producer's
# send (which the producer may queue while it sets up its idempotent session).
KAFKA_BOOTSTRAP="$brokers" bash scripts/kafka.sh tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "$brokers" \
  --entity-type topics --entity-name "$topic" --alter --add-config message.timestamp.type=LogAppendTime >/dev/null
"$release/authz" publish --brokers "$brokers" --topic "$topic" "$fx/fleet-active.json" >/dev/null
# Round 1 starts once every instance decides at the topic's newest revision (riebench reads
# it), so no round measures an instance's first connection to the broker.
echo "\$ riebench fleet -instances $instances -rounds $rounds -poll $poll (each: aws-lambda-rie + bootstrap, AUTHZ_KAFKA_TOPIC=$topic on $brokers, default AUTHZ_MAX_STALENESS_MS/AUTHZ_SYNC_BUDGET_MS)"
echo "before: $(load_now)"
AUTHZ_API_ID=orders AUTHZ_POLICY_FILE="$fx/fleet-active.json" AUTHZ_LOG_LEVEL=error \
AUTHZ_KAFKA_BROKERS="$brokers" AUTHZ_KAFKA_TOPIC="$topic" AUTHZ_KAFKA_AUTH=plaintext \
  "$rb" fleet -brokers "$brokers" -topic "$topic" -instances "$instances" -rounds "$rounds" -poll "$poll" \
    -event "$fx/fleet-event.json" -suspended "$fx/fleet-suspended.json" -active "$fx/fleet-active.json"
echo "after:  $(load_now)"
