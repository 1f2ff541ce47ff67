#!/usr/bin/env bash
# A real Apache Kafka 4.x broker (KRaft, single node, loopback only) for local tests and
# the demo, or a cluster of N such nodes with racks. The jars come from Maven Central through
# scripts/kafka/pom.xml and are cached, so only the first run on a machine downloads anything.
#
#   scripts/kafka.sh up        format (first time), start, wait until ready, print address
#   scripts/kafka.sh down      stop and delete the broker's data
#   scripts/kafka.sh stop      stop, keep the data (outage tests)
#   scripts/kafka.sh start     start again on the kept data, wait until ready
#   scripts/kafka.sh status    exit 0 if our broker is running
#   scripts/kafka.sh topics ARGS...      kafka-topics with --bootstrap-server filled in
#   scripts/kafka.sh tool NAME|CLASS ARGS...   any Kafka tool class from the cached jars
#   scripts/kafka.sh fetch | classpath | bootstrap | logs
#   scripts/kafka.sh cluster up N        N nodes (broker + controller each), one rack each in
#                                        turn, follower fetching on; prints the bootstrap list
#   scripts/kafka.sh cluster down|stop|status|bootstrap   the same for the whole cluster
#
# A cluster's node i (1..N) listens on the broker port + 2(i-1), its controller one above;
# its data is the single-broker layout of that port. cluster down/stop/status/bootstrap find
# N from the kept cluster file, so they need only the same KAFKA_BOOTSTRAP.
#
# Environment: KAFKA_BOOTSTRAP (127.0.0.1:9092), KAFKA_CONTROLLER_PORT (broker port + 1),
# KAFKA_HOME_CACHE ($HOME/.cache/team-gateway/kafka), KAFKA_VERSION (scripts/versions.env), KAFKA_HEAP_OPTS,
# KAFKA_READY_TIMEOUT (s, 60), KAFKA_STOP_TIMEOUT (s, 60); for a cluster KAFKA_RACKS (racks
# given to nodes in turn, default "az1 az2 az3") and KAFKA_REPLICA_SELECTOR (the brokers'
# replica.selector.class, default org.apache.kafka.common.replica.RackAwareReplicaSelector;
# "leader" keeps Kafka's default, every fetch from the leader); KAFKA_OFFSETS_PARTITIONS
# (partitions of __consumer_offsets, default 1 for a quick start; 50, Kafka's and MSK's
# default, spreads the consumers' group coordinators over the brokers); KAFKA_PROXIED_PORT
# and KAFKA_PROXIED_ADVERTISED (host:port), together: a second listener on that port whose
# metadata names the advertised address instead, where a test puts a proxy (a slow link).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KAFKA_SRC="$TG_ROOT/scripts/kafka"

KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-60}"

HOST="${KAFKA_BOOTSTRAP%:*}"
PORT="${KAFKA_BOOTSTRAP##*:}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
# Set by `cluster` for each node it runs; a plain broker is node 1 of a one-voter quorum.
NODE_ID="${KAFKA_NODE_ID:-1}"
VOTERS="${KAFKA_NODE_VOTERS:-1@$HOST:$CONTROLLER_PORT}"
NODE_RF="${KAFKA_NODE_RF:-1}"
NODE_RACK="${KAFKA_NODE_RACK:-}"
NODE_SELECTOR="${KAFKA_NODE_SELECTOR:-}"

DIST="$KAFKA_HOME_CACHE/dist-$KAFKA_VERSION"
LIBS="$DIST/libs"
STAMP="$DIST/.complete"
RUN="$KAFKA_HOME_CACHE/run-$PORT"
DATA="$RUN/data"
LOGS="$RUN/logs"
CONF="$RUN/server.properties"
CLIENT_CONF="$RUN/client.properties"
PIDFILE="$RUN/kafka.pid"


case "$HOST" in
  127.*|localhost) ;;
  *) die "KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP: this broker only listens on loopback" ;;
esac
[[ "$PORT" =~ ^[0-9]+$ && "$CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die "bad port in KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP"

java_bin() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "java not found (Kafka 4 needs Java 17 or newer)"
  fi
}
JAVA="$(java_bin)"

# The stamp names the version and the pom's hash: editing the pom refetches.
stamp_value() {
  echo "$KAFKA_VERSION $(sha256sum "$KAFKA_SRC/pom.xml" | cut -d' ' -f1)"
}

# Download the broker and tool jars once; afterwards a cache hit costs no network.
ensure_jars() {
  local want
  want="$(stamp_value)"
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: it fetches the Kafka jars from Maven Central"
  mkdir -p "$KAFKA_HOME_CACHE"
  # Serialise concurrent first runs (e.g. two test packages starting brokers at once).
  exec 8>"$KAFKA_HOME_CACHE/.fetch.lock"
  flock -w 600 8 || die "timed out waiting for another fetch of the Kafka jars"
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    exec 8>&-
    return 0
  fi
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central (first run only)"
  local tmp
  tmp="$(mktemp -d "$KAFKA_HOME_CACHE/.fetch-XXXXXX")"
  # Maven's output is kept out of the way and shown only when it fails.
  # shellcheck disable=SC2086 # KAFKA_MVN_OPTS is a list of flags
  if ! mvn -B -f "$KAFKA_SRC/pom.xml" ${KAFKA_MVN_OPTS:-} \
      -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime \
      -DoutputDirectory="$tmp/libs" dependency:copy-dependencies >"$tmp/mvn.log" 2>&1; then
    tail -n 40 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "mvn could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  fi
  [ -f "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" ] || { rm -rf "$tmp"; die "kafka_2.13 jar missing after fetch"; }
  rm -rf "$DIST"
  mkdir -p "$DIST"
  mv "$tmp/libs" "$LIBS"
  rm -rf "$tmp"
  echo "$want" >"$STAMP"
  exec 8>&-
}

pid_of_ours() {
  # Prints the pid if the pid file names a live broker started with our config;
  # the cmdline check guards against a recycled pid.
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONF" || return 1
  echo "$pid"
}

new_cluster_id() {
  local id
  id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  # A leading '-' would be read as an option by the storage tool (1 id in 64).
  [ "${id:0:1}" = "-" ] && id="A${id:1}"
  echo "$id"
}

port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

render_config() {
  mkdir -p "$DATA" "$LOGS"
  sed -e "s|@HOST@|$HOST|g" -e "s|@PORT@|$PORT|g" \
      -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$DATA|g" \
      -e "s|@NODE_ID@|$NODE_ID|g" -e "s|@VOTERS@|$VOTERS|g" -e "s|@RF@|$NODE_RF|g" \
      -e "s|@OFFSETS_PARTITIONS@|${KAFKA_OFFSETS_PARTITIONS:-1}|g" \
      "$KAFKA_SRC/server.properties.in" >"$CONF"
  if [ -n "$NODE_RACK" ]; then
    echo "broker.rack=$NODE_RACK" >>"$CONF"
  fi
  if [ -n "${KAFKA_PROXIED_PORT:-}" ]; then
    [ -n "${KAFKA_PROXIED_ADVERTISED:-}" ] || die "KAFKA_PROXIED_PORT needs KAFKA_PROXIED_ADVERTISED (host:port of the proxy)"
    # Clients that bootstrap through the proxy are told the proxy's address for every
    # broker, so all their traffic goes through it; the PLAINTEXT listener is unchanged.
    sed -i -e "s|^listeners=.*|&,PROXIED://$HOST:$KAFKA_PROXIED_PORT|" \
      -e "s|^advertised.listeners=.*|&,PROXIED://$KAFKA_PROXIED_ADVERTISED|" \
      -e "s|^listener.security.protocol.map=.*|&,PROXIED:PLAINTEXT|" "$CONF"
  fi
  if [ -n "$NODE_SELECTOR" ]; then
    # KIP-392: a consumer that sends client.rack is told to fetch from a replica in its rack.
    echo "replica.selector.class=$NODE_SELECTOR" >>"$CONF"
  fi
  # Short client timeouts: a readiness probe must fail fast, not after the 60 s default.
  cat >"$CLIENT_CONF" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# Run a Kafka tool class: small heap and client JIT only, since tools live a second or two.
run_tool() {
  local cls="$1"; shift
  ensure_jars
  exec "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2-tools.properties" \
    -cp "$LIBS/*" "$cls" "$@"
}

tool_class() {
  case "$1" in
    topics) echo org.apache.kafka.tools.TopicCommand ;;
    console-producer) echo org.apache.kafka.tools.ConsoleProducer ;;
    console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
    delete-records) echo org.apache.kafka.tools.DeleteRecordsCommand ;;
    api-versions) echo org.apache.kafka.tools.BrokerApiVersionsCommand ;;
    cluster) echo org.apache.kafka.tools.ClusterTool ;;
    configs) echo kafka.admin.ConfigCommand ;;
    storage) echo kafka.tools.StorageTool ;;
    *) echo "$1" ;;
  esac
}

# Ready = the broker finished start-up and answers a metadata request (list topics).
broker_answers() {
  local budget="$1"
  timeout "$budget" "$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2-tools.properties" -cp "$LIBS/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" \
    --command-config "$CLIENT_CONF" --list >/dev/null 2>&1
}

wait_ready() {
  local pid="$1" started_here="$2" deadline=$((SECONDS + KAFKA_READY_TIMEOUT)) remaining
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker process $pid exited during start-up; last lines of its log:"
      tail -n 40 "$LOGS/server.log" "$LOGS/stdout.log" >&2 2>/dev/null || true
      rm -f "$PIDFILE"
      exit 1
    fi
    # Each probe is capped by what is left of the deadline, so the bound holds.
    remaining=$((deadline - SECONDS))
    [ "$remaining" -gt 20 ] && remaining=20
    [ "$remaining" -lt 1 ] && remaining=1
    if port_open "$PORT" && grep -q 'Kafka Server started' "$LOGS/server.log" 2>/dev/null \
        && broker_answers "$remaining"; then
      return 0
    fi
    sleep 0.5
  done
  log "broker did not answer on $KAFKA_BOOTSTRAP within ${KAFKA_READY_TIMEOUT}s; last lines of $LOGS/server.log:"
  tail -n 40 "$LOGS/server.log" >&2 2>/dev/null || true
  # A failed start leaves nothing half-running behind (data is kept for a look).
  [ "$started_here" = yes ] && stop_broker
  exit 1
}

start_broker() {
  ensure_jars
  local pid
  if pid="$(pid_of_ours)"; then
    wait_ready "$pid" no
    return 0
  fi
  rm -f "$PIDFILE"
  if port_open "$PORT" || port_open "$CONTROLLER_PORT"; then
    die "port $PORT or $CONTROLLER_PORT on $HOST is taken by another process (not our broker)"
  fi
  render_config
  if [ ! -f "$DATA/meta.properties" ]; then
    # Cluster ids are 16 random bytes in URL-safe base64 without padding, as Kafka's
    # random-uuid prints; making one here saves a JVM start.
    local cluster_id="${KAFKA_NODE_CLUSTER_ID:-}"
    [ -n "$cluster_id" ] || cluster_id="$(new_cluster_id)"
    log "formatting new storage in $DATA (cluster id $cluster_id)"
    "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2-tools.properties" -cp "$LIBS/*" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" >"$LOGS/format.log" 2>&1 \
      || { cat "$LOGS/format.log" >&2; die "storage format failed"; }
  fi
  log "starting broker on $KAFKA_BOOTSTRAP (controller $HOST:$CONTROLLER_PORT), logs in $LOGS"
  # setsid: the broker outlives the shell (or make) that started it, and a Ctrl-C there.
  # Our lock descriptors are closed for it, or it would hold the lock for its lifetime.
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of flags
  nohup setsid "$JAVA" $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkafka.logs.dir="$LOGS" -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2-broker.properties" \
    -cp "$LIBS/*" kafka.Kafka "$CONF" >"$LOGS/stdout.log" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$PIDFILE"
  # A cluster node cannot be ready before a majority of its quorum runs: `cluster up`
  # launches every node first, then waits for each.
  [ "${KAFKA_NODE_NO_WAIT:-}" = 1 ] && return 0
  wait_ready "$pid" yes
  log "ready after ${SECONDS}s"
}

stop_broker() {
  local pid
  if ! pid="$(pid_of_ours)"; then
    rm -f "$PIDFILE"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "no clean exit within ${KAFKA_STOP_TIMEOUT}s, killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
}

# Lifecycle commands for one port run one at a time.
lock_run() {
  mkdir -p "$KAFKA_HOME_CACHE"
  exec 9>"$KAFKA_HOME_CACHE/.lock-$PORT"
  flock -w 180 9 || die "timed out waiting for another kafka.sh on port $PORT"
}

# ---- cluster: N nodes, each a single-broker run of this script on its own ports ----

CLUSTER_FILE="$KAFKA_HOME_CACHE/cluster-$PORT"

cluster_nodes() {
  [ -f "$CLUSTER_FILE" ] || die "no cluster kept for $KAFKA_BOOTSTRAP (start one with: kafka.sh cluster up N)"
  sed -n 's/^nodes=//p' "$CLUSTER_FILE"
}

cluster_bootstrap() {
  local n="$1" i list=""
  for ((i = 1; i <= n; i++)); do
    list="${list:+$list,}$HOST:$((PORT + 2 * (i - 1)))"
  done
  echo "$list"
}

# Runs this script as node i of an n-node cluster (environment only; the CLI is the plain one).
cluster_node() {
  local n="$1" i="$2"; shift 2
  local racks voters="" j selector
  read -r -a racks <<<"${KAFKA_RACKS:-az1 az2 az3}"
  for ((j = 1; j <= n; j++)); do
    voters="${voters:+$voters,}$j@$HOST:$((PORT + 2 * (j - 1) + 1))"
  done
  selector="${KAFKA_REPLICA_SELECTOR:-org.apache.kafka.common.replica.RackAwareReplicaSelector}"
  [ "$selector" = leader ] && selector=""
  KAFKA_BOOTSTRAP="$HOST:$((PORT + 2 * (i - 1)))" KAFKA_CONTROLLER_PORT="$((PORT + 2 * (i - 1) + 1))" \
    KAFKA_NODE_ID="$i" KAFKA_NODE_VOTERS="$voters" KAFKA_NODE_RF="$((n < 3 ? n : 3))" \
    KAFKA_NODE_RACK="${racks[$(((i - 1) % ${#racks[@]}))]}" KAFKA_NODE_SELECTOR="$selector" \
    KAFKA_NODE_CLUSTER_ID="$(sed -n 's/^id=//p' "$CLUSTER_FILE")" \
    "$0" "$@"
}

cluster_cmd() {
  local sub="${1:-}" n i
  [ $# -gt 0 ] && shift
  case "$sub" in
    up)
      n="${1:-3}"
      [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 && "$n" -le 9 ]] || die "usage: kafka.sh cluster up N (1 to 9 nodes)"
      if [ -f "$CLUSTER_FILE" ] && [ "$(cluster_nodes)" != "$n" ]; then
        die "a cluster of $(cluster_nodes) nodes is kept for $KAFKA_BOOTSTRAP: kafka.sh cluster down first"
      fi
      mkdir -p "$KAFKA_HOME_CACHE"
      [ -f "$CLUSTER_FILE" ] || printf 'nodes=%s\nid=%s\n' "$n" "$(new_cluster_id)" >"$CLUSTER_FILE"
      for ((i = 1; i <= n; i++)); do
        KAFKA_NODE_NO_WAIT=1 cluster_node "$n" "$i" start >/dev/null
      done
      for ((i = 1; i <= n; i++)); do
        cluster_node "$n" "$i" start >/dev/null
      done
      cluster_bootstrap "$n"
      ;;
    start)
      n="$(cluster_nodes)"
      cluster_cmd up "$n"
      ;;
    stop|down)
      n="$(cluster_nodes)"
      # All at once: the last node stopped alone waits for a quorum that is already gone.
      local pids=() rc=0
      for ((i = 1; i <= n; i++)); do
        cluster_node "$n" "$i" "$sub" &
        pids+=("$!")
      done
      for i in "${pids[@]}"; do
        wait "$i" || rc=1
      done
      [ "$rc" = 0 ] || die "a node did not stop; see the lines above"
      if [ "$sub" = down ]; then
        rm -f "$CLUSTER_FILE"
      fi
      ;;
    status)
      n="$(cluster_nodes)"
      local rc=0
      for ((i = 1; i <= n; i++)); do
        cluster_node "$n" "$i" status || rc=1
      done
      return "$rc"
      ;;
    bootstrap)
      cluster_bootstrap "$(cluster_nodes)"
      ;;
    *)
      die "usage: kafka.sh cluster up N | start | stop | down | status | bootstrap"
      ;;
  esac
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  cluster)
    cluster_cmd "$@"
    ;;
  up|start)
    # `start` is `up` on kept data; both are idempotent and print the address last.
    lock_run
    start_broker
    echo "$KAFKA_BOOTSTRAP"
    ;;
  stop)
    lock_run
    stop_broker
    ;;
  down)
    lock_run
    stop_broker
    rm -rf "$RUN"
    log "stopped, data removed"
    ;;
  status)
    if pid="$(pid_of_ours)"; then
      echo "running (pid $pid) on $KAFKA_BOOTSTRAP"
    else
      echo "not running"
      exit 1
    fi
    ;;
  topics|topics-cli)
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"
    ;;
  tool)
    [ $# -ge 1 ] || die "usage: kafka.sh tool NAME|CLASS ARGS..."
    cls="$(tool_class "$1")"
    shift
    run_tool "$cls" "$@"
    ;;
  fetch)
    ensure_jars
    echo "$LIBS"
    ;;
  classpath)
    ensure_jars
    echo "$LIBS/*"
    ;;
  bootstrap)
    echo "$KAFKA_BOOTSTRAP"
    ;;
  logs)
    tail -n "${1:-100}" "$LOGS/server.log"
    ;;
  *)
    # The header comment above is the usage text.
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2
    ;;
esac
