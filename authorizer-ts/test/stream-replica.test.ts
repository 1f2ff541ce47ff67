// The replica's apply rule, trust anchor and withholding, case for case with
// authorizer/src/stream/replica.rs, plus a model test: whatever a writer without keys sends,
// only content the portal signed is served, and a rebuild from offset 0 gives the live view.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CHECKPOINT_KEY, CHECKPOINT_TYP, isFresh } from "../src/stream/checkpoint.js";
import { Replica, type Applied, type Served } from "../src/stream/replica.js";
import { baked, checkpointValue, client, eventJson, eventValue, jws, publisherKey, type TestKey } from "./stream-records.js";

type Log = [string | null, Buffer | null][];
const b = (s: string): Buffer => Buffer.from(s);
const reasonOf = (a: Applied): string => (a.op === "rejected" ? a.reason : a.op);

/** The time the tests read records at (Unix seconds: 2027-01-15T08:00:00Z). */
const NOW = 1_800_000_000n;
const DAY = 86_400n;
/** Unix seconds as RFC 3339, as chrono's `to_rfc3339` writes them. */
const rfc3339 = (unix: bigint): string => new Date(Number(unix) * 1000).toISOString().replace(".000Z", "+00:00");
/** A checkpoint issued at `at` (now by default). */
const cpAt = (k: TestKey, revision: number, entities: [string, number][], at = NOW): Buffer => checkpointValue(k, revision, entities, rfc3339(at));

function servedOf(r: Replica): Served {
  const s = r.served();
  assert.ok(s !== undefined, "a baked policy");
  return s;
}

function replay(r: Replica, log: Log, now = NOW): Applied[] {
  return log.map(([k, v]) => r.apply(k === null ? null : b(k), v, now));
}

test("the stream cannot switch signed mode on: a publisher event in unsigned mode is refused", () => {
  const k = publisherKey("p");
  const r = new Replica(baked(1, [client("a")]));
  const out = r.apply(b("publisher/p"), eventValue("publisher", "p", 5, "upsert", { kid: "p", jwk: k.jwk }), NOW);
  assert.equal(reasonOf(out), "untrusted_publisher");
  assert.equal(r.signed, false);
  assert.equal(reasonOf(r.apply(b("client/evil"), eventValue("client", "evil", 6, "upsert", client("evil")), NOW)), "upsert", "unsigned mode stays unsigned");
});

test("the baked revision is the floor for keys the baked policy does not have", () => {
  const r = new Replica(baked(10, [client("a")]));
  assert.equal(reasonOf(r.apply(b("client/gone"), eventValue("client", "gone", 9, "upsert", client("gone")), NOW)), "stale_revision");
  assert.equal(r.applied()?.client("gone"), undefined);
  assert.equal(reasonOf(r.apply(b("client/gone"), eventValue("client", "gone", 11, "upsert", client("gone")), NOW)), "upsert");
  assert.equal(r.applied()?.revision, 11n);
});

test("revisions compare exactly: authz publish's Unix milliseconds, and beyond 2^53", () => {
  const r = new Replica(baked(1, [client("a")]));
  const at = (revision: string, status: "active" | "suspended"): Buffer => b(eventJson("client", "a", revision, "upsert", client("a", status)));
  assert.equal(reasonOf(r.apply(b("client/a"), at("1795000000123", "suspended"), NOW)), "upsert");
  assert.equal(reasonOf(r.apply(b("client/a"), at("1795000000122", "active"), NOW)), "stale_revision");
  assert.equal(reasonOf(r.apply(b("client/a"), at("9007199254740992", "suspended"), NOW)), "upsert");
  // 2^53 + 1 is 2^53 as a double: only an exact comparison sees it as newer.
  assert.equal(reasonOf(r.apply(b("client/a"), at("9007199254740993", "active"), NOW)), "upsert");
  assert.equal(r.revisionOf("client", "a"), 9007199254740993n);
  assert.equal(reasonOf(r.apply(b("client/a"), at("9007199254740993", "suspended"), NOW)), "stale_revision");
  assert.equal(r.applied()?.client("a")?.active, true);
});

test("with no baked policy there is no view until an event applies", () => {
  const r = new Replica(undefined);
  assert.equal(reasonOf(r.apply(b("client/a"), eventValue("client", "a", 0, "upsert", client("a")), NOW)), "malformed");
  assert.equal(r.applied(), undefined);
  assert.equal(reasonOf(r.apply(null, b("{}"), NOW)), "bad_key");
  assert.equal(reasonOf(r.apply(b("client/a"), eventValue("client", "a", 1, "upsert", client("a")), NOW)), "upsert");
  assert.equal(r.applied()?.client("a")?.active, true);
});

test("an invalid entity is refused and changes nothing", () => {
  const r = new Replica(baked(1, [client("a")]));
  assert.equal(reasonOf(r.apply(b("client/a"), eventValue("client", "a", 2, "upsert", { id: "a", status: "frozen" }), NOW)), "invalid_entity");
  assert.equal(r.applied()?.client("a")?.active, true);
  assert.equal(r.held("client", "a"), 1n);
});

test("signed mode refuses tombstones and plain JSON, and never switches off", () => {
  const k = publisherKey("p");
  const r = new Replica(baked(1, [], [k]));
  assert.equal(reasonOf(r.apply(b("publisher/p"), null, NOW)), "unsigned");
  assert.equal(reasonOf(r.apply(b("publisher/p"), eventValue("publisher", "p", 5, "delete", undefined, k), NOW)), "delete");
  assert.equal(reasonOf(r.apply(b("client/evil"), eventValue("client", "evil", 6, "upsert", client("evil")), NOW)), "unsigned");
  assert.equal(r.applied()?.client("evil"), undefined);
});

test("a tombstone keeps the revision floor", () => {
  const r = new Replica(undefined);
  const up = eventValue("client", "a", 5, "upsert", client("a"));
  assert.equal(reasonOf(r.apply(b("client/a"), up, NOW)), "upsert");
  assert.equal(reasonOf(r.apply(b("client/a"), null, NOW)), "tombstone");
  assert.equal(r.applied()?.client("a"), undefined);
  assert.equal(reasonOf(r.apply(b("client/a"), up, NOW)), "stale_revision");
});

test("a rotated publisher key signs from the stream, and a rebuild gives the live view", () => {
  const k1 = publisherKey("p1");
  const k2 = publisherKey("p2");
  const log: Log = [
    ["publisher/p2", eventValue("publisher", "p2", 2, "upsert", { kid: "p2", jwk: k2.jwk }, k1)],
    ["client/a", eventValue("client", "a", 3, "upsert", client("a", "suspended"), k2)],
    ["publisher/p1", eventValue("publisher", "p1", 4, "delete", undefined, k2)],
    ["client/b", eventValue("client", "b", 5, "upsert", client("b"), k1)],
  ];
  const live = new Replica(baked(1, [client("a")], [k1]));
  assert.deepEqual(replay(live, log).map(reasonOf), ["upsert", "upsert", "delete", "bad_signature"]);
  const rebuilt = new Replica(baked(1, [client("a")], [k1]));
  replay(rebuilt, log);
  assert.deepEqual(rebuilt.applied()?.documents("client"), live.applied()?.documents("client"));
  assert.equal(live.applied()?.client("a")?.active, false);
});

test("a hostile record compacted over a signed one withholds the entity", () => {
  const k = publisherKey("p");
  const full: Log = [
    ["client/a", eventValue("client", "a", 2, "upsert", client("a", "suspended"), k)],
    [CHECKPOINT_KEY, cpAt(k, 2, [["client/a", 2]])],
    ["client/a", b("garbage")],
  ];
  const live = new Replica(baked(1, [client("a")], [k]));
  replay(live, full);
  assert.deepEqual(live.served()?.withheld, []);
  assert.equal(live.served()?.view.client("a")?.active, false);
  for (const tail of [b("garbage"), null]) {
    const cold = new Replica(baked(1, [client("a")], [k]));
    replay(cold, [full[1] ?? [null, null], ["client/a", tail]]);
    assert.equal(cold.applied()?.client("a")?.active, true, "the applied view fell back to the baked client");
    const served = servedOf(cold);
    assert.equal(served.view.client("a"), undefined, "but it is not served");
    assert.deepEqual(served.withheld, [{ key: "client/a", because: { code: "behind_checkpoint", expected: 2n, held: 1n } }]);
  }
});

test("a baked entity the checkpoint does not list is withheld", () => {
  // The portal deleted client `gone` (baked active): its delete record was buried under
  // garbage and compacted away, so the portal's next checkpoint no longer lists the key.
  const k = publisherKey("p");
  const r = new Replica(baked(1, [client("gone"), client("kept")], [k]));
  replay(r, [
    ["client/gone", b("garbage")],
    ["client/kept", eventValue("client", "kept", 5, "upsert", client("kept"), k)],
  ]);
  assert.equal(r.apply(b(CHECKPOINT_KEY), cpAt(k, 7, [["client/kept", 5]]), NOW).op, "checkpoint");
  const served = servedOf(r);
  assert.equal(served.unanchored, false);
  assert.equal(served.view.client("gone"), undefined, "the deleted entity is back");
  assert.notEqual(served.view.client("kept"), undefined);
  assert.deepEqual(served.withheld, [{ key: "client/gone", because: { code: "not_in_checkpoint", checkpoint: 7n } }]);
  // A change newer than the checkpoint is served before the next checkpoint lists it.
  r.apply(b("client/new"), eventValue("client", "new", 8, "upsert", client("new"), k), NOW);
  assert.notEqual(servedOf(r).view.client("new"), undefined);
});

test("without a checkpoint, a key with only forged records is withheld", () => {
  const k = publisherKey("p");
  const evil = publisherKey("p");
  const r = new Replica(baked(1, [client("a"), client("b")], [k]));
  assert.equal(reasonOf(r.apply(b("client/a"), eventValue("client", "a", 9, "upsert", client("a"), evil), NOW)), "bad_signature");
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), null, NOW)), "unsigned");
  const served = servedOf(r);
  assert.equal(served.unanchored, true);
  assert.equal(served.view.client("a"), undefined);
  assert.notEqual(served.view.client("b"), undefined);
  assert.deepEqual(served.withheld, [{ key: "client/a", because: { code: "suspect_without_fresh_checkpoint" } }]);
});

test("a checkpoint survives a rebuild and a stale one is refused; unsigned mode trusts none", () => {
  const k = publisherKey("p");
  const r = new Replica(baked(1, [client("a")], [k]));
  const cp3 = cpAt(k, 3, [["client/a", 3]]);
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), cp3, NOW)), "checkpoint");
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), cpAt(k, 2, [["client/a", 2]]), NOW)), "stale_revision");
  r.reset();
  assert.equal(r.checkpoint()?.revision, 3n);
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), cp3, NOW)), "checkpoint");
  assert.equal(r.withheld().length, 1, "client/a is behind the checkpoint");
  assert.equal(reasonOf(new Replica(undefined).apply(b(CHECKPOINT_KEY), cp3, NOW)), "bad_signature");
});

/** The portal's history for `client/a` (baked suspended at revision 1): activated at
 *  revision 2 two days ago, suspended again at revision 3 now; each with its checkpoint. */
function rollbackHistory(k: TestKey): { bakedView: ReturnType<typeof baked>; old: Log; now: Log } {
  return {
    bakedView: baked(1, [client("a", "suspended")], [k]),
    old: [
      ["client/a", eventValue("client", "a", 2, "upsert", client("a", "active"), k)],
      [CHECKPOINT_KEY, cpAt(k, 2, [["client/a", 2]], NOW - 2n * DAY)],
    ],
    now: [
      ["client/a", eventValue("client", "a", 3, "upsert", client("a", "suspended"), k)],
      [CHECKPOINT_KEY, cpAt(k, 3, [["client/a", 3]])],
    ],
  };
}

test("a replayed older signed state is not served once its checkpoint expired", () => {
  const k = publisherKey("p");
  const { bakedView, old, now } = rollbackHistory(k);
  // Warm: it read the whole history live, then the replay: both replayed records are stale,
  // and the view stays suspended.
  const warm = new Replica(bakedView);
  replay(warm, old);
  replay(warm, now);
  assert.deepEqual(replay(warm, old).map(reasonOf), ["stale_revision", "stale_revision"]);
  const served = servedOf(warm);
  assert.equal(served.view.client("a")?.active, false);
  assert.equal(served.unanchored, false);
  // Cold, after compaction kept only the replayed records: a consistent signed state, two
  // days old. Before the freshness rule it was served (client active again).
  const cold = new Replica(bakedView);
  replay(cold, old);
  assert.equal(cold.applied()?.client("a")?.active, true);
  const coldServed = servedOf(cold);
  assert.equal(coldServed.unanchored, true, "no fresh checkpoint");
  assert.equal(coldServed.view.client("a")?.active, false, "the baked policy is served, not the replayed activation");
  // Within the maximum age the replay is indistinguishable from the portal's state: the
  // documented window.
  const lenient = new Replica(bakedView, 3n * DAY);
  replay(lenient, old);
  assert.equal(lenient.served()?.unanchored, false);
});

test("garbage and a replayed expired checkpoint withhold the attacked key", () => {
  const k = publisherKey("p");
  const { bakedView, old } = rollbackHistory(k);
  // Compaction left garbage on the client and the replayed older checkpoint.
  const cold = new Replica(bakedView);
  replay(cold, [["client/a", b("garbage")], old[1] ?? [null, null]]);
  const served = servedOf(cold);
  assert.equal(served.unanchored, true);
  assert.equal(served.view.client("a"), undefined, "neither baked nor stream");
  assert.deepEqual(served.withheld.map((w) => w.because.code), ["suspect_without_fresh_checkpoint"]);
});

test("an older checkpoint after a newer one is a suspect replay", () => {
  const k = publisherKey("p");
  const { bakedView, old, now } = rollbackHistory(k);
  const r = new Replica(bakedView);
  replay(r, now);
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), old[1]?.[1] ?? null, NOW)), "stale_revision");
  assert.ok(r.suspect.has(CHECKPOINT_KEY));
  assert.equal(reasonOf(r.apply(b("client/a"), old[0]?.[1] ?? null, NOW)), "stale_revision");
  assert.ok(r.suspect.has("client/a"), [...r.suspect].join());
  // A record at or below the baked floor is history, not a replay.
  const floor = new Replica(baked(5, [], [k]));
  floor.apply(b("client/a"), old[0]?.[1] ?? null, NOW);
  assert.equal(floor.suspect.size, 0);
});

test("a checkpoint must say when it was issued, and not be far ahead", () => {
  const k = publisherKey("p");
  const bakedView = baked(1, [], [k]);
  const undated = Buffer.from(jws(k.privateKey, { alg: "EdDSA", kid: k.kid, typ: CHECKPOINT_TYP }, JSON.stringify({ schema: "gateway-policy-checkpoint/v1", revision: 2, entities: {} })));
  const verdict = new Replica(bakedView).apply(b(CHECKPOINT_KEY), undated, NOW);
  assert.equal(reasonOf(verdict), "malformed");
  assert.ok(verdict.op === "rejected" && verdict.detail.includes("issued_at"), JSON.stringify(verdict));
  // Dated a day ahead (a portal clock gone wrong): kept as a floor, but not fresh.
  const r = new Replica(bakedView);
  const ahead = r.apply(b(CHECKPOINT_KEY), cpAt(k, 2, [], NOW + DAY), NOW);
  assert.ok(ahead.op === "checkpoint" && !ahead.fresh, JSON.stringify(ahead, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)));
  assert.equal(r.anchored(), false);
  assert.equal(r.checkpoint()?.revision, 2n);
});

test("a rebuild must find a fresh checkpoint again", () => {
  const k = publisherKey("p");
  const { bakedView, now } = rollbackHistory(k);
  const r = new Replica(bakedView);
  replay(r, now);
  assert.ok(r.anchored());
  // Frozen for two days, then rebuilt from offset 0 with no newer checkpoint.
  r.reset();
  replay(r, now, NOW + 2n * DAY);
  const served = servedOf(r);
  assert.equal(served.unanchored, true, "the kept checkpoint is a floor, not proof of freshness");
  assert.equal(served.view.revision, 1n, "the baked policy is served");
});

// ---- a rotation record copied to the end: records signed by the new key are retried ----

/** A portal rotating from `old` to `next`: the rotation record (signed by `old`), then
 *  changes and a checkpoint signed by `next`. Baked: `old` trusted, client a active. */
function rotationHistory(old: TestKey, next: TestKey): Log {
  return [
    ["publisher/new", eventValue("publisher", "new", 2, "upsert", { kid: "new", jwk: next.jwk }, old)],
    ["client/a", eventValue("client", "a", 3, "upsert", client("a", "suspended"), next)],
    ["client/b", eventValue("client", "b", 4, "upsert", client("b"), next)],
    [CHECKPOINT_KEY, cpAt(next, 4, [["publisher/new", 2], ["client/a", 3], ["client/b", 4]])],
  ];
}

const clientsOf = (r: Replica): unknown => servedOf(r).view.documents("client");

test("a rotation record copied to the end delays the new key's records and withholds nothing", () => {
  const old = publisherKey("old");
  const next = publisherKey("new");
  const log = rotationHistory(old, next);
  log.push(log[0] ?? [null, null]);
  const warm = new Replica(baked(1, [client("a")], [old]));
  assert.equal(reasonOf(replay(warm, log)[4] ?? { op: "tombstone", kind: "client", id: "" }), "stale_revision");
  // Compaction drops the original rotation record; the copy is last.
  const cold = new Replica(baked(1, [client("a")], [old]));
  assert.deepEqual(replay(cold, log.slice(1)).map(reasonOf), ["bad_signature", "bad_signature", "bad_signature", "upsert"]);
  const served = servedOf(cold);
  assert.equal(served.unanchored, false, "the retried checkpoint anchors the replay");
  assert.deepEqual(served.withheld, []);
  assert.deepEqual(clientsOf(cold), clientsOf(warm));
  assert.equal(served.view.client("a")?.active, false);
  assert.deepEqual(warm.retried, []);
  assert.deepEqual(
    cold.retried.map((r) => [r.position, r.key, reasonOf(r.outcome)]),
    [
      [0, "client/a", "upsert"],
      [1, "client/b", "upsert"],
      [2, CHECKPOINT_KEY, "checkpoint"],
    ],
  );
  assert.deepEqual(cold.pending(), { count: 0, bytes: 0 });
  cold.apply(b("client/zz"), b("garbage"), NOW);
  assert.deepEqual(cold.retried, [], "the next record's retries start empty");
});

test("a record forged under the new kid stays suspect once the key is learned", () => {
  const old = publisherKey("old");
  const next = publisherKey("new");
  const evil = publisherKey("new");
  const log = rotationHistory(old, next);
  const cold = new Replica(baked(1, [client("a")], [old]));
  replay(cold, [log[1] ?? [null, null], ["client/b", eventValue("client", "b", 9, "upsert", client("b"), evil)]]);
  assert.ok(cold.isSuspect("client/a") && cold.isSuspect("client/b"));
  assert.equal(cold.withheld().length, 2, "held records count as suspect until they verify");
  replay(cold, [log[0] ?? [null, null]]);
  assert.deepEqual(cold.retried.map((r) => reasonOf(r.outcome)), ["upsert", "bad_signature"]);
  assert.ok(!cold.isSuspect("client/a"), "it verified: the portal signed it");
  assert.ok(cold.isSuspect("client/b"));
  const served = servedOf(cold);
  assert.equal(served.unanchored, true);
  assert.deepEqual(served.withheld.map((w) => w.key), ["client/b"]);
});

test("a retried record is a replay only by its place in the log", () => {
  const old = publisherKey("old");
  const next = publisherKey("new");
  const a = (revision: number, by: TestKey): [string, Buffer] => ["client/a", eventValue("client", "a", revision, "upsert", client("a", "suspended"), by)];
  const learn: [string, Buffer] = ["publisher/new", eventValue("publisher", "new", 9, "upsert", { kid: "new", jwk: next.jwk }, old)];
  const fresh = (): Replica => new Replica(baked(1, [client("a")], [old]));
  let r = fresh();
  replay(r, [a(4, next), a(5, old), learn]);
  assert.equal(reasonOf(r.retried[0]?.outcome ?? { op: "tombstone", kind: "client", id: "" }), "stale_revision");
  assert.ok(!r.isSuspect("client/a"), "earlier in the log than the higher revision held: history");
  r = fresh();
  replay(r, [a(5, old), a(4, next), learn]);
  assert.equal(reasonOf(r.retried[0]?.outcome ?? { op: "tombstone", kind: "client", id: "" }), "stale_revision");
  assert.ok(r.isSuspect("client/a"), "later in the log than the higher revision held: a replay");
  r = fresh();
  replay(r, [a(5, next), a(4, old), learn]);
  assert.equal(r.retried[0]?.outcome.op, "upsert");
  assert.equal(r.revisionOf("client", "a"), 5n);
  assert.ok(r.isSuspect("client/a"), "the lower revision applied after it was the replay");
});

test("a key deleted before it is learned never releases its records; a rebuild holds nothing", () => {
  const old = publisherKey("old");
  const next = publisherKey("new");
  const log = rotationHistory(old, next);
  const r = new Replica(baked(1, [client("a")], [old]));
  const out = replay(r, [["publisher/new", eventValue("publisher", "new", 5, "delete", undefined, old)], log[1] ?? [null, null], log[0] ?? [null, null]]);
  assert.equal(reasonOf(out[2] ?? { op: "tombstone", kind: "client", id: "" }), "stale_revision");
  assert.deepEqual(r.retried, []);
  assert.ok(r.isSuspect("client/a"), "still held, never verified");
  assert.equal(r.pending().count, 1);
  r.reset();
  assert.deepEqual(r.pending(), { count: 0, bytes: 0 });
  assert.ok(!r.isSuspect("client/a"));
});

test("records held for a retry are bounded and the rest counted", () => {
  const old = publisherKey("old");
  const next = publisherKey("new");
  const log = rotationHistory(old, next);
  const one = "client/a".length + (log[1]?.[1]?.length ?? 0);
  const r = new Replica(baked(1, [client("a")], [old]), undefined, one);
  replay(r, log.slice(1));
  assert.deepEqual(r.pending(), { count: 1, bytes: one });
  assert.equal(r.pendingDropped, 2, "client/b and the checkpoint");
  replay(r, log.slice(0, 1));
  assert.equal(r.retried.length, 1);
  const served = servedOf(r);
  assert.equal(served.unanchored, true, "the checkpoint was not held");
  assert.deepEqual(served.withheld.map((w) => w.key), ["client/b"]);
  r.reset();
  replay(r, log.slice(1, 3));
  assert.equal(r.pending().count, 1, "a rebuild may hold again");
});

// ---- model: a portal that signs, a writer without keys, live / rebuilt / cold consumers ----

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The model's consumers' maximum checkpoint age, and its clock at the start. */
const MODEL_MAX_AGE_S = 100n;
const T0 = NOW;
const isJws = (v: Buffer | null): boolean => v !== null && v.toString("latin1").split(".").length === 3;

/** The log after compaction: the latest record of each key, in offset order. */
function compacted(log: Log): Log {
  const last = new Map<string | null, number>();
  log.forEach(([k], i) => last.set(k, i));
  return [...last.values()].sort((x, y) => x - y).map((i) => log[i] ?? [null, null]);
}

/** Clients and withheld keys: what a consumer decides on. */
function decidesOn(r: Replica): { clients: Map<string, string>; withheld: string[] } {
  const s = r.served();
  assert.ok(s !== undefined, "a baked policy");
  return { clients: new Map(s.view.documents("client").map(([id, doc]) => [id, JSON.stringify(doc)])), withheld: s.withheld.map((w) => w.key) };
}

test("with a clock: only signed content is served, rebuilt views equal the live one, a cold replay without a fresh checkpoint serves the baked policy (256 runs)", () => {
  // The portal's signing keys in rotation order (the baked policy trusts the first), and the
  // writer's own keys under the same kids.
  const kids = ["portal", "p1", "p2"];
  const portalKeys = kids.map(publisherKey);
  const attackers = kids.map(publisherKey);
  const portal = portalKeys[0] ?? publisherKey("portal");
  const ids = ["a", "b", "c"];
  const bakedView = baked(3, [client("a"), client("b")], [portal]);
  const bakedClients = decidesOn(new Replica(bakedView)).clients;
  const reached = { coldAnchored: 0, coldUnanchored: 0, liveAnchoredRebuildNot: 0, rotatedWithoutHostile: 0 };
  for (let runNo = 0; runNo < 256; runNo++) {
    const next = rng(runNo + 1);
    const pick = (n: number): number => Math.floor(next() * n);
    const legitimate = new Set(["a", "b"].map((id) => JSON.stringify(client(id))));
    // The portal published the document it baked: its checkpoints list the baked entities
    // (at the baked revision until it changes them).
    const published = new Map<string, number>([["client/a", 3], ["client/b", 3]]);
    let revision = 3;
    let now = T0;
    const log: Log = [];
    /** Each checkpoint the portal wrote (its value and issued_at), and where the newest is. */
    const checkpoints: [Buffer, bigint, number][] = [];
    /** The baked key was retired (a signed publisher delete). */
    let retired = false;
    let latestCheckpoint: number | undefined;
    /** A signed record (event or checkpoint) was copied after a newer one. */
    let signedReplayed = false;
    /** The key the portal signs with now (an index into `kids`). */
    let signer = 0;
    /** A record other than the portal's, or a copy of one that is not its key's latest. */
    let hostile = false;
    const signCheckpoint = (records: Log): void => {
      const cp = cpAt(portalKeys[signer] ?? portal, revision, [...published], now);
      checkpoints.push([cp, now, signer]);
      latestCheckpoint = log.length + records.length;
      records.push([CHECKPOINT_KEY, cp]);
    };
    const publisherEvent = (records: Log, kid: number, upsert: boolean): void => {
      revision++;
      const name = kids[kid] ?? "portal";
      const data = upsert ? { kid: name, jwk: portalKeys[kid]?.jwk } : undefined;
      records.push([`publisher/${name}`, eventValue("publisher", name, revision, upsert ? "upsert" : "delete", data, portalKeys[signer])]);
      published.set(`publisher/${name}`, revision);
    };
    const live = new Replica(bakedView, MODEL_MAX_AGE_S);
    for (let step = 0, steps = 1 + pick(40); step < steps; step++) {
      const id = ids[pick(3)] ?? "a";
      const key = pick(4) === 3 ? CHECKPOINT_KEY : `client/${id}`;
      const roll = pick(13);
      const records: Log = [];
      if (roll < 3) {
        revision++;
        const del = pick(2) === 0;
        const data = client(id, pick(2) === 0 ? "active" : "suspended");
        if (!del) legitimate.add(JSON.stringify(data));
        records.push([`client/${id}`, eventValue("client", id, revision, del ? "delete" : "upsert", del ? undefined : data, portalKeys[signer])]);
        published.set(`client/${id}`, revision);
        signCheckpoint(records);
      } else if (roll === 11) {
        // The portal introduces its next key, signs with it from then on, and may retire the
        // baked one (docs/policy-events.md: never a key cold authorizers learn from the stream).
        if (signer + 1 < kids.length) {
          publisherEvent(records, signer + 1, true);
          const previous = signer++;
          if (previous === 0 && pick(2) === 0) {
            publisherEvent(records, previous, false);
            retired = true;
          }
          signCheckpoint(records);
        }
      } else if (roll === 12) {
        // The writer copies a publisher key's latest record further on: compaction then
        // drops the original, and what the key signed comes before the record trusting it.
        const latest = [...log].reverse().find(([k]) => k === `publisher/${kids[pick(kids.length)] ?? ""}`);
        if (latest !== undefined) records.push(latest);
      } else if (roll === 3) records.push([key, eventValue("client", id, pick(40), "upsert", client(id, "active", ["s", "admin"]))]);
      else if (roll === 4) records.push([key, eventValue("client", id, pick(40), "upsert", client(id, "active", ["s", "admin"]), attackers[pick(attackers.length)])]);
      else if (roll === 5) records.push([key, b("garbage")]);
      else if (roll === 6) records.push([key, null]);
      else if (roll < 9 && log.length > 0) {
        const i = pick(log.length);
        const copy = log[i] ?? [null, null];
        const newerSignedOnKey = log.slice(i + 1).some(([k, v]) => k === copy[0] && v !== null);
        if (newerSignedOnKey && isJws(copy[1])) signedReplayed = true;
        records.push(copy);
      } else if (roll === 9) now += BigInt(pick(150));
      else {
        live.reset();
        replay(live, log, now);
      }
      if (roll >= 3 && roll < 9 && records.length > 0) hostile = true;
      for (const rec of records) {
        log.push(rec);
        const before = live.served();
        const out = live.apply(rec[0] === null ? null : b(rec[0]), rec[1], now);
        if (out.op === "rejected") {
          // A rejected record changes nothing applied, and can at most withhold a served
          // entity: never add one or change one.
          for (const [cid, doc] of live.served()?.view.documents("client") ?? []) {
            assert.deepEqual(doc, before?.view.documents("client").find(([i]) => i === cid)?.[1], `run ${runNo}: ${out.reason} added or changed ${cid}`);
          }
        }
      }
    }
    // Rebuilt from offset 0: the live view, unless one of them has a fresh checkpoint and
    // the other not (then one serves the baked policy).
    const fresh = new Replica(bakedView, MODEL_MAX_AGE_S);
    replay(fresh, log, now);
    if (fresh.anchored() === live.anchored()) assert.deepEqual(decidesOn(fresh), decidesOn(live), `run ${runNo}: rebuilt differs from live`);
    else assert.ok(live.anchored(), `run ${runNo}: a rebuild found a fresh checkpoint the live replay missed`);
    // A second pass without a reset reads every record as a replay of itself: nothing
    // changes with a fresh checkpoint; without one it can only withhold more.
    const once = decidesOn(fresh);
    replay(fresh, log, now);
    if (fresh.anchored()) assert.deepEqual(decidesOn(fresh), once, `run ${runNo}: a second pass changed an anchored view`);
    else for (const [cid, doc] of decidesOn(fresh).clients) assert.equal(doc, once.clients.get(cid), `run ${runNo}: a second pass changed ${cid}`);

    // Only the portal's content is ever served, whatever the log.
    const cold = new Replica(bakedView, MODEL_MAX_AGE_S);
    replay(cold, compacted(log), now);
    const coldView = decidesOn(cold).clients;
    for (const [name, view] of [["live", decidesOn(live).clients], ["cold", coldView]] as const) {
      for (const [cid, doc] of view) assert.ok(legitimate.has(doc), `run ${runNo}: ${name} serves ${cid} = ${doc} that the portal never signed`);
    }
    // Cold on the compacted topic: anchored exactly when the checkpoint compaction kept is
    // one the portal signed and still fresh; without it, the baked policy at most withheld.
    const survivor = [...log].reverse().find(([k]) => k === CHECKPOINT_KEY)?.[1] ?? null;
    const survivorFresh = survivor !== null && checkpoints.some(([c, at]) => c.equals(survivor) && isFresh(at, now, MODEL_MAX_AGE_S));
    // A surviving checkpoint signed by the retired key anchors only if read before the
    // retirement (a replayed one after it is `bad_signature`).
    const byRetired = retired && survivor !== null && checkpoints.some(([c, , by]) => c.equals(survivor) && by === 0);
    if (byRetired) assert.ok(!cold.anchored() || survivorFresh, `run ${runNo}: cold anchored on an expired checkpoint`);
    else assert.equal(cold.anchored(), survivorFresh, `run ${runNo}: cold anchored`);
    if (cold.anchored()) reached.coldAnchored++;
    else reached.coldUnanchored++;
    if (live.anchored() && !fresh.anchored()) reached.liveAnchoredRebuildNot++;
    if (!cold.anchored()) {
      for (const [cid, doc] of coldView) assert.equal(doc, bakedClients.get(cid), `run ${runNo}: cold without a fresh checkpoint serves ${cid} from the stream`);
    }
    // With one: each entity as live, or withheld; never an older state, except where a
    // replayed older checkpoint is the one compaction kept and it is still fresh (the window
    // the maximum age bounds).
    const lastOnKey = log.map(([k]) => k).lastIndexOf(CHECKPOINT_KEY);
    const checkpointExposed = (lastOnKey === -1 ? undefined : lastOnKey) !== latestCheckpoint;
    if (cold.anchored() && !(checkpointExposed && signedReplayed)) {
      assert.ok(live.anchored(), `run ${runNo}: cold anchored, live not`);
      const liveView = decidesOn(live).clients;
      for (const [cid, doc] of coldView) assert.equal(doc, liveView.get(cid), `run ${runNo}: cold serves ${cid} differently from live`);
    }
    // A portal alone, whose publisher records the writer only moved further on (the
    // originals compacted away): cold withholds nothing and, anchored, serves the live view.
    if (!hostile) {
      assert.deepEqual(decidesOn(cold).withheld, [], `run ${runNo}: cold withholds under a moved publisher record`);
      if (cold.anchored()) assert.deepEqual(decidesOn(cold), decidesOn(live), `run ${runNo}: cold differs from live`);
      if (log.some(([k]) => k?.startsWith("publisher/") === true)) reached.rotatedWithoutHostile++;
    }
  }
  // The generator reaches both sides of the freshness rule, and checkpoints that expired
  // while the live consumer held them.
  for (const [what, n] of Object.entries(reached)) assert.ok(n > 0, `no run reached ${what}: ${JSON.stringify(reached)}`);
});
