//! Public keys from JWKs: turns a policy's `jwk` objects into keys `jsonwebtoken` can verify
//! with, refusing anything that is not an asymmetric signing key we support.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

/// What kind of public key a JWK holds; decides which algorithms it can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyFamily {
    /// Whether a token signed with `alg` can be verified by a key of this family.
    pub fn fits(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        matches!(
            (self, alg),
            (
                KeyFamily::Rsa,
                RS256 | RS384 | RS512 | PS256 | PS384 | PS512
            ) | (KeyFamily::P256, ES256)
                | (KeyFamily::P384, ES384)
                | (KeyFamily::Ed25519, EdDSA)
        )
    }
}

/// A verified-usable public key.
#[derive(Clone)]
pub struct PublicKey {
    pub family: KeyFamily,
    /// The JWK's own `alg`, when it pins one.
    pub alg: Option<Algorithm>,
    pub key: DecodingKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("family", &self.family)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl PublicKey {
    /// Whether this key may verify a token signed with `alg`.
    pub fn accepts(&self, alg: Algorithm) -> bool {
        self.family.fits(alg) && self.alg.is_none_or(|pinned| pinned == alg)
    }
}

/// The algorithms a policy may allow. HMAC and `none` are never among them: shared secrets
/// never travel in a policy.
pub const SUPPORTED_ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// Parses an algorithm name from a policy or a token header; `None` for anything we do not
/// accept (HMAC, `none`, ES512, unknown names).
pub fn supported_algorithm(name: &str) -> Option<Algorithm> {
    if !SUPPORTED_ALGORITHMS.contains(&name) {
        return None;
    }
    name.parse().ok()
}

/// Minimum RSA modulus size accepted in a policy.
const MIN_RSA_BITS: usize = 2048;

fn b64_field<'a>(jwk: &'a Value, field: &str) -> Result<(&'a str, Vec<u8>), String> {
    let text = jwk
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{field}` is missing; it must be a base64url string"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| format!("`{field}` is not valid base64url (RFC 7515, no padding)"))?;
    Ok((text, bytes))
}

/// Parses a JWK into a public key, or says what is wrong with it.
pub fn parse_jwk(jwk: &Value) -> Result<PublicKey, String> {
    let obj = jwk
        .as_object()
        .ok_or("must be a JWK object, e.g. {\"kty\":\"RSA\",\"n\":\"...\",\"e\":\"AQAB\"}")?;
    if obj.contains_key("d") || obj.contains_key("p") || obj.contains_key("k") {
        return Err(
            "holds private or secret key material (`d`, `p` or `k`); publish only the public key"
                .into(),
        );
    }
    if let Some(use_) = obj.get("use") {
        if use_ != "sig" {
            return Err(format!(
                "`use` is {use_}; a verification key must have `use` \"sig\" or none"
            ));
        }
    }
    let alg = match obj.get("alg") {
        None => None,
        Some(Value::String(name)) => Some(supported_algorithm(name).ok_or_else(|| {
            format!(
                "`alg` \"{name}\" is not supported; use one of {}",
                SUPPORTED_ALGORITHMS.join(", ")
            )
        })?),
        Some(_) => return Err("`alg` must be a string".into()),
    };
    let kty = obj
        .get("kty")
        .and_then(Value::as_str)
        .ok_or("`kty` is missing; use \"RSA\", \"EC\" or \"OKP\"")?;
    let (family, key) = match kty {
        "RSA" => {
            let (n, n_bytes) = b64_field(jwk, "n")?;
            let (e, e_bytes) = b64_field(jwk, "e")?;
            let significant = n_bytes.iter().skip_while(|b| **b == 0).count();
            if significant * 8 < MIN_RSA_BITS {
                return Err(format!(
                    "RSA modulus `n` has {} bits; at least {MIN_RSA_BITS} are required",
                    significant * 8
                ));
            }
            if e_bytes.is_empty() || e_bytes.len() > 8 {
                return Err("RSA exponent `e` is out of range; it is usually \"AQAB\"".into());
            }
            let key = DecodingKey::from_rsa_components(n, e)
                .map_err(|err| format!("RSA key is not usable: {err}"))?;
            (KeyFamily::Rsa, key)
        }
        "EC" => {
            let crv = obj.get("crv").and_then(Value::as_str).unwrap_or_default();
            let (family, len) = match crv {
                "P-256" => (KeyFamily::P256, 32),
                "P-384" => (KeyFamily::P384, 48),
                other => {
                    return Err(format!(
                        "EC curve `crv` \"{other}\" is not supported; use \"P-256\" or \"P-384\""
                    ))
                }
            };
            let (x, x_bytes) = b64_field(jwk, "x")?;
            let (y, y_bytes) = b64_field(jwk, "y")?;
            if x_bytes.len() != len || y_bytes.len() != len {
                return Err(format!(
                    "EC coordinates `x` and `y` must be {len} bytes each for {crv}"
                ));
            }
            let key = DecodingKey::from_ec_components(x, y)
                .map_err(|err| format!("EC key is not usable: {err}"))?;
            (family, key)
        }
        "OKP" => {
            let crv = obj.get("crv").and_then(Value::as_str).unwrap_or_default();
            if crv != "Ed25519" {
                return Err(format!(
                    "OKP curve `crv` \"{crv}\" is not supported; use \"Ed25519\""
                ));
            }
            let (x, x_bytes) = b64_field(jwk, "x")?;
            if x_bytes.len() != 32 {
                return Err("Ed25519 public key `x` must be 32 bytes".into());
            }
            let key = DecodingKey::from_ed_components(x)
                .map_err(|err| format!("Ed25519 key is not usable: {err}"))?;
            (KeyFamily::Ed25519, key)
        }
        "oct" => return Err(
            "`kty` \"oct\" is a shared secret; only asymmetric keys (RSA, EC, OKP) are accepted"
                .into(),
        ),
        other => {
            return Err(format!(
                "`kty` \"{other}\" is not supported; use \"RSA\", \"EC\" or \"OKP\""
            ))
        }
    };
    let parsed = PublicKey { family, alg, key };
    if let Some(pinned) = alg {
        if !family.fits(pinned) {
            return Err(format!("`alg` {pinned:?} does not fit a {kty} key"));
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refuses_secret_and_unknown_keys() {
        assert!(parse_jwk(&json!({"kty":"oct","k":"c2VjcmV0"})).is_err());
        assert!(
            parse_jwk(&json!({"kty":"EC","crv":"P-521","x":"AA","y":"AA"}))
                .unwrap_err()
                .contains("P-521")
        );
        assert!(parse_jwk(&json!("not an object")).is_err());
        assert!(parse_jwk(&json!({"kty":"RSA","n":"AQAB","e":"AQAB"}))
            .unwrap_err()
            .contains("bits"));
    }

    #[test]
    fn algorithm_names() {
        assert!(supported_algorithm("RS256").is_some());
        assert!(supported_algorithm("HS256").is_none());
        assert!(supported_algorithm("none").is_none());
        assert!(supported_algorithm("ES512").is_none());
        assert!(KeyFamily::P256.fits(Algorithm::ES256));
        assert!(!KeyFamily::P256.fits(Algorithm::ES384));
        assert!(!KeyFamily::Rsa.fits(Algorithm::HS256));
    }
}
