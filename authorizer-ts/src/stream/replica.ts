// The replica: the policy view rebuilt from the baked document plus the event stream, with
// the apply rule (authorizer/src/stream/replica.rs). Pure: records in, view and verdicts out.
//
// Apply rule: an event changes an entity only if its revision is higher than the one held
// for it (deletes remembered with their revision); the baked revision is the floor for every
// key. Trust anchor: signed mode is on exactly when the *baked* policy lists publishers, and
// the stream can never switch it on or off. Compaction: the served view leaves out every
// entity whose signed record has provably gone missing (see checkpoint.ts).
//
// Replay: in signed mode the stream's state is served only once this replay has verified a
// fresh checkpoint (issued within the maximum age when read). Until then the baked policy is
// served, without the keys that had a record no portal writes: a writer without keys who
// replays an older signed state then achieves no more than a Kafka outage does (the baked
// floor). A replayed record older than one already applied is such a record too.
//
// Rotation out of order: a record signed by a publisher key the replica does not trust yet
// is held back (the latest per record key, at most PENDING_MAX_BYTES in all) and, when a
// verified publisher upsert introduces a key, re-applied under the normal rules in its
// original log order (checkpoint freshness judged when it is retried). A held record counts
// as suspect until it verifies. Whether a record is a replay is judged by log position: a
// record is a replay when a record of the same key earlier in the log holds a higher revision.

import { PolicyErrors } from "../policy/validate.js";
import { PolicyView, type EntityKind } from "../policy/view.js";
import { CHECKPOINT_KEY, checkpointAcceptance, decodeCheckpoint, isFresh, sameCheckpoint, type Checkpoint, type Withheld } from "./checkpoint.js";
import { decodeValue, jwsKid, parseKey, Rejected, recordKey, type Rejection } from "./event.js";

/** What happened to one record. */
export type Applied =
  | { readonly op: "upsert" | "delete"; readonly kind: EntityKind; readonly id: string; readonly revision: bigint; readonly signedBy: string | undefined }
  | { readonly op: "tombstone"; readonly kind: EntityKind; readonly id: string }
  | { readonly op: "checkpoint"; readonly revision: bigint; readonly signedBy: string; readonly entities: number; readonly fresh: boolean }
  | { readonly op: "rejected"; readonly reason: Rejection; readonly detail: string };

/** A record rejected earlier in this replay because its signing kid was not trusted then,
 *  re-applied once a publisher upsert introduced a key. */
export interface Retried {
  /** The record's position in this replica's input: the count of records applied before it. */
  readonly position: number;
  /** The record key as read (`<kind>/<id>` or the checkpoint key). */
  readonly key: string;
  readonly outcome: Applied;
}

/** How many bytes (keys and values) of records signed by an unknown kid a replica holds for a
 *  retry; beyond it nothing more is held in this replay (they are suspect as forged), and
 *  pendingDropped counts them. */
export const PENDING_MAX_BYTES = 8 << 20;

interface Pending {
  readonly position: number;
  readonly value: Uint8Array;
}

/** A verified publisher upsert: the replica may now trust a key it did not. */
function isLearned(outcome: Applied): boolean {
  return outcome.op === "upsert" && outcome.kind === "publisher";
}

/** The view to decide on, and the entities left out of it. */
export interface Served {
  readonly view: PolicyView;
  readonly withheld: readonly Withheld[];
  /** Signed mode without a fresh checkpoint in this replay: `view` is the baked policy. */
  readonly unanchored: boolean;
}

/** How old a checkpoint may be and still let a replay serve the stream's state, unless
 *  configured (`AUTHZ_CHECKPOINT_MAX_AGE_S`): one day, as TUF's timestamp role defaults to. */
export const DEFAULT_CHECKPOINT_MAX_AGE_S = 86_400n;

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
  /** A fresh checkpoint was verified in this replay (cleared by reset()). */
  private anchored_ = false;
  /** Keys with a record no portal writes in this replay (signed mode): rejected as forged or
   *  unreadable, or a replay older than the revision already applied. */
  readonly suspect = new Set<string>();
  /** The position the next record gets (never reset: positions only grow). */
  private position = 0;
  /** Where in the log the record holding each entity's revision was (cleared by reset()). */
  private readonly appliedAt = new Map<string, number>();
  /** Where the checkpoint held was verified in this replay (undefined: kept from before). */
  private checkpointAt: number | undefined;
  /** Records rejected for a kid not trusted yet, by record key: the latest of each. */
  private readonly pending_ = new Map<string, Pending>();
  private pendingBytes = 0;
  /** The bound was reached in this replay: nothing more is held until a reset. */
  private pendingFull = false;
  /** Records not held because of the bound, over the replica's life. */
  pendingDropped = 0;
  /** What the retries the last apply() set off did, in log order. */
  retried: Retried[] = [];

  /** `checkpointMaxAgeS`: how old a checkpoint may be when read and still anchor the replay. */
  constructor(
    private readonly baked: PolicyView | undefined,
    readonly checkpointMaxAgeS: bigint = DEFAULT_CHECKPOINT_MAX_AGE_S,
    readonly pendingMaxBytes: number = PENDING_MAX_BYTES,
  ) {
    this.signed = baked?.requiresSignedEvents() ?? false;
    this.floor = baked?.revision ?? 0n;
    this.reset();
  }

  /** Back to the baked policy (before a rebuild from offset 0). The checkpoint is kept as a
   *  floor; the rebuild must verify a fresh one again before the stream's state is served. */
  reset(): void {
    this.anchored_ = false;
    this.revisions.clear();
    this.suspect.clear();
    this.appliedAt.clear();
    this.checkpointAt = undefined;
    this.pending_.clear();
    this.pendingBytes = 0;
    this.pendingFull = false;
    this.retried = [];
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

  /** Whether the stream's state may be served: unsigned mode, or a fresh checkpoint was
   *  verified in this replay. */
  anchored(): boolean {
    return !this.signed || this.anchored_;
  }

  /** The view to decide on: the applied view without the withheld entities; in signed mode
   *  without a fresh checkpoint, the baked policy without the suspect keys. */
  served(): Served | undefined {
    const unanchored = !this.anchored();
    const base = unanchored ? this.baked : this.applied();
    if (base === undefined) return undefined;
    const withheld = this.withheld();
    const view = base.clone();
    for (const w of withheld) {
      const k = parseKey(w.key);
      if (k !== undefined) view.remove(k.kind, k.id);
    }
    return { view, withheld, unanchored };
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
      // The checkpoint is the portal's whole state: an entity it does not list, held no
      // newer than it, is one the portal deleted (a delete record buried and compacted away
      // would otherwise bring the baked entity back) or never published.
      const cp = this.held_;
      for (const kind of ["issuer", "client", "api"] as const) {
        for (const id of this.view.ids(kind)) {
          const key = recordKey(kind, id);
          if (!cp.entities.has(key) && this.held(kind, id) <= cp.revision) {
            out.push({ key, because: { code: "not_in_checkpoint", checkpoint: cp.revision } });
          }
        }
      }
    }
    // Without a fresh checkpoint the baked policy is served; a key with a record no portal
    // writes may have had its newer signed history compacted away or rolled back. (The
    // checkpoint rule above is about the applied view, which is not served then.)
    if (!this.anchored()) {
      out.length = 0;
      for (const key of new Set([...this.suspect, ...this.pending_.keys()])) {
        if (key !== CHECKPOINT_KEY) out.push({ key, because: { code: "suspect_without_fresh_checkpoint" } });
      }
    }
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  /** Whether a key counts as suspect now: a record no portal writes, or one held that has not
   *  verified (yet). */
  isSuspect(key: string): boolean {
    return this.suspect.has(key) || this.pending_.has(key);
  }

  /** The records held for a retry (rejected for a kid not trusted yet): how many, and bytes. */
  pending(): { count: number; bytes: number } {
    return { count: this.pending_.size, bytes: this.pendingBytes };
  }

  revisionOf(kind: EntityKind, id: string): bigint | undefined {
    return this.revisions.get(recordKey(kind, id));
  }

  /** The revision an event must exceed to change this entity: its own, or the baked floor. */
  held(kind: EntityKind, id: string): bigint {
    return this.revisionOf(kind, id) ?? this.floor;
  }

  /** Applies one record (key and value as read from Kafka; null for none) read at `now`
   *  (Unix seconds: it decides whether a checkpoint is fresh). */
  apply(key: Uint8Array | null, value: Uint8Array | null, now: bigint): Applied {
    this.retried = [];
    const position = this.position++;
    const outcome = this.judge(key, value, now, position, false);
    if (isLearned(outcome)) this.retryPending(now);
    return outcome;
  }

  /** Re-applies the held records in log order, again after every key a retry introduces. */
  private retryPending(now: bigint): void {
    for (;;) {
      const queue = [...this.pending_].sort((a, b) => a[1].position - b[1].position);
      this.pending_.clear();
      this.pendingBytes = 0;
      let learned = false;
      let i = 0;
      for (; i < queue.length; i++) {
        const [key, p] = queue[i] as [string, Pending];
        const outcome = this.judge(Buffer.from(key), p.value, now, p.position, true);
        if (this.pending_.get(key)?.position === p.position) continue; // Still not trusted: held again.
        learned = isLearned(outcome);
        this.retried.push({ position: p.position, key, outcome });
        if (learned) {
          i++;
          break;
        }
      }
      for (const [key, p] of queue.slice(i)) {
        this.pendingBytes += Buffer.byteLength(key) + p.value.length;
        this.pending_.set(key, p);
      }
      if (!learned || this.pending_.size === 0) return;
    }
  }

  /** Judges one record as read at `position` in the log. */
  private judge(key: Uint8Array | null, value: Uint8Array | null, now: bigint, position: number, retry: boolean): Applied {
    if (key !== null && CHECKPOINT_KEY_BYTES.equals(key)) return this.track(CHECKPOINT_KEY, value, this.applyCheckpoint(value, now, position), position, retry);
    const parsed = key === null ? undefined : parseKey(key);
    if (parsed === undefined) {
      return { op: "rejected", reason: "bad_key", detail: `key is not \`<kind>/<id>\` with kind issuer, client, api or publisher, nor \`${CHECKPOINT_KEY}\`` };
    }
    return this.track(recordKey(parsed.kind, parsed.id), value, this.applyEntity(parsed.kind, parsed.id, value, position), position, retry);
  }

  private track(key: string, value: Uint8Array | null, outcome: Applied, position: number, retry: boolean): Applied {
    if (outcome.op === "rejected" && this.signed && forged(outcome.reason) && !this.hold(key, value, outcome, position, retry)) this.suspect.add(key);
    return outcome;
  }

  /** Holds a record rejected because its kid is not trusted (yet) for a retry; whether it is
   *  held. The latest such record of a key replaces an earlier one, as compaction would. A
   *  record held before and retried (`retry`) is held again whatever the bound. */
  private hold(key: string, value: Uint8Array | null, outcome: Applied, position: number, retry: boolean): boolean {
    if (value === null || outcome.op !== "rejected" || outcome.reason !== "bad_signature") return false;
    const kid = jwsKid(value);
    if (kid === undefined || this.view.publisher(kid) !== undefined) return false;
    const keyBytes = Buffer.byteLength(key);
    const old = this.pending_.get(key);
    if (old !== undefined) {
      this.pending_.delete(key);
      this.pendingBytes -= keyBytes + old.value.length;
    }
    const size = keyBytes + value.length;
    if (!retry && (this.pendingFull || this.pendingBytes + size > this.pendingMaxBytes)) {
      this.pendingFull = true;
      this.pendingDropped += 1;
      return false;
    }
    this.pendingBytes += size;
    this.pending_.set(key, { position, value: Uint8Array.from(value) });
    return true;
  }

  /** Whether the record holding this entity's revision came before `position` in the log. */
  private appliedBefore(key: string, position: number): boolean {
    const at = this.appliedAt.get(key);
    return at === undefined || at < position;
  }

  private applyEntity(kind: EntityKind, id: string, value: Uint8Array | null, position: number): Applied {
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
      // The portal never writes a lower revision after a higher one: a replay. (A retried
      // record may precede the one held: then the log is in order.)
      const own = this.revisionOf(kind, id);
      if (this.signed && own !== undefined && event.revision < own && this.appliedBefore(recordKey(kind, id), position)) this.suspect.add(recordKey(kind, id));
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
    this.commit(kind, id, event.revision, position);
    return { op: event.op, kind, id, revision: event.revision, signedBy };
  }

  private applyCheckpoint(value: Uint8Array | null, now: bigint, position: number): Applied {
    if (value === null) return { op: "rejected", reason: "unsigned", detail: "a checkpoint tombstone cannot be signed" };
    let decoded;
    try {
      decoded = decodeCheckpoint(value, this.view);
    } catch (e) {
      return rejected(e);
    }
    if (!this.signed) return { op: "rejected", reason: "bad_signature", detail: "unsigned mode trusts no publisher key" };
    const refused = checkpointAcceptance(decoded.checkpoint, this.held_, this.floor);
    if (refused !== undefined) {
      // Older than one verified earlier in the log (not the baked floor): a replay.
      if (this.held_ !== undefined && (this.checkpointAt === undefined || this.checkpointAt < position)) this.suspect.add(CHECKPOINT_KEY);
      return rejected(refused);
    }
    const fresh = isFresh(decoded.issuedAt, now, this.checkpointMaxAgeS);
    this.anchored_ ||= fresh;
    // A retried checkpoint newer than one that came later in the log: that one was a replay.
    if (this.checkpointAt !== undefined && this.checkpointAt > position && !sameCheckpoint(this.held_, decoded.checkpoint)) this.suspect.add(CHECKPOINT_KEY);
    this.checkpointAt = position;
    this.held_ = decoded.checkpoint;
    return { op: "checkpoint", revision: decoded.checkpoint.revision, signedBy: decoded.signedBy, entities: decoded.checkpoint.entities.size, fresh };
  }

  private commit(kind: EntityKind, id: string, revision: bigint, position: number): void {
    const key = recordKey(kind, id);
    // A retried record newer than the one held, which came later in the log: that one was a
    // replay of an older state.
    if (this.signed && !this.appliedBefore(key, position)) this.suspect.add(key);
    this.appliedAt.set(key, position);
    this.revisions.set(key, revision);
    if (revision > this.view.revision) this.view.revision = revision;
    this.hasPolicy = true;
  }
}
