// The policy event (contract 2, schema/gateway-policy-event.v1.json): a Kafka record's key
// and value into an event, with the signature checked in signed mode, and events encoded
// for tests and publishers (authorizer/src/stream/event.rs). Pure: no Kafka here.

import { verify } from "node:crypto";

import { decodeB64url, isB64url } from "../b64.js";
import { display, get, isObject, parseExact, utf8, type Json, type JsonObject } from "../json.js";
import { asU64, isIdentifier, RUST_WHITESPACE } from "../policy/validate.js";
import { ENTITY_KINDS, type EntityKind, type PolicyView } from "../policy/view.js";

/** The `schema` value of every v1 policy event. */
export const EVENT_SCHEMA = "gateway-policy-event/v1";

export type Op = "upsert" | "delete";

/** Why a record was not applied; the codes are metric dimensions and log fields. */
export const REJECTIONS = [
  "bad_key", "malformed", "unknown_schema", "key_mismatch", "unsigned", "bad_signature",
  "stale_revision", "invalid_entity", "untrusted_publisher",
] as const;
export type Rejection = (typeof REJECTIONS)[number];

/** A record that is not applied: the reason code and a detail for the log line. */
export class Rejected extends Error {
  constructor(
    readonly reason: Rejection,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** A policy event's value, as serde reads `PolicyEvent` (unknown fields refused). */
export interface PolicyEvent {
  readonly schema: string;
  readonly kind: string;
  readonly id: string;
  readonly revision: bigint;
  readonly op: Op;
  readonly issuedAt: string | undefined;
  readonly data: Json | undefined;
}

/** A record's key `<kind>/<id>`; `undefined` for anything else (not UTF-8 included). */
export function parseKey(key: Uint8Array | string): { kind: EntityKind; id: string } | undefined {
  const text = typeof key === "string" ? key : utf8(key);
  if (text === undefined) return undefined;
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const kind = text.slice(0, slash);
  const id = text.slice(slash + 1);
  if (!(ENTITY_KINDS as readonly string[]).includes(kind) || !isIdentifier(id)) return undefined;
  return { kind: kind as EntityKind, id };
}

export function recordKey(kind: EntityKind, id: string): string {
  return `${kind}/${id}`;
}

const TRIM = new RegExp(`^${RUST_WHITESPACE.source}+|${RUST_WHITESPACE.source}+$`, "gu");

function parseJson(text: string, what: string): Json {
  try {
    return parseExact(text);
  } catch (e) {
    throw new Rejected("malformed", `${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Opens a record value: a plain JSON object, or a compact JWS checked against the publisher
 * keys of `view`. The order is docs/policy-events.md's: the form (`malformed`), then the
 * signature (`unsigned` for plain JSON when `signed`, `bad_signature`), then the payload.
 */
export function openValue(value: Uint8Array, view: PolicyView | undefined, signed: boolean): { json: Json; signedBy: string | undefined } {
  const decoded = utf8(value);
  if (decoded === undefined) throw new Rejected("malformed", "value is not UTF-8");
  const text = decoded.replace(TRIM, "");
  if (text.startsWith("{")) {
    const json = parseJson(text, "not JSON");
    if (signed) throw new Rejected("unsigned", "the baked policy lists publishers, so values must be signed (compact JWS)");
    return { json, signedBy: undefined };
  }
  const { payload, kid } = verifyJws(text, view);
  const payloadText = utf8(payload);
  if (payloadText === undefined) throw new Rejected("malformed", "JWS payload is not JSON: invalid UTF-8");
  return { json: parseJson(payloadText, "JWS payload is not JSON"), signedBy: kid };
}

const NOT_JWS = "neither a JSON object nor a compact JWS (three base64url parts)";

/** The `kid` a compact JWS value names, when its header is one the portal writes (EdDSA, no
 *  `crit`) and the kid could be a publisher's: a value rejected as `bad_signature` under such
 *  a kid the view does not trust may verify once the stream introduces that key. */
export function jwsKid(value: Uint8Array): string | undefined {
  const decoded = utf8(value);
  if (decoded === undefined) return undefined;
  const parts = decoded.replace(TRIM, "").split(".");
  const h = parts[0];
  if (parts.length !== 3 || h === undefined) return undefined;
  const headerBytes = decodeB64url(h);
  const headerText = headerBytes === undefined ? undefined : utf8(headerBytes);
  if (headerText === undefined) return undefined;
  let header: Json;
  try {
    header = parseExact(headerText);
  } catch {
    return undefined;
  }
  if (get(header, "alg") !== "EdDSA" || get(header, "crit") !== undefined) return undefined;
  const kid = get(header, "kid");
  return typeof kid === "string" && isIdentifier(kid) ? kid : undefined;
}

/** Verifies a compact JWS signed by a publisher key of the policy; its payload and kid. */
function verifyJws(text: string, view: PolicyView | undefined): { payload: Buffer; kid: string } {
  const parts = text.split(".");
  const [h, p, s] = parts;
  if (parts.length !== 3 || h === undefined || p === undefined || s === undefined) throw new Rejected("malformed", NOT_JWS);
  if (![h, p, s].every((part) => part !== "" && isB64url(part))) throw new Rejected("malformed", NOT_JWS);
  const headerBytes = decodeB64url(h);
  const headerText = headerBytes === undefined ? undefined : utf8(headerBytes);
  let header: Json;
  try {
    if (headerText === undefined) throw new Error("not base64url");
    header = parseExact(headerText);
  } catch {
    throw new Rejected("malformed", "JWS header is not base64url JSON");
  }
  if (get(header, "alg") !== "EdDSA" || get(header, "crit") !== undefined) {
    throw new Rejected("bad_signature", "policy events are signed with EdDSA and no crit header");
  }
  const kidValue = get(header, "kid");
  const kid = typeof kidValue === "string" ? kidValue : "";
  const key = view?.publisher(kid);
  if (key === undefined) throw new Rejected("bad_signature", `kid ${JSON.stringify(kid)} is not a trusted publisher key`);
  const signature = decodeB64url(s);
  let ok = false;
  if (signature !== undefined && key.key !== undefined && key.family === "ed25519") {
    try {
      ok = verify(null, Buffer.from(`${h}.${p}`), key.key, signature);
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new Rejected("bad_signature", `signature does not verify with publisher key ${JSON.stringify(kid)}`);
  const payload = decodeB64url(p);
  if (payload === undefined) throw new Rejected("malformed", "JWS payload is not base64url");
  return { payload, kid };
}

/** The schema check both payloads start with: `unknown_schema` unless exactly `expected`. */
export function checkSchema(raw: Json, expected: string): void {
  const schema = get(raw, "schema");
  if (schema !== expected) throw new Rejected("unknown_schema", `schema ${display(schema ?? null)} is not "${expected}"`);
}

/** serde's `deny_unknown_fields` on a struct: every member known, required ones present. */
export function structFields(raw: Json, what: string, required: readonly string[], optional: readonly string[]): JsonObject {
  if (!isObject(raw)) throw new Rejected("malformed", `not ${what}: expected a JSON object`);
  for (const k of Object.keys(raw)) {
    if (!required.includes(k) && !optional.includes(k)) throw new Rejected("malformed", `not ${what}: unknown field \`${k}\``);
  }
  for (const k of required) if (!Object.hasOwn(raw, k)) throw new Rejected("malformed", `not ${what}: missing field \`${k}\``);
  return raw;
}

/** `Option<String>` with `#[serde(default)]`: absent or null is none. */
export function optionalString(obj: JsonObject, key: string, what: string): string | undefined {
  const v = get(obj, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new Rejected("malformed", `not ${what}: \`${key}\` must be a string`);
  return v;
}

function eventFrom(raw: Json): PolicyEvent {
  const what = "a policy event";
  const obj = structFields(raw, what, ["schema", "kind", "id", "revision", "op"], ["issued_at", "data"]);
  const str = (k: string): string => {
    const v = get(obj, k);
    if (typeof v !== "string") throw new Rejected("malformed", `not ${what}: \`${k}\` must be a string`);
    return v;
  };
  const revision = asU64(get(obj, "revision"));
  if (revision === undefined) throw new Rejected("malformed", `not ${what}: \`revision\` must be a whole number`);
  const op = get(obj, "op");
  if (op !== "upsert" && op !== "delete") throw new Rejected("malformed", `not ${what}: \`op\` must be "upsert" or "delete"`);
  const data = get(obj, "data");
  return { schema: str("schema"), kind: str("kind"), id: str("id"), revision, op, issuedAt: optionalString(obj, "issued_at", what), data: data === null ? undefined : data };
}

/** Decodes a record's value and checks it against its key (and the signature in signed mode). */
export function decodeValue(kind: EntityKind, id: string, value: Uint8Array, view: PolicyView | undefined, signed: boolean): { event: PolicyEvent; signedBy: string | undefined } {
  const { json, signedBy } = openValue(value, view, signed);
  checkSchema(json, EVENT_SCHEMA);
  const event = eventFrom(json);
  if (event.revision === 0n) throw new Rejected("malformed", "`revision` must be at least 1 (the portal's change sequence number)");
  if (event.kind !== kind || event.id !== id) {
    throw new Rejected("key_mismatch", `value names ${event.kind}/${event.id} but the key is ${recordKey(kind, id)}`);
  }
  if (event.op === "upsert" && get(event.data, kind === "publisher" ? "kid" : "id") !== id) {
    throw new Rejected("key_mismatch", "an upsert's `data` must be the entity, with the key's id");
  }
  return { event, signedBy };
}
