//! The token parser and verifier (`token::verify`, through `decide`).
//!
//! Input: a mode byte, then
//! - even mode: a raw token, checked against the conformance policy (whose seeds verify);
//! - odd mode: a key index, then `header JSON \n payload JSON \n mutations`: the harness
//!   signs the payload under the header with a generated key, then damages the token.
//!
//! Invariants: no panic; a token is only ever accepted (and a request only ever allowed)
//! when its signature verifies, checked independently, with a non-revoked key of the issuer
//! it names; `decide` and its traced twin (`authz explain`) agree.
#![no_main]

use authorizer::decision::{decide, decide_traced, Effect, Reason, Request};
use authorizer::token::verify;
use fuzz_support::{
    conformance_policy, generated, generated_view, mutate, token_verifies_with_policy_key, NOW,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

fn check(
    token: &str,
    policy: &Value,
    view: &authorizer::PolicyView,
    api: &str,
    method: &str,
    path: &str,
) {
    let verified = verify(token, view, NOW, None).is_ok();
    if verified && !token_verifies_with_policy_key(token, policy) {
        panic!("verify accepted a token that no usable policy key signed: {token}");
    }
    let request = Request {
        method,
        path,
        token: Some(token),
    };
    let decision = decide(Some(view), api, &request, NOW);
    if decision.reason == Reason::Ok && !(verified && token_verifies_with_policy_key(token, policy))
    {
        panic!("allowed {method} {path} with a token that does not verify: {decision:?}");
    }
    assert!(
        decision.effect == Effect::Deny
            || matches!(decision.reason, Reason::Ok | Reason::PublicRoute)
    );
    let mut trace = Vec::new();
    let traced = decide_traced(Some(view), api, &request, NOW, Some(&mut trace));
    assert_eq!(decision, traced, "decide and explain disagree");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Ok(token) = std::str::from_utf8(rest) else {
            return;
        };
        let (policy, view) = conformance_policy();
        check(token, policy, view, "orders", "GET", "/orders");
        return;
    }
    let Some((&key_index, rest)) = rest.split_first() else {
        return;
    };
    let g = generated();
    let key = &g.token_keys[usize::from(key_index) % g.token_keys.len()];
    let mut parts = rest.splitn(3, |b| *b == b'\n');
    let header_extra: Map<String, Value> = parts
        .next()
        .and_then(|h| serde_json::from_slice(h).ok())
        .unwrap_or_default();
    let payload: Value = parts
        .next()
        .and_then(|p| serde_json::from_slice(p).ok())
        .unwrap_or_else(|| json!({"iss": "https://idp", "aud": "api", "exp": NOW + 60, "client_id": "app", "scope": "read"}));
    let mutations = parts.next().unwrap_or_default();
    let Ok(token) = key.sign(&payload, &Value::Object(header_extra)) else {
        return;
    };
    let Some(token) = mutate(&token, mutations) else {
        return;
    };
    check(
        &token,
        &g.policy,
        generated_view(),
        "orders",
        "GET",
        "/orders",
    );
});
