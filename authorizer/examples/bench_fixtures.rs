//! The inputs of the end-to-end benchmarks, signed with the project's own signing code
//! (`authorizer::signing`): keys are generated fresh on every run and never written out.
//!
//! `cargo run --release --example bench_fixtures -- e2e OUT_DIR [LARGE_POLICY.json]`
//!   for scripts/bench/rie.sh and fleet.sh:
//!   large-bench-policy.json  the large policy plus an issuer holding the benchmark's RS256 key
//!                            (only with LARGE_POLICY.json)
//!   protected-event.json     HTTP API 2.0 event: GET /things-1/42 on api-001 with a token for
//!                            client-00001 (scope api-001:read), which that policy allows
//!   public-event.json        HTTP API 2.0 event: GET /health (public, no token)
//!   fleet-active.json        a small policy (API `orders`, client `mobile-app` active)
//!   fleet-suspended.json     the same with `mobile-app` suspended
//!   fleet-event.json         GET /orders/42 with a token for mobile-app
//!   Tokens are valid for a day from now (the bootstrap decides on the real clock).
//!
//! `cargo run --release --example bench_fixtures -- opa REQUEST.json OUT_DIR`
//!   for scripts/bench/opa.sh, mirroring the criterion fixture `decision/RS256`
//!   (authorizer/benches/decision.rs): policy.json, input.json (REQUEST.json plus the token
//!   and `now`), event.json (the same request for `authz decide --now`), the negative inputs
//!   input-{expired,bad-signature,wrong-audience,missing-scope}.json and policy-suspended.json.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use authorizer::signing::SigningKey;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

type Fixtures = Vec<(&'static str, Value)>;
type Result<T> = std::result::Result<T, Box<dyn Error>>;

const BENCH_ISSUER: &str = "https://bench-idp.example.com";
const AUDIENCE: &str = "https://api.example.com";
/// The criterion fixture's clock, which the OPA inputs share.
pub const OPA_NOW: i64 = 1_795_000_000;
const OPA_ISSUER: &str = "https://idp.example.com";

/// An HTTP API 2.0 authorizer event for GET `path`, with a bearer token when given.
fn v2_event(path: &str, token: Option<&str>) -> Value {
    let mut event = json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET{path}"),
        "routeKey": format!("GET {path}"), "rawPath": path, "rawQueryString": "",
        "headers": {"host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", "user-agent": "bench"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "a1b2c3d4e5",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "bench"},
            "requestId": "bench", "routeKey": format!("GET {path}"), "stage": "prod"
        }
    });
    if let Some(token) = token {
        event["headers"]["authorization"] = json!(format!("Bearer {token}"));
        event["identitySource"] = json!([format!("Bearer {token}")]);
    }
    event
}

/// The claims `authz dev-token` puts in a token.
fn dev_claims(issuer: &str, client: &str, scope: &str, now: i64, ttl: i64) -> Value {
    json!({"iss": issuer, "aud": AUDIENCE, "sub": client, "client_id": client, "scope": scope,
           "iat": now, "exp": now + ttl})
}

fn issuer_doc(id: &str, issuer: &str, algorithms: &[&str], key: &SigningKey) -> Value {
    json!({"id": id, "issuer": issuer, "audiences": [AUDIENCE], "algorithms": algorithms,
           "keys": [{"kid": key.kid, "status": "active", "jwk": key.public_jwk()}]})
}

fn suspend(policy: &Value, client: &str) -> Value {
    let mut out = policy.clone();
    if let Some(clients) = out["clients"].as_array_mut() {
        for c in clients.iter_mut().filter(|c| c["id"] == client) {
            c["status"] = json!("suspended");
        }
    }
    out
}

/// The fixtures of rie.sh and fleet.sh, with tokens issued at `now` for a day.
pub fn e2e_fixtures(key: &SigningKey, large: Option<Value>, now: i64) -> Result<Fixtures> {
    let issuer = issuer_doc("bench-idp", BENCH_ISSUER, &["RS256"], key);
    let token = |client: &str, scope: &str| {
        key.sign(
            &dev_claims(BENCH_ISSUER, client, scope, now, 86_400),
            &json!({}),
        )
    };
    let mut out = Fixtures::new();
    if let Some(mut policy) = large {
        policy["issuers"]
            .as_array_mut()
            .ok_or("the large policy has no `issuers` array")?
            .push(issuer.clone());
        out.push(("large-bench-policy.json", policy));
    }
    out.push((
        "protected-event.json",
        v2_event(
            "/things-1/42",
            Some(&token("client-00001", "api-001:read")?),
        ),
    ));
    out.push(("public-event.json", v2_event("/health", None)));
    let fleet = json!({
        "schema": "gateway-policy/v1", "revision": 1, "issuers": [issuer],
        "clients": [{"id": "mobile-app", "status": "active", "scopes": ["orders:read"]},
                    {"id": "web-app", "status": "active", "scopes": ["orders:read"]}],
        "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]},
                                             {"route": "GET /health", "public": true}]}]
    });
    out.push(("fleet-suspended.json", suspend(&fleet, "mobile-app")));
    out.push(("fleet-active.json", fleet));
    out.push((
        "fleet-event.json",
        v2_event("/orders/42", Some(&token("mobile-app", "orders:read")?)),
    ));
    Ok(out)
}

/// Replaces the last six characters of a token's signature: a signature that cannot verify.
fn break_signature(token: &str) -> String {
    let cut = token.len().saturating_sub(6);
    let tail = if token.ends_with("AAAAAA") {
        "BBBBBB"
    } else {
        "AAAAAA"
    };
    format!("{}{tail}", &token[..cut])
}

/// The fixtures of opa.sh for `request` ({api_id, method, path}), signed with `key` (RS256).
pub fn opa_fixtures(key: &SigningKey, request: &Value) -> Result<Fixtures> {
    let path = request["path"]
        .as_str()
        .ok_or("REQUEST.json: `path` must be a string")?;
    let method = request["method"]
        .as_str()
        .ok_or("REQUEST.json: `method` must be a string")?;
    let claims = json!({"iss": OPA_ISSUER, "aud": AUDIENCE, "client_id": "mobile-app",
                        "scope": "orders:read orders:write", "exp": OPA_NOW + 600});
    let sign = |claims: &Value| key.sign(claims, &json!({}));
    let with = |field: &str, value: Value| {
        let mut c = claims.clone();
        c[field] = value;
        c
    };
    let good = sign(&claims)?;
    let input = |token: &str, now: i64| {
        let mut i = request.clone();
        i["token"] = json!(token);
        i["now"] = json!(now);
        i
    };
    let policy = json!({
        "schema": "gateway-policy/v1", "revision": 1,
        "issuers": [issuer_doc("idp", OPA_ISSUER, &["RS256", "PS256", "ES256", "EdDSA"], key)],
        "clients": [{"id": "mobile-app", "status": "active", "scopes": ["orders:read", "orders:write"]}],
        "apis": [{"id": "orders", "routes": [
            {"route": "GET /orders", "scopes": ["orders:read"]}, {"route": "GET /orders/{id}", "scopes": ["orders:read"]},
            {"route": "POST /orders", "scopes": ["orders:write"]}, {"route": "GET /health", "public": true}]}]
    });
    let event = json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/{method}{path}"),
        "routeKey": format!("{method} {path}"), "rawPath": path,
        "headers": {"authorization": format!("Bearer {good}")},
        "requestContext": {"http": {"method": method, "path": path}}
    });
    Ok(vec![
        ("input.json", input(&good, OPA_NOW)),
        ("event.json", event),
        ("input-expired.json", input(&good, OPA_NOW + 601)),
        (
            "input-bad-signature.json",
            input(&break_signature(&good), OPA_NOW),
        ),
        (
            "input-wrong-audience.json",
            input(
                &sign(&with("aud", json!("https://other.example.com")))?,
                OPA_NOW,
            ),
        ),
        (
            "input-missing-scope.json",
            input(&sign(&with("scope", json!("orders:write")))?, OPA_NOW),
        ),
        ("policy-suspended.json", suspend(&policy, "mobile-app")),
        ("policy.json", policy),
    ])
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?)
}

fn write_all(dir: &Path, fixtures: &Fixtures) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, value) in fixtures {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(value)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn run(args: &[String]) -> Result<()> {
    const USAGE: &str =
        "usage: bench_fixtures e2e OUT_DIR [LARGE_POLICY.json] | opa REQUEST.json OUT_DIR";
    match args {
        [cmd, out, rest @ ..] if cmd == "e2e" && rest.len() <= 1 => {
            let key = SigningKey::generate("bench-rsa", Algorithm::RS256)?;
            let large = rest.first().map(|p| read_json(Path::new(p))).transpose()?;
            let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
            write_all(&PathBuf::from(out), &e2e_fixtures(&key, large, now)?)
        }
        [cmd, request, out] if cmd == "opa" => {
            let key = SigningKey::generate("rsa", Algorithm::RS256)?;
            write_all(
                &PathBuf::from(out),
                &opa_fixtures(&key, &read_json(Path::new(request))?)?,
            )
        }
        _ => Err(USAGE.into()),
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_fixtures: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every fixture is decided by the library as the benchmark expects: a figure measured
    //! on a request that is denied for a wrong reason would measure the wrong thing.
    use super::*;
    use authorizer::apigw::{handle_event, Served};
    use authorizer::policy::load_policy_value;

    fn get<'a>(fixtures: &'a Fixtures, name: &str) -> &'a Value {
        &fixtures
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .1
    }

    /// The `reason` the authorizer gives for `event` under `policy` at `now`.
    fn reason(policy: &Value, api: &str, event: &Value, now: i64) -> String {
        let view = load_policy_value(policy).unwrap_or_else(|e| panic!("policy invalid: {e}"));
        let outcome = handle_event(Some(&view), api, &event.to_string(), now, Served::default());
        outcome.response.context().reason.to_string()
    }

    #[test]
    fn the_fleet_event_is_allowed_when_active_and_denied_when_suspended() {
        let key = SigningKey::generate("bench-rsa", Algorithm::RS256).unwrap();
        let now = 1_800_000_000;
        let fx = e2e_fixtures(&key, None, now).unwrap();
        let event = get(&fx, "fleet-event.json");
        assert_eq!(
            reason(get(&fx, "fleet-active.json"), "orders", event, now),
            "ok"
        );
        assert_eq!(
            reason(get(&fx, "fleet-suspended.json"), "orders", event, now),
            "client_suspended"
        );
        // The token outlives a long fleet run, and not forever.
        assert_eq!(
            reason(get(&fx, "fleet-active.json"), "orders", event, now + 86_399),
            "ok"
        );
        assert_eq!(
            reason(get(&fx, "fleet-active.json"), "orders", event, now + 86_401),
            "expired"
        );
        assert!(fx.iter().all(|(n, _)| *n != "large-bench-policy.json"));
    }

    #[test]
    fn the_protected_event_is_allowed_by_the_large_policy_with_the_bench_issuer() {
        let key = SigningKey::generate("bench-rsa", Algorithm::RS256).unwrap();
        let now = 1_800_000_000;
        // The shape of gen_large_policy's output, small: the example only appends an issuer.
        let large = json!({
            "schema": "gateway-policy/v1", "revision": 1, "issuers": [],
            "clients": [{"id": "client-00001", "status": "active", "scopes": ["api-001:read"]}],
            "apis": [{"id": "api-001", "routes": [{"route": "GET /health", "public": true},
                                                  {"route": "GET /things-1/{id}", "scopes": ["api-001:read"]}]}]
        });
        let fx = e2e_fixtures(&key, Some(large.clone()), now).unwrap();
        let policy = get(&fx, "large-bench-policy.json");
        assert_eq!(
            reason(policy, "api-001", get(&fx, "protected-event.json"), now),
            "ok"
        );
        assert_eq!(
            reason(policy, "api-001", get(&fx, "public-event.json"), now),
            "public_route"
        );
        // Without the appended issuer the same token is refused.
        assert_eq!(
            reason(&large, "api-001", get(&fx, "protected-event.json"), now),
            "unknown_issuer"
        );
    }

    #[test]
    fn a_large_policy_without_issuers_is_a_clear_error() {
        let key = SigningKey::generate("bench-rsa", Algorithm::RS256).unwrap();
        let err = e2e_fixtures(&key, Some(json!({"clients": []})), 0).unwrap_err();
        assert!(err.to_string().contains("issuers"), "{err}");
    }

    #[test]
    fn the_opa_inputs_are_decided_by_us_as_the_comparison_needs() {
        let key = SigningKey::generate("rsa", Algorithm::RS256).unwrap();
        let request = json!({"api_id": "orders", "method": "GET", "path": "/orders/42"});
        let fx = opa_fixtures(&key, &request).unwrap();
        let policy = get(&fx, "policy.json");
        assert_eq!(
            reason(policy, "orders", get(&fx, "event.json"), OPA_NOW),
            "ok"
        );
        // Each input as the same HTTP API event: our reason for what OPA must deny too.
        let as_event = |name: &str| {
            let input = get(&fx, name);
            (
                v2_event("/orders/42", input["token"].as_str()),
                input["now"].as_i64().unwrap(),
            )
        };
        for (name, want) in [
            ("input.json", "ok"),
            ("input-expired.json", "expired"),
            ("input-bad-signature.json", "bad_signature"),
            ("input-wrong-audience.json", "wrong_audience"),
            ("input-missing-scope.json", "insufficient_scope"),
        ] {
            let (event, now) = as_event(name);
            assert_eq!(reason(policy, "orders", &event, now), want, "{name}");
        }
        let (event, now) = as_event("input.json");
        assert_eq!(
            reason(get(&fx, "policy-suspended.json"), "orders", &event, now),
            "client_suspended"
        );
        assert_eq!(get(&fx, "input.json")["api_id"], "orders");
    }

    #[test]
    fn a_broken_signature_differs_from_the_original() {
        assert_eq!(break_signature("a.b.cdefghij"), "a.b.cdAAAAAA");
        assert_eq!(break_signature("a.b.xAAAAAA"), "a.b.xBBBBBB");
    }

    #[test]
    fn bad_arguments_print_the_usage() {
        let err = run(&["nope".to_string()]).unwrap_err();
        assert!(err.to_string().contains("usage: bench_fixtures"), "{err}");
        let err = opa_fixtures(
            &SigningKey::generate("rsa", Algorithm::RS256).unwrap(),
            &json!({"method": "GET"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`path`"), "{err}");
    }
}
