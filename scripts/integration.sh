#!/usr/bin/env bash
# `make integration`: the policy-stream tests against a real Kafka broker. Starts the
# broker (scripts/kafka.sh), runs the ignored-by-default tests in authorizer/tests/
# stream_kafka.rs and fleet_kafka.rs one at a time (one of them stops and restarts the broker), stops it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$TG_ROOT"
export KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
export KAFKA_SCRIPT="$TG_ROOT/scripts/kafka.sh"

started=0
if ! bash "$KAFKA_SCRIPT" status >/dev/null 2>&1; then
  started=1
fi
cleanup() { [ "$started" = 1 ] && bash "$KAFKA_SCRIPT" down >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
bash "$KAFKA_SCRIPT" up >/dev/null

cd authorizer
cargo test --release --locked --test stream_kafka -- --ignored --test-threads=1 --nocapture
cargo test --release --locked --test fleet_kafka -- --ignored --test-threads=1 --nocapture
