//! A bounded cache of tokens whose structure and signature have been verified, so that a
//! repeat decision for the same token skips the base64, the JSON and the signature check.
//!
//! It never decides anything: an entry is the token's verified header (`alg`, `kid`) and
//! claims, plus the fingerprint of the key that verified it. Every decision still runs the
//! issuer, algorithm, key status, time, audience, client and scope checks against `now` and
//! the view in force (`token::verify`); a hit only stands in for the signature check, and
//! only when the view's key under that `kid` is still the very key that verified it. The
//! key is the whole token (never a claim), so two tokens share an entry only if they are
//! the same bytes.
//!
//! Bounded in entries and in (estimated) bytes; the oldest entries go first. The view drops
//! the entries of a key when the key's status or material changes, and of an issuer when
//! it goes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

/// The default bounds: 1,024 tokens and 2 MiB.
pub const DEFAULT_MAX_ENTRIES: usize = 1024;
pub const DEFAULT_MAX_BYTES: usize = 2 * 1024 * 1024;

/// What is fixed for a token once its structure and signature have verified.
#[derive(Debug)]
pub struct VerifiedParts {
    /// The header's `alg`, as written.
    pub alg: String,
    /// The header's `kid` ("" when absent).
    pub kid: String,
    pub claims: Arc<Map<String, Value>>,
    /// The issuer (by id) whose key verified the signature.
    pub issuer_id: String,
    /// That key's fingerprint (`keys::PublicKey::fingerprint`).
    pub key_fingerprint: [u8; 32],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

struct Entry {
    parts: Arc<VerifiedParts>,
    bytes: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Arc<str>, Entry>,
    /// Insertion order, for eviction; may hold tokens already dropped from `map`.
    order: VecDeque<Arc<str>>,
    bytes: usize,
}

/// The cache; shared (through an `Arc`) by a view and the views derived from it.
pub struct TokenCache {
    limits: Limits,
    inner: Mutex<Inner>,
}

// Never print tokens or claims.
impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (entries, bytes) = self.usage();
        f.debug_struct("TokenCache")
            .field("limits", &self.limits)
            .field("entries", &entries)
            .field("bytes", &bytes)
            .finish()
    }
}

/// What an entry is counted as: the token, the claims (twice their JSON, for the map's
/// own allocations) and a fixed overhead.
fn entry_bytes(token: &str, claims_json_len: usize, parts: &VerifiedParts) -> usize {
    token.len()
        + 2 * claims_json_len
        + parts.alg.len()
        + parts.kid.len()
        + parts.issuer_id.len()
        + 256
}

impl TokenCache {
    pub fn new(limits: Limits) -> Self {
        TokenCache {
            limits,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// `(entries, bytes)` held now.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.map.len(), inner.bytes)
    }

    pub fn get(&self, token: &str) -> Option<Arc<VerifiedParts>> {
        self.lock().map.get(token).map(|e| e.parts.clone())
    }

    /// Remembers a verified token; `claims_json_len` is the size of its decoded payload.
    pub fn insert(&self, token: &str, claims_json_len: usize, parts: VerifiedParts) {
        let bytes = entry_bytes(token, claims_json_len, &parts);
        if bytes > self.limits.max_bytes || self.limits.max_entries == 0 {
            return;
        }
        let mut inner = self.lock();
        if inner.map.contains_key(token) {
            return;
        }
        while inner.map.len() >= self.limits.max_entries
            || inner.bytes + bytes > self.limits.max_bytes
        {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(old) = inner.map.remove(&oldest) {
                inner.bytes -= old.bytes;
            }
        }
        let key: Arc<str> = Arc::from(token);
        inner.order.push_back(key.clone());
        inner.bytes += bytes;
        inner.map.insert(
            key,
            Entry {
                parts: Arc::new(parts),
                bytes,
            },
        );
    }

    /// Drops every entry verified by key `kid` of issuer `issuer_id`.
    pub fn drop_key(&self, issuer_id: &str, kid: &str) {
        self.drop_where(|p| p.issuer_id == issuer_id && p.kid == kid);
    }

    /// Drops every entry verified by a key of issuer `issuer_id`.
    pub fn drop_issuer(&self, issuer_id: &str) {
        self.drop_where(|p| p.issuer_id == issuer_id);
    }

    fn drop_where(&self, gone: impl Fn(&VerifiedParts) -> bool) {
        let mut inner = self.lock();
        let mut freed = 0;
        inner.map.retain(|_, e| {
            let keep = !gone(&e.parts);
            if !keep {
                freed += e.bytes;
            }
            keep
        });
        inner.bytes -= freed;
        let Inner { map, order, .. } = &mut *inner;
        order.retain(|t| map.contains_key(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(kid: &str) -> VerifiedParts {
        VerifiedParts {
            alg: "ES256".into(),
            kid: kid.into(),
            claims: Arc::new(Map::new()),
            issuer_id: "idp".into(),
            key_fingerprint: [0; 32],
        }
    }

    #[test]
    fn bounded_in_entries_and_bytes_oldest_first() {
        let cache = TokenCache::new(Limits {
            max_entries: 3,
            max_bytes: 10_000,
        });
        for t in ["a", "b", "c", "d"] {
            cache.insert(t, 10, parts("k"));
        }
        assert_eq!(cache.usage().0, 3);
        assert!(cache.get("a").is_none(), "the oldest went first");
        assert!(cache.get("d").is_some());

        let small = TokenCache::new(Limits {
            max_entries: 100,
            max_bytes: 1_000,
        });
        for i in 0..20 {
            small.insert(&format!("token-{i}"), 100, parts("k"));
        }
        let (entries, bytes) = small.usage();
        assert!(bytes <= 1_000, "{bytes}");
        assert!((1..20).contains(&entries), "{entries}");
        // An entry larger than the whole budget is not kept at all.
        small.insert(&"x".repeat(2_000), 0, parts("k"));
        assert!(small.get(&"x".repeat(2_000)).is_none());
        assert!(small.usage().1 <= 1_000);
    }

    #[test]
    fn entries_of_a_key_or_issuer_are_dropped() {
        let cache = TokenCache::new(Limits::default());
        cache.insert("t1", 10, parts("k1"));
        cache.insert("t2", 10, parts("k2"));
        cache.drop_key("idp", "k1");
        assert!(cache.get("t1").is_none());
        assert!(cache.get("t2").is_some());
        cache.drop_key("other-idp", "k2");
        assert!(cache.get("t2").is_some());
        cache.drop_issuer("idp");
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn debug_output_holds_no_token() {
        let cache = TokenCache::new(Limits::default());
        cache.insert("eyJsecret.token.here", 10, parts("k1"));
        let shown = format!("{cache:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    mod never_changes_a_decision {
        use std::path::Path;
        use std::sync::OnceLock;

        use jsonwebtoken::Algorithm;
        use proptest::prelude::*;
        use serde_json::{json, Value};

        use crate::conformance::{case_files, load_case, run_case};
        use crate::decision::{decide, Request};
        use crate::policy::{load_policy_value, EntityKind, PolicyView};
        use crate::signing::SigningKey;

        fn without_cache(view: &PolicyView) -> PolicyView {
            let mut off = view.clone();
            off.set_token_cache(None);
            off
        }

        #[test]
        fn conformance_cases_agree_with_the_cache_on_and_off() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance");
            let files = case_files(&dir).expect("conformance cases");
            assert!(files.len() >= 40);
            let mut cached = 0;
            for file in files {
                let (case, view) = load_case(&file).expect("case");
                let off = view.as_ref().map(without_cache);
                let (fresh, _) = run_case(&case, off.as_ref());
                // The first run fills the cache, the second is served from it.
                let (first, _) = run_case(&case, view.as_ref());
                let (repeat, _) = run_case(&case, view.as_ref());
                for on in [&first, &repeat] {
                    assert_eq!(on.decision, fresh.decision, "{}", file.display());
                    assert_eq!(on.response, fresh.response, "{}", file.display());
                }
                if view
                    .as_ref()
                    .and_then(PolicyView::token_cache)
                    .is_some_and(|c| c.usage().0 > 0)
                {
                    cached += 1;
                }
            }
            assert!(cached >= 10, "only {cached} cases reached the cache");
        }

        const ISS: &str = "https://idp.test";
        const NOW: i64 = 1_800_000_000;

        struct World {
            keys: Vec<SigningKey>,
            /// A key of its own under `kid` "k0": a stand-in for a key rotated in place.
            replacement: SigningKey,
            tokens: Vec<String>,
        }

        fn world() -> &'static World {
            static WORLD: OnceLock<World> = OnceLock::new();
            WORLD.get_or_init(|| {
                let keys = vec![
                    SigningKey::generate("k0", Algorithm::ES256).expect("key"),
                    SigningKey::generate("k1", Algorithm::EdDSA).expect("key"),
                ];
                let replacement = SigningKey::generate("k0", Algorithm::ES256).expect("key");
                let mut tokens = Vec::new();
                for signer in keys.iter().chain([&replacement]) {
                    for (client, scope, aud, exp, nbf) in [
                        ("app", "orders:read", "https://api.test", NOW + 60, None),
                        ("app", "orders:read orders:write", "https://api.test", NOW + 5, Some(NOW - 5)),
                        ("other", "orders:read", "https://api.test", NOW + 600, None),
                        ("app", "orders:read", "https://elsewhere.test", NOW + 600, None),
                        ("app", "orders:read", "https://api.test", NOW - 40, None),
                        ("app", "orders:read", "https://api.test", NOW + 600, Some(NOW + 40)),
                    ] {
                        let mut claims = json!({"iss": ISS, "aud": aud, "client_id": client, "scope": scope, "exp": exp});
                        if let Some(nbf) = nbf {
                            claims["nbf"] = json!(nbf);
                        }
                        tokens.push(signer.sign(&claims, &json!({})).expect("sign"));
                    }
                }
                World { keys, replacement, tokens }
            })
        }

        /// The policy, from the knobs a sequence of changes turns.
        #[derive(Debug, Clone)]
        struct Knobs {
            key_status: [usize; 2],
            k0_replaced: bool,
            issuer_present: bool,
            audiences: usize,
            algorithms: usize,
            leeway: u64,
            clients: [(bool, usize); 2],
        }

        const STATUS: [&str; 3] = ["active", "retired", "revoked"];

        fn issuer_json(w: &World, k: &Knobs) -> Value {
            let k0 = if k.k0_replaced {
                &w.replacement
            } else {
                &w.keys[0]
            };
            let audiences = [
                vec!["https://api.test"],
                vec!["https://elsewhere.test"],
                vec!["https://api.test", "https://elsewhere.test"],
            ];
            // Validation refuses a key that fits none of the algorithms, so both stay allowed.
            let algorithms = [vec!["ES256", "EdDSA"], vec!["EdDSA", "ES256", "RS256"]];
            json!({"id": "idp", "issuer": ISS, "audiences": audiences[k.audiences], "algorithms": algorithms[k.algorithms],
                   "leeway_seconds": k.leeway,
                   "keys": [{"kid": "k0", "status": STATUS[k.key_status[0]], "jwk": k0.public_jwk()},
                            {"kid": "k1", "status": STATUS[k.key_status[1]], "jwk": w.keys[1].public_jwk()}]})
        }

        fn client_json(id: &str, (active, scopes): (bool, usize)) -> Value {
            let granted = [
                vec!["orders:read"],
                vec![],
                vec!["orders:read", "orders:write"],
            ];
            json!({"id": id, "status": if active { "active" } else { "suspended" }, "scopes": granted[scopes]})
        }

        fn policy(w: &World, k: &Knobs) -> Value {
            json!({"schema": "gateway-policy/v1", "revision": 1,
                   "issuers": if k.issuer_present { vec![issuer_json(w, k)] } else { vec![] },
                   "clients": [client_json("app", k.clients[0]), client_json("other", k.clients[1])],
                   "apis": [{"id": "orders", "routes": [{"route": "GET /orders", "scopes": ["orders:read"]},
                                                         {"route": "POST /orders", "scopes": ["orders:write"]}]}]})
        }

        #[derive(Debug, Clone)]
        enum Step {
            Decide { token: usize, post: bool, at: i64 },
            KeyStatus(usize, usize),
            ReplaceK0(bool),
            Issuer(bool),
            Audiences(usize),
            Algorithms(usize),
            Leeway(u64),
            Client(usize, bool, usize),
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                6 => (0usize..18, any::<bool>(), -60i64..60).prop_map(|(token, post, at)| Step::Decide { token, post, at }),
                1 => (0usize..2, 0usize..3).prop_map(|(k, s)| Step::KeyStatus(k, s)),
                1 => any::<bool>().prop_map(Step::ReplaceK0),
                1 => any::<bool>().prop_map(Step::Issuer),
                1 => (0usize..3).prop_map(Step::Audiences),
                1 => (0usize..2).prop_map(Step::Algorithms),
                1 => (0u64..60).prop_map(Step::Leeway),
                1 => (0usize..2, any::<bool>(), 0usize..3).prop_map(|(c, a, s)| Step::Client(c, a, s)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            // A view that keeps its cache through every change (as the stream's views do)
            // decides each request exactly as a view built afresh with no cache.
            #[test]
            fn a_cached_view_decides_as_a_fresh_uncached_one(steps in prop::collection::vec(step(), 1..40)) {
                let w = world();
                let mut k = Knobs { key_status: [0, 0], k0_replaced: false, issuer_present: true, audiences: 0,
                                    algorithms: 0, leeway: 0, clients: [(true, 0), (true, 0)] };
                let mut on = load_policy_value(&policy(w, &k)).expect("policy");
                for s in steps {
                    let issuer_changed = match s {
                        Step::Decide { token, post, at } => {
                            let off = without_cache(&load_policy_value(&policy(w, &k)).expect("policy"));
                            let request = Request { method: if post { "POST" } else { "GET" }, path: "/orders", token: Some(&w.tokens[token]) };
                            let now = NOW + at;
                            let expected = decide(Some(&off), "orders", &request, now);
                            for _ in 0..2 {
                                prop_assert_eq!(&decide(Some(&on), "orders", &request, now), &expected);
                            }
                            false
                        }
                        Step::KeyStatus(i, st) => { k.key_status[i] = st; true }
                        Step::ReplaceK0(r) => { k.k0_replaced = r; true }
                        Step::Issuer(present) => {
                            k.issuer_present = present;
                            if !present { on.remove(EntityKind::Issuer, "idp"); }
                            present
                        }
                        Step::Audiences(a) => { k.audiences = a; true }
                        Step::Algorithms(a) => { k.algorithms = a; true }
                        Step::Leeway(l) => { k.leeway = l; true }
                        Step::Client(c, active, scopes) => {
                            k.clients[c] = (active, scopes);
                            let id = ["app", "other"][c];
                            on.upsert(EntityKind::Client, &client_json(id, k.clients[c])).expect("client");
                            false
                        }
                    };
                    if issuer_changed && k.issuer_present {
                        on.upsert(EntityKind::Issuer, &issuer_json(w, &k)).expect("issuer");
                    }
                }
            }
        }

        #[test]
        fn a_key_status_change_drops_its_entries_and_takes_effect_at_once() {
            let w = world();
            let mut k = Knobs {
                key_status: [0, 0],
                k0_replaced: false,
                issuer_present: true,
                audiences: 0,
                algorithms: 0,
                leeway: 0,
                clients: [(true, 0), (true, 0)],
            };
            let mut view = load_policy_value(&policy(w, &k)).expect("policy");
            fn get(t: &str) -> Request<'_> {
                Request {
                    method: "GET",
                    path: "/orders",
                    token: Some(t),
                }
            }
            let (k0_token, k1_token) = (&w.tokens[0], &w.tokens[6]);
            for t in [k0_token, k1_token] {
                assert_eq!(
                    decide(Some(&view), "orders", &get(t), NOW).reason,
                    crate::decision::Reason::Ok
                );
            }
            let cache = |v: &PolicyView| {
                v.token_cache()
                    .map(|c| (c.get(k0_token).is_some(), c.get(k1_token).is_some()))
            };
            assert_eq!(cache(&view), Some((true, true)));
            k.key_status[0] = 2;
            view.upsert(EntityKind::Issuer, &issuer_json(w, &k))
                .expect("issuer");
            assert_eq!(
                cache(&view),
                Some((false, true)),
                "only the revoked key's entry went"
            );
            assert_eq!(
                decide(Some(&view), "orders", &get(k0_token), NOW).reason,
                crate::decision::Reason::RevokedKey
            );
            // A suspended client is denied on the next decision, cached token or not.
            view.upsert(EntityKind::Client, &client_json("app", (false, 0)))
                .expect("client");
            assert_eq!(
                decide(Some(&view), "orders", &get(k1_token), NOW).reason,
                crate::decision::Reason::ClientSuspended
            );
        }
    }
}
