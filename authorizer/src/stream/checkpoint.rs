//! The signed checkpoint (`schema/gateway-policy-checkpoint.v1.json`): the portal's statement
//! of which revision every key of the topic holds. Pure: decode, encode, compare.
//!
//! Why it exists: compaction keeps only the latest record of each key. A writer without keys
//! who appends garbage, a tombstone or a replayed older signed event to `issuer/corp-idp`
//! gets it rejected, but once the broker compacts, the valid signed record is gone and a cold
//! authorizer would fall back to the baked issuer (say, with a key since revoked). Signatures
//! alone cannot show that something is *missing*; the checkpoint can: an authorizer that
//! holds an older revision for a key than the last checkpoint it verified withholds that
//! entity (denies for it) instead of serving the older state.
//!
//! Why it carries a time: a writer without keys can also *replay* an older checkpoint with
//! the older events it describes; once compaction drops the newer records, a cold authorizer
//! sees a consistent, signed, older state. Nothing inside the topic can tell it is old, so the
//! anchor is the clock: a checkpoint is *fresh* while its `issued_at` is within the
//! authorizer's maximum age, the portal re-signs it on a schedule shorter than that, and an
//! authorizer that has not verified a fresh checkpoint in its current replay serves the baked
//! policy (see [`super::replica`]). This is the freeze and rollback defence of TUF's
//! timestamp role.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::{open_value, parse_key, EncodeError, Rejection};
use crate::policy::PolicyView;
use crate::signing::SigningKey;

/// The `schema` value of every v1 checkpoint.
pub const CHECKPOINT_SCHEMA: &str = "gateway-policy-checkpoint/v1";
/// The one record key checkpoints are published under (compaction keeps the latest).
pub const CHECKPOINT_KEY: &str = "checkpoint/state";
/// The JWS `typ` of a checkpoint (informational; consumers do not rely on it).
pub const CHECKPOINT_TYP: &str = "gateway-policy-checkpoint+jws";

/// A checkpoint's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub schema: String,
    /// The portal's revision when it was written: the highest revision it covers.
    pub revision: u64,
    /// When the portal signed it (RFC 3339). Required on decode: it is what makes a replayed
    /// checkpoint expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// Every entity key the topic holds a signed record for (deletes included, with the
    /// delete's revision), with that record's revision.
    pub entities: BTreeMap<String, u64>,
}

impl Checkpoint {
    pub fn new(revision: u64, issued_at: Option<String>, entities: BTreeMap<String, u64>) -> Self {
        Checkpoint {
            schema: CHECKPOINT_SCHEMA.to_string(),
            revision,
            issued_at,
            entities,
        }
    }
}

/// A checkpoint that verified: its payload, the publisher key that signed it, and its
/// `issued_at` in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    pub checkpoint: Checkpoint,
    pub signed_by: String,
    pub issued_at: i64,
}

/// How far in the future a checkpoint's `issued_at` may be and still count as fresh (clock
/// skew between the portal and an authorizer).
pub const MAX_CLOCK_SKEW_S: i64 = 300;

/// Whether a checkpoint issued at `issued_at` proves the topic's state at `now`: issued no
/// more than `max_age_s` ago, and not later than the allowed clock skew. A checkpoint dated
/// in the future would otherwise stay fresh for as long as it is dated ahead.
pub fn is_fresh(issued_at: i64, now: i64, max_age_s: u64) -> bool {
    let max_age = i64::try_from(max_age_s).unwrap_or(i64::MAX);
    issued_at <= now.saturating_add(MAX_CLOCK_SKEW_S) && now.saturating_sub(issued_at) <= max_age
}

/// Reads an RFC 3339 time (`2026-12-02T10:00:00Z`) as Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

/// Decodes a checkpoint record's value. A checkpoint only counts when signed by a trusted
/// publisher key, so plain JSON is `unsigned` whatever the mode.
pub fn decode_checkpoint(
    value: &[u8],
    view: &PolicyView,
) -> Result<VerifiedCheckpoint, (Rejection, String)> {
    let (raw, signed_by) = open_value(value, view, true)?;
    let Some(kid) = signed_by else {
        return Err((Rejection::Unsigned, "a checkpoint must be signed".into()));
    };
    match raw.get("schema") {
        Some(Value::String(s)) if s == CHECKPOINT_SCHEMA => {}
        other => {
            return Err((
                Rejection::UnknownSchema,
                format!(
                    "schema {} is not \"{CHECKPOINT_SCHEMA}\"",
                    other.unwrap_or(&Value::Null)
                ),
            ))
        }
    }
    let checkpoint: Checkpoint = serde_json::from_value(raw)
        .map_err(|e| (Rejection::Malformed, format!("not a checkpoint: {e}")))?;
    if checkpoint.revision == 0 {
        return Err((Rejection::Malformed, "`revision` must be at least 1".into()));
    }
    let Some(issued_at) = checkpoint.issued_at.as_deref().and_then(parse_rfc3339) else {
        return Err((
            Rejection::Malformed,
            "`issued_at` must be an RFC 3339 time (e.g. 2026-12-02T10:00:00Z): without it a replayed checkpoint never expires; publish with `authz publish`".into(),
        ));
    };
    if let Some(bad) = checkpoint
        .entities
        .keys()
        .find(|k| parse_key(k.as_bytes()).is_none())
    {
        return Err((
            Rejection::Malformed,
            format!("`entities` names {bad:?}, which is not `<kind>/<id>`"),
        ));
    }
    if let Some((k, r)) = checkpoint
        .entities
        .iter()
        .find(|(_, r)| **r == 0 || **r > checkpoint.revision)
    {
        return Err((
            Rejection::Malformed,
            format!(
                "`entities.{k}` is {r}, outside 1..={} (the checkpoint's revision)",
                checkpoint.revision
            ),
        ));
    }
    Ok(VerifiedCheckpoint {
        checkpoint,
        signed_by: kid,
        issued_at,
    })
}

/// Encodes a checkpoint as a record value (a compact JWS; checkpoints are always signed).
pub fn encode_checkpoint(checkpoint: &Checkpoint, key: &SigningKey) -> Result<String, EncodeError> {
    let json = serde_json::to_value(checkpoint)?;
    Ok(key.sign_with_header(
        &serde_json::json!({"alg": "EdDSA", "kid": key.kid, "typ": CHECKPOINT_TYP}),
        &json,
    )?)
}

/// Why an entity is withheld from the served view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithheldBecause {
    /// The checkpoint says the topic holds `expected` for this key; the replay found only
    /// `held` (an older record, or the baked floor): the newer signed record is missing.
    BehindCheckpoint { expected: u64, held: u64 },
    /// The replay verified no fresh checkpoint, so the baked policy is served; the key had a
    /// record no portal writes (forged, unreadable, or older than one already applied).
    SuspectWithoutFreshCheckpoint,
    /// The checkpoint lists every key the portal's state holds, and not this one, which the
    /// replay holds no newer than the checkpoint (the baked floor, usually): the portal
    /// deleted it and its delete record is missing, or never published it.
    NotInCheckpoint { checkpoint: u64 },
}

impl WithheldBecause {
    pub fn describe(&self) -> String {
        match self {
            WithheldBecause::BehindCheckpoint { expected, held } => format!(
                "the last verified checkpoint lists revision {expected} but the topic yields {held}: a signed record is missing (compacted away after a hostile write?)"
            ),
            WithheldBecause::SuspectWithoutFreshCheckpoint => "no fresh checkpoint verified, so the baked policy is served, and this key had a forged, unreadable or replayed record: its baked state may be one the portal has since changed".into(),
            WithheldBecause::NotInCheckpoint { checkpoint } => format!(
                "the checkpoint at revision {checkpoint} lists the portal's whole state and not this key: the portal deleted it (its delete record is missing) or never published it"
            ),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WithheldBecause::BehindCheckpoint { .. } => "behind_checkpoint",
            WithheldBecause::SuspectWithoutFreshCheckpoint => "suspect_without_fresh_checkpoint",
            WithheldBecause::NotInCheckpoint { .. } => "not_in_checkpoint",
        }
    }
}

/// One entity withheld from the served view (decisions that need it deny).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    pub key: String,
    pub because: WithheldBecause,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_window() {
        let now = 1_800_000_000;
        assert!(is_fresh(now, now, 60));
        assert!(is_fresh(now - 60, now, 60));
        assert!(!is_fresh(now - 61, now, 60));
        assert!(is_fresh(now + MAX_CLOCK_SKEW_S, now, 60));
        assert!(!is_fresh(now + MAX_CLOCK_SKEW_S + 1, now, 60));
        // Extremes saturate instead of overflowing.
        assert!(!is_fresh(i64::MIN, i64::MAX, 10));
        assert!(!is_fresh(0, i64::MIN, 10));
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_rfc3339("2026-12-02"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
