//! Signing keys, for the sides of the system that sign: the portal publishing signed policy
//! events, the demo minting tokens, and the tests. The authorizer itself only verifies.
//!
//! Keys are generated with aws-lc-rs and stored as a small JSON file holding the PKCS#8
//! private key; the public half is exported as a JWK for the policy.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    ECDSA_P384_SHA384_FIXED_SIGNING,
};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(
        "{0:?} is not an asymmetric signing algorithm; use RS256, PS256, ES256, ES384 or EdDSA"
    )]
    NotAsymmetric(Algorithm),
    #[error("the crypto library refused to generate a key: {0}")]
    Generate(String),
    #[error("key \"{kid}\": {problem}")]
    InvalidKey { kid: String, problem: &'static str },
    #[error("`alg` \"{0}\" is not an algorithm")]
    UnknownAlgorithm(String),
    #[error("`pkcs8` is not base64")]
    NotBase64,
    #[error("signing failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

/// The CLI reports errors as text.
impl From<SigningError> for String {
    fn from(e: SigningError) -> Self {
        e.to_string()
    }
}

/// A private signing key with its `kid` and algorithm.
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    public_jwk: Value,
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SigningKey {{ kid: {:?}, alg: {:?} }}",
            self.kid, self.alg
        )
    }
}

/// The on-disk form of a signing key. It holds a private key: keep it out of logs and repos.
#[derive(Serialize, Deserialize)]
pub struct SigningKeyFile {
    pub kid: String,
    pub alg: String,
    /// PKCS#8 DER, standard base64.
    pub pkcs8: String,
}

fn b64u(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads one DER TLV at the start of `input`: (tag, contents, rest).
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// PKCS#8 PrivateKeyInfo → the inner PKCS#1 RSAPrivateKey (what jsonwebtoken signs with).
fn pkcs8_to_pkcs1(pkcs8: &[u8]) -> Option<&[u8]> {
    let (_, info, _) = der_tlv(pkcs8)?;
    let (_, _version, rest) = der_tlv(info)?;
    let (_, _algorithm, rest) = der_tlv(rest)?;
    let (tag, key, _) = der_tlv(rest)?;
    (tag == 0x04).then_some(key)
}

/// PKCS#1 RSAPublicKey → (n, e) big-endian without leading zeros.
fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, seq, _) = der_tlv(der)?;
    let (_, n, rest) = der_tlv(seq)?;
    let (_, e, _) = der_tlv(rest)?;
    let strip = |b: &[u8]| {
        b.iter()
            .skip_while(|x| **x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    Some((strip(n), strip(e)))
}

impl SigningKey {
    /// Generates a new key for `alg` (RS*/PS* use 2048-bit RSA).
    pub fn generate(kid: &str, alg: Algorithm) -> Result<Self, SigningError> {
        let refused = |e: &dyn std::fmt::Display| SigningError::Generate(e.to_string());
        let rng = SystemRandom::new();
        let pkcs8: Vec<u8> = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => {
                let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|e| refused(&e))?;
                pair.as_der().map_err(|e| refused(&e))?.as_ref().to_vec()
            }
            Algorithm::ES256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|e| refused(&e))?
                    .as_ref()
                    .to_vec()
            }
            Algorithm::ES384 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
                    .map_err(|e| refused(&e))?
                    .as_ref()
                    .to_vec()
            }
            Algorithm::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|e| refused(&e))?
                .as_ref()
                .to_vec(),
            other => return Err(SigningError::NotAsymmetric(other)),
        };
        Self::from_pkcs8(kid, alg, pkcs8)
    }

    /// Rebuilds a key from its PKCS#8 DER.
    pub fn from_pkcs8(kid: &str, alg: Algorithm, pkcs8: Vec<u8>) -> Result<Self, SigningError> {
        let bad = |problem: &'static str| SigningError::InvalidKey {
            kid: kid.to_string(),
            problem,
        };
        let (encoding, public_jwk) = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => {
                let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&pkcs8)
                    .map_err(|_| bad("not an RSA PKCS#8 key"))?;
                let (n, e) = rsa_public_components(pair.public_key().as_ref())
                    .ok_or_else(|| bad("unreadable RSA public key"))?;
                let pkcs1 = pkcs8_to_pkcs1(&pkcs8).ok_or_else(|| bad("unreadable PKCS#8"))?;
                (
                    EncodingKey::from_rsa_der(pkcs1),
                    json!({"kty": "RSA", "n": b64u(&n), "e": b64u(&e)}),
                )
            }
            Algorithm::ES256 | Algorithm::ES384 => {
                let (signing, crv, len) = if alg == Algorithm::ES256 {
                    (&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32)
                } else {
                    (&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48)
                };
                let pair = EcdsaKeyPair::from_pkcs8(signing, &pkcs8)
                    .map_err(|_| bad("not an EC PKCS#8 key"))?;
                let point = pair.public_key().as_ref();
                if point.len() != 1 + 2 * len {
                    return Err(bad("unexpected EC point size"));
                }
                (
                    EncodingKey::from_ec_der(&pkcs8),
                    json!({"kty": "EC", "crv": crv, "x": b64u(&point[1..1 + len]), "y": b64u(&point[1 + len..])}),
                )
            }
            Algorithm::EdDSA => {
                let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
                    .map_err(|_| bad("not an Ed25519 PKCS#8 key"))?;
                (
                    EncodingKey::from_ed_der(&pkcs8),
                    json!({"kty": "OKP", "crv": "Ed25519", "x": b64u(pair.public_key().as_ref())}),
                )
            }
            other => return Err(SigningError::NotAsymmetric(other)),
        };
        let mut public_jwk = public_jwk;
        public_jwk["kid"] = json!(kid);
        Ok(SigningKey {
            kid: kid.to_string(),
            alg,
            encoding,
            public_jwk,
            pkcs8,
        })
    }

    /// The public half as a JWK (with `kid`), ready for a policy's `keys` or `publishers`.
    pub fn public_jwk(&self) -> &Value {
        &self.public_jwk
    }

    /// Signs `payload` under a header `{"alg", "kid", "typ"}` merged with `extra_header`.
    pub fn sign(&self, payload: &Value, extra_header: &Value) -> Result<String, SigningError> {
        let mut header = json!({"alg": format!("{:?}", self.alg), "kid": self.kid, "typ": "JWT"});
        if let (Some(h), Some(extra)) = (header.as_object_mut(), extra_header.as_object()) {
            for (k, v) in extra {
                h.insert(k.clone(), v.clone());
            }
        }
        self.sign_with_header(&header, payload)
    }

    /// Signs `payload` under exactly `header` (tests use it to forge odd headers).
    pub fn sign_with_header(
        &self,
        header: &Value,
        payload: &Value,
    ) -> Result<String, SigningError> {
        let input = format!(
            "{}.{}",
            b64u(header.to_string().as_bytes()),
            b64u(payload.to_string().as_bytes())
        );
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &self.encoding, self.alg)?;
        Ok(format!("{input}.{sig}"))
    }

    pub fn to_file(&self) -> SigningKeyFile {
        SigningKeyFile {
            kid: self.kid.clone(),
            alg: format!("{:?}", self.alg),
            pkcs8: STANDARD.encode(&self.pkcs8),
        }
    }

    pub fn from_file(file: &SigningKeyFile) -> Result<Self, SigningError> {
        let alg: Algorithm = file
            .alg
            .parse()
            .map_err(|_| SigningError::UnknownAlgorithm(file.alg.clone()))?;
        let pkcs8 = STANDARD
            .decode(&file.pkcs8)
            .map_err(|_| SigningError::NotBase64)?;
        Self::from_pkcs8(&file.kid, alg, pkcs8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::parse_jwk;

    #[test]
    fn every_algorithm_round_trips_through_its_jwk() {
        for alg in [
            Algorithm::RS256,
            Algorithm::PS384,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ] {
            let key = SigningKey::generate("k", alg).unwrap();
            let token = key.sign(&json!({"x": 1}), &json!({})).unwrap();
            let public = parse_jwk(key.public_jwk()).unwrap();
            let (input, sig) = token.rsplit_once('.').unwrap();
            assert!(
                jsonwebtoken::crypto::verify(sig, input.as_bytes(), &public.key, alg).unwrap(),
                "{alg:?}"
            );
            let again = SigningKey::from_file(&key.to_file()).unwrap();
            assert_eq!(again.public_jwk(), key.public_jwk());
        }
    }
}
