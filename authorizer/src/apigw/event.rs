//! Reading an authorizer event: its shape, the method ARN and the bearer token, straight
//! from the event's JSON text.
//!
//! Only the members a decision needs are read, borrowed from the text where they need no
//! unescaping; everything else is skipped unread, with no `serde_json::Value` built. A
//! member of an unexpected type reads as absent, and so does an event that is not a JSON
//! object: the decision then denies (never an error, never a panic). Where a member is
//! given twice the last one counts, as in `JSON.parse` and `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Shape;

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
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming<'a> {
    pub shape: Option<Shape>,
    pub arn: Option<MethodArn<'a>>,
    /// `Ok(Some)` a bearer token, `Ok(None)` none sent, `Err` a credential that is not a bearer token.
    pub token: Result<Option<&'a str>, NotBearer>,
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

/// The members of an event that a decision reads, as found in its JSON text.
#[derive(Debug, Default)]
pub struct EventFields<'a> {
    kind: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    route_arn: Option<Cow<'a, str>>,
    method_arn: Option<Cow<'a, str>>,
    authorization_token: Option<Cow<'a, str>>,
    /// The `authorization` header's value, if a string. Of several spellings of the name,
    /// the first in byte order counts (`Authorization` before `authorization`), as in a
    /// sorted map; the TypeScript build reads it the same way.
    authorization: Option<Cow<'a, str>>,
    /// The strings of `identitySource`, when it is an array.
    identity_source: Option<Vec<Cow<'a, str>>>,
}

impl<'a> EventFields<'a> {
    /// Reads the event's members; text that is not JSON reads as an empty event (a deny).
    pub fn parse(event_json: &'a str) -> Self {
        serde_json::from_str(event_json).unwrap_or_default()
    }

    /// The event's shape, method ARN and token.
    pub fn incoming(&self) -> Incoming<'_> {
        let shape = match (self.kind.as_deref(), self.version.as_deref()) {
            (Some("TOKEN"), _) => Some(Shape::RestToken),
            (Some("REQUEST"), Some("2.0")) => Some(Shape::HttpV2),
            (Some("REQUEST"), Some("1.0")) => Some(Shape::HttpV1),
            (Some("REQUEST"), None) => Some(Shape::RestRequest),
            _ => None,
        };
        let arn = match shape {
            Some(Shape::HttpV2) => self.route_arn.as_deref(),
            _ => self.method_arn.as_deref(),
        }
        .and_then(MethodArn::parse);
        let token = match shape {
            Some(Shape::RestToken) => self.authorization_token.as_deref().map_or(Ok(None), bearer),
            Some(Shape::HttpV2) => match self.authorization.as_deref() {
                Some(h) => bearer(h),
                // With a cache TTL the identity sources hold the token; the header is then
                // still present, so this only matters for hand-made events.
                None => self
                    .identity_source
                    .iter()
                    .flatten()
                    .find(|s| {
                        s.len() > 7
                            && s.get(..7)
                                .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
                    })
                    .map_or(Ok(None), |s| bearer(s)),
            },
            Some(Shape::HttpV1 | Shape::RestRequest) => {
                self.authorization.as_deref().map_or(Ok(None), bearer)
            }
            None => Ok(None),
        };
        Incoming { shape, arn, token }
    }
}

impl<'de> Deserialize<'de> for EventFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Lenient(EventVisitor))
    }
}

/// Reads a value with `V` when it is of the kind `V` wants, and as `V::Value::default()`
/// (after skipping it) when it is of any other kind.
struct Lenient<V>(V);

/// The one kind of JSON value a lenient visitor reads; every other kind reads as absent.
trait Wants<'de> {
    type Value: Default;
    fn string(self, s: Cow<'de, str>) -> Self::Value
    where
        Self: Sized,
    {
        let _ = s;
        Self::Value::default()
    }
    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error>
    where
        Self: Sized,
    {
        skip_seq(seq).map(|()| Self::Value::default())
    }
    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error>
    where
        Self: Sized,
    {
        skip_map(map).map(|()| Self::Value::default())
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

impl<'de, V: Wants<'de>> Visitor<'de> for Lenient<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(self.0.string(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(self.0.string(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(self.0.string(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.map(map)
    }
}

/// A string, or absent.
struct Str<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct W;
        impl<'de> Wants<'de> for W {
            type Value = Option<Cow<'de, str>>;
            fn string(self, s: Cow<'de, str>) -> Self::Value {
                Some(s)
            }
        }
        d.deserialize_any(Lenient(W)).map(Str)
    }
}

/// A member name: borrowed unless it holds an escape.
struct Name<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Member names are always strings in JSON; the empty default is never used.
        Str::deserialize(d).map(|s| Name(s.0.unwrap_or_default()))
    }
}

/// The `authorization` header of a `headers` object.
struct Authorization<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for Authorization<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct W;
        impl<'de> Wants<'de> for W {
            type Value = Option<Cow<'de, str>>;
            fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut best: Option<(Cow<'de, str>, Option<Cow<'de, str>>)> = None;
                while let Some(Name(name)) = map.next_key()? {
                    if !name.eq_ignore_ascii_case("authorization") {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    let Str(value) = map.next_value()?;
                    // The first name in byte order wins; the same name again replaces it.
                    if best.as_ref().is_none_or(|(b, _)| name <= *b) {
                        best = Some((name, value));
                    }
                }
                Ok(best.and_then(|(_, value)| value))
            }
        }
        d.deserialize_any(Lenient(W)).map(Authorization)
    }
}

/// The strings of an array.
struct Strings<'de>(Option<Vec<Cow<'de, str>>>);

impl<'de> Deserialize<'de> for Strings<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct W;
        impl<'de> Wants<'de> for W {
            type Value = Option<Vec<Cow<'de, str>>>;
            fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(Str(s)) = seq.next_element()? {
                    out.extend(s);
                }
                Ok(Some(out))
            }
        }
        d.deserialize_any(Lenient(W)).map(Strings)
    }
}

struct EventVisitor;

impl<'de> Wants<'de> for EventVisitor {
    type Value = EventFields<'de>;
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut f = EventFields::default();
        while let Some(Name(name)) = map.next_key()? {
            match name.as_ref() {
                "type" => f.kind = map.next_value::<Str>()?.0,
                "version" => f.version = map.next_value::<Str>()?.0,
                "routeArn" => f.route_arn = map.next_value::<Str>()?.0,
                "methodArn" => f.method_arn = map.next_value::<Str>()?.0,
                "authorizationToken" => f.authorization_token = map.next_value::<Str>()?.0,
                "headers" => f.authorization = map.next_value::<Authorization>()?.0,
                "identitySource" => f.identity_source = map.next_value::<Strings>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::event_model;
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
    fn bearer_scheme() {
        assert_eq!(bearer("Bearer a.b.c"), Ok(Some("a.b.c")));
        assert_eq!(bearer("bearer   a.b.c "), Ok(Some("a.b.c")));
        assert_eq!(bearer("a.b.c"), Ok(Some("a.b.c")));
        assert_eq!(bearer(""), Ok(None));
        assert_eq!(bearer("Bearer "), Ok(None));
        assert_eq!(bearer("Basic dXNlcg=="), Err(NotBearer));
    }

    /// What the reader and the `Value` model make of an event, comparable.
    fn read(incoming: &Incoming<'_>) -> String {
        format!("{incoming:?}")
    }

    fn agree(text: &str) -> Result<(), String> {
        let fields = EventFields::parse(text);
        let ours = read(&fields.incoming());
        let model = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => read(&event_model::read_event(&value)),
            // Not JSON: the runtime never hands such a payload over; we read it as empty.
            Err(_) => read(&EventFields::default().incoming()),
        };
        if ours == model {
            Ok(())
        } else {
            Err(format!("reader {ours}\nmodel  {model}\non {text}"))
        }
    }

    #[test]
    fn reads_what_the_model_reads_on_hand_picked_events() {
        let arn = "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/orders/42";
        for text in [
            "null".to_string(),
            "[1,2]".to_string(),
            "\"TOKEN\"".to_string(),
            "{}".to_string(),
            format!(
                r#"{{"type":"TOKEN","methodArn":"{arn}","authorizationToken":"Bearer a.b.c"}}"#
            ),
            format!(r#"{{"type":"TOKEN","methodArn":"{arn}","authorizationToken":7}}"#),
            format!(
                r#"{{"version":"2.0","type":"REQUEST","routeArn":"{arn}","headers":{{"authorization":"Bearer x.y.z"}}}}"#
            ),
            format!(
                r#"{{"version":"2.0","type":"REQUEST","routeArn":"{arn}","headers":{{"authorization":"Bearer one","Authorization":"Bearer two"}}}}"#
            ),
            format!(
                r#"{{"version":"2.0","type":"REQUEST","routeArn":"{arn}","headers":{{"Authorization":5,"authorization":"Bearer two"}}}}"#
            ),
            format!(
                r#"{{"version":"2.0","type":"REQUEST","routeArn":"{arn}","headers":{{"authorization":"Bearer one","authorization":"Bearer two"}}}}"#
            ),
            format!(
                r#"{{"version":"2.0","type":"REQUEST","routeArn":"{arn}","headers":[],"identitySource":["x","Bearer from.identity.source"]}}"#
            ),
            format!(
                r#"{{"version":"2.0","type":"REQUEST","routeArn":"{arn}","identitySource":"Bearer a.b.c"}}"#
            ),
            format!(
                r#"{{"type":"REQUEST","methodArn":"{arn}","headers":{{"AUTHORIZATION":"Basic dXNlcg=="}}}}"#
            ),
            format!(
                r#"{{"type":"REQUEST","version":"1.0","methodArn":"{arn}","headers":{{"authorization":"Bearer \u0061.b.c"}}}}"#
            ),
            format!(
                r#"{{"type":"TOKEN","type":"REQUEST","methodArn":"{arn}","methodArn":"garbage"}}"#
            ),
            format!(
                r#"{{"type":"TOKEN","methodArn":"{arn}","authorizationToken":{{"deep":[[[[1]]]]}},"requestContext":{{"x":[1,{{"y":null}}]}}}}"#
            ),
        ] {
            agree(&text).unwrap_or_else(|why| panic!("{why}"));
        }
    }

    /// Event texts built from the members the reader looks at, in any order, given twice,
    /// of the wrong type, escaped, and among members it skips.
    fn member() -> impl Strategy<Value = String> {
        let arn = prop_oneof![
            Just("\"arn:aws:execute-api:eu-west-1:1:abc/prod/GET/orders/42\"".to_string()),
            Just("\"arn:aws:execute-api:eu-west-1:1:abc/prod/POST/\"".to_string()),
            Just("\"arn:aws:execute-api:r:1:abc/pr*d/GET/x\"".to_string()),
            Just("\"garbage\"".to_string()),
            Just("7".to_string()),
            Just("\"arn:aws:execute-api:eu-west-1:1:abc/prod/GET/\\u006frders\"".to_string()),
        ];
        let credential = prop_oneof![
            Just("\"Bearer a.b.c\"".to_string()),
            Just("\"bearer  a.b.c \"".to_string()),
            Just("\"a.b.c\"".to_string()),
            Just("\"Basic dXNlcg==\"".to_string()),
            Just("\"Bearer \"".to_string()),
            Just("\"\"".to_string()),
            Just("\"Bearer \\u0061.b.c\"".to_string()),
            Just("null".to_string()),
            Just("[\"Bearer a.b.c\"]".to_string()),
        ];
        let header_name = prop_oneof![
            Just("authorization"),
            Just("Authorization"),
            Just("AUTHORIZATION"),
            Just("authorizatio\\u006e"),
            Just("x-other"),
        ];
        let headers = prop_oneof![
            proptest::collection::vec((header_name, credential.clone()), 0..4).prop_map(|hs| {
                let body: Vec<String> = hs.iter().map(|(n, v)| format!("\"{n}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
            Just("[]".to_string()),
            Just("\"authorization\"".to_string()),
        ];
        let identity = prop_oneof![
            proptest::collection::vec(credential.clone(), 0..3)
                .prop_map(|v| format!("[{}]", v.join(","))),
            credential.clone(),
        ];
        prop_oneof![
            prop_oneof![
                Just("\"TOKEN\""),
                Just("\"REQUEST\""),
                Just("\"token\""),
                Just("1"),
                Just("\"REQ\\u0055EST\"")
            ]
            .prop_map(|v| format!("\"type\":{v}")),
            prop_oneof![Just("\"2.0\""), Just("\"1.0\""), Just("null"), Just("2.0")]
                .prop_map(|v| format!("\"version\":{v}")),
            arn.clone().prop_map(|v| format!("\"routeArn\":{v}")),
            arn.prop_map(|v| format!("\"methodArn\":{v}")),
            credential.prop_map(|v| format!("\"authorizationToken\":{v}")),
            headers.prop_map(|v| format!("\"headers\":{v}")),
            identity.prop_map(|v| format!("\"identitySource\":{v}")),
            Just(
                "\"requestContext\":{\"http\":{\"method\":\"GET\"},\"n\":[1,2.5,true,null]}"
                    .to_string()
            ),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// The reader makes of every event what the `Value` model makes of it.
        #[test]
        fn reads_what_the_model_reads(members in proptest::collection::vec(member(), 0..8)) {
            let text = format!("{{{}}}", members.join(","));
            prop_assert!(agree(&text).is_ok(), "{}", agree(&text).err().unwrap_or_default());
        }
    }
}
