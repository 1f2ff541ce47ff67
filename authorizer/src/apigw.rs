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
use crate::route::{
    intersect, path_segments, precedence, shape_pattern, Segment, METHODS, REFUSED_PATH_PATTERNS,
};

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
        // API Gateway never puts an IAM wildcard before the method; such an ARN is not one
        // of its own, and a policy built on it could not name the request it answers.
        if arn[..prefix_len].contains(['*', '?']) {
            return None;
        }
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
    // An event of no known shape was denied before any route was read: its response must
    // deny too, or the public routes' Allow would cover the very request it denied.
    let statements = match shape {
        Some(_) => iam_statements(arn, api, decision),
        None => vec![statement(IamPolicyEffect::Deny, vec!["*".into()])],
    };
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

/// The IAM statements of a REST/1.0 response.
///
/// API Gateway caches this policy under the identity source (the token for a TOKEN
/// authorizer) and evaluates later requests against it, so it must never allow a request
/// that a fresh decision would deny, and must allow the request it answers if that was
/// allowed. The resources are built from the route templates only, never from request text
/// (an IAM `*` or `?` copied from a path would match other paths): see [`cached_policy`].
fn iam_statements(
    arn: Option<&MethodArn<'_>>,
    api: Option<&Api>,
    decision: &Decision,
) -> Vec<IamPolicyStatement> {
    let deny_all = |resource: String| vec![statement(IamPolicyEffect::Deny, vec![resource])];
    let Some(arn) = arn else {
        return deny_all("*".into());
    };
    // The stage prefix comes from API Gateway; a wildcard in it would widen every resource.
    if arn.stage_prefix.contains(['*', '?']) {
        return deny_all("*".into());
    }
    let Some(api) = api else {
        return deny_all(format!("{}/*", arn.stage_prefix));
    };
    // What the token may call. Only a verified token has scopes; otherwise (a token fault,
    // or a public or unknown route, decided before the token is read) public routes only.
    let token_verified = matches!(decision.reason, Reason::Ok | Reason::InsufficientScope);
    let allowed: Vec<bool> = api
        .routes
        .iter()
        .map(|r| {
            r.public || (token_verified && r.scopes.iter().all(|s| decision.scopes.contains(s)))
        })
        .collect();
    let answered = if decision.effect == Effect::Allow {
        let segments = path_segments(&arn.path);
        match api.router.find(arn.method, &segments) {
            Some(route) if allowed.get(route) == Some(&true) => Some(Answered {
                route,
                method: arn.method,
                segments: segments.len(),
                arn: arn.full,
            }),
            // Cannot happen (the decision routed the same way); never widen on a surprise.
            _ => return deny_all(format!("{}/*", arn.stage_prefix)),
        }
    } else {
        None
    };
    let policy = cached_policy(arn.stage_prefix, api, &allowed, answered.as_ref());
    if policy.allow.is_empty() {
        return deny_all(format!("{}/*", arn.stage_prefix));
    }
    vec![
        statement(IamPolicyEffect::Allow, policy.allow),
        statement(IamPolicyEffect::Deny, policy.deny),
    ]
}

/// The allowed request a response answers.
struct Answered<'a> {
    route: usize,
    method: &'a str,
    /// How many path segments the request has.
    segments: usize,
    arn: &'a str,
}

/// Allow and Deny resources of a cached policy.
#[derive(Debug, Default, PartialEq, Eq)]
struct CachedPolicy {
    allow: Vec<String>,
    deny: Vec<String>,
}

impl CachedPolicy {
    /// IAM evaluation: an explicit Deny wins, else an Allow, else denied.
    fn allows(&self, arn: &str) -> bool {
        glob_any(&self.allow, arn) && !glob_any(&self.deny, arn)
    }
}

/// One allowed route for one method, as IAM can say it: an Allow of the route's pattern and
/// the Denies that cut that pattern back to paths whose fresh decision is an allow.
struct Cover {
    allow: String,
    deny: Vec<String>,
}

/// Builds the cover of `shape` (the route's own segments, or a narrower shape inside them)
/// for `method`. Why it is exact on accepted paths (refused ones are denied by
/// [`REFUSED_PATH_PATTERNS`]): an IAM `*` between two `/` matches one or more whole
/// segments of an accepted path, so a path matching the Allow either matches the shape
/// segment for segment, or one `{param}` took two segments or more (a stretch, denied), or
/// it is the root matched by `METHOD/*` (denied unless the root is allowed). A path that
/// matches the shape goes to the route or to one the router prefers; those that are not
/// allowed are denied by the pattern of their intersection with the shape.
fn cover(api: &Api, allowed: &[bool], method: &str, route: usize, shape: &[Segment]) -> Cover {
    let mut deny = Vec::new();
    let greedy_tail = shape.last() == Some(&Segment::Greedy);
    for (i, seg) in shape.iter().enumerate() {
        // Before a greedy tail with no literal in between, a stretched `{param}` is the
        // same path with a longer tail: still a match.
        let absorbed = greedy_tail
            && shape[i + 1..]
                .iter()
                .all(|s| !matches!(s, Segment::Literal(_)));
        if *seg == Segment::Param && !absorbed {
            let mut stretched = shape.to_vec();
            stretched.insert(i, Segment::Param);
            deny.push(shape_pattern(method, &stretched));
        }
    }
    // `METHOD/*` also matches the root `METHOD/` (the `*` matching nothing).
    if shape.len() == 1 && !matches!(shape[0], Segment::Literal(_)) {
        let root = api.router.find(method, &[]);
        if root.is_none_or(|r| allowed.get(r) != Some(&true)) {
            deny.push(shape_pattern(method, &[]));
        }
    }
    let template = &api.routes[route].template;
    for (other, entry) in api.routes.iter().enumerate() {
        if other == route || allowed.get(other) == Some(&true) || !entry.template.serves(method) {
            continue;
        }
        let Some(both) = intersect(shape, &entry.template.segments) else {
            continue;
        };
        if precedence(&entry.template, template).is_lt() {
            deny.push(shape_pattern(method, &both));
        }
    }
    Cover {
        allow: shape_pattern(method, shape),
        deny,
    }
}

/// The cached policy for a token that may call the routes marked in `allowed`, answering
/// `answered` (when that request was allowed). Every allowed route gets its [`cover`] for
/// each method it serves; a cover whose Denies would hit the answered request is left out
/// (the policy is then narrower: API Gateway answers those calls 403 until the cache entry
/// expires), and the answered route's own cover falls back to its shape at the request's
/// depth, whose Denies provably cannot hit the request.
fn cached_policy(
    stage_prefix: &str,
    api: &Api,
    allowed: &[bool],
    answered: Option<&Answered<'_>>,
) -> CachedPolicy {
    let full = |suffix: &str| format!("{stage_prefix}/{suffix}");
    let hits = |cover: &Cover, arn: &str| {
        cover
            .deny
            .iter()
            .any(|d| glob(full(d).as_bytes(), arn.as_bytes()))
    };
    let mut covers = Vec::new();
    if let Some(a) = answered {
        let template = &api.routes[a.route].template;
        // The router serves only these methods, so the request's is one of them; the
        // pattern takes the constant, not the request's text.
        let method = METHODS
            .iter()
            .copied()
            .find(|m| *m == a.method && *m != "ANY")
            .unwrap_or("ANY");
        let own = cover(api, allowed, method, a.route, &template.segments);
        let depth_cover = || {
            cover(
                api,
                allowed,
                method,
                a.route,
                &at_depth(&template.segments, a.segments),
            )
        };
        let own = if hits(&own, a.arn) {
            depth_cover()
        } else {
            own
        };
        covers.push(own);
        let policy = assemble(stage_prefix, api, allowed, answered, covers);
        if policy.allows(a.arn) {
            return policy;
        }
        // Not reachable by the argument above; should it be, answer at the request's depth.
        return assemble(
            stage_prefix,
            api,
            &vec![false; allowed.len()],
            None,
            vec![depth_cover()],
        );
    }
    assemble(stage_prefix, api, allowed, answered, covers)
}

/// Adds every allowed route's covers (but those whose Denies hit the answered request) to
/// `covers`, and writes them out after the refused-path Denies.
fn assemble(
    stage_prefix: &str,
    api: &Api,
    allowed: &[bool],
    answered: Option<&Answered<'_>>,
    mut covers: Vec<Cover>,
) -> CachedPolicy {
    let full = |suffix: &str| format!("{stage_prefix}/{suffix}");
    let hits = |cover: &Cover, arn: &str| {
        cover
            .deny
            .iter()
            .any(|d| glob(full(d).as_bytes(), arn.as_bytes()))
    };
    for (route, entry) in api.routes.iter().enumerate() {
        if allowed.get(route) != Some(&true) {
            continue;
        }
        let methods: Vec<&str> = if entry.template.method == "ANY" {
            METHODS.iter().copied().filter(|m| *m != "ANY").collect()
        } else {
            vec![entry.template.method.as_str()]
        };
        for method in methods {
            let c = cover(api, allowed, method, route, &entry.template.segments);
            if answered.is_some_and(|a| hits(&c, a.arn)) {
                continue;
            }
            covers.push(c);
        }
    }
    let mut policy = CachedPolicy::default();
    let mut seen = std::collections::HashSet::new();
    for c in &covers {
        if seen.insert(("allow", c.allow.clone())) {
            policy.allow.push(full(&c.allow));
        }
    }
    for suffix in REFUSED_PATH_PATTERNS {
        policy.deny.push(format!("{stage_prefix}{suffix}"));
    }
    for c in &covers {
        for d in &c.deny {
            if seen.insert(("deny", d.clone())) {
                policy.deny.push(full(d));
            }
        }
    }
    policy
}

/// A shape with its greedy tail replaced by `{param}`s up to `depth` segments: the paths of
/// exactly that depth the route matches.
fn at_depth(shape: &[Segment], depth: usize) -> Vec<Segment> {
    let mut out: Vec<Segment> = shape
        .iter()
        .filter(|s| **s != Segment::Greedy)
        .cloned()
        .collect();
    while out.len() < depth {
        out.push(Segment::Param);
    }
    out
}

fn glob_any(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob(p.as_bytes(), text.as_bytes()))
}

/// IAM resource matching: `*` matches any run of characters (`/` and the empty run
/// included), `?` exactly one character; every other pattern character matches itself. A
/// `*` or `?` in the text is an ordinary character.
pub fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (Ok(pattern), Ok(text)) = (std::str::from_utf8(pattern), std::str::from_utf8(text)) else {
        return false;
    };
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
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
        // Found by the `apigw_event` fuzz target: a `?` before the method.
        assert!(MethodArn::parse("arn:aws:execute-api:r:1?:abc/prod/GET/health").is_none());
        assert!(MethodArn::parse("arn:aws:execute-api:r:1:abc/pr*d/GET/health").is_none());
        assert!(MethodArn::parse("arn:aws:execute-api:r:1:abc/prod/GET/he*lth").is_some());
    }

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
            let out = handle_event(Some(&view), "orders", &event, 0, Served::default());
            assert_eq!(out.decision.reason, Reason::UnknownRoute);
            assert_eq!(
                out.response["policyDocument"]["Statement"],
                json!([{"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": ["*"]}]),
                "{kind}"
            );
        }
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
        assert!(glob(b"a/*", b"a/"), "a `*` matches the empty run");
        assert!(glob(b"a?c", b"abc") && !glob(b"a?c", b"ac"));
        assert!(
            glob("a/?".as_bytes(), "a/é".as_bytes()),
            "`?` is one character"
        );
    }

    #[test]
    fn a_star_meeting_a_literal_star_in_the_text_is_still_a_wildcard() {
        // IAM: the pattern's `*` may match the text's `*` and more; the text's `*` is plain.
        assert!(glob(b"a*b", b"a*xb"));
        assert!(glob(b"GET/*/b", b"GET/*x/b"));
        assert!(glob(b"GET/*/b", b"GET/x/*/b"));
        assert!(
            !glob(b"GET/x", b"GET/*"),
            "a `*` in the text matches only itself"
        );
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
