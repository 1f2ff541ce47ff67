//! Every API Gateway authorizer event shape through `apigw::handle_event`, the call
//! `authz decide` makes (`load_policy` then `handle_event` with default `Served`).
//!
//! Input: an event's JSON text, read as the Lambda reads it (seeds: every conformance case's
//! event: HTTP API 2.0 and 1.0, REST TOKEN and REQUEST); text that is not JSON must deny.
//!
//! Invariants: no panic; with no policy, deny; an allow is `ok` or `public_route`, and `ok`
//! only with a token that verifies independently with a usable policy key; the decision
//! equals `decide` on the request the event carries; the response says what the decision
//! says about the request itself (`isAuthorized`, or the IAM policy evaluated for the
//! method ARN: a response never denies its own allowed request nor allows a denied one).
#![no_main]

use authorizer::apigw::{handle_event, EventFields, Served, Shape};
use authorizer::decision::{decide, Effect, Reason, Request};
use fuzz_support::{conformance_policy, iam_allows, token_verifies_with_policy_key, NOW};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = std::str::from_utf8(data) else {
        return;
    };
    let (policy, view) = conformance_policy();
    let none = handle_event(None, "orders", event, NOW, Served::default());
    assert_eq!(
        none.decision.reason,
        Reason::NoPolicy,
        "no policy must deny"
    );
    let fields = EventFields::parse(event);
    let incoming = fields.incoming();
    for api in ["orders", "billing", "inventory"] {
        let outcome = handle_event(Some(view), api, event, NOW, Served::default());
        let response = outcome.response.to_value();
        let d = &outcome.decision;
        let allowed = d.effect == Effect::Allow;
        assert_eq!(
            allowed,
            matches!(d.reason, Reason::Ok | Reason::PublicRoute),
            "{d:?}"
        );
        if d.reason == Reason::Ok {
            let token = incoming.token.ok().flatten().unwrap_or_default();
            assert!(
                token_verifies_with_policy_key(token, policy),
                "allowed with a token no usable policy key signed: {event}"
            );
        }
        if let (Some(_), Some(arn), Ok(token)) =
            (incoming.shape, incoming.arn.as_ref(), incoming.token)
        {
            let direct = decide(
                Some(view),
                api,
                &Request {
                    method: arn.method,
                    path: &arn.path,
                    token,
                },
                NOW,
            );
            assert_eq!(&direct, d, "handle_event and decide disagree on {event}");
        }
        match (outcome.shape, incoming.arn.as_ref()) {
            (Some(Shape::HttpV2), _) => {
                assert_eq!(response["isAuthorized"], Value::Bool(allowed), "{response}");
            }
            (_, Some(arn)) => {
                let says = iam_allows(&response["policyDocument"], arn.full);
                assert_eq!(
                    says, allowed,
                    "the response disagrees with the decision for {}: {response}",
                    arn.full
                );
            }
            (_, None) => assert!(!allowed, "allowed without a method ARN: {event}"),
        }
    }
});
