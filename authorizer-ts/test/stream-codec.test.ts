// The policy event codec and the checkpoint decoder, case for case with
// authorizer/src/stream/event.rs and checkpoint.rs: every rejection has its documented reason.
import assert from "node:assert/strict";
import { test } from "node:test";

import { encodeB64url } from "../src/b64.js";
import { loadPolicy } from "../src/policy/load.js";
import { PolicyView } from "../src/policy/view.js";
import { checkpointAcceptance, decodeCheckpoint, isFresh, MAX_CLOCK_SKEW_S, parseRfc3339, type Checkpoint } from "../src/stream/checkpoint.js";
import { decodeValue, parseKey, Rejected, recordKey, type Rejection } from "../src/stream/event.js";
import { bakedDoc, checkpointValue, eventJson, eventValue, jws, publisherKey } from "./stream-records.js";


const key = publisherKey("p");
const trusting = loadPolicy(JSON.stringify(bakedDoc(1, [], [key])));

function reason(f: () => unknown): Rejection | "ok" {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof Rejected) return e.reason;
    throw e;
  }
}

test("a signed event round-trips and names its signer; plain JSON decodes in unsigned mode only", () => {
  const value = eventValue("client", "a", 5, "upsert", { id: "a", status: "active" }, key);
  const d = decodeValue("client", "a", value, trusting, true);
  assert.equal(d.signedBy, "p");
  assert.equal(d.event.revision, 5n);
  assert.equal(d.event.op, "upsert");
  const plain = eventValue("client", "a", 5, "upsert", { id: "a", status: "active" });
  assert.equal(reason(() => decodeValue("client", "a", plain, new PolicyView(), false)), "ok");
  assert.equal(reason(() => decodeValue("client", "a", plain, new PolicyView(), true)), "unsigned");
});

test("every rejection of the codec has its documented reason", () => {
  const payload = eventJson("client", "a", 5, "upsert", { id: "a", status: "active" });
  const signed = (header: unknown, p: string): Buffer => Buffer.from(jws(key.privateKey, header, p));
  const h = { alg: "EdDSA", kid: "p" };
  const cases: [string, Buffer, Rejection][] = [
    ["garbage", Buffer.from("garbage"), "malformed"],
    ["broken JSON", Buffer.from('{"schema":'), "malformed"],
    ["not UTF-8", Buffer.from([0x7b, 0xff]), "malformed"],
    ["two parts", Buffer.from("e30.e30"), "malformed"],
    ["empty part", Buffer.from("e30..e30"), "malformed"],
    ["header not JSON", Buffer.from(`${encodeB64url("nope")}.e30.c2ln`), "malformed"],
    ["crit", signed({ ...h, crit: ["exp"] }, payload), "bad_signature"],
    ["other alg", Buffer.from(`${encodeB64url(JSON.stringify({ alg: "ES256", kid: "p" }))}.${encodeB64url(payload)}.c2ln`), "bad_signature"],
    ["unknown kid", signed({ alg: "EdDSA", kid: "q" }, payload), "bad_signature"],
    ["no kid", signed({ alg: "EdDSA" }, payload), "bad_signature"],
    ["signed by another key of the same kid", Buffer.from(jws(publisherKey("p").privateKey, h, payload)), "bad_signature"],
    ["v2", signed(h, payload.replace("gateway-policy-event/v1", "gateway-policy-event/v2")), "unknown_schema"],
    ["no schema", signed(h, JSON.stringify({ kind: "client" })), "unknown_schema"],
    ["array payload", signed(h, "[1]"), "unknown_schema"],
    ["payload not JSON", signed(h, "nope"), "malformed"],
    ["revision 0", signed(h, eventJson("client", "a", 0, "upsert", { id: "a", status: "active" })), "malformed"],
    ["revision 1.0", signed(h, eventJson("client", "a", "1.0", "upsert", { id: "a", status: "active" })), "malformed"],
    ["revision -1", signed(h, eventJson("client", "a", -1, "upsert", { id: "a", status: "active" })), "malformed"],
    ["revision 2^64", signed(h, eventJson("client", "a", "18446744073709551616", "upsert", { id: "a", status: "active" })), "malformed"],
    ["unknown field", signed(h, eventJson("client", "a", 5, "upsert", { id: "a", status: "active" }, { extra: 1 })), "malformed"],
    ["unknown op", signed(h, payload.replace('"upsert"', '"merge"')), "malformed"],
    ["issued_at a number", signed(h, eventJson("client", "a", 5, "upsert", { id: "a" }, { issued_at: 5 })), "malformed"],
    ["data id", signed(h, eventJson("client", "a", 5, "upsert", { id: "b", status: "active" })), "key_mismatch"],
    ["upsert without data", signed(h, eventJson("client", "a", 5, "upsert")), "key_mismatch"],
    ["other id", signed(h, eventJson("client", "b", 5, "upsert", { id: "b" })), "key_mismatch"],
  ];
  for (const [name, value, want] of cases) {
    assert.equal(reason(() => decodeValue("client", "a", value, trusting, true)), want, name);
  }
  const tampered = (() => {
    const v = jws(key.privateKey, h, payload);
    return Buffer.from(`${v.slice(0, v.lastIndexOf("."))}.${encodeB64url(Buffer.alloc(64))}`);
  })();
  assert.equal(reason(() => decodeValue("client", "a", tampered, trusting, true)), "bad_signature");
  // In unsigned mode no key is trusted: every JWS is bad_signature.
  assert.equal(reason(() => decodeValue("client", "a", signed(h, payload), new PolicyView(), false)), "bad_signature");
  // A delete needs no data; a null `data` or `issued_at` is absent.
  assert.equal(reason(() => decodeValue("client", "a", signed(h, eventJson("client", "a", 6, "delete", null, { issued_at: null })), trusting, true)), "ok");
  // Whitespace around the value is trimmed as Rust's str::trim does (Unicode White_Space).
  assert.equal(reason(() => decodeValue("client", "a", Buffer.from(`\u00a0 ${payload}\n`), new PolicyView(), false)), "ok");
});

test("keys parse only in the documented shape", () => {
  assert.deepEqual(parseKey(Buffer.from("client/mobile-app")), { kind: "client", id: "mobile-app" });
  for (const bad of ["client", "route/x", "client/", "client/a b", "client/a/b", "Client/a"]) assert.equal(parseKey(Buffer.from(bad)), undefined, bad);
  assert.equal(parseKey(Buffer.from([0xff, 0x2f, 0x78])), undefined);
  assert.equal(recordKey("api", "orders"), "api/orders");
});

test("a checkpoint counts only signed, of its schema, with keys and revisions in range", () => {
  const ok = decodeCheckpoint(checkpointValue(key, 3, [["client/a", 3], ["api/x", 1]]), trusting);
  assert.equal(ok.signedBy, "p");
  assert.equal(ok.checkpoint.revision, 3n);
  assert.deepEqual([...ok.checkpoint.entities], [["api/x", 1n], ["client/a", 3n]]);
  const h = { alg: "EdDSA", kid: "p" };
  const signed = (p: unknown): Buffer => Buffer.from(jws(key.privateKey, h, JSON.stringify(p)));
  const cp = { schema: "gateway-policy-checkpoint/v1", revision: 3, issued_at: "2026-12-02T10:00:00Z", entities: { "client/a": 3 } };
  const cases: [string, Buffer, Rejection][] = [
    ["plain JSON", Buffer.from(JSON.stringify(cp)), "unsigned"],
    ["other schema", signed({ ...cp, schema: "gateway-policy-event/v1" }), "unknown_schema"],
    ["revision 0", signed({ ...cp, revision: 0, entities: {} }), "malformed"],
    ["unknown field", signed({ ...cp, extra: true }), "malformed"],
    ["no entities", signed({ schema: cp.schema, revision: 3 }), "malformed"],
    ["bad key", signed({ ...cp, entities: { "route/x": 1 } }), "malformed"],
    ["entity above the revision", signed({ ...cp, entities: { "client/a": 4 } }), "malformed"],
    ["entity 0", signed({ ...cp, entities: { "client/a": 0 } }), "malformed"],
    ["entity a float", signed({ ...cp, entities: { "client/a": 1.5 } }), "malformed"],
    ["no issued_at", signed({ schema: cp.schema, revision: 3, entities: cp.entities }), "malformed"],
    ["issued_at a date", signed({ ...cp, issued_at: "2026-12-02" }), "malformed"],
    ["issued_at null", signed({ ...cp, issued_at: null }), "malformed"],
    ["forged", Buffer.from(jws(publisherKey("p").privateKey, h, JSON.stringify(cp))), "bad_signature"],
  ];
  for (const [name, value, want] of cases) assert.equal(reason(() => decodeCheckpoint(value, trusting)), want, name);
  assert.throws(
    () => decodeCheckpoint(signed({ schema: cp.schema, revision: 3, entities: cp.entities }), trusting),
    (e: unknown) => e instanceof Rejected && e.detail === "`issued_at` must be an RFC 3339 time (e.g. 2026-12-02T10:00:00Z): without it a replayed checkpoint never expires; publish with `authz publish`",
  );
});

test("the freshness window: at most the maximum age old, at most the clock skew ahead", () => {
  const now = 1_800_000_000n;
  assert.ok(isFresh(now, now, 60n));
  assert.ok(isFresh(now - 60n, now, 60n));
  assert.ok(!isFresh(now - 61n, now, 60n));
  assert.ok(isFresh(now + MAX_CLOCK_SKEW_S, now, 60n));
  assert.ok(!isFresh(now + MAX_CLOCK_SKEW_S + 1n, now, 60n));
});

test("RFC 3339 times read as chrono reads them", () => {
  assert.equal(parseRfc3339("1970-01-01T00:00:00Z"), 0n);
  assert.equal(parseRfc3339("1970-01-01T01:00:00+01:00"), 0n);
  assert.equal(parseRfc3339("2027-01-15T08:00:00Z"), 1_800_000_000n);
  assert.equal(parseRfc3339("2027-01-15t08:00:00.123z"), 1_800_000_000n);
  assert.equal(parseRfc3339("0001-01-01T00:00:00Z"), -62_135_596_800n);
  assert.equal(parseRfc3339("1969-12-31T23:00:00\u221201:00"), 0n);
  for (const bad of ["2026-12-02", "yesterday", "2026-02-30T00:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T10:00:00", "2026-12-02T10:00:00+0100", "2026-12-02T10:00:00+24:00"]) assert.equal(parseRfc3339(bad), undefined, bad);
});

test("the rollback rule: newer than the one held and the baked revision, or the same one again", () => {
  const cp = (revision: bigint, issuedAt = "t"): Checkpoint => ({ schema: "gateway-policy-checkpoint/v1", revision, issuedAt, entities: new Map([["client/a", 1n]]) });
  assert.equal(checkpointAcceptance(cp(3n), undefined, 2n), undefined);
  assert.equal(checkpointAcceptance(cp(2n), undefined, 2n)?.reason, "stale_revision");
  assert.equal(checkpointAcceptance(cp(3n), cp(3n), 1n), undefined, "the same checkpoint read again");
  assert.equal(checkpointAcceptance(cp(3n, "u"), cp(3n), 1n)?.reason, "stale_revision", "another checkpoint at the same revision");
  assert.equal(checkpointAcceptance(cp(2n), cp(3n), 1n)?.reason, "stale_revision");
});
