//! The publisher's planner: the topic's records in, the events (and the checkpoint) that
//! turn the topic into a policy document out. Pure: no Kafka here ([`super::publish`] does
//! the I/O), so every rule is unit-tested without a broker.
//!
//! The topic is read the way an authorizer baked with the document reads it: through a
//! [`Replica`] seeded with the document's publisher keys only, learning further keys in log
//! order from records that verify. A record such an authorizer would not accept (a forgery,
//! garbage, a tombstone in signed mode, a record signed by a key the document no longer
//! lists) counts as missing and is re-asserted by the next run.
//!
//! Revisions are never reused: a run issues one above every revision it can verify, above
//! the document's, and at least the wall clock in Unix milliseconds, so a writer who buries
//! the newest records cannot make the portal issue their revisions again.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use super::checkpoint::{is_fresh, parse_rfc3339, Checkpoint};
use super::event::{parse_key, record_key, Op, PolicyEvent};
use super::replica::{Applied, Replica};
use crate::policy::{EntityKind, PolicyDocument, PolicyView};

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
    /// The publisher key that signed [`TopicState::checkpoint`].
    pub checkpoint_signed_by: Option<String>,
    /// Keys whose latest record on the topic the planner rejects (and so re-asserts).
    pub unverified: BTreeMap<(EntityKind, String), Unverified>,
}

/// The latest record of a key, rejected by the planner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    pub offset: i64,
    /// The `kid` its JWS header names, unverified (`None` for anything but a JWS).
    pub kid: Option<String>,
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

/// The `kid` a compact JWS's header names, without verifying anything.
fn jws_kid(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let header = URL_SAFE_NO_PAD.decode(text.split('.').next()?).ok()?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    header.get("kid")?.as_str().map(str::to_string)
}

/// The replica a publisher of `doc` reads the topic with: the one an authorizer baked with
/// `doc`'s publisher keys (and nothing else) runs. Keys the topic names are trusted only
/// once a record signed by a trusted key brings them in, as authorizers trust them; a key
/// named by an unsigned or forged record would otherwise let a writer hide forgeries from
/// the planner (no re-assertion, no checkpoint re-signing).
fn planning_replica(doc: &PolicyDocument) -> Replica {
    let anchor = PolicyDocument {
        schema: doc.schema.clone(),
        revision: 0,
        issuers: Vec::new(),
        clients: Vec::new(),
        apis: Vec::new(),
        publishers: doc.publishers.clone(),
    };
    // A document whose publisher keys do not parse is refused by `plan` anyway.
    Replica::new(Some(PolicyView::from_document(anchor).unwrap_or_default()))
}

/// Folds the records into the topic's current state, judging each as an authorizer
/// baked with `doc`'s publisher keys would.
pub fn topic_state(doc: &PolicyDocument, records: &[Record]) -> TopicState {
    let mut replica = planning_replica(doc);
    let mut state = TopicState::default();
    for r in records {
        state.records += 1;
        // Freshness plays no part here (the refresh rule in `plan` reads `issued_at` itself).
        let outcome = replica.apply(r.key.as_deref(), r.value.as_deref(), 0);
        fold(&mut state, outcome, r);
        // Records a key learned just now lets the replica re-apply change what an authorizer
        // holds as much as the record that introduced it: the plan must see them too.
        for retried in replica.retried() {
            let applied = !matches!(retried.outcome, Applied::Rejected { .. });
            if let Some(original) = records.get(retried.position as usize).filter(|_| applied) {
                fold(&mut state, retried.outcome.clone(), original);
            }
        }
    }
    state.checkpoint = replica.checkpoint().cloned();
    state
}

/// Folds one verdict of the planning replica on record `r` into the topic's state.
fn fold(state: &mut TopicState, outcome: Applied, r: &Record) {
    match outcome {
        Applied::Upserted {
            kind, id, revision, ..
        }
        | Applied::Deleted {
            kind, id, revision, ..
        } => {
            let Some(event) = r.value.as_deref().and_then(event_of) else {
                return;
            };
            state.unverified.remove(&(kind, id.clone()));
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
            state.unverified.remove(&(kind, id.clone()));
            state.latest.remove(&(kind, id));
        }
        Applied::Checkpoint {
            revision,
            signed_by,
            ..
        } => {
            state.max_revision = state.max_revision.max(revision);
            state.checkpoint_signed_by = Some(signed_by);
        }
        Applied::Rejected { .. } => {
            state.rejected += 1;
            if let Some(entity) = r.key.as_deref().and_then(parse_key) {
                state.unverified.insert(
                    entity,
                    Unverified {
                        offset: r.offset,
                        kid: r.value.as_deref().and_then(jws_kid),
                    },
                );
            }
        }
    }
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
        // A publisher key the document dropped whose record the planner cannot verify (it is
        // signed by that very key, say) but which the portal's own checkpoint lists: an
        // authorizer baked with that key still trusts it until a signed delete arrives. Only
        // checkpoint-listed keys, so a writer cannot make the portal sign deletes at will.
        if kind == EntityKind::Publisher {
            let listed = state.checkpoint.iter().flat_map(|c| c.entities.keys());
            for (k, id) in listed.filter_map(|key| parse_key(key.as_bytes())) {
                if k == kind
                    && !wanted.contains_key(&id)
                    && !state.latest.contains_key(&(k, id.clone()))
                {
                    deletes.push(Change {
                        kind,
                        id,
                        op: Op::Delete,
                        data: None,
                        previous: None,
                    });
                }
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
    /// Now, in Unix milliseconds: the least revision this run issues. The clock, not only
    /// the topic, sets the revision, because the topic's newest records can be buried by a
    /// writer and compacted away; keep the portal's clock synchronised (NTP).
    pub now_ms: u64,
    /// The publisher key this run signs with, if any: a newest checkpoint signed by another
    /// key is due too, so that after a rotation the checkpoint verifies with the new key
    /// alone (a planner whose document dropped the old key can still read it).
    pub signing_kid: Option<String>,
    /// Re-sign the checkpoint when the topic's newest is older than this (seconds), even
    /// with nothing changed: authorizers serve the stream's state only while a checkpoint
    /// is younger than their maximum age, so the portal runs `authz publish` on a schedule.
    pub refresh_after_s: u64,
}

/// The whole run: changes at one new revision and, when `signed`, a checkpoint listing
/// every key's revision after them. The revision is above every revision the topic verifiably
/// holds and the document's, and at least the clock's milliseconds: never one issued before,
/// even when a writer buried the newest records and compaction removed them (a warm
/// authorizer holding that revision would ignore the re-issued one). With no change, a checkpoint is still planned when the
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
        .ok_or(PlanError::RevisionExhausted(base))?
        .max(clock.now_ms);
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
    }) || (clock.signing_kid.is_some()
        && state.checkpoint_signed_by != clock.signing_kid);
    let checkpoint = (signed && (!changes.is_empty() || current != Some(&entities) || due))
        .then(|| Checkpoint::new(revision, Some(clock.issued_at.clone()), entities));
    Ok(Plan {
        revision,
        changes,
        checkpoint,
    })
}

/// A `publisher/*` record a run re-asserts although the topic holds it signed by a key the
/// document does not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResignedPublisher {
    /// `publisher/<kid>`.
    pub key: String,
    /// The offset of the topic's copy.
    pub offset: i64,
    /// The unlisted key that signed the topic's copy.
    pub signed_by: String,
}

/// The publisher records `changes` re-asserts whose copy on the topic is signed by a key
/// `doc` does not list. Re-asserting `publisher/<new>` signed by the new key itself cuts off
/// authorizers baked with the old key only: they trust the new key through the old copy
/// alone, and reject everything signed by it once compaction drops that copy.
pub fn resigned_publishers(
    doc: &PolicyDocument,
    state: &TopicState,
    changes: &[Change],
) -> Vec<ResignedPublisher> {
    changes
        .iter()
        // Re-asserted because the planner accepts no copy (not because the key changed).
        .filter(|c| c.kind == EntityKind::Publisher && c.op == Op::Upsert && c.previous.is_none())
        .filter_map(|c| {
            let copy = state.unverified.get(&(c.kind, c.id.clone()))?;
            let kid = copy.kid.as_ref()?;
            (!doc.publishers.iter().any(|p| &p.kid == kid)).then(|| ResignedPublisher {
                key: record_key(c.kind, &c.id),
                offset: copy.offset,
                signed_by: kid.clone(),
            })
        })
        .collect()
}

/// One warning per unlisted key for [`resigned_publishers`]: what is re-asserted, who it
/// cuts off, and the rotation order that avoids it.
pub fn resigned_publisher_warnings(
    found: &[ResignedPublisher],
    signing_kid: Option<&str>,
) -> Vec<String> {
    let mut by_signer: BTreeMap<&str, Vec<&ResignedPublisher>> = BTreeMap::new();
    for f in found {
        by_signer.entry(f.signed_by.as_str()).or_default().push(f);
    }
    let signer = signing_kid.map_or("the signing key".to_string(), |k| format!("\"{k}\""));
    by_signer
        .into_iter()
        .map(|(old, found)| {
            let records: Vec<String> = found
                .iter()
                .map(|f| format!("{} (offset {})", f.key, f.offset))
                .collect();
            let kids: Vec<&str> = found
                .iter()
                .map(|f| f.key.trim_start_matches("publisher/"))
                .collect();
            let kids = kids.join(", ");
            format!(
                "this run re-asserts {records} signed by {signer}: the topic's copy is signed by \"{old}\", which the policy no longer lists. Authorizers baked with \"{old}\" but not {kids} trust {kids} only through that copy; once compaction drops it, they reject everything signed by {kids} (entities withheld, requests denied). Fine if every authorizer is baked with {kids} already. Otherwise list \"{old}\" in `publishers` again (nothing is re-asserted while both are listed), re-bake every authorizer with both keys, and only then drop \"{old}\" (docs/policy-events.md, \"Publisher keys change through the same stream\")",
                records = records.join(", "),
            )
        })
        .collect()
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
            now_ms: 1_800_000_000_000,
            refresh_after_s: 3600,
            signing_kid: None,
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
    fn records_retried_after_a_copied_rotation_record_are_planned_against() {
        // Signed history: K@2 suspended (p1), publisher/p2 (p1), K@4 active (p2), K@5
        // suspended (p2). A writer copies K@4, K@2 and publisher/p2 to the end; compaction
        // leaves only the copies. An authorizer holds K@4 active (retried once p2 is learned):
        // the planner must see that and suspend K again, not find the topic up to date.
        let p1 = SigningKey::generate("p1", Algorithm::EdDSA).expect("key");
        let p2 = SigningKey::generate("p2", Algorithm::EdDSA).expect("key");
        let doc: PolicyDocument = serde_json::from_value(json!({
            "schema": "gateway-policy/v1", "revision": 1,
            "clients": [{"id": "k", "status": "suspended"}],
            "publishers": [{"kid": "p1", "jwk": p1.public_jwk()}, {"kid": "p2", "jwk": p2.public_jwk()}],
        }))
        .expect("document");
        let publisher = encode_value(
            &PolicyEvent {
                schema: EVENT_SCHEMA.into(),
                kind: "publisher".into(),
                id: "p2".into(),
                revision: 3,
                op: Op::Upsert,
                issued_at: None,
                data: Some(json!({"kid": "p2", "jwk": p2.public_jwk()})),
            },
            Some(&p1),
        )
        .expect("encode");
        let records = [
            record(
                10,
                "client/k",
                Some(client_event("k", 4, "active", Some(&p2))),
            ),
            record(
                11,
                "client/k",
                Some(client_event("k", 2, "suspended", Some(&p1))),
            ),
            record(12, "publisher/p2", Some(publisher)),
        ];
        let state = topic_state(&doc, &records);
        assert_eq!(
            state
                .latest
                .get(&(EntityKind::Client, "k".into()))
                .map(|l| l.revision),
            Some(4),
            "the planner holds what an authorizer holds"
        );
        let run = plan(&doc, &state, true, &clock()).expect("plan");
        assert!(
            run.changes
                .iter()
                .any(|c| c.kind == EntityKind::Client && c.id == "k"),
            "{:?}",
            run.changes
        );
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
        let revision = clock().now_ms;
        assert_eq!(run.revision, revision);
        let keys: Vec<String> = run
            .changes
            .iter()
            .map(|c| record_key(c.kind, &c.id))
            .collect();
        assert!(keys.contains(&"client/b".to_string()), "{keys:?}");
        assert!(!keys.contains(&"client/a".to_string()), "{keys:?}");
        let cp = run.checkpoint.expect("a checkpoint in signed mode");
        assert_eq!(cp.revision, revision);
        assert_eq!(cp.entities.get("client/a"), Some(&2));
        assert_eq!(cp.entities.get("client/b"), Some(&revision));
        assert_eq!(cp.entities.get("publisher/p"), Some(&revision));
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
            now_ms: clock().now_ms + 3_601_000,
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

    fn event(
        kind: EntityKind,
        id: &str,
        revision: u64,
        data: Option<Value>,
        key: Option<&SigningKey>,
    ) -> String {
        encode_value(
            &PolicyEvent {
                schema: EVENT_SCHEMA.into(),
                kind: kind.as_str().into(),
                id: id.into(),
                revision,
                op: if data.is_some() {
                    Op::Upsert
                } else {
                    Op::Delete
                },
                issued_at: None,
                data,
            },
            key,
        )
        .expect("encode")
    }

    fn publisher_data(k: &SigningKey) -> Value {
        json!({"kid": k.kid, "jwk": k.public_jwk()})
    }

    /// A checkpoint issued at the test clock's time, signed by `key`.
    fn checkpoint_record(
        offset: i64,
        key: &SigningKey,
        revision: u64,
        entities: &[(&str, u64)],
    ) -> Record {
        let cp = Checkpoint::new(
            revision,
            Some(clock().issued_at),
            entities.iter().map(|(k, r)| (k.to_string(), *r)).collect(),
        );
        record(
            offset,
            CHECKPOINT_KEY,
            Some(encode_checkpoint(&cp, key).expect("sign")),
        )
    }

    fn keys_of(changes: &[Change]) -> Vec<(String, Op)> {
        changes
            .iter()
            .map(|c| (record_key(c.kind, &c.id), c.op))
            .collect()
    }

    #[test]
    fn a_buried_topic_still_plans_a_revision_above_the_ones_issued_before() {
        // The portal issued revision t1 (two minutes ago), then t2 (a minute ago) for
        // client/a. A writer buried the newer records (the t2 event and its checkpoint) and
        // compaction kept only t1's. A warm authorizer holds t2 and ignores anything at or
        // below it, so reusing a revision up to t2 would never reach it.
        let t1 = clock().now_ms - 120_000;
        let t2 = clock().now_ms - 60_000;
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let doc = document(Some(&k), &[("a", "suspended")]);
        let buried = vec![
            record(
                0,
                "publisher/p",
                Some(event(
                    EntityKind::Publisher,
                    "p",
                    t1,
                    Some(publisher_data(&k)),
                    Some(&k),
                )),
            ),
            record(
                1,
                "client/a",
                Some(client_event("a", t1, "active", Some(&k))),
            ),
            checkpoint_record(2, &k, t1, &[("publisher/p", t1), ("client/a", t1)]),
            record(5, "client/a", Some("garbage".into())),
            record(6, CHECKPOINT_KEY, Some("garbage".into())),
        ];
        let state = topic_state(&doc, &buried);
        assert_eq!(state.max_revision, t1, "the newest verifiable revision");
        let run = plan(&doc, &state, true, &clock()).expect("plan");
        assert!(
            run.revision > t2,
            "revision {} reused (t2 = {t2})",
            run.revision
        );
        assert_eq!(run.revision, clock().now_ms);
        assert_eq!(
            keys_of(&run.changes),
            [("client/a".to_string(), Op::Upsert)]
        );
        // Above the topic's and the document's revision when they are ahead of the clock.
        let ahead = PolicyDocument {
            revision: clock().now_ms + 7,
            ..doc.clone()
        };
        let run = plan(&ahead, &state, true, &clock()).expect("plan");
        assert_eq!(run.revision, clock().now_ms + 8);
    }

    #[test]
    fn a_publisher_key_only_an_unsigned_record_names_is_not_trusted() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let evil = SigningKey::generate("evil", Algorithm::EdDSA).expect("key");
        let doc = document(Some(&k), &[("a", "active")]);
        // The portal's records, each then covered by the writer's: an unsigned
        // `publisher/evil`, and the same content re-signed by evil at a higher revision, with a
        // checkpoint by evil that describes the result. Compaction keeps the writer's.
        let records = vec![
            record(
                0,
                "publisher/p",
                Some(event(
                    EntityKind::Publisher,
                    "p",
                    2,
                    Some(publisher_data(&k)),
                    Some(&k),
                )),
            ),
            record(
                3,
                "publisher/evil",
                Some(event(
                    EntityKind::Publisher,
                    "evil",
                    3,
                    Some(publisher_data(&evil)),
                    None,
                )),
            ),
            record(
                4,
                "client/a",
                Some(client_event("a", 3, "active", Some(&evil))),
            ),
            checkpoint_record(5, &evil, 3, &[("publisher/p", 2), ("client/a", 3)]),
        ];
        let state = topic_state(&doc, &records);
        assert_eq!(state.rejected, 3, "authorizers reject all three: {state:?}");
        assert!(
            state.checkpoint.is_none(),
            "evil's checkpoint does not verify"
        );
        assert!(!state.latest.contains_key(&(EntityKind::Client, "a".into())));
        let run = plan(&doc, &state, true, &clock()).expect("plan");
        assert_eq!(
            keys_of(&run.changes),
            [("client/a".to_string(), Op::Upsert)],
            "the portal's client is re-asserted; the unsigned key is no business of the portal's"
        );
        assert!(
            run.checkpoint.is_some(),
            "and a checkpoint signed by the portal"
        );
        assert!(resigned_publishers(&doc, &state, &run.changes).is_empty());
    }

    #[test]
    fn a_publisher_key_a_trusted_record_brings_in_verifies_what_follows_in_log_order() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let q = SigningKey::generate("q", Algorithm::EdDSA).expect("key");
        let doc = document(Some(&k), &[("a", "active")]);
        let by_q = record(
            0,
            "client/a",
            Some(client_event("a", 2, "active", Some(&q))),
        );
        let q_key = record(
            1,
            "publisher/q",
            Some(event(
                EntityKind::Publisher,
                "q",
                3,
                Some(publisher_data(&q)),
                Some(&k),
            )),
        );
        let by_q_again = record(
            2,
            "client/a",
            Some(client_event("a", 4, "active", Some(&q))),
        );
        // Before the record that brings q in: rejected, then re-applied once q is trusted, as
        // an authorizer does (the replica's retry).
        let state = topic_state(&doc, &[by_q, q_key, by_q_again.clone()][..2]);
        assert_eq!(state.rejected, 1);
        assert_eq!(
            state
                .latest
                .get(&(EntityKind::Client, "a".into()))
                .map(|l| l.revision),
            Some(2)
        );
        let state = topic_state(
            &doc,
            &[
                record(
                    1,
                    "publisher/q",
                    Some(event(
                        EntityKind::Publisher,
                        "q",
                        3,
                        Some(publisher_data(&q)),
                        Some(&k),
                    )),
                ),
                by_q_again,
            ],
        );
        assert_eq!(state.rejected, 0);
        assert_eq!(
            state
                .latest
                .get(&(EntityKind::Client, "a".into()))
                .map(|l| l.revision),
            Some(4)
        );
    }

    /// A topic after the first two steps of a rotation from `old` to `new` (both listed): the
    /// first run signed by `old` (publisher keys and client a at revision 10), the second
    /// signed by `new` (client b at revision 20, and its checkpoint).
    fn rotated_topic(old: &SigningKey, new: &SigningKey) -> Vec<Record> {
        vec![
            record(
                0,
                "publisher/old",
                Some(event(
                    EntityKind::Publisher,
                    "old",
                    10,
                    Some(publisher_data(old)),
                    Some(old),
                )),
            ),
            record(
                1,
                "publisher/new",
                Some(event(
                    EntityKind::Publisher,
                    "new",
                    10,
                    Some(publisher_data(new)),
                    Some(old),
                )),
            ),
            record(
                2,
                "client/a",
                Some(client_event("a", 10, "active", Some(old))),
            ),
            checkpoint_record(
                3,
                old,
                10,
                &[
                    ("publisher/old", 10),
                    ("publisher/new", 10),
                    ("client/a", 10),
                ],
            ),
            record(
                4,
                "client/b",
                Some(client_event("b", 20, "active", Some(new))),
            ),
            checkpoint_record(
                5,
                new,
                20,
                &[
                    ("publisher/old", 10),
                    ("publisher/new", 10),
                    ("client/a", 10),
                    ("client/b", 20),
                ],
            ),
        ]
    }

    fn two_key_document(keys: &[&SigningKey]) -> PolicyDocument {
        let mut doc = document(None, &[("a", "active"), ("b", "active")]);
        doc.publishers = keys
            .iter()
            .map(|k| serde_json::from_value(publisher_data(k)).expect("publisher"))
            .collect();
        doc
    }

    #[test]
    fn dropping_the_old_publisher_key_re_asserts_its_records_and_warns_about_the_new_key() {
        let old = SigningKey::generate("old", Algorithm::EdDSA).expect("key");
        let new = SigningKey::generate("new", Algorithm::EdDSA).expect("key");
        let records = rotated_topic(&old, &new);
        // Both listed: the topic is as the document says, whoever signed what.
        let both = two_key_document(&[&old, &new]);
        let signing_new = CheckpointClock {
            signing_kid: Some("new".into()),
            ..clock()
        };
        let run = plan(&both, &topic_state(&both, &records), true, &signing_new).expect("plan");
        assert!(run.is_empty(), "{run:?}");
        // The old key dropped: its records are unverifiable, so re-asserted signed by the new
        // key, `publisher/new` among them; the old key is deleted (the portal's checkpoint
        // lists it), last.
        let only_new = two_key_document(&[&new]);
        let state = topic_state(&only_new, &records);
        let run = plan(&only_new, &state, true, &signing_new).expect("plan");
        assert_eq!(
            keys_of(&run.changes),
            [
                ("publisher/new".to_string(), Op::Upsert),
                ("client/a".to_string(), Op::Upsert),
                ("publisher/old".to_string(), Op::Delete),
            ]
        );
        let found = resigned_publishers(&only_new, &state, &run.changes);
        assert_eq!(
            found,
            [ResignedPublisher {
                key: "publisher/new".into(),
                offset: 1,
                signed_by: "old".into()
            }]
        );
        let warnings = resigned_publisher_warnings(&found, Some("new"));
        assert_eq!(warnings.len(), 1);
        for part in [
            "publisher/new (offset 1)",
            "\"old\"",
            "re-bake",
            "list \"old\" in `publishers` again",
        ] {
            assert!(warnings[0].contains(part), "{part}: {}", warnings[0]);
        }
        // A key never listed by the portal's checkpoint is not deleted however it is named.
        let mut no_checkpoint = records.clone();
        no_checkpoint.retain(|r| r.key.as_deref() != Some(CHECKPOINT_KEY.as_bytes()));
        let run = plan(
            &only_new,
            &topic_state(&only_new, &no_checkpoint),
            true,
            &signing_new,
        )
        .expect("plan");
        assert!(!keys_of(&run.changes).contains(&("publisher/old".to_string(), Op::Delete)));
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_than_the_runs_is_re_signed() {
        let old = SigningKey::generate("old", Algorithm::EdDSA).expect("key");
        let new = SigningKey::generate("new", Algorithm::EdDSA).expect("key");
        let mut records = rotated_topic(&old, &new);
        records.truncate(4);
        let mut both = two_key_document(&[&old, &new]);
        both.clients.retain(|c| c.id == "a");
        let state = topic_state(&both, &records);
        assert_eq!(state.checkpoint_signed_by.as_deref(), Some("old"));
        let by = |kid: &str| CheckpointClock {
            signing_kid: Some(kid.into()),
            ..clock()
        };
        assert!(plan(&both, &state, true, &by("old"))
            .expect("plan")
            .is_empty());
        let run = plan(&both, &state, true, &by("new")).expect("plan");
        assert!(
            run.changes.is_empty() && run.checkpoint.is_some(),
            "{run:?}"
        );
    }
}
