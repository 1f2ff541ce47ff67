// The policy consumer against a real broker (scripts/kafka.sh): catch-up swaps the view in
// whole, later events arrive, rejected records are logged and counted and change nothing,
// signed mode holds (the stream's state served only with a fresh checkpoint), and an unreachable Kafka never denies nor delays past the budget.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import type { LogLevel, StreamConfig } from "../src/config.js";
import { compact, type Out } from "../src/json.js";
import { checkTimeoutMs, TopicReader } from "../src/stream/kafka.js";
import type { KafkaRecordRead, Reader } from "../src/stream/kafka-types.js";
import { gate, LiveStream, missedAfterWait, type Gate, type GateState, type Sink } from "../src/stream/live.js";
import { createTopic, KAFKA_BOOTSTRAP, produce, skipKafka } from "./kafka.js";
import { CHECKPOINT_KEY } from "../src/stream/checkpoint.js";
import { baked, checkpointValue, client, eventValue, publisherKey } from "./stream-records.js";

function config(topic: string, brokers = KAFKA_BOOTSTRAP): StreamConfig {
  return { brokers, mskClusterArn: undefined, topic, auth: "plaintext", groupPrefix: "authz-ts-test", username: undefined, password: undefined, maxStalenessMs: 1000n, syncBudgetMs: 50n, tombstoneRetentionMs: 86_400_000n, checkpointMaxAgeS: 86_400n };
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

test("signed mode: only the portal's records apply, the stream cannot bring its own key, and its state is served only with a fresh checkpoint", { skip: skipKafka }, async () => {
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
  const sink = recorder();
  const live = new LiveStream(config(topic), "info", baked(1, [client("a"), client("c")], [portal]), sink);
  live.start((c) => TopicReader.connect(c));
  try {
    assert.ok(await live.waitFor(() => live.stats.caughtUp, 30_000));
    // No checkpoint yet: the baked policy without the attacked key, flagged stale.
    assert.equal(live.stats.unanchored, true);
    assert.equal(live.view()?.client("b"), undefined, "the stream's state is not served");
    assert.equal(live.view()?.client("a"), undefined, "client a had forged records");
    assert.equal(live.view()?.client("c")?.active, true, "the rest of the baked policy decides");
    assert.deepEqual(live.stats.withheld, [["client/a", "suspect_without_fresh_checkpoint"], ["publisher/evil", "suspect_without_fresh_checkpoint"]]);
    assert.equal((await live.ensureFresh()).stale, true);
    assert.ok(sink.lines.some((l) => l.includes("policy stream not served: no checkpoint younger than AUTHZ_CHECKPOINT_MAX_AGE_S") && l.includes('"level":"error"')), sink.lines.join("\n"));
    assert.ok(sink.lines.some((l) => l.includes('"PolicyStreamUnanchored":1') && l.includes('"PolicyEntitiesWithheld":2')), sink.lines.join("\n"));
    // The portal's checkpoint, signed now: the stream's state is served. It lists the
    // portal's whole state: the baked document (revision 1) and client b.
    await produce(topic, [[k(CHECKPOINT_KEY), checkpointValue(portal, 5, [["client/a", 1], ["client/c", 1], ["publisher/portal", 1], ["client/b", 5]], new Date().toISOString())]]);
    assert.ok(await live.waitFor(() => !live.stats.unanchored, 30_000), "a fresh checkpoint anchors the replay");
    assert.deepEqual([...(live.view()?.client("a")?.scopes ?? [])], ["s"], "no hostile record changed client a");
    assert.equal(live.view()?.publisher("evil"), undefined);
    assert.equal(live.view()?.client("b")?.active, true);
    assert.deepEqual(live.stats.withheld, []);
    assert.equal(live.stats.checkpoint, 5n);
    assert.deepEqual(Object.fromEntries(live.stats.rejected), { unsigned: 2, bad_signature: 2 });
    assert.ok(await live.waitFor(() => sink.lines.some((l) => l.includes('"PolicyStreamUnanchored":0')), 5_000), sink.lines.join("\n"));
    const after = await live.ensureFresh();
    assert.equal(after.stale, false);
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

/** Decisions at `gaps` (ms apart) against a topic that never answers: every decision that
 *  waits sits out the whole budget. Returns when each waiting decision was asked. */
function waitsWhileKafkaNeverAnswers(gaps: readonly number[], maxMs: number, budgetMs: number): number[] {
  let state: GateState = { caughtUp: true, lastFresh: 0, lastFailure: undefined, lastMissed: undefined };
  let now = maxMs + 1;
  const waited: number[] = [];
  for (const gap of gaps) {
    now += gap;
    const rule = gate(state, now, maxMs);
    assert.notEqual(rule, "fresh", `fresh at ${now} ms`);
    if (rule === "wait") {
      waited.push(now);
      now += budgetMs;
      // No check succeeds while Kafka does not answer.
      if (missedAfterWait(state.lastFresh, false, now, maxMs)) state = { ...state, lastMissed: now };
    }
  }
  return waited;
}

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const ms = (v: number | null): number | undefined => (v === null ? undefined : v);

test("the shared freshness cases hold (the Rust build runs the same file)", () => {
  const doc = JSON.parse(readFileSync(`${repo}authorizer/src/stream/testdata/freshness-gate.json`, "utf8")) as {
    gate: { name: string; caught_up: boolean; last_fresh_ms: number | null; last_failure_ms: number | null; last_missed_ms: number | null; now_ms: number; max_staleness_ms: number; gate: Gate }[];
    wait_ended: { name: string; last_fresh_ms: number | null; now_ms: number; max_staleness_ms: number; fresh: boolean; missed: boolean }[];
  };
  assert.equal(doc.gate.length, 250);
  for (const c of doc.gate) {
    const state: GateState = { caughtUp: c.caught_up, lastFresh: ms(c.last_fresh_ms), lastFailure: ms(c.last_failure_ms), lastMissed: ms(c.last_missed_ms) };
    assert.equal(gate(state, c.now_ms, c.max_staleness_ms), c.gate, c.name);
  }
  assert.equal(doc.wait_ended.length, 8);
  for (const c of doc.wait_ended) assert.equal(missedAfterWait(ms(c.last_fresh_ms), c.fresh, c.now_ms, c.max_staleness_ms), c.missed, c.name);
});

test("a wait during which a check succeeded is no miss: the next decision past the bound waits again", () => {
  // The check begun at 1990 ms succeeds during the wait of the decision at 2000 ms (too
  // early to count for it); the one that decision asked for does not finish in the budget.
  assert.equal(missedAfterWait(1990, false, 2050, 1000), false);
  assert.equal(gate({ caughtUp: true, lastFresh: 1990, lastFailure: undefined, lastMissed: undefined }, 3000, 1000), "wait");
  // Without a check confirming the view within the bound, the same wait is a miss.
  assert.equal(missedAfterWait(1990, false, 3050, 1000), true);
  assert.equal(gate({ caughtUp: true, lastFresh: 1990, lastFailure: undefined, lastMissed: 3050 }, 3100, 1000), "stale-now");
});

test("a check waits the staleness bound and at least two seconds, as in the Rust build", () => {
  assert.equal(checkTimeoutMs(50n), 2000);
  assert.equal(checkTimeoutMs(1000n), 2000);
  assert.equal(checkTimeoutMs(10_000n), 10_000);
  assert.equal(checkTimeoutMs(2n ** 63n), 2 ** 31 - 1);
});

test("a decision that sat out the budget spares the next ones the wait", () => {
  // 1 s bound, 50 ms budget, a decision every 10 ms for 3 s: one wait a second.
  assert.deepEqual(waitsWhileKafkaNeverAnswers(new Array<number>(300).fill(10), 1000, 50).length, 3);
  // Before the stream caught up once, no decision waits at all.
  assert.equal(gate({ caughtUp: false, lastFresh: undefined, lastFailure: undefined, lastMissed: undefined }, 5, 1000), "stale-now");
});

test("while Kafka does not answer, at most one decision per staleness bound waits, and one waits once the bound has passed", () => {
  // A seeded generator: the same cases on every run (the Rust build's proptest is the same property).
  let seed = 0x9e3779b9;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  for (let c = 0; c < 500; c++) {
    const maxMs = 10 + next(1990);
    const budgetMs = 1 + next(499);
    const gaps = Array.from({ length: 1 + next(199) }, () => next(3000));
    const waited = waitsWhileKafkaNeverAnswers(gaps, maxMs, budgetMs);
    for (let i = 1; i < waited.length; i++) {
      assert.ok((waited[i] ?? 0) > (waited[i - 1] ?? 0) + budgetMs + maxMs, `case ${c}: ${waited.join(",")}`);
    }
    let now = maxMs + 1;
    let lastEnd: number | undefined;
    const waits = new Set(waited);
    for (const gap of gaps) {
      now += gap;
      if (waits.has(now)) {
        now += budgetMs;
        lastEnd = now;
      } else {
        assert.ok(lastEnd !== undefined && now - lastEnd <= maxMs, `case ${c}: the decision at ${now} ms did not wait`);
      }
    }
  }
});

test("records delivered again from before the offset asked for are not applied twice", async () => {
  const up = (offset: bigint, id: string, revision: number): KafkaRecordRead => ({ partition: 0, offset, timestampMs: 0n, key: k(`client/${id}`), value: eventValue("client", id, revision, "upsert", client(id, "suspended")) });
  const first = [up(0n, "a", 2), up(1n, "b", 3)];
  // The second answer starts over at offset 0, as a batch fetched from before the offset does.
  const answers = [first, [...first, up(2n, "c", 4)]];
  const fetchedFrom: bigint[] = [];
  const reader: Reader = {
    partitions: () => Promise.resolve([0]),
    fetch: (offsets) => {
      fetchedFrom.push(offsets.get(0) ?? -1n);
      const records = answers.shift() ?? [];
      const next = records.length === 0 ? (offsets.get(0) ?? 0n) : (records[records.length - 1]?.offset ?? 0n) + 1n;
      return Promise.resolve(new Map([[0, { records, next, high: answers.length === 0 && records.length === 0 ? next : next + 1n }]]));
    },
    close: () => Promise.resolve(),
  };
  const live = new LiveStream(config("t", "127.0.0.1:1"), "info", baked(1, [client("a")]), recorder());
  live.start(() => reader);
  try {
    assert.ok(await live.waitFor(() => live.stats.caughtUp, 5_000), `fetched from ${fetchedFrom.join(",")}`);
    assert.equal(live.view()?.client("c")?.active, false);
    assert.equal(live.stats.applied, 3);
    assert.deepEqual(Object.fromEntries(live.stats.rejected), {}, "no re-delivered record read as a stale replay");
  } finally {
    live.stop();
  }
});
