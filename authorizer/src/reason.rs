//! The decision's vocabulary, shared by every check: the contract's reason codes, the
//! effect each one has, and the trace that records checks for `authz explain`. A leaf:
//! it imports nothing of the crate, so `token` and `decision` both build on it.

use serde::{Deserialize, Serialize};

/// Why a request was allowed or denied. The codes are a contract: the reason-code table of
/// `conformance/README.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    NoPolicy,
    UnknownApi,
    UnknownRoute,
    PublicRoute,
    MissingToken,
    MalformedToken,
    UnknownIssuer,
    DisallowedAlgorithm,
    UnknownKey,
    RevokedKey,
    BadSignature,
    Expired,
    NotYetValid,
    WrongAudience,
    UnknownClient,
    ClientSuspended,
    InsufficientScope,
    Ok,
}

impl Reason {
    pub const ALL: [Reason; 18] = [
        Reason::NoPolicy,
        Reason::UnknownApi,
        Reason::UnknownRoute,
        Reason::PublicRoute,
        Reason::MissingToken,
        Reason::MalformedToken,
        Reason::UnknownIssuer,
        Reason::DisallowedAlgorithm,
        Reason::UnknownKey,
        Reason::RevokedKey,
        Reason::BadSignature,
        Reason::Expired,
        Reason::NotYetValid,
        Reason::WrongAudience,
        Reason::UnknownClient,
        Reason::ClientSuspended,
        Reason::InsufficientScope,
        Reason::Ok,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NoPolicy => "no_policy",
            Reason::UnknownApi => "unknown_api",
            Reason::UnknownRoute => "unknown_route",
            Reason::PublicRoute => "public_route",
            Reason::MissingToken => "missing_token",
            Reason::MalformedToken => "malformed_token",
            Reason::UnknownIssuer => "unknown_issuer",
            Reason::DisallowedAlgorithm => "disallowed_algorithm",
            Reason::UnknownKey => "unknown_key",
            Reason::RevokedKey => "revoked_key",
            Reason::BadSignature => "bad_signature",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::WrongAudience => "wrong_audience",
            Reason::UnknownClient => "unknown_client",
            Reason::ClientSuspended => "client_suspended",
            Reason::InsufficientScope => "insufficient_scope",
            Reason::Ok => "ok",
        }
    }

    pub fn effect(self) -> Effect {
        if matches!(self, Reason::Ok | Reason::PublicRoute) {
            Effect::Allow
        } else {
            Effect::Deny
        }
    }

    /// Whether the token itself was found unusable (so it is unusable on every route).
    pub fn is_token_fault(self) -> bool {
        matches!(
            self,
            Reason::MissingToken
                | Reason::MalformedToken
                | Reason::UnknownIssuer
                | Reason::DisallowedAlgorithm
                | Reason::UnknownKey
                | Reason::RevokedKey
                | Reason::BadSignature
                | Reason::Expired
                | Reason::NotYetValid
                | Reason::WrongAudience
                | Reason::UnknownClient
                | Reason::ClientSuspended
        )
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Allow,
    Deny,
}

/// The step-by-step record of a decision: each check's step name and what it found.
pub type Trace = Vec<(&'static str, String)>;

/// Records one check in `trace`, if one is being kept.
pub fn note(trace: &mut Option<&mut Trace>, step: &'static str, what: String) {
    if let Some(t) = trace.as_deref_mut() {
        t.push((step, what));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_serialize_as_the_contract_says() {
        for r in Reason::ALL {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::String(r.as_str().into())
            );
        }
        assert_eq!(Reason::Ok.effect(), Effect::Allow);
        assert_eq!(Reason::PublicRoute.effect(), Effect::Allow);
        assert_eq!(Reason::Expired.effect(), Effect::Deny);
    }

    #[test]
    fn note_records_only_when_tracing() {
        let mut kept = Trace::new();
        let mut trace = Some(&mut kept);
        note(&mut trace, "route", "matches".into());
        let mut none: Option<&mut Trace> = None;
        note(&mut none, "route", "dropped".into());
        assert_eq!(kept, vec![("route", "matches".to_string())]);
    }
}
