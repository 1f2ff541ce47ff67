// The signed checkpoint (schema/gateway-policy-checkpoint.v1.json): the portal's statement
// of which revision every key of the topic holds (authorizer/src/stream/checkpoint.rs).
// Pure: decode, compare, and the one rule for accepting a checkpoint.
//
// Why it exists: compaction keeps only the latest record of each key, so a hostile record
// can erase the portal's signed one; signatures cannot show that something is missing, the
// checkpoint can (an entity held below its listed revision is withheld, never served older).
//
// Why it carries a time: a writer without keys can also replay an older checkpoint with the
// older events it describes; after compaction a cold authorizer sees a consistent, signed,
// older state. The anchor is the clock: a checkpoint is fresh while its `issued_at` is within
// the maximum age, and a replay that verified no fresh one serves the baked policy (TUF's
// timestamp role).

import { get, isObject, type Json } from "../json.js";
import { asU64 } from "../policy/validate.js";
import type { PolicyView } from "../policy/view.js";
import { checkSchema, openValue, optionalString, parseKey, Rejected, structFields } from "./event.js";

export const CHECKPOINT_SCHEMA = "gateway-policy-checkpoint/v1";
/** The one record key checkpoints are published under (compaction keeps the latest). */
export const CHECKPOINT_KEY = "checkpoint/state";
export const CHECKPOINT_TYP = "gateway-policy-checkpoint+jws";

export interface Checkpoint {
  readonly schema: string;
  /** The portal's revision when it was written: the highest revision it covers. */
  readonly revision: bigint;
  readonly issuedAt: string | undefined;
  /** Every entity key the topic holds a signed record for, with that record's revision. */
  readonly entities: ReadonlyMap<string, bigint>;
}

/** The same checkpoint (Rust's derived `PartialEq`: every field). */
export function sameCheckpoint(a: Checkpoint | undefined, b: Checkpoint): boolean {
  if (a === undefined || a.schema !== b.schema || a.revision !== b.revision || a.issuedAt !== b.issuedAt || a.entities.size !== b.entities.size) return false;
  for (const [k, r] of a.entities) if (b.entities.get(k) !== r) return false;
  return true;
}

function checkpointFrom(raw: Json): Checkpoint {
  const what = "a checkpoint";
  const obj = structFields(raw, what, ["schema", "revision", "entities"], ["issued_at"]);
  const revision = asU64(get(obj, "revision"));
  if (revision === undefined) throw new Rejected("malformed", `not ${what}: \`revision\` must be a whole number`);
  const entitiesJson = get(obj, "entities");
  if (!isObject(entitiesJson)) throw new Rejected("malformed", `not ${what}: \`entities\` must be an object`);
  const entities = new Map<string, bigint>();
  // Sorted as a BTreeMap iterates, so the first problem named is the Rust build's.
  for (const k of Object.keys(entitiesJson).sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1))) {
    const r = asU64(get(entitiesJson, k));
    if (r === undefined) throw new Rejected("malformed", `not ${what}: \`entities.${k}\` must be a whole number`);
    entities.set(k, r);
  }
  return { schema: CHECKPOINT_SCHEMA, revision, issuedAt: optionalString(obj, "issued_at", what), entities };
}

/** A checkpoint that verified: its payload, its signer, and its `issued_at` in Unix seconds. */
export interface VerifiedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly signedBy: string;
  readonly issuedAt: bigint;
}

/** How far ahead a checkpoint's `issued_at` may be and still count as fresh (clock skew). */
export const MAX_CLOCK_SKEW_S = 300n;

/** Issued no more than `maxAgeS` before `now` and not beyond the clock skew after it: a
 *  checkpoint dated in the future would otherwise stay fresh for as long as it is ahead. */
export function isFresh(issuedAt: bigint, now: bigint, maxAgeS: bigint): boolean {
  return issuedAt <= now + MAX_CLOCK_SKEW_S && now - issuedAt <= maxAgeS;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+\-\u2212]\d{2}:\d{2})$/u;

/** Reads an RFC 3339 time (`2026-12-02T10:00:00Z`) as Unix seconds, as chrono's
 *  `parse_from_rfc3339` does (a leap second 60 reads as second 59, as chrono represents it). */
export function parseRfc3339(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const zone = m[8] ?? "Z";
  const daysIn = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mo < 1 || mo > 12 || d < 1 || d > (daysIn[mo - 1] ?? 0) || h > 23 || mi > 59 || s > 60) return undefined;
  let offset = 0;
  if (zone !== "Z" && zone !== "z") {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    // chrono also takes U+2212 MINUS SIGN for the offset's sign.
    offset = (zone.startsWith("+") ? 1 : -1) * (oh * 3600 + om * 60);
  }
  // setUTCFullYear, not Date.UTC: the latter reads years 0..99 as 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  const dayNumber = BigInt(Math.floor(date.getTime() / 86_400_000));
  return dayNumber * 86_400n + BigInt(h * 3600 + mi * 60 + Math.min(s, 59) - offset);
}

/** Decodes a checkpoint record's value; only a signed one counts, whatever the mode. */
export function decodeCheckpoint(value: Uint8Array, view: PolicyView | undefined): VerifiedCheckpoint {
  const { json, signedBy } = openValue(value, view, true);
  if (signedBy === undefined) throw new Rejected("unsigned", "a checkpoint must be signed");
  checkSchema(json, CHECKPOINT_SCHEMA);
  const checkpoint = checkpointFrom(json);
  if (checkpoint.revision === 0n) throw new Rejected("malformed", "`revision` must be at least 1");
  const issuedAt = checkpoint.issuedAt === undefined ? undefined : parseRfc3339(checkpoint.issuedAt);
  if (issuedAt === undefined) {
    throw new Rejected("malformed", "`issued_at` must be an RFC 3339 time (e.g. 2026-12-02T10:00:00Z): without it a replayed checkpoint never expires; publish with `authz publish`");
  }
  for (const k of checkpoint.entities.keys()) {
    if (parseKey(k) === undefined) throw new Rejected("malformed", `\`entities\` names ${JSON.stringify(k)}, which is not \`<kind>/<id>\``);
  }
  for (const [k, r] of checkpoint.entities) {
    if (r === 0n || r > checkpoint.revision) throw new Rejected("malformed", `\`entities.${k}\` is ${r}, outside 1..=${checkpoint.revision} (the checkpoint's revision)`);
  }
  return { checkpoint, signedBy, issuedAt };
}

/**
 * Whether a verified checkpoint replaces the one held: the rollback rule, kept here alone so
 * a change to it is made in one place. A checkpoint must be newer than the one held and than
 * the baked revision; the same one read again (a rebuild keeps the checkpoint verified) is
 * accepted. Freshness is not part of it: an expired checkpoint still becomes the floor, it
 * only does not anchor the replay (see replica.ts).
 */
export function checkpointAcceptance(candidate: Checkpoint, held: Checkpoint | undefined, bakedRevision: bigint): Rejected | undefined {
  const newest = held?.revision ?? bakedRevision;
  if (candidate.revision <= newest && !sameCheckpoint(held, candidate)) {
    return new Rejected("stale_revision", `checkpoint revision ${candidate.revision} is not newer than the ${newest} held`);
  }
  return undefined;
}

export type WithheldBecause =
  | { readonly code: "behind_checkpoint"; readonly expected: bigint; readonly held: bigint }
  | { readonly code: "suspect_without_fresh_checkpoint" }
  | { readonly code: "not_in_checkpoint"; readonly checkpoint: bigint };

/** One entity withheld from the served view (decisions that need it deny). */
export interface Withheld {
  readonly key: string;
  readonly because: WithheldBecause;
}

export function describeWithheld(b: WithheldBecause): string {
  switch (b.code) {
    case "behind_checkpoint":
      return `the last verified checkpoint lists revision ${b.expected} but the topic yields ${b.held}: a signed record is missing (compacted away after a hostile write?)`;
    case "suspect_without_fresh_checkpoint":
      return "no fresh checkpoint verified, so the baked policy is served, and this key had a forged, unreadable or replayed record: its baked state may be one the portal has since changed";
    case "not_in_checkpoint":
      return `the checkpoint at revision ${b.checkpoint} lists the portal's whole state and not this key: the portal deleted it (its delete record is missing) or never published it`;
  }
}
