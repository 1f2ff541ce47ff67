// Generated record sequences (portal-signed, unsigned, forged, garbage, replayed, tombstones,
// bad keys, rotation records copied further on with the original compacted away) on a real
// broker, read by both builds: the TS reader and replica against the Rust `authz tail
// --from-beginning --no-follow --policy`. Every difference in a record's verdict (op,
// revision, validity, signer, reason), or in the records retried when a key is introduced,
// is a failure.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { encodeB64url } from "../src/b64.js";
import type { StreamConfig } from "../src/config.js";
import { loadPolicy } from "../src/policy/load.js";
import { CHECKPOINT_KEY } from "../src/stream/checkpoint.js";
import { TopicReader, type KafkaRecordRead } from "../src/stream/kafka.js";
import { Replica, type Applied } from "../src/stream/replica.js";
import { createTopic, KAFKA_BOOTSTRAP, produce, skipKafka } from "./kafka.js";
import { rust, skipRust } from "./rust.js";
import { bakedDoc, checkpointValue, client, eventJson, eventValue, jws, publisherKey, type TestKey } from "./stream-records.js";

const SEED = Number(process.env.STREAM_DIFF_SEED ?? "20261202");
const RUNS = Number(process.env.STREAM_DIFF_RUNS ?? "8");
const PER_RUN = 60;

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

type Rec = readonly [Buffer | null, Buffer | null];

/** One generated topic: a baked policy and records an attacker and a portal wrote. */
function generate(seed: number): { baked: Record<string, unknown>; records: Rec[] } {
  const next = rng(seed);
  const pick = (n: number): number => Math.floor(next() * n);
  const portal = publisherKey("portal");
  const rotated = publisherKey("portal-2");
  const rotatedAgain = publisherKey("portal-3");
  const attacker = publisherKey("portal");
  const signedMode = pick(3) !== 0;
  const bakedRevision = 1 + pick(5);
  const baked = bakedDoc(bakedRevision, [client("a"), client("b")], signedMode ? [portal] : []);
  const ids = ["a", "b", "c", "d"];
  let revision = bakedRevision;
  let signer: TestKey = portal;
  const published = new Map<string, number>();
  const records: Rec[] = [];
  const now = Math.floor(Date.now() / 1000);
  const k = (s: string): Buffer => Buffer.from(s);
  for (let i = 0; i < PER_RUN; i++) {
    const id = ids[pick(ids.length)] ?? "a";
    const key = `client/${id}`;
    const roll = pick(20);
    const sign = (json: string, by: TestKey | undefined, header?: unknown): Buffer =>
      Buffer.from(by === undefined ? json : jws(by.privateKey, header ?? { alg: "EdDSA", kid: by.kid, typ: "gateway-policy-event+jws" }, json));
    const portalKey = signedMode ? signer : undefined;
    if (roll < 6) {
      revision += 1 + pick(2);
      const del = pick(4) === 0;
      records.push([k(key), eventValue("client", id, revision, del ? "delete" : "upsert", del ? undefined : client(id, pick(2) === 0 ? "active" : "suspended"), portalKey)]);
      published.set(key, revision);
    } else if (roll === 6 && signedMode) {
      // Fresh, expired, dated ahead beyond the clock skew, or undated (malformed): read a
      // moment later by both builds, each against its own clock, far from either bound.
      const at = [now - 60, now - 2 * 86_400, now + 86_400, undefined][pick(4)];
      records.push([k(CHECKPOINT_KEY), checkpointValue(signer, revision, [...published], at === undefined ? null : new Date(at * 1000).toISOString())]);
    } else if (roll === 7) records.push([k(key), eventValue("client", id, pick(revision + 3), "upsert", client(id, "active", ["s", "admin"]))]);
    else if (roll === 8) records.push([k(key), eventValue("client", id, revision + 1 + pick(3), "upsert", client(id, "active", ["s", "admin"]), attacker)]);
    else if (roll === 9) records.push([k(pick(2) === 0 ? key : CHECKPOINT_KEY), null]);
    else if (roll === 10) records.push([k(key), k(["garbage", "{\"schema\":", "e30.e30", "a.b.c", " {} ", "\u00a0{\"schema\":\"gateway-policy-event/v1\"}"][pick(6)] ?? "")]);
    else if (roll === 11 && records.length > 0) records.push(records[pick(records.length)] ?? [null, null]);
    else if (roll === 12) records.push([[null, k("client"), k("route/x"), k("client/a b"), Buffer.from([0xff, 0x2f, 0x61])][pick(5)] ?? null, eventValue("client", id, revision + 1, "upsert", client(id))]);
    else if (roll === 13) {
      // Hostile headers and payloads on a real signature (half of them by the baked key, so
      // their verdicts do not wait for a rotation record).
      const by = pick(2) === 0 ? portal : (portalKey ?? portal);
      const json = eventJson("client", id, revision + 1, "upsert", client(id));
      const variants = [
        sign(json, by, { alg: "EdDSA", kid: by.kid, crit: ["exp"] }),
        sign(json, by, { alg: "ES256", kid: by.kid }),
        sign(eventJson("client", id, "1.0", "upsert", client(id)), by),
        sign(eventJson("client", id, revision + 1, "upsert", client(id), { extra: 1 }), by),
        sign(eventJson("client", id, revision + 1, "upsert", { id, status: "frozen" }), by),
        sign(eventJson("client", "zz", revision + 1, "upsert", client("zz")), by),
        sign("[1]", by),
        Buffer.from(`${encodeB64url("{}")}.${encodeB64url(json)}.${encodeB64url(Buffer.alloc(64))}`),
      ];
      records.push([k(key), variants[pick(variants.length)] ?? null]);
    } else if (roll === 14) {
      // Publisher rotation (signed mode) or an attempt to bring a key in (unsigned mode).
      revision += 1;
      const to = pick(3) === 0 ? rotatedAgain : rotated;
      records.push([k(`publisher/${to.kid}`), eventValue("publisher", to.kid, revision, "upsert", { kid: to.kid, jwk: to.jwk }, portalKey)]);
      if (signedMode && pick(3) !== 0) {
        // The portal signs from now on with the new key, starting with a checkpoint.
        signer = to;
        records.push([k(CHECKPOINT_KEY), checkpointValue(signer, revision, [...published], new Date((now - 60) * 1000).toISOString())]);
      }
    } else if (roll === 15) {
      records.push([k("api/orders"), eventValue("api", "orders", revision + 1, "upsert", { id: "orders", routes: [{ route: pick(2) === 0 ? "GET /orders/{id}" : "GET /orders/{id", scopes: ["s"] }] }, portalKey)]);
      revision += 1;
    } else records.push([k(key), eventValue("client", id, revision, "upsert", client(id), portalKey)]);
  }
  // A writer without keys copies a rotation record further on and compaction drops the
  // original (and every earlier record of that key): what was signed by the key it
  // introduces now comes before it.
  for (const kid of ["portal-2", "portal-3"]) {
    const first = records.findIndex(([key]) => key?.toString() === `publisher/${kid}`);
    if (first < 0 || pick(3) === 0) continue;
    const copy = records[first] ?? [null, null];
    const at = first + 1 + pick(records.length - first);
    records.splice(at, 0, copy);
    for (let i = at - 1; i >= 0; i--) if (records[i]?.[0]?.toString() === `publisher/${kid}`) records.splice(i, 1);
  }
  return { baked, records };
}

interface Verdict {
  offset: number;
  key: string | null;
  op: string;
  revision: number | null;
  valid: boolean;
  signed_by: string | null;
  reason: string | null;
  /** A record re-applied when the record at `retried_after_offset` introduced its key. */
  retried: boolean;
  retried_after_offset: number | null;
}

function tsVerdict(r: KafkaRecordRead, a: Applied): Verdict {
  const key = r.key === null ? null : new TextDecoder().decode(r.key);
  const base = { offset: Number(r.offset), key, retried: false, retried_after_offset: null };
  switch (a.op) {
    case "rejected":
      return { ...base, op: "rejected", revision: null, valid: false, signed_by: null, reason: a.reason };
    case "tombstone":
      return { ...base, op: "tombstone", revision: null, valid: true, signed_by: null, reason: null };
    case "checkpoint":
      // `authz tail` names an expired checkpoint (still valid: it becomes the floor).
      return { ...base, op: "checkpoint", revision: Number(a.revision), valid: true, signed_by: a.signedBy, reason: a.fresh ? null : "expired" };
    default:
      return { ...base, op: a.op, revision: Number(a.revision), valid: true, signed_by: a.signedBy ?? null, reason: null };
  }
}

function rustVerdicts(line: string): Verdict {
  const v = JSON.parse(line) as Partial<Verdict> & Omit<Verdict, "retried" | "retried_after_offset">;
  // The detail after the code is free text (serde's messages in Rust); the code is the contract.
  return { offset: v.offset, key: v.key, op: v.op, revision: v.revision, valid: v.valid, signed_by: v.signed_by, reason: v.reason === null ? null : (v.reason.split(":")[0] ?? ""), retried: v.retried ?? false, retried_after_offset: v.retried_after_offset ?? null };
}

/** Reads the whole topic with the TS reader, as the live consumer does. */
async function readAll(cfg: StreamConfig): Promise<KafkaRecordRead[]> {
  const reader = await TopicReader.connect(cfg);
  try {
    const partitions = await reader.partitions();
    const offsets = new Map(partitions.map((p) => [p, 0n]));
    const highs = new Map<number, bigint>();
    const out: KafkaRecordRead[] = [];
    for (;;) {
      const fetched = await reader.fetch(offsets, 100);
      for (const [p, f] of fetched) {
        out.push(...f.records);
        offsets.set(p, f.next);
        highs.set(p, f.high);
      }
      // A fetch session leaves out partitions where nothing changed since the last answer.
      if ([...offsets].every(([p, next]) => (highs.get(p) ?? next + 1n) <= next)) return out;
    }
  } finally {
    await reader.close();
  }
}

test(`${RUNS} generated topics read by both builds give the same verdict for every record (seed ${SEED})`, { skip: skipKafka || skipRust }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "authz-stream-diff-"));
  const seen = new Map<string, number>();
  for (let run = 0; run < RUNS; run++) {
    const { baked, records } = generate(SEED + run);
    // Not compacted, so keyless records can be written too.
    const topic = await createTopic("authz-ts-diff", false);
    await produce(topic, records);
    const policyFile = join(dir, `baked-${run}.json`);
    writeFileSync(policyFile, JSON.stringify(baked));
    const r = rust(["tail", "--brokers", KAFKA_BOOTSTRAP ?? "", "--topic", topic, "--from-beginning", "--no-follow", "--policy", policyFile]);
    assert.equal(r.code, 0, r.stderr);
    const want = r.stdout.trim().split("\n").map(rustVerdicts);
    const cfg: StreamConfig = { brokers: KAFKA_BOOTSTRAP, mskClusterArn: undefined, topic, auth: "plaintext", groupPrefix: "authz-ts-test", username: undefined, password: undefined, maxStalenessMs: 1000n, syncBudgetMs: 50n, tombstoneRetentionMs: 86_400_000n, checkpointMaxAgeS: 86_400n };
    const read = await readAll(cfg);
    assert.equal(read.length, records.length, "the TS reader reads every record");
    const replica = new Replica(loadPolicy(JSON.stringify(baked)));
    const now = BigInt(Math.floor(Date.now() / 1000));
    const got: Verdict[] = [];
    const values: (Buffer | null)[] = [];
    for (const rec of read) {
      got.push(tsVerdict(rec, replica.apply(rec.key, rec.value, now)));
      values.push(rec.value === null ? null : Buffer.from(rec.value));
      for (const r of replica.retried) {
        const original = read[r.position];
        assert.ok(original !== undefined, "a retried record was read");
        got.push({ ...tsVerdict(original, r.outcome), retried: true, retried_after_offset: Number(rec.offset) });
        values.push(original.value === null ? null : Buffer.from(original.value));
      }
    }
    assert.equal(want.length, got.length, `run ${run}: retried by authz tail ${JSON.stringify(want.filter((g) => g.retried))}, by TS ${JSON.stringify(got.filter((g) => g.retried))}`);
    for (let i = 0; i < got.length; i++) {
      assert.deepEqual(got[i], want[i], `run ${run} (${topic}), line ${i}: ${values[i]?.toString() ?? "null"}`);
      const g = got[i];
      if (g !== undefined) seen.set(g.reason ?? g.op, (seen.get(g.reason ?? g.op) ?? 0) + 1);
      if (g?.retried === true) seen.set(`retried ${g.reason ?? g.op}`, (seen.get(`retried ${g.reason ?? g.op}`) ?? 0) + 1);
      // Only an undated checkpoint is malformed on the checkpoint key here.
      if (g?.key === CHECKPOINT_KEY && g.reason === "malformed") seen.set("undated checkpoint", (seen.get("undated checkpoint") ?? 0) + 1);
    }
  }
  // The generator must reach every verdict the apply rule has.
  for (const v of ["upsert", "delete", "tombstone", "checkpoint", "expired", "undated checkpoint", "bad_key", "malformed", "unknown_schema", "key_mismatch", "unsigned", "bad_signature", "stale_revision", "invalid_entity", "untrusted_publisher", "retried upsert", "retried checkpoint"]) {
    assert.ok((seen.get(v) ?? 0) > 0, `no record reached ${v}: ${JSON.stringify([...seen])}`);
  }
});
