// The policy consumer against a real broker (scripts/kafka.sh): catch-up swaps the view in
// whole, later events arrive, rejected records are logged and counted and change nothing,
// signed mode holds, and an unreachable Kafka never denies nor delays past the budget.
import assert from "node:assert/strict";
import { test } from "node:test";

import type { LogLevel, StreamConfig } from "../src/config.js";
import { compact, type Out } from "../src/json.js";
import { TopicReader } from "../src/stream/kafka.js";
import { LiveStream, type Sink } from "../src/stream/live.js";
import { createTopic, KAFKA_BOOTSTRAP, produce, skipKafka } from "./kafka.js";
import { baked, client, eventValue, publisherKey } from "./stream-records.js";

function config(topic: string, brokers = KAFKA_BOOTSTRAP): StreamConfig {
  return { brokers, mskClusterArn: undefined, topic, auth: "plaintext", groupPrefix: "authz-ts-test", username: undefined, password: undefined, maxStalenessMs: 1000n, syncBudgetMs: 50n, tombstoneRetentionMs: 86_400_000n };
}

function recorder(): Sink & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (level: LogLevel, line: Record<string, Out>) => lines.push(compact({ ...line, level })),
    metric: (record: Out) => lines.push(compact(record)),
  };
}

const k = (s: string): Buffer => Buffer.from(s);

test("catch-up, live events, rejections logged and counted", { skip: skipKafka }, async () => {
  const topic = await createTopic("authz-ts-live");
  await produce(topic, [
    [k("client/a"), eventValue("client", "a", 2, "upsert", client("a", "suspended"))],
    [k("client/b"), k("garbage")],
    [k("client/c"), eventValue("client", "c", 3, "upsert", client("c"))],
  ]);
  const sink = recorder();
  const live = new LiveStream(config(topic), "debug", baked(1, [client("a"), client("b")]), sink);
  assert.equal(live.view()?.client("a")?.active, true, "the baked view serves at once");
  live.start((c) => TopicReader.connect(c));
  try {
    assert.ok(await live.waitFor(() => live.stats.caughtUp, 30_000), "caught up");
    assert.equal(live.view()?.client("a")?.active, false);
    assert.equal(live.view()?.client("c")?.active, true);
    assert.equal(live.view()?.client("b")?.active, true, "the garbage record changed nothing");
    assert.equal(live.stats.revision, 3n);
    assert.equal(live.stats.rejected.get("malformed"), 1);
    const rejected = sink.lines.find((l) => l.includes('"policy event rejected"'));
    assert.ok(rejected !== undefined && rejected.includes('"offset":1') && rejected.includes('"reason":"malformed"') && rejected.includes(`"topic":"${topic}"`), rejected);
    assert.ok(sink.lines.some((l) => l.includes('"PolicyEventsRejected":1.0') && l.includes('"Rejection":"malformed"')));
    assert.ok(sink.lines.some((l) => l.includes('"policy stream caught up"')));
    assert.deepEqual(await live.ensureFresh().then((f) => f.stale), false);
    await produce(topic, [[k("client/b"), eventValue("client", "b", 4, "delete", undefined)]]);
    assert.ok(await live.waitFor(() => live.stats.revision === 4n, 30_000), "a later event arrives");
    assert.equal(live.view()?.client("b"), undefined);
  } finally {
    live.stop();
  }
});

test("signed mode: only the portal's records apply; the stream cannot bring its own key", { skip: skipKafka }, async () => {
  const portal = publisherKey("portal");
  const evil = publisherKey("evil");
  const topic = await createTopic("authz-ts-signed");
  await produce(topic, [
    [k("client/a"), eventValue("client", "a", 2, "upsert", client("a", "active", ["s", "admin"]))],
    [k("publisher/evil"), eventValue("publisher", "evil", 3, "upsert", { kid: "evil", jwk: evil.jwk }, evil)],
    [k("client/a"), eventValue("client", "a", 4, "upsert", client("a", "active", ["s", "admin"]), evil)],
    [k("client/a"), null],
    [k("client/b"), eventValue("client", "b", 5, "upsert", client("b"), portal)],
  ]);
  const live = new LiveStream(config(topic), "info", baked(1, [client("a")], [portal]), recorder());
  live.start((c) => TopicReader.connect(c));
  try {
    assert.ok(await live.waitFor(() => live.stats.caughtUp, 30_000));
    assert.deepEqual([...(live.view()?.client("a")?.scopes ?? [])], ["s"], "no hostile record changed client a");
    assert.equal(live.view()?.publisher("evil"), undefined);
    assert.equal(live.view()?.client("b")?.active, true);
    assert.deepEqual(Object.fromEntries(live.stats.rejected), { unsigned: 2, bad_signature: 2 });
  } finally {
    live.stop();
  }
});

test("Kafka unreachable: decisions wait at most the budget, then never wait, and serve the baked view", { skip: skipKafka }, async () => {
  const sink = recorder();
  // A port nothing listens on: every connection is refused.
  const live = new LiveStream({ ...config("t", "127.0.0.1:1"), maxStalenessMs: 60_000n }, "info", baked(1, [client("a")]), sink);
  live.start((c) => TopicReader.connect(c));
  try {
    const first = await live.ensureFresh();
    assert.equal(first.stale, true);
    assert.equal(live.view()?.client("a")?.active, true, "the baked view still decides");
    assert.ok(await live.waitFor(() => sink.lines.some((l) => l.includes("policy topic metadata unavailable")), 30_000), sink.lines.join("\n"));
    // A failure is known now: the next decision does not wait for the budget.
    const started = performance.now();
    const second = await live.ensureFresh();
    assert.equal(second.stale, true);
    assert.ok(performance.now() - started < 50, "no wait while Kafka is known to be down");
  } finally {
    live.stop();
  }
});
