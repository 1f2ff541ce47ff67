//! API Gateway adapters: the authorizer events API Gateway sends (HTTP API payload 2.0 and
//! 1.0, REST `TOKEN` and `REQUEST`) in, and the responses it expects out.
//!
//! - [`event`]: reads the shape, method ARN and token straight from the event's JSON text
//!   (a missing or odd member gives a deny, never an error or a panic);
//! - [`response`]: the typed responses, serialised straight to JSON;
//! - [`iam`]: the IAM policy of REST responses, which API Gateway caches.

mod event;
#[cfg(test)]
mod event_model;
mod iam;
mod response;

pub use event::{bearer, EventFields, Incoming, MethodArn, NotBearer};
pub use iam::glob;
pub use response::{
    Context, IamEffect, IamResponse, PolicyDocument, Response, SimpleResponse, Statement,
};

use crate::decision::{decide, Decision, Effect, Reason, Request};
use crate::policy::PolicyView;
use response::build_response;

/// Which authorizer event API Gateway sent; decides the response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// HTTP API, payload format 2.0, simple responses.
    HttpV2,
    /// HTTP API, payload format 1.0 (IAM policy responses).
    HttpV1,
    /// REST API TOKEN authorizer.
    RestToken,
    /// REST API REQUEST authorizer.
    RestRequest,
}

/// Extra facts about the decision that go into the response context.
#[derive(Debug, Clone, Copy, Default)]
pub struct Served {
    /// The policy view was not confirmed fresh within the staleness bound.
    pub stale: bool,
}

/// One handled event: the decision and the response for API Gateway.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub decision: Decision,
    pub shape: Option<Shape>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub response: Response,
}

/// Decides an authorizer event and builds API Gateway's response.
pub fn handle_event(
    view: Option<&PolicyView>,
    api_id: &str,
    event_json: &str,
    now: i64,
    served: Served,
) -> Outcome {
    let fields = EventFields::parse(event_json);
    let incoming = fields.incoming();
    let decision = match (&incoming.shape, &incoming.arn) {
        (Some(_), Some(arn)) => match incoming.token {
            Ok(token) => decide(
                view,
                api_id,
                &Request {
                    method: arn.method,
                    path: &arn.path,
                    token,
                },
                now,
            ),
            // A credential of another scheme: the route still decides first (public routes
            // stay public), then the empty token is a malformed one.
            Err(NotBearer) => decide(
                view,
                api_id,
                &Request {
                    method: arn.method,
                    path: &arn.path,
                    token: Some(""),
                },
                now,
            ),
        },
        // No recognisable event or ARN: nothing to match a route against.
        _ => {
            let revision = view.map_or(0, |v| v.revision);
            let reason = if view.is_none() {
                Reason::NoPolicy
            } else {
                Reason::UnknownRoute
            };
            Decision {
                effect: Effect::Deny,
                reason,
                principal: None,
                route: None,
                scopes: Vec::new(),
                revision,
            }
        }
    };
    let api = view.and_then(|v| v.api(api_id));
    let response = build_response(
        incoming.shape,
        incoming.arn.as_ref(),
        api,
        &decision,
        served,
    );
    Outcome {
        shape: incoming.shape,
        method: incoming.arn.as_ref().map(|a| a.method.to_string()),
        path: incoming.arn.as_ref().map(|a| a.path.clone()),
        decision,
        response,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_event_of_no_known_shape_is_denied_by_its_response_too() {
        // Found by the `apigw_event` fuzz target: `type` neither TOKEN nor REQUEST, with a
        // method ARN naming a public route, got a deny decision and a response allowing it.
        let view = crate::policy::load_policy(
            r#"{"schema":"gateway-policy/v1","revision":1,"issuers":[],"clients":[],
            "apis":[{"id":"orders","routes":[{"route":"GET /health","public":true}]}]}"#,
        )
        .unwrap();
        let arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/health";
        for kind in ["TrOKEN", "token", ""] {
            let event = json!({"type": kind, "methodArn": arn, "authorizationToken": "x"});
            let out = handle_event(
                Some(&view),
                "orders",
                &event.to_string(),
                0,
                Served::default(),
            );
            assert_eq!(out.decision.reason, Reason::UnknownRoute);
            assert_eq!(
                out.response.to_value()["policyDocument"]["Statement"],
                json!([{"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": ["*"]}]),
                "{kind}"
            );
        }
    }

    #[test]
    fn malformed_events_are_denied() {
        for event in [
            json!(null),
            json!({}),
            json!({"type": "TOKEN"}),
            json!({"type": "REQUEST", "version": "2.0", "routeArn": 7}),
            json!([1, 2]),
        ] {
            let out = handle_event(None, "a", &event.to_string(), 0, Served::default());
            assert_eq!(out.decision.effect, Effect::Deny);
        }
    }
}
