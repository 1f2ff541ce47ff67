//! The policy event (contract 2, `schema/gateway-policy-event.v1.json`): parsing a Kafka
//! record's key and value into an event, checking its signature in signed mode, and
//! encoding events for the publisher.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::{EntityKind, PolicyView};
use crate::signing::{SigningError, SigningKey};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// A `publisher` event in unsigned mode: publisher keys are trusted only from the
    /// baked policy, so the stream cannot switch signed mode on (nor hand it to a writer).
    UntrustedPublisher,
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
            Rejection::UntrustedPublisher => "untrusted_publisher",
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

/// Opens a record value: a plain JSON object, or a compact JWS whose signature is checked
/// against the publisher keys of `view`. Returns the JSON payload and the signer's `kid`.
///
/// The order is the one docs/policy-events.md gives: first the form (`malformed` when the
/// value is neither a JSON object nor a compact JWS), then the signature (`unsigned` for
/// plain JSON when `signed`, `bad_signature` for a JWS that does not verify), then the
/// payload (`malformed` when it is not JSON).
pub fn open_value(
    value: &[u8],
    view: &PolicyView,
    signed: bool,
) -> Result<(Value, Option<String>), (Rejection, String)> {
    let text = std::str::from_utf8(value)
        .map_err(|_| (Rejection::Malformed, "value is not UTF-8".to_string()))?
        .trim();
    if text.starts_with('{') {
        let json: Value = serde_json::from_str(text)
            .map_err(|e| (Rejection::Malformed, format!("not JSON: {e}")))?;
        if signed {
            return Err((
                Rejection::Unsigned,
                "the baked policy lists publishers, so values must be signed (compact JWS)".into(),
            ));
        }
        return Ok((json, None));
    }
    let (payload, kid) = verify_jws(text, view)?;
    let json: Value = serde_json::from_slice(&payload).map_err(|e| {
        (
            Rejection::Malformed,
            format!("JWS payload is not JSON: {e}"),
        )
    })?;
    Ok((json, Some(kid)))
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
    let (raw, signed_by) = open_value(value, view, signed)?;
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
    if event.revision == 0 {
        return Err((
            Rejection::Malformed,
            "`revision` must be at least 1 (the portal's change sequence number)".into(),
        ));
    }
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

/// The `kid` a compact JWS value names, when its header is one the portal writes (EdDSA, no
/// `crit`) and the kid could be a publisher's: a value rejected as `bad_signature` under such
/// a kid the view does not trust may verify once the stream introduces that key.
pub fn jws_kid(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let mut parts = text.split('.');
    let (Some(h), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA") || header.get("crit").is_some() {
        return None;
    }
    let kid = header.get("kid").and_then(Value::as_str)?;
    crate::policy::is_identifier(kid).then(|| kid.to_string())
}

/// Verifies a compact JWS signed by a publisher key of the policy; returns its payload and kid.
fn verify_jws(text: &str, view: &PolicyView) -> Result<(Vec<u8>, String), (Rejection, String)> {
    let is_b64u = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let mut parts = text.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err((
            Rejection::Malformed,
            "neither a JSON object nor a compact JWS (three base64url parts)".into(),
        ));
    };
    if !(is_b64u(h) && is_b64u(p) && is_b64u(s)) {
        return Err((
            Rejection::Malformed,
            "neither a JSON object nor a compact JWS (three base64url parts)".into(),
        ));
    }
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

/// Why a record value could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("cannot encode as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Sign(#[from] SigningError),
    #[error(
        "signing key \"{kid}\" is {alg:?}; publisher keys are EdDSA (authz keygen --alg EdDSA)"
    )]
    NotEdDsa { kid: String, alg: Algorithm },
}

/// The CLI reports errors as text.
impl From<EncodeError> for String {
    fn from(e: EncodeError) -> Self {
        e.to_string()
    }
}

/// Encodes an event as a record value: plain JSON, or a compact JWS when a key is given.
pub fn encode_value(
    event: &PolicyEvent,
    signing_key: Option<&SigningKey>,
) -> Result<String, EncodeError> {
    let json = serde_json::to_value(event)?;
    match signing_key {
        None => Ok(json.to_string()),
        Some(key) if key.alg == Algorithm::EdDSA => Ok(key.sign_with_header(
            &serde_json::json!({"alg": "EdDSA", "kid": key.kid, "typ": "gateway-policy-event+jws"}),
            &json,
        )?),
        Some(key) => Err(EncodeError::NotEdDsa {
            kid: key.kid.clone(),
            alg: key.alg,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load_policy_value;
    use serde_json::json;

    fn client_event(revision: u64) -> PolicyEvent {
        PolicyEvent {
            schema: EVENT_SCHEMA.into(),
            kind: "client".into(),
            id: "a".into(),
            revision,
            op: Op::Upsert,
            issued_at: Some("2026-11-19T10:01:00Z".into()),
            data: Some(json!({"id": "a", "status": "active"})),
        }
    }

    fn trusting(key: &SigningKey) -> PolicyView {
        load_policy_value(&json!({"schema": "gateway-policy/v1", "revision": 1,
            "publishers": [{"kid": key.kid, "jwk": key.public_jwk()}]}))
        .expect("policy")
    }

    #[test]
    fn a_signed_event_has_the_documented_header_and_round_trips() {
        let k = SigningKey::generate("portal-2026", Algorithm::EdDSA).expect("key");
        let value = encode_value(&client_event(5), Some(&k)).expect("encode");
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(value.split('.').next().expect("header"))
                .expect("b64"),
        )
        .expect("json");
        assert_eq!(
            header,
            json!({"alg": "EdDSA", "kid": "portal-2026", "typ": "gateway-policy-event+jws"})
        );
        let d = decode_value(
            EntityKind::Client,
            "a",
            value.as_bytes(),
            &trusting(&k),
            true,
        )
        .expect("decodes");
        assert_eq!(d.event, client_event(5));
        assert_eq!(d.signed_by.as_deref(), Some("portal-2026"));
        // The same event unsigned decodes in unsigned mode only.
        let plain = encode_value(&client_event(5), None).expect("encode");
        let view = PolicyView::default();
        assert!(decode_value(EntityKind::Client, "a", plain.as_bytes(), &view, false).is_ok());
        let e = decode_value(EntityKind::Client, "a", plain.as_bytes(), &view, true);
        assert_eq!(e.map(|_| ()).map_err(|e| e.0), Err(Rejection::Unsigned));
    }

    #[test]
    fn every_rejection_of_the_codec_has_its_documented_reason() {
        let k = SigningKey::generate("p", Algorithm::EdDSA).expect("key");
        let view = trusting(&k);
        let payload = serde_json::to_value(client_event(5)).expect("json");
        let sign =
            |header: Value, payload: &Value| k.sign_with_header(&header, payload).expect("sign");
        let mut v2 = payload.clone();
        v2["schema"] = json!("gateway-policy-event/v2");
        let mut zero = payload.clone();
        zero["revision"] = json!(0);
        let mut extra = payload.clone();
        extra["extra"] = json!(1);
        let mut other_id = payload.clone();
        other_id["data"]["id"] = json!("b");
        let es = SigningKey::generate("p", Algorithm::ES256).expect("key");
        let cases: Vec<(&str, String, Rejection)> = vec![
            ("garbage", "garbage".into(), Rejection::Malformed),
            ("broken JSON", "{\"schema\":".into(), Rejection::Malformed),
            ("two parts", "e30.e30".into(), Rejection::Malformed),
            (
                "header not JSON",
                format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("nope")),
                Rejection::Malformed,
            ),
            (
                "crit",
                sign(
                    json!({"alg": "EdDSA", "kid": "p", "crit": ["exp"]}),
                    &payload,
                ),
                Rejection::BadSignature,
            ),
            (
                "other alg",
                es.sign_with_header(&json!({"alg": "ES256", "kid": "p"}), &payload)
                    .expect("sign"),
                Rejection::BadSignature,
            ),
            (
                "unknown kid",
                sign(json!({"alg": "EdDSA", "kid": "q"}), &payload),
                Rejection::BadSignature,
            ),
            (
                "v2",
                sign(json!({"alg": "EdDSA", "kid": "p"}), &v2),
                Rejection::UnknownSchema,
            ),
            (
                "revision 0",
                sign(json!({"alg": "EdDSA", "kid": "p"}), &zero),
                Rejection::Malformed,
            ),
            (
                "unknown field",
                sign(json!({"alg": "EdDSA", "kid": "p"}), &extra),
                Rejection::Malformed,
            ),
            (
                "data id",
                sign(json!({"alg": "EdDSA", "kid": "p"}), &other_id),
                Rejection::KeyMismatch,
            ),
        ];
        for (name, value, want) in cases {
            let got = decode_value(EntityKind::Client, "a", value.as_bytes(), &view, true)
                .map(|_| ())
                .map_err(|e| e.0);
            assert_eq!(got, Err(want), "{name}");
        }
        let tampered = {
            let v = sign(json!({"alg": "EdDSA", "kid": "p"}), &payload);
            let (input, _) = v.rsplit_once('.').expect("jws");
            format!("{input}.{}", URL_SAFE_NO_PAD.encode([0u8; 64]))
        };
        let got = decode_value(EntityKind::Client, "a", tampered.as_bytes(), &view, true)
            .map_err(|e| e.0);
        assert_eq!(got.map(|_| ()), Err(Rejection::BadSignature));
        let got = decode_value(
            EntityKind::Client,
            "b",
            encode_value(&client_event(5), Some(&k))
                .expect("e")
                .as_bytes(),
            &view,
            true,
        )
        .map_err(|e| e.0);
        assert_eq!(got.map(|_| ()), Err(Rejection::KeyMismatch));
    }

    #[test]
    fn keys_parse_only_in_the_documented_shape() {
        assert_eq!(
            parse_key(b"client/mobile-app"),
            Some((EntityKind::Client, "mobile-app".into()))
        );
        for bad in [
            &b"client"[..],
            b"route/x",
            b"client/",
            b"client/a b",
            b"\xff/x",
        ] {
            assert_eq!(parse_key(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(record_key(EntityKind::Api, "orders"), "api/orders");
    }
}
