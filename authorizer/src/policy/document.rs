//! Serde types of the policy document `gateway-policy/v1` (see `schema/gateway-policy.v1.json`).
//! These are the validated shape; `validate` has already checked the JSON before they are built.

use serde::{Deserialize, Serialize};

/// The `schema` value every v1 policy document carries.
pub const POLICY_SCHEMA: &str = "gateway-policy/v1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    pub schema: String,
    pub revision: u64,
    #[serde(default)]
    pub issuers: Vec<IssuerDoc>,
    #[serde(default)]
    pub clients: Vec<ClientDoc>,
    #[serde(default)]
    pub apis: Vec<ApiDoc>,
    #[serde(default)]
    pub publishers: Vec<PublisherDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IssuerDoc {
    pub id: String,
    pub issuer: String,
    pub audiences: Vec<String>,
    pub algorithms: Vec<String>,
    #[serde(default = "default_client_id_claims")]
    pub client_id_claims: Vec<String>,
    #[serde(default)]
    pub leeway_seconds: u64,
    pub keys: Vec<KeyDoc>,
}

pub(crate) fn default_client_id_claims() -> Vec<String> {
    vec!["client_id".to_string(), "azp".to_string()]
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Signs new tokens and verifies.
    Active,
    /// No longer signs, still verifies tokens issued before the rotation.
    Retired,
    /// Never verifies.
    Revoked,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyDoc {
    pub kid: String,
    pub status: KeyStatus,
    pub jwk: serde_json::Value,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ClientStatus {
    Active,
    Suspended,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientDoc {
    pub id: String,
    pub status: ClientStatus,
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApiDoc {
    pub id: String,
    pub routes: Vec<RouteDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RouteDoc {
    pub route: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PublisherDoc {
    pub kid: String,
    pub jwk: serde_json::Value,
}
