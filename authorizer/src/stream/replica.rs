//! The replica: the policy view rebuilt from the baked document plus the event stream,
//! with the apply rule. Pure: records in, view and verdicts out; no Kafka here.
//!
//! Apply rule: an event changes an entity only if its revision is higher than the one held
//! for that entity (deletes are remembered with their revision). Entities of the baked
//! document are held at the document's revision. A tombstone (null value) forgets the key.

use std::collections::HashMap;

use super::event::{decode_value, parse_key, Op, Rejection};
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
    Rejected {
        reason: Rejection,
        detail: String,
    },
}

#[derive(Debug, Clone)]
pub struct Replica {
    baked: Option<PolicyView>,
    view: PolicyView,
    has_policy: bool,
    revisions: HashMap<(EntityKind, String), u64>,
    /// Signed mode: on when the baked policy or any applied event lists publishers, and
    /// never off again (a stream must not be able to switch its own checking off).
    signed: bool,
}

impl Replica {
    /// Starts from the baked policy (or from nothing, when there is none).
    pub fn new(baked: Option<PolicyView>) -> Self {
        let mut r = Replica {
            baked: baked.clone(),
            view: PolicyView::default(),
            has_policy: false,
            revisions: HashMap::new(),
            signed: false,
        };
        r.reset();
        r
    }

    /// Back to the baked policy, forgetting everything the stream said (before a rebuild
    /// from offset 0).
    pub fn reset(&mut self) {
        self.revisions.clear();
        match &self.baked {
            Some(baked) => {
                self.view = baked.clone();
                self.has_policy = true;
                self.signed |= baked.requires_signed_events();
                for kind in EntityKind::ALL {
                    for id in baked.ids(kind) {
                        self.revisions
                            .insert((kind, id.to_string()), baked.revision);
                    }
                }
            }
            None => {
                self.view = PolicyView::default();
                self.has_policy = false;
            }
        }
    }

    /// The current view; `None` until there is a baked policy or an applied event.
    pub fn view(&self) -> Option<&PolicyView> {
        self.has_policy.then_some(&self.view)
    }

    /// The revision held for an entity, if any.
    pub fn revision_of(&self, kind: EntityKind, id: &str) -> Option<u64> {
        self.revisions.get(&(kind, id.to_string())).copied()
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
        let reject = |reason, detail: String| Applied::Rejected { reason, detail };
        let Some((kind, id)) = key.and_then(parse_key) else {
            return reject(
                Rejection::BadKey,
                "key is not `<kind>/<id>` with kind issuer, client, api or publisher".into(),
            );
        };
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
            self.view.remove(kind, &id);
            return Applied::Tombstone { kind, id };
        };
        let decoded = match decode_value(kind, &id, value, &self.view, self.signed) {
            Ok(d) => d,
            Err((reason, detail)) => return reject(reason, detail),
        };
        let event = decoded.event;
        if let Some(held) = self.revision_of(kind, &id) {
            if event.revision <= held {
                return reject(
                    Rejection::StaleRevision,
                    format!(
                        "revision {} is not newer than the {held} held",
                        event.revision
                    ),
                );
            }
        }
        match event.op {
            Op::Upsert => {
                let Some(data) = event.data.as_ref() else {
                    return reject(Rejection::Malformed, "an upsert needs `data`".into());
                };
                if let Err(errors) = self.view.upsert(kind, data) {
                    return reject(Rejection::InvalidEntity, errors.to_string());
                }
                self.commit(kind, &id, event.revision);
                Applied::Upserted {
                    kind,
                    id,
                    revision: event.revision,
                    signed_by: decoded.signed_by,
                }
            }
            Op::Delete => {
                self.view.remove(kind, &id);
                self.commit(kind, &id, event.revision);
                Applied::Deleted {
                    kind,
                    id,
                    revision: event.revision,
                    signed_by: decoded.signed_by,
                }
            }
        }
    }

    fn commit(&mut self, kind: EntityKind, id: &str, revision: u64) {
        self.revisions.insert((kind, id.to_string()), revision);
        self.view.revision = self.view.revision.max(revision);
        self.has_policy = true;
        self.signed |= self.view.requires_signed_events();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load_policy_value;
    use crate::signing::SigningKey;
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
