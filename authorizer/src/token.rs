//! Bearer-token verification: the token checks of the decision, in the order the reason-code
//! table of `conformance/README.md` fixes (structure, issuer, algorithm, key, signature,
//! time, audience).
//!
//! Keys come only from the policy: `jku`, `x5u`, `x5c` and an embedded `jwk` are never used
//! to find a key. Claims are read once; signature checking is `jsonwebtoken`'s.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use std::sync::Arc;

use crate::keys::supported_algorithm;
use crate::policy::{Issuer, KeyStatus, PolicyView};
use crate::reason::{note, Reason, Trace};
use crate::token_cache::VerifiedParts;

/// Tokens longer than this are refused before anything is decoded.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A token whose signature, time window and audience have been checked.
#[derive(Debug)]
pub struct VerifiedToken<'v> {
    pub issuer: &'v Issuer,
    pub claims: Arc<Map<String, Value>>,
    pub alg: Algorithm,
    pub kid: String,
}

fn is_b64url(segment: &str) -> bool {
    segment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn decode_json<T: serde::de::DeserializeOwned>(segment: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Verifies `token` against the policy at time `now` (Unix seconds).
pub fn verify<'v>(
    token: &str,
    view: &'v PolicyView,
    now: i64,
    mut trace: Option<&mut Trace>,
) -> Result<VerifiedToken<'v>, Reason> {
    // A token verified before skips the structure and (while its key is unchanged) the
    // signature; every other check runs again. Not when tracing, so that `authz explain`
    // shows each check as made.
    if trace.is_none() {
        if let Some(hit) = view.token_cache().and_then(|c| c.get(token)) {
            return check(
                &hit.alg,
                &hit.kid,
                hit.claims.clone(),
                view,
                now,
                None,
                Signature::Verified {
                    token,
                    fingerprint: hit.key_fingerprint,
                },
            );
        }
    }
    // Structure: size first, then exactly three base64url segments, a JSON header and a
    // JSON object payload; `crit` names extensions we do not implement, so any is refused.
    if token.len() > MAX_TOKEN_BYTES {
        note(
            &mut trace,
            "malformed_token",
            format!(
                "token is {} bytes, over the {MAX_TOKEN_BYTES}-byte limit",
                token.len()
            ),
        );
        return Err(Reason::MalformedToken);
    }
    let mut parts = token.splitn(4, '.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        note(
            &mut trace,
            "malformed_token",
            "not three dot-separated segments (a compact JWS)".into(),
        );
        return Err(Reason::MalformedToken);
    };
    // An empty signature is still a decodable JWS (the unsecured `alg: none` form); the
    // algorithm check refuses it.
    if h64.is_empty() || p64.is_empty() || !is_b64url(h64) || !is_b64url(p64) || !is_b64url(s64) {
        note(
            &mut trace,
            "malformed_token",
            "header or payload is empty, or a segment is not base64url".into(),
        );
        return Err(Reason::MalformedToken);
    }
    let (Some(header), Some(claims)) = (
        decode_json::<Map<String, Value>>(h64),
        decode_json::<Map<String, Value>>(p64),
    ) else {
        note(
            &mut trace,
            "malformed_token",
            "header or payload is not a JSON object".into(),
        );
        return Err(Reason::MalformedToken);
    };
    // Any `crit` member, even null or empty, names extensions we do not implement.
    if header.contains_key("crit") {
        note(
            &mut trace,
            "malformed_token",
            "header has `crit`; no critical extensions are implemented".into(),
        );
        return Err(Reason::MalformedToken);
    }
    let Some(Value::String(alg_name)) = header.get("alg").cloned() else {
        note(
            &mut trace,
            "malformed_token",
            "header has no `alg` string".into(),
        );
        return Err(Reason::MalformedToken);
    };
    note(
        &mut trace,
        "structure",
        "compact JWS with JSON header and payload".into(),
    );
    let kid = match header.get("kid") {
        Some(Value::String(kid)) => kid.as_str(),
        _ => "",
    };
    let claims = Arc::new(claims);
    let verified = check(
        &alg_name,
        kid,
        claims.clone(),
        view,
        now,
        trace,
        Signature::Check {
            signature: s64,
            message: &token.as_bytes()[..h64.len() + 1 + p64.len()],
        },
    )?;
    if let Some(cache) = view.token_cache() {
        if let Some(key) = verified.issuer.keys.get(kid) {
            cache.insert(
                token,
                p64.len() * 3 / 4,
                VerifiedParts {
                    alg: alg_name,
                    kid: kid.to_string(),
                    claims,
                    issuer_id: verified.issuer.doc.id.clone(),
                    key_fingerprint: key.public.fingerprint,
                },
            );
        }
    }
    Ok(verified)
}

/// How the signature step is satisfied.
enum Signature<'t> {
    /// Verify `signature` over `message` (the JWS signing input).
    Check {
        signature: &'t str,
        message: &'t [u8],
    },
    /// `token` verified before with the key of this fingerprint; verified again only if
    /// the view's key is another one.
    Verified {
        token: &'t str,
        fingerprint: [u8; 32],
    },
}

/// The checks after the structure, in the reason-code order: issuer, algorithm, key,
/// signature, time, audience.
fn check<'v>(
    alg_name: &str,
    kid: &str,
    claims: Arc<Map<String, Value>>,
    view: &'v PolicyView,
    now: i64,
    mut trace: Option<&mut Trace>,
    signature: Signature<'_>,
) -> Result<VerifiedToken<'v>, Reason> {
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(issuer) = view.issuer_by_url(iss) else {
        note(
            &mut trace,
            "unknown_issuer",
            format!("`iss` {:?} names no issuer in the policy", iss),
        );
        return Err(Reason::UnknownIssuer);
    };
    note(
        &mut trace,
        "issuer",
        format!("issuer \"{}\"", issuer.doc.id),
    );

    let alg = match supported_algorithm(alg_name) {
        Some(alg) if issuer.algorithms.contains(&alg) => alg,
        _ => {
            note(
                &mut trace,
                "disallowed_algorithm",
                format!(
                    "`alg` \"{alg_name}\" is not in the issuer's allow-list {:?}",
                    issuer.doc.algorithms
                ),
            );
            return Err(Reason::DisallowedAlgorithm);
        }
    };
    note(&mut trace, "algorithm", format!("{alg_name} is allowed"));

    let Some(key) = issuer.keys.get(kid) else {
        note(
            &mut trace,
            "unknown_key",
            format!("`kid` {kid:?} names no key of issuer \"{}\"", issuer.doc.id),
        );
        return Err(Reason::UnknownKey);
    };
    if key.status == KeyStatus::Revoked {
        note(
            &mut trace,
            "revoked_key",
            format!("key \"{kid}\" is revoked"),
        );
        return Err(Reason::RevokedKey);
    }
    note(
        &mut trace,
        "key",
        format!("key \"{kid}\" is {:?}", key.status).to_lowercase(),
    );

    let verifies = |signature: &str, message: &[u8]| {
        jsonwebtoken::crypto::verify(signature, message, &key.public.key, alg).unwrap_or(false)
    };
    let valid = key.public.accepts(alg)
        && match signature {
            Signature::Check { signature, message } => verifies(signature, message),
            Signature::Verified { fingerprint, .. } if fingerprint == key.public.fingerprint => {
                true
            }
            Signature::Verified { token, .. } => token
                .rsplit_once('.')
                .is_some_and(|(message, signature)| verifies(signature, message.as_bytes())),
        };
    if !valid {
        note(
            &mut trace,
            "bad_signature",
            format!("signature does not verify with key \"{kid}\" and {alg_name}"),
        );
        return Err(Reason::BadSignature);
    }
    note(&mut trace, "signature", "verifies".into());

    let leeway = issuer.doc.leeway_seconds as f64;
    let now_f = now as f64;
    // `exp` must be a number: a string or missing `exp` is an expired token, never "no expiry".
    match claims.get("exp").and_then(Value::as_f64) {
        Some(exp) if exp + leeway >= now_f => note(
            &mut trace,
            "expiry",
            format!("exp {exp} is not past now {now} (leeway {leeway}s)"),
        ),
        Some(exp) => {
            note(
                &mut trace,
                "expired",
                format!("exp {exp} is past now {now} beyond the {leeway}s leeway"),
            );
            return Err(Reason::Expired);
        }
        None => {
            note(
                &mut trace,
                "expired",
                "`exp` is missing or not a number".into(),
            );
            return Err(Reason::Expired);
        }
    }
    match claims.get("nbf") {
        None => {}
        Some(nbf) => match nbf.as_f64() {
            Some(nbf) if nbf - leeway <= now_f => note(
                &mut trace,
                "not_before",
                format!("nbf {nbf} is not after now"),
            ),
            _ => {
                note(
                    &mut trace,
                    "not_yet_valid",
                    format!("nbf {nbf} is after now {now} beyond the {leeway}s leeway"),
                );
                return Err(Reason::NotYetValid);
            }
        },
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => issuer.audiences.contains(aud),
        Some(Value::Array(auds)) => auds
            .iter()
            .filter_map(Value::as_str)
            .any(|a| issuer.audiences.contains(a)),
        _ => false,
    };
    if !audience_ok {
        note(
            &mut trace,
            "wrong_audience",
            format!(
                "`aud` {} is not among {:?}",
                claims.get("aud").unwrap_or(&Value::Null),
                issuer.doc.audiences
            ),
        );
        return Err(Reason::WrongAudience);
    }
    note(&mut trace, "audience", "matches".into());
    Ok(VerifiedToken {
        issuer,
        claims,
        alg,
        kid: kid.to_string(),
    })
}

/// The client named by the token: the first of the issuer's `client_id_claims` present as a string.
pub fn client_id<'t>(token: &'t VerifiedToken<'_>) -> Option<&'t str> {
    token
        .issuer
        .doc
        .client_id_claims
        .iter()
        .find_map(|c| token.claims.get(c).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// The scopes the token carries: `scope` (space-separated) if present, else `scp` (array or
/// space-separated string).
pub fn token_scopes(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(s)) => s.split_ascii_whitespace().collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load_policy_value;
    use crate::signing::SigningKey;
    use jsonwebtoken::Algorithm;
    use serde_json::json;

    #[test]
    fn header_must_be_an_object_without_any_crit() {
        let k = SigningKey::generate("k", Algorithm::ES256).expect("key");
        let view = load_policy_value(&json!({"schema": "gateway-policy/v1", "revision": 1, "issuers": [{"id": "i", "issuer": "https://i",
            "audiences": ["a"], "algorithms": ["ES256"], "keys": [{"kid": "k", "status": "active", "jwk": k.public_jwk()}]}]}))
        .expect("policy");
        let claims = json!({"iss": "https://i", "aud": "a", "exp": 2_000_000_000i64});
        for header in [
            json!({"alg": "ES256", "kid": "k", "crit": null}),
            json!({"alg": "ES256", "kid": "k", "crit": []}),
            json!(["ES256", "k"]),
        ] {
            let t = k.sign_with_header(&header, &claims).expect("sign");
            assert_eq!(
                verify(&t, &view, 1_795_000_000, None).err(),
                Some(Reason::MalformedToken),
                "{header}"
            );
        }
        let ok = k
            .sign_with_header(&json!({"alg": "ES256", "kid": "k"}), &claims)
            .expect("sign");
        assert!(verify(&ok, &view, 1_795_000_000, None).is_ok());
    }
}
