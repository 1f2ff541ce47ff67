//! What the fuzz targets share: the policies they decide against and the checks that do
//! not trust the code under test: a signature check written straight on AWS-LC from the
//! policy's JWK members (not `keys.rs`, not jsonwebtoken), and an IAM resource matcher.

use std::sync::OnceLock;

use authorizer::policy::{load_policy, PolicyView};
use authorizer::signing::SigningKey;
use aws_lc_rs::signature::{
    RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_FIXED,
    ECDSA_P384_SHA384_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_2048_8192_SHA512, RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384,
    RSA_PSS_2048_8192_SHA512,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

/// The `now` of every conformance case, so the committed tokens are inside their window.
pub const NOW: i64 = 1_795_000_000;

/// The conformance policy: public JWKs only, and every conformance case's token verifies
/// with one of them, so the committed seeds reach the paths after the signature check.
pub const CONFORMANCE_POLICY: &str = include_str!("../../../conformance/policy.json");

pub fn conformance_policy() -> &'static (Value, PolicyView) {
    static POLICY: OnceLock<(Value, PolicyView)> = OnceLock::new();
    POLICY.get_or_init(|| {
        let value: Value = serde_json::from_str(CONFORMANCE_POLICY).expect("conformance policy");
        let view = load_policy(CONFORMANCE_POLICY).expect("conformance policy is valid");
        (value, view)
    })
}

/// Keys generated when a target starts (their private halves never leave the process) and
/// a policy trusting their public halves: the harness signs what the fuzzer writes, so
/// mutations start from tokens and events that verify.
pub struct Generated {
    pub token_keys: Vec<SigningKey>,
    pub publisher: SigningKey,
    pub policy: Value,
}

pub fn generated() -> &'static Generated {
    static KEYS: OnceLock<Generated> = OnceLock::new();
    KEYS.get_or_init(|| {
        let token_keys: Vec<SigningKey> = [
            ("rs", Algorithm::RS256),
            ("ps", Algorithm::PS256),
            ("es", Algorithm::ES256),
            ("es384", Algorithm::ES384),
            ("ed", Algorithm::EdDSA),
        ]
        .into_iter()
        .map(|(kid, alg)| SigningKey::generate(kid, alg).expect("generate key"))
        .collect();
        let publisher = SigningKey::generate("portal-1", Algorithm::EdDSA).expect("publisher");
        let keys: Vec<Value> = token_keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                // One revoked key: a token it signed must never be allowed.
                let status = if i == 1 { "revoked" } else { "active" };
                json!({"kid": k.kid, "status": status, "jwk": k.public_jwk()})
            })
            .collect();
        let policy = json!({"schema": "gateway-policy/v1", "revision": 7,
            "issuers": [{"id": "idp", "issuer": "https://idp", "audiences": ["api"],
                "algorithms": ["RS256", "PS256", "ES256", "ES384", "EdDSA"], "keys": keys}],
            "clients": [{"id": "app", "status": "active", "scopes": ["read", "write"]},
                        {"id": "old", "status": "suspended", "scopes": ["read"]}],
            "apis": [{"id": "orders", "routes": [
                {"route": "GET /orders", "scopes": ["read"]},
                {"route": "POST /orders/{id}", "scopes": ["write"]},
                {"route": "GET /health", "public": true}]}],
            "publishers": [{"kid": publisher.kid, "jwk": publisher.public_jwk()}]});
        Generated {
            token_keys,
            publisher,
            policy,
        }
    })
}

fn b64(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment).ok()
}

fn verifier(alg: &str) -> Option<&'static dyn VerificationAlgorithm> {
    let algorithm: &'static dyn VerificationAlgorithm = match alg {
        "RS256" => &RSA_PKCS1_2048_8192_SHA256,
        "RS384" => &RSA_PKCS1_2048_8192_SHA384,
        "RS512" => &RSA_PKCS1_2048_8192_SHA512,
        "PS256" => &RSA_PSS_2048_8192_SHA256,
        "PS384" => &RSA_PSS_2048_8192_SHA384,
        "PS512" => &RSA_PSS_2048_8192_SHA512,
        "ES256" => &ECDSA_P256_SHA256_FIXED,
        "ES384" => &ECDSA_P384_SHA384_FIXED,
        "EdDSA" => &ED25519,
        _ => return None,
    };
    Some(algorithm)
}

/// Whether `signature` over `message` verifies with `jwk` under `alg`, read straight from
/// the JWK's members.
pub fn jwk_verifies(jwk: &Value, alg: &str, message: &[u8], signature: &[u8]) -> bool {
    let Some(algorithm) = verifier(alg) else {
        return false;
    };
    let member = |name: &str| jwk.get(name).and_then(Value::as_str).and_then(b64);
    match (jwk.get("kty").and_then(Value::as_str), alg.as_bytes()[0]) {
        (Some("RSA"), b'R' | b'P') => {
            let (Some(n), Some(e)) = (member("n"), member("e")) else {
                return false;
            };
            let params = match alg {
                "RS256" => &RSA_PKCS1_2048_8192_SHA256,
                "RS384" => &RSA_PKCS1_2048_8192_SHA384,
                "RS512" => &RSA_PKCS1_2048_8192_SHA512,
                "PS256" => &RSA_PSS_2048_8192_SHA256,
                "PS384" => &RSA_PSS_2048_8192_SHA384,
                _ => &RSA_PSS_2048_8192_SHA512,
            };
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(params, message, signature)
                .is_ok()
        }
        (Some("EC"), b'E') => {
            let crv_fits = matches!(
                (jwk.get("crv").and_then(Value::as_str), alg),
                (Some("P-256"), "ES256") | (Some("P-384"), "ES384")
            );
            let (Some(x), Some(y)) = (member("x"), member("y")) else {
                return false;
            };
            let mut point = vec![4];
            point.extend(x);
            point.extend(y);
            crv_fits
                && UnparsedPublicKey::new(algorithm, point)
                    .verify(message, signature)
                    .is_ok()
        }
        (Some("OKP"), b'E') if alg == "EdDSA" => member("x").is_some_and(|x| {
            UnparsedPublicKey::new(algorithm, x)
                .verify(message, signature)
                .is_ok()
        }),
        _ => false,
    }
}

/// Whether `token` is a compact JWS whose signature verifies with a key of `policy` that may
/// sign it: a non-revoked key of the issuer its `iss` names, with an algorithm that issuer
/// allows. Decided from the policy JSON, independently of the authorizer's own checks.
pub fn token_verifies_with_policy_key(token: &str, policy: &Value) -> bool {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Some(header), Some(payload), Some(signature)) = (b64(h), b64(p), b64(s)) else {
        return false;
    };
    let (Ok(header), Ok(payload)) = (
        serde_json::from_slice::<Value>(&header),
        serde_json::from_slice::<Value>(&payload),
    ) else {
        return false;
    };
    let (Some(alg), Some(iss)) = (
        header.get("alg").and_then(Value::as_str),
        payload.get("iss").and_then(Value::as_str),
    ) else {
        return false;
    };
    let message = &token.as_bytes()[..h.len() + 1 + p.len()];
    let issuers = policy["issuers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    issuers
        .iter()
        .filter(|i| i["issuer"] == iss)
        .filter(|i| {
            i["algorithms"]
                .as_array()
                .is_some_and(|algs| algs.iter().any(|a| a == alg))
        })
        .flat_map(|i| i["keys"].as_array().map(Vec::as_slice).unwrap_or(&[]))
        .filter(|k| k["status"] != "revoked")
        .any(|k| jwk_verifies(&k["jwk"], alg, message, &signature))
}

/// IAM resource matching as API Gateway applies it to a cached policy: `*` matches any run
/// of characters (none, and `/`, included), `?` exactly one; everything else literally.
pub fn iam_matches(pattern: &str, resource: &str) -> bool {
    let (p, r) = (pattern.as_bytes(), resource.as_bytes());
    // Dynamic programming over (pattern prefix, resource prefix): no backtracking blow-up.
    let mut row = vec![false; r.len() + 1];
    row[0] = true;
    for &c in p {
        let mut next = vec![false; r.len() + 1];
        if c == b'*' {
            let mut any = false;
            for j in 0..=r.len() {
                any |= row[j];
                next[j] = any;
            }
        } else {
            for j in 1..=r.len() {
                next[j] = row[j - 1] && (c == b'?' || c == r[j - 1]);
            }
        }
        row = next;
    }
    row[r.len()]
}

/// What an IAM policy document from an authorizer response says about `resource` for
/// `execute-api:Invoke`: allowed only when some Allow matches and no Deny does.
pub fn iam_allows(policy_document: &Value, resource: &str) -> bool {
    let statements = policy_document
        .get("Statement")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let matching = |effect: &str| {
        statements.iter().any(|s| {
            s.get("Effect").and_then(Value::as_str) == Some(effect)
                && as_list(s.get("Action"))
                    .iter()
                    .any(|a| iam_matches(a, "execute-api:Invoke"))
                && as_list(s.get("Resource"))
                    .iter()
                    .any(|p| iam_matches(p, resource))
        })
    };
    matching("Allow") && !matching("Deny")
}

fn as_list(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_matcher() {
        assert!(iam_matches("a/*", "a/"));
        assert!(iam_matches("a/*", "a/b/c"));
        assert!(iam_matches("a/?", "a/b"));
        assert!(!iam_matches("a/?", "a/"));
        assert!(!iam_matches("a/b", "a/bc"));
        assert!(iam_matches("*", ""));
    }

    #[test]
    fn the_independent_check_accepts_what_a_policy_key_signed() {
        let g = generated();
        for key in &g.token_keys {
            let token = key
                .sign(&json!({"iss": "https://idp"}), &json!({}))
                .expect("sign");
            let revoked = key.kid == "ps";
            assert_eq!(
                token_verifies_with_policy_key(&token, &g.policy),
                !revoked,
                "{}",
                key.kid
            );
            let other = key
                .sign(&json!({"iss": "https://elsewhere"}), &json!({}))
                .expect("sign");
            assert!(!token_verifies_with_policy_key(&other, &g.policy));
        }
    }
}

/// The generated policy, loaded.
pub fn generated_view() -> &'static PolicyView {
    static VIEW: OnceLock<PolicyView> = OnceLock::new();
    VIEW.get_or_init(|| {
        load_policy(&generated().policy.to_string()).expect("generated policy is valid")
    })
}

/// Overwrites bytes of `text` as `mutations` say (3 bytes each: position high, low, value),
/// so a harness-signed token or event can be damaged after signing.
pub fn mutate(text: &str, mutations: &[u8]) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.is_empty() {
        return None;
    }
    for m in mutations.chunks_exact(3) {
        let at = usize::from(u16::from_be_bytes([m[0], m[1]])) % bytes.len();
        bytes[at] = m[2];
    }
    String::from_utf8(bytes).ok()
}
