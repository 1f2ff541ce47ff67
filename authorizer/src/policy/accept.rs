//! The fast path of loading a policy: the document is parsed straight into its typed form
//! (no `serde_json::Value` tree of the whole text), then checked here for what the types
//! alone do not say (ids, duplicates, lists, routes, keys).
//!
//! This check only answers yes or no. It accepts exactly what [`validate_document`]
//! accepts (a property test holds the two to that); when it says no, or the typed parse
//! fails, the loader takes the slow path through `validate`, which finds every problem
//! with its JSON path. So the messages exist once, and a valid policy never pays for them.
//!
//! [`validate_document`]: super::validate_document

use std::collections::HashSet;

use super::document::{ApiDoc, ClientDoc, IssuerDoc, PolicyDocument, PublisherDoc, POLICY_SCHEMA};
use super::validate::is_identifier;
use crate::keys::{check_jwk, supported_algorithm, KeyFamily};
use crate::route::{RouteTemplate, Router};

/// Whether `validate_document` would accept the JSON this document was parsed from.
pub(super) fn acceptable(doc: &PolicyDocument) -> bool {
    doc.schema == POLICY_SCHEMA
        && unique(doc.issuers.iter().map(|i| i.id.as_str()))
        && unique(doc.issuers.iter().map(|i| i.issuer.as_str()))
        && unique(doc.clients.iter().map(|c| c.id.as_str()))
        && unique(doc.apis.iter().map(|a| a.id.as_str()))
        && unique(doc.publishers.iter().map(|p| p.kid.as_str()))
        && doc.issuers.iter().all(issuer)
        && doc.clients.iter().all(client)
        && doc.apis.iter().all(api)
        && doc.publishers.iter().all(publisher)
}

fn unique<'a>(items: impl ExactSizeIterator<Item = &'a str>) -> bool {
    let mut seen = HashSet::with_capacity(items.len());
    items.into_iter().all(|s| seen.insert(s))
}

/// A list of non-empty strings without whitespace or duplicates (`validate::string_list`).
fn string_list(items: &[String], non_empty: bool) -> bool {
    (!non_empty || !items.is_empty())
        && items
            .iter()
            .all(|s| !s.is_empty() && !s.contains(char::is_whitespace))
        && unique(items.iter().map(String::as_str))
}

fn issuer(i: &IssuerDoc) -> bool {
    let algorithms: Option<Vec<_>> = i
        .algorithms
        .iter()
        .map(|a| supported_algorithm(a))
        .collect();
    let Some(algorithms) = algorithms else {
        return false;
    };
    is_identifier(&i.id)
        && !i.issuer.is_empty()
        && string_list(&i.audiences, true)
        && string_list(&i.algorithms, true)
        && string_list(&i.client_id_claims, true)
        && i.leeway_seconds <= 300
        && unique(i.keys.iter().map(|k| k.kid.as_str()))
        && i.keys.iter().all(|k| {
            let jwk_kid = k.jwk.get("kid").and_then(serde_json::Value::as_str);
            !k.kid.is_empty()
                && jwk_kid.is_none_or(|j| j == k.kid)
                && check_jwk(&k.jwk).is_ok_and(|key| algorithms.iter().any(|a| key.accepts(*a)))
        })
}

fn client(c: &ClientDoc) -> bool {
    is_identifier(&c.id) && string_list(&c.scopes, false)
}

fn api(a: &ApiDoc) -> bool {
    let mut router = Router::default();
    is_identifier(&a.id)
        && a.routes.iter().enumerate().all(|(i, r)| {
            string_list(&r.scopes, false)
                && (!r.public || r.scopes.is_empty())
                && RouteTemplate::parse(&r.route)
                    .is_ok_and(|template| router.insert(&template, i).is_none())
        })
}

fn publisher(p: &PublisherDoc) -> bool {
    !p.kid.is_empty() && check_jwk(&p.jwk).is_ok_and(|key| key.family == KeyFamily::Ed25519)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use jsonwebtoken::Algorithm;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::*;
    use crate::policy::{load_policy_checked, PolicyView};
    use crate::signing::SigningKey;

    /// A valid document with something of every kind, keys generated once per test run.
    fn base() -> &'static Value {
        static BASE: OnceLock<Value> = OnceLock::new();
        BASE.get_or_init(|| {
            let jwk = |kid: &str, alg| {
                SigningKey::generate(kid, alg)
                    .expect("test key")
                    .public_jwk()
                    .clone()
            };
            json!({
                "schema": "gateway-policy/v1",
                "revision": 3,
                "issuers": [
                    {"id": "idp", "issuer": "https://idp.example", "audiences": ["api", "web"],
                     "algorithms": ["RS256", "ES256"], "leeway_seconds": 30,
                     "client_id_claims": ["client_id"],
                     "keys": [{"kid": "r1", "status": "active", "jwk": jwk("r1", Algorithm::RS256)},
                              {"kid": "e1", "status": "retired", "jwk": jwk("e1", Algorithm::ES256)}]},
                    {"id": "other", "issuer": "https://other.example", "audiences": ["api"],
                     "algorithms": ["EdDSA"],
                     "keys": [{"kid": "d1", "status": "revoked", "jwk": jwk("d1", Algorithm::EdDSA)}]}
                ],
                "clients": [
                    {"id": "svc-a", "status": "active", "scopes": ["orders:read", "orders:write"]},
                    {"id": "svc-b", "status": "suspended"},
                    {"id": "svc-c", "status": "active", "scopes": []}
                ],
                "apis": [
                    {"id": "orders", "routes": [
                        {"route": "GET /orders/{id}", "scopes": ["orders:read"]},
                        {"route": "POST /orders", "scopes": ["orders:write"], "public": false},
                        {"route": "GET /health", "public": true},
                        {"route": "ANY /files/{path+}"}
                    ]},
                    {"id": "billing", "routes": [{"route": "GET /"}]}
                ],
                "publishers": [{"kid": "portal", "jwk": jwk("portal", Algorithm::EdDSA)}]
            })
        })
    }

    /// Every place in `v`, as a path of object keys and array indexes (a JWK counts as one
    /// place: `keys.rs` has its own tests).
    fn places(v: &Value, at: &mut Vec<Place>, out: &mut Vec<Vec<Place>>) {
        out.push(at.clone());
        if matches!(at.last(), Some(Place::Key(k)) if k == "jwk") {
            return;
        }
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    at.push(Place::Key(k.clone()));
                    places(child, at, out);
                    at.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    at.push(Place::Index(i));
                    places(child, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }

    #[derive(Debug, Clone)]
    enum Place {
        Key(String),
        Index(usize),
    }

    #[derive(Debug, Clone)]
    enum Edit {
        Replace(Value),
        Remove,
        /// An array's element twice, or an object with one more (unknown) member.
        Grow,
    }

    fn edit(doc: &mut Value, path: &[Place], e: &Edit) {
        let Some((last, parent_path)) = path.split_last() else {
            if let Edit::Replace(v) = e {
                *doc = v.clone();
            }
            return;
        };
        let mut parent = &mut *doc;
        for p in parent_path {
            parent = match (p, parent) {
                (Place::Key(k), Value::Object(m)) => m.get_mut(k).expect("place"),
                (Place::Index(i), Value::Array(a)) => &mut a[*i],
                _ => return,
            };
        }
        match (last, parent, e) {
            (Place::Key(k), Value::Object(m), Edit::Replace(v)) => {
                m.insert(k.clone(), v.clone());
            }
            (Place::Key(k), Value::Object(m), Edit::Remove) => {
                m.remove(k);
            }
            (Place::Key(k), Value::Object(m), Edit::Grow) => {
                m.insert(format!("{k}_extra"), json!(1));
            }
            (Place::Index(i), Value::Array(a), Edit::Replace(v)) => a[*i] = v.clone(),
            (Place::Index(i), Value::Array(a), Edit::Remove) => {
                a.remove(*i);
            }
            (Place::Index(i), Value::Array(a), Edit::Grow) => {
                let twin = a[*i].clone();
                a.push(twin);
            }
            _ => {}
        }
    }

    /// Values that are wrong somewhere and right elsewhere.
    fn replacements() -> Vec<Value> {
        vec![
            json!(null),
            json!(""),
            json!("a b"),
            json!("ok-id"),
            json!("no/slash"),
            json!(0),
            json!(300),
            json!(301),
            json!(-1),
            json!(1.5),
            json!(true),
            json!(false),
            json!([]),
            json!([""]),
            json!(["x", "x"]),
            json!(["RS256"]),
            json!(["HS256"]),
            json!({}),
            json!("active"),
            json!("paused"),
            json!("GET /orders/{other}"),
            json!("GET /health"),
            json!("GET orders"),
            json!("GET /a/{p+}/b"),
            json!("https://idp.example"),
            json!("gateway-policy/v2"),
            json!({"kty": "oct", "k": "c2VjcmV0"}),
        ]
    }

    fn every_edit() -> Vec<Edit> {
        let mut all: Vec<Edit> = replacements().into_iter().map(Edit::Replace).collect();
        all.extend([Edit::Remove, Edit::Grow]);
        all
    }

    /// Loads `text` both ways and says how they differ, if they do.
    fn disagreement(text: &str) -> Option<String> {
        let fast = fast(text);
        let slow = load_policy_checked(text);
        match (fast, slow) {
            (Some(f), Ok(s)) if f.to_document() == s.to_document() => None,
            (None, Err(_)) => None,
            (f, s) => Some(format!(
                "fast path {}, slow path {:?} on {text}",
                if f.is_some() { "accepts" } else { "refuses" },
                s.err()
            )),
        }
    }

    fn edits() -> impl Strategy<Value = Vec<(usize, Edit)>> {
        proptest::collection::vec(
            (any::<usize>(), proptest::sample::select(every_edit())),
            0..5,
        )
    }

    /// What the fast path alone makes of the text (`None`: it hands over to the slow path).
    fn fast(text: &str) -> Option<PolicyView> {
        let doc: PolicyDocument = serde_json::from_str(text).ok()?;
        if !acceptable(&doc) {
            return None;
        }
        PolicyView::from_validated(doc).ok()
    }

    /// Every single edit of the base document: the fast path takes a document exactly when
    /// the field-by-field validation does, and builds the same view.
    #[test]
    fn fast_path_accepts_what_validation_accepts_one_edit() {
        let mut all = Vec::new();
        places(base(), &mut Vec::new(), &mut all);
        let mut tried = 0;
        for path in &all {
            for e in every_edit() {
                let mut doc = base().clone();
                edit(&mut doc, path, &e);
                if let Some(why) = disagreement(&doc.to_string()) {
                    panic!("{path:?} {e:?}: {why}");
                }
                tried += 1;
            }
        }
        assert!(tried > 1000, "{tried}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The same for several edits at once.
        #[test]
        fn fast_path_accepts_what_validation_accepts(edits in edits()) {
            let mut doc = base().clone();
            for (pick, e) in &edits {
                let mut all = Vec::new();
                places(&doc, &mut Vec::new(), &mut all);
                edit(&mut doc, &all[pick % all.len()], e);
            }
            let text = doc.to_string();
            prop_assert!(disagreement(&text).is_none(), "{}", disagreement(&text).unwrap_or_default());
        }
    }

    #[test]
    fn the_base_document_takes_the_fast_path() {
        assert!(fast(&base().to_string()).is_some());
    }

    #[test]
    fn duplicate_members_leave_the_fast_path_and_load_as_json_reads_them() {
        // serde's typed parse refuses a member given twice; JSON (and the slow path) keep the
        // last one, so the document still loads, the slow way.
        let text = r#"{"schema":"gateway-policy/v1","revision":1,"revision":2}"#;
        assert!(fast(text).is_none());
        assert_eq!(crate::policy::load_policy(text).expect("valid").revision, 2);
    }
}
