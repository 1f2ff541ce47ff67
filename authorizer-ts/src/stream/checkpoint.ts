// The signed checkpoint (schema/gateway-policy-checkpoint.v1.json): the portal's statement
// of which revision every key of the topic holds (authorizer/src/stream/checkpoint.rs).
// Pure: decode, compare, and the one rule for accepting a checkpoint.
//
// Why it exists: compaction keeps only the latest record of each key, so a hostile record
// can erase the portal's signed one; signatures cannot show that something is missing, the
// checkpoint can (an entity held below its listed revision is withheld, never served older).

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

/** Decodes a checkpoint record's value; only a signed one counts, whatever the mode. */
export function decodeCheckpoint(value: Uint8Array, view: PolicyView | undefined): { checkpoint: Checkpoint; signedBy: string } {
  const { json, signedBy } = openValue(value, view, true);
  if (signedBy === undefined) throw new Rejected("unsigned", "a checkpoint must be signed");
  checkSchema(json, CHECKPOINT_SCHEMA);
  const checkpoint = checkpointFrom(json);
  if (checkpoint.revision === 0n) throw new Rejected("malformed", "`revision` must be at least 1");
  for (const k of checkpoint.entities.keys()) {
    if (parseKey(k) === undefined) throw new Rejected("malformed", `\`entities\` names ${JSON.stringify(k)}, which is not \`<kind>/<id>\``);
  }
  for (const [k, r] of checkpoint.entities) {
    if (r === 0n || r > checkpoint.revision) throw new Rejected("malformed", `\`entities.${k}\` is ${r}, outside 1..=${checkpoint.revision} (the checkpoint's revision)`);
  }
  return { checkpoint, signedBy };
}

/**
 * Whether a verified checkpoint replaces the one held: the rollback rule, kept here alone so
 * a change to it (a freshness bound on `issued_at`, say) is made in one place. A checkpoint
 * must be newer than the one held and than the baked revision; the same one read again (a
 * rebuild keeps the checkpoint verified) is accepted.
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
  | { readonly code: "only_rejected_records" };

/** One entity withheld from the served view (decisions that need it deny). */
export interface Withheld {
  readonly key: string;
  readonly because: WithheldBecause;
}

export function describeWithheld(b: WithheldBecause): string {
  return b.code === "behind_checkpoint"
    ? `the last verified checkpoint lists revision ${b.expected} but the topic yields ${b.held}: a signed record is missing (compacted away after a hostile write?)`
    : "no checkpoint covers this key and every record for it was rejected: its signed history may have been compacted away";
}
