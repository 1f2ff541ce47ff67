//! The policy: the document platform teams write (contract 1), its validation, and the
//! indexed in-memory view that decisions read.
//!
//! A document is checked as JSON first (so every problem is reported with its JSON path,
//! all at once), then indexed once; the hot path only does hash lookups on the index.

use serde::Deserialize;

mod accept;
mod document;
mod index;
mod validate;

pub use document::{
    ApiDoc, ClientDoc, ClientStatus, IssuerDoc, KeyDoc, KeyStatus, PolicyDocument, PublisherDoc,
    RouteDoc, POLICY_SCHEMA,
};
pub use index::{Api, Client, EntityKind, Issuer, Key, PolicyView, RouteEntry};
pub(crate) use validate::is_identifier;
pub use validate::{
    validate_api, validate_client, validate_document, validate_issuer, validate_publisher,
    PolicyError, PolicyErrors,
};

/// Parses, validates and indexes a policy document from its JSON text.
///
/// A valid document takes the fast path: parsed straight into its types, checked by
/// [`accept`], indexed. Anything else is parsed again as JSON and validated field by field
/// (`validate`), which reports every problem with its path.
pub fn load_policy(json: &str) -> Result<PolicyView, PolicyErrors> {
    if let Ok(doc) = serde_json::from_str::<PolicyDocument>(json) {
        if accept::acceptable(&doc) {
            if let Ok(view) = PolicyView::from_validated(doc) {
                return Ok(view);
            }
        }
    }
    load_policy_checked(json)
}

/// The slow path of [`load_policy`]: JSON first, every problem reported.
fn load_policy_checked(json: &str) -> Result<PolicyView, PolicyErrors> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        PolicyErrors::single(
            "$",
            format!(
                "not valid JSON (line {}, column {}): {e}; a policy is one JSON object",
                e.line(),
                e.column()
            ),
        )
    })?;
    let doc = checked_document(&value)?;
    // The parsed JSON is not needed once typed; freeing it first lowers the peak memory
    // of loading a large policy.
    drop(value);
    PolicyView::from_validated(doc)
}

/// Validates and indexes an already-parsed policy document.
pub fn load_policy_value(value: &serde_json::Value) -> Result<PolicyView, PolicyErrors> {
    PolicyView::from_validated(checked_document(value)?)
}

fn checked_document(value: &serde_json::Value) -> Result<PolicyDocument, PolicyErrors> {
    validate_document(value)?;
    PolicyDocument::deserialize(value)
        .map_err(|e| PolicyErrors::single("$", format!("does not match the schema: {e}")))
}
