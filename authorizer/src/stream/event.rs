//! The policy event (contract 2, `schema/gateway-policy-event.v1.json`): parsing a Kafka
//! record's key and value into an event, checking its signature in signed mode, and
//! encoding events for the publisher.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::{EntityKind, PolicyView};
use crate::signing::SigningKey;

/// The `schema` value of every v1 policy event.
pub const EVENT_SCHEMA: &str = "gateway-policy-event/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Upsert,
    Delete,
}

/// A policy event's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyEvent {
    pub schema: String,
    pub kind: String,
    pub id: String,
    pub revision: u64,
    pub op: Op,
    /// When the portal issued the change (RFC 3339); informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// The entity (as in the policy document) for `upsert`; absent or null for `delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// Why a record was not applied. The codes are metric dimensions and log fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// Key not `<kind>/<id>`, or not UTF-8.
    BadKey,
    /// Value is not JSON (or a JWS whose payload is not JSON) of the event shape.
    Malformed,
    /// `schema` is not `gateway-policy-event/v1`.
    UnknownSchema,
    /// The value's kind/id differ from the key's.
    KeyMismatch,
    /// Signed mode is on and the value is a plain JSON event.
    Unsigned,
    /// The JWS does not verify with a trusted publisher key (or names none).
    BadSignature,
    /// The revision is not higher than the one held for this entity.
    StaleRevision,
    /// The entity in `data` is not valid (the policy's own validation).
    InvalidEntity,
}

impl Rejection {
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::BadKey => "bad_key",
            Rejection::Malformed => "malformed",
            Rejection::UnknownSchema => "unknown_schema",
            Rejection::KeyMismatch => "key_mismatch",
            Rejection::Unsigned => "unsigned",
            Rejection::BadSignature => "bad_signature",
            Rejection::StaleRevision => "stale_revision",
            Rejection::InvalidEntity => "invalid_entity",
        }
    }
}

/// A record's key: `<kind>/<id>`.
pub fn parse_key(key: &[u8]) -> Option<(EntityKind, String)> {
    let text = std::str::from_utf8(key).ok()?;
    let (kind, id) = text.split_once('/')?;
    let kind = EntityKind::parse(kind)?;
    crate::policy::is_identifier(id).then(|| (kind, id.to_string()))
}

pub fn record_key(kind: EntityKind, id: &str) -> String {
    format!("{}/{id}", kind.as_str())
}

/// A record's value, decoded: the event and, for a signed one, the publisher `kid`.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub event: PolicyEvent,
    pub signed_by: Option<String>,
}

/// Decodes a record's value (plain JSON or compact JWS) and checks it against its key and,
/// in signed mode (`signed`), against the policy's publisher keys.
pub fn decode_value(
    kind: EntityKind,
    id: &str,
    value: &[u8],
    view: &PolicyView,
    signed: bool,
) -> Result<Decoded, (Rejection, String)> {
    let text = std::str::from_utf8(value)
        .map_err(|_| (Rejection::Malformed, "value is not UTF-8".to_string()))?
        .trim();
    let (payload, signed_by) = if text.starts_with('{') {
        if signed {
            return Err((
                Rejection::Unsigned,
                "the policy lists publishers, so events must be signed (compact JWS)".into(),
            ));
        }
        (text.as_bytes().to_vec(), None)
    } else {
        let (payload, kid) = verify_jws(text, view)?;
        (payload, Some(kid))
    };
    let raw: Value = serde_json::from_slice(&payload)
        .map_err(|e| (Rejection::Malformed, format!("not JSON: {e}")))?;
    match raw.get("schema") {
        Some(Value::String(s)) if s == EVENT_SCHEMA => {}
        other => {
            return Err((
                Rejection::UnknownSchema,
                format!(
                    "schema {} is not \"{EVENT_SCHEMA}\"",
                    other.unwrap_or(&Value::Null)
                ),
            ))
        }
    }
    let event: PolicyEvent = serde_json::from_value(raw)
        .map_err(|e| (Rejection::Malformed, format!("not a policy event: {e}")))?;
    if event.kind != kind.as_str() || event.id != id {
        return Err((
            Rejection::KeyMismatch,
            format!(
                "value names {}/{} but the key is {}",
                event.kind,
                event.id,
                record_key(kind, id)
            ),
        ));
    }
    if event.op == Op::Upsert {
        let entity_id = event
            .data
            .as_ref()
            .and_then(|d| {
                d.get(if kind == EntityKind::Publisher {
                    "kid"
                } else {
                    "id"
                })
            })
            .and_then(Value::as_str);
        if entity_id != Some(id) {
            return Err((
                Rejection::KeyMismatch,
                "an upsert's `data` must be the entity, with the key's id".into(),
            ));
        }
    }
    Ok(Decoded { event, signed_by })
}

/// Verifies a compact JWS signed by a publisher key of the policy; returns its payload and kid.
fn verify_jws(text: &str, view: &PolicyView) -> Result<(Vec<u8>, String), (Rejection, String)> {
    let mut parts = text.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err((
            Rejection::Malformed,
            "neither a JSON event nor a compact JWS".into(),
        ));
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or((
            Rejection::Malformed,
            "JWS header is not base64url JSON".to_string(),
        ))?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA") || header.get("crit").is_some() {
        return Err((
            Rejection::BadSignature,
            "policy events are signed with EdDSA and no crit header".into(),
        ));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let key = view.publisher(kid).ok_or_else(|| {
        (
            Rejection::BadSignature,
            format!("kid {kid:?} is not a trusted publisher key"),
        )
    })?;
    let message = &text.as_bytes()[..h.len() + 1 + p.len()];
    if !jsonwebtoken::crypto::verify(s, message, &key.key, Algorithm::EdDSA).unwrap_or(false) {
        return Err((
            Rejection::BadSignature,
            format!("signature does not verify with publisher key {kid:?}"),
        ));
    }
    let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| {
        (
            Rejection::Malformed,
            "JWS payload is not base64url".to_string(),
        )
    })?;
    Ok((payload, kid.to_string()))
}

/// Encodes an event as a record value: plain JSON, or a compact JWS when a key is given.
pub fn encode_value(
    event: &PolicyEvent,
    signing_key: Option<&SigningKey>,
) -> Result<String, String> {
    let json = serde_json::to_value(event).map_err(|e| e.to_string())?;
    match signing_key {
        None => Ok(json.to_string()),
        Some(key) if key.alg == Algorithm::EdDSA => key.sign_with_header(
            &serde_json::json!({"alg": "EdDSA", "kid": key.kid, "typ": "gateway-policy-event+jws"}),
            &json,
        ),
        Some(key) => Err(format!(
            "signing key \"{}\" is {:?}; publisher keys are EdDSA (authz keygen --alg EdDSA)",
            key.kid, key.alg
        )),
    }
}
