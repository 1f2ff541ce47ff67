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

use std::collections::{BTreeSet, HashMap, HashSet};

use super::checkpoint::{decode_checkpoint, Checkpoint, Withheld, WithheldBecause, CHECKPOINT_KEY};
use super::event::{decode_value, parse_key, record_key, Op, Rejection};
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
    },
    Rejected {
        reason: Rejection,
        detail: String,
    },
}

/// The view to decide on, and the entities left out of it.
#[derive(Debug, Clone)]
pub struct Served {
    pub view: PolicyView,
    pub withheld: Vec<Withheld>,
}

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
    /// Keys with a record rejected as forged or unreadable in this replay (signed mode).
    suspect: BTreeSet<String>,
    /// Keys with a record applied in this replay.
    accepted: HashSet<String>,
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
            suspect: BTreeSet::new(),
            accepted: HashSet::new(),
        };
        r.reset();
        r
    }

    /// Back to the baked policy, forgetting everything the stream said (before a rebuild
    /// from offset 0). The last verified checkpoint is kept.
    pub fn reset(&mut self) {
        self.revisions.clear();
        self.suspect.clear();
        self.accepted.clear();
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

    /// The view to decide on: the applied view without the entities whose signed record is
    /// missing (compacted away under a hostile record). Such an entity is denied for, which
    /// fails closed for that entity only, and only under attack.
    pub fn served(&self) -> Option<Served> {
        let view = self.view()?;
        let withheld = self.withheld();
        let mut view = view.clone();
        for w in &withheld {
            if let Some((kind, id)) = parse_key(w.key.as_bytes()) {
                view.remove(kind, &id);
            }
        }
        Some(Served { view, withheld })
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
        }
        // The checkpoint itself was attacked (only forged or unreadable records on its key)
        // and none verifies: nothing says what is missing, so a key whose every record was
        // forged or unreadable may have lost its signed history to compaction. Without that
        // evidence of an attack, rejected records withhold nothing.
        let checkpoint_attacked =
            self.checkpoint.is_none() && self.suspect.contains(CHECKPOINT_KEY);
        let suspects = if checkpoint_attacked {
            self.suspect.iter()
        } else {
            Default::default()
        };
        for key in suspects {
            if key == CHECKPOINT_KEY || self.accepted.contains(key) {
                continue;
            }
            out.push(Withheld {
                key: key.clone(),
                because: WithheldBecause::OnlyRejectedRecords,
            });
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
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

    /// Applies one record (key and value as read from Kafka).
    pub fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) -> Applied {
        if key == Some(CHECKPOINT_KEY.as_bytes()) {
            return self.apply_checkpoint(value);
        }
        let Some((kind, id)) = key.and_then(parse_key) else {
            return Applied::Rejected {
                reason: Rejection::BadKey,
                detail: format!(
                    "key is not `<kind>/<id>` with kind issuer, client, api or publisher, nor `{CHECKPOINT_KEY}`"
                ),
            };
        };
        let outcome = self.apply_entity(kind, &id, value);
        let key = record_key(kind, &id);
        match &outcome {
            Applied::Rejected { reason, .. } if self.signed && forged(*reason) => {
                self.suspect.insert(key);
            }
            Applied::Rejected { .. } => {}
            _ => {
                self.accepted.insert(key);
            }
        }
        outcome
    }

    fn apply_entity(&mut self, kind: EntityKind, id: &str, value: Option<&[u8]>) -> Applied {
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
                self.commit(kind, id, event.revision);
                Applied::Upserted {
                    kind,
                    id: id.to_string(),
                    revision: event.revision,
                    signed_by: decoded.signed_by,
                }
            }
            Op::Delete => {
                self.view.remove(kind, id);
                self.commit(kind, id, event.revision);
                Applied::Deleted {
                    kind,
                    id: id.to_string(),
                    revision: event.revision,
                    signed_by: decoded.signed_by,
                }
            }
        }
    }

    fn apply_checkpoint(&mut self, value: Option<&[u8]>) -> Applied {
        let outcome = match value {
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
                Ok((cp, kid)) => {
                    let newest = self.checkpoint.as_ref().map_or(self.floor, |c| c.revision);
                    // The same checkpoint read again (a rebuild keeps the one verified).
                    let again = self.checkpoint.as_ref() == Some(&cp);
                    if cp.revision <= newest && !again {
                        Applied::Rejected {
                            reason: Rejection::StaleRevision,
                            detail: format!(
                                "checkpoint revision {} is not newer than the {newest} held",
                                cp.revision
                            ),
                        }
                    } else {
                        let outcome = Applied::Checkpoint {
                            revision: cp.revision,
                            signed_by: kid,
                            entities: cp.entities.len(),
                        };
                        self.checkpoint = Some(cp);
                        outcome
                    }
                }
            },
        };
        match &outcome {
            Applied::Rejected { reason, .. } if self.signed && forged(*reason) => {
                self.suspect.insert(CHECKPOINT_KEY.to_string());
            }
            Applied::Rejected { .. } => {}
            _ => {
                self.accepted.insert(CHECKPOINT_KEY.to_string());
            }
        }
        outcome
    }

    fn commit(&mut self, kind: EntityKind, id: &str, revision: u64) {
        self.revisions.insert((kind, id.to_string()), revision);
        self.view.revision = self.view.revision.max(revision);
        self.has_policy = true;
    }
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
            .map(|(k, v)| r.apply(Some(k.as_bytes()), v.as_deref()))
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
            rejected(&r.apply(Some(b"publisher/evil"), Some(&publisher))),
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
            r.apply(Some(b"client/a"), Some(&up)),
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
            rejected(&r.apply(Some(b"client/gone"), Some(&old))),
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
            r.apply(Some(b"client/new"), Some(&new)),
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
            rejected(&r.apply(Some(b"client/a"), Some(&zero))),
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
                    rejected(&r.apply(Some(b"client/a"), Some(garbage))),
                    Some(Rejection::Malformed),
                    "{:?} (signed: {})",
                    String::from_utf8_lossy(garbage),
                    r.signed()
                );
            }
        }
    }

    fn checkpoint_value(k: &SigningKey, revision: u64, entities: &[(&str, u64)]) -> Vec<u8> {
        let cp = Checkpoint::new(
            revision,
            None,
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
            rejected(&r.apply(Some(b"client/a"), Some(&forged))),
            Some(Rejection::BadSignature)
        );
        assert_eq!(
            rejected(&r.apply(Some(CHECKPOINT_KEY.as_bytes()), None)),
            Some(Rejection::Unsigned)
        );
        let served = r.served().expect("view");
        assert!(served.view.client("a").is_none());
        assert!(served.view.client("b").is_some());
        assert_eq!(served.withheld.len(), 1, "{:?}", served.withheld);
        assert_eq!(
            served.withheld[0].because,
            WithheldBecause::OnlyRejectedRecords
        );
    }

    #[test]
    fn a_checkpoint_survives_a_rebuild_and_a_stale_one_is_refused() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let mut r = Replica::new(Some(signed_baked(&k, 1, &[client("a", "active")])));
        let cp3 = checkpoint_value(&k, 3, &[("client/a", 3)]);
        let cp2 = checkpoint_value(&k, 2, &[("client/a", 2)]);
        assert!(matches!(
            r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp3)),
            Applied::Checkpoint { revision: 3, .. }
        ));
        assert_eq!(
            rejected(&r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp2))),
            Some(Rejection::StaleRevision)
        );
        r.reset();
        assert_eq!(r.checkpoint().map(|c| c.revision), Some(3));
        assert!(matches!(
            r.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp3)),
            Applied::Checkpoint { revision: 3, .. }
        ));
        assert_eq!(r.withheld().len(), 1, "client/a is behind the checkpoint");
        // Unsigned mode trusts no key, so no checkpoint counts there.
        let mut unsigned = Replica::new(None);
        assert_eq!(
            rejected(&unsigned.apply(Some(CHECKPOINT_KEY.as_bytes()), Some(&cp3))),
            Some(Rejection::BadSignature)
        );
    }

    #[test]
    fn signed_mode_refuses_tombstones_and_never_switches_off() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let baked = load_policy_value(&json!({"schema": "gateway-policy/v1", "revision": 1,
            "publishers": [{"kid": "p", "jwk": k.public_jwk()}]}))
        .expect("policy");
        let mut r = Replica::new(Some(baked));
        assert_eq!(
            rejected(&r.apply(Some(b"publisher/p"), None)),
            Some(Rejection::Unsigned)
        );
        let delete = event("publisher", "p", 5, Op::Delete, None, Some(&k));
        assert!(matches!(
            r.apply(Some(b"publisher/p"), Some(&delete)),
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
            rejected(&r.apply(Some(b"client/evil"), Some(&evil))),
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
            r.apply(Some(b"client/a"), Some(&up)),
            Applied::Upserted { .. }
        ));
        assert!(matches!(
            r.apply(Some(b"client/a"), None),
            Applied::Tombstone { .. }
        ));
        assert!(r.view().and_then(|v| v.client("a")).is_none());
        assert_eq!(
            rejected(&r.apply(Some(b"client/a"), Some(&up))),
            Some(Rejection::StaleRevision)
        );
    }
}
