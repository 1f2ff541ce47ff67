//! Model-based property test of the planner's revisions: a portal that runs `authz publish`
//! (the pure planner, its records appended to the log) on a clock that never goes back, and
//! a writer without keys who buries the newest records under garbage (then compaction runs),
//! replays old records, forges records at huge revisions and names a publisher key of their
//! own. Whatever they do, every revision the portal issues is above every one it issued
//! before, so a warm authorizer never ignores a change as "not newer".

use std::collections::BTreeMap;

use jsonwebtoken::Algorithm;
use proptest::prelude::*;
use serde_json::json;

use super::checkpoint::{encode_checkpoint, CHECKPOINT_KEY};
use super::event::{encode_value, record_key, Op, PolicyEvent, EVENT_SCHEMA};
use super::plan::{plan, topic_state, CheckpointClock, Record};
use crate::policy::PolicyDocument;
use crate::signing::SigningKey;

const IDS: [&str; 3] = ["a", "b", "c"];
/// The model's clock at the start, Unix milliseconds.
const T0_MS: u64 = 1_800_000_000_000;

#[derive(Debug, Clone)]
enum Step {
    /// The portal sets one client's status and runs `authz publish`.
    Run { id: usize, active: bool },
    /// The portal runs `authz publish` with nothing changed (a scheduled run).
    Rerun,
    /// A writer appends garbage on the keys of the newest `n` records, and compaction runs.
    Bury { n: usize },
    /// A writer copies an earlier record to the end.
    Replay { index: usize },
    /// A writer forges a client record at `revision` (signed with a key of their own under
    /// the portal's kid, or under their own kid after naming it in an unsigned
    /// `publisher/evil` record).
    Forged {
        id: usize,
        revision: u64,
        own_kid: bool,
    },
    /// Compaction runs.
    Compact,
    /// The portal cuts a new baked document at the newest revision it issued.
    Rebake,
    /// Time passes (milliseconds, possibly none).
    Tick(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, any::<bool>()).prop_map(|(id, active)| Step::Run { id, active }),
        1 => Just(Step::Rerun),
        3 => (1..8usize).prop_map(|n| Step::Bury { n }),
        1 => any::<usize>().prop_map(|index| Step::Replay { index }),
        1 => (0..3usize, prop_oneof![Just(u64::MAX), Just(u64::MAX - 1), any::<u64>()], any::<bool>())
            .prop_map(|(id, revision, own_kid)| Step::Forged { id, revision, own_kid }),
        1 => Just(Step::Compact),
        1 => Just(Step::Rebake),
        2 => prop_oneof![Just(0u64), 0..10u64, 0..10_000_000u64].prop_map(Step::Tick),
    ]
}

struct World {
    portal: SigningKey,
    attacker: SigningKey,
    evil: SigningKey,
    active: [bool; 3],
    baked_revision: u64,
    log: Vec<Record>,
    next_offset: i64,
    now_ms: u64,
    issued: Vec<u64>,
}

impl World {
    fn new() -> Self {
        World {
            portal: SigningKey::generate("portal", Algorithm::EdDSA).expect("key"),
            attacker: SigningKey::generate("portal", Algorithm::EdDSA).expect("key"),
            evil: SigningKey::generate("evil", Algorithm::EdDSA).expect("key"),
            active: [true; 3],
            baked_revision: 1,
            log: Vec::new(),
            next_offset: 0,
            now_ms: T0_MS,
            issued: Vec::new(),
        }
    }

    fn document(&self) -> PolicyDocument {
        serde_json::from_value(json!({
            "schema": "gateway-policy/v1", "revision": self.baked_revision,
            "clients": IDS.iter().zip(self.active).map(|(id, a)| json!({"id": id, "status": if a { "active" } else { "suspended" }})).collect::<Vec<_>>(),
            "publishers": [{"kid": self.portal.kid, "jwk": self.portal.public_jwk()}],
        }))
        .expect("document")
    }

    fn append(&mut self, key: &str, value: Option<String>) {
        self.log.push(Record {
            partition: 0,
            offset: self.next_offset,
            timestamp_ms: None,
            key: Some(key.as_bytes().to_vec()),
            value: value.map(String::into_bytes),
        });
        self.next_offset += 1;
    }

    fn compact(&mut self) {
        let mut last: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
        for r in &self.log {
            last.insert(r.key.clone().unwrap_or_default(), r.offset);
        }
        self.log
            .retain(|r| last.get(&r.key.clone().unwrap_or_default()) == Some(&r.offset));
    }

    /// One `authz publish` run; returns the revision it issued, if it sent anything.
    fn run(&mut self) -> Result<Option<u64>, String> {
        let doc = self.document();
        let now = i64::try_from(self.now_ms / 1000).map_err(|e| e.to_string())?;
        let clock = CheckpointClock {
            issued_at: chrono::DateTime::from_timestamp(now, 0)
                .ok_or("clock out of range")?
                .to_rfc3339(),
            now,
            now_ms: self.now_ms,
            refresh_after_s: 3600,
            signing_kid: Some(self.portal.kid.clone()),
        };
        let run =
            plan(&doc, &topic_state(&doc, &self.log), true, &clock).map_err(|e| e.to_string())?;
        // A run reads the topic and waits for the broker's acknowledgements: it takes more
        // than a millisecond.
        self.now_ms += 1;
        if run.is_empty() {
            return Ok(None);
        }
        for c in &run.changes {
            let event = PolicyEvent {
                schema: EVENT_SCHEMA.into(),
                kind: c.kind.as_str().into(),
                id: c.id.clone(),
                revision: run.revision,
                op: c.op,
                issued_at: None,
                data: c.data.clone(),
            };
            let value = encode_value(&event, Some(&self.portal)).map_err(|e| e.to_string())?;
            self.append(&record_key(c.kind, &c.id), Some(value));
        }
        if let Some(cp) = &run.checkpoint {
            let value = encode_checkpoint(cp, &self.portal).map_err(|e| e.to_string())?;
            self.append(CHECKPOINT_KEY, Some(value));
        }
        Ok(Some(run.revision))
    }

    fn play(&mut self, step: &Step) -> Result<Option<u64>, String> {
        match step {
            Step::Run { id, active } => {
                self.active[*id] = *active;
                return self.run();
            }
            Step::Rerun => return self.run(),
            Step::Bury { n } => {
                let keys: Vec<String> = self
                    .log
                    .iter()
                    .rev()
                    .take(*n)
                    .filter_map(|r| r.key.as_deref())
                    .map(|k| String::from_utf8_lossy(k).into_owned())
                    .collect();
                for k in keys {
                    self.append(&k, Some("garbage".into()));
                }
                self.compact();
            }
            Step::Replay { index } => {
                if let Some(r) = self.log.get(index % self.log.len().max(1)).cloned() {
                    let key =
                        String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned();
                    self.append(
                        &key,
                        r.value.map(|v| String::from_utf8_lossy(&v).into_owned()),
                    );
                }
            }
            Step::Forged {
                id,
                revision,
                own_kid,
            } => {
                if *own_kid {
                    let named = PolicyEvent {
                        schema: EVENT_SCHEMA.into(),
                        kind: "publisher".into(),
                        id: "evil".into(),
                        revision: *revision,
                        op: Op::Upsert,
                        issued_at: None,
                        data: Some(json!({"kid": "evil", "jwk": self.evil.public_jwk()})),
                    };
                    let value = encode_value(&named, None).map_err(|e| e.to_string())?;
                    self.append("publisher/evil", Some(value));
                }
                let signer = if *own_kid { &self.evil } else { &self.attacker };
                let forged = PolicyEvent {
                    schema: EVENT_SCHEMA.into(),
                    kind: "client".into(),
                    id: IDS[*id].into(),
                    revision: *revision,
                    op: Op::Upsert,
                    issued_at: None,
                    data: Some(json!({"id": IDS[*id], "status": "active"})),
                };
                let value = encode_value(&forged, Some(signer)).map_err(|e| e.to_string())?;
                self.append(&format!("client/{}", IDS[*id]), Some(value));
            }
            Step::Compact => self.compact(),
            Step::Rebake => {
                if let Some(last) = self.issued.last() {
                    self.baked_revision = *last;
                }
            }
            Step::Tick(ms) => self.now_ms += ms,
        }
        Ok(None)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_revision_the_portal_issues_is_above_every_earlier_one(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let mut w = World::new();
        for s in &steps {
            let issued = w.play(s);
            prop_assert!(issued.is_ok(), "{:?}: {:?}", s, issued);
            if let Ok(Some(revision)) = issued {
                let before = w.issued.iter().max().copied();
                prop_assert!(
                    before.is_none_or(|b| revision > b),
                    "{:?} issued revision {} again or lower (highest before: {:?})", s, revision, before
                );
                w.issued.push(revision);
            }
        }
    }
}
