//! The reference model of [`super::event`]: the same reading of an event, done on a parsed
//! `serde_json::Value`, as the authorizer did before it read the JSON text directly. The
//! property tests hold the reader to it.

use serde_json::Value;

use super::event::{bearer, Incoming, MethodArn};
use super::Shape;

fn header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    let headers = event.get("headers")?.as_object()?;
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// Reads the event's shape, method ARN and token.
pub fn read_event(event: &Value) -> Incoming<'_> {
    let str_field = |name: &str| event.get(name).and_then(Value::as_str);
    let shape = match (str_field("type"), str_field("version")) {
        (Some("TOKEN"), _) => Some(Shape::RestToken),
        (Some("REQUEST"), Some("2.0")) => Some(Shape::HttpV2),
        (Some("REQUEST"), Some("1.0")) => Some(Shape::HttpV1),
        (Some("REQUEST"), None) => Some(Shape::RestRequest),
        _ => None,
    };
    let arn = match shape {
        Some(Shape::HttpV2) => str_field("routeArn"),
        _ => str_field("methodArn"),
    }
    .and_then(MethodArn::parse);
    let token = match shape {
        Some(Shape::RestToken) => str_field("authorizationToken").map_or(Ok(None), bearer),
        Some(Shape::HttpV2) => match header(event, "authorization") {
            Some(h) => bearer(h),
            // With a cache TTL the identity sources hold the token; the header is then
            // still present, so this only matters for hand-made events.
            None => event
                .get("identitySource")
                .and_then(Value::as_array)
                .and_then(|ids| {
                    ids.iter().filter_map(Value::as_str).find(|s| {
                        s.len() > 7
                            && s.get(..7)
                                .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
                    })
                })
                .map_or(Ok(None), bearer),
        },
        Some(Shape::HttpV1 | Shape::RestRequest) => {
            header(event, "authorization").map_or(Ok(None), bearer)
        }
        None => Ok(None),
    };
    Incoming { shape, arn, token }
}
