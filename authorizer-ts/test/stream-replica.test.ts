// The replica's apply rule, trust anchor and withholding, case for case with
// authorizer/src/stream/replica.rs, plus a model test: whatever a writer without keys sends,
// only content the portal signed is served, and a rebuild from offset 0 gives the live view.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CHECKPOINT_KEY } from "../src/stream/checkpoint.js";
import { Replica, type Applied } from "../src/stream/replica.js";
import { baked, checkpointValue, client, eventValue, publisherKey } from "./stream-records.js";

type Log = [string | null, Buffer | null][];
const b = (s: string): Buffer => Buffer.from(s);
const reasonOf = (a: Applied): string => (a.op === "rejected" ? a.reason : a.op);

function replay(r: Replica, log: Log): Applied[] {
  return log.map(([k, v]) => r.apply(k === null ? null : b(k), v));
}

test("the stream cannot switch signed mode on: a publisher event in unsigned mode is refused", () => {
  const k = publisherKey("p");
  const r = new Replica(baked(1, [client("a")]));
  const out = r.apply(b("publisher/p"), eventValue("publisher", "p", 5, "upsert", { kid: "p", jwk: k.jwk }));
  assert.equal(reasonOf(out), "untrusted_publisher");
  assert.equal(r.signed, false);
  assert.equal(reasonOf(r.apply(b("client/evil"), eventValue("client", "evil", 6, "upsert", client("evil")))), "upsert", "unsigned mode stays unsigned");
});

test("the baked revision is the floor for keys the baked policy does not have", () => {
  const r = new Replica(baked(10, [client("a")]));
  assert.equal(reasonOf(r.apply(b("client/gone"), eventValue("client", "gone", 9, "upsert", client("gone")))), "stale_revision");
  assert.equal(r.applied()?.client("gone"), undefined);
  assert.equal(reasonOf(r.apply(b("client/gone"), eventValue("client", "gone", 11, "upsert", client("gone")))), "upsert");
  assert.equal(r.applied()?.revision, 11n);
});

test("with no baked policy there is no view until an event applies", () => {
  const r = new Replica(undefined);
  assert.equal(reasonOf(r.apply(b("client/a"), eventValue("client", "a", 0, "upsert", client("a")))), "malformed");
  assert.equal(r.applied(), undefined);
  // eslint-disable-next-line prefer-spread -- Replica.apply, not Function.prototype.apply
  assert.equal(reasonOf(r.apply(null, b("{}"))), "bad_key");
  assert.equal(reasonOf(r.apply(b("client/a"), eventValue("client", "a", 1, "upsert", client("a")))), "upsert");
  assert.equal(r.applied()?.client("a")?.active, true);
});

test("an invalid entity is refused and changes nothing", () => {
  const r = new Replica(baked(1, [client("a")]));
  assert.equal(reasonOf(r.apply(b("client/a"), eventValue("client", "a", 2, "upsert", { id: "a", status: "frozen" }))), "invalid_entity");
  assert.equal(r.applied()?.client("a")?.active, true);
  assert.equal(r.held("client", "a"), 1n);
});

test("signed mode refuses tombstones and plain JSON, and never switches off", () => {
  const k = publisherKey("p");
  const r = new Replica(baked(1, [], [k]));
  assert.equal(reasonOf(r.apply(b("publisher/p"), null)), "unsigned");
  assert.equal(reasonOf(r.apply(b("publisher/p"), eventValue("publisher", "p", 5, "delete", undefined, k))), "delete");
  assert.equal(reasonOf(r.apply(b("client/evil"), eventValue("client", "evil", 6, "upsert", client("evil")))), "unsigned");
  assert.equal(r.applied()?.client("evil"), undefined);
});

test("a tombstone keeps the revision floor", () => {
  const r = new Replica(undefined);
  const up = eventValue("client", "a", 5, "upsert", client("a"));
  assert.equal(reasonOf(r.apply(b("client/a"), up)), "upsert");
  assert.equal(reasonOf(r.apply(b("client/a"), null)), "tombstone");
  assert.equal(r.applied()?.client("a"), undefined);
  assert.equal(reasonOf(r.apply(b("client/a"), up)), "stale_revision");
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
    [CHECKPOINT_KEY, checkpointValue(k, 2, [["client/a", 2]])],
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
    const served = cold.served();
    assert.equal(served?.view.client("a"), undefined, "but it is not served");
    assert.deepEqual(served?.withheld, [{ key: "client/a", because: { code: "behind_checkpoint", expected: 2n, held: 1n } }]);
  }
});

test("without a checkpoint, a key with only forged records is withheld once the checkpoint is attacked", () => {
  const k = publisherKey("p");
  const evil = publisherKey("p");
  const r = new Replica(baked(1, [client("a"), client("b")], [k]));
  assert.equal(reasonOf(r.apply(b("client/a"), eventValue("client", "a", 9, "upsert", client("a"), evil))), "bad_signature");
  assert.deepEqual(r.withheld(), [], "no evidence of an attack on the checkpoint yet");
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), null)), "unsigned");
  const served = r.served();
  assert.equal(served?.view.client("a"), undefined);
  assert.notEqual(served?.view.client("b"), undefined);
  assert.deepEqual(served?.withheld, [{ key: "client/a", because: { code: "only_rejected_records" } }]);
});

test("a checkpoint survives a rebuild and a stale one is refused; unsigned mode trusts none", () => {
  const k = publisherKey("p");
  const r = new Replica(baked(1, [client("a")], [k]));
  const cp3 = checkpointValue(k, 3, [["client/a", 3]]);
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), cp3)), "checkpoint");
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), checkpointValue(k, 2, [["client/a", 2]]))), "stale_revision");
  r.reset();
  assert.equal(r.checkpoint()?.revision, 3n);
  assert.equal(reasonOf(r.apply(b(CHECKPOINT_KEY), cp3)), "checkpoint");
  assert.equal(r.withheld().length, 1, "client/a is behind the checkpoint");
  assert.equal(reasonOf(new Replica(undefined).apply(b(CHECKPOINT_KEY), cp3)), "bad_signature");
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

test("rejected records never add or change a served entity; rebuilt views equal the live one (128 runs)", () => {
  const portal = publisherKey("portal");
  const attacker = publisherKey("portal");
  const ids = ["a", "b", "c"];
  for (let runNo = 0; runNo < 128; runNo++) {
    const next = rng(runNo + 1);
    const pick = (n: number): number => Math.floor(next() * n);
    const bakedView = baked(3, [client("a"), client("b")], [portal]);
    const legitimate = new Set(["a", "b"].map((id) => JSON.stringify(client(id))));
    const published = new Map<string, number>();
    let revision = 3;
    const log: Log = [];
    const live = new Replica(bakedView);
    for (let step = 0, steps = 1 + pick(40); step < steps; step++) {
      const id = ids[pick(3)] ?? "a";
      const key = pick(4) === 3 ? CHECKPOINT_KEY : `client/${id}`;
      const roll = pick(10);
      const records: Log = [];
      if (roll < 3) {
        revision++;
        const del = pick(2) === 0;
        const data = client(id, pick(2) === 0 ? "active" : "suspended");
        if (!del) legitimate.add(JSON.stringify(data));
        records.push([`client/${id}`, eventValue("client", id, revision, del ? "delete" : "upsert", del ? undefined : data, portal)]);
        published.set(`client/${id}`, revision);
        records.push([CHECKPOINT_KEY, checkpointValue(portal, revision, [...published])]);
      } else if (roll === 3) records.push([key, eventValue("client", id, pick(40), "upsert", client(id, "active", ["s", "admin"]))]);
      else if (roll === 4) records.push([key, eventValue("client", id, pick(40), "upsert", client(id, "active", ["s", "admin"]), attacker)]);
      else if (roll === 5) records.push([key, b("garbage")]);
      else if (roll === 6) records.push([key, null]);
      else if (roll < 9 && log.length > 0) records.push(log[pick(log.length)] ?? [null, null]);
      else {
        live.reset();
        replay(live, log);
      }
      for (const rec of records) {
        log.push(rec);
        const before = live.served();
        const out = live.apply(rec[0] === null ? null : b(rec[0]), rec[1]);
        if (out.op === "rejected") {
          for (const [cid, doc] of live.served()?.view.documents("client") ?? []) {
            assert.deepEqual(doc, before?.view.documents("client").find(([i]) => i === cid)?.[1], `run ${runNo}: ${out.reason} added or changed ${cid}`);
          }
        }
      }
    }
    const fresh = new Replica(bakedView);
    replay(fresh, log);
    assert.deepEqual(fresh.served()?.view.documents("client"), live.served()?.view.documents("client"), `run ${runNo}: rebuilt differs from live`);
    assert.deepEqual(fresh.served()?.withheld, live.served()?.withheld);
    for (const [, doc] of live.served()?.view.documents("client") ?? []) {
      assert.ok(legitimate.has(JSON.stringify(doc)), `run ${runNo}: serves ${JSON.stringify(doc)} the portal never signed`);
    }
  }
});
