#!/usr/bin/env python3
"""How many connections N authorizer-like consumers hold to each broker (docs/capacity.md).

Each consumer is a librdkafka client with the authorizer's settings (authorizer/src/stream/
kafka.rs and consumer.rs): a fresh group.id, assign() of every partition from the beginning,
poll, and a high-watermark check every --check-interval seconds. The check is
`query` (a ListOffsets request to the partition leader, what the authorizer's
fetch_watermarks does today) or `cached` (the watermark the last fetch response carried, no
request). With --racks each consumer sends client.rack, the racks given in turn.

After --settle seconds (longer than connections.max.idle.ms, so bootstrap connections that
idle out are gone) it counts this process's established TCP connections per broker port with
`ss` and prints one Markdown table row. With --freeze S it then stops itself for S seconds
(SIGSTOP, resumed by a child: every thread stands still, as in a frozen Lambda environment),
polls for --after seconds more and prints how many of the connections are the same sockets
as before the freeze and how many are new.

Needs the confluent-kafka package (it bundles librdkafka; use the version whose librdkafka
matches the crate's rdkafka-sys), e.g.
  python3 -m venv ~/.cache/team-gateway/py-capacity
  ~/.cache/team-gateway/py-capacity/bin/pip install confluent-kafka==2.12.1
and a cluster: KAFKA_BOOTSTRAP=127.0.0.1:59090 scripts/kafka.sh cluster up 3.
"""

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, libversion


def authorizer_config(brokers, rack):
    c = {
        # kafka.rs client_config
        "bootstrap.servers": brokers,
        "client.id": "gateway-authorizer",
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 5000,
        "socket.connection.setup.timeout.ms": 10000,
        "connections.max.idle.ms": 60000,
        "topic.metadata.refresh.interval.ms": 300000,
        # consumer.rs connect
        "group.id": "gateway-authz-capacity-%08x" % random.getrandbits(32),
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "fetch.wait.max.ms": 100,
        "fetch.error.backoff.ms": 100,
    }
    if rack:
        c["client.rack"] = rack
    return c


def sockets(ports):
    """This process's established connections to the given ports: {(local, peer)}."""
    out = subprocess.run(["ss", "-tnpH", "state", "established"], capture_output=True,
                         text=True, check=True).stdout
    mine = "pid=%d," % os.getpid()
    found = set()
    for line in out.splitlines():
        fields = line.split()
        m = re.search(r":(\d+)$", fields[3]) if mine in line else None
        if m and int(m.group(1)) in ports:
            found.add((fields[2], fields[3]))
    return found


def run_for(consumers, seconds, interval, cached, next_check):
    """Polls every consumer and checks watermarks as the authorizer does; returns failures."""
    failures = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        for i, c in enumerate(consumers):
            c.poll(0)
            if now >= next_check[i]:
                next_check[i] = now + interval
                try:
                    c.get_watermark_offsets(c.assignment()[0], timeout=2.0, cached=cached)
                except Exception:  # a cached value may not exist before the first fetch
                    failures += 1
        time.sleep(0.05)
    return failures


def connections_per_port(ports):
    """Established connections of this process to each of the given local ports."""
    out = subprocess.run(["ss", "-tnpH", "state", "established"], capture_output=True,
                         text=True, check=True).stdout
    mine = "pid=%d," % os.getpid()
    counts = {p: 0 for p in ports}
    for line in out.splitlines():
        if mine not in line:
            continue
        fields = line.split()
        # Recv-Q Send-Q Local Peer Process (state is filtered, so not printed)
        peer = fields[3]
        m = re.search(r":(\d+)$", peer)
        if m and int(m.group(1)) in counts:
            counts[int(m.group(1))] += 1
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brokers", default=os.environ.get("KAFKA_BROKERS", "127.0.0.1:59090"))
    ap.add_argument("--topic", default="gateway-policy.v1")
    ap.add_argument("--consumers", type=int, default=240)
    ap.add_argument("--racks", default="", help="comma-separated client.rack values, in turn")
    ap.add_argument("--watermarks", choices=["query", "cached"], default="query")
    ap.add_argument("--check-interval", type=float, default=2.0)
    ap.add_argument("--settle", type=float, default=75.0)
    ap.add_argument("--freeze", type=float, default=0.0)
    ap.add_argument("--after", type=float, default=5.0)
    ap.add_argument("--label", default="")
    args = ap.parse_args()

    racks = [r for r in args.racks.split(",") if r]
    ports = [int(b.rsplit(":", 1)[1]) for b in args.brokers.split(",")]
    consumers = []
    for i in range(args.consumers):
        c = Consumer(authorizer_config(args.brokers, racks[i % len(racks)] if racks else None))
        c.assign([TopicPartition(args.topic, 0, OFFSET_BEGINNING)])
        consumers.append(c)

    cached = args.watermarks == "cached"
    start = time.monotonic()
    next_check = [start + random.random() * args.check_interval for _ in consumers]
    failures = run_for(consumers, args.settle, args.check_interval, cached, next_check)
    counts = connections_per_port(ports)
    total = sum(counts.values())
    cells = " | ".join(str(counts[p]) for p in ports)
    print("| %s | %d | %s | %s | %s | %d | %.2f |" % (
        args.label or "-", args.consumers, ",".join(racks) or "none", args.watermarks,
        cells, total, total / args.consumers), flush=True)
    print("librdkafka %s; %d watermark checks failed" % (libversion()[0], failures),
          file=sys.stderr)
    if args.freeze > 0:
        before = sockets(ports)
        subprocess.Popen(["sh", "-c", "sleep %s; kill -CONT %d" % (args.freeze, os.getpid())])
        os.kill(os.getpid(), signal.SIGSTOP)
        for i in range(len(next_check)):
            next_check[i] = 0.0
        run_for(consumers, args.after, args.check_interval, cached, next_check)
        after = sockets(ports)
        print("freeze %.0f s: %d connections before, %d after: %d the same sockets, %d new" % (
            args.freeze, len(before), len(after), len(before & after), len(after - before)),
            flush=True)
    for c in consumers:
        c.close()


if __name__ == "__main__":
    main()
