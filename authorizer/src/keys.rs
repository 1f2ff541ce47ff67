//! Public keys from JWKs: turns a policy's `jwk` objects into keys `jsonwebtoken` can verify
//! with. Refused at load, each with the JWK member at fault and the fix: anything that is
//! not an asymmetric signing key we support, a key declared for something other than
//! signatures (`use`, `key_ops`), and a key that could never verify a token or must not be
//! trusted to (an RSA exponent of 1 or an even one, an EC point off its curve, an RSA
//! modulus with the ROCA fingerprint).

use aws_lc_rs::signature::{ParsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

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
    /// SHA-256 of the family and the decoded key material: equal fingerprints mean the same
    /// key, so a signature verified with one verifies with the other.
    pub fingerprint: [u8; 32],
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

/// Smallest RSA modulus accepted (NIST SP 800-131A: below 2048 bits is disallowed).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted: the most AWS-LC verifies, and a bound on the cost an
/// oversized key could add to every verification.
pub const MAX_RSA_BITS: usize = 8192;
/// Largest RSA public exponent accepted, in bits. Real keys use 65537 (17 bits) or 3;
/// anything above 32 bits only slows every verification (and AWS-LC refuses over 33).
pub const MAX_RSA_EXPONENT_BITS: u32 = 32;

/// JWK members that hold private or secret key material (RFC 7518 §6.3.2, §6.2.2, §6.4).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// `key_ops` values (RFC 7517 §4.3) a verification key may carry: `verify`, and `sign`,
/// which tools copy from the key pair and which a public key cannot do anyway.
const SIGNATURE_OPS: &[&str] = &["verify", "sign"];

/// Why a JWK cannot be a verification key in a policy. Each names the JWK member at fault
/// ([`KeyError::member`]) and says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("must be a JWK object, e.g. {{\"kty\":\"RSA\",\"n\":\"...\",\"e\":\"AQAB\"}}")]
    NotAnObject,
    #[error("holds private or secret key material (`{member}`); publish only the public key")]
    PrivateMaterial { member: &'static str },
    #[error("`use` is {found}; a verification key must have `use` \"sig\" or none")]
    NotForSignatures { found: String },
    #[error("`key_ops` must be an array of distinct strings, found {found}; use [\"verify\"] or leave it out")]
    KeyOpsNotAList { found: String },
    #[error("`key_ops` {found} lacks \"verify\", so the key may not verify tokens; set it to [\"verify\"] or leave it out")]
    KeyOpsLacksVerify { found: String },
    #[error("`key_ops` lists \"{op}\"; a key in the policy only verifies signatures, and one key must not serve another purpose: set it to [\"verify\"]")]
    KeyOpsNotForSignatures { op: String },
    #[error("`alg` must be a string, found {found}")]
    AlgNotAString { found: String },
    #[error("`alg` \"{name}\" is not supported; use one of {}", SUPPORTED_ALGORITHMS.join(", "))]
    AlgUnsupported { name: String },
    #[error("`alg` \"{alg}\" does not fit a {family} key; use {fitting} or leave `alg` out")]
    AlgDoesNotFitKey {
        alg: &'static str,
        family: &'static str,
        fitting: &'static str,
    },
    #[error("`kty` is missing; use \"RSA\", \"EC\" or \"OKP\"")]
    KtyMissing,
    #[error("`kty` \"oct\" is a shared secret; only asymmetric keys (RSA, EC, OKP) are accepted")]
    SharedSecret,
    #[error("`kty` {found} is not supported; use \"RSA\", \"EC\" or \"OKP\"")]
    KtyUnsupported { found: String },
    #[error("`{member}` is missing; it must be a base64url string")]
    MemberMissing { member: &'static str },
    #[error("`{member}` is not valid base64url (RFC 7515, no padding)")]
    NotBase64 { member: &'static str },
    #[error(
        "RSA modulus `n` has {bits} bits; at least {} are required",
        MIN_RSA_BITS
    )]
    RsaModulusTooShort { bits: usize },
    #[error(
        "RSA modulus `n` has {bits} bits; at most {} are accepted",
        MAX_RSA_BITS
    )]
    RsaModulusTooLong { bits: usize },
    #[error("RSA modulus `n` is even, so it is not a product of two odd primes; check that `n` is the key's modulus")]
    RsaModulusEven,
    #[error("RSA modulus `n` has the ROCA fingerprint (CVE-2017-15361): its private key can be computed from it; replace the key with one generated by other software or firmware")]
    RsaRocaFingerprint,
    #[error("RSA exponent `e` is {value}; no signature made with such a key is sound (e must be odd and at least 3): it is usually \"AQAB\" (65537)")]
    RsaExponentUnusable { value: u64 },
    #[error(
        "RSA exponent `e` has more than {} bits; use \"AQAB\" (65537)",
        MAX_RSA_EXPONENT_BITS
    )]
    RsaExponentTooLarge,
    #[error("{kty} curve `crv` {found} is not supported; use {supported}")]
    CurveUnsupported {
        kty: &'static str,
        found: String,
        supported: &'static str,
    },
    #[error("EC coordinate `{member}` is {found} bytes long; {crv} needs {expected} bytes")]
    EcCoordinateLength {
        member: &'static str,
        crv: &'static str,
        found: usize,
        expected: usize,
    },
    #[error("EC point (`x`, `y`) is not on the curve {crv}, so no signature can ever verify with it; copy both coordinates from the issuer's JWKS again")]
    EcPointNotOnCurve { crv: &'static str },
    #[error("Ed25519 public key `x` has {found} bytes; it must be 32")]
    Ed25519Length { found: usize },
    #[error("{kty} key is not usable: {detail}")]
    Unusable { kty: &'static str, detail: String },
}

impl KeyError {
    /// The JWK member the problem is in, when it is in one member; validation reports it as
    /// part of the JSON path (`$.issuers[0].keys[1].jwk.e`).
    pub fn member(&self) -> Option<&'static str> {
        use KeyError::*;
        match self {
            PrivateMaterial { member }
            | MemberMissing { member }
            | NotBase64 { member }
            | EcCoordinateLength { member, .. } => Some(*member),
            NotForSignatures { .. } => Some("use"),
            KeyOpsNotAList { .. } | KeyOpsLacksVerify { .. } | KeyOpsNotForSignatures { .. } => {
                Some("key_ops")
            }
            AlgNotAString { .. } | AlgUnsupported { .. } | AlgDoesNotFitKey { .. } => Some("alg"),
            KtyMissing | SharedSecret | KtyUnsupported { .. } => Some("kty"),
            RsaModulusTooShort { .. }
            | RsaModulusTooLong { .. }
            | RsaModulusEven
            | RsaRocaFingerprint => Some("n"),
            RsaExponentUnusable { .. } | RsaExponentTooLarge => Some("e"),
            CurveUnsupported { .. } => Some("crv"),
            Ed25519Length { .. } => Some("x"),
            NotAnObject | EcPointNotOnCurve { .. } | Unusable { .. } => None,
        }
    }
}

fn b64_member<'a>(
    obj: &'a Map<String, Value>,
    member: &'static str,
) -> Result<(&'a str, Vec<u8>), KeyError> {
    let text = obj
        .get(member)
        .and_then(Value::as_str)
        .ok_or(KeyError::MemberMissing { member })?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| KeyError::NotBase64 { member })?;
    Ok((text, bytes))
}

/// Parses a JWK into a public key, or says what is first wrong with it.
pub fn parse_jwk(jwk: &Value) -> Result<PublicKey, KeyError> {
    check_jwk(jwk).map_err(|mut errors| errors.swap_remove(0))
}

/// Parses a JWK into a public key, or lists every problem found in it (never empty).
/// Members that describe the key (`use`, `key_ops`, `alg`) are checked independently of
/// the key material, so a policy author sees all of them at once.
pub fn check_jwk(jwk: &Value) -> Result<PublicKey, Vec<KeyError>> {
    let Some(obj) = jwk.as_object() else {
        return Err(vec![KeyError::NotAnObject]);
    };
    let mut errors = Vec::new();
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| obj.contains_key(**m)) {
        // Nothing else matters: the key must not be in the policy at all.
        return Err(vec![KeyError::PrivateMaterial { member }]);
    }
    if let Some(use_) = obj.get("use") {
        if use_ != "sig" {
            errors.push(KeyError::NotForSignatures {
                found: use_.to_string(),
            });
        }
    }
    if let Some(ops) = obj.get("key_ops") {
        if let Err(e) = check_key_ops(ops) {
            errors.push(e);
        }
    }
    let alg = match obj.get("alg") {
        None => None,
        Some(Value::String(name)) => match supported_algorithm(name) {
            Some(alg) => Some(alg),
            None => {
                errors.push(KeyError::AlgUnsupported { name: name.clone() });
                None
            }
        },
        Some(other) => {
            errors.push(KeyError::AlgNotAString {
                found: other.to_string(),
            });
            None
        }
    };
    match key_material(obj) {
        Ok((family, key, material)) => {
            if let Some(pinned) = alg.filter(|a| !family.fits(*a)) {
                errors.push(KeyError::AlgDoesNotFitKey {
                    alg: algorithm_name(pinned),
                    family: family_name(family),
                    fitting: fitting_algorithms(family),
                });
            }
            if errors.is_empty() {
                return Ok(PublicKey {
                    family,
                    alg,
                    key,
                    fingerprint: fingerprint(family, &material),
                });
            }
        }
        Err(e) => errors.push(e),
    }
    Err(errors)
}

/// `key_ops`, when present: distinct strings, `verify` among them, nothing but signature
/// operations (RFC 7517 §4.3 forbids duplicates and asks for one purpose per key).
fn check_key_ops(ops: &Value) -> Result<(), KeyError> {
    let not_a_list = || KeyError::KeyOpsNotAList {
        found: ops.to_string(),
    };
    let items = ops.as_array().ok_or_else(not_a_list)?;
    let mut names: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        let name = item.as_str().ok_or_else(not_a_list)?;
        if names.contains(&name) {
            return Err(not_a_list());
        }
        names.push(name);
    }
    if let Some(op) = names.iter().find(|op| !SIGNATURE_OPS.contains(*op)) {
        return Err(KeyError::KeyOpsNotForSignatures {
            op: (*op).to_string(),
        });
    }
    if !names.contains(&"verify") {
        return Err(KeyError::KeyOpsLacksVerify {
            found: ops.to_string(),
        });
    }
    Ok(())
}

/// The decoded key material's components, each length-prefixed, as one byte string.
type Material = Vec<u8>;

fn material(parts: &[&[u8]]) -> Material {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for p in parts {
        out.extend_from_slice(&(p.len() as u64).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

fn fingerprint(family: KeyFamily, material: &[u8]) -> [u8; 32] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(family_name(family).as_bytes());
    ctx.update(material);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

fn key_material(obj: &Map<String, Value>) -> Result<(KeyFamily, DecodingKey, Material), KeyError> {
    match obj.get("kty") {
        None => Err(KeyError::KtyMissing),
        Some(Value::String(kty)) if kty == "RSA" => rsa_key(obj),
        Some(Value::String(kty)) if kty == "EC" => ec_key(obj),
        Some(Value::String(kty)) if kty == "OKP" => ed25519_key(obj),
        Some(Value::String(kty)) if kty == "oct" => Err(KeyError::SharedSecret),
        Some(other) => Err(KeyError::KtyUnsupported {
            found: other.to_string(),
        }),
    }
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(be: &[u8]) -> usize {
    match be.iter().position(|b| *b != 0) {
        Some(first) => (be.len() - first) * 8 - be[first].leading_zeros() as usize,
        None => 0,
    }
}

fn rsa_key(obj: &Map<String, Value>) -> Result<(KeyFamily, DecodingKey, Material), KeyError> {
    let (n, n_bytes) = b64_member(obj, "n")?;
    let (e, e_bytes) = b64_member(obj, "e")?;
    let bits = bit_length(&n_bytes);
    if bits < MIN_RSA_BITS {
        return Err(KeyError::RsaModulusTooShort { bits });
    }
    if bits > MAX_RSA_BITS {
        return Err(KeyError::RsaModulusTooLong { bits });
    }
    if n_bytes.last().is_some_and(|low| low.is_multiple_of(2)) {
        return Err(KeyError::RsaModulusEven);
    }
    if bit_length(&e_bytes) > MAX_RSA_EXPONENT_BITS as usize {
        return Err(KeyError::RsaExponentTooLarge);
    }
    let exponent = e_bytes
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    // e = 1 makes every value its own signature; an even e is not invertible mod φ(n).
    if exponent < 3 || exponent.is_multiple_of(2) {
        return Err(KeyError::RsaExponentUnusable { value: exponent });
    }
    if has_roca_fingerprint(&n_bytes) {
        return Err(KeyError::RsaRocaFingerprint);
    }
    let key = DecodingKey::from_rsa_components(n, e).map_err(|err| KeyError::Unusable {
        kty: "RSA",
        detail: err.to_string(),
    })?;
    Ok((KeyFamily::Rsa, key, material(&[&n_bytes, &e_bytes])))
}

fn ec_key(obj: &Map<String, Value>) -> Result<(KeyFamily, DecodingKey, Material), KeyError> {
    let crv = obj.get("crv");
    let (family, crv, len, verifier) = match crv.and_then(Value::as_str) {
        Some("P-256") => (KeyFamily::P256, "P-256", 32, &ECDSA_P256_SHA256_FIXED),
        Some("P-384") => (KeyFamily::P384, "P-384", 48, &ECDSA_P384_SHA384_FIXED),
        _ => {
            return Err(KeyError::CurveUnsupported {
                kty: "EC",
                found: crv.map_or("missing".into(), Value::to_string),
                supported: "\"P-256\" or \"P-384\"",
            })
        }
    };
    let (x, x_bytes) = b64_member(obj, "x")?;
    let (y, y_bytes) = b64_member(obj, "y")?;
    for (member, bytes) in [("x", &x_bytes), ("y", &y_bytes)] {
        if bytes.len() != len {
            return Err(KeyError::EcCoordinateLength {
                member,
                crv,
                found: bytes.len(),
                expected: len,
            });
        }
    }
    // jsonwebtoken takes the coordinates as they are; AWS-LC's parser checks that the point
    // lies on the curve (and that each coordinate is below the field prime).
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(0x04);
    point.extend_from_slice(&x_bytes);
    point.extend_from_slice(&y_bytes);
    if ParsedPublicKey::new(verifier, &point).is_err() {
        return Err(KeyError::EcPointNotOnCurve { crv });
    }
    let key = DecodingKey::from_ec_components(x, y).map_err(|err| KeyError::Unusable {
        kty: "EC",
        detail: err.to_string(),
    })?;
    Ok((family, key, material(&[&x_bytes, &y_bytes])))
}

fn ed25519_key(obj: &Map<String, Value>) -> Result<(KeyFamily, DecodingKey, Material), KeyError> {
    let crv = obj.get("crv");
    if crv.and_then(Value::as_str) != Some("Ed25519") {
        return Err(KeyError::CurveUnsupported {
            kty: "OKP",
            found: crv.map_or("missing".into(), Value::to_string),
            supported: "\"Ed25519\"",
        });
    }
    let (x, x_bytes) = b64_member(obj, "x")?;
    if x_bytes.len() != 32 {
        return Err(KeyError::Ed25519Length {
            found: x_bytes.len(),
        });
    }
    let key = DecodingKey::from_ed_components(x).map_err(|err| KeyError::Unusable {
        kty: "OKP",
        detail: err.to_string(),
    })?;
    Ok((KeyFamily::Ed25519, key, material(&[&x_bytes])))
}

fn algorithm_name(alg: Algorithm) -> &'static str {
    SUPPORTED_ALGORITHMS
        .iter()
        .find(|name| supported_algorithm(name) == Some(alg))
        .copied()
        .unwrap_or("unsupported")
}

fn family_name(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Rsa => "RSA",
        KeyFamily::P256 => "P-256",
        KeyFamily::P384 => "P-384",
        KeyFamily::Ed25519 => "Ed25519",
    }
}

fn fitting_algorithms(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Rsa => "RS256, RS384, RS512, PS256, PS384 or PS512",
        KeyFamily::P256 => "ES256",
        KeyFamily::P384 => "ES384",
        KeyFamily::Ed25519 => "EdDSA",
    }
}

/// The small primes of the ROCA fingerprint test (Nemec et al., "The Return of Coppersmith's
/// Attack", ACM CCS 2017; the same list as the authors' `detect.py` and GnuPG's
/// `pkscreening.c`).
const ROCA_PRIMES: [u32; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// Whether `residue` lies in the subgroup of (Z/pZ)* generated by 65537.
fn in_subgroup_of_65537(residue: u32, p: u32) -> bool {
    let generator = 65537 % p;
    let mut power = 1;
    loop {
        if power == residue {
            return true;
        }
        power = power * generator % p;
        if power == 1 {
            return false;
        }
    }
}

/// The ROCA fingerprint (CVE-2017-15361): the Infineon library built primes
/// `k·M + (65537^a mod M)` with `M` a primorial, so for every small prime `p` of `M` the
/// modulus mod `p` lies in the subgroup generated by 65537. A random modulus passes all 38
/// tests with probability about 2^-30; a vulnerable one always does (the authors' and
/// GnuPG's screening reject on the same test).
pub fn has_roca_fingerprint(modulus_be: &[u8]) -> bool {
    ROCA_PRIMES.iter().all(|&p| {
        let residue = modulus_be
            .iter()
            .fold(0u32, |acc, b| (acc * 256 + u32::from(*b)) % p);
        in_subgroup_of_65537(residue, p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::SigningKey;
    use proptest::prelude::*;
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn generated(alg: Algorithm) -> Value {
        SigningKey::generate("k", alg)
            .expect("key")
            .public_jwk()
            .clone()
    }

    fn with(mut jwk: Value, member: &str, value: Value) -> Value {
        jwk[member] = value;
        jwk
    }

    #[test]
    fn refuses_secret_and_unknown_keys() {
        assert_eq!(
            parse_jwk(&json!({"kty":"oct","k":"c2VjcmV0"})).unwrap_err(),
            KeyError::PrivateMaterial { member: "k" }
        );
        assert_eq!(
            parse_jwk(&json!({"kty":"oct"})).unwrap_err(),
            KeyError::SharedSecret
        );
        assert!(
            parse_jwk(&json!({"kty":"EC","crv":"P-521","x":"AA","y":"AA"}))
                .unwrap_err()
                .to_string()
                .contains("P-521")
        );
        assert_eq!(
            parse_jwk(&json!("not an object")).unwrap_err(),
            KeyError::NotAnObject
        );
        assert_eq!(
            parse_jwk(&json!({"kty":"RSA","n":"AQAB","e":"AQAB"})).unwrap_err(),
            KeyError::RsaModulusTooShort { bits: 17 }
        );
        let mut rsa = generated(Algorithm::RS256);
        rsa["dq"] = json!("AQAB");
        assert_eq!(
            parse_jwk(&rsa).unwrap_err(),
            KeyError::PrivateMaterial { member: "dq" }
        );
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
        for name in SUPPORTED_ALGORITHMS {
            assert_eq!(
                algorithm_name(supported_algorithm(name).expect("alg")),
                *name
            );
        }
    }

    #[test]
    fn generated_keys_of_every_family_are_accepted() {
        for alg in [
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ] {
            let jwk = generated(alg);
            assert!(parse_jwk(&jwk).is_ok(), "{alg:?}: {jwk}");
            let pinned = with(with(jwk, "key_ops", json!(["verify"])), "use", json!("sig"));
            assert!(parse_jwk(&pinned).is_ok(), "{alg:?}");
        }
    }

    #[test]
    fn rsa_exponents_that_cannot_sign_soundly_are_refused() {
        let jwk = generated(Algorithm::RS256);
        for (e, value) in [(0u64, 0u64), (1, 1), (2, 2), (4, 4), (65536, 65536)] {
            let bytes = e.to_be_bytes();
            let start = bytes.iter().position(|b| *b != 0).unwrap_or(7);
            let k = with(jwk.clone(), "e", json!(b64(&bytes[start..])));
            assert_eq!(
                parse_jwk(&k).unwrap_err(),
                KeyError::RsaExponentUnusable { value },
                "e = {e}"
            );
        }
        let huge = with(jwk.clone(), "e", json!(b64(&[1, 0, 0, 0, 1])));
        assert_eq!(parse_jwk(&huge).unwrap_err(), KeyError::RsaExponentTooLarge);
        // Leading zero bytes do not make a small exponent large.
        let padded = with(jwk.clone(), "e", json!(b64(&[0, 0, 0, 0, 0, 1, 0, 1])));
        assert!(parse_jwk(&padded).is_ok());
        let three = with(jwk, "e", json!(b64(&[3])));
        assert!(parse_jwk(&three).is_ok(), "e = 3 is sound with padding");
    }

    #[test]
    fn rsa_moduli_out_of_range_or_even_are_refused() {
        let jwk = generated(Algorithm::RS256);
        let n = URL_SAFE_NO_PAD
            .decode(jwk["n"].as_str().expect("n"))
            .expect("b64");
        assert_eq!(bit_length(&n), 2048);
        let mut even = n.clone();
        *even.last_mut().expect("byte") &= 0xfe;
        assert_eq!(
            parse_jwk(&with(jwk.clone(), "n", json!(b64(&even)))).unwrap_err(),
            KeyError::RsaModulusEven
        );
        // 2047 bits: the byte count alone would call it 2048.
        let mut short = n.clone();
        short[0] = 0x7f;
        assert_eq!(
            parse_jwk(&with(jwk.clone(), "n", json!(b64(&short)))).unwrap_err(),
            KeyError::RsaModulusTooShort { bits: 2047 }
        );
        let mut long = vec![0x01];
        long.extend(std::iter::repeat_n(0xff, MAX_RSA_BITS / 8));
        assert_eq!(
            parse_jwk(&with(jwk, "n", json!(b64(&long)))).unwrap_err(),
            KeyError::RsaModulusTooLong {
                bits: MAX_RSA_BITS + 1
            }
        );
    }

    #[test]
    fn ec_points_off_the_curve_are_refused() {
        for (alg, crv) in [(Algorithm::ES256, "P-256"), (Algorithm::ES384, "P-384")] {
            let jwk = generated(alg);
            let mut y = URL_SAFE_NO_PAD
                .decode(jwk["y"].as_str().expect("y"))
                .expect("b64");
            *y.last_mut().expect("byte") ^= 1;
            let off = with(jwk.clone(), "y", json!(b64(&y)));
            assert_eq!(
                parse_jwk(&off).unwrap_err(),
                KeyError::EcPointNotOnCurve { crv }
            );
            let len = y.len();
            let zero = with(
                with(jwk.clone(), "x", json!(b64(&vec![0; len]))),
                "y",
                json!(b64(&vec![0; len])),
            );
            assert_eq!(
                parse_jwk(&zero).unwrap_err(),
                KeyError::EcPointNotOnCurve { crv }
            );
            // Coordinates at or above the field prime are not field elements.
            let ff = with(jwk, "x", json!(b64(&vec![0xff; len])));
            assert_eq!(
                parse_jwk(&ff).unwrap_err(),
                KeyError::EcPointNotOnCurve { crv }
            );
        }
    }

    #[test]
    fn keys_not_for_verification_are_refused() {
        let jwk = generated(Algorithm::ES256);
        for (ops, expected) in [
            (
                json!(["encrypt"]),
                KeyError::KeyOpsNotForSignatures {
                    op: "encrypt".into(),
                },
            ),
            (
                json!(["verify", "wrapKey"]),
                KeyError::KeyOpsNotForSignatures {
                    op: "wrapKey".into(),
                },
            ),
            (
                json!(["sign"]),
                KeyError::KeyOpsLacksVerify {
                    found: "[\"sign\"]".into(),
                },
            ),
            (
                json!([]),
                KeyError::KeyOpsLacksVerify { found: "[]".into() },
            ),
            (
                json!("verify"),
                KeyError::KeyOpsNotAList {
                    found: "\"verify\"".into(),
                },
            ),
            (
                json!(["verify", "verify"]),
                KeyError::KeyOpsNotAList {
                    found: "[\"verify\",\"verify\"]".into(),
                },
            ),
        ] {
            let k = with(jwk.clone(), "key_ops", ops.clone());
            assert_eq!(parse_jwk(&k).unwrap_err(), expected, "{ops}");
            assert_eq!(expected.member(), Some("key_ops"));
        }
        assert!(parse_jwk(&with(jwk.clone(), "key_ops", json!(["sign", "verify"]))).is_ok());
        for use_ in [json!("enc"), json!(1), json!(null)] {
            let k = with(jwk.clone(), "use", use_.clone());
            assert!(
                matches!(parse_jwk(&k), Err(KeyError::NotForSignatures { .. })),
                "{use_}"
            );
        }
    }

    #[test]
    fn an_alg_that_does_not_fit_the_key_is_refused() {
        let k = with(generated(Algorithm::ES256), "alg", json!("RS256"));
        let err = parse_jwk(&k).unwrap_err();
        assert_eq!(err.member(), Some("alg"));
        assert!(err.to_string().contains("use ES256"), "{err}");
        let k = with(generated(Algorithm::EdDSA), "alg", json!("ES384"));
        assert!(matches!(
            parse_jwk(&k),
            Err(KeyError::AlgDoesNotFitKey { .. })
        ));
    }

    #[test]
    fn every_problem_of_one_key_is_listed() {
        let mut jwk = generated(Algorithm::RS256);
        jwk["use"] = json!("enc");
        jwk["key_ops"] = json!(["encrypt"]);
        jwk["alg"] = json!("HS256");
        jwk["e"] = json!("AQ");
        let errors = check_jwk(&jwk).unwrap_err();
        let members: Vec<_> = errors.iter().map(KeyError::member).collect();
        assert_eq!(
            members,
            [Some("use"), Some("key_ops"), Some("alg"), Some("e")],
            "{errors:?}"
        );
    }

    /// Little-endian base-2^32 integers: just enough arithmetic to build test moduli.
    fn mul_small(n: &mut Vec<u32>, m: u32) {
        let mut carry = 0u64;
        for limb in n.iter_mut() {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            n.push(carry as u32);
        }
    }

    fn add(a: &mut Vec<u32>, b: &[u32]) {
        if a.len() < b.len() {
            a.resize(b.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in a.iter_mut().enumerate() {
            let v = u64::from(*limb) + u64::from(b.get(i).copied().unwrap_or(0)) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            a.push(carry as u32);
        }
    }

    fn to_be(n: &[u32]) -> Vec<u8> {
        let bytes: Vec<u8> = n.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        bytes[start..].to_vec()
    }

    /// A modulus of exactly `bits` bits that is ≡ 65537^a mod M, M the product of the ROCA
    /// primes: `65537^a + M·2^s·t`. Any modulus of the vulnerable library, p·q with
    /// p ≡ 65537^a1 and q ≡ 65537^a2 (mod M), has exactly this residue structure, which is
    /// all the fingerprint can see.
    fn roca_shaped(bits: usize, a: u32, t: u32) -> Vec<u8> {
        let mut high = vec![1u32];
        for p in ROCA_PRIMES {
            mul_small(&mut high, p);
        }
        mul_small(&mut high, t.max(1));
        while bit_length(&to_be(&high)) < bits {
            mul_small(&mut high, 2);
        }
        let mut low = vec![1u32];
        for _ in 0..a {
            mul_small(&mut low, 65537);
        }
        add(&mut high, &low);
        to_be(&high)
    }

    #[test]
    fn the_fingerprint_masks_match_the_published_ones() {
        // Bit r of each mask is set when r is a power of 65537 mod p; the values are the
        // prints of GnuPG's pkscreening.c (and the authors' detect.py) for these primes.
        for (p, published) in [
            (11u32, 0x402u128),
            (13, 0x161A),
            (17, 0x1A316),
            (37, 0x4000402),
            (53, 0x12DD703303AED2),
            (61, 0x1434026619900B0A),
            (73, 0x147811A48004962078A),
            (103, 0x16380E9115BD964257768FE396),
            (127, 0x6CA09850C2813205A04C81430A190536),
        ] {
            let mask = (0..p)
                .filter(|r| in_subgroup_of_65537(*r, p))
                .fold(0u128, |m, r| m | 1 << r);
            assert_eq!(mask, published, "p = {p}");
        }
    }

    #[test]
    fn a_published_roca_key_has_the_fingerprint() {
        // The 512-bit test key of github.com/brunoproduit/roca (data/512.pem), an
        // implementation of the attack; `openssl rsa -pubin -modulus` gives this `n`.
        let n = URL_SAFE_NO_PAD
            .decode("macdfHf63Jn15Rrhnh6ayjclgaj-e8kosAT0ZCAVsnn9OTOMLB3U3uJemsQpRDsuP_cVhfnUGh25ko4ATaLX_Q")
            .expect("b64");
        assert_eq!(bit_length(&n), 512);
        assert!(has_roca_fingerprint(&n));
        let mut other = n.clone();
        other[63] ^= 2;
        assert!(!has_roca_fingerprint(&other));
    }

    #[test]
    fn a_roca_shaped_2048_bit_modulus_is_refused_at_load() {
        let n = roca_shaped(2048, 97, 1);
        assert_eq!(bit_length(&n), 2048);
        let jwk = with(generated(Algorithm::RS256), "n", json!(b64(&n)));
        let err = parse_jwk(&jwk).unwrap_err();
        assert_eq!(err, KeyError::RsaRocaFingerprint);
        assert_eq!(err.member(), Some("n"));
        assert!(err.to_string().contains("CVE-2017-15361"));
    }

    proptest! {
        #[test]
        fn every_roca_shaped_modulus_has_the_fingerprint(a in 0u32..120, t in 1u32..u32::MAX, bits in 2048usize..4096) {
            prop_assert!(has_roca_fingerprint(&roca_shaped(bits, a, t)));
        }

        // The false-positive rate is about 2^-30 per modulus, so no random one trips it
        // in a run; a failure here would mean the test rejects honest keys.
        #[test]
        fn random_moduli_do_not_have_the_fingerprint(mut n in prop::collection::vec(any::<u8>(), 256)) {
            n[0] |= 0x80;
            n[255] |= 1;
            prop_assert!(!has_roca_fingerprint(&n));
        }

        // Whatever a JWK holds, parsing answers with a key or an error, never a panic.
        #[test]
        fn arbitrary_jwk_members_never_panic(n in prop::collection::vec(any::<u8>(), 0..600), e in prop::collection::vec(any::<u8>(), 0..10), x in prop::collection::vec(any::<u8>(), 0..60), kty in prop::sample::select(vec!["RSA", "EC", "OKP", "oct", "x"]), crv in prop::sample::select(vec!["P-256", "P-384", "Ed25519", "P-521"])) {
            let jwk = json!({"kty": kty, "crv": crv, "n": b64(&n), "e": b64(&e), "x": b64(&x), "y": b64(&x)});
            let _ = check_jwk(&jwk);
        }
    }
}
