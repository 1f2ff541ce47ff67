#!/usr/bin/env bash
# The local demo (`make demo`, `make demo-up`, `make demo-down`): a real Kafka broker, the
# real authorizer (`bootstrap`) under the AWS Lambda Runtime Interface Emulator, and
# `authz gateway` (a development stand-in for API Gateway) in front of a sample upstream.
#
#   scripts/demo.sh run    start everything, tell the story with timings, clean up
#   scripts/demo.sh up     start everything, check one request, leave it running
#   scripts/demo.sh down   stop what `up` started and delete the demo's data
#
# Everything listens on 127.0.0.1. Environment (defaults):
#   DEMO_DIR               $HOME/.cache/team-gateway/demo   keys, policies, logs, pids
#   DEMO_KAFKA_BOOTSTRAP   127.0.0.1:9292   the demo's own broker (not the tests' ones)
#   DEMO_GATEWAY_PORT      8000             the gateway front
#   DEMO_UPSTREAM_PORT     8001             the sample upstream
#   DEMO_INVOKE_PORT       9010             the emulator's invoke API
#   DEMO_RUNTIME_PORT      9011             the Runtime API the bootstrap polls
#   (the fleet step also uses 9012-9015: two more emulators, see FLEET_GATEWAYS)
set -euo pipefail

source "$(dirname "$0")/lib.sh"
ROOT="$TG_ROOT"
AUTHZ="${AUTHZ:-$CARGO_TARGET_DIR/release/authz}"
BOOTSTRAP="${BOOTSTRAP:-$CARGO_TARGET_DIR/release/bootstrap}"
RUN="${DEMO_DIR:-$CACHE_DIR/demo}"
KAFKA="${DEMO_KAFKA_BOOTSTRAP:-127.0.0.1:9292}"
GATEWAY_PORT="${DEMO_GATEWAY_PORT:-8000}"
UPSTREAM_PORT="${DEMO_UPSTREAM_PORT:-8001}"
INVOKE_PORT="${DEMO_INVOKE_PORT:-9010}"
RUNTIME_PORT="${DEMO_RUNTIME_PORT:-9011}"
TOPIC="gateway-policy.v1"
STATUS_TOPIC="gateway-status.v1"
# The fleet part of the story: two more gateways of the same API, each its own authorizer
# under its own emulator (invoke port, runtime port).
FLEET_GATEWAYS=(orders-canary:9012:9013 orders-eu:9014:9015)
API_ID="demo"
ISSUER="https://demo-idp.local"
AUDIENCE="https://demo-api.local"
KEY="$RUN/demo-signing-key.DEMO-ONLY.json"
GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT"
INVOKE_URL="http://127.0.0.1:$INVOKE_PORT/2015-03-31/functions/function/invocations"

if [ -t 1 ]; then B=$'\e[1m'; D=$'\e[2m'; G=$'\e[32m'; R=$'\e[31m'; N=$'\e[0m'; else B='' D='' G='' R='' N=''; fi

say() { printf '%s\n' "$*"; }
step() { printf '\n%s%s%s\n' "$B" "$*" "$N"; }
detail() { printf '   %s%s%s\n' "$D" "$*" "$N"; }
die() { printf '%sdemo: %s%s\n' "$R" "$*" "$N" >&2; exit 1; }
now_ms() { date +%s%3N; }
since() { echo $(($(now_ms) - $1)); }

kafka() { KAFKA_BOOTSTRAP="$KAFKA" bash "$ROOT/scripts/kafka.sh" "$@"; }

# kafka_quiet CMD: scripts/kafka.sh CMD with its chatter kept in $RUN/kafka.log.
kafka_quiet() {
  kafka "$1" >>"$RUN/kafka.log" 2>&1 || { tail -n 30 "$RUN/kafka.log" >&2; die "scripts/kafka.sh $1 failed"; }
}


port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- processes -------------------------------------------------------------------------

# start NAME CMD...: a process of the demo, in its own session (so `up` outlives this
# shell), logged to $RUN/NAME.log, its pid in $RUN/NAME.pid.
start() {
  local name="$1"; shift
  nohup setsid "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# stop_pid NAME: ends the process recorded for NAME, if it is still the one we started.
stop_pid() {
  local name="$1" file="$RUN/$1.pid" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  rm -f "$file"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 0
  # Guard against a recycled pid: only a process running one of our binaries.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE 'aws-lambda-rie|authz' || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  detail "$name did not stop on SIGTERM; killed"
}

wait_port() {
  local port="$1" name="$2" pidfile="$RUN/$2.pid"
  for _ in $(seq 1 100); do
    port_open "$port" && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -n 20 "$RUN/$name.log" >&2; die "$name exited"; }
    sleep 0.1
  done
  tail -n 20 "$RUN/$name.log" >&2
  die "$name did not listen on 127.0.0.1:$port within 10 s"
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  [ "$code" = 0 ] || printf '\n%sdemo: stopped (exit %s); cleaning up%s\n' "$B" "$code" "$N" >&2
  stop_all
  exit "$code"
}

stop_all() {
  stop_pid gateway
  stop_pid upstream
  stop_pid authorizer
  local g
  for g in "${FLEET_GATEWAYS[@]}"; do
    thaw "${g%%:*}"
    stop_pid "${g%%:*}"
  done
  if [ -d "$RUN" ]; then
    kafka down >/dev/null 2>&1 || true
  fi
}

# --- the policy ------------------------------------------------------------------------

# write_policy FILE DEMO_APP_STATUS: the demo policy, signed tokens checked against the demo
# key's public half. demo-reports is a second client that stays active throughout.
write_policy() {
  local file="$1" status="$2"
  cat >"$file" <<EOF
{
  "schema": "gateway-policy/v1",
  "revision": 1,
  "issuers": [{
    "id": "demo-idp",
    "issuer": "$ISSUER",
    "audiences": ["$AUDIENCE"],
    "algorithms": ["ES256"],
    "client_id_claims": ["client_id"],
    "leeway_seconds": 30,
    "keys": [{"kid": "demo-only-key", "status": "active", "jwk": $(cat "$RUN/demo-public-jwk.json")}]
  }],
  "clients": [
    {"id": "demo-app", "status": "$status", "scopes": ["orders:read", "orders:write"]},
    {"id": "demo-reports", "status": "active", "scopes": ["orders:read"]}
  ],
  "apis": [{"id": "$API_ID", "routes": [
    {"route": "GET /orders", "scopes": ["orders:read"]},
    {"route": "GET /orders/{id}", "scopes": ["orders:read"]},
    {"route": "POST /orders", "scopes": ["orders:write"]},
    {"route": "GET /health", "public": true}
  ]}]
}
EOF
}

token() {
  "$AUTHZ" dev-token --key "$KEY" --issuer "$ISSUER" --audience "$AUDIENCE" --client "$1" --scope "$2"
}

publish() {
  local out
  out="$("$AUTHZ" publish --brokers "$KAFKA" --topic "$TOPIC" "$1")" || die "authz publish failed"
  printf '%s\n' "$out" | sed 's/^/   /'
}

# --- requests --------------------------------------------------------------------------

# request METHOD PATH [TOKEN]: one call through the gateway; sets STATUS REASON STALE
# REVISION AUTHZ_MS.
request() {
  local method="$1" path="$2" tok="${3:-}"
  local args=(-s -o "$RUN/last-body" -D "$RUN/last-headers" -w '%{http_code}' --max-time 15 -X "$method")
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  STATUS="$(curl "${args[@]}" "$GATEWAY_URL$path" 2>/dev/null)" || STATUS=000
  local body
  body="$(cat "$RUN/last-body" 2>/dev/null || true)"
  REASON="$(sed -n 's/.*"reason":"\([a-z_]*\)".*/\1/p' <<<"$body")"
  STALE="$(sed -n 's/.*"stale":\(true\|false\).*/\1/p' <<<"$body")"
  REVISION="$(sed -n 's/.*"policyRevision":\([0-9]*\).*/\1/p' <<<"$body")"
  AUTHZ_MS="$(tr -d '\r' <"$RUN/last-headers" 2>/dev/null | sed -n 's/^[Ss]erver-[Tt]iming: authorizer;dur=\([0-9.]*\).*/\1/p')"
}

# show LABEL: prints the last request's outcome.
show() {
  local colour="$G"
  [ "${STATUS:0:1}" = 2 ] || colour="$R"
  printf '   %-44s %s%s%s  %-18s stale: %-5s  revision %-3s  authorizer %s ms\n' \
    "$1" "$colour" "$STATUS" "$N" "${REASON:-?}" "${STALE:-?}" "${REVISION:-?}" "${AUTHZ_MS:-?}"
}

# poll_until LIMIT_S VAR VALUE METHOD PATH [TOKEN]: repeats the request every 50 ms until
# VAR (STATUS, REASON or STALE) reads VALUE, for at most LIMIT_S seconds; sets POLLS and
# POLL_MS (from the first request to the one that matched).
poll_until() {
  local limit="$1" var="$2" want="$3"; shift 3
  local t0 deadline
  t0="$(now_ms)"; deadline=$((t0 + limit * 1000)); POLLS=0
  while :; do
    request "$@"
    POLLS=$((POLLS + 1))
    if [ "${!var}" = "$want" ]; then POLL_MS="$(since "$t0")"; return 0; fi
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# publish_and_watch FILE STATUS TOKEN: publishes FILE in the background while requesting
# GET /orders/42 with TOKEN until the answer is STATUS; then sets WATCH, the time from the
# broker appending the client's record to the decision, as an interval: after the start
# of the last request that still saw the old policy, before the end of the first that saw
# the new one.
publish_and_watch() {
  local file="$1" want="$2" tok="$3" t_pub pubpid last_start=0 start end deadline appended
  t_pub="$(now_ms)"
  "$AUTHZ" publish --brokers "$KAFKA" --topic "$TOPIC" "$file" >"$RUN/publish.out" 2>&1 &
  pubpid=$!
  deadline=$((t_pub + 20000))
  while :; do
    start="$(now_ms)"
    request GET /orders/42 "$tok"
    end="$(now_ms)"
    [ "$STATUS" = "$want" ] && break
    last_start="$start"
    [ "$end" -lt "$deadline" ] || { wait "$pubpid" || true; cat "$RUN/publish.out" >&2; die "no $want within 20 s of publishing"; }
    sleep 0.02
  done
  wait "$pubpid" || { cat "$RUN/publish.out" >&2; die "authz publish failed"; }
  PUBLISH_MS=$(( $(now_ms) - t_pub ))
  sed 's/^/   /' "$RUN/publish.out"
  appended="$("$AUTHZ" tail --brokers "$KAFKA" --topic "$TOPIC" --from-beginning --no-follow 2>/dev/null \
    | grep '"key":"client/demo-app"' | tail -n 1 | sed -n 's/.*"timestamp_ms":\([0-9]*\).*/\1/p')"
  if [ -z "$appended" ]; then
    WATCH="after authz publish started (record time unavailable)"
  elif [ "$last_start" -gt "$appended" ]; then
    WATCH="$((last_start - appended))–$((end - appended)) ms after the broker appended the change"
  else
    WATCH="at most $((end - appended)) ms after the broker appended the change"
  fi
}

# start_authorizer NAME GATEWAY INVOKE_PORT RUNTIME_PORT: the real bootstrap under its own
# emulator, following the policy topic and reporting as gateway GATEWAY.
start_authorizer() {
  local name="$1" gateway="$2" invoke="$3" runtime="$4"
  start "$name" env AUTHZ_API_ID="$API_ID" AUTHZ_POLICY_FILE="$RUN/policy-baked.json" \
    AUTHZ_KAFKA_BROKERS="$KAFKA" AUTHZ_KAFKA_TOPIC="$TOPIC" AUTHZ_KAFKA_AUTH=plaintext \
    AUTHZ_STATUS_TOPIC="$STATUS_TOPIC" AUTHZ_GATEWAY_NAME="$gateway" AUTHZ_ACCOUNT_ID=000000000000 \
    AUTHZ_MODULE_VERSION=demo AWS_REGION=local AUTHZ_LOG_LEVEL=info \
    "$RIE" --log-level error \
    --runtime-interface-emulator-address "127.0.0.1:$invoke" \
    --runtime-api-address "127.0.0.1:$runtime" "$BOOTSTRAP"
  wait_port "$invoke" "$name"
}

# tree PID: PID and all its descendants (the emulator puts the function in a process
# group of its own, so a signal to the demo's group would miss it).
tree() {
  local child
  echo "$1"
  for child in $(pgrep -P "$1" 2>/dev/null); do tree "$child"; done
}

# freeze NAME / thaw NAME: SIGSTOP / SIGCONT the emulator and the function of NAME, as
# Lambda freezes an idle environment.
freeze() {
  local pid
  pid="$(cat "$RUN/$1.pid" 2>/dev/null)" || return 0
  # shellcheck disable=SC2046 # one pid per word
  kill -STOP $(tree "$pid") 2>/dev/null && touch "$RUN/$1.frozen" || true
}
thaw() {
  local pid
  rm -f "$RUN/$1.frozen"
  pid="$(cat "$RUN/$1.pid" 2>/dev/null)" || return 0
  # shellcheck disable=SC2046
  kill -CONT $(tree "$pid") 2>/dev/null || true
}

# traffic: one invocation of each fleet gateway that is not frozen, as requests would make.
# A report's stale flag is that of the environment's last decision, so a gateway that
# caught up says so on its next invocation (docs/fleet.md, "When an environment reports").
traffic() {
  local g name invoke
  for g in "${FLEET_GATEWAYS[@]}"; do
    IFS=: read -r name invoke _ <<<"$g"
    [ -f "$RUN/$name.frozen" ] && continue
    # Any event starts the function and counts as a decision (this one is denied).
    curl -s -o /dev/null --max-time 5 -d '{}' "http://127.0.0.1:$invoke/2015-03-31/functions/function/invocations" || true
  done
}

# fleet_until LIMIT_S: runs `authz fleet` until it exits 0 (every live gateway reconciled)
# and lists COUNT gateways; prints its last table.
fleet_until() {
  local limit="$1" count="$2" deadline
  deadline=$(($(now_ms) + limit * 1000))
  while :; do
    traffic
    if "$AUTHZ" fleet --brokers "$KAFKA" --status-topic "$STATUS_TOPIC" >"$RUN/fleet.out" 2>&1 &&
      [ "$(grep -c "^orders" "$RUN/fleet.out")" -ge "$count" ]; then
      sed 's/^/   /' "$RUN/fleet.out"
      return 0
    fi
    [ "$(now_ms)" -lt "$deadline" ] || { sed 's/^/   /' "$RUN/fleet.out" >&2; return 1; }
    sleep 0.2
  done
}

# --- up --------------------------------------------------------------------------------

# preflight: everything that can refuse to start, before anything is started (and before
# the cleanup trap, which must never touch a demo that is already running).
preflight() {
  { [ -x "$AUTHZ" ] && [ -x "$BOOTSTRAP" ]; } || die "$AUTHZ or $BOOTSTRAP missing: run \`make build-native\` (make demo does)"
  "$AUTHZ" gateway --help >/dev/null 2>&1 || die "$AUTHZ has no gateway subcommand: rebuild with \`make build-native\`"
  command -v curl >/dev/null || die "curl is needed to send the demo's requests"
  for pid in "$RUN"/*.pid; do
    [ -f "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null \
      && die "a demo is already running (pids in $RUN): \`make demo-down\` stops it"
  done
  bash "$ROOT/scripts/tools-emulator.sh"
  RIE="$TOOLS_BIN/aws-lambda-rie"
  [ -x "$RIE" ] || RIE="$(command -v aws-lambda-rie)" || die "aws-lambda-rie not found"
  local fleet_ports=() g
  for g in "${FLEET_GATEWAYS[@]}"; do fleet_ports+=("$(cut -d: -f2 <<<"$g")" "$(cut -d: -f3 <<<"$g")"); done
  for port in "$GATEWAY_PORT" "$UPSTREAM_PORT" "$INVOKE_PORT" "$RUNTIME_PORT" "${fleet_ports[@]}"; do
    port_open "$port" && die "127.0.0.1:$port is in use (set DEMO_*_PORT, see the top of $0)"
  done
  if KAFKA_BOOTSTRAP="$KAFKA" bash "$ROOT/scripts/kafka.sh" status >/dev/null 2>&1; then
    die "a broker is already running on $KAFKA: \`make demo-down\` (or set DEMO_KAFKA_BOOTSTRAP)"
  fi
}

bring_up() {
  mkdir -p "$RUN"
  : >"$RUN/kafka.log"

  step "1. Kafka: a real Apache Kafka broker (KRaft, one node) on $KAFKA"
  local t0
  t0="$(now_ms)"
  kafka down >/dev/null 2>&1 || true # a clean slate: no topic left from an earlier run
  kafka_quiet up
  detail "ready in $(since "$t0") ms (logs: scripts/kafka.sh logs, KAFKA_BOOTSTRAP=$KAFKA)"
  t0="$(now_ms)"
  "$AUTHZ" topic create --brokers "$KAFKA" --topic "$TOPIC" --replication-factor 1 | sed 's/^/   /'
  # Records stamped with the broker's append time let the demo time a change from the
  # moment the broker had it (the portal's topic can keep the default CreateTime).
  kafka tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "$KAFKA" --alter \
    --entity-type topics --entity-name "$TOPIC" --add-config message.timestamp.type=LogAppendTime \
    >>"$RUN/kafka.log" 2>&1 || die "could not set message.timestamp.type on $TOPIC"
  detail "topic created in $(since "$t0") ms (records carry the broker's append time)"
  "$AUTHZ" fleet --brokers "$KAFKA" --status-topic "$STATUS_TOPIC" --create-topic --replication-factor 1 \
    | sed 's/^/   /'
  detail "status topic $STATUS_TOPIC: every authorizer reports what it enforces (docs/fleet.md)"

  step "2. The portal's policy, with a local demo key"
  rm -f "$KEY"
  "$AUTHZ" keygen --kid demo-only-key --alg ES256 --out "$KEY" >"$RUN/demo-public-jwk.json"
  detail "demo signing key (ES256, kid demo-only-key): $KEY"
  detail "it signs demo tokens only; no policy but this demo's trusts it"
  write_policy "$RUN/policy.json" active
  cp "$RUN/policy.json" "$RUN/policy-baked.json"
  "$AUTHZ" validate "$RUN/policy.json" | sed 's/^/   /'
  detail "issuer $ISSUER; clients demo-app (orders:read orders:write), demo-reports (orders:read)"
  detail "API $API_ID: GET /orders, GET /orders/{id}, POST /orders, GET /health (public)"
  t0="$(now_ms)"
  publish "$RUN/policy.json"
  detail "published with authz publish in $(since "$t0") ms"

  step "3. The authorizer: the real bootstrap under the AWS Lambda Runtime Interface Emulator"
  start_authorizer authorizer orders "$INVOKE_PORT" "$RUNTIME_PORT"
  detail "invoke URL $INVOKE_URL"
  detail "baked policy $RUN/policy-baked.json, then the topic $TOPIC; logs $RUN/authorizer.log"

  step "4. The front: authz gateway (a development stand-in for API Gateway) and a sample upstream"
  start upstream "$AUTHZ" gateway --echo --listen "127.0.0.1:$UPSTREAM_PORT"
  wait_port "$UPSTREAM_PORT" upstream
  start gateway "$AUTHZ" gateway --listen "127.0.0.1:$GATEWAY_PORT" \
    --invoke-url "$INVOKE_URL" --upstream "http://127.0.0.1:$UPSTREAM_PORT"
  wait_port "$GATEWAY_PORT" gateway
  detail "$GATEWAY_URL -> authorizer -> http://127.0.0.1:$UPSTREAM_PORT (logs $RUN/gateway.log)"

  # The first invoke starts the function (a cold start); wait until the stream caught up.
  t0="$(now_ms)"
  request GET /health
  detail "first request (cold start of the function): $STATUS in $(since "$t0") ms"
  poll_until 30 STALE false GET /health \
    || die "the authorizer did not catch up with the topic in 30 s (see $RUN/authorizer.log)"
}

# --- the story -------------------------------------------------------------------------

story() {
  local app reports t0 kafka_ms
  app="$(token demo-app "orders:read orders:write")"
  reports="$(token demo-reports "orders:read")"

  step "(a) A request with a fresh demo token is allowed"
  detail "TOKEN=\$(authz dev-token --key $KEY --issuer $ISSUER --audience $AUDIENCE --client demo-app --scope 'orders:read orders:write')"
  detail "curl -H \"Authorization: Bearer \$TOKEN\" $GATEWAY_URL/orders/42"
  request GET /orders/42 "$app"; show "GET /orders/42 as demo-app"
  [ "$STATUS" = 200 ] || die "expected 200"
  detail "the upstream received: $(cat "$RUN/last-body")"
  request GET /orders; show "GET /orders without a token"
  request GET /health; show "GET /health (public route)"

  step "(b) The portal suspends demo-app: authz publish, and the next requests are denied"
  write_policy "$RUN/policy.json" suspended
  publish_and_watch "$RUN/policy.json" 403 "$app"
  SUSPEND="$WATCH"
  show "GET /orders/42 as demo-app"
  say "   ${B}denied $SUSPEND${N}"
  detail "requests polled while authz publish ran ($PUBLISH_MS ms: it reads the topic, then writes the one change)"
  request GET /orders "$reports"; show "GET /orders as demo-reports (untouched)"

  step "(c) Kafka stops: decisions go on, on the last known good policy"
  t0="$(now_ms)"
  kafka_quiet stop
  kafka_ms="$(since "$t0")"
  detail "scripts/kafka.sh stop: broker down after $kafka_ms ms"
  poll_until 15 STALE true GET /orders "$reports" \
    || die "no decision was flagged stale within 15 s of the broker stopping"
  show "GET /orders as demo-reports"
  request GET /orders/42 "$app"; show "GET /orders/42 as demo-app (still suspended)"
  request GET /health; show "GET /health"
  STALE_MS="$AUTHZ_MS"
  local line
  line="$(grep -m1 'policy view stale' "$RUN/authorizer.log" || true)"
  [ -n "$line" ] && detail "authorizer log: $line"
  say "   ${B}no request failed because of Kafka${N}: allowed stays allowed, denied stays denied, each flagged stale"
  say "   (each decision first gives Kafka up to AUTHZ_SYNC_BUDGET_MS, 50 ms by default, to confirm the view)"

  step "(d) Kafka comes back: the authorizer catches up, changes flow again"
  t0="$(now_ms)"
  kafka_quiet start
  kafka_ms="$(since "$t0")"
  detail "scripts/kafka.sh start: broker ready after $kafka_ms ms"
  poll_until 60 STALE false GET /orders "$reports" \
    || die "decisions still stale 60 s after the broker came back"
  FRESH_MS="$POLL_MS"
  show "GET /orders as demo-reports"
  say "   fresh again ${FRESH_MS} ms after the broker was ready"
  write_policy "$RUN/policy.json" active
  publish_and_watch "$RUN/policy.json" 200 "$app"
  REACTIVATE="$WATCH"
  show "GET /orders/42 as demo-app"
  say "   ${B}allowed again $REACTIVATE${N}"

  step "(e) The fleet: three gateways report what they enforce; the portal watches a change land"
  local g name invoke code
  for g in "${FLEET_GATEWAYS[@]}"; do
    IFS=: read -r name invoke _ <<<"$g"
    start_authorizer "$name" "$name" "$invoke" "$(cut -d: -f3 <<<"$g")"
  done
  detail "started orders-canary and orders-eu (the same API, each its own authorizer and emulator)"
  detail "$AUTHZ fleet --brokers $KAFKA"
  fleet_until 30 3 || die "the three gateways did not report reconciled within 30 s"
  write_policy "$RUN/policy.json" suspended
  detail "$AUTHZ publish --wait 20s ...  (suspends demo-app again)"
  t0="$(now_ms)"
  "$AUTHZ" publish --brokers "$KAFKA" --topic "$TOPIC" --status-topic "$STATUS_TOPIC" --wait 20s "$RUN/policy.json" \
    >"$RUN/publish.out" 2>&1 || { cat "$RUN/publish.out" >&2; die "authz publish --wait failed"; }
  WAIT_MS="$(since "$t0")"
  sed 's/^/   /' "$RUN/publish.out"
  say "   ${B}every gateway applied it; publish --wait returned after $WAIT_MS ms${N}"
  freeze orders-eu
  detail "orders-eu is frozen (SIGSTOP, as Lambda freezes an idle environment); demo-app is reactivated"
  write_policy "$RUN/policy.json" active
  code=0
  "$AUTHZ" publish --brokers "$KAFKA" --topic "$TOPIC" --status-topic "$STATUS_TOPIC" --wait 5s "$RUN/policy.json" \
    >"$RUN/publish.out" 2>&1 || code=$?
  sed 's/^/   /' "$RUN/publish.out"
  [ "$code" != 0 ] || die "publish --wait returned success with a frozen gateway"
  say "   ${B}publish --wait timed out (exit $code), naming the frozen gateway${N}"
  code=0
  "$AUTHZ" fleet --brokers "$KAFKA" --status-topic "$STATUS_TOPIC" >"$RUN/fleet.out" 2>&1 || code=$?
  sed 's/^/   /' "$RUN/fleet.out"
  [ "$code" != 0 ] || die "authz fleet reported reconciled with a frozen gateway"
  say "   authz fleet exits $code: a pipeline can gate on it"
  thaw orders-eu
  t0="$(now_ms)"
  fleet_until 30 3 || die "orders-eu did not catch up within 30 s of its thaw"
  THAW_MS="$(since "$t0")"
  say "   orders-eu thawed: the fleet reconciled again after $THAW_MS ms"

  step "Summary"
  say "   suspension -> denied:              $SUSPEND"
  say "   Kafka down -> decisions:           answered on the last known good policy, flagged stale (${STALE_MS} ms in the authorizer)"
  say "   Kafka back -> decisions fresh:     ${FRESH_MS} ms after the broker was ready"
  say "   reactivation -> allowed:           $REACTIVATE"
  say "   publish --wait, three gateways:    ${WAIT_MS} ms until every gateway reported the revision"
  say "   a frozen gateway:                  publish --wait times out naming it; authz fleet exits non-zero"
  say "                                      (for two report intervals; then it counts as idle: it catches up before its next decision)"
  say "   logs: $RUN/{authorizer,orders-canary,orders-eu,gateway,upstream}.log"
}

case "${1:-}" in
  run)
    preflight
    trap cleanup EXIT INT TERM
    bring_up
    story
    step "Cleaning up (Kafka, the emulator, the gateway, the upstream)"
    ;;
  up)
    preflight
    trap cleanup INT TERM
    trap 'code=$?; [ "$code" = 0 ] || cleanup' EXIT
    bring_up
    tok="$(token demo-app "orders:read orders:write")"
    request GET /orders/42 "$tok"; show "GET /orders/42 as demo-app"
    printf '%s\n' "$tok" >"$RUN/demo-app.token"
    step "The demo gateway is running: $GATEWAY_URL"
    say "   curl -H \"Authorization: Bearer \$(cat $RUN/demo-app.token)\" $GATEWAY_URL/orders/42"
    say "   new tokens: $AUTHZ dev-token --key $KEY --issuer $ISSUER --audience $AUDIENCE --client demo-app --scope 'orders:read'"
    say "   change the policy: edit $RUN/policy.json, then $AUTHZ publish --brokers $KAFKA --topic $TOPIC $RUN/policy.json"
    say "   stop everything: make demo-down"
    ;;
  down)
    stop_all
    rm -rf "$RUN"
    echo "demo: stopped and removed $RUN"
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
    ;;
esac
