//! The decision: `(request, policy, now) -> Decision`. Pure: no I/O, no clock, no globals.
//! Checks run in the order of the reason-code table in `conformance/README.md`, so a request
//! with several faults is denied with the first one's code.

use serde::Serialize;

use crate::policy::PolicyView;
use crate::reason::note;
pub use crate::reason::{Effect, Reason, Trace};
use crate::route::path_segments;
use crate::token::{self, client_id, token_scopes};

/// What the decision needs from a request, whatever API Gateway event it came in.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path without the stage, e.g. `/orders/42`.
    pub path: &'a str,
    /// The bearer token without its `Bearer ` prefix, if the request carried one.
    pub token: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub effect: Effect,
    pub reason: Reason,
    /// The client the token names, once known.
    pub principal: Option<String>,
    /// The matched route template, e.g. `GET /orders/{id}`.
    pub route: Option<String>,
    /// Token scopes that the client is also granted (what the token may use).
    pub scopes: Vec<String>,
    /// Revision of the policy the decision was made on (0 when none).
    pub revision: u64,
}

impl Decision {
    fn new(reason: Reason, revision: u64) -> Self {
        Decision {
            effect: reason.effect(),
            reason,
            principal: None,
            route: None,
            scopes: Vec::new(),
            revision,
        }
    }
}

/// Decides one request against the policy in force for the API `api_id` at `now`.
pub fn decide(
    view: Option<&PolicyView>,
    api_id: &str,
    request: &Request<'_>,
    now: i64,
) -> Decision {
    decide_traced(view, api_id, request, now, None)
}

/// As [`decide`], also recording each check and its outcome in `trace` (for `authz explain`).
pub fn decide_traced(
    view: Option<&PolicyView>,
    api_id: &str,
    request: &Request<'_>,
    now: i64,
    mut trace: Option<&mut Trace>,
) -> Decision {
    let Some(view) = view else {
        note(&mut trace, "no_policy", "no valid policy is loaded".into());
        return Decision::new(Reason::NoPolicy, 0);
    };
    let revision = view.revision;
    let Some(api) = view.api(api_id) else {
        note(
            &mut trace,
            "unknown_api",
            format!("the policy has no API \"{api_id}\""),
        );
        return Decision::new(Reason::UnknownApi, revision);
    };
    let segments = path_segments(request.path);
    let Some(route) = api.find_route(request.method, &segments) else {
        note(
            &mut trace,
            "unknown_route",
            format!(
                "no route of \"{api_id}\" matches {} {}{}",
                request.method,
                request.path,
                crate::route::path_refusal(request.path)
                    .map(|r| format!(" (paths with {r} are refused)"))
                    .unwrap_or_default()
            ),
        );
        return Decision::new(Reason::UnknownRoute, revision);
    };
    note(
        &mut trace,
        "route",
        format!(
            "{} {} matches \"{}\"",
            request.method, request.path, route.route
        ),
    );
    if route.public {
        note(
            &mut trace,
            "public_route",
            "the route is public: no token needed".into(),
        );
        return Decision {
            route: Some(route.route.clone()),
            ..Decision::new(Reason::PublicRoute, revision)
        };
    }
    let with_route = |reason: Reason| Decision {
        route: Some(route.route.clone()),
        ..Decision::new(reason, revision)
    };
    let Some(raw) = request.token else {
        note(
            &mut trace,
            "missing_token",
            "no bearer token in the request".into(),
        );
        return with_route(Reason::MissingToken);
    };
    let verified = match token::verify(raw, view, now, trace.as_deref_mut()) {
        Ok(v) => v,
        Err(reason) => return with_route(reason),
    };
    let Some(client_id) = client_id(&verified) else {
        note(
            &mut trace,
            "unknown_client",
            format!(
                "none of the claims {:?} names a client",
                verified.issuer.doc.client_id_claims
            ),
        );
        return with_route(Reason::UnknownClient);
    };
    let principal = Some(client_id.to_string());
    let Some(client) = view.client(client_id) else {
        note(
            &mut trace,
            "unknown_client",
            format!("client \"{client_id}\" is not in the policy"),
        );
        return Decision {
            principal,
            ..with_route(Reason::UnknownClient)
        };
    };
    if !client.active {
        note(
            &mut trace,
            "client_suspended",
            format!("client \"{client_id}\" is {:?}", client.doc.status).to_lowercase(),
        );
        return Decision {
            principal,
            ..with_route(Reason::ClientSuspended)
        };
    }
    let scopes: Vec<String> = token_scopes(&verified.claims)
        .into_iter()
        .filter(|s| client.scopes.contains(*s))
        .map(str::to_string)
        .collect();
    let missing: Vec<&String> = route
        .scopes
        .iter()
        .filter(|s| !scopes.contains(s))
        .collect();
    let reason = if missing.is_empty() {
        Reason::Ok
    } else {
        Reason::InsufficientScope
    };
    if missing.is_empty() {
        note(
            &mut trace,
            "ok",
            format!("client \"{client_id}\" holds {:?}", route.scopes),
        );
    } else {
        note(
            &mut trace,
            "insufficient_scope",
            format!(
                "route needs {:?}; token and client together hold {scopes:?}",
                route.scopes
            ),
        );
    }
    Decision {
        principal,
        scopes,
        ..with_route(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn no_policy_denies() {
        let d = decide(
            None,
            "orders",
            &Request {
                method: "GET",
                path: "/",
                token: None,
            },
            0,
        );
        assert_eq!((d.effect, d.reason), (Effect::Deny, Reason::NoPolicy));
    }

    fn view(route_scopes: &[&str], client_scopes: &[&str]) -> PolicyView {
        let doc = serde_json::json!({
            "schema": "gateway-policy/v1", "revision": 1,
            "clients": [{"id": "c", "status": "active", "scopes": client_scopes}],
            "apis": [{"id": "a", "routes": [{"route": "GET /x", "scopes": route_scopes}]}]
        });
        crate::policy::load_policy_value(&doc).unwrap()
    }

    proptest! {
        // Without a token no scope logic can allow a protected route, whatever the scopes.
        #[test]
        fn protected_routes_need_a_token(route in prop::collection::btree_set("[a-c]", 0..3), client in prop::collection::btree_set("[a-c]", 0..3)) {
            let v = view(&route.iter().map(String::as_str).collect::<Vec<_>>(), &client.iter().map(String::as_str).collect::<Vec<_>>());
            let d = decide(Some(&v), "a", &Request { method: "GET", path: "/x", token: None }, 0);
            prop_assert_eq!(d.reason, Reason::MissingToken);
        }
    }
}
