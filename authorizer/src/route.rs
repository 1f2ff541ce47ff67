//! Route templates (`"GET /orders/{id}"`, `"ANY /files/{path+}"`) and the router that maps a
//! request's method and path to the most specific one, the way API Gateway does: a literal
//! segment beats `{param}`, which beats `{param+}`; a named method beats `ANY`.

use std::collections::HashMap;

/// Methods a route may name. `ANY` matches every method.
pub const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{name}`: exactly one path segment.
    Param,
    /// `{name+}`: one or more remaining segments; only last.
    Greedy,
}

/// Why a route template does not parse; each message says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("\"{0}\" is not a route; write \"METHOD /path\", e.g. \"GET /orders/{{id}}\"")]
    NotARoute(String),
    #[error("method \"{0}\" is not one of {methods}", methods = METHODS.join(", "))]
    UnknownMethod(String),
    #[error("path \"{0}\" must start with '/'")]
    NotRooted(String),
    #[error("path \"{0}\" has an empty segment (\"//\" or a trailing '/')")]
    EmptySegment(String),
    #[error("parameter \"{0}\" needs a name of letters, digits, '_' or '-'")]
    BadParameterName(String),
    #[error("parameter \"{name}\" appears twice in \"{path}\"")]
    DuplicateParameter { name: String, path: String },
    #[error("greedy parameter \"{0}\" must be the last segment")]
    GreedyNotLast(String),
    #[error(
        "segment \"{0}\" is not a literal nor a whole \"{{param}}\"; braces must enclose a segment"
    )]
    NotASegment(String),
    #[error("segment \"{segment}\" could never match: request paths with {refusal} are refused")]
    NeverMatches {
        segment: String,
        refusal: PathRefusal,
    },
}

/// Validation errors carry messages as text (with their JSON path).
impl From<RouteError> for String {
    fn from(e: RouteError) -> Self {
        e.to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTemplate {
    pub method: String,
    pub segments: Vec<Segment>,
}

impl RouteTemplate {
    /// Parses `"METHOD /path/{param}/{rest+}"`, saying what is wrong and what is expected.
    pub fn parse(text: &str) -> Result<Self, RouteError> {
        let (method, path) = text
            .split_once(' ')
            .ok_or_else(|| RouteError::NotARoute(text.to_string()))?;
        if !METHODS.contains(&method) {
            return Err(RouteError::UnknownMethod(method.to_string()));
        }
        if !path.starts_with('/') {
            return Err(RouteError::NotRooted(path.to_string()));
        }
        let parts: Vec<&str> = path[1..].split('/').collect();
        let mut segments = Vec::new();
        let mut names = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() {
                if parts.len() == 1 {
                    break; // the root path "/"
                }
                return Err(RouteError::EmptySegment(path.to_string()));
            }
            if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let (name, greedy) = match inner.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (inner, false),
                };
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(RouteError::BadParameterName((*part).to_string()));
                }
                if names.contains(&name) {
                    return Err(RouteError::DuplicateParameter {
                        name: name.to_string(),
                        path: path.to_string(),
                    });
                }
                names.push(name);
                if greedy {
                    if i + 1 != parts.len() {
                        return Err(RouteError::GreedyNotLast((*part).to_string()));
                    }
                    segments.push(Segment::Greedy);
                } else {
                    segments.push(Segment::Param);
                }
            } else if part.contains(['{', '}', ' ', '*', '?', '#']) {
                return Err(RouteError::NotASegment((*part).to_string()));
            } else if let Some(refusal) = segment_refusal(part) {
                return Err(RouteError::NeverMatches {
                    segment: (*part).to_string(),
                    refusal,
                });
            } else {
                segments.push(Segment::Literal((*part).to_string()));
            }
        }
        Ok(RouteTemplate {
            method: method.to_string(),
            segments,
        })
    }

    /// The execute-api ARN resource suffixes for this route: `METHOD/path` with `*` for
    /// parameters. `ANY` becomes one pattern per method, because an IAM `*` also matches
    /// `/`, so a `*` method would reach into other paths (`*/orders` matching `GET/x/orders`).
    pub fn arn_patterns(&self) -> Vec<String> {
        if self.method == "ANY" {
            return METHODS
                .iter()
                .filter(|m| **m != "ANY")
                .map(|m| self.arn_pattern_for(m))
                .collect();
        }
        vec![self.arn_pattern_for(&self.method)]
    }

    fn arn_pattern_for(&self, method: &str) -> String {
        shape_pattern(method, &self.segments)
    }
}

impl Segment {
    /// The router's preference at one position: a literal, then `{param}`, then `{param+}`.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param => 1,
            Segment::Greedy => 2,
        }
    }
}

impl RouteTemplate {
    /// Whether the route serves `method` (its own, or any for `ANY`).
    pub fn serves(&self, method: &str) -> bool {
        self.method == method || self.method == "ANY"
    }
}

/// Which of two routes the router picks for a path both match: the first position where
/// their segments differ decides (literal, then `{param}`, then `{param+}`); with the same
/// segments, a named method beats `ANY`. Only meaningful for routes whose shapes intersect.
pub fn precedence(a: &RouteTemplate, b: &RouteTemplate) -> std::cmp::Ordering {
    for (x, y) in a.segments.iter().zip(&b.segments) {
        let order = x.rank().cmp(&y.rank());
        if order.is_ne() {
            return order;
        }
        if *x == Segment::Greedy {
            break; // both greedy: the same shape, the method decides
        }
    }
    (a.method == "ANY").cmp(&(b.method == "ANY"))
}

/// The shape that matches exactly the paths both shapes match, if any path does.
pub fn intersect(a: &[Segment], b: &[Segment]) -> Option<Vec<Segment>> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for i in 0.. {
        match (a.get(i), b.get(i)) {
            (None, None) => return Some(out),
            (Some(Segment::Greedy), Some(Segment::Greedy)) => {
                out.push(Segment::Greedy);
                return Some(out);
            }
            // A greedy tail takes whatever (non-empty) rest the other shape has.
            (Some(Segment::Greedy), Some(_)) => {
                out.extend_from_slice(&b[i..]);
                return Some(out);
            }
            (Some(_), Some(Segment::Greedy)) => {
                out.extend_from_slice(&a[i..]);
                return Some(out);
            }
            (None, Some(_)) | (Some(_), None) => return None,
            (Some(x), Some(y)) => out.push(match (x, y) {
                (Segment::Literal(l), Segment::Literal(m)) if l == m => x.clone(),
                (Segment::Literal(_), Segment::Literal(_)) => return None,
                (Segment::Literal(_), _) => x.clone(),
                _ => y.clone(),
            }),
        }
    }
    None
}

/// The IAM resource suffix of a shape for one method: `METHOD/literal/*`, with `*` for
/// each `{param}` and `{param+}` (an IAM `*` spans `/` too, so this over-approximates and
/// the caller denies the difference). The root is `METHOD/`.
pub fn shape_pattern(method: &str, segments: &[Segment]) -> String {
    let mut out = String::from(method);
    if segments.is_empty() {
        out.push('/');
    }
    for seg in segments {
        out.push('/');
        match seg {
            Segment::Literal(l) => out.push_str(l),
            Segment::Param | Segment::Greedy => out.push('*'),
        }
    }
    out
}

/// A trie over path segments; each node holds the routes that end there, by method.
#[derive(Debug, Default, Clone)]
pub struct Router {
    root: Node,
}

#[derive(Debug, Default, Clone)]
struct Node {
    literal: HashMap<String, Node>,
    param: Option<Box<Node>>,
    /// Routes ending in `{name+}` under this node.
    greedy: Methods,
    /// Routes ending exactly at this node.
    here: Methods,
}

#[derive(Debug, Default, Clone)]
struct Methods {
    by_method: HashMap<String, usize>,
    any: Option<usize>,
}

impl Methods {
    fn get(&self, method: &str) -> Option<usize> {
        self.by_method.get(method).copied().or(self.any)
    }
    fn insert(&mut self, method: &str, index: usize) -> Option<usize> {
        if method == "ANY" {
            self.any.replace(index)
        } else {
            self.by_method.insert(method.to_string(), index)
        }
    }
}

impl Router {
    /// Adds a route; returns the index of an earlier route with the same shape, if any.
    pub fn insert(&mut self, template: &RouteTemplate, index: usize) -> Option<usize> {
        let mut node = &mut self.root;
        for seg in &template.segments {
            match seg {
                Segment::Literal(l) => node = node.literal.entry(l.clone()).or_default(),
                Segment::Param => node = node.param.get_or_insert_with(Box::default),
                Segment::Greedy => return node.greedy.insert(&template.method, index),
            }
        }
        node.here.insert(&template.method, index)
    }

    /// Finds the most specific route for `method` and `path` (segments without the stage);
    /// none when a segment is refused ([`segment_refusal`]).
    pub fn find(&self, method: &str, segments: &[&str]) -> Option<usize> {
        // `ANY` is a route's method, never a request's; other methods API Gateway never sends.
        if method == "ANY" || !METHODS.contains(&method) {
            return None;
        }
        if segments.iter().any(|s| segment_refusal(s).is_some()) {
            return None;
        }
        find_in(&self.root, method, segments)
    }
}

fn find_in(node: &Node, method: &str, segments: &[&str]) -> Option<usize> {
    let Some((first, rest)) = segments.split_first() else {
        return node.here.get(method);
    };
    if let Some(found) = node
        .literal
        .get(*first)
        .and_then(|n| find_in(n, method, rest))
    {
        return Some(found);
    }
    if let Some(found) = node.param.as_deref().and_then(|n| find_in(n, method, rest)) {
        return Some(found);
    }
    node.greedy.get(method)
}

/// Splits a request path into its segments, as sent: `"/"` is the root (no segments), and
/// empty segments are kept so that the router can refuse them (see [`PathRefusal`]).
pub fn path_segments(path: &str) -> Vec<&str> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    if rest.is_empty() {
        return Vec::new();
    }
    rest.split('/').collect()
}

/// Why the router refuses a request path outright (the decision is then `unknown_route`).
///
/// API Gateway evaluates a cached IAM policy against the method ARN of later requests, with
/// `*` matching any run of characters, `/` included. The router and the returned policy must
/// therefore read a path the same way: a path the router would normalise (`//`, a trailing
/// `/`, `.` and `..`, an encoded `/` or `\`) is refused instead, and the policy denies every
/// such path with [`REFUSED_PATH_PATTERNS`]. IAM wildcard characters (`*`, `?`) in a path are
/// ordinary characters to the router: the policy is built from templates only, never from
/// request text, and IAM has no way to name a literal `*`, so refusing them could not be
/// mirrored in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathRefusal {
    #[error("an empty segment (\"//\" or a trailing '/')")]
    EmptySegment,
    #[error("a \".\" or \"..\" segment")]
    DotSegment,
    #[error("an encoded '/', '\\' or '.' (%2F, %5C, %2E)")]
    EncodedDelimiter,
    #[error("a '\\'")]
    Backslash,
}

/// Substrings that make a segment refused, with the refusal; each is also one deny pattern.
const REFUSED_SUBSTRINGS: &[(&str, PathRefusal)] = &[
    ("%2F", PathRefusal::EncodedDelimiter),
    ("%2f", PathRefusal::EncodedDelimiter),
    ("%5C", PathRefusal::EncodedDelimiter),
    ("%5c", PathRefusal::EncodedDelimiter),
    ("%2E", PathRefusal::EncodedDelimiter),
    ("%2e", PathRefusal::EncodedDelimiter),
    ("\\", PathRefusal::Backslash),
];

/// IAM resource suffixes (after `arn:...:API/STAGE`) that match exactly the method ARNs
/// whose path the router refuses: every refused path matches one, no accepted path does.
pub const REFUSED_PATH_PATTERNS: &[&str] = &[
    "/*//*",   // an empty segment inside the path (or right after the method)
    "/*/*/",   // a trailing '/' (the root is "METHOD/", with one '/' only)
    "/*/./*",  // a "." segment
    "/*/.",    // a "." segment at the end
    "/*/../*", // a ".." segment
    "/*/..",   // a ".." segment at the end
    "/*%2F*", "/*%2f*", "/*%5C*", "/*%5c*", "/*%2E*", "/*%2e*", "/*\\*",
];

/// Why one segment is refused, if it is.
pub fn segment_refusal(segment: &str) -> Option<PathRefusal> {
    if segment.is_empty() {
        return Some(PathRefusal::EmptySegment);
    }
    if segment == "." || segment == ".." {
        return Some(PathRefusal::DotSegment);
    }
    REFUSED_SUBSTRINGS
        .iter()
        .find(|(s, _)| segment.contains(s))
        .map(|(_, r)| *r)
}

/// Why a request path is refused, if it is.
pub fn path_refusal(path: &str) -> Option<PathRefusal> {
    path_segments(path).into_iter().find_map(segment_refusal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn router(routes: &[&str]) -> Router {
        let mut r = Router::default();
        for (i, t) in routes.iter().enumerate() {
            r.insert(&RouteTemplate::parse(t).unwrap(), i);
        }
        r
    }

    #[test]
    fn parses_and_rejects() {
        assert!(RouteTemplate::parse("GET /orders/{id}").is_ok());
        assert!(RouteTemplate::parse("GET /").unwrap().segments.is_empty());
        assert!(RouteTemplate::parse("FETCH /x")
            .unwrap_err()
            .to_string()
            .contains("FETCH"));
        assert!(RouteTemplate::parse("GET orders")
            .unwrap_err()
            .to_string()
            .contains("start with"));
        assert!(RouteTemplate::parse("GET /a/{rest+}/b")
            .unwrap_err()
            .to_string()
            .contains("last"));
        assert!(RouteTemplate::parse("GET /a//b").is_err());
        assert!(RouteTemplate::parse("GET /a/x{id}").is_err());
        assert!(RouteTemplate::parse("GET /{id}/{id}").is_err());
        assert!(RouteTemplate::parse("/orders").is_err());
        assert_eq!(
            RouteTemplate::parse("GET /a/%2F"),
            Err(RouteError::NeverMatches {
                segment: "%2F".into(),
                refusal: PathRefusal::EncodedDelimiter
            })
        );
    }

    #[test]
    fn literal_beats_param_beats_greedy_and_method_beats_any() {
        let r = router(&[
            "GET /orders/{id}",
            "GET /orders/export",
            "ANY /files/{path+}",
            "GET /files/readme",
            "ANY /orders/{id}",
            "GET /",
        ]);
        assert_eq!(r.find("GET", &["orders", "42"]), Some(0));
        assert_eq!(r.find("GET", &["orders", "export"]), Some(1));
        assert_eq!(r.find("POST", &["orders", "export"]), Some(4));
        assert_eq!(r.find("DELETE", &["files", "a", "b"]), Some(2));
        assert_eq!(r.find("GET", &["files", "readme"]), Some(3));
        assert_eq!(r.find("POST", &["files", "readme"]), Some(2));
        assert_eq!(r.find("GET", &["files"]), None);
        assert_eq!(r.find("GET", &[]), Some(5));
        assert_eq!(r.find("GET", &["orders", "1", "2"]), None);
    }

    #[test]
    fn refuses_paths_it_would_otherwise_normalise() {
        let r = router(&["GET /orders/{id}", "GET /orders/export", "GET /"]);
        let find = |p: &str| r.find("GET", &path_segments(p));
        assert_eq!(find("/"), Some(2));
        assert_eq!(find("/orders/export"), Some(1));
        for p in [
            "/orders/export/",
            "/orders//export",
            "//orders/export",
            "/orders/.",
            "/orders/..",
            "/orders/a%2Fb",
            "/orders/%2e%2e",
            "/orders/a\\b",
        ] {
            assert_eq!(find(p), None, "{p}");
            assert!(path_refusal(p).is_some(), "{p}");
        }
        // IAM wildcards are ordinary characters to the router.
        assert_eq!(find("/orders/*"), Some(0));
        assert_eq!(find("/orders/a?b"), Some(0));
        assert_eq!(path_refusal("/orders/*"), None);
        assert_eq!(r.find("ANY", &["orders", "1"]), None);
        assert_eq!(r.find("FETCH", &["orders", "1"]), None);
        assert!(RouteTemplate::parse("GET /a/..").is_err());
        assert!(RouteTemplate::parse("GET /a/b%2Fc").is_err());
    }

    #[test]
    fn precedence_and_intersection_follow_the_router() {
        let t = |s: &str| RouteTemplate::parse(s).unwrap();
        use std::cmp::Ordering::*;
        assert_eq!(precedence(&t("GET /a/b"), &t("GET /a/{x}")), Less);
        assert_eq!(precedence(&t("GET /a/{x}"), &t("GET /a/{x+}")), Less);
        assert_eq!(precedence(&t("GET /a/{x}"), &t("ANY /a/{x}")), Less);
        assert_eq!(precedence(&t("ANY /a/b"), &t("GET /a/{x}")), Less);
        assert_eq!(
            intersect(&t("GET /{x}/{r+}").segments, &t("GET /a/{y}/c").segments),
            Some(t("GET /a/{y}/c").segments)
        );
        assert_eq!(
            intersect(&t("GET /a/{x}").segments, &t("GET /b/{y}").segments),
            None
        );
        assert_eq!(
            intersect(&t("GET /a/{x}").segments, &t("GET /a/{y}/c").segments),
            None
        );
        assert_eq!(
            shape_pattern("GET", &t("GET /a/{x}/{r+}").segments),
            "GET/a/*/*"
        );
    }

    #[test]
    fn backtracks_from_a_dead_literal_branch() {
        let r = router(&["GET /a/b/c", "GET /a/{x}/d"]);
        assert_eq!(r.find("GET", &["a", "b", "d"]), Some(1));
    }

    #[test]
    fn arn_patterns() {
        let t = RouteTemplate::parse("ANY /files/{path+}").unwrap();
        assert_eq!(t.arn_patterns().len(), 7);
        assert_eq!(t.arn_patterns()[0], "GET/files/*");
        assert_eq!(
            RouteTemplate::parse("GET /").unwrap().arn_patterns(),
            ["GET/"]
        );
    }

    proptest! {
        // A concrete path built from a template always routes back to that template when it
        // is the only route.
        #[test]
        fn a_path_made_from_a_template_matches_it(
            segs in prop::collection::vec(prop_oneof![
                "[a-z]{1,6}".prop_map(|s| (s, 0u8)),
                Just(("{p}".to_string(), 1u8)),
            ], 0..6),
            fill in "[a-z0-9]{1,5}",
        ) {
            let mut seen = 0;
            let template: Vec<String> = segs.iter().map(|(s, k)| if *k == 1 { seen += 1; format!("{{p{seen}}}") } else { s.clone() }).collect();
            let text = format!("GET /{}", template.join("/"));
            let r = router(&[&text]);
            let path: Vec<&str> = segs.iter().map(|(s, k)| if *k == 1 { fill.as_str() } else { s.as_str() }).collect();
            prop_assert_eq!(r.find("GET", &path), Some(0));
            prop_assert_eq!(r.find("POST", &path), None);
        }

        // Adding a literal route never changes where paths that do not spell it go.
        #[test]
        fn literal_route_only_captures_its_own_path(a in "[a-z]{1,4}", b in "[a-z]{1,4}") {
            let r = router(&["GET /x/{id}", &format!("GET /x/{a}")]);
            let expected = if a == b { 1 } else { 0 };
            prop_assert_eq!(r.find("GET", &["x", b.as_str()]), Some(expected));
        }
    }
}
