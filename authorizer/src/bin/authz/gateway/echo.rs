//! The sample upstream of `--echo`: answers every request with what it received.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

use super::server::{json_response, Body, Handler};
use super::CONTEXT_HEADER;

/// What the echo upstream reads of a request body.
const MAX_ECHO_BODY: usize = 1024 * 1024;

pub struct Echo;

impl Handler for Echo {
    async fn handle(self: Arc<Self>, req: Request<Incoming>, _peer: SocketAddr) -> Response<Body> {
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let authorizer = req
            .headers()
            .get(CONTEXT_HEADER)
            .and_then(|v| serde_json::from_slice::<Value>(v.as_bytes()).ok());
        let body_bytes = match Limited::new(req.into_body(), MAX_ECHO_BODY).collect().await {
            Ok(collected) => collected.to_bytes().len(),
            Err(e) => {
                return json_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &json!({"message": "Payload Too Large", "error": e.to_string()}),
                )
            }
        };
        json_response(
            StatusCode::OK,
            &json!({
                "upstream": "authz gateway --echo (sample upstream)",
                "method": method,
                "path": path,
                "query": query,
                "body_bytes": body_bytes,
                "authorizer": authorizer,
            }),
        )
    }
}
