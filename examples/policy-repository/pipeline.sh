#!/usr/bin/env bash
# The pipeline of a policy repository: validate, show the diff, publish, and wait until
# every live gateway enforces the new revision (docs/fleet.md). Run it on every merge to the
# main branch; the diff step alone on pull requests (PIPELINE_STAGE=diff).
#
# Environment:
#   AUTHZ_KAFKA_BROKERS   bootstrap brokers of the policy cluster (required)
#   AUTHZ_KAFKA_TOPIC     the policy topic (default gateway-policy.v1)
#   AUTHZ_STATUS_TOPIC    the status topic (default gateway-status.v1)
#   AUTHZ_AUTH            plaintext | msk-iam | sasl-plain (default msk-iam)
#   SIGNING_KEY           the publisher key file, from the pipeline's secret store (signed mode)
#   POLICY                the policy document (default policy/gateway-policy.json)
#   WAIT_TIMEOUT          how long the rollout may take (default 5m)
#   PIPELINE_STAGE        all (default) or diff
set -euo pipefail

: "${AUTHZ_KAFKA_BROKERS:?set AUTHZ_KAFKA_BROKERS to the bootstrap brokers of the policy cluster}"
export AUTHZ_KAFKA_TOPIC="${AUTHZ_KAFKA_TOPIC:-gateway-policy.v1}"
export AUTHZ_STATUS_TOPIC="${AUTHZ_STATUS_TOPIC:-gateway-status.v1}"
AUTH="${AUTHZ_AUTH:-msk-iam}"
POLICY="${POLICY:-$(dirname "$0")/policy/gateway-policy.json}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-5m}"
STAGE="${PIPELINE_STAGE:-all}"
signing=()
[ -n "${SIGNING_KEY:-}" ] && signing=(--signing-key "$SIGNING_KEY")

echo "== validate"
authz validate "$POLICY"

echo "== diff (nothing is published)"
authz publish --auth "$AUTH" --dry-run "${signing[@]}" "$POLICY"
[ "$STAGE" = diff ] && exit 0

echo "== fleet before"
# Informational: a fleet already behind or NACKing is worth knowing before a change.
authz fleet --auth "$AUTH" || true

echo "== publish and wait for the rollout"
# Exit 1 names the gateways that did not report the new revision within the timeout.
authz publish --auth "$AUTH" "${signing[@]}" --wait "$WAIT_TIMEOUT" "$POLICY"

echo "== fleet after"
authz fleet --auth "$AUTH"
