//! Proxying: an allowed request goes to the upstream with the authorizer's context, and the
//! upstream's answer streams back; headers of one connection are not passed on.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use super::server::{json_response, Body};
use super::{http_only, CONTEXT_HEADER};

pub struct Upstream {
    pub authority: String,
    /// Prepended to every proxied path; empty or starting with '/' and not ending with one.
    pub base_path: String,
    timeout: Duration,
    client: Client<HttpConnector, Incoming>,
}

impl Upstream {
    /// The upstream of `--upstream URL`; the upstream's response head must come within `timeout`.
    pub fn new(uri: &Uri, timeout: Duration) -> Result<Self, String> {
        let authority = http_only(uri, "--upstream")?;
        if uri.query().is_some() {
            return Err(format!("--upstream {uri}: no query string allowed"));
        }
        let base_path = uri.path().trim_end_matches('/').to_string();
        Ok(Upstream {
            authority,
            base_path,
            timeout,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// Forwards an allowed request to the upstream and streams its answer back.
    pub async fn forward(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
        context: &Value,
    ) -> Response<Body> {
        let (mut parts, body) = req.into_parts();
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let uri = format!(
            "http://{}{}{}",
            self.authority, self.base_path, path_and_query
        );
        let uri = match uri.parse::<Uri>() {
            Ok(uri) => uri,
            Err(e) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"message": "Bad Request", "error": e.to_string()}),
                )
            }
        };
        strip_hop_by_hop(&mut parts.headers);
        parts.headers.remove(header::HOST);
        // Only the authorizer speaks in this header, never the client.
        parts.headers.remove(CONTEXT_HEADER);
        if let Ok(value) = HeaderValue::from_bytes(context.to_string().as_bytes()) {
            parts
                .headers
                .insert(HeaderName::from_static(CONTEXT_HEADER), value);
        }
        if let Ok(value) = HeaderValue::from_str(&peer.ip().to_string()) {
            parts
                .headers
                .insert(HeaderName::from_static("x-forwarded-for"), value);
        }
        parts.uri = uri;
        parts.version = hyper::Version::HTTP_11;
        let sent = self.client.request(Request::from_parts(parts, body));
        match tokio::time::timeout(self.timeout, sent).await {
            Ok(Ok(response)) => {
                let (mut parts, body) = response.into_parts();
                strip_hop_by_hop(&mut parts.headers);
                Response::from_parts(parts, body.boxed())
            }
            Ok(Err(e)) => json_response(
                StatusCode::BAD_GATEWAY,
                &json!({"message": "Bad Gateway", "error": format!("upstream: {e}")}),
            ),
            Err(_) => json_response(
                StatusCode::GATEWAY_TIMEOUT,
                &json!({"message": "Gateway Timeout", "error": "upstream did not answer in time"}),
            ),
        }
    }
}

/// Removes the headers that describe one connection, not the message (RFC 9110 §7.6.1).
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-secret-hop"),
        );
        headers.insert("x-secret-hop", HeaderValue::from_static("1"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key(header::AUTHORIZATION));
    }

    #[test]
    fn upstream_url_is_checked() {
        let timeout = Duration::from_secs(1);
        let ok = Upstream::new(&"http://127.0.0.1:8080/api/".parse().expect("uri"), timeout)
            .expect("valid upstream");
        assert_eq!(
            (ok.authority.as_str(), ok.base_path.as_str()),
            ("127.0.0.1:8080", "/api")
        );
        for bad in ["https://127.0.0.1:8080", "http://127.0.0.1:8080/?a=1"] {
            let err = Upstream::new(&bad.parse().expect("uri"), timeout).err();
            assert!(err.is_some_and(|e| e.starts_with("--upstream ")), "{bad}");
        }
    }
}
