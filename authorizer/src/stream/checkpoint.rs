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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::{open_value, parse_key, Rejection};
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

/// Decodes a checkpoint record's value. A checkpoint only counts when signed by a trusted
/// publisher key, so plain JSON is `unsigned` whatever the mode.
pub fn decode_checkpoint(
    value: &[u8],
    view: &PolicyView,
) -> Result<(Checkpoint, String), (Rejection, String)> {
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
    Ok((checkpoint, kid))
}

/// Encodes a checkpoint as a record value (a compact JWS; checkpoints are always signed).
pub fn encode_checkpoint(checkpoint: &Checkpoint, key: &SigningKey) -> Result<String, String> {
    let json = serde_json::to_value(checkpoint).map_err(|e| e.to_string())?;
    key.sign_with_header(
        &serde_json::json!({"alg": "EdDSA", "kid": key.kid, "typ": CHECKPOINT_TYP}),
        &json,
    )
}

/// Why an entity is withheld from the served view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithheldBecause {
    /// The checkpoint says the topic holds `expected` for this key; the replay found only
    /// `held` (an older record, or the baked floor): the newer signed record is missing.
    BehindCheckpoint { expected: u64, held: u64 },
    /// No verified checkpoint covers the key, and its only records were rejected (forged,
    /// unsigned, garbage or a tombstone): its signed history may have been compacted away.
    OnlyRejectedRecords,
}

impl WithheldBecause {
    pub fn describe(&self) -> String {
        match self {
            WithheldBecause::BehindCheckpoint { expected, held } => format!(
                "the last verified checkpoint lists revision {expected} but the topic yields {held}: a signed record is missing (compacted away after a hostile write?)"
            ),
            WithheldBecause::OnlyRejectedRecords => "no checkpoint covers this key and every record for it was rejected: its signed history may have been compacted away".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WithheldBecause::BehindCheckpoint { .. } => "behind_checkpoint",
            WithheldBecause::OnlyRejectedRecords => "only_rejected_records",
        }
    }
}

/// One entity withheld from the served view (decisions that need it deny).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    pub key: String,
    pub because: WithheldBecause,
}
