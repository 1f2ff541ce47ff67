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
}

impl Replica {
    /// Starts from the baked policy (or from nothing, when there is none).
    pub fn new(baked: Option<PolicyView>) -> Self {
        let mut r = Replica {
            baked: baked.clone(),
            view: PolicyView::default(),
            has_policy: false,
            revisions: HashMap::new(),
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
            self.revisions.remove(&(kind, id.clone()));
            self.view.remove(kind, &id);
            return Applied::Tombstone { kind, id };
        };
        let decoded = match decode_value(kind, &id, value, &self.view) {
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
    }
}
