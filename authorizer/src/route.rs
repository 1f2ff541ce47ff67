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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTemplate {
    pub method: String,
    pub segments: Vec<Segment>,
}

impl RouteTemplate {
    /// Parses `"METHOD /path/{param}/{rest+}"`, saying what is wrong and what is expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (method, path) = text.split_once(' ').ok_or_else(|| {
            format!(
                "\"{text}\" is not a route; write \"METHOD /path\", e.g. \"GET /orders/{{id}}\""
            )
        })?;
        if !METHODS.contains(&method) {
            return Err(format!(
                "method \"{method}\" is not one of {}",
                METHODS.join(", ")
            ));
        }
        if !path.starts_with('/') {
            return Err(format!("path \"{path}\" must start with '/'"));
        }
        let parts: Vec<&str> = path[1..].split('/').collect();
        let mut segments = Vec::new();
        let mut names = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() {
                if parts.len() == 1 {
                    break; // the root path "/"
                }
                return Err(format!(
                    "path \"{path}\" has an empty segment (\"//\" or a trailing '/')"
                ));
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
                    return Err(format!(
                        "parameter \"{part}\" needs a name of letters, digits, '_' or '-'"
                    ));
                }
                if names.contains(&name) {
                    return Err(format!("parameter \"{name}\" appears twice in \"{path}\""));
                }
                names.push(name);
                if greedy {
                    if i + 1 != parts.len() {
                        return Err(format!(
                            "greedy parameter \"{part}\" must be the last segment"
                        ));
                    }
                    segments.push(Segment::Greedy);
                } else {
                    segments.push(Segment::Param);
                }
            } else if part.contains(['{', '}', ' ', '*', '?', '#']) {
                return Err(format!(
                    "segment \"{part}\" is not a literal nor a whole \"{{param}}\"; braces must enclose a segment"
                ));
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
        let mut out = String::from(method);
        if self.segments.is_empty() {
            out.push('/');
        }
        for seg in &self.segments {
            out.push('/');
            match seg {
                Segment::Literal(l) => out.push_str(l),
                Segment::Param | Segment::Greedy => out.push('*'),
            }
        }
        out
    }
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

    /// Finds the most specific route for `method` and `path` (segments without the stage).
    pub fn find(&self, method: &str, segments: &[&str]) -> Option<usize> {
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

/// Splits a request path into its non-empty segments.
pub fn path_segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
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
            .contains("FETCH"));
        assert!(RouteTemplate::parse("GET orders")
            .unwrap_err()
            .contains("start with"));
        assert!(RouteTemplate::parse("GET /a/{rest+}/b")
            .unwrap_err()
            .contains("last"));
        assert!(RouteTemplate::parse("GET /a//b").is_err());
        assert!(RouteTemplate::parse("GET /a/x{id}").is_err());
        assert!(RouteTemplate::parse("GET /{id}/{id}").is_err());
        assert!(RouteTemplate::parse("/orders").is_err());
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
