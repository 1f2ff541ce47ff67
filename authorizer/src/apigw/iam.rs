//! The IAM policy of a REST (and HTTP API 1.0) response: what API Gateway caches under the
//! identity source and evaluates later requests against.

use super::response::{IamEffect, Statement};
use super::MethodArn;
use crate::decision::{Decision, Effect, Reason};
use crate::policy::Api;
use crate::route::{
    intersect, path_segments, precedence, shape_pattern, Segment, METHODS, REFUSED_PATH_PATTERNS,
};

/// The IAM statements of a REST/1.0 response.
///
/// API Gateway caches this policy under the identity source (the token for a TOKEN
/// authorizer) and evaluates later requests against it, so it must never allow a request
/// that a fresh decision would deny, and must allow the request it answers if that was
/// allowed. The resources are built from the route templates only, never from request text
/// (an IAM `*` or `?` copied from a path would match other paths): see [`cached_policy`].
pub(super) fn iam_statements(
    arn: Option<&MethodArn<'_>>,
    api: Option<&Api>,
    decision: &Decision,
) -> Vec<Statement> {
    let deny_all = |resource: String| vec![Statement::new(IamEffect::Deny, vec![resource])];
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
        Statement::new(IamEffect::Allow, policy.allow),
        Statement::new(IamEffect::Deny, policy.deny),
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
}
