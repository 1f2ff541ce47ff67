//! API Gateway adapters: the authorizer events API Gateway sends (HTTP API payload 2.0 and
//! 1.0, REST `TOKEN` and `REQUEST`) in, and the responses it expects out.
//!
//! Events are read leniently from JSON (a missing or odd field gives a deny, never an
//! error or a panic); responses are built with `aws_lambda_events` types.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerSimpleResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use serde_json::{json, Map, Value};

use crate::decision::{decide, Decision, Effect, Reason, Request};
use crate::policy::{Api, PolicyView};

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

/// `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH`, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodArn<'a> {
    /// `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE`
    pub stage_prefix: &'a str,
    pub method: &'a str,
    /// The request path without the stage, starting with '/'.
    pub path: String,
    pub full: &'a str,
}

impl<'a> MethodArn<'a> {
    pub fn parse(arn: &'a str) -> Option<Self> {
        let mut fields = arn.splitn(6, ':');
        let (
            Some("arn"),
            Some(_partition),
            Some("execute-api"),
            Some(_region),
            Some(_account),
            Some(resource),
        ) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        )
        else {
            return None;
        };
        let mut parts = resource.splitn(4, '/');
        let (Some(api), Some(stage), Some(method)) = (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if api.is_empty() || stage.is_empty() || method.is_empty() {
            return None;
        }
        let rest = parts.next().unwrap_or("");
        let prefix_len = arn.len() - resource.len() + api.len() + 1 + stage.len();
        Some(MethodArn {
            stage_prefix: &arn[..prefix_len],
            method,
            path: format!("/{rest}"),
            full: arn,
        })
    }
}

/// The parts of an event the decision needs.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub shape: Option<Shape>,
    pub arn: Option<MethodArn<'a>>,
    /// `Ok(Some)` a bearer token, `Ok(None)` none sent, `Err` a credential that is not a bearer token.
    pub token: Result<Option<&'a str>, NotBearer>,
}

fn header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    let headers = event.get("headers")?.as_object()?;
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// A credential of another scheme than `Bearer` (e.g. `Basic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotBearer;

/// Strips the `Bearer ` scheme. A bare JWT is accepted as is; any other scheme is refused.
pub fn bearer(value: &str) -> Result<Option<&str>, NotBearer> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => {
            let token = rest.trim();
            if token.is_empty() {
                Ok(None)
            } else {
                Ok(Some(token))
            }
        }
        Some(_) => Err(NotBearer),
        None if value.eq_ignore_ascii_case("bearer") => Ok(None),
        None => Ok(Some(value)),
    }
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
    pub response: Value,
}

/// Decides an authorizer event and builds API Gateway's response.
pub fn handle_event(
    view: Option<&PolicyView>,
    api_id: &str,
    event: &Value,
    now: i64,
    served: Served,
) -> Outcome {
    let incoming = read_event(event);
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

fn context(decision: &Decision, served: Served) -> Map<String, Value> {
    let mut ctx = Map::new();
    if let Some(p) = &decision.principal {
        ctx.insert("principal".into(), json!(p));
        ctx.insert("clientId".into(), json!(p));
    }
    ctx.insert("scopes".into(), json!(decision.scopes.join(" ")));
    ctx.insert("policyRevision".into(), json!(decision.revision));
    ctx.insert("reason".into(), json!(decision.reason.as_str()));
    ctx.insert("stale".into(), json!(served.stale));
    ctx
}

fn build_response(
    shape: Option<Shape>,
    arn: Option<&MethodArn<'_>>,
    api: Option<&Api>,
    decision: &Decision,
    served: Served,
) -> Value {
    let ctx = Value::Object(context(decision, served));
    if shape == Some(Shape::HttpV2) {
        let mut r = ApiGatewayV2CustomAuthorizerSimpleResponse::<Value>::default();
        r.is_authorized = decision.effect == Effect::Allow;
        r.context = ctx;
        return serde_json::to_value(r).unwrap_or_else(|_| json!({"isAuthorized": false}));
    }
    let statements = iam_statements(arn, api, decision);
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".into());
    policy.statement = statements;
    let mut r = ApiGatewayCustomAuthorizerResponse::<Value>::default();
    r.principal_id = Some(
        decision
            .principal
            .clone()
            .unwrap_or_else(|| "anonymous".into()),
    );
    r.policy_document = policy;
    r.context = ctx;
    let mut out = serde_json::to_value(r).unwrap_or_else(|_| json!({"principalId": "anonymous", "policyDocument": {"Version": "2012-10-17", "Statement": []}}));
    // No usage plans here: leave the field out rather than send null.
    if let Some(obj) = out.as_object_mut() {
        obj.remove("usageIdentifierKey");
    }
    out
}

fn statement(effect: IamPolicyEffect, resources: Vec<String>) -> IamPolicyStatement {
    let mut s = IamPolicyStatement::default();
    s.action = vec!["execute-api:Invoke".into()];
    s.effect = effect;
    s.resource = resources;
    s
}

/// The IAM statements of a REST/1.0 response. API Gateway caches this policy per identity
/// source and applies it to later calls of the same token on *other* routes, so it must
/// allow exactly the routes this token may call: the allowed routes' patterns, with the
/// patterns of every route it may not call denied (an explicit deny wins over a wildcard
/// allow such as `GET/orders/*` covering `GET/orders/export`).
fn iam_statements(
    arn: Option<&MethodArn<'_>>,
    api: Option<&Api>,
    decision: &Decision,
) -> Vec<IamPolicyStatement> {
    let Some(arn) = arn else {
        return vec![statement(IamPolicyEffect::Deny, vec!["*".into()])];
    };
    let exact = || vec![arn.full.to_string()];
    match (decision.reason, api) {
        (Reason::Ok | Reason::InsufficientScope, Some(api)) => {
            let (allowed, denied) = route_patterns(arn, api, &decision.scopes);
            let mut out = Vec::new();
            let allows_current = glob_any(&allowed, arn.full) && !glob_any(&denied, arn.full);
            let expected = decision.effect == Effect::Allow;
            if allows_current != expected {
                // Patterns overlap in a way IAM cannot express; answer for this call only.
                let effect = if expected {
                    IamPolicyEffect::Allow
                } else {
                    IamPolicyEffect::Deny
                };
                return vec![statement(effect, exact())];
            }
            if !allowed.is_empty() {
                out.push(statement(IamPolicyEffect::Allow, allowed));
            }
            if !denied.is_empty() {
                out.push(statement(IamPolicyEffect::Deny, denied));
            }
            out
        }
        // The whole public route, not just this path: a cached answer for one path must not
        // turn into a deny for the next path of the same route.
        (Reason::PublicRoute, Some(api)) => {
            let patterns = api
                .routes
                .iter()
                .find(|r| Some(&r.route) == decision.route.as_ref())
                .map(|r| {
                    r.arn_patterns
                        .iter()
                        .map(|p| format!("{}/{p}", arn.stage_prefix))
                        .collect()
                })
                .unwrap_or_else(exact);
            vec![statement(IamPolicyEffect::Allow, patterns)]
        }
        // A token that is unusable is unusable on every route of this stage.
        (reason, _) if reason.is_token_fault() => {
            vec![statement(
                IamPolicyEffect::Deny,
                vec![format!("{}/*", arn.stage_prefix)],
            )]
        }
        _ => vec![statement(IamPolicyEffect::Deny, exact())],
    }
}

/// ARN patterns of the routes a token holding `scopes` may and may not call.
fn route_patterns(arn: &MethodArn<'_>, api: &Api, scopes: &[String]) -> (Vec<String>, Vec<String>) {
    let mut allowed = Vec::new();
    let mut denied = Vec::new();
    for route in &api.routes {
        let target = if route.public || route.scopes.iter().all(|s| scopes.contains(s)) {
            &mut allowed
        } else {
            &mut denied
        };
        target.extend(
            route
                .arn_patterns
                .iter()
                .map(|p| format!("{}/{p}", arn.stage_prefix)),
        );
    }
    (allowed, denied)
}

fn glob_any(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob(p.as_bytes(), text.as_bytes()))
}

/// IAM resource matching: `*` any run of characters (slashes included), `?` one character.
pub fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_method_arns() {
        let a =
            MethodArn::parse("arn:aws:execute-api:eu-west-1:123:abc/prod/GET/orders/42").unwrap();
        assert_eq!(a.stage_prefix, "arn:aws:execute-api:eu-west-1:123:abc/prod");
        assert_eq!((a.method, a.path.as_str()), ("GET", "/orders/42"));
        let root = MethodArn::parse("arn:aws:execute-api:eu-west-1:123:abc/$default/GET/").unwrap();
        assert_eq!(root.path, "/");
        assert!(MethodArn::parse("arn:aws:lambda:eu-west-1:123:function:x").is_none());
        assert!(MethodArn::parse("garbage").is_none());
        assert!(MethodArn::parse("arn:aws:execute-api:r:a:abc/prod").is_none());
    }

    #[test]
    fn bearer_scheme() {
        assert_eq!(bearer("Bearer a.b.c"), Ok(Some("a.b.c")));
        assert_eq!(bearer("bearer   a.b.c "), Ok(Some("a.b.c")));
        assert_eq!(bearer("a.b.c"), Ok(Some("a.b.c")));
        assert_eq!(bearer(""), Ok(None));
        assert_eq!(bearer("Bearer "), Ok(None));
        assert_eq!(bearer("Basic dXNlcg=="), Err(NotBearer));
    }

    #[test]
    fn globbing_like_iam() {
        assert!(glob(b"a/GET/orders/*", b"a/GET/orders/42"));
        assert!(glob(b"a/GET/orders/*", b"a/GET/orders/42/x"));
        assert!(!glob(b"a/GET/orders/*", b"a/POST/orders/42"));
        assert!(glob(b"a/*/files/*", b"a/DELETE/files/x/y"));
        assert!(glob(b"a/GET/", b"a/GET/"));
        assert!(!glob(b"a/GET/", b"a/GET/x"));
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
            let out = handle_event(None, "a", &event, 0, Served::default());
            assert_eq!(out.decision.effect, Effect::Deny);
        }
    }
}
