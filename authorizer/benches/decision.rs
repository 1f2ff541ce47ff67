//! Criterion benchmarks of the decision core and the event path (see BENCHMARKS.md):
//! one decision per algorithm (fresh, repeated through the token cache, and the bare
//! signature verification beside them), a whole HTTP API 2.0 event (JSON in, decision, JSON out),
//! and loading a large policy.

use std::hint::black_box;

use authorizer::apigw::{handle_event, Served};
use authorizer::decision::{decide, Reason, Request};
use authorizer::observe::{decision_log, decision_metrics, reference};
use authorizer::policy::{load_policy, load_policy_value};
use authorizer::signing::SigningKey;
use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

#[path = "../examples/gen_large_policy.rs"]
#[allow(dead_code)]
mod large;

const NOW: i64 = 1_795_000_000;
const ISS: &str = "https://idp.example.com";
const AUD: &str = "https://api.example.com";

struct Fixture {
    policy: Value,
    tokens: Vec<(&'static str, String)>,
}

fn fixture() -> Fixture {
    let keys = [
        (
            "RS256",
            SigningKey::generate("rsa", Algorithm::RS256).expect("key"),
        ),
        (
            "PS256",
            SigningKey::generate("rsa", Algorithm::PS256).expect("key"),
        ),
        (
            "ES256",
            SigningKey::generate("ec", Algorithm::ES256).expect("key"),
        ),
        (
            "EdDSA",
            SigningKey::generate("ed", Algorithm::EdDSA).expect("key"),
        ),
    ];
    // PS256 reuses the RS256 key material so one `rsa` kid serves both.
    let ps = SigningKey::from_file(&authorizer::signing::SigningKeyFile {
        alg: "PS256".into(),
        ..keys[0].1.to_file()
    })
    .expect("key");
    let claims = json!({"iss": ISS, "aud": AUD, "client_id": "mobile-app", "scope": "orders:read orders:write", "exp": NOW + 600});
    let tokens = vec![
        ("RS256", keys[0].1.sign(&claims, &json!({})).expect("sign")),
        ("PS256", ps.sign(&claims, &json!({})).expect("sign")),
        ("ES256", keys[2].1.sign(&claims, &json!({})).expect("sign")),
        ("EdDSA", keys[3].1.sign(&claims, &json!({})).expect("sign")),
    ];
    let jwk = |k: &SigningKey| json!({"kid": k.kid, "status": "active", "jwk": k.public_jwk()});
    let policy = json!({
        "schema": "gateway-policy/v1", "revision": 1,
        "issuers": [{"id": "idp", "issuer": ISS, "audiences": [AUD], "algorithms": ["RS256", "PS256", "ES256", "EdDSA"],
                     "keys": [jwk(&keys[0].1), jwk(&keys[2].1), jwk(&keys[3].1)]}],
        "clients": [{"id": "mobile-app", "status": "active", "scopes": ["orders:read", "orders:write"]}],
        "apis": [{"id": "orders", "routes": [
            {"route": "GET /orders", "scopes": ["orders:read"]}, {"route": "GET /orders/{id}", "scopes": ["orders:read"]},
            {"route": "POST /orders", "scopes": ["orders:write"]}, {"route": "GET /health", "public": true}]}]
    });
    Fixture { policy, tokens }
}

fn v2_event(path: &str, token: Option<&str>) -> String {
    let mut e = json!({"version": "2.0", "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET{path}"),
        "routeKey": format!("GET {path}"), "rawPath": path, "rawQueryString": "",
        "headers": {"host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", "user-agent": "bench", "accept": "*/*"},
        "requestContext": {"accountId": "123456789012", "apiId": "a1b2c3d4e5", "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "bench"},
                           "requestId": "r", "routeKey": format!("GET {path}"), "stage": "prod", "time": "19/Nov/2026:10:13:20 +0000", "timeEpoch": NOW * 1000}});
    if let Some(t) = token {
        e["headers"]["authorization"] = json!(format!("Bearer {t}"));
        e["identitySource"] = json!([format!("Bearer {t}")]);
    }
    e.to_string()
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    // `fresh`: no token cache, every decision parses and verifies; `repeat`: the same token
    // again with the cache on; `bare_verify`: the signature check alone, same key and token.
    let cached = load_policy_value(&f.policy).expect("policy");
    let mut view = cached.clone();
    view.set_token_cache(None);
    let issuer = view.issuer_by_url(ISS).expect("issuer");
    let mut group = c.benchmark_group("decision");
    for (alg, token) in &f.tokens {
        let req = Request {
            method: "GET",
            path: "/orders/42",
            token: Some(token),
        };
        for v in [&view, &cached] {
            assert_eq!(
                decide(Some(v), "orders", &req, NOW).reason,
                Reason::Ok,
                "{alg}"
            );
        }
        group.bench_function(format!("fresh/{alg}"), |b| {
            b.iter(|| decide(Some(&view), "orders", black_box(&req), NOW))
        });
        group.bench_function(format!("repeat/{alg}"), |b| {
            b.iter(|| decide(Some(&cached), "orders", black_box(&req), NOW))
        });
        let (message, signature) = token.rsplit_once('.').expect("compact JWS");
        let kid =
            ["rsa", "rsa", "ec", "ed"][f.tokens.iter().position(|(a, _)| a == alg).unwrap_or(0)];
        let key = &issuer.keys.get(kid).expect("key").public.key;
        let algorithm = authorizer::keys::supported_algorithm(alg).expect("alg");
        assert!(
            jsonwebtoken::crypto::verify(signature, message.as_bytes(), key, algorithm)
                .expect("verify")
        );
        group.bench_function(format!("bare_verify/{alg}"), |b| {
            b.iter(|| {
                jsonwebtoken::crypto::verify(
                    black_box(signature),
                    message.as_bytes(),
                    key,
                    algorithm,
                )
            })
        });
    }
    // Where ES256 and EdDSA time goes: the same verification with the key parsed once
    // (aws-lc-rs `ParsedPublicKey`), against `bare_verify`, which parses it on every call.
    for (alg, kid, verifier) in [
        (
            "ES256",
            "ec",
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED
                as &'static dyn aws_lc_rs::signature::VerificationAlgorithm,
        ),
        ("EdDSA", "ed", &aws_lc_rs::signature::ED25519),
    ] {
        use base64::Engine;
        let b64 = |s: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .expect("b64")
        };
        let token = &f.tokens.iter().find(|(a, _)| *a == alg).expect("token").1;
        let jwk = f.policy["issuers"][0]["keys"]
            .as_array()
            .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
            .expect("jwk")["jwk"]
            .clone();
        let mut point = Vec::new();
        if alg == "ES256" {
            point.push(0x04);
        }
        point.extend(b64(jwk["x"].as_str().expect("x")));
        if let Some(y) = jwk["y"].as_str() {
            point.extend(b64(y));
        }
        let parsed = aws_lc_rs::signature::ParsedPublicKey::new(verifier, &point).expect("key");
        let (message, signature) = token.rsplit_once('.').expect("compact JWS");
        let signature = b64(signature);
        assert!(parsed.verify_sig(message.as_bytes(), &signature).is_ok());
        group.bench_function(format!("preparsed_verify/{alg}"), |b| {
            b.iter(|| {
                parsed
                    .verify_sig(black_box(message.as_bytes()), &signature)
                    .is_ok()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("http_v2_event");
    for (name, event) in [
        ("RS256", v2_event("/orders/42", Some(&f.tokens[0].1))),
        ("EdDSA", v2_event("/orders/42", Some(&f.tokens[3].1))),
        ("public_route_no_crypto", v2_event("/health", None)),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = handle_event(
                    Some(&view),
                    "orders",
                    black_box(&event),
                    NOW,
                    Served::default(),
                );
                serde_json::to_string(&out.response).expect("json")
            })
        });
    }
    // What the Lambda adds to each decision beyond the event path: its log line and its
    // metrics record, built and serialised (writing them to stdout is not measured).
    let public = v2_event("/health", None);
    let out = handle_event(Some(&view), "orders", &public, NOW, Served::default());
    // The typed records (observe::DecisionLog, observe::DecisionMetrics), and beside them the
    // `serde_json::Value` builders they replaced, which write the same bytes.
    group.bench_function("log_and_metrics_lines", |b| {
        b.iter(|| {
            let log = decision_log(black_box(&out), "orders", 12, false, "req-1").to_string();
            let metrics = decision_metrics(black_box(&out), "orders", 1_795_000_000_000, 0, false)
                .to_string();
            log.len() + metrics.len()
        })
    });
    group.bench_function("log_and_metrics_lines_value", |b| {
        b.iter(|| {
            let log =
                reference::decision_log(black_box(&out), "orders", 12, false, "req-1").to_string();
            let metrics =
                reference::decision_metrics(black_box(&out), "orders", 1_795_000_000_000, 0, false)
                    .to_string();
            log.len() + metrics.len()
        })
    });
    group.finish();

    let big = large::large_policy().to_string();
    let mut group = c.benchmark_group("policy_load");
    group.sample_size(10);
    group.bench_function("10k_clients_1k_apis_100_keys", |b| {
        b.iter(|| load_policy(black_box(&big)).expect("valid"))
    });
    group.finish();
}

criterion_group!(decision, benches);
criterion_main!(decision);
