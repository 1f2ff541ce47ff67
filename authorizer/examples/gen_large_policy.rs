//! Writes a large policy for load and memory measurements: 10,000 clients, 1,000 APIs with
//! 10 routes each, and 100 keys over 4 issuers (mixed RSA, P-256 and Ed25519).
//! `cargo run --release --example gen_large_policy -- OUT.json`

use authorizer::signing::SigningKey;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

/// The policy as JSON text (also used by the benchmarks).
pub fn large_policy() -> Value {
    let mut issuers = Vec::new();
    for i in 0..4 {
        let keys: Vec<Value> = (0..25)
            .map(|k| {
                let alg = match k % 5 {
                    0 => Algorithm::RS256,
                    1 | 2 => Algorithm::ES256,
                    _ => Algorithm::EdDSA,
                };
                let key = SigningKey::generate(&format!("k{i}-{k}"), alg).expect("key");
                json!({"kid": key.kid, "status": if k % 7 == 0 { "retired" } else { "active" }, "jwk": key.public_jwk()})
            })
            .collect();
        issuers.push(json!({"id": format!("idp-{i}"), "issuer": format!("https://idp-{i}.example.com"), "audiences": ["https://api.example.com"],
                            "algorithms": ["RS256", "ES256", "EdDSA"], "leeway_seconds": 30, "keys": keys}));
    }
    let clients: Vec<Value> = (0..10_000)
        .map(|c| json!({"id": format!("client-{c:05}"), "status": if c % 50 == 0 { "suspended" } else { "active" },
                        "scopes": [format!("api-{:03}:read", c % 1000), format!("api-{:03}:write", (c * 7) % 1000)]}))
        .collect();
    let apis: Vec<Value> = (0..1000)
        .map(|a| {
            let routes: Vec<Value> = (0..10)
                .map(|r| match r {
                    0 => json!({"route": "GET /health", "public": true}),
                    r if r % 2 == 1 => json!({"route": format!("GET /things-{r}/{{id}}"), "scopes": [format!("api-{a:03}:read")]}),
                    r => json!({"route": format!("POST /things-{r}"), "scopes": [format!("api-{a:03}:write")]}),
                })
                .collect();
            json!({"id": format!("api-{a:03}"), "routes": routes})
        })
        .collect();
    json!({"schema": "gateway-policy/v1", "revision": 1, "issuers": issuers, "clients": clients, "apis": apis})
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "large-policy.json".into());
    let text = large_policy().to_string();
    std::fs::write(&out, &text).expect("write");
    println!("wrote {out} ({} bytes)", text.len());
}
