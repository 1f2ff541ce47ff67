//! Request → authorizer event: the HTTP API payload 2.0 REQUEST event API Gateway would send
//! the authorizer for an HTTP request. Pure: the clock reading and the request id come in.

use std::net::SocketAddr;

use hyper::header;
use hyper::Request;
use serde_json::{json, Map, Value};

use crate::clock::clf;

/// The API and stage the events name (from `--api-arn-prefix` and `--stage`).
pub struct ApiStage {
    arn_prefix: String,
    account: String,
    api_id: String,
    stage: String,
}

impl ApiStage {
    pub fn new(arn_prefix: &str, stage: &str) -> Result<Self, String> {
        let (account, api_id) = parse_arn_prefix(arn_prefix).ok_or_else(|| {
            format!(
                "--api-arn-prefix {arn_prefix}: expected arn:aws:execute-api:REGION:ACCOUNT:API_ID"
            )
        })?;
        if stage.is_empty() || stage.contains('/') {
            return Err(format!("--stage {stage:?}: a stage name has no '/'"));
        }
        Ok(ApiStage {
            arn_prefix: arn_prefix.to_string(),
            account,
            api_id,
            stage: stage.to_string(),
        })
    }

    /// The HTTP API payload 2.0 REQUEST authorizer event for this request, received from
    /// `peer` at `now_ms` (Unix milliseconds).
    pub fn event<B>(
        &self,
        req: &Request<B>,
        peer: SocketAddr,
        request_id: &str,
        now_ms: i64,
    ) -> Value {
        let method = req.method().as_str();
        let path = req.uri().path();
        let query = req.uri().query().unwrap_or("");
        let mut headers = Map::new();
        let mut cookies = Vec::new();
        for (name, value) in req.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if name == header::COOKIE {
                cookies.extend(
                    value
                        .split(';')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(|c| json!(c)),
                );
                continue;
            }
            // HeaderName is lowercase already; repeated headers are joined with commas.
            match headers.get_mut(name.as_str()) {
                Some(Value::String(joined)) => {
                    joined.push(',');
                    joined.push_str(&value);
                }
                _ => {
                    headers.insert(name.as_str().to_string(), json!(value));
                }
            }
        }
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_string();
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let mut event = json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": format!("{}/{}/{method}{path}", self.arn_prefix, self.stage),
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "requestContext": {
                "accountId": self.account,
                "apiId": self.api_id,
                "domainName": host,
                "domainPrefix": host.split('.').next().unwrap_or(""),
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": format!("{:?}", req.version()),
                    "sourceIp": peer.ip().to_string(),
                    "userAgent": user_agent,
                },
                "requestId": request_id,
                "routeKey": "$default",
                "stage": self.stage,
                "time": clf(now_ms.div_euclid(1000)),
                "timeEpoch": now_ms,
            },
        });
        if let Some(obj) = event.as_object_mut() {
            if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
                let auth = String::from_utf8_lossy(auth.as_bytes()).into_owned();
                obj.insert("identitySource".into(), json!([auth]));
            }
            if !cookies.is_empty() {
                obj.insert("cookies".into(), Value::Array(cookies));
            }
            if !query.is_empty() {
                obj.insert("queryStringParameters".into(), query_parameters(query));
            }
        }
        event
    }
}

/// `arn:aws:execute-api:REGION:ACCOUNT:API_ID` → (account, api id).
fn parse_arn_prefix(prefix: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = prefix.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "execute-api", region, account, api]
            if !region.is_empty()
                && !account.is_empty()
                && !api.is_empty()
                && !api.contains('/') =>
        {
            Some((account.to_string(), api.to_string()))
        }
        _ => None,
    }
}

/// `queryStringParameters`: decoded names and values (form encoding: `+` is a space),
/// repeated names joined with commas.
fn query_parameters(query: &str) -> Value {
    let mut out = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match out.get_mut(name.as_ref()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                out.insert(name.into_owned(), json!(value));
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use authorizer::apigw::{EventFields, Shape};

    const NOW_MS: i64 = 1_795_000_000_123;

    fn api() -> ApiStage {
        ApiStage::new(
            "arn:aws:execute-api:local:000000000000:localapi",
            "$default",
        )
        .expect("valid arguments")
    }

    fn peer() -> SocketAddr {
        "192.0.2.7:40000".parse().expect("address")
    }

    #[test]
    fn query_parameters_decode_and_join() {
        assert_eq!(
            query_parameters("a=1&b=x%20y&a=2&c&d=%zz&e=%4"),
            json!({"a": "1,2", "b": "x y", "c": "", "d": "%zz", "e": "%4"})
        );
    }

    #[test]
    fn query_decoding_edge_cases() {
        let q = |s: &str| query_parameters(s);
        // '+' is a space, an encoded '+' is a plus.
        assert_eq!(q("a=x+y&b=%2B"), json!({"a": "x y", "b": "+"}));
        // A '%' without two hex digits after it stays as it is, wherever it is.
        assert_eq!(
            q("a=%&b=50%&c=%4g&d=%%41"),
            json!({"a": "%", "b": "50%", "c": "%4g", "d": "%A"})
        );
        // Bytes that are not UTF-8 become U+FFFD instead of failing the request.
        assert_eq!(q("a=%FF"), json!({"a": "\u{FFFD}"}));
        // Only the first '=' splits; names are decoded too; empty pairs are skipped.
        assert_eq!(q("&&a=b=c&na%6De=v&&"), json!({"a": "b=c", "name": "v"}));
        // Upper and lower case hex; multi-byte UTF-8.
        assert_eq!(q("a=%c3%A9"), json!({"a": "\u{e9}"}));
        assert_eq!(q(""), json!({}));
    }

    #[test]
    fn arn_prefix_is_checked() {
        assert_eq!(
            parse_arn_prefix("arn:aws:execute-api:local:000000000000:localapi"),
            Some(("000000000000".into(), "localapi".into()))
        );
        assert_eq!(
            parse_arn_prefix("arn:aws:execute-api:local:000000000000"),
            None
        );
        assert_eq!(
            parse_arn_prefix("arn:aws:execute-api:local:0:api/stage"),
            None
        );
    }

    #[test]
    fn arguments_name_the_flag_and_the_fix() {
        let err = ApiStage::new("arn:aws:lambda:x:0:f", "$default").err();
        assert!(err.is_some_and(|e| e.starts_with("--api-arn-prefix ")));
        let err = ApiStage::new("arn:aws:execute-api:x:0:api", "a/b").err();
        assert!(err.is_some_and(|e| e.starts_with("--stage ")));
        assert!(ApiStage::new("arn:aws:execute-api:x:0:api", "").is_err());
    }

    #[test]
    fn event_is_an_http_api_request_event() {
        let req = Request::get("/orders/42?x=1&tag=a&tag=b%20c")
            .header("host", "api.example.com")
            .header("user-agent", "curl/8")
            .header("authorization", "Bearer abc.def.ghi")
            .header("x-multi", "1")
            .header("x-multi", "2")
            .header("cookie", "a=1; b=2")
            .header("cookie", ";c=3")
            .body(())
            .expect("request");
        let event = api().event(&req, peer(), "req-1", NOW_MS);
        assert_eq!(
            event["routeArn"],
            "arn:aws:execute-api:local:000000000000:localapi/$default/GET/orders/42"
        );
        assert_eq!(event["rawPath"], "/orders/42");
        assert_eq!(event["rawQueryString"], "x=1&tag=a&tag=b%20c");
        assert_eq!(
            event["queryStringParameters"],
            json!({"x": "1", "tag": "a,b c"})
        );
        assert_eq!(event["identitySource"], json!(["Bearer abc.def.ghi"]));
        assert_eq!(event["headers"]["x-multi"], "1,2");
        assert_eq!(event["headers"]["authorization"], "Bearer abc.def.ghi");
        // Cookies go to `cookies`, one per entry, never to `headers`.
        assert_eq!(event["cookies"], json!(["a=1", "b=2", "c=3"]));
        assert!(event["headers"].get("cookie").is_none());
        let ctx = &event["requestContext"];
        assert_eq!(ctx["accountId"], "000000000000");
        assert_eq!(ctx["apiId"], "localapi");
        assert_eq!(ctx["domainName"], "api.example.com");
        assert_eq!(ctx["domainPrefix"], "api");
        assert_eq!(ctx["http"]["method"], "GET");
        assert_eq!(ctx["http"]["sourceIp"], "192.0.2.7");
        assert_eq!(ctx["http"]["userAgent"], "curl/8");
        assert_eq!(ctx["http"]["protocol"], "HTTP/1.1");
        assert_eq!(ctx["requestId"], "req-1");
        assert_eq!(ctx["stage"], "$default");
        assert_eq!(ctx["time"], "18/Nov/2026:11:06:40 +0000");
        assert_eq!(ctx["timeEpoch"], NOW_MS);

        // The authorizer reads it as API Gateway's event: shape, method, path and token.
        let text = event.to_string();
        let fields = EventFields::parse(&text);
        let incoming = fields.incoming();
        assert_eq!(incoming.shape, Some(Shape::HttpV2));
        let arn = incoming.arn.expect("routeArn parses");
        assert_eq!((arn.method, arn.path.as_str()), ("GET", "/orders/42"));
        assert_eq!(incoming.token, Ok(Some("abc.def.ghi")));
    }

    #[test]
    fn event_without_token_cookies_or_query_leaves_them_out() {
        let req = Request::post("/").body(()).expect("request");
        let event = api().event(&req, peer(), "req-2", NOW_MS);
        for absent in ["identitySource", "cookies", "queryStringParameters"] {
            assert!(event.get(absent).is_none(), "{absent} in {event}");
        }
        assert_eq!(event["rawQueryString"], "");
        assert_eq!(event["requestContext"]["domainName"], "localhost");
        assert_eq!(event["requestContext"]["http"]["userAgent"], "");
        assert_eq!(
            event["routeArn"],
            "arn:aws:execute-api:local:000000000000:localapi/$default/POST/"
        );
        let text = event.to_string();
        assert_eq!(EventFields::parse(&text).incoming().token, Ok(None));
    }
}
