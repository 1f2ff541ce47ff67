//! The `authz` binary as a platform engineer meets it: `validate` on broken policies (every
//! problem named with its JSON path), `decide`/`explain` output, and `conformance` exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use authorizer::signing::SigningKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

fn authz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authz"))
        .args(args)
        .output()
        .expect("run authz")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn write(name: &str, v: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("authz-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).expect("write");
    p
}

fn validate_errors(policy: &Value) -> String {
    // Tests run in parallel threads: each policy gets a file of its own.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "p{}.json",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let out = authz(&[
        "validate",
        write(&name, policy).to_str().unwrap_or_default(),
    ]);
    assert!(
        !out.status.success(),
        "a broken policy must fail validation: {policy}"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn validate_accepts_the_conformance_policy() {
    let out = authz(&[
        "validate",
        repo()
            .join("conformance/policy.json")
            .to_str()
            .unwrap_or_default(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid, revision 42"));
}

#[test]
fn validate_names_the_path_and_the_fix_for_each_broken_policy() {
    let base = |extra: Value| {
        let mut p = json!({"schema": "gateway-policy/v1", "revision": 1});
        for (k, v) in extra.as_object().expect("object") {
            p[k] = v.clone();
        }
        p
    };
    let issuer = |patch: Value| {
        let mut i = json!({"id": "idp", "issuer": "https://idp", "audiences": ["a"], "algorithms": ["ES256"], "keys": []});
        for (k, v) in patch.as_object().expect("object") {
            i[k] = v.clone();
        }
        base(json!({"issuers": [i]}))
    };
    let cases: Vec<(Value, &[&str])> = vec![
        (json!("not an object"), &["$: must be an object"]),
        (json!({"revision": 1}), &["`schema` is required"]),
        (
            base(json!({"schema": "gateway-policy/v9"})),
            &["$.schema", "gateway-policy/v1"],
        ),
        (
            base(json!({"revision": "7"})),
            &["$.revision", "whole number"],
        ),
        (
            base(json!({"client": []})),
            &["$.client: unknown field", "clients"],
        ),
        (
            issuer(json!({"algorithms": ["HS256"]})),
            &["$.issuers[0].algorithms[0]", "shared-secret"],
        ),
        (
            issuer(json!({"algorithms": ["none"]})),
            &["$.issuers[0].algorithms[0]"],
        ),
        (
            issuer(json!({"audiences": []})),
            &["$.issuers[0].audiences", "at least one"],
        ),
        (
            issuer(json!({"leeway_seconds": 9999})),
            &["$.issuers[0].leeway_seconds", "0 to 300"],
        ),
        (
            issuer(
                json!({"keys": [{"kid": "k", "status": "active", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}]}),
            ),
            &["$.issuers[0].keys[0].jwk", "private or secret"],
        ),
        (
            issuer(
                json!({"keys": [{"kid": "k", "status": "active", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}]}),
            ),
            &["$.issuers[0].keys[0].jwk", "2048"],
        ),
        (
            issuer(
                json!({"keys": [{"kid": "k", "status": "active", "jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}]}),
            ),
            &["$.issuers[0].keys[0].jwk", "32 bytes"],
        ),
        (
            issuer(
                json!({"keys": [{"kid": "k", "status": "expired", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}]}),
            ),
            &["$.issuers[0].keys[0].status", "retired"],
        ),
        (
            base(json!({"clients": [{"id": "a b", "status": "active"}]})),
            &["$.clients[0].id", "not a usable id"],
        ),
        (
            base(
                json!({"clients": [{"id": "a", "status": "active"}, {"id": "a", "status": "active"}]}),
            ),
            &["$.clients[1].id", "unique"],
        ),
        (
            base(json!({"apis": [{"id": "x", "routes": [{"route": "GET orders"}]}]})),
            &["$.apis[0].routes[0].route", "start with '/'"],
        ),
        (
            base(json!({"apis": [{"id": "x", "routes": [{"route": "FETCH /x"}]}]})),
            &["$.apis[0].routes[0].route", "FETCH"],
        ),
        (
            base(json!({"apis": [{"id": "x", "routes": [{"route": "GET /a/{rest+}/b"}]}]})),
            &["$.apis[0].routes[0].route", "last segment"],
        ),
        (
            base(
                json!({"apis": [{"id": "x", "routes": [{"route": "GET /a/{id}"}, {"route": "GET /a/{other}"}]}]}),
            ),
            &["$.apis[0].routes[1].route", "same method and shape"],
        ),
        (
            base(
                json!({"apis": [{"id": "x", "routes": [{"route": "GET /h", "public": true, "scopes": ["s"]}]}]}),
            ),
            &["$.apis[0].routes[0].scopes", "public route"],
        ),
        (
            base(
                json!({"publishers": [{"kid": "p", "jwk": {"kty": "EC", "crv": "P-256", "x": "b_qTt0JrlVM5jIyomWW5u_w56eeDscwr-NTw3NHrzBo", "y": "wDAVYo27ZmS5IRXnQoIfjvLWG8o928zog1HBc0Kn5Mk"}}]}),
            ),
            &["$.publishers[0].jwk", "Ed25519"],
        ),
    ];
    let keyed =
        |jwk: Value| issuer(json!({"keys": [{"kid": "k", "status": "active", "jwk": jwk}]}));
    let es256 = || generated_jwk(Algorithm::ES256);
    let rsa = || generated_jwk(Algorithm::RS256);
    let patched = |mut jwk: Value, member: &str, value: Value| {
        jwk[member] = value;
        jwk
    };
    let rsa_issuer = |jwk: Value| {
        let mut p = keyed(jwk);
        p["issuers"][0]["algorithms"] = json!(["RS256"]);
        p
    };
    let mut off_curve = es256();
    off_curve["y"] = json!(flip_last_bit(&off_curve["y"]));
    let oversized = format!("AQ{}", "_".repeat(8192 / 6 + 1));
    let cases_for_keys: Vec<(Value, &[&str])> = vec![
        (
            rsa_issuer(patched(rsa(), "e", json!("AQ"))),
            &["$.issuers[0].keys[0].jwk.e", "is 1", "\"AQAB\""],
        ),
        (
            rsa_issuer(patched(rsa(), "e", json!("AQAA"))),
            &["$.issuers[0].keys[0].jwk.e", "is 65536", "odd"],
        ),
        (
            rsa_issuer(patched(rsa(), "e", json!("AQAAAAE"))),
            &["$.issuers[0].keys[0].jwk.e", "more than 32 bits"],
        ),
        (
            rsa_issuer(patched(rsa(), "n", json!(oversized))),
            &["$.issuers[0].keys[0].jwk.n", "at most 8192"],
        ),
        (
            rsa_issuer(patched(rsa(), "n", json!(roca_shaped_modulus()))),
            &[
                "$.issuers[0].keys[0].jwk.n",
                "CVE-2017-15361",
                "replace the key",
            ],
        ),
        (
            keyed(off_curve),
            &["$.issuers[0].keys[0].jwk:", "not on the curve P-256"],
        ),
        (
            keyed(patched(es256(), "key_ops", json!(["encrypt"]))),
            &["$.issuers[0].keys[0].jwk.key_ops", "[\"verify\"]"],
        ),
        (
            keyed(patched(es256(), "key_ops", json!(["sign"]))),
            &["$.issuers[0].keys[0].jwk.key_ops", "lacks \"verify\""],
        ),
        (
            keyed(patched(es256(), "use", json!("enc"))),
            &["$.issuers[0].keys[0].jwk.use", "\"sig\""],
        ),
        (
            keyed(patched(es256(), "alg", json!("RS256"))),
            &[
                "$.issuers[0].keys[0].jwk.alg",
                "does not fit a P-256 key",
                "ES256",
            ],
        ),
        (
            keyed(rsa()),
            &[
                "$.issuers[0].keys[0].jwk:",
                "none of the issuer's algorithms [\"ES256\"]",
            ],
        ),
        (
            keyed(patched(es256(), "alg", json!("ES384"))),
            &["$.issuers[0].keys[0].jwk.alg", "does not fit"],
        ),
        (
            base(
                json!({"publishers": [{"kid": "p", "jwk": patched(generated_jwk(Algorithm::EdDSA), "key_ops", json!(["encrypt"]))}]}),
            ),
            &["$.publishers[0].jwk.key_ops"],
        ),
    ];
    for (policy, needles) in cases.into_iter().chain(cases_for_keys) {
        let errors = validate_errors(&policy);
        for needle in needles {
            assert!(errors.contains(needle), "expected {needle:?} in:\n{errors}");
        }
    }
    // Every problem at once, not just the first.
    let errors = validate_errors(&base(
        json!({"revision": -1, "clients": [{"id": "", "status": "x"}]}),
    ));
    assert!(errors.contains("3 problem(s)"), "{errors}");
    // Not JSON at all: the line and column.
    let p = write("broken.json", &json!(null));
    std::fs::write(&p, "{\"schema\": ").expect("write");
    let out = authz(&["validate", p.to_str().unwrap_or_default()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("line 1"));
}

#[test]
fn decide_and_explain_print_the_decision() {
    let case: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("conformance/062-token-lacks-scope.json"))
            .expect("case"),
    )
    .expect("json");
    let event = write("event.json", &case["event"]);
    let policy = repo().join("conformance/policy.json");
    let args = [
        "--policy",
        policy.to_str().unwrap_or_default(),
        "--api-id",
        "orders",
        "--event",
        event.to_str().unwrap_or_default(),
        "--now",
        "1795000000",
    ];
    let out = authz(&[&["decide"], &args[..]].concat());
    let decision: Value =
        serde_json::from_slice(&out.stdout).expect("decide prints one JSON object");
    assert_eq!(decision["effect"], "deny");
    assert_eq!(decision["reason"], "insufficient_scope");
    assert_eq!(decision["principal"], "mobile-app");
    assert_eq!(decision["response"]["isAuthorized"], false);
    let out = authz(&[&["explain"], &args[..]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    for step in [
        "route",
        "signature",
        "insufficient_scope",
        "=> Deny (insufficient_scope)",
    ] {
        assert!(text.contains(step), "explain lacks {step}:\n{text}");
    }
    assert!(
        !text.contains(
            case["event"]["headers"]["authorization"]
                .as_str()
                .unwrap_or("-")
                .trim_start_matches("Bearer ")
        ),
        "explain never prints the token"
    );
}

#[test]
fn conformance_fails_and_names_a_failing_case() {
    let mut case: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("conformance/021-public-route.json")).expect("case"),
    )
    .expect("json");
    case["expect"]["reason"] = json!("ok");
    case["policy_file"] = json!(repo().join("conformance/policy.json"));
    let dir = std::env::temp_dir().join(format!("authz-cli-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("wrong.json"), case.to_string()).expect("write");
    let out = authz(&["conformance", dir.to_str().unwrap_or_default()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("FAIL") && text.contains("wrong.json") && text.contains("0 passed, 1 failed"),
        "{text}"
    );
}

fn generated_jwk(alg: Algorithm) -> Value {
    SigningKey::generate("k", alg)
        .expect("key")
        .public_jwk()
        .clone()
}

fn flip_last_bit(b64: &Value) -> String {
    let mut bytes = URL_SAFE_NO_PAD
        .decode(b64.as_str().unwrap_or_default())
        .expect("b64");
    if let Some(last) = bytes.last_mut() {
        *last ^= 1;
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A 2048-bit modulus with the ROCA fingerprint: `65537^97 + M·2^s`, M the product of the
/// 38 primes of the fingerprint test, so that `n mod p` is a power of 65537 for each, as for
/// every modulus of the vulnerable Infineon library (CVE-2017-15361).
fn roca_shaped_modulus() -> String {
    // Little-endian base-2^32 limbs; only multiplication by small numbers and addition.
    fn mul(n: &mut Vec<u64>, m: u64) {
        let mut carry = 0;
        for limb in n.iter_mut() {
            let v = *limb * m + carry;
            *limb = v & 0xffff_ffff;
            carry = v >> 32;
        }
        if carry > 0 {
            n.push(carry);
        }
    }
    let primes = [
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ];
    let bits = |n: &Vec<u64>| (n.len() - 1) * 32 + (64 - n[n.len() - 1].leading_zeros() as usize);
    let mut high = vec![1u64];
    for p in primes {
        mul(&mut high, p);
    }
    while bits(&high) < 2048 {
        mul(&mut high, 2);
    }
    let mut low = vec![1u64];
    for _ in 0..97 {
        mul(&mut low, 65537);
    }
    let mut carry = 0;
    for (i, limb) in high.iter_mut().enumerate() {
        let v = *limb + low.get(i).copied().unwrap_or(0) + carry;
        *limb = v & 0xffff_ffff;
        carry = v >> 32;
    }
    assert_eq!((carry, bits(&high)), (0, 2048));
    let be: Vec<u8> = high
        .iter()
        .rev()
        .flat_map(|l| (*l as u32).to_be_bytes())
        .collect();
    URL_SAFE_NO_PAD.encode(be)
}

/// A policy whose only key is declared for encryption (`key_ops: ["encrypt"]`), and a token
/// signed with that key's private half.
fn encrypt_only_policy_and_token() -> (Value, String) {
    let key = SigningKey::generate("enc", Algorithm::ES256).expect("key");
    let mut jwk = key.public_jwk().clone();
    jwk["key_ops"] = json!(["encrypt"]);
    let policy = json!({"schema": "gateway-policy/v1", "revision": 3,
        "issuers": [{"id": "idp", "issuer": "https://idp", "audiences": ["api"], "algorithms": ["ES256"],
            "keys": [{"kid": "enc", "status": "active", "jwk": jwk}]}],
        "clients": [{"id": "app", "status": "active", "scopes": ["read"]}],
        "apis": [{"id": "orders", "routes": [{"route": "GET /orders", "scopes": ["read"]}]}]});
    let token = key
        .sign(
            &json!({"iss": "https://idp", "aud": "api", "exp": 1_900_000_000i64, "client_id": "app", "scope": "read"}),
            &json!({}),
        )
        .expect("sign");
    (policy, token)
}

// A key that may not verify (`key_ops` without "verify") is refused, and with it the whole
// policy, as for any invalid part: the authorizer then decides with no policy and denies
// everything (`no_policy`), so a token signed with that key never opens a route.
#[test]
fn a_token_signed_with_an_encrypt_only_key_is_not_allowed() {
    let (policy, token) = encrypt_only_policy_and_token();
    let errors = validate_errors(&policy);
    assert!(
        errors.contains("$.issuers[0].keys[0].jwk.key_ops"),
        "{errors}"
    );
    let event = json!({"type": "REQUEST", "version": "2.0", "routeKey": "GET /orders", "rawPath": "/orders",
        "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/orders",
        "headers": {"authorization": format!("Bearer {token}")},
        "requestContext": {"http": {"method": "GET", "path": "/orders"}}});
    let out = authz(&[
        "decide",
        "--policy",
        write("encrypt-only.json", &policy)
            .to_str()
            .unwrap_or_default(),
        "--api-id",
        "orders",
        "--event",
        write("encrypt-only-event.json", &event)
            .to_str()
            .unwrap_or_default(),
        "--now",
        "1795000000",
    ]);
    let decision: Value = serde_json::from_slice(&out.stdout).expect("decide prints JSON");
    assert_eq!(
        (&decision["effect"], &decision["reason"]),
        (&json!("deny"), &json!("no_policy")),
        "{decision}"
    );
    assert_eq!(decision["response"]["isAuthorized"], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid policy") && stderr.contains("jwk.key_ops"),
        "{stderr}"
    );
    // The same key with `key_ops: ["verify"]` allows the token: the refusal is the key's.
    let mut fixed = policy.clone();
    fixed["issuers"][0]["keys"][0]["jwk"]["key_ops"] = json!(["verify"]);
    let view = authorizer::load_policy(&fixed.to_string()).expect("valid policy");
    let outcome = authorizer::handle_event(
        Some(&view),
        "orders",
        &event.to_string(),
        1_795_000_000,
        authorizer::Served::default(),
    );
    assert_eq!(outcome.decision.reason, authorizer::Reason::Ok);
}
