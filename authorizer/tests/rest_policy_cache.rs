//! The IAM policy of a REST / payload 1.0 response is cached by API Gateway under the
//! identity source and evaluated, with IAM semantics, for later requests. For any token T
//! and first request R1, the policy returned for (T, R1) must never allow a request R2 that
//! a fresh decision for (T, R2) denies, and must allow R1 when R1 was allowed.
//!
//! The policies are evaluated here by an IAM matcher of this file's own (not the
//! production one): explicit Deny wins; in a Resource `*` matches any run of characters,
//! `/` and the empty run included, `?` exactly one character; no Allow is a deny.

use std::cell::Cell;

use authorizer::signing::SigningKey;
use authorizer::{handle_event, Effect, PolicyView, Served};
use jsonwebtoken::Algorithm;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

const NOW: i64 = 1_795_000_000;
const ISS: &str = "https://idp.example.com";
const AUD: &str = "https://api.example.com";
const STAGE: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod";

/// IAM resource matching, written independently of the production glob: a simulation of
/// the pattern as an automaton whose states are pattern positions. `*` consumes any
/// character and stays, or is skipped; `?` consumes exactly one; others consume themselves.
fn iam_match(pattern: &[char], text: &[char]) -> bool {
    let skip_stars = |states: &mut Vec<bool>| {
        for i in 0..pattern.len() {
            if states[i] && pattern[i] == '*' {
                states[i + 1] = true;
            }
        }
    };
    let mut states = vec![false; pattern.len() + 1];
    states[0] = true;
    skip_stars(&mut states);
    for c in text {
        let mut next = vec![false; pattern.len() + 1];
        for (i, p) in pattern.iter().enumerate() {
            if !states[i] {
                continue;
            }
            match p {
                '*' => next[i] = true,
                '?' => next[i + 1] = true,
                p if p == c => next[i + 1] = true,
                _ => {}
            }
        }
        skip_stars(&mut next);
        states = next;
    }
    states[pattern.len()]
}

#[test]
fn the_test_matcher_follows_iam() {
    let m = |p: &str, t: &str| {
        iam_match(
            &p.chars().collect::<Vec<_>>(),
            &t.chars().collect::<Vec<_>>(),
        )
    };
    assert!(m("a/*", "a/") && m("a/*", "a/b/c") && !m("a/*", "a"));
    assert!(m("a?c", "a/c") && !m("a?c", "ac"));
    assert!(m("a*b", "a*xb") && m("*", "") && !m("a", "*"));
    assert!(m("x/*/b", "x/1/2/b") && !m("x/*/b", "x/1/2/c"));
}

/// The Allow and Deny resources of a response's policy, as API Gateway reads them.
struct Policy {
    allow: Vec<Vec<char>>,
    deny: Vec<Vec<char>>,
}

impl Policy {
    fn from_response(response: &Value) -> Policy {
        let mut p = Policy {
            allow: Vec::new(),
            deny: Vec::new(),
        };
        let statements = response["policyDocument"]["Statement"]
            .as_array()
            .expect("a Statement array");
        for s in statements {
            assert_eq!(s["Action"], json!(["execute-api:Invoke"]), "{s}");
            let resources: Vec<Vec<char>> = match &s["Resource"] {
                Value::String(r) => vec![r.chars().collect()],
                Value::Array(rs) => rs
                    .iter()
                    .map(|r| r.as_str().expect("a string resource").chars().collect())
                    .collect(),
                other => panic!("Resource {other}"),
            };
            match s["Effect"].as_str() {
                Some("Allow") => p.allow.extend(resources),
                Some("Deny") => p.deny.extend(resources),
                other => panic!("Effect {other:?}"),
            }
        }
        p
    }

    fn allows(&self, arn: &str) -> bool {
        let arn: Vec<char> = arn.chars().collect();
        !self.deny.iter().any(|d| iam_match(d, &arn))
            && self.allow.iter().any(|a| iam_match(a, &arn))
    }
}

fn arn(method: &str, path: &str) -> String {
    format!("{STAGE}/{method}{path}")
}

/// The shapes API Gateway sends with a method ARN; all get an IAM policy back.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Token,
    Request,
    HttpV1,
}

fn event(shape: Shape, method: &str, path: &str, token: Option<&str>) -> Value {
    let auth = token.map(|t| format!("Bearer {t}"));
    match shape {
        Shape::Token => {
            json!({"type": "TOKEN", "authorizationToken": auth.unwrap_or_default(), "methodArn": arn(method, path)})
        }
        Shape::Request => {
            let mut headers = json!({});
            if let Some(a) = auth {
                headers["Authorization"] = json!(a);
            }
            json!({"type": "REQUEST", "methodArn": arn(method, path), "path": path, "httpMethod": method, "headers": headers})
        }
        Shape::HttpV1 => {
            let mut headers = json!({});
            if let Some(a) = auth {
                headers["Authorization"] = json!(a);
            }
            json!({"version": "1.0", "type": "REQUEST", "methodArn": arn(method, path), "path": path, "httpMethod": method, "headers": headers})
        }
    }
}

struct Fixture {
    view: PolicyView,
    key: SigningKey,
}

/// A policy with one issuer (a fresh EdDSA key), the given clients and one API "a".
fn fixture(routes: Value, clients: Value) -> Fixture {
    let key = SigningKey::generate("k1", Algorithm::EdDSA).expect("key");
    let doc = json!({
        "schema": "gateway-policy/v1", "revision": 1,
        "issuers": [{"id": "idp", "issuer": ISS, "audiences": [AUD], "algorithms": ["EdDSA"],
                     "client_id_claims": ["client_id"], "leeway_seconds": 0,
                     "keys": [{"kid": "k1", "status": "active", "jwk": key.public_jwk()}]}],
        "clients": clients,
        "apis": [{"id": "a", "routes": routes}]
    });
    let view = authorizer::policy::load_policy_value(&doc).expect("valid policy");
    Fixture { view, key }
}

impl Fixture {
    fn token(&self, client: &str, scope: &str) -> String {
        self.key
            .sign(
                &json!({"iss": ISS, "aud": AUD, "client_id": client, "scope": scope, "exp": NOW + 600}),
                &json!({}),
            )
            .expect("sign")
    }

    fn respond(
        &self,
        shape: Shape,
        method: &str,
        path: &str,
        token: Option<&str>,
    ) -> (Effect, Value) {
        let out = handle_event(
            Some(&self.view),
            "a",
            &event(shape, method, path, token).to_string(),
            NOW,
            Served::default(),
        );
        (out.decision.effect, out.response.to_value())
    }

    fn fresh(&self, method: &str, path: &str, token: Option<&str>) -> bool {
        self.respond(Shape::Token, method, path, token).0 == Effect::Allow
    }

    fn cached(&self, method: &str, path: &str, token: Option<&str>) -> Policy {
        Policy::from_response(&self.respond(Shape::Token, method, path, token).1)
    }
}

// ---- Regression tests: each failed on the policy construction before this file existed.

#[test]
fn a_public_greedy_route_does_not_open_a_protected_literal_under_it() {
    let f = fixture(
        json!([{"route": "GET /docs/{path+}", "public": true},
               {"route": "GET /docs/internal", "scopes": ["docs:internal"]}]),
        json!([]),
    );
    let policy = f.cached("GET", "/docs/readme", None);
    assert!(policy.allows(&arn("GET", "/docs/readme")));
    assert!(!f.fresh("GET", "/docs/internal", None));
    assert!(
        !policy.allows(&arn("GET", "/docs/internal")),
        "cached public answer opens /docs/internal"
    );
}

#[test]
fn a_public_param_route_does_not_open_deeper_protected_routes() {
    let f = fixture(
        json!([{"route": "GET /items/{id}", "public": true},
               {"route": "GET /items/{id}/secret", "scopes": ["items:secret"]}]),
        json!([]),
    );
    let policy = f.cached("GET", "/items/1", None);
    assert!(policy.allows(&arn("GET", "/items/1")));
    assert!(policy.allows(&arn("GET", "/items/2")));
    assert!(!f.fresh("GET", "/items/1/secret", None));
    assert!(
        !policy.allows(&arn("GET", "/items/1/secret")),
        "cached public answer opens /items/1/secret"
    );
}

fn orders() -> Fixture {
    fixture(
        json!([{"route": "GET /orders/{id}", "scopes": ["orders:read"]},
               {"route": "GET /orders/export", "scopes": ["orders:export"]}]),
        json!([{"id": "reader", "status": "active", "scopes": ["orders:read"]}]),
    )
}

#[test]
fn empty_segments_do_not_reach_a_protected_route_through_a_wide_allow() {
    let f = orders();
    let t = f.token("reader", "orders:read");
    let policy = f.cached("GET", "/orders/42", Some(&t));
    assert!(policy.allows(&arn("GET", "/orders/42")));
    assert!(!policy.allows(&arn("GET", "/orders/export")));
    for path in [
        "/orders/export/",
        "/orders//export",
        "//orders/export",
        "/orders/./export",
        "/orders/x/../export",
    ] {
        assert!(!f.fresh("GET", path, Some(&t)), "{path} is allowed fresh");
        assert!(
            !policy.allows(&arn("GET", path)),
            "cached policy allows {path}"
        );
    }
}

#[test]
fn encoded_delimiters_are_refused_and_denied() {
    let f = orders();
    let t = f.token("reader", "orders:read");
    let policy = f.cached("GET", "/orders/42", Some(&t));
    for path in [
        "/orders/a%2Fb",
        "/orders/a%2fb",
        "/orders/%2E%2E",
        "/orders/a%5Cb",
        "/orders/a\\b",
    ] {
        assert!(!f.fresh("GET", path, Some(&t)), "{path} is allowed fresh");
        assert!(
            !policy.allows(&arn("GET", path)),
            "cached policy allows {path}"
        );
    }
}

#[test]
fn a_wildcard_in_the_request_path_never_becomes_a_wildcard_resource() {
    let f = fixture(
        json!([{"route": "GET /a/{x}", "scopes": ["admin"]},
               {"route": "GET /a/{x}/b", "scopes": ["read"]},
               {"route": "GET /a/s/b", "scopes": ["admin"]}]),
        json!([{"id": "reader", "status": "active", "scopes": ["read"]}]),
    );
    let t = f.token("reader", "read");
    for (r1, r2) in [
        ("/a/*/b", "/a/q/r/b"),
        ("/a/?/b", "/a/s/b"),
        ("/a/*/b", "/a/s/b"),
    ] {
        assert!(f.fresh("GET", r1, Some(&t)), "{r1}");
        let policy = f.cached("GET", r1, Some(&t));
        assert!(
            policy.allows(&arn("GET", r1)),
            "the answer to {r1} denies {r1}"
        );
        assert!(!f.fresh("GET", r2, Some(&t)), "{r2}");
        assert!(
            !policy.allows(&arn("GET", r2)),
            "the answer to {r1} allows {r2}"
        );
        let document = f.respond(Shape::Token, "GET", r1, Some(&t)).1["policyDocument"].to_string();
        assert!(
            !document.contains('?'),
            "request text copied into {document}"
        );
    }
}

#[test]
fn a_param_does_not_cover_deeper_paths_that_no_route_matches() {
    let f = orders();
    let t = f.token("reader", "orders:read");
    let policy = f.cached("GET", "/orders/42", Some(&t));
    assert!(!f.fresh("GET", "/orders/42/anything", Some(&t)));
    assert!(!policy.allows(&arn("GET", "/orders/42/anything")));
}

#[test]
fn the_answer_to_a_greedy_route_covers_its_request_when_a_stricter_route_overlaps() {
    let f = fixture(
        json!([{"route": "GET /{x}/{rest+}", "scopes": ["read"]},
               {"route": "GET /{x}/b", "scopes": ["admin"]}]),
        json!([{"id": "reader", "status": "active", "scopes": ["read"]}]),
    );
    let t = f.token("reader", "read");
    // `GET/*/b` must be denied (the two-segment `/{x}/b`), yet `/q/a/b` is the greedy route's.
    let policy = f.cached("GET", "/q/a/b", Some(&t));
    assert!(policy.allows(&arn("GET", "/q/a/b")));
    assert!(!policy.allows(&arn("GET", "/q/b")));
}

// ---- The property: every (T, R1, R2) triple over random tables.

#[derive(Debug, Clone)]
struct Route {
    method: &'static str,
    /// Literal text, `{}` for a param, `+` for a greedy tail.
    segments: Vec<&'static str>,
    public: bool,
    scopes: Vec<&'static str>,
}

impl Route {
    fn text(&self) -> String {
        let mut path = String::new();
        for (i, s) in self.segments.iter().enumerate() {
            path.push('/');
            match *s {
                "{}" => path.push_str(&format!("{{p{i}}}")),
                "+" => path.push_str(&format!("{{p{i}+}}")),
                lit => path.push_str(lit),
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        format!("{} {path}", self.method)
    }
}

const LITERALS: &[&str] = &["a", "b", "export"];
const SCOPES: &[&str] = &["s0", "s1", "s2"];
/// Segments of probe paths: the table's literals, ordinary values, IAM wildcards, dot
/// segments, encodings, and the empty segment.
const PROBE_SEGMENTS: &[&str] = &[
    "a", "b", "export", "x", "42", "*", "?", "a*", "?b", "..", ".", "%2F", "a%2Fb", "%2e", "",
];

fn route() -> impl Strategy<Value = Route> {
    let segment = prop_oneof![4 => prop::sample::select(LITERALS), 3 => Just("{}")];
    (
        prop::sample::select(&["GET", "POST", "ANY"][..]),
        prop::collection::vec(segment, 0..4),
        any::<bool>(),
        prop::bool::weighted(0.3),
        prop::sample::subsequence(SCOPES, 0..=2),
    )
        .prop_map(|(method, mut segments, greedy, public, scopes)| {
            if greedy {
                segments.push("+");
            }
            Route {
                method,
                segments,
                public,
                scopes: if public { Vec::new() } else { scopes },
            }
        })
}

/// A table without two routes of the same method and shape (the policy loader refuses those).
fn table() -> impl Strategy<Value = Vec<Route>> {
    prop::collection::vec(route(), 1..7).prop_map(|routes| {
        let mut seen = std::collections::HashSet::new();
        routes
            .into_iter()
            .filter(|r| {
                let shape: Vec<&str> = r
                    .segments
                    .iter()
                    .map(|s| if *s == "+" || *s == "{}" { "{}" } else { s })
                    .collect();
                seen.insert((r.method, shape, r.segments.last() == Some(&"+")))
            })
            .collect()
    })
}

/// Concrete paths: some made from the table's templates, some from the probe segments.
fn probes(table: &[Route], picks: &[(usize, Vec<usize>)]) -> Vec<String> {
    let mut out = vec!["/".to_string()];
    for (i, fill) in picks {
        let mut fill = fill
            .iter()
            .map(|k| PROBE_SEGMENTS[k % PROBE_SEGMENTS.len()]);
        // A template with its params filled in.
        if let Some(r) = table.get(i % table.len().max(1)) {
            let mut segs = Vec::new();
            for s in &r.segments {
                match *s {
                    "{}" => segs.push(fill.next().unwrap_or("x")),
                    "+" => {
                        segs.push(fill.next().unwrap_or("x"));
                        segs.extend(fill.by_ref().take(i % 3));
                    }
                    lit => segs.push(lit),
                }
            }
            out.push(format!("/{}", segs.join("/")));
        }
        // A free-form path.
        let free: Vec<&str> = fill.collect();
        out.push(format!("/{}", free.join("/")));
    }
    out.sort();
    out.dedup();
    out
}

#[derive(Default)]
struct Counts {
    triples: Cell<u64>,
    fresh_allowed: Cell<u64>,
    over_narrow: Cell<u64>,
}

fn check_table(
    table: &[Route],
    client_scopes: &[Vec<&'static str>],
    picks: &[(usize, Vec<usize>)],
    shape: Shape,
    counts: &Counts,
) -> Result<(), TestCaseError> {
    let routes: Vec<Value> = table
        .iter()
        .map(|r| {
            if r.public {
                json!({"route": r.text(), "public": true})
            } else {
                json!({"route": r.text(), "scopes": r.scopes})
            }
        })
        .collect();
    let clients: Vec<Value> = client_scopes
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"id": format!("c{i}"), "status": "active", "scopes": s}))
        .collect();
    let f = fixture(json!(routes), json!(clients));
    let mut tokens: Vec<Option<String>> = vec![None, Some("not.a.token".into())];
    for i in 0..client_scopes.len() {
        tokens.push(Some(f.token(&format!("c{i}"), &SCOPES.join(" "))));
    }
    let paths = probes(table, picks);
    let requests: Vec<(&str, &String)> = ["GET", "POST", "DELETE"]
        .iter()
        .flat_map(|m| paths.iter().map(move |p| (*m, p)))
        .collect();
    for token in &tokens {
        let token = token.as_deref();
        let fresh: Vec<bool> = requests.iter().map(|(m, p)| f.fresh(m, p, token)).collect();
        let mut evaluated: std::collections::HashMap<String, Vec<bool>> = Default::default();
        for (i1, (m1, p1)) in requests.iter().enumerate() {
            let (effect, response) = f.respond(shape, m1, p1, token);
            prop_assert_eq!(effect == Effect::Allow, fresh[i1]);
            // Many first requests get the same policy; evaluate each distinct one once.
            let cached_all = evaluated
                .entry(response["policyDocument"].to_string())
                .or_insert_with(|| {
                    let policy = Policy::from_response(&response);
                    requests
                        .iter()
                        .map(|(m, p)| policy.allows(&arn(m, p)))
                        .collect()
                });
            if fresh[i1] {
                prop_assert!(
                    cached_all[i1],
                    "the answer to {} {} denies itself: {}",
                    m1,
                    p1,
                    response["policyDocument"]
                );
            }
            for (i2, (m2, p2)) in requests.iter().enumerate() {
                let cached = cached_all[i2];
                counts.triples.set(counts.triples.get() + 1);
                if fresh[i2] {
                    counts.fresh_allowed.set(counts.fresh_allowed.get() + 1);
                    if !cached {
                        counts.over_narrow.set(counts.over_narrow.get() + 1);
                    }
                }
                prop_assert!(
                    !cached || fresh[i2],
                    "token {:?}: the answer to {} {} allows {} {}, which a fresh decision denies\ntable: {:?}\npolicy: {}",
                    token.map(|_| "…"), m1, p1, m2, p2, table.iter().map(Route::text).collect::<Vec<_>>(), response["policyDocument"]
                );
            }
        }
    }
    Ok(())
}

#[test]
fn a_cached_policy_never_allows_what_a_fresh_decision_denies() {
    let cases = std::env::var("REST_POLICY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let counts = Counts::default();
    let strategy = (
        table(),
        prop::collection::vec(prop::sample::subsequence(SCOPES, 0..=3), 1..3),
        prop::collection::vec((0usize..8, prop::collection::vec(0usize..64, 0..5)), 3..8),
        prop::sample::select(&[Shape::Token, Shape::Request, Shape::HttpV1][..]),
    );
    let result = runner.run(&strategy, |(table, clients, picks, shape)| {
        check_table(&table, &clients, &picks, shape, &counts)
    });
    let (triples, allowed, narrow) = (
        counts.triples.get(),
        counts.fresh_allowed.get(),
        counts.over_narrow.get(),
    );
    println!(
        "REST cached policies: {triples} (T, R1, R2) triples; {allowed} allowed fresh, of which the cached policy denies {narrow} (over-narrow ratio {:.3})",
        narrow as f64 / allowed.max(1) as f64
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
