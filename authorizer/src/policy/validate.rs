//! Validation of a policy document as JSON, before any typed parsing, so that every problem
//! is reported at once with its JSON path and a hint at the fix.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value};

use super::document::POLICY_SCHEMA;
use crate::keys::{check_jwk, supported_algorithm, KeyError, KeyFamily, SUPPORTED_ALGORITHMS};
use crate::route::{RouteTemplate, Router};

/// One problem in a policy: where (a JSON path like `$.issuers[0].keys[1].jwk`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl PolicyErrors {
    pub fn single(path: impl Into<String>, message: impl Into<String>) -> Self {
        PolicyErrors(vec![PolicyError {
            path: path.into(),
            message: message.into(),
        }])
    }
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(PolicyError {
            path: path.to_string(),
            message: message.into(),
        });
    }
    fn into_result(self) -> Result<(), PolicyErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}

/// Checks the object's keys: required ones present, no unknown ones (a typo such as
/// `scope` for `scopes` must not be silently ignored).
fn object<'a>(
    v: &'a Value,
    path: &str,
    required: &[&str],
    optional: &[&str],
    errs: &mut PolicyErrors,
) -> Option<&'a Map<String, Value>> {
    let Some(obj) = v.as_object() else {
        errs.push(path, format!("must be an object, found {}", kind(v)));
        return None;
    };
    for key in required {
        if !obj.contains_key(*key) {
            errs.push(path, format!("`{key}` is required"));
        }
    }
    for key in obj.keys() {
        if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
            let known: Vec<&str> = required.iter().chain(optional).copied().collect();
            errs.push(
                &format!("{path}.{key}"),
                format!("unknown field; the fields here are {}", known.join(", ")),
            );
        }
    }
    Some(obj)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An identifier: non-empty, printable, no spaces or slashes (it becomes part of a Kafka key).
fn id_field<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    errs: &mut PolicyErrors,
) -> Option<&'a str> {
    let p = format!("{path}.{key}");
    match obj.get(key)? {
        Value::String(s) if is_identifier(s) => Some(s),
        Value::String(s) => {
            errs.push(&p, format!("\"{s}\" is not a usable id; use 1-200 characters of letters, digits, '.', '_', ':', '@' or '-'"));
            None
        }
        other => {
            errs.push(&p, format!("must be a string, found {}", kind(other)));
            None
        }
    }
}

pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '@' | '-'))
}

fn string_field<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    errs: &mut PolicyErrors,
) -> Option<&'a str> {
    match obj.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s),
        other => {
            errs.push(
                &format!("{path}.{key}"),
                format!("must be a non-empty string, found {}", kind(other)),
            );
            None
        }
    }
}

/// A list of non-empty strings without duplicates.
fn string_list<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    non_empty: bool,
    errs: &mut PolicyErrors,
) -> Vec<&'a str> {
    let p = format!("{path}.{key}");
    let Some(v) = obj.get(key) else {
        return Vec::new();
    };
    let Some(items) = v.as_array() else {
        errs.push(
            &p,
            format!("must be an array of strings, found {}", kind(v)),
        );
        return Vec::new();
    };
    if non_empty && items.is_empty() {
        errs.push(&p, "must list at least one value");
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) if !s.is_empty() && !s.contains(char::is_whitespace) => {
                if out.contains(&s) {
                    errs.push(&format!("{p}[{i}]"), format!("\"{s}\" is listed twice"));
                }
                out.push(s);
            }
            _ => errs.push(
                &format!("{p}[{i}]"),
                "must be a non-empty string without spaces",
            ),
        }
    }
    out
}

fn array<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    errs: &mut PolicyErrors,
) -> &'a [Value] {
    match obj.get(key) {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            errs.push(
                &format!("{path}.{key}"),
                format!("must be an array, found {}", kind(other)),
            );
            &[]
        }
    }
}

/// Validates one entity at a JSON path, returning its id when it has a usable one.
type SectionValidator = fn(&Value, &str, &mut PolicyErrors) -> Option<String>;

/// Validates a whole `gateway-policy/v1` document.
pub fn validate_document(doc: &Value) -> Result<(), PolicyErrors> {
    let mut errs = PolicyErrors::default();
    let Some(obj) = object(
        doc,
        "$",
        &["schema", "revision"],
        &["issuers", "clients", "apis", "publishers"],
        &mut errs,
    ) else {
        return errs.into_result();
    };
    match obj.get("schema") {
        Some(Value::String(s)) if s == POLICY_SCHEMA => {}
        Some(other) => errs.push(
            "$.schema",
            format!("is {other}; this authorizer reads \"{POLICY_SCHEMA}\""),
        ),
        None => {}
    }
    if let Some(rev) = obj.get("revision") {
        if rev.as_u64().is_none() {
            errs.push(
                "$.revision",
                format!("must be a whole number >= 0, found {rev}"),
            );
        }
    }
    let sections: [(&str, SectionValidator); 4] = [
        ("issuers", validate_issuer_at),
        ("clients", validate_client_at),
        ("apis", validate_api_at),
        ("publishers", validate_publisher_at),
    ];
    let mut issuer_urls = HashSet::new();
    for (section, validate) in sections {
        let mut ids = HashSet::new();
        for (i, item) in array(obj, section, "$", &mut errs).iter().enumerate() {
            let path = format!("$.{section}[{i}]");
            if let Some(id) = validate(item, &path, &mut errs) {
                if !ids.insert(id.clone()) {
                    let field = if section == "publishers" { "kid" } else { "id" };
                    errs.push(
                        &format!("{path}.{field}"),
                        format!("\"{id}\" is used by an earlier entry; ids must be unique"),
                    );
                }
            }
            if section == "issuers" {
                if let Some(url) = item.get("issuer").and_then(Value::as_str) {
                    if !issuer_urls.insert(url.to_string()) {
                        errs.push(&format!("{path}.issuer"), format!("\"{url}\" is used by an earlier issuer; each `iss` must name one issuer"));
                    }
                }
            }
        }
    }
    errs.into_result()
}

fn single<F>(v: &Value, path: &str, f: F) -> Result<(), PolicyErrors>
where
    F: Fn(&Value, &str, &mut PolicyErrors) -> Option<String>,
{
    let mut errs = PolicyErrors::default();
    f(v, path, &mut errs);
    errs.into_result()
}

/// Validates one issuer entity (also used for `issuer` events).
pub fn validate_issuer(v: &Value, path: &str) -> Result<(), PolicyErrors> {
    single(v, path, validate_issuer_at)
}
/// Validates one client entity (also used for `client` events).
pub fn validate_client(v: &Value, path: &str) -> Result<(), PolicyErrors> {
    single(v, path, validate_client_at)
}
/// Validates one API entity (also used for `api` events).
pub fn validate_api(v: &Value, path: &str) -> Result<(), PolicyErrors> {
    single(v, path, validate_api_at)
}
/// Validates one publisher key entity (also used for `publisher` events).
pub fn validate_publisher(v: &Value, path: &str) -> Result<(), PolicyErrors> {
    single(v, path, validate_publisher_at)
}

fn validate_issuer_at(v: &Value, path: &str, errs: &mut PolicyErrors) -> Option<String> {
    let obj = object(
        v,
        path,
        &["id", "issuer", "audiences", "algorithms", "keys"],
        &["client_id_claims", "leeway_seconds"],
        errs,
    )?;
    let id = id_field(obj, "id", path, errs);
    string_field(obj, "issuer", path, errs);
    string_list(obj, "audiences", path, true, errs);
    for (i, alg) in string_list(obj, "algorithms", path, true, errs)
        .iter()
        .enumerate()
    {
        if supported_algorithm(alg).is_none() {
            let why = if alg.starts_with("HS") || alg.eq_ignore_ascii_case("none") {
                "shared-secret and unsigned tokens are never accepted"
            } else {
                "it is not supported"
            };
            errs.push(
                &format!("{path}.algorithms[{i}]"),
                format!(
                    "\"{alg}\": {why}; use one of {}",
                    SUPPORTED_ALGORITHMS.join(", ")
                ),
            );
        }
    }
    if obj.contains_key("client_id_claims") {
        string_list(obj, "client_id_claims", path, true, errs);
    }
    if let Some(leeway) = obj.get("leeway_seconds") {
        match leeway.as_u64() {
            Some(s) if s <= 300 => {}
            _ => errs.push(
                &format!("{path}.leeway_seconds"),
                format!("is {leeway}; use a whole number of seconds from 0 to 300"),
            ),
        }
    }
    let algorithms: Vec<_> = obj
        .get("algorithms")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().and_then(supported_algorithm))
                .collect()
        })
        .unwrap_or_default();
    let mut kids = HashSet::new();
    for (i, key) in array(obj, "keys", path, errs).iter().enumerate() {
        let kpath = format!("{path}.keys[{i}]");
        let Some(kobj) = object(key, &kpath, &["kid", "status", "jwk"], &[], errs) else {
            continue;
        };
        if let Some(kid) = string_field(kobj, "kid", &kpath, errs) {
            if !kids.insert(kid) {
                errs.push(
                    &format!("{kpath}.kid"),
                    format!("\"{kid}\" is used by an earlier key of this issuer"),
                );
            }
            if let Some(jwk_kid) = kobj
                .get("jwk")
                .and_then(|j| j.get("kid"))
                .and_then(Value::as_str)
            {
                if jwk_kid != kid {
                    errs.push(
                        &format!("{kpath}.jwk.kid"),
                        format!("\"{jwk_kid}\" differs from the key's kid \"{kid}\""),
                    );
                }
            }
        }
        match kobj.get("status").and_then(Value::as_str) {
            Some("active" | "retired" | "revoked") | None if kobj.get("status").is_none_or(Value::is_string) => {}
            _ => errs.push(&format!("{kpath}.status"), "must be \"active\", \"retired\" (verifies, rotation overlap) or \"revoked\" (never verifies)"),
        }
        if let Some(jwk) = kobj.get("jwk") {
            let jpath = format!("{kpath}.jwk");
            match check_jwk(jwk) {
                // A key no allowed algorithm fits could never verify a token of this issuer.
                Ok(key)
                    if !algorithms.is_empty() && !algorithms.iter().any(|a| key.accepts(*a)) =>
                {
                    let at = if key.alg.is_some() {
                        format!("{jpath}.alg")
                    } else {
                        jpath
                    };
                    errs.push(&at, format!("this key verifies none of the issuer's algorithms {:?}; add the key's algorithm to `algorithms` or use a key that fits them", algorithm_names(&algorithms)));
                }
                Ok(_) => {}
                Err(problems) => push_key_errors(errs, &jpath, problems),
            }
        }
    }
    id.map(str::to_string)
}

fn validate_client_at(v: &Value, path: &str, errs: &mut PolicyErrors) -> Option<String> {
    let obj = object(v, path, &["id", "status"], &["scopes"], errs)?;
    let id = id_field(obj, "id", path, errs);
    match obj.get("status").and_then(Value::as_str) {
        Some("active" | "suspended") => {}
        None if obj.get("status").is_none() => {}
        _ => errs.push(
            &format!("{path}.status"),
            "must be \"active\" or \"suspended\"",
        ),
    }
    string_list(obj, "scopes", path, false, errs);
    id.map(str::to_string)
}

fn validate_api_at(v: &Value, path: &str, errs: &mut PolicyErrors) -> Option<String> {
    let obj = object(v, path, &["id", "routes"], &[], errs)?;
    let id = id_field(obj, "id", path, errs);
    let mut router = Router::default();
    for (i, route) in array(obj, "routes", path, errs).iter().enumerate() {
        let rpath = format!("{path}.routes[{i}]");
        let Some(robj) = object(route, &rpath, &["route"], &["scopes", "public"], errs) else {
            continue;
        };
        let scopes = string_list(robj, "scopes", &rpath, false, errs);
        match robj.get("public") {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) if !scopes.is_empty() => errs.push(
                &format!("{rpath}.scopes"),
                "a public route needs no token, so its scopes would never be checked; remove them or set `public` to false",
            ),
            Some(Value::Bool(true)) => {}
            Some(other) => errs.push(&format!("{rpath}.public"), format!("must be true or false, found {}", kind(other))),
        }
        let Some(text) = string_field(robj, "route", &rpath, errs) else {
            continue;
        };
        match RouteTemplate::parse(text) {
            Ok(template) => {
                if let Some(earlier) = router.insert(&template, i) {
                    errs.push(&format!("{rpath}.route"), format!("\"{text}\" has the same method and shape as routes[{earlier}]; one of them would never match"));
                }
            }
            Err(e) => errs.push(&format!("{rpath}.route"), e),
        }
    }
    id.map(str::to_string)
}

fn validate_publisher_at(v: &Value, path: &str, errs: &mut PolicyErrors) -> Option<String> {
    let obj = object(v, path, &["kid", "jwk"], &[], errs)?;
    let kid = string_field(obj, "kid", path, errs);
    if let Some(jwk) = obj.get("jwk") {
        let jpath = format!("{path}.jwk");
        match check_jwk(jwk) {
            Ok(key) if key.family == KeyFamily::Ed25519 => {}
            Ok(_) => errs.push(
                &jpath,
                "publisher keys sign events with EdDSA; use an Ed25519 (OKP) key",
            ),
            Err(problems) => push_key_errors(errs, &jpath, problems),
        }
    }
    kid.map(str::to_string)
}

/// Each problem of a JWK at `jwk_path`, under the member it is in (`...jwk.e`) when it is in one.
fn push_key_errors(errs: &mut PolicyErrors, jwk_path: &str, problems: Vec<KeyError>) {
    for problem in problems {
        match problem.member() {
            Some(member) => errs.push(&format!("{jwk_path}.{member}"), problem.to_string()),
            None => errs.push(jwk_path, problem.to_string()),
        }
    }
}

fn algorithm_names(algorithms: &[jsonwebtoken::Algorithm]) -> Vec<&'static str> {
    SUPPORTED_ALGORITHMS
        .iter()
        .filter(|name| supported_algorithm(name).is_some_and(|a| algorithms.contains(&a)))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(v: Value) -> Vec<String> {
        validate_document(&v)
            .err()
            .map(|e| e.0.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }

    #[test]
    fn minimal_document_is_valid() {
        assert!(messages(json!({"schema": "gateway-policy/v1", "revision": 1})).is_empty());
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let errs = messages(json!({
            "schema": "gateway-policy/v2",
            "revision": -1,
            "clients": [{"id": "a", "status": "paused", "scope": ["x"]}, {"id": "a", "status": "active"}],
            "apis": [{"id": "orders", "routes": [{"route": "GET orders"}, {"route": "GET /h", "public": true, "scopes": ["x"]}]}],
            "issuers": [{"id": "i", "issuer": "https://i", "audiences": [], "algorithms": ["HS256"], "keys": [{"kid": "k", "status": "active", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}]}]
        }));
        let all = errs.join("\n");
        for needle in [
            "$.schema:",
            "$.revision:",
            "$.clients[0].status:",
            "$.clients[0].scope: unknown field",
            "$.clients[1].id: \"a\" is used",
            "$.apis[0].routes[0].route:",
            "$.apis[0].routes[1].scopes:",
            "$.issuers[0].audiences:",
            "$.issuers[0].algorithms[0]:",
            "$.issuers[0].keys[0].jwk.k: holds private",
        ] {
            assert!(all.contains(needle), "missing {needle} in:\n{all}");
        }
    }

    #[test]
    fn duplicate_route_shapes_are_rejected() {
        let errs = messages(
            json!({"schema": "gateway-policy/v1", "revision": 1, "apis": [{"id": "a", "routes": [
            {"route": "GET /x/{id}"}, {"route": "GET /x/{other}"}]}]}),
        );
        assert!(errs[0].contains("same method and shape"), "{errs:?}");
    }
}
