//! The publisher's planner: the topic's records in, the events (and the checkpoint) that
//! turn the topic into a policy document out. Pure: no Kafka here ([`super::publish`] does
//! the I/O), so every rule is unit-tested without a broker.
//!
//! The topic is read the way an authorizer reads it: through a [`Replica`] that checks
//! signatures, so a record no authorizer would accept (a forgery, garbage, a tombstone in
//! signed mode) counts as missing and is re-asserted by the next run.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use super::checkpoint::{is_fresh, parse_rfc3339, Checkpoint};
use super::event::{record_key, Op, PolicyEvent};
use super::replica::{Applied, Replica};
use crate::policy::{EntityKind, PolicyDocument, PolicyView, PublisherDoc};

/// One record as read back from the topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// The latest accepted event the topic holds for one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    pub revision: u64,
    pub op: Op,
    pub data: Option<Value>,
}

/// What the topic says now, as an authorizer would accept it.
#[derive(Debug, Clone, Default)]
pub struct TopicState {
    pub latest: BTreeMap<(EntityKind, String), Latest>,
    /// The highest revision of an accepted record (forged revisions do not count).
    pub max_revision: u64,
    pub records: u64,
    /// Records an authorizer would reject.
    pub rejected: u64,
    /// The newest checkpoint that verifies.
    pub checkpoint: Option<Checkpoint>,
}

/// The payload of a value, whether plain JSON or a JWS (not verified: the replica has).
fn event_of(value: &[u8]) -> Option<PolicyEvent> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if text.starts_with('{') {
        return serde_json::from_str(text).ok();
    }
    let payload = text.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// The publisher keys to check the topic with: the document's, plus every publisher key the
/// topic names. The second set keeps a rotation in progress readable (records signed by a
/// key the document no longer lists are still valid for authorizers baked with it). A
/// writer without keys can name a key of their own here and so hide a forgery from the
/// planner; authorizers still reject it, and their checkpoint check withholds what it hides.
fn trusted_publishers(doc: &PolicyDocument, records: &[Record]) -> Vec<PublisherDoc> {
    let mut keys: BTreeMap<String, PublisherDoc> = doc
        .publishers
        .iter()
        .map(|p| (p.kid.clone(), p.clone()))
        .collect();
    if keys.is_empty() {
        return Vec::new();
    }
    for r in records {
        let Some(event) = r.value.as_deref().and_then(event_of) else {
            continue;
        };
        if event.kind != EntityKind::Publisher.as_str() || event.op != Op::Upsert {
            continue;
        }
        if let Some(p) = event
            .data
            .and_then(|d| serde_json::from_value::<PublisherDoc>(d).ok())
        {
            keys.entry(p.kid.clone()).or_insert(p);
        }
    }
    keys.into_values().collect()
}

/// The replica a publisher of `doc` reads the topic with: signed mode when `doc` lists
/// publishers, trusting the keys of [`trusted_publishers`].
fn planning_replica(doc: &PolicyDocument, records: &[Record]) -> Replica {
    let anchor = PolicyDocument {
        schema: doc.schema.clone(),
        revision: 0,
        issuers: Vec::new(),
        clients: Vec::new(),
        apis: Vec::new(),
        publishers: trusted_publishers(doc, records),
    };
    // A publisher key that does not parse is simply not trusted.
    let view = PolicyView::from_document(anchor.clone()).unwrap_or_else(|_| {
        PolicyView::from_document(PolicyDocument {
            publishers: doc.publishers.clone(),
            ..anchor
        })
        .unwrap_or_default()
    });
    Replica::new(Some(view))
}

/// Folds the records into the topic's current state, judging each as an authorizer
/// holding `doc`'s publisher keys would.
pub fn topic_state(doc: &PolicyDocument, records: &[Record]) -> TopicState {
    let mut replica = planning_replica(doc, records);
    let mut state = TopicState::default();
    for r in records {
        state.records += 1;
        // Freshness plays no part here (the refresh rule in `plan` reads `issued_at` itself).
        match replica.apply(r.key.as_deref(), r.value.as_deref(), 0) {
            Applied::Upserted {
                kind, id, revision, ..
            }
            | Applied::Deleted {
                kind, id, revision, ..
            } => {
                let Some(event) = r.value.as_deref().and_then(event_of) else {
                    continue;
                };
                state.max_revision = state.max_revision.max(revision);
                state.latest.insert(
                    (kind, id),
                    Latest {
                        revision,
                        op: event.op,
                        data: event.data,
                    },
                );
            }
            Applied::Tombstone { kind, id } => {
                state.latest.remove(&(kind, id));
            }
            Applied::Checkpoint { revision, .. } => {
                state.max_revision = state.max_revision.max(revision);
            }
            Applied::Rejected { .. } => state.rejected += 1,
        }
    }
    state.checkpoint = replica.checkpoint().cloned();
    state
}

/// One event to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: EntityKind,
    pub id: String,
    pub op: Op,
    pub data: Option<Value>,
    /// The revision the topic holds for this key, if any.
    pub previous: Option<u64>,
}

/// What one `authz publish` run sends, in order: the changes at `revision`, then (signed
/// mode) the checkpoint that covers the resulting state.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub revision: u64,
    pub changes: Vec<Change>,
    pub checkpoint: Option<Checkpoint>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.checkpoint.is_none()
    }
}

/// Why a document cannot be planned.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("the policy is invalid:\n{0}")]
    InvalidPolicy(String),
    #[error("revision {0} is the largest there is; the topic cannot take another change")]
    RevisionExhausted(u64),
    #[error("the policy lists publishers, so authorizers only accept signed events: pass --signing-key with one of their keys")]
    SigningKeyMissing,
    #[error("--signing-key \"{0}\" is given but the policy lists no publishers. Authorizers take publisher keys only from their baked policy (a key arriving on the topic is trusted only when signed by one they already trust), so every signed event would be rejected (bad_signature). To turn signed mode on: add {{\"kid\": \"{0}\", \"jwk\": <its public JWK>}} to `publishers`, deploy the authorizers with that policy baked in, then publish it with --signing-key")]
    SigningWithoutPublishers(String),
    #[error("--signing-key \"{0}\" is not among the policy's `publishers` ({1}); sign with a listed key, or list this one first (added by a run signed with a listed key)")]
    SigningKeyNotListed(String, String),
    #[error("--signing-key \"{0}\" does not match the public key the policy lists under that kid")]
    SigningKeyMismatch(String),
    #[error("--signing-key \"{0}\" is {1}; publisher keys are Ed25519 (authz keygen --alg EdDSA)")]
    SigningKeyNotEd25519(String, String),
}

/// Refuses signing set-ups no authorizer could accept, before anything is sent.
pub fn check_signing(
    doc: &PolicyDocument,
    key: Option<&crate::signing::SigningKey>,
) -> Result<(), PlanError> {
    let Some(key) = key else {
        return if doc.publishers.is_empty() {
            Ok(())
        } else {
            Err(PlanError::SigningKeyMissing)
        };
    };
    if key.alg != jsonwebtoken::Algorithm::EdDSA {
        return Err(PlanError::SigningKeyNotEd25519(
            key.kid.clone(),
            format!("{:?}", key.alg),
        ));
    }
    if doc.publishers.is_empty() {
        return Err(PlanError::SigningWithoutPublishers(key.kid.clone()));
    }
    let Some(listed) = doc.publishers.iter().find(|p| p.kid == key.kid) else {
        let kids: Vec<&str> = doc.publishers.iter().map(|p| p.kid.as_str()).collect();
        return Err(PlanError::SigningKeyNotListed(
            key.kid.clone(),
            kids.join(", "),
        ));
    };
    if listed.jwk.get("x") != key.public_jwk().get("x") {
        return Err(PlanError::SigningKeyMismatch(key.kid.clone()));
    }
    Ok(())
}

/// Normalises an entity's JSON through the policy's own types (defaults filled in), so a
/// diff only sees real changes.
fn normalised(kind: EntityKind, data: &Value) -> Option<Value> {
    let mut view = PolicyView::default();
    view.upsert(kind, data).ok()?;
    view.entities(kind).into_iter().next().map(|(_, v)| v)
}

/// The events that turn the topic's state into `doc`. Publisher keys are added first and
/// removed last, so a rotation signed in one run never locks itself out.
pub fn changes(doc: &PolicyDocument, state: &TopicState) -> Result<Vec<Change>, PlanError> {
    let view = PolicyView::from_document(doc.clone())
        .map_err(|e| PlanError::InvalidPolicy(e.to_string()))?;
    let mut upserts = Vec::new();
    let mut deletes = Vec::new();
    for kind in [
        EntityKind::Publisher,
        EntityKind::Issuer,
        EntityKind::Client,
        EntityKind::Api,
    ] {
        let wanted: BTreeMap<String, Value> = view.entities(kind).into_iter().collect();
        for (id, data) in &wanted {
            let current = state.latest.get(&(kind, id.clone()));
            let same = current.is_some_and(|l| {
                l.op == Op::Upsert
                    && l.data.as_ref().and_then(|d| normalised(kind, d)).as_ref() == Some(data)
            });
            if !same {
                upserts.push(Change {
                    kind,
                    id: id.clone(),
                    op: Op::Upsert,
                    data: Some(data.clone()),
                    previous: current.map(|l| l.revision),
                });
            }
        }
        for ((k, id), latest) in state.latest.range((kind, String::new())..) {
            if *k != kind {
                break;
            }
            if latest.op == Op::Upsert && !wanted.contains_key(id) {
                deletes.push(Change {
                    kind,
                    id: id.clone(),
                    op: Op::Delete,
                    data: None,
                    previous: Some(latest.revision),
                });
            }
        }
    }
    // Publisher deletes go last of all.
    deletes.sort_by_key(|c| c.kind == EntityKind::Publisher);
    upserts.extend(deletes);
    Ok(upserts)
}

/// When a run signs its checkpoint, and when the topic's newest one is due for re-signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointClock {
    /// `issued_at` of a checkpoint this run writes (RFC 3339).
    pub issued_at: String,
    /// Now, in Unix seconds.
    pub now: i64,
    /// Re-sign the checkpoint when the topic's newest is older than this (seconds), even
    /// with nothing changed: authorizers serve the stream's state only while a checkpoint
    /// is younger than their maximum age, so the portal runs `authz publish` on a schedule.
    pub refresh_after_s: u64,
}

/// The whole run: changes at one new revision and, when `signed`, a checkpoint listing
/// every key's revision after them. With no change, a checkpoint is still planned when the
/// topic's newest one does not describe the topic (missing, or compacted out of date) or is
/// due for re-signing, so running `authz publish` again re-asserts the state.
pub fn plan(
    doc: &PolicyDocument,
    state: &TopicState,
    signed: bool,
    clock: &CheckpointClock,
) -> Result<Plan, PlanError> {
    let changes = changes(doc, state)?;
    let base = state.max_revision.max(doc.revision);
    let revision = base
        .checked_add(1)
        .ok_or(PlanError::RevisionExhausted(base))?;
    let mut entities: BTreeMap<String, u64> = state
        .latest
        .iter()
        .map(|((kind, id), l)| (record_key(*kind, id), l.revision))
        .collect();
    for c in &changes {
        entities.insert(record_key(c.kind, &c.id), revision);
    }
    let current = state.checkpoint.as_ref().map(|c| &c.entities);
    let due = state.checkpoint.as_ref().is_none_or(|c| {
        c.issued_at
            .as_deref()
            .and_then(parse_rfc3339)
            .is_none_or(|at| !is_fresh(at, clock.now, clock.refresh_after_s))
    });
    let checkpoint = (signed && (!changes.is_empty() || current != Some(&entities) || due))
        .then(|| Checkpoint::new(revision, Some(clock.issued_at.clone()), entities));
    Ok(Plan {
        revision,
        changes,
        checkpoint,
    })
}

/// Replays records through a replica (as an authorizer would) and reports each verdict.
pub fn verdicts<'r>(
    replica: &mut Replica,
    records: &'r [Record],
    now: i64,
) -> Vec<(&'r Record, Applied)> {
    records
        .iter()
        .map(|r| (r, replica.apply(r.key.as_deref(), r.value.as_deref(), now)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::SigningKey;
    use crate::stream::checkpoint::{encode_checkpoint, CHECKPOINT_KEY};
    use crate::stream::event::{encode_value, EVENT_SCHEMA};
    use jsonwebtoken::Algorithm;
    use serde_json::json;

    /// A clock at 2027-01-15T08:00:00Z that re-signs checkpoints older than an hour.
    fn clock() -> CheckpointClock {
        CheckpointClock {
            issued_at: "2027-01-15T08:00:00Z".into(),
            now: 1_800_000_000,
            refresh_after_s: 3600,
        }
    }

    fn document(publisher: Option<&SigningKey>, clients: &[(&str, &str)]) -> PolicyDocument {
        serde_json::from_value(json!({
            "schema": "gateway-policy/v1", "revision": 1,
            "clients": clients.iter().map(|(id, s)| json!({"id": id, "status": s})).collect::<Vec<_>>(),
            "publishers": publisher.iter().map(|k| json!({"kid": k.kid, "jwk": k.public_jwk()})).collect::<Vec<_>>(),
        }))
        .expect("document")
    }

    fn record(offset: i64, key: &str, value: Option<String>) -> Record {
        Record {
            partition: 0,
            offset,
            timestamp_ms: None,
            key: Some(key.as_bytes().to_vec()),
            value: value.map(String::into_bytes),
        }
    }

    fn client_event(id: &str, revision: u64, status: &str, key: Option<&SigningKey>) -> String {
        encode_value(
            &PolicyEvent {
                schema: EVENT_SCHEMA.into(),
                kind: "client".into(),
                id: id.into(),
                revision,
                op: Op::Upsert,
                issued_at: None,
                data: Some(json!({"id": id, "status": status})),
            },
            key,
        )
        .expect("encode")
    }

    #[test]
    fn forged_records_count_as_missing_and_are_re_asserted() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let evil = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let doc = document(Some(&k), &[("a", "active"), ("b", "active")]);
        let records = [
            record(
                0,
                "client/a",
                Some(client_event("a", 2, "active", Some(&k))),
            ),
            record(
                1,
                "client/b",
                Some(client_event("b", 2, "active", Some(&k))),
            ),
            // Compaction left only hostile records for b: unsigned, then forged at a huge revision.
            record(2, "client/b", Some(client_event("b", 7, "active", None))),
            record(
                3,
                "client/b",
                Some(client_event("b", u64::MAX, "active", Some(&evil))),
            ),
        ];
        let state = topic_state(
            &doc,
            &records[..1]
                .iter()
                .chain(&records[2..])
                .cloned()
                .collect::<Vec<_>>(),
        );
        assert_eq!(state.rejected, 2);
        assert_eq!(state.max_revision, 2, "forged revisions do not count");
        let run = plan(&doc, &state, true, &clock()).expect("plan");
        assert_eq!(run.revision, 3);
        let keys: Vec<String> = run
            .changes
            .iter()
            .map(|c| record_key(c.kind, &c.id))
            .collect();
        assert!(keys.contains(&"client/b".to_string()), "{keys:?}");
        assert!(!keys.contains(&"client/a".to_string()), "{keys:?}");
        let cp = run.checkpoint.expect("a checkpoint in signed mode");
        assert_eq!(cp.revision, 3);
        assert_eq!(cp.entities.get("client/a"), Some(&2));
        assert_eq!(cp.entities.get("client/b"), Some(&3));
        assert_eq!(cp.entities.get("publisher/p"), Some(&3));
    }

    #[test]
    fn an_up_to_date_topic_plans_nothing_and_a_stale_checkpoint_is_rewritten() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let doc = document(Some(&k), &[("a", "active")]);
        let mut records = Vec::new();
        let first = plan(&doc, &topic_state(&doc, &records), true, &clock()).expect("plan");
        for (i, c) in first.changes.iter().enumerate() {
            let event = PolicyEvent {
                schema: EVENT_SCHEMA.into(),
                kind: c.kind.as_str().into(),
                id: c.id.clone(),
                revision: first.revision,
                op: c.op,
                issued_at: None,
                data: c.data.clone(),
            };
            records.push(record(
                i as i64,
                &record_key(c.kind, &c.id),
                Some(encode_value(&event, Some(&k)).expect("encode")),
            ));
        }
        let cp = first.checkpoint.clone().expect("checkpoint");
        records.push(record(
            9,
            CHECKPOINT_KEY,
            Some(encode_checkpoint(&cp, &k).expect("sign")),
        ));
        let again = plan(&doc, &topic_state(&doc, &records), true, &clock()).expect("plan");
        assert!(again.is_empty(), "{again:?}");
        // An hour and a second later the checkpoint is due: re-signed, nothing else.
        let later = CheckpointClock {
            issued_at: "2027-01-15T09:00:01Z".into(),
            now: clock().now + 3601,
            ..clock()
        };
        let due = plan(&doc, &topic_state(&doc, &records), true, &later).expect("plan");
        assert!(due.changes.is_empty(), "{due:?}");
        let resigned = due.checkpoint.expect("a checkpoint due for re-signing");
        assert_eq!(resigned.entities, cp.entities);
        assert_eq!(resigned.issued_at.as_deref(), Some("2027-01-15T09:00:01Z"));
        assert!(
            resigned.revision > cp.revision,
            "a newer checkpoint supersedes the old"
        );
        // A hostile record over the checkpoint: the next run writes a new one, nothing else.
        records.push(record(10, CHECKPOINT_KEY, Some("garbage".into())));
        let compacted: Vec<Record> = records.iter().filter(|r| r.offset != 9).cloned().collect();
        let repair = plan(&doc, &topic_state(&doc, &compacted), true, &clock()).expect("plan");
        assert!(repair.changes.is_empty());
        assert_eq!(repair.checkpoint.map(|c| c.entities), Some(cp.entities));
    }

    #[test]
    fn unsigned_mode_plans_no_checkpoint_and_refuses_an_exhausted_revision() {
        let doc = document(None, &[("a", "active")]);
        let records = vec![record(
            0,
            "client/a",
            Some(client_event("a", u64::MAX, "suspended", None)),
        )];
        let state = topic_state(&doc, &records);
        assert_eq!(
            plan(&doc, &state, false, &clock()),
            Err(PlanError::RevisionExhausted(u64::MAX))
        );
        let run = plan(&doc, &TopicState::default(), false, &clock()).expect("plan");
        assert!(run.checkpoint.is_none());
        assert_eq!(run.changes.len(), 1);
    }

    #[test]
    fn signing_set_ups_that_cannot_work_are_refused() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let other = SigningKey::generate("q", Algorithm::EdDSA).expect("key");
        let same_kid = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let es = SigningKey::generate("p", Algorithm::ES256).expect("key");
        let unsigned = document(None, &[]);
        let signed = document(Some(&k), &[]);
        assert_eq!(check_signing(&unsigned, None), Ok(()));
        assert_eq!(check_signing(&signed, Some(&k)), Ok(()));
        assert_eq!(
            check_signing(&unsigned, Some(&k)),
            Err(PlanError::SigningWithoutPublishers("p".into()))
        );
        assert_eq!(
            check_signing(&signed, None),
            Err(PlanError::SigningKeyMissing)
        );
        assert_eq!(
            check_signing(&signed, Some(&other)),
            Err(PlanError::SigningKeyNotListed("q".into(), "p".into()))
        );
        assert_eq!(
            check_signing(&signed, Some(&same_kid)),
            Err(PlanError::SigningKeyMismatch("p".into()))
        );
        assert!(matches!(
            check_signing(&signed, Some(&es)),
            Err(PlanError::SigningKeyNotEd25519(..))
        ));
        assert!(PlanError::SigningWithoutPublishers("p".into())
            .to_string()
            .contains("bake"));
    }
}
