//! Model-based property tests of the replica: a portal that signs, a writer without keys
//! who sends unsigned, forged, garbage, tombstone and replayed records, and consumers that
//! read live, rebuild from offset 0 and start cold on a compacted topic.

use std::collections::BTreeMap;

use jsonwebtoken::Algorithm;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::checkpoint::{encode_checkpoint, Checkpoint, CHECKPOINT_KEY};
use super::event::{encode_value, Op, PolicyEvent, EVENT_SCHEMA};
use super::replica::{Applied, Replica};
use crate::policy::{load_policy_value, EntityKind, PolicyView};
use crate::signing::SigningKey;

/// Entity keys the model plays with; the baked policy has the first two.
const IDS: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Step {
    /// The portal changes one client (upsert or delete) and writes a checkpoint after it.
    Portal {
        id: usize,
        delete: bool,
        active: bool,
    },
    Unsigned {
        id: usize,
        revision: u64,
        active: bool,
    },
    Forged {
        id: usize,
        revision: u64,
        active: bool,
    },
    /// `id` 3 is the checkpoint key.
    Garbage {
        id: usize,
    },
    Tombstone {
        id: usize,
    },
    /// A copy of an earlier record (any: signed event, checkpoint, hostile).
    Replay {
        index: usize,
    },
    /// The live consumer rebuilds from offset 0.
    Rebuild,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, any::<bool>(), any::<bool>()).prop_map(|(id, delete, active)| Step::Portal { id, delete, active }),
        1 => (0..3usize, 0..40u64, any::<bool>()).prop_map(|(id, revision, active)| Step::Unsigned { id, revision, active }),
        1 => (0..3usize, 0..40u64, any::<bool>()).prop_map(|(id, revision, active)| Step::Forged { id, revision, active }),
        1 => (0..4usize).prop_map(|id| Step::Garbage { id }),
        1 => (0..4usize).prop_map(|id| Step::Tombstone { id }),
        2 => any::<usize>().prop_map(|index| Step::Replay { index }),
        1 => Just(Step::Rebuild),
    ]
}

type Log = Vec<(String, Option<Vec<u8>>)>;

struct World {
    portal: SigningKey,
    attacker: SigningKey,
    baked: PolicyView,
    /// The portal's own state: key -> (revision, data or None for deleted).
    published: BTreeMap<String, (u64, Option<Value>)>,
    revision: u64,
    /// Every entity JSON the portal ever signed, and the baked ones: all a view may hold.
    legitimate: Vec<(String, Value)>,
    log: Log,
    /// The offset of the portal's latest checkpoint.
    latest_checkpoint: Option<usize>,
    /// A signed record (event or checkpoint) was copied after a newer one.
    signed_replayed: bool,
}

const BAKED_REVISION: u64 = 3;

fn client(id: &str, active: bool) -> Value {
    json!({"id": id, "status": if active { "active" } else { "suspended" }, "scopes": ["s"]})
}

fn event(id: &str, revision: u64, data: Option<Value>, key: Option<&SigningKey>) -> Vec<u8> {
    let e = PolicyEvent {
        schema: EVENT_SCHEMA.into(),
        kind: "client".into(),
        id: id.into(),
        revision,
        op: if data.is_some() {
            Op::Upsert
        } else {
            Op::Delete
        },
        issued_at: None,
        data,
    };
    encode_value(&e, key).expect("encode").into_bytes()
}

impl World {
    fn new() -> Self {
        let portal = SigningKey::generate("portal", Algorithm::EdDSA).expect("key");
        let attacker = SigningKey::generate("portal", Algorithm::EdDSA).expect("key");
        let baked_clients = vec![client("a", true), client("b", true)];
        let baked = load_policy_value(&json!({"schema": "gateway-policy/v1", "revision": BAKED_REVISION,
            "clients": baked_clients, "publishers": [{"kid": "portal", "jwk": portal.public_jwk()}]}))
        .expect("policy");
        let legitimate = baked_clients_json(&baked);
        World {
            portal,
            attacker,
            baked,
            published: BTreeMap::new(),
            revision: BAKED_REVISION,
            legitimate,
            log: Vec::new(),
            latest_checkpoint: None,
            signed_replayed: false,
        }
    }

    /// Appends the step's records; returns how many.
    fn play(&mut self, step: &Step) -> usize {
        let key_of = |id: usize| {
            IDS.get(id)
                .map_or(CHECKPOINT_KEY.to_string(), |i| format!("client/{i}"))
        };
        let before = self.log.len();
        match step {
            Step::Portal { id, delete, active } => {
                self.revision += 1;
                let data = (!delete).then(|| client(IDS[*id], *active));
                if let Some(d) = &data {
                    self.legitimate.push((IDS[*id].to_string(), d.clone()));
                }
                let key = key_of(*id);
                self.log.push((
                    key.clone(),
                    Some(event(
                        IDS[*id],
                        self.revision,
                        data.clone(),
                        Some(&self.portal),
                    )),
                ));
                self.published.insert(key, (self.revision, data));
                let cp = Checkpoint::new(
                    self.revision,
                    None,
                    self.published
                        .iter()
                        .map(|(k, (r, _))| (k.clone(), *r))
                        .collect(),
                );
                self.latest_checkpoint = Some(self.log.len());
                self.log.push((
                    CHECKPOINT_KEY.to_string(),
                    Some(
                        encode_checkpoint(&cp, &self.portal)
                            .expect("sign")
                            .into_bytes(),
                    ),
                ));
            }
            Step::Unsigned {
                id,
                revision,
                active,
            } => self.log.push((
                key_of(*id),
                Some(event(
                    IDS[*id],
                    *revision,
                    Some(client(IDS[*id], *active)),
                    None,
                )),
            )),
            Step::Forged {
                id,
                revision,
                active,
            } => self.log.push((
                key_of(*id),
                Some(event(
                    IDS[*id],
                    *revision,
                    Some(client(IDS[*id], *active)),
                    Some(&self.attacker),
                )),
            )),
            Step::Garbage { id } => self.log.push((key_of(*id), Some(b"garbage".to_vec()))),
            Step::Tombstone { id } => self.log.push((key_of(*id), None)),
            Step::Replay { index } => {
                if self.log.is_empty() {
                    return 0;
                }
                let copy = self.log[index % self.log.len()].clone();
                let newer_signed_on_key = self.log[index % self.log.len() + 1..]
                    .iter()
                    .any(|(k, v)| *k == copy.0 && v.is_some());
                let is_jws = |v: &[u8]| v.iter().filter(|b| **b == b'.').count() == 2;
                if newer_signed_on_key && copy.1.as_deref().is_some_and(is_jws) {
                    self.signed_replayed = true;
                }
                self.log.push(copy);
            }
            Step::Rebuild => {}
        }
        self.log.len() - before
    }

    /// The log after compaction: the latest record of each key, in offset order.
    fn compacted(&self) -> Log {
        let mut last: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, (k, _)) in self.log.iter().enumerate() {
            last.insert(k, i);
        }
        let mut keep: Vec<usize> = last.into_values().collect();
        keep.sort_unstable();
        keep.into_iter().map(|i| self.log[i].clone()).collect()
    }

    /// Whether compaction can have erased the checkpoint a cold consumer needs to see a
    /// replayed older signed record for what it is (the documented residual).
    fn checkpoint_exposed(&self) -> bool {
        let last_on_key = self.log.iter().rposition(|(k, _)| k == CHECKPOINT_KEY);
        last_on_key != self.latest_checkpoint
    }
}

fn baked_clients_json(view: &PolicyView) -> Vec<(String, Value)> {
    view.entities(EntityKind::Client)
}

fn replay(r: &mut Replica, log: &Log) {
    for (k, v) in log {
        r.apply(Some(k.as_bytes()), v.as_deref());
    }
}

/// What a consumer decides on: the served clients, and the keys withheld.
fn served(r: &Replica) -> (BTreeMap<String, Value>, Vec<String>) {
    let s = r.served().expect("a baked policy");
    (
        s.view.entities(EntityKind::Client).into_iter().collect(),
        s.withheld.into_iter().map(|w| w.key).collect(),
    )
}

fn normalised(v: &Value) -> Value {
    let mut view = PolicyView::default();
    view.upsert(EntityKind::Client, v).expect("valid client");
    view.entities(EntityKind::Client)
        .into_iter()
        .next()
        .map(|(_, v)| v)
        .expect("one client")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn live_rebuilt_replayed_and_compacted_views_agree_and_rejections_change_nothing(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let mut w = World::new();
        let mut live = Replica::new(Some(w.baked.clone()));
        for s in &steps {
            if matches!(s, Step::Rebuild) {
                live.reset();
                replay(&mut live, &w.log);
                continue;
            }
            let n = w.play(s);
            for (k, v) in &w.log[w.log.len() - n..] {
                let applied_before = live.view().map(PolicyView::to_document);
                let (served_before, _) = served(&live);
                let outcome = live.apply(Some(k.as_bytes()), v.as_deref());
                if let Applied::Rejected { .. } = outcome {
                    // A rejected record changes nothing that is applied, and can at most
                    // withhold a served entity: never add one or change one.
                    prop_assert_eq!(live.view().map(PolicyView::to_document), applied_before);
                    let (after, _) = served(&live);
                    for (id, c) in &after {
                        prop_assert_eq!(Some(c), served_before.get(id), "{:?} added or changed {}", outcome, id);
                    }
                }
            }
        }
        // Rebuilt from offset 0, and replayed twice: the live view.
        let mut fresh = Replica::new(Some(w.baked.clone()));
        replay(&mut fresh, &w.log);
        prop_assert_eq!(served(&fresh), served(&live));
        replay(&mut fresh, &w.log);
        prop_assert_eq!(served(&fresh), served(&live));

        // Only the portal's content is ever served, whatever the log.
        let legit: Vec<(String, Value)> = w.legitimate.iter().map(|(id, v)| (id.clone(), normalised(v))).collect();
        let mut cold = Replica::new(Some(w.baked.clone()));
        replay(&mut cold, &w.compacted());
        let (cold_view, _) = served(&cold);
        for (view_name, view) in [("live", served(&live).0), ("cold", cold_view.clone())] {
            for (id, c) in &view {
                prop_assert!(legit.iter().any(|(i, v)| i == id && v == c), "{view_name} serves {id} = {c} that the portal never signed");
            }
        }
        // Cold on the compacted topic: each entity as live, or withheld; never an older state.
        if !(w.checkpoint_exposed() && w.signed_replayed) {
            let (live_view, _) = served(&live);
            for (id, c) in &cold_view {
                prop_assert_eq!(Some(c), live_view.get(id), "cold serves {} differently from live", id);
            }
        }
    }
}
