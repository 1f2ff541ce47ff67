#!/usr/bin/env bash
# `make integration`: the policy-stream tests against a real Kafka broker. Starts the
# broker (scripts/kafka.sh), runs the ignored-by-default tests in authorizer/tests/
# stream_kafka.rs and fleet_kafka.rs one at a time (one of them stops and restarts the broker,
# one puts a slow link in front of its second listener), stops it;
# then starts a three-node cluster on its own ports (KAFKA_CLUSTER_BOOTSTRAP, node 1's address)
# for cluster_kafka.rs, which SIGKILLs the partition leader, and stops that cluster too.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TG_ROOT"
export KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
export KAFKA_SCRIPT="$TG_ROOT/scripts/kafka.sh"
export KAFKA_CLUSTER_BOOTSTRAP="${KAFKA_CLUSTER_BOOTSTRAP:-127.0.0.1:29092}"
# The broker's second listener, advertised where the slow-link test's proxy listens.
export KAFKA_PROXIED_PORT="${KAFKA_PROXIED_PORT:-9094}"
export KAFKA_PROXIED_ADVERTISED="${KAFKA_PROXIED_ADVERTISED:-127.0.0.1:9095}"

started=0
if ! bash "$KAFKA_SCRIPT" status >/dev/null 2>&1; then
  started=1
fi
cluster_started=0
cleanup() {
  [ "$started" = 1 ] && bash "$KAFKA_SCRIPT" down >/dev/null 2>&1
  [ "$cluster_started" = 1 ] && KAFKA_BOOTSTRAP="$KAFKA_CLUSTER_BOOTSTRAP" bash "$KAFKA_SCRIPT" cluster down >/dev/null 2>&1
  true
}
trap cleanup EXIT INT TERM
bash "$KAFKA_SCRIPT" up >/dev/null

cd authorizer
cargo test --release --locked --test stream_kafka -- --ignored --test-threads=1 --nocapture
cargo test --release --locked --test fleet_kafka -- --ignored --test-threads=1 --nocapture

# The cluster test kills a node: a fresh cluster each run (a kept one is torn down first).
# Its nodes have no second listener (they would all ask for the same port).
unset KAFKA_PROXIED_PORT KAFKA_PROXIED_ADVERTISED
cluster_started=1
KAFKA_BOOTSTRAP="$KAFKA_CLUSTER_BOOTSTRAP" bash "$KAFKA_SCRIPT" cluster down >/dev/null 2>&1 || true
KAFKA_BOOTSTRAP="$KAFKA_CLUSTER_BOOTSTRAP" bash "$KAFKA_SCRIPT" cluster up 3 >/dev/null
cargo test --release --locked --test cluster_kafka -- --ignored --test-threads=1 --nocapture
