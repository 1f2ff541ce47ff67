//! The replica: the policy view rebuilt from the baked document plus the event stream,
//! with the apply rule. Pure: records in, view and verdicts out; no Kafka here.
//!
//! Apply rule: an event changes an entity only if its revision is higher than the one held
//! for that entity (deletes are remembered with their revision). The baked document's
//! revision is the floor for every key, present in it or not. A tombstone (null value)
//! forgets the key (unsigned mode only).
//!
//! Trust anchor: signed mode is on exactly when the *baked* policy lists publishers. The
//! stream can rotate publisher keys in signed mode (signed by a key already trusted) but can
//! never switch signed mode on or off, so a rebuild from offset 0 judges every record as the
//! live replay did, and a writer without keys cannot bring in a key of their own.
//!
//! Compaction: the served view ([`Replica::served`]) leaves out every entity whose signed
//! record has provably gone missing (see [`super::checkpoint`]), rather than fall back to an
//! older state.
//!
//! Replay: in signed mode the stream's state is served only once this replay has verified a
//! *fresh* checkpoint (issued within the maximum age when read). Until then the baked policy
//! is served, without the keys that had a record no portal writes: a writer without keys who
//! replays an older signed state can then achieve no more than a Kafka outage does (the baked
//! floor), and within the maximum age no more than a return to a state the portal signed in
//! that window. A replayed record older than one already applied is such a record too.
//!
//! Rotation out of order: a record signed by a publisher key the replica does not trust yet
//! is held back (the latest per record key, at most [`PENDING_MAX_BYTES`] in all) and, when
//! a verified publisher upsert introduces a key, re-applied under the normal rules in its
//! original log order (checkpoint freshness judged when it is retried). A writer without keys
//! who copies the rotation record to the end of the topic, so that compaction drops the
//! original, then delays the records signed by the new key instead of withholding them. A
//! held record counts as suspect until it verifies: one that does was signed by a key the
//! portal's chain of trust introduced, so no writer without keys made it. Whether a record
//! is a replay is judged by log position, not by when it was applied: a record is a replay
//! when a record of the same key that came earlier in the log holds a higher revision.

use std::collections::{BTreeSet, HashMap};

use super::checkpoint::{
    decode_checkpoint, is_fresh, Checkpoint, VerifiedCheckpoint, Withheld, WithheldBecause,
    CHECKPOINT_KEY,
};
use super::event::{decode_value, jws_kid, parse_key, record_key, Op, Rejection};
use crate::policy::{EntityKind, PolicyView};

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Upserted {
        kind: EntityKind,
        id: String,
        revision: u64,
        signed_by: Option<String>,
    },
    Deleted {
        kind: EntityKind,
        id: String,
        revision: u64,
        signed_by: Option<String>,
    },
    /// A tombstone: the key is forgotten (compaction removes what came before it).
    Tombstone {
        kind: EntityKind,
        id: String,
    },
    /// A signed checkpoint, now the one the served view is checked against.
    Checkpoint {
        revision: u64,
        signed_by: String,
        entities: usize,
        /// Issued within the maximum age when read: the stream's state may be served.
        fresh: bool,
    },
    Rejected {
        reason: Rejection,
        detail: String,
    },
}

/// A record rejected earlier in this replay because its signing kid was not trusted then,
/// re-applied once a publisher upsert introduced a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retried {
    /// The record's position in this replica's input: the count of records applied before it.
    pub position: u64,
    /// The record key as read (`<kind>/<id>` or the checkpoint key).
    pub key: String,
    pub outcome: Applied,
}

/// How many bytes (keys and values) of records signed by an unknown kid a replica holds for
/// a retry. A writer can flood distinct keys with such records; beyond the bound nothing
/// more is held in this replay (they are suspect as forged), and
/// [`Replica::pending_dropped`] counts them.
pub const PENDING_MAX_BYTES: usize = 8 << 20;

#[derive(Debug, Clone)]
struct Pending {
    position: u64,
    value: Vec<u8>,
}

/// The view to decide on, and the entities left out of it.
#[derive(Debug, Clone)]
pub struct Served {
    pub view: PolicyView,
    pub withheld: Vec<Withheld>,
    /// Signed mode without a fresh checkpoint in this replay: `view` is the baked policy.
    pub unanchored: bool,
}

/// How old a checkpoint may be and still let a replay serve the stream's state, unless
/// configured (`AUTHZ_CHECKPOINT_MAX_AGE_S`): one day, as TUF's timestamp role defaults to.
/// The portal re-signs the checkpoint well within it (`authz publish` on a schedule).
pub const DEFAULT_CHECKPOINT_MAX_AGE_S: u64 = 86_400;

#[derive(Debug, Clone)]
pub struct Replica {
    baked: Option<PolicyView>,
    /// The baked document's revision: no event at or below it changes anything.
    floor: u64,
    view: PolicyView,
    has_policy: bool,
    revisions: HashMap<(EntityKind, String), u64>,
    /// Signed mode: the baked policy lists publishers. Fixed for the replica's life.
    signed: bool,
    /// The newest checkpoint verified. Kept across [`Replica::reset`]: what was once proven
    /// signed stays a floor even if a rebuild no longer finds it.
    checkpoint: Option<Checkpoint>,
    /// How old a checkpoint may be when read and still anchor the replay.
    checkpoint_max_age_s: u64,
    /// A fresh checkpoint was verified in this replay (cleared by [`Replica::reset`]).
    anchored: bool,
    /// Keys with a record no portal writes in this replay (signed mode): rejected as forged
    /// or unreadable, or a replay older than the revision already applied.
    suspect: BTreeSet<String>,
    /// The position the next record gets (never reset: positions only grow).
    position: u64,
    /// Where in the log the record holding each entity's revision was (cleared by reset).
    applied_at: HashMap<(EntityKind, String), u64>,
    /// Where the checkpoint held was verified in this replay (`None`: kept from before).
    checkpoint_at: Option<u64>,
    /// Records rejected for a kid not trusted yet, by record key: the latest of each.
    pending: HashMap<String, Pending>,
    pending_bytes: usize,
    pending_max_bytes: usize,
    /// The bound was reached in this replay: nothing more is held until a reset.
    pending_full: bool,
    /// Records not held because of the bound, over the replica's life.
    pending_dropped: u64,
    /// What the retries the last [`Replica::apply`] set off did.
    retried: Vec<Retried>,
}

impl Replica {
    /// Starts from the baked policy (or from nothing, when there is none).
    pub fn new(baked: Option<PolicyView>) -> Self {
        let signed = baked
            .as_ref()
            .is_some_and(PolicyView::requires_signed_events);
        let mut r = Replica {
            floor: baked.as_ref().map_or(0, |b| b.revision),
            baked,
            view: PolicyView::default(),
            has_policy: false,
            revisions: HashMap::new(),
            signed,
            checkpoint: None,
            checkpoint_max_age_s: DEFAULT_CHECKPOINT_MAX_AGE_S,
            anchored: false,
            suspect: BTreeSet::new(),
            position: 0,
            applied_at: HashMap::new(),
            checkpoint_at: None,
            pending: HashMap::new(),
            pending_bytes: 0,
            pending_max_bytes: PENDING_MAX_BYTES,
            pending_full: false,
            pending_dropped: 0,
            retried: Vec::new(),
        };
        r.reset();
        r
    }

    /// Sets how old a checkpoint may be when read and still anchor the replay.
    pub fn with_checkpoint_max_age(mut self, seconds: u64) -> Self {
        self.checkpoint_max_age_s = seconds;
        self
    }

    /// Sets how many bytes of records signed by an unknown kid are held for a retry.
    pub fn with_pending_max_bytes(mut self, bytes: usize) -> Self {
        self.pending_max_bytes = bytes;
        self
    }

    /// Back to the baked policy, forgetting everything the stream said (before a rebuild
    /// from offset 0). The last verified checkpoint is kept as a floor; the rebuild must
    /// verify a fresh one again before the stream's state is served.
    pub fn reset(&mut self) {
        self.anchored = false;
        self.revisions.clear();
        self.suspect.clear();
        self.applied_at.clear();
        self.checkpoint_at = None;
        self.pending.clear();
        self.pending_bytes = 0;
        self.pending_full = false;
        self.retried.clear();
        match &self.baked {
            Some(baked) => {
                self.view = baked.clone();
                self.has_policy = true;
            }
            None => {
                self.view = PolicyView::default();
                self.has_policy = false;
            }
        }
    }

    /// Whether records must be signed (the baked policy lists publishers).
    pub fn signed(&self) -> bool {
        self.signed
    }

    /// The view as applied, before the checkpoint checks; `None` until there is a baked
    /// policy or an applied event. Decide on [`Replica::served`] instead.
    pub fn view(&self) -> Option<&PolicyView> {
        self.has_policy.then_some(&self.view)
    }

    /// The newest checkpoint verified, if any.
    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        self.checkpoint.as_ref()
    }

    /// Whether the stream's state may be served: unsigned mode, or a fresh checkpoint was
    /// verified in this replay.
    pub fn anchored(&self) -> bool {
        !self.signed || self.anchored
    }

    /// The view to decide on: the applied view without the entities whose signed record is
    /// missing (compacted away under a hostile record). Such an entity is denied for, which
    /// fails closed for that entity only, and only under attack. In signed mode without a
    /// fresh checkpoint: the baked policy without the suspect keys.
    pub fn served(&self) -> Option<Served> {
        let unanchored = !self.anchored();
        let view = if unanchored {
            self.baked.as_ref()?
        } else {
            self.view()?
        };
        let withheld = self.withheld();
        let mut view = view.clone();
        for w in &withheld {
            if let Some((kind, id)) = parse_key(w.key.as_bytes()) {
                view.remove(kind, &id);
            }
        }
        Some(Served {
            view,
            withheld,
            unanchored,
        })
    }

    /// The entities [`Replica::served`] leaves out, sorted by key.
    pub fn withheld(&self) -> Vec<Withheld> {
        if !self.signed {
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Some(cp) = &self.checkpoint {
            for (key, expected) in &cp.entities {
                let Some((kind, id)) = parse_key(key.as_bytes()) else {
                    continue;
                };
                let held = self.held(kind, &id);
                if held < *expected {
                    out.push(Withheld {
                        key: key.clone(),
                        because: WithheldBecause::BehindCheckpoint {
                            expected: *expected,
                            held,
                        },
                    });
                }
            }
            // The checkpoint is the portal's whole state: an entity it does not list, held no
            // newer than it, is one the portal deleted (a delete record buried and compacted
            // away would otherwise bring the baked entity back) or never published.
            for kind in [EntityKind::Issuer, EntityKind::Client, EntityKind::Api] {
                for id in self.view.ids(kind) {
                    let key = record_key(kind, id);
                    if !cp.entities.contains_key(&key) && self.held(kind, id) <= cp.revision {
                        out.push(Withheld {
                            key,
                            because: WithheldBecause::NotInCheckpoint {
                                checkpoint: cp.revision,
                            },
                        });
                    }
                }
            }
        }
        // Without a fresh checkpoint the baked policy is served; a key with a record no
        // portal writes may have had its newer signed history compacted away or rolled back.
        // (The checkpoint rule above is about the applied view, which is not served then.)
        if !self.anchored() {
            out.clear();
            for key in self.suspects().filter(|k| *k != CHECKPOINT_KEY) {
                out.push(Withheld {
                    key: key.clone(),
                    because: WithheldBecause::SuspectWithoutFreshCheckpoint,
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// The keys with a record no portal writes in this replay, as far as is known: the
    /// suspect ones, and those whose held record has not verified (yet).
    fn suspects(&self) -> impl Iterator<Item = &String> {
        let held = self
            .pending
            .keys()
            .filter(|k| !self.suspect.contains(*k))
            .collect::<BTreeSet<_>>();
        self.suspect.iter().chain(held)
    }

    /// The position the next record applied gets (see [`Retried::position`]).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The position of the record of this key held for a retry, if one is.
    pub fn held_at(&self, key: &str) -> Option<u64> {
        self.pending.get(key).map(|p| p.position)
    }

    /// Whether a key counts as suspect now (see [`Replica::withheld`]).
    pub fn is_suspect(&self, key: &str) -> bool {
        self.suspect.contains(key) || self.pending.contains_key(key)
    }

    /// The records held for a retry (rejected for a kid not trusted yet): how many, and
    /// their bytes.
    pub fn pending(&self) -> (usize, usize) {
        (self.pending.len(), self.pending_bytes)
    }

    /// Records rejected for an unknown kid and not held because of [`PENDING_MAX_BYTES`].
    pub fn pending_dropped(&self) -> u64 {
        self.pending_dropped
    }

    /// The outcomes of the records the last [`Replica::apply`] re-applied, in log order.
    pub fn retried(&self) -> &[Retried] {
        &self.retried
    }

    /// The revision held for an entity by an applied event, if any.
    pub fn revision_of(&self, kind: EntityKind, id: &str) -> Option<u64> {
        self.revisions.get(&(kind, id.to_string())).copied()
    }

    /// The revision an event must exceed to change this entity: its own, or the baked floor.
    pub fn held(&self, kind: EntityKind, id: &str) -> u64 {
        self.revision_of(kind, id).unwrap_or(self.floor)
    }

    /// The highest revision of any event or the baked document.
    pub fn max_revision(&self) -> u64 {
        self.revisions
            .values()
            .copied()
            .max()
            .unwrap_or(0)
            .max(self.view.revision)
    }

    /// Applies one record (key and value as read from Kafka) read at `now` (Unix seconds:
    /// it decides whether a checkpoint is fresh).
    /// Records it re-applies because this one introduced a key are in [`Replica::retried`].
    pub fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>, now: i64) -> Applied {
        self.retried.clear();
        let position = self.position;
        self.position += 1;
        let outcome = self.judge(key, value, now, position, false);
        if is_learned(&outcome) {
            self.retry_pending(now);
        }
        outcome
    }

    /// Re-applies the held records in log order, again after every key a retry introduces.
    fn retry_pending(&mut self, now: i64) {
        loop {
            let mut queue: Vec<(String, Pending)> = self.pending.drain().collect();
            self.pending_bytes = 0;
            queue.sort_by_key(|(_, p)| p.position);
            let mut queue = queue.into_iter();
            let mut learned = false;
            for (key, p) in queue.by_ref() {
                let outcome =
                    self.judge(Some(key.as_bytes()), Some(&p.value), now, p.position, true);
                if self
                    .pending
                    .get(&key)
                    .is_some_and(|q| q.position == p.position)
                {
                    continue; // Still signed by a key not trusted: held again.
                }
                learned = is_learned(&outcome);
                self.retried.push(Retried {
                    position: p.position,
                    key,
                    outcome,
                });
                if learned {
                    break;
                }
            }
            for (key, p) in queue {
                self.pending_bytes += key.len() + p.value.len();
                self.pending.insert(key, p);
            }
            if !learned || self.pending.is_empty() {
                return;
            }
        }
    }

    /// Judges one record as read at `position` in the log.
    fn judge(
        &mut self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        now: i64,
        position: u64,
        retry: bool,
    ) -> Applied {
        if key == Some(CHECKPOINT_KEY.as_bytes()) {
            let outcome = self.apply_checkpoint(value, now, position);
            if matches!(&outcome, Applied::Rejected { reason, .. } if self.signed && forged(*reason))
                && !self.hold(CHECKPOINT_KEY, value, &outcome, position, retry)
            {
                self.suspect.insert(CHECKPOINT_KEY.to_string());
            }
            return outcome;
        }
        let Some((kind, id)) = key.and_then(parse_key) else {
            return Applied::Rejected {
                reason: Rejection::BadKey,
                detail: format!(
                    "key is not `<kind>/<id>` with kind issuer, client, api or publisher, nor `{CHECKPOINT_KEY}`"
                ),
            };
        };
        let outcome = self.apply_entity(kind, &id, value, position);
        let key = record_key(kind, &id);
        if matches!(&outcome, Applied::Rejected { reason, .. } if self.signed && forged(*reason))
            && !self.hold(&key, value, &outcome, position, retry)
        {
            self.suspect.insert(key);
        }
        outcome
    }

    /// Holds a record rejected because its kid is not trusted (yet) for a retry; whether it
    /// is held. The latest such record of a key replaces an earlier one, as compaction would.
    /// A record held before and retried (`retry`) is held again whatever the bound.
    fn hold(
        &mut self,
        key: &str,
        value: Option<&[u8]>,
        outcome: &Applied,
        position: u64,
        retry: bool,
    ) -> bool {
        let Some(value) = value else { return false };
        let unknown_kid = matches!(
            outcome,
            Applied::Rejected {
                reason: Rejection::BadSignature,
                ..
            }
        ) && jws_kid(value)
            .is_some_and(|kid| self.view.publisher(&kid).is_none());
        if !unknown_kid {
            return false;
        }
        if let Some(old) = self.pending.remove(key) {
            self.pending_bytes -= key.len() + old.value.len();
        }
        let size = key.len() + value.len();
        if !retry && (self.pending_full || self.pending_bytes + size > self.pending_max_bytes) {
            self.pending_full = true;
            self.pending_dropped += 1;
            return false;
        }
        self.pending_bytes += size;
        self.pending.insert(
            key.to_string(),
            Pending {
                position,
                value: value.to_vec(),
            },
        );
        true
    }

    /// Whether the record holding this entity's revision came before `position` in the log.
    fn applied_before(&self, kind: EntityKind, id: &str, position: u64) -> bool {
        self.applied_at
            .get(&(kind, id.to_string()))
            .is_none_or(|at| *at < position)
    }

    fn apply_entity(
        &mut self,
        kind: EntityKind,
        id: &str,
        value: Option<&[u8]>,
        position: u64,
    ) -> Applied {
        let reject = |reason, detail: String| Applied::Rejected { reason, detail };
        let Some(value) = value else {
            // A tombstone carries no signature, so in signed mode it could be anyone's:
            // deletes then go through signed `op: delete` events.
            if self.signed {
                return reject(
                    Rejection::Unsigned,
                    "a tombstone cannot be signed; in signed mode delete with a signed `op: delete` event".into(),
                );
            }
            // The held revision stays as a floor, so a replayed older upsert cannot
            // resurrect the entity.
            self.view.remove(kind, id);
            return Applied::Tombstone {
                kind,
                id: id.to_string(),
            };
        };
        let decoded = match decode_value(kind, id, value, &self.view, self.signed) {
            Ok(d) => d,
            Err((reason, detail)) => return reject(reason, detail),
        };
        if kind == EntityKind::Publisher && !self.signed {
            return reject(
                Rejection::UntrustedPublisher,
                "publisher keys are trusted only from the baked policy, which lists none (unsigned mode); bake the key into the authorizers' policy to turn signed mode on".into(),
            );
        }
        let event = decoded.event;
        let held = self.held(kind, id);
        if event.revision <= held {
            // The portal never writes a lower revision after a higher one: a replay. (A
            // retried record may precede the one held: then the log is in order.)
            if self.signed
                && self
                    .revision_of(kind, id)
                    .is_some_and(|h| event.revision < h)
                && self.applied_before(kind, id, position)
            {
                self.suspect.insert(record_key(kind, id));
            }
            let floor = if self.revision_of(kind, id).is_some() {
                "held"
            } else {
                "baked policy's floor"
            };
            return reject(
                Rejection::StaleRevision,
                format!(
                    "revision {} is not newer than the {held} of the {floor}",
                    event.revision
                ),
            );
        }
        match event.op {
            Op::Upsert => {
                let Some(data) = event.data.as_ref() else {
                    return reject(Rejection::Malformed, "an upsert needs `data`".into());
                };
                if let Err(errors) = self.view.upsert(kind, data) {
                    return reject(Rejection::InvalidEntity, errors.to_string());
                }
                self.commit(kind, id, event.revision, position);
                Applied::Upserted {
                    kind,
                    id: id.to_string(),
                    revision: event.revision,
                    signed_by: decoded.signed_by,
                }
            }
            Op::Delete => {
                self.view.remove(kind, id);
                self.commit(kind, id, event.revision, position);
                Applied::Deleted {
                    kind,
                    id: id.to_string(),
                    revision: event.revision,
                    signed_by: decoded.signed_by,
                }
            }
        }
    }

    fn apply_checkpoint(&mut self, value: Option<&[u8]>, now: i64, position: u64) -> Applied {
        match value {
            None => Applied::Rejected {
                reason: Rejection::Unsigned,
                detail: "a checkpoint tombstone cannot be signed".into(),
            },
            Some(value) => match decode_checkpoint(value, &self.view) {
                Err((reason, detail)) => Applied::Rejected { reason, detail },
                Ok(_) if !self.signed => Applied::Rejected {
                    reason: Rejection::BadSignature,
                    detail: "unsigned mode trusts no publisher key".into(),
                },
                Ok(VerifiedCheckpoint {
                    checkpoint: cp,
                    signed_by,
                    issued_at,
                }) => {
                    let newest = self.checkpoint.as_ref().map_or(self.floor, |c| c.revision);
                    // The same checkpoint read again (a rebuild keeps the one verified).
                    let again = self.checkpoint.as_ref() == Some(&cp);
                    if cp.revision <= newest && !again {
                        // Older than one verified earlier in the log (not the baked
                        // floor): a replay.
                        if self.checkpoint.is_some()
                            && self.checkpoint_at.is_none_or(|at| at < position)
                        {
                            self.suspect.insert(CHECKPOINT_KEY.to_string());
                        }
                        Applied::Rejected {
                            reason: Rejection::StaleRevision,
                            detail: format!(
                                "checkpoint revision {} is not newer than the {newest} held",
                                cp.revision
                            ),
                        }
                    } else {
                        let fresh = is_fresh(issued_at, now, self.checkpoint_max_age_s);
                        self.anchored |= fresh;
                        // A retried checkpoint newer than one that came later in the log:
                        // that one was a replay.
                        if self.checkpoint_at.is_some_and(|at| at > position) && !again {
                            self.suspect.insert(CHECKPOINT_KEY.to_string());
                        }
                        self.checkpoint_at = Some(position);
                        let outcome = Applied::Checkpoint {
                            revision: cp.revision,
                            signed_by,
                            entities: cp.entities.len(),
                            fresh,
                        };
                        self.checkpoint = Some(cp);
                        outcome
                    }
                }
            },
        }
    }

    fn commit(&mut self, kind: EntityKind, id: &str, revision: u64, position: u64) {
        // A retried record newer than the one held, which came later in the log: that one
        // was a replay of an older state.
        if self.signed && !self.applied_before(kind, id, position) {
            self.suspect.insert(record_key(kind, id));
        }
        self.applied_at.insert((kind, id.to_string()), position);
        self.revisions.insert((kind, id.to_string()), revision);
        self.view.revision = self.view.revision.max(revision);
        self.has_policy = true;
    }
}

/// A verified publisher upsert: the replica may now trust a key it did not.
fn is_learned(outcome: &Applied) -> bool {
    matches!(
        outcome,
        Applied::Upserted {
            kind: EntityKind::Publisher,
            ..
        }
    )
}

/// Rejections no portal-signed record can earn: a writer without keys made them.
fn forged(reason: Rejection) -> bool {
    matches!(
        reason,
        Rejection::Unsigned
            | Rejection::BadSignature
            | Rejection::Malformed
            | Rejection::UnknownSchema
            | Rejection::KeyMismatch
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load_policy_value;
    use crate::signing::SigningKey;
    use crate::stream::checkpoint::{Checkpoint, Withheld, WithheldBecause, CHECKPOINT_KEY};
    use crate::stream::event::{encode_value, PolicyEvent, EVENT_SCHEMA};
    use jsonwebtoken::Algorithm;
    use serde_json::{json, Value};

    /// The time the tests read records at (Unix seconds).
    const NOW: i64 = 1_800_000_000;

    fn rfc3339(unix: i64) -> String {
        chrono::DateTime::from_timestamp(unix, 0)
            .expect("in range")
            .to_rfc3339()
    }

    fn event(
        kind: &str,
        id: &str,
        revision: u64,
        op: Op,
        data: Option<Value>,
        key: Option<&SigningKey>,
    ) -> Vec<u8> {
        let e = PolicyEvent {
            schema: EVENT_SCHEMA.into(),
            kind: kind.into(),
            id: id.into(),
            revision,
            op,
            issued_at: None,
            data,
        };
        encode_value(&e, key).expect("encode").into_bytes()
    }

    fn rejected(outcome: &Applied) -> Option<Rejection> {
        match outcome {
            Applied::Rejected { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    fn doc(view: Option<&PolicyView>) -> Value {
        serde_json::to_value(view.map(PolicyView::to_document)).expect("json")
    }

    fn client(id: &str, status: &str) -> Value {
        json!({"id": id, "status": status, "scopes": ["orders:read"]})
    }

    fn signed_baked(k: &SigningKey, revision: u64, clients: &[Value]) -> PolicyView {
        load_policy_value(&json!({"schema": "gateway-policy/v1", "revision": revision,
            "clients": clients, "publishers": [{"kid": k.kid, "jwk": k.public_jwk()}]}))
        .expect("policy")
    }

    fn replay(r: &mut Replica, log: &[(String, Option<Vec<u8>>)]) -> Vec<Applied> {
        log.iter()
            .map(|(k, v)| r.apply(Some(k.as_bytes()), v.as_deref(), NOW))
            .collect()
    }

    #[test]
    fn a_rebuild_from_offset_zero_gives_the_live_view_when_the_stream_sent_a_publisher() {
        // Unsigned mode, then a publisher event and signed events, as a stream that tried to
        // switch signed mode on would send. Live and rebuilt replays must agree.
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let log = vec![
            (
                "publisher/p".to_string(),
                Some(event(
                    "publisher",
                    "p",
                    2,
                    Op::Upsert,
                    Some(json!({"kid": "p", "jwk": k.public_jwk()})),
                    None,
                )),
            ),
            (
                "client/a".to_string(),
                Some(event(
                    "client",
                    "a",
                    3,
                    Op::Upsert,
                    Some(client("a", "active")),
                    Some(&k),
                )),
            ),
        ];
        let baked = load_policy_value(&json!({"schema": "gateway-policy/v1", "revision": 1}))
            .expect("policy");
        let mut r = Replica::new(Some(baked));
        replay(&mut r, &log);
        let live = doc(r.view());
        r.reset();
        replay(&mut r, &log);
        assert_eq!(doc(r.view()), live, "the rebuilt view equals the live one");
    }

    #[test]
    fn the_stream_cannot_switch_signed_mode_on() {
        // A writer in unsigned mode introducing a key of their own would own the policy.
        let k = SigningKey::generate("evil", Algorithm::EdDSA).expect("key");
        let mut r = Replica::new(None);
        let publisher = event(
            "publisher",
            "evil",
            2,
            Op::Upsert,
            Some(json!({"kid": "evil", "jwk": k.public_jwk()})),
            None,
        );
        assert_eq!(
            rejected(&r.apply(Some(b"publisher/evil"), Some(&publisher), NOW)),
            Some(Rejection::UntrustedPublisher)
        );
        assert!(!r.signed());
        let up = event(
            "client",
            "a",
            3,
            Op::Upsert,
            Some(client("a", "active")),
            None,
        );
        assert!(matches!(
            r.apply(Some(b"client/a"), Some(&up), NOW),
            Applied::Upserted { .. }
        ));
    }

    #[test]
    fn the_baked_revision_is_the_floor_for_keys_the_baked_policy_does_not_have() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let mut r = Replica::new(Some(signed_baked(&k, 10, &[])));
        // Signed by the portal once (revision 5), deleted before the baked revision 10 was cut.
        let old = event(
            "client",
            "gone",
            5,
            Op::Upsert,
            Some(client("gone", "active")),
            Some(&k),
        );
        assert_eq!(
            rejected(&r.apply(Some(b"client/gone"), Some(&old), NOW)),
            Some(Rejection::StaleRevision)
        );
        assert!(r.view().and_then(|v| v.client("gone")).is_none());
        let new = event(
            "client",
            "new",
            11,
            Op::Upsert,
            Some(client("new", "active")),
            Some(&k),
        );
        assert!(matches!(
            r.apply(Some(b"client/new"), Some(&new), NOW),
            Applied::Upserted { .. }
        ));
    }

    #[test]
    fn revision_zero_is_refused_for_a_new_key() {
        let mut r = Replica::new(None);
        let zero = event(
            "client",
            "a",
            0,
            Op::Upsert,
            Some(client("a", "active")),
            None,
        );
        assert_eq!(
            rejected(&r.apply(Some(b"client/a"), Some(&zero), NOW)),
            Some(Rejection::Malformed)
        );
        assert!(r.view().is_none());
    }

    #[test]
    fn a_value_neither_json_nor_jws_is_malformed_in_both_modes() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        for baked in [None, Some(signed_baked(&k, 1, &[]))] {
            let mut r = Replica::new(baked);
            for garbage in [
                &b"{not json"[..],
                b"garbage",
                b"a.b",
                b"a.b.c!",
                b"\xff\xfe",
            ] {
                assert_eq!(
                    rejected(&r.apply(Some(b"client/a"), Some(garbage), NOW)),
                    Some(Rejection::Malformed),
                    "{:?} (signed: {})",
                    String::from_utf8_lossy(garbage),
                    r.signed()
                );
            }
        }
    }

    fn checkpoint_value(k: &SigningKey, revision: u64, entities: &[(&str, u64)]) -> Vec<u8> {
        checkpoint_issued(k, revision, entities, NOW)
    }

    fn checkpoint_issued(
        k: &SigningKey,
        revision: u64,
        entities: &[(&str, u64)],
        issued_at: i64,
    ) -> Vec<u8> {
        let cp = Checkpoint::new(
            revision,
            Some(rfc3339(issued_at)),
            entities.iter().map(|(k, r)| (k.to_string(), *r)).collect(),
        );
        crate::stream::checkpoint::encode_checkpoint(&cp, k)
            .expect("sign")
            .into_bytes()
    }

    #[test]
    fn a_hostile_record_compacted_over_a_signed_one_withholds_the_entity() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let baked = signed_baked(&k, 1, &[client("a", "active")]);
        let suspend = event(
            "client",
            "a",
            2,
            Op::Upsert,
            Some(client("a", "suspended")),
            Some(&k),
        );
        let full = vec![
            ("client/a".to_string(), Some(suspend)),
            (
                CHECKPOINT_KEY.to_string(),
                Some(checkpoint_value(&k, 2, &[("client/a", 2)])),
            ),
            ("client/a".to_string(), Some(b"garbage".to_vec())),
        ];
        let mut live = Replica::new(Some(baked.clone()));
        replay(&mut live, &full);
        let served = live.served().expect("view");
        assert!(served.withheld.is_empty());
        assert!(served.view.client("a").is_some_and(|c| !c.active));
        // Compaction keeps the latest record of each key: the signed suspension is gone.
        let compacted = full[1..].to_vec();
        for tail in [b"garbage".to_vec(), Vec::new()] {
            let mut log = compacted.clone();
            log[1].1 = (!tail.is_empty()).then_some(tail);
            let mut cold = Replica::new(Some(baked.clone()));
            replay(&mut cold, &log);
            assert!(
                cold.view()
                    .and_then(|v| v.client("a"))
                    .is_some_and(|c| c.active),
                "the applied view fell back to the baked client"
            );
            let served = cold.served().expect("view");
            assert!(served.view.client("a").is_none(), "but it is not served");
            assert_eq!(
                served.withheld,
                vec![Withheld {
                    key: "client/a".into(),
                    because: WithheldBecause::BehindCheckpoint {
                        expected: 2,
                        held: 1
                    }
                }]
            );
        }
    }

    #[test]
    fn a_baked_entity_the_checkpoint_does_not_list_is_withheld() {
        // The portal deleted client `gone` (baked active): its delete record was buried under
        // garbage and compacted away, so the portal's next checkpoint no longer lists the key.
        // The baked entity must not come back.
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let baked = signed_baked(&k, 1, &[client("gone", "active"), client("kept", "active")]);
        let kept = event(
            "client",
            "kept",
            5,
            Op::Upsert,
            Some(client("kept", "active")),
            Some(&k),
        );
        let cp = checkpoint_issued(&k, 7, &[("client/kept", 5)], NOW);
        let mut r = Replica::new(Some(baked));
        r.apply(Some(b"client/gone"), Some(b"garbage"), NOW);
        r.apply(Some(b"client/kept"), Some(&kept), NOW);
        assert!(matches!(
            r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp), NOW),
            Applied::Checkpoint { fresh: true, .. }
        ));
        let served = r.served().expect("view");
        assert!(!served.unanchored);
        assert!(
            served.view.client("gone").is_none(),
            "the deleted entity is back"
        );
        assert!(served.view.client("kept").is_some());
        assert_eq!(
            served.withheld,
            vec![Withheld {
                key: "client/gone".into(),
                because: WithheldBecause::NotInCheckpoint { checkpoint: 7 },
            }]
        );
        // A change newer than the checkpoint is served before the next checkpoint lists it.
        let added = event(
            "client",
            "new",
            8,
            Op::Upsert,
            Some(client("new", "active")),
            Some(&k),
        );
        r.apply(Some(b"client/new"), Some(&added), NOW);
        assert!(r.served().expect("view").view.client("new").is_some());
    }

    #[test]
    fn without_a_checkpoint_a_key_with_only_forged_records_is_withheld() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let evil = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let baked = signed_baked(&k, 1, &[client("a", "active"), client("b", "active")]);
        let forged = event(
            "client",
            "a",
            9,
            Op::Upsert,
            Some(client("a", "active")),
            Some(&evil),
        );
        let mut r = Replica::new(Some(baked));
        assert_eq!(
            rejected(&r.apply(Some(b"client/a"), Some(&forged), NOW)),
            Some(Rejection::BadSignature)
        );
        assert_eq!(
            rejected(&r.apply(Some(CHECKPOINT_KEY.as_bytes()), None, NOW)),
            Some(Rejection::Unsigned)
        );
        let served = r.served().expect("view");
        assert!(served.view.client("a").is_none());
        assert!(served.view.client("b").is_some());
        assert_eq!(served.withheld.len(), 1, "{:?}", served.withheld);
        assert_eq!(
            served.withheld[0].because,
            WithheldBecause::SuspectWithoutFreshCheckpoint
        );
    }

    #[test]
    fn a_checkpoint_survives_a_rebuild_and_a_stale_one_is_refused() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let mut r = Replica::new(Some(signed_baked(&k, 1, &[client("a", "active")])));
        let cp3 = checkpoint_value(&k, 3, &[("client/a", 3)]);
        let cp2 = checkpoint_value(&k, 2, &[("client/a", 2)]);
        assert!(matches!(
            r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp3), NOW),
            Applied::Checkpoint { revision: 3, .. }
        ));
        assert_eq!(
            rejected(&r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp2), NOW)),
            Some(Rejection::StaleRevision)
        );
        r.reset();
        assert_eq!(r.checkpoint().map(|c| c.revision), Some(3));
        assert!(matches!(
            r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp3), NOW),
            Applied::Checkpoint { revision: 3, .. }
        ));
        assert_eq!(r.withheld().len(), 1, "client/a is behind the checkpoint");
        // Unsigned mode trusts no key, so no checkpoint counts there.
        let mut unsigned = Replica::new(None);
        assert_eq!(
            rejected(&unsigned.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp3), NOW)),
            Some(Rejection::BadSignature)
        );
    }

    /// The portal's history for `client/a` (baked suspended at revision 1): activated at
    /// revision 2 two days ago, suspended again at revision 3 now; each with its checkpoint.
    fn rollback_history(k: &SigningKey) -> (PolicyView, Log, Log) {
        let baked = signed_baked(k, 1, &[client("a", "suspended")]);
        let old = vec![
            (
                "client/a".to_string(),
                Some(event(
                    "client",
                    "a",
                    2,
                    Op::Upsert,
                    Some(client("a", "active")),
                    Some(k),
                )),
            ),
            (
                CHECKPOINT_KEY.to_string(),
                Some(checkpoint_issued(
                    k,
                    2,
                    &[("client/a", 2)],
                    NOW - 2 * 86_400,
                )),
            ),
        ];
        let new = vec![
            (
                "client/a".to_string(),
                Some(event(
                    "client",
                    "a",
                    3,
                    Op::Upsert,
                    Some(client("a", "suspended")),
                    Some(k),
                )),
            ),
            (
                CHECKPOINT_KEY.to_string(),
                Some(checkpoint_issued(k, 3, &[("client/a", 3)], NOW)),
            ),
        ];
        (baked, old, new)
    }

    type Log = Vec<(String, Option<Vec<u8>>)>;

    #[test]
    fn a_replayed_older_signed_state_is_not_served_once_its_checkpoint_expired() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let (baked, old, new) = rollback_history(&k);
        // Warm: it read the whole history live, then the replay: both replayed records are
        // stale, and the view stays suspended.
        let mut warm = Replica::new(Some(baked.clone()));
        replay(&mut warm, &old);
        replay(&mut warm, &new);
        let verdicts = replay(&mut warm, &old);
        assert!(verdicts
            .iter()
            .all(|v| rejected(v) == Some(Rejection::StaleRevision)));
        let served = warm.served().expect("view");
        assert!(served.view.client("a").is_some_and(|c| !c.active));
        assert!(!served.unanchored);
        // Cold, after compaction kept only the replayed records: a consistent signed state,
        // two days old. Before the freshness rule it was served (client active again).
        let mut cold = Replica::new(Some(baked.clone()));
        replay(&mut cold, &old);
        assert!(cold
            .view()
            .and_then(|v| v.client("a"))
            .is_some_and(|c| c.active));
        let served = cold.served().expect("view");
        assert!(served.unanchored, "no fresh checkpoint");
        assert!(
            served.view.client("a").is_some_and(|c| !c.active),
            "the baked policy is served, not the replayed activation"
        );
        // Within the maximum age the replay is indistinguishable from the portal's state:
        // the documented window.
        let mut lenient = Replica::new(Some(baked)).with_checkpoint_max_age(3 * 86_400);
        replay(&mut lenient, &old);
        assert!(lenient.served().is_some_and(|s| !s.unanchored));
    }

    #[test]
    fn garbage_and_a_replayed_expired_checkpoint_withhold_the_attacked_key() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let (baked, old, _) = rollback_history(&k);
        // Compaction left garbage on the client and the replayed older checkpoint.
        let log = vec![
            ("client/a".to_string(), Some(b"garbage".to_vec())),
            old[1].clone(),
        ];
        let mut cold = Replica::new(Some(baked));
        replay(&mut cold, &log);
        let served = cold.served().expect("view");
        assert!(served.unanchored);
        assert!(
            served.view.client("a").is_none(),
            "neither baked nor stream"
        );
        let codes: Vec<&str> = served.withheld.iter().map(|w| w.because.code()).collect();
        assert_eq!(
            codes,
            ["suspect_without_fresh_checkpoint"],
            "{:?}",
            served.withheld
        );
    }

    #[test]
    fn an_older_checkpoint_after_a_newer_one_is_a_suspect_replay() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let (baked, old, new) = rollback_history(&k);
        let mut r = Replica::new(Some(baked));
        replay(&mut r, &new);
        assert_eq!(
            rejected(&r.apply(Some(CHECKPOINT_KEY.as_bytes()), old[1].1.as_deref(), NOW)),
            Some(Rejection::StaleRevision)
        );
        assert!(r.suspect.contains(CHECKPOINT_KEY));
        assert_eq!(
            rejected(&r.apply(Some(b"client/a"), old[0].1.as_deref(), NOW)),
            Some(Rejection::StaleRevision)
        );
        assert!(r.suspect.contains("client/a"), "{:?}", r.suspect);
        // A record at or below the baked floor is history, not a replay.
        let mut floor = Replica::new(Some(signed_baked(&k, 5, &[])));
        floor.apply(Some(b"client/a"), old[0].1.as_deref(), NOW);
        assert!(floor.suspect.is_empty());
    }

    #[test]
    fn a_checkpoint_must_say_when_it_was_issued_and_not_be_far_ahead() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let baked = signed_baked(&k, 1, &[]);
        let undated = Checkpoint::new(2, None, Default::default());
        let value = crate::stream::checkpoint::encode_checkpoint(&undated, &k).expect("sign");
        let mut r = Replica::new(Some(baked.clone()));
        let verdict = r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(value.as_bytes()), NOW);
        assert_eq!(rejected(&verdict), Some(Rejection::Malformed));
        assert!(format!("{verdict:?}").contains("issued_at"));
        // Dated a day ahead (a portal clock gone wrong): kept as a floor, but not fresh.
        let ahead = checkpoint_issued(&k, 2, &[], NOW + 86_400);
        let mut r = Replica::new(Some(baked));
        assert!(matches!(
            r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&ahead), NOW),
            Applied::Checkpoint { fresh: false, .. }
        ));
        assert!(!r.anchored());
        assert_eq!(r.checkpoint().map(|c| c.revision), Some(2));
    }

    #[test]
    fn a_rebuild_must_find_a_fresh_checkpoint_again() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let (baked, _, new) = rollback_history(&k);
        let mut r = Replica::new(Some(baked));
        replay(&mut r, &new);
        assert!(r.anchored());
        // Frozen for two days, then rebuilt from offset 0 with no newer checkpoint.
        r.reset();
        for (k, v) in &new {
            r.apply(Some(k.as_bytes()), v.as_deref(), NOW + 2 * 86_400);
        }
        let served = r.served().expect("view");
        assert!(
            served.unanchored,
            "the kept checkpoint is a floor, not proof of freshness"
        );
        assert_eq!(served.view.revision, 1, "the baked policy is served");
    }

    #[test]
    fn signed_mode_refuses_tombstones_and_never_switches_off() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let baked = load_policy_value(&json!({"schema": "gateway-policy/v1", "revision": 1,
            "publishers": [{"kid": "p", "jwk": k.public_jwk()}]}))
        .expect("policy");
        let mut r = Replica::new(Some(baked));
        assert_eq!(
            rejected(&r.apply(Some(b"publisher/p"), None, NOW)),
            Some(Rejection::Unsigned)
        );
        let delete = event("publisher", "p", 5, Op::Delete, None, Some(&k));
        assert!(matches!(
            r.apply(Some(b"publisher/p"), Some(&delete), NOW),
            Applied::Deleted { .. }
        ));
        // No publisher is left, yet unsigned events are still refused.
        let evil = event(
            "client",
            "evil",
            6,
            Op::Upsert,
            Some(json!({"id": "evil", "status": "active", "scopes": ["x"]})),
            None,
        );
        assert_eq!(
            rejected(&r.apply(Some(b"client/evil"), Some(&evil), NOW)),
            Some(Rejection::Unsigned)
        );
        assert!(r.view().and_then(|v| v.client("evil")).is_none());
    }

    #[test]
    fn a_tombstone_keeps_the_revision_floor() {
        let mut r = Replica::new(None);
        let up = event(
            "client",
            "a",
            5,
            Op::Upsert,
            Some(json!({"id": "a", "status": "active"})),
            None,
        );
        assert!(matches!(
            r.apply(Some(b"client/a"), Some(&up), NOW),
            Applied::Upserted { .. }
        ));
        assert!(matches!(
            r.apply(Some(b"client/a"), None, NOW),
            Applied::Tombstone { .. }
        ));
        assert!(r.view().and_then(|v| v.client("a")).is_none());
        assert_eq!(
            rejected(&r.apply(Some(b"client/a"), Some(&up), NOW)),
            Some(Rejection::StaleRevision)
        );
    }

    /// A portal rotating from `old` to `new`: the rotation record (signed by `old`), then
    /// changes and a checkpoint signed by `new`. Baked: `old` trusted, client a active.
    fn rotation_history(old: &SigningKey, new: &SigningKey) -> (PolicyView, Log) {
        let baked = signed_baked(old, 1, &[client("a", "active")]);
        let log = vec![
            publisher_record("new", new, 2, old),
            (
                "client/a".to_string(),
                Some(event(
                    "client",
                    "a",
                    3,
                    Op::Upsert,
                    Some(client("a", "suspended")),
                    Some(new),
                )),
            ),
            (
                "client/b".to_string(),
                Some(event(
                    "client",
                    "b",
                    4,
                    Op::Upsert,
                    Some(client("b", "active")),
                    Some(new),
                )),
            ),
            (
                CHECKPOINT_KEY.to_string(),
                Some(checkpoint_value(
                    new,
                    4,
                    &[("publisher/new", 2), ("client/a", 3), ("client/b", 4)],
                )),
            ),
        ];
        (baked, log)
    }

    fn publisher_record(
        kid: &str,
        key: &SigningKey,
        revision: u64,
        by: &SigningKey,
    ) -> (String, Option<Vec<u8>>) {
        (
            format!("publisher/{kid}"),
            Some(event(
                "publisher",
                kid,
                revision,
                Op::Upsert,
                Some(json!({"kid": kid, "jwk": key.public_jwk()})),
                Some(by),
            )),
        )
    }

    fn served_clients(r: &Replica) -> Value {
        let s = r.served().expect("view");
        serde_json::to_value(s.view.entities(EntityKind::Client)).expect("json")
    }

    #[test]
    fn a_rotation_record_copied_to_the_end_delays_the_new_keys_records_and_withholds_nothing() {
        let old = SigningKey::generate("old", Algorithm::EdDSA).expect("key");
        let new = SigningKey::generate("new", Algorithm::EdDSA).expect("key");
        let (baked, mut log) = rotation_history(&old, &new);
        log.push(log[0].clone());
        let mut warm = Replica::new(Some(baked.clone()));
        let verdicts = replay(&mut warm, &log);
        assert_eq!(rejected(&verdicts[4]), Some(Rejection::StaleRevision));
        // Compaction drops the original rotation record; the copy is last.
        let compacted = log[1..].to_vec();
        let mut cold = Replica::new(Some(baked));
        let verdicts = replay(&mut cold, &compacted);
        for v in &verdicts[..3] {
            assert_eq!(rejected(v), Some(Rejection::BadSignature), "{v:?}");
        }
        assert!(matches!(verdicts[3], Applied::Upserted { .. }));
        let served = cold.served().expect("view");
        assert!(
            !served.unanchored,
            "the retried checkpoint anchors the replay"
        );
        assert!(served.withheld.is_empty(), "{:?}", served.withheld);
        assert_eq!(served_clients(&cold), served_clients(&warm));
        assert!(served.view.client("a").is_some_and(|c| !c.active));
        assert!(warm.retried().is_empty());
        let retried: Vec<(u64, &str, bool)> = cold
            .retried()
            .iter()
            .map(|r| {
                (
                    r.position,
                    r.key.as_str(),
                    !matches!(r.outcome, Applied::Rejected { .. }),
                )
            })
            .collect();
        assert_eq!(
            retried,
            [
                (0, "client/a", true),
                (1, "client/b", true),
                (2, CHECKPOINT_KEY, true)
            ]
        );
        assert_eq!(cold.pending(), (0, 0));
        // The next record's retries start empty.
        cold.apply(Some(b"client/zz"), Some(b"garbage"), NOW);
        assert!(cold.retried().is_empty());
    }

    #[test]
    fn a_record_forged_under_the_new_kid_stays_suspect_once_the_key_is_learned() {
        let old = SigningKey::generate("old", Algorithm::EdDSA).expect("key");
        let new = SigningKey::generate("new", Algorithm::EdDSA).expect("key");
        let evil = SigningKey::generate("new", Algorithm::EdDSA).expect("key");
        let (baked, log) = rotation_history(&old, &new);
        let forged = event(
            "client",
            "b",
            9,
            Op::Upsert,
            Some(client("b", "active")),
            Some(&evil),
        );
        // No checkpoint: the replay stays unanchored and suspects are withheld.
        let cold_log = [
            log[1].clone(),
            ("client/b".to_string(), Some(forged)),
            log[0].clone(),
        ];
        let mut cold = Replica::new(Some(baked));
        replay(&mut cold, &cold_log[..2]);
        assert!(cold.is_suspect("client/a") && cold.is_suspect("client/b"));
        assert_eq!(
            cold.withheld().len(),
            2,
            "held records count as suspect until they verify"
        );
        replay(&mut cold, &cold_log[2..]);
        let outcomes: Vec<Option<Rejection>> = cold
            .retried()
            .iter()
            .map(|r| rejected(&r.outcome))
            .collect();
        assert_eq!(outcomes, [None, Some(Rejection::BadSignature)]);
        assert!(
            !cold.is_suspect("client/a"),
            "it verified: the portal signed it"
        );
        assert!(cold.is_suspect("client/b"));
        let served = cold.served().expect("view");
        assert!(served.unanchored);
        let keys: Vec<&str> = served.withheld.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["client/b"]);
    }

    #[test]
    fn a_retried_record_is_a_replay_only_by_its_place_in_the_log() {
        let old = SigningKey::generate("old", Algorithm::EdDSA).expect("key");
        let new = SigningKey::generate("new", Algorithm::EdDSA).expect("key");
        let baked = signed_baked(&old, 1, &[client("a", "active")]);
        let a = |revision, by: &SigningKey| {
            (
                "client/a".to_string(),
                Some(event(
                    "client",
                    "a",
                    revision,
                    Op::Upsert,
                    Some(client("a", "suspended")),
                    Some(by),
                )),
            )
        };
        let learn = publisher_record("new", &new, 9, &old);
        // Earlier in the log than the higher revision held: history, not a replay.
        let mut r = Replica::new(Some(baked.clone()));
        replay(&mut r, &[a(4, &new), a(5, &old), learn.clone()]);
        assert_eq!(
            rejected(&r.retried()[0].outcome),
            Some(Rejection::StaleRevision)
        );
        assert!(!r.is_suspect("client/a"));
        // Later in the log than the higher revision held: a replay.
        let mut r = Replica::new(Some(baked.clone()));
        replay(&mut r, &[a(5, &old), a(4, &new), learn.clone()]);
        assert_eq!(
            rejected(&r.retried()[0].outcome),
            Some(Rejection::StaleRevision)
        );
        assert!(r.is_suspect("client/a"));
        // A retried higher revision before a lower one applied: that one was the replay.
        let mut r = Replica::new(Some(baked));
        replay(&mut r, &[a(5, &new), a(4, &old), learn]);
        assert!(matches!(
            r.retried()[0].outcome,
            Applied::Upserted { revision: 5, .. }
        ));
        assert_eq!(r.revision_of(EntityKind::Client, "a"), Some(5));
        assert!(r.is_suspect("client/a"));
    }

    #[test]
    fn a_key_deleted_before_it_is_learned_never_releases_its_records() {
        let old = SigningKey::generate("old", Algorithm::EdDSA).expect("key");
        let new = SigningKey::generate("new", Algorithm::EdDSA).expect("key");
        let (baked, log) = rotation_history(&old, &new);
        let delete = (
            "publisher/new".to_string(),
            Some(event("publisher", "new", 5, Op::Delete, None, Some(&old))),
        );
        let mut r = Replica::new(Some(baked));
        let verdicts = replay(&mut r, &[delete, log[1].clone(), log[0].clone()]);
        assert_eq!(rejected(&verdicts[2]), Some(Rejection::StaleRevision));
        assert!(r.retried().is_empty());
        assert!(r.is_suspect("client/a"), "still held, never verified");
        assert_eq!(r.pending().0, 1);
        r.reset();
        assert_eq!(r.pending(), (0, 0), "a rebuild starts with nothing held");
        assert!(!r.is_suspect("client/a"));
    }

    #[test]
    fn records_held_for_a_retry_are_bounded_and_the_rest_counted() {
        let old = SigningKey::generate("old", Algorithm::EdDSA).expect("key");
        let new = SigningKey::generate("new", Algorithm::EdDSA).expect("key");
        let (baked, log) = rotation_history(&old, &new);
        let one = log[1].0.len() + log[1].1.as_ref().map_or(0, Vec::len);
        let mut r = Replica::new(Some(baked)).with_pending_max_bytes(one);
        replay(&mut r, &log[1..]);
        assert_eq!(r.pending(), (1, one));
        assert_eq!(r.pending_dropped(), 2, "client/b and the checkpoint");
        replay(&mut r, &log[..1]);
        assert_eq!(r.retried().len(), 1);
        let served = r.served().expect("view");
        assert!(served.unanchored, "the checkpoint was not held");
        let keys: Vec<&str> = served.withheld.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["client/b"]);
        r.reset();
        replay(&mut r, &log[1..3]);
        assert_eq!(r.pending().0, 1, "a rebuild may hold again");
    }
}
