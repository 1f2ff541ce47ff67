//! Model-based property tests of the replica: a portal that signs, a writer without keys
//! who sends unsigned, forged, garbage, tombstone and replayed records, a clock that moves
//! (checkpoints expire), a portal that rotates its signing key (and retires the old one)
//! while the writer copies publisher records further on, and consumers that read live,
//! rebuild from offset 0 and start cold on a compacted topic.

use std::collections::BTreeMap;

use jsonwebtoken::Algorithm;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::checkpoint::is_fresh;
use super::checkpoint::{encode_checkpoint, Checkpoint, CHECKPOINT_KEY};
use super::event::{encode_value, Op, PolicyEvent, EVENT_SCHEMA};
use super::replica::{Applied, Replica};
use crate::policy::{load_policy_value, EntityKind, PolicyView};
use crate::signing::SigningKey;

/// Entity keys the model plays with; the baked policy has the first two.
const IDS: [&str; 3] = ["a", "b", "c"];
/// The portal's signing keys in rotation order; the baked policy trusts the first.
const KIDS: [&str; 3] = ["portal", "p1", "p2"];

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
    /// Signed by the writer's own key under one of the portal's kids.
    Forged {
        id: usize,
        revision: u64,
        active: bool,
        kid: usize,
    },
    /// The portal introduces its next signing key (signed by the current one), signs with
    /// it from then on, and may retire the baked one (a signed publisher delete).
    Rotate {
        retire: bool,
    },
    /// A copy of the latest record of a publisher key, appended: compaction then drops the
    /// original, so records signed by the key it introduces come before it.
    CopyPublisher {
        kid: usize,
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
    /// Time passes (seconds): checkpoints age, and may expire.
    Tick(i64),
}

/// The maximum checkpoint age the model's consumers use.
const MAX_AGE_S: u64 = 100;
/// The model's clock at the start.
const T0: i64 = 1_800_000_000;

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, any::<bool>(), any::<bool>()).prop_map(|(id, delete, active)| Step::Portal { id, delete, active }),
        1 => (0..3usize, 0..40u64, any::<bool>()).prop_map(|(id, revision, active)| Step::Unsigned { id, revision, active }),
        1 => (0..3usize, 0..40u64, any::<bool>(), 0..3usize).prop_map(|(id, revision, active, kid)| Step::Forged { id, revision, active, kid }),
        1 => any::<bool>().prop_map(|retire| Step::Rotate { retire }),
        2 => (0..3usize).prop_map(|kid| Step::CopyPublisher { kid }),
        1 => (0..4usize).prop_map(|id| Step::Garbage { id }),
        1 => (0..4usize).prop_map(|id| Step::Tombstone { id }),
        2 => any::<usize>().prop_map(|index| Step::Replay { index }),
        1 => Just(Step::Rebuild),
        1 => (0..150i64).prop_map(Step::Tick),
    ]
}

type Log = Vec<(String, Option<Vec<u8>>)>;

struct World {
    /// The portal's keys (`KIDS`) and the index of the one it signs with.
    portal: Vec<SigningKey>,
    signer: usize,
    /// The writer's keys, under the same kids.
    attacker: Vec<SigningKey>,
    /// A record other than the portal's, or a copy of one that is not its key's latest.
    hostile: bool,
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
    /// Now, in Unix seconds: the portal signs checkpoints at it, consumers read at it.
    now: i64,
    /// Each checkpoint record the portal wrote: its value, `issued_at` and signer.
    checkpoints: Vec<(Vec<u8>, i64, usize)>,
    /// The baked key was retired (a signed publisher delete).
    retired: bool,
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
        let keys = || {
            KIDS.iter()
                .map(|kid| SigningKey::generate(kid, Algorithm::EdDSA).expect("key"))
                .collect::<Vec<_>>()
        };
        let (portal, attacker) = (keys(), keys());
        let baked_clients = vec![client("a", true), client("b", true)];
        let baked = load_policy_value(&json!({"schema": "gateway-policy/v1", "revision": BAKED_REVISION,
            "clients": baked_clients, "publishers": [{"kid": KIDS[0], "jwk": portal[0].public_jwk()}]}))
        .expect("policy");
        let legitimate = baked_clients_json(&baked);
        World {
            portal,
            signer: 0,
            attacker,
            hostile: false,
            baked,
            // The portal published the document it baked: its checkpoints list the baked
            // entities (at the baked revision until it changes them).
            published: ["a", "b"]
                .into_iter()
                .map(|id| {
                    (
                        format!("client/{id}"),
                        (BAKED_REVISION, Some(client(id, true))),
                    )
                })
                .collect(),
            revision: BAKED_REVISION,
            legitimate,
            log: Vec::new(),
            latest_checkpoint: None,
            signed_replayed: false,
            now: T0,
            checkpoints: Vec::new(),
            retired: false,
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
                        Some(&self.portal[self.signer]),
                    )),
                ));
                self.published.insert(key, (self.revision, data));
                self.sign_checkpoint();
            }
            Step::Rotate { retire } => {
                let Some(next) = (self.signer + 1 < KIDS.len()).then_some(self.signer + 1) else {
                    return 0;
                };
                let jwk = json!({"kid": KIDS[next], "jwk": self.portal[next].public_jwk()});
                self.publisher_event(next, Some(jwk));
                let previous = self.signer;
                self.signer = next;
                // As docs/policy-events.md says: the baked key is retired, never a key
                // cold authorizers learn from the stream only.
                if *retire && previous == 0 {
                    self.publisher_event(previous, None);
                    self.retired = true;
                }
                self.sign_checkpoint();
            }
            Step::CopyPublisher { kid } => {
                let key = format!("publisher/{}", KIDS[*kid]);
                let Some(latest) = self.log.iter().rev().find(|(k, _)| *k == key).cloned() else {
                    return 0;
                };
                self.log.push(latest);
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
                kid,
            } => self.log.push((
                key_of(*id),
                Some(event(
                    IDS[*id],
                    *revision,
                    Some(client(IDS[*id], *active)),
                    Some(&self.attacker[*kid]),
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
            Step::Tick(seconds) => self.now += seconds,
        }
        if !matches!(
            step,
            Step::Portal { .. }
                | Step::Rotate { .. }
                | Step::CopyPublisher { .. }
                | Step::Rebuild
                | Step::Tick(_)
        ) && self.log.len() > before
        {
            self.hostile = true;
        }
        self.log.len() - before
    }

    /// The portal's publisher upsert (`jwk`) or delete of `KIDS[kid]`, signed by its signer.
    fn publisher_event(&mut self, kid: usize, jwk: Option<Value>) {
        self.revision += 1;
        let key = format!("publisher/{}", KIDS[kid]);
        let e = PolicyEvent {
            schema: EVENT_SCHEMA.into(),
            kind: "publisher".into(),
            id: KIDS[kid].into(),
            revision: self.revision,
            op: if jwk.is_some() {
                Op::Upsert
            } else {
                Op::Delete
            },
            issued_at: None,
            data: jwk,
        };
        let value = encode_value(&e, Some(&self.portal[self.signer])).expect("encode");
        self.log.push((key.clone(), Some(value.into_bytes())));
        self.published.insert(key, (self.revision, None));
    }

    /// The checkpoint the portal writes after each change, signed by its signer now.
    fn sign_checkpoint(&mut self) {
        let issued_at = chrono::DateTime::from_timestamp(self.now, 0)
            .expect("in range")
            .to_rfc3339();
        let cp = Checkpoint::new(
            self.revision,
            Some(issued_at),
            self.published
                .iter()
                .map(|(k, (r, _))| (k.clone(), *r))
                .collect(),
        );
        self.latest_checkpoint = Some(self.log.len());
        let value = encode_checkpoint(&cp, &self.portal[self.signer])
            .expect("sign")
            .into_bytes();
        self.checkpoints
            .push((value.clone(), self.now, self.signer));
        self.log.push((CHECKPOINT_KEY.to_string(), Some(value)));
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

    /// Whether the checkpoint compaction leaves is one the portal signed, still fresh now:
    /// only such a checkpoint lets a cold consumer serve the stream's (possibly older) state.
    fn surviving_checkpoint_fresh(&self) -> bool {
        let last = self.log.iter().rev().find(|(k, _)| k == CHECKPOINT_KEY);
        last.and_then(|(_, v)| v.as_ref()).is_some_and(|v| {
            self.checkpoints
                .iter()
                .any(|(c, at, _)| c == v && is_fresh(*at, self.now, MAX_AGE_S))
        })
    }

    /// Whether the checkpoint compaction leaves was signed by the retired key: it anchors
    /// only if read before the retirement (a replayed one after it is `bad_signature`).
    fn surviving_checkpoint_by_retired_key(&self) -> bool {
        let last = self.log.iter().rev().find(|(k, _)| k == CHECKPOINT_KEY);
        self.retired
            && last
                .and_then(|(_, v)| v.as_ref())
                .is_some_and(|v| self.checkpoints.iter().any(|(c, _, by)| c == v && *by == 0))
    }
}

fn baked_clients_json(view: &PolicyView) -> Vec<(String, Value)> {
    view.entities(EntityKind::Client)
}

fn replay(r: &mut Replica, log: &Log, now: i64) {
    for (k, v) in log {
        r.apply(Some(k.as_bytes()), v.as_deref(), now);
    }
}

fn consumer(w: &World) -> Replica {
    Replica::new(Some(w.baked.clone())).with_checkpoint_max_age(MAX_AGE_S)
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
        let mut live = consumer(&w);
        for s in &steps {
            if matches!(s, Step::Rebuild) {
                live.reset();
                replay(&mut live, &w.log, w.now);
                continue;
            }
            let n = w.play(s);
            for (k, v) in &w.log[w.log.len() - n..] {
                let applied_before = live.view().map(PolicyView::to_document);
                let (served_before, _) = served(&live);
                let outcome = live.apply(Some(k.as_bytes()), v.as_deref(), w.now);
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
        // Rebuilt from offset 0, and replayed twice: the live view (unless one of them has
        // a fresh checkpoint and the other not: then one serves the baked policy).
        let mut fresh = consumer(&w);
        replay(&mut fresh, &w.log, w.now);
        if fresh.anchored() == live.anchored() {
            prop_assert_eq!(served(&fresh), served(&live));
        } else {
            prop_assert!(live.anchored(), "a rebuild found a fresh checkpoint the live replay missed");
        }
        // A second pass without a reset reads every record as a replay of itself: nothing
        // changes with a fresh checkpoint; without one it can only withhold more.
        let once = served(&fresh);
        replay(&mut fresh, &w.log, w.now);
        if fresh.anchored() {
            prop_assert_eq!(served(&fresh), once);
        } else {
            for (id, c) in &served(&fresh).0 {
                prop_assert_eq!(Some(c), once.0.get(id));
            }
        }

        // Only the portal's content is ever served, whatever the log.
        let legit: Vec<(String, Value)> = w.legitimate.iter().map(|(id, v)| (id.clone(), normalised(v))).collect();
        let mut cold = consumer(&w);
        replay(&mut cold, &w.compacted(), w.now);
        let (cold_view, _) = served(&cold);
        for (view_name, view) in [("live", served(&live).0), ("cold", cold_view.clone())] {
            for (id, c) in &view {
                prop_assert!(legit.iter().any(|(i, v)| i == id && v == c), "{view_name} serves {id} = {c} that the portal never signed");
            }
        }
        // Cold on the compacted topic without a fresh checkpoint: the baked policy, at most
        // with entities withheld; never a state the stream rolled back to.
        if w.surviving_checkpoint_by_retired_key() {
            prop_assert!(!cold.anchored() || w.surviving_checkpoint_fresh());
        } else {
            prop_assert_eq!(cold.anchored(), w.surviving_checkpoint_fresh());
        }
        if !cold.anchored() {
            let baked: BTreeMap<String, Value> = baked_clients_json(&w.baked).into_iter().collect();
            for (id, c) in &cold_view {
                prop_assert_eq!(Some(c), baked.get(id), "cold without a fresh checkpoint serves {} from the stream", id);
            }
        }
        // With one: each entity as live, or withheld; never an older state, except where a
        // replayed older checkpoint is the one compaction kept and it is still fresh (the
        // window the maximum age bounds).
        if cold.anchored() && !(w.checkpoint_exposed() && w.signed_replayed) {
            prop_assert!(live.anchored());
            let (live_view, _) = served(&live);
            for (id, c) in &cold_view {
                prop_assert_eq!(Some(c), live_view.get(id), "cold serves {} differently from live", id);
            }
        }
        // A portal alone, whose publisher records the writer only moved further on (the
        // originals compacted away): cold withholds nothing and, anchored, serves the live view.
        if !w.hostile {
            prop_assert_eq!(served(&cold).1, Vec::<String>::new(), "cold withholds under a moved publisher record");
            if cold.anchored() {
                prop_assert_eq!(served(&cold), served(&live));
            }
        }
    }
}
