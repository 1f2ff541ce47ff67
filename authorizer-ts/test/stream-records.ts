// Policy-stream records for tests: events and checkpoints, plain or signed as a portal
// (or an attacker) signs them, with keys generated per run.

import { sign, type KeyObject } from "node:crypto";

import { encodeB64url } from "../src/b64.js";
import { loadPolicy } from "../src/policy/load.js";
import type { PolicyView } from "../src/policy/view.js";
import { CHECKPOINT_TYP } from "../src/stream/checkpoint.js";
import { EVENT_SCHEMA } from "../src/stream/event.js";
import { generateKey, type TestKey } from "./helpers.js";

export type { TestKey };

export function publisherKey(kid: string): TestKey {
  return generateKey(kid, "ed25519");
}

/** A compact JWS over `payload` (a JSON text, signed exactly as given). */
export function jws(key: KeyObject, header: unknown, payload: string): string {
  const input = `${encodeB64url(JSON.stringify(header))}.${encodeB64url(payload)}`;
  return `${input}.${encodeB64url(sign(null, Buffer.from(input), key))}`;
}

export function eventJson(kind: string, id: string, revision: number | string, op: "upsert" | "delete", data?: unknown, extra: Record<string, unknown> = {}): string {
  const e: Record<string, unknown> = { schema: EVENT_SCHEMA, kind, id, revision: "__REV__", op, issued_at: "2026-11-19T10:01:00Z", ...extra };
  if (data !== undefined) e.data = data;
  // The revision is spliced in as written, so `1.0` or `18446744073709551615` stay exact.
  return JSON.stringify(e).replace('"__REV__"', String(revision));
}

/** An event value: plain JSON, or a JWS by `key` (header as the portal writes it). */
export function eventValue(kind: string, id: string, revision: number, op: "upsert" | "delete", data: unknown, key?: TestKey): Buffer {
  const json = eventJson(kind, id, revision, op, data);
  return Buffer.from(key === undefined ? json : jws(key.privateKey, { alg: "EdDSA", kid: key.kid, typ: "gateway-policy-event+jws" }, json));
}

/** A signed checkpoint; `issuedAt` null leaves the field out (which no portal writes). */
export function checkpointValue(key: TestKey, revision: number, entities: [string, number][], issuedAt: string | null = "2026-11-19T10:01:00Z"): Buffer {
  const json = JSON.stringify({ schema: "gateway-policy-checkpoint/v1", revision, ...(issuedAt === null ? {} : { issued_at: issuedAt }), entities: Object.fromEntries(entities) });
  return Buffer.from(jws(key.privateKey, { alg: "EdDSA", kid: key.kid, typ: CHECKPOINT_TYP }, json));
}

export function client(id: string, status: "active" | "suspended" = "active", scopes: string[] = ["s"]): Record<string, unknown> {
  return { id, status, scopes };
}

export function bakedDoc(revision: number, clients: unknown[], publishers: TestKey[] = []): Record<string, unknown> {
  const doc: Record<string, unknown> = { schema: "gateway-policy/v1", revision, clients };
  if (publishers.length > 0) doc.publishers = publishers.map((k) => ({ kid: k.kid, jwk: k.jwk }));
  return doc;
}

export function baked(revision: number, clients: unknown[], publishers: TestKey[] = []): PolicyView {
  return loadPolicy(JSON.stringify(bakedDoc(revision, clients, publishers)));
}
