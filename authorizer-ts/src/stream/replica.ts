// The replica: the policy view rebuilt from the baked document plus the event stream, with
// the apply rule (authorizer/src/stream/replica.rs). Pure: records in, view and verdicts out.
//
// Apply rule: an event changes an entity only if its revision is higher than the one held
// for it (deletes remembered with their revision); the baked revision is the floor for every
// key. Trust anchor: signed mode is on exactly when the *baked* policy lists publishers, and
// the stream can never switch it on or off. Compaction: the served view leaves out every
// entity whose signed record has provably gone missing (see checkpoint.ts).

import { PolicyErrors } from "../policy/validate.js";
import { PolicyView, type EntityKind } from "../policy/view.js";
import { CHECKPOINT_KEY, checkpointAcceptance, decodeCheckpoint, type Checkpoint, type Withheld } from "./checkpoint.js";
import { decodeValue, parseKey, Rejected, recordKey, type Rejection } from "./event.js";

/** What happened to one record. */
export type Applied =
  | { readonly op: "upsert" | "delete"; readonly kind: EntityKind; readonly id: string; readonly revision: bigint; readonly signedBy: string | undefined }
  | { readonly op: "tombstone"; readonly kind: EntityKind; readonly id: string }
  | { readonly op: "checkpoint"; readonly revision: bigint; readonly signedBy: string; readonly entities: number }
  | { readonly op: "rejected"; readonly reason: Rejection; readonly detail: string };

/** The view to decide on, and the entities left out of it. */
export interface Served {
  readonly view: PolicyView;
  readonly withheld: readonly Withheld[];
}

/** Rejections no portal-signed record can earn: a writer without keys made them. */
function forged(reason: Rejection): boolean {
  return reason === "unsigned" || reason === "bad_signature" || reason === "malformed" || reason === "unknown_schema" || reason === "key_mismatch";
}

const CHECKPOINT_KEY_BYTES = Buffer.from(CHECKPOINT_KEY);

function rejected(e: unknown): Applied {
  if (e instanceof Rejected) return { op: "rejected", reason: e.reason, detail: e.detail };
  throw e;
}

export class Replica {
  /** The baked document's revision: no event at or below it changes anything. */
  readonly floor: bigint;
  /** Signed mode: the baked policy lists publishers. Fixed for the replica's life. */
  readonly signed: boolean;
  private view = new PolicyView();
  private hasPolicy = false;
  private readonly revisions = new Map<string, bigint>();
  /** The newest checkpoint verified; kept across reset(): what was proven stays a floor. */
  private held_: Checkpoint | undefined;
  /** Keys with a record rejected as forged or unreadable in this replay (signed mode). */
  private readonly suspect = new Set<string>();
  /** Keys with a record applied in this replay. */
  private readonly accepted = new Set<string>();

  constructor(private readonly baked: PolicyView | undefined) {
    this.signed = baked?.requiresSignedEvents() ?? false;
    this.floor = baked?.revision ?? 0n;
    this.reset();
  }

  /** Back to the baked policy (before a rebuild from offset 0); the checkpoint is kept. */
  reset(): void {
    this.revisions.clear();
    this.suspect.clear();
    this.accepted.clear();
    this.view = this.baked?.clone() ?? new PolicyView();
    this.hasPolicy = this.baked !== undefined;
  }

  /** The view as applied, before the checkpoint checks; decide on served() instead. */
  applied(): PolicyView | undefined {
    return this.hasPolicy ? this.view : undefined;
  }

  checkpoint(): Checkpoint | undefined {
    return this.held_;
  }

  /** The view to decide on: the applied view without the withheld entities. */
  served(): Served | undefined {
    const applied = this.applied();
    if (applied === undefined) return undefined;
    const withheld = this.withheld();
    const view = applied.clone();
    for (const w of withheld) {
      const k = parseKey(w.key);
      if (k !== undefined) view.remove(k.kind, k.id);
    }
    return { view, withheld };
  }

  /** The entities served() leaves out, sorted by key. */
  withheld(): Withheld[] {
    if (!this.signed) return [];
    const out: Withheld[] = [];
    if (this.held_ !== undefined) {
      for (const [key, expected] of this.held_.entities) {
        const k = parseKey(key);
        if (k === undefined) continue;
        const held = this.held(k.kind, k.id);
        if (held < expected) out.push({ key, because: { code: "behind_checkpoint", expected, held } });
      }
    }
    // The checkpoint itself was attacked (only forged or unreadable records on its key) and
    // none verifies: a key whose every record was rejected may have lost its signed history.
    if (this.held_ === undefined && this.suspect.has(CHECKPOINT_KEY)) {
      for (const key of this.suspect) {
        if (key === CHECKPOINT_KEY || this.accepted.has(key)) continue;
        out.push({ key, because: { code: "only_rejected_records" } });
      }
    }
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  revisionOf(kind: EntityKind, id: string): bigint | undefined {
    return this.revisions.get(recordKey(kind, id));
  }

  /** The revision an event must exceed to change this entity: its own, or the baked floor. */
  held(kind: EntityKind, id: string): bigint {
    return this.revisionOf(kind, id) ?? this.floor;
  }

  /** Applies one record (key and value as read from Kafka; null for none). */
  apply(key: Uint8Array | null, value: Uint8Array | null): Applied {
    if (key !== null && CHECKPOINT_KEY_BYTES.equals(key)) return this.track(CHECKPOINT_KEY, this.applyCheckpoint(value));
    const parsed = key === null ? undefined : parseKey(key);
    if (parsed === undefined) {
      return { op: "rejected", reason: "bad_key", detail: `key is not \`<kind>/<id>\` with kind issuer, client, api or publisher, nor \`${CHECKPOINT_KEY}\`` };
    }
    return this.track(recordKey(parsed.kind, parsed.id), this.applyEntity(parsed.kind, parsed.id, value));
  }

  private track(key: string, outcome: Applied): Applied {
    if (outcome.op !== "rejected") this.accepted.add(key);
    else if (this.signed && forged(outcome.reason)) this.suspect.add(key);
    return outcome;
  }

  private applyEntity(kind: EntityKind, id: string, value: Uint8Array | null): Applied {
    if (value === null) {
      // A tombstone carries no signature, so in signed mode it could be anyone's.
      if (this.signed) return { op: "rejected", reason: "unsigned", detail: "a tombstone cannot be signed; in signed mode delete with a signed `op: delete` event" };
      // The held revision stays as a floor: a replayed older upsert cannot resurrect it.
      this.view.remove(kind, id);
      return { op: "tombstone", kind, id };
    }
    let decoded;
    try {
      decoded = decodeValue(kind, id, value, this.view, this.signed);
    } catch (e) {
      return rejected(e);
    }
    if (kind === "publisher" && !this.signed) {
      return { op: "rejected", reason: "untrusted_publisher", detail: "publisher keys are trusted only from the baked policy, which lists none (unsigned mode); bake the key into the authorizers' policy to turn signed mode on" };
    }
    const { event, signedBy } = decoded;
    const held = this.held(kind, id);
    if (event.revision <= held) {
      const floor = this.revisionOf(kind, id) !== undefined ? "held" : "baked policy's floor";
      return { op: "rejected", reason: "stale_revision", detail: `revision ${event.revision} is not newer than the ${held} of the ${floor}` };
    }
    if (event.op === "upsert") {
      if (event.data === undefined) return { op: "rejected", reason: "malformed", detail: "an upsert needs `data`" };
      try {
        this.view.upsert(kind, event.data);
      } catch (e) {
        if (e instanceof PolicyErrors) return { op: "rejected", reason: "invalid_entity", detail: e.errors.map((x) => `${x.path}: ${x.message}`).join("\n") };
        throw e;
      }
    } else {
      this.view.remove(kind, id);
    }
    this.commit(kind, id, event.revision);
    return { op: event.op, kind, id, revision: event.revision, signedBy };
  }

  private applyCheckpoint(value: Uint8Array | null): Applied {
    if (value === null) return { op: "rejected", reason: "unsigned", detail: "a checkpoint tombstone cannot be signed" };
    let decoded;
    try {
      decoded = decodeCheckpoint(value, this.view);
    } catch (e) {
      return rejected(e);
    }
    if (!this.signed) return { op: "rejected", reason: "bad_signature", detail: "unsigned mode trusts no publisher key" };
    const refused = checkpointAcceptance(decoded.checkpoint, this.held_, this.floor);
    if (refused !== undefined) return rejected(refused);
    this.held_ = decoded.checkpoint;
    return { op: "checkpoint", revision: decoded.checkpoint.revision, signedBy: decoded.signedBy, entities: decoded.checkpoint.entities.size };
  }

  private commit(kind: EntityKind, id: string, revision: bigint): void {
    this.revisions.set(recordKey(kind, id), revision);
    if (revision > this.view.revision) this.view.revision = revision;
    this.hasPolicy = true;
  }
}
