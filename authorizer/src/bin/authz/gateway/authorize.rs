//! The gateway proper: each request becomes an authorizer event, the function is invoked
//! (one invoke at a time: the emulator is one execution environment), and its decision
//! answers the request: a deny with 401 or 403, an allow by the upstream or with the context.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authorizer::observe::unix_millis;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::event::ApiStage;
use super::proxy::Upstream;
use super::server::{json_response, Body, Handler};
use super::{http_only, GatewayArgs};

/// Lambda's limit on a synchronous invoke's response.
const MAX_INVOKE_RESPONSE: usize = 6 * 1024 * 1024;

pub struct Gateway {
    pub invoke_url: Uri,
    pub upstream: Option<Upstream>,
    api: ApiStage,
    timeout: Duration,
    quiet: bool,
    invoker: Client<HttpConnector, Full<Bytes>>,
    /// One invoke at a time: the emulator is one execution environment.
    invoke_lock: Mutex<()>,
}

impl Gateway {
    pub fn new(args: &GatewayArgs) -> Result<Self, String> {
        let invoke_url = args
            .invoke_url
            .clone()
            .ok_or("--invoke-url is required (the authorizer's invoke URL)")?;
        http_only(&invoke_url, "--invoke-url")?;
        let timeout = Duration::from_millis(args.timeout_ms.max(1));
        let upstream = match &args.upstream {
            Some(uri) => Some(Upstream::new(uri, timeout)?),
            None => None,
        };
        let api = ApiStage::new(&args.api_arn_prefix, &args.stage)?;
        Ok(Gateway {
            invoke_url,
            upstream,
            api,
            timeout,
            quiet: args.quiet,
            invoker: Client::builder(TokioExecutor::new()).build_http(),
            invoke_lock: Mutex::new(()),
        })
    }

    /// POSTs the event to the invoke URL; the function's JSON response or why there is none.
    async fn invoke(&self, event: &Value) -> Result<Value, String> {
        let request = Request::post(self.invoke_url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(event.to_string())))
            .map_err(|e| format!("cannot build the invoke request: {e}"))?;
        let call = async {
            // Waiting for the emulator counts against the timeout too.
            let _one_at_a_time = self.invoke_lock.lock().await;
            let response = self
                .invoker
                .request(request)
                .await
                .map_err(|e| format!("invoke failed: {e}"))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_INVOKE_RESPONSE)
                .collect()
                .await
                .map_err(|e| format!("invoke response unreadable: {e}"))?
                .to_bytes();
            if !status.is_success() {
                return Err(format!(
                    "invoke answered {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                ));
            }
            serde_json::from_slice::<Value>(&body).map_err(|e| {
                format!(
                    "invoke response is not JSON ({e}): {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                )
            })
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| format!("invoke timed out after {} ms", self.timeout.as_millis()))?
    }
}

/// What the authorizer's answer means for the request.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// Allowed, with the authorizer's context.
    Allow(Value),
    /// Denied: answered with this status and body.
    Deny(StatusCode, Value),
    /// No decision: a function error (the emulator answers 200 with errorType/errorMessage)
    /// or a response that is not a simple response.
    NoDecision(String),
}

/// Reads a simple response; also the log note for it.
fn verdict(answer: &Value) -> (Verdict, String) {
    let Some(authorized) = answer.get("isAuthorized").and_then(Value::as_bool) else {
        let error = format!("authorizer answered no decision: {answer}");
        return (Verdict::NoDecision(error.clone()), error);
    };
    let context = answer.get("context").cloned().unwrap_or(json!({}));
    let reason = context
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let stale = context.get("stale").and_then(Value::as_bool) == Some(true);
    let note = format!(
        "{} {reason}{}",
        if authorized { "allow" } else { "deny" },
        if stale { " (stale policy view)" } else { "" }
    );
    if authorized {
        return (Verdict::Allow(context), note);
    }
    let (status, message) = if reason == "missing_token" {
        (StatusCode::UNAUTHORIZED, "Unauthorized")
    } else {
        (StatusCode::FORBIDDEN, "Forbidden")
    };
    let body = json!({
        "message": message,
        "reason": reason,
        "stale": stale,
        "policyRevision": context.get("policyRevision"),
    });
    (Verdict::Deny(status, body), note)
}

impl Handler for Gateway {
    async fn handle(self: Arc<Self>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let request_id = format!("{:016x}", rand::random::<u64>());
        let event = self
            .api
            .event(&req, peer, &request_id, unix_millis() as i64);
        let invoked = Instant::now();
        let answer = self.invoke(&event).await;
        let authorizer_ms = invoked.elapsed().as_secs_f64() * 1000.0;
        let (mut response, note) = match answer {
            Err(error) => (
                json_response(
                    StatusCode::BAD_GATEWAY,
                    &json!({"message": "Bad Gateway", "error": error}),
                ),
                format!("authorizer failed: {error}"),
            ),
            Ok(answer) => {
                let (decided, note) = verdict(&answer);
                let response = match decided {
                    Verdict::NoDecision(error) => json_response(
                        StatusCode::BAD_GATEWAY,
                        &json!({"message": "Bad Gateway", "error": error}),
                    ),
                    Verdict::Deny(status, body) => json_response(status, &body),
                    Verdict::Allow(context) => match &self.upstream {
                        Some(upstream) => upstream.forward(req, peer, &context).await,
                        None => json_response(
                            StatusCode::OK,
                            &json!({"authorized": true, "method": method.as_str(), "path": path, "context": context}),
                        ),
                    },
                };
                (response, note)
            }
        };
        if let Ok(value) = HeaderValue::from_str(&format!("authorizer;dur={authorizer_ms:.2}")) {
            response
                .headers_mut()
                .append(HeaderName::from_static("server-timing"), value);
        }
        if !self.quiet {
            eprintln!(
                "authz gateway: {method} {path} -> {} {note} (authorizer {authorizer_ms:.1} ms, total {:.1} ms)",
                response.status().as_u16(),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deny_without_a_token_is_401_and_any_other_is_403() {
        let (v, note) = verdict(&json!({"isAuthorized": false,
            "context": {"reason": "missing_token", "policyRevision": 3}}));
        assert_eq!(
            v,
            Verdict::Deny(
                StatusCode::UNAUTHORIZED,
                json!({"message": "Unauthorized", "reason": "missing_token", "stale": false, "policyRevision": 3})
            )
        );
        assert_eq!(note, "deny missing_token");
        let (v, note) = verdict(&json!({"isAuthorized": false,
            "context": {"reason": "expired", "stale": true}}));
        assert_eq!(
            v,
            Verdict::Deny(
                StatusCode::FORBIDDEN,
                json!({"message": "Forbidden", "reason": "expired", "stale": true, "policyRevision": null})
            )
        );
        assert_eq!(note, "deny expired (stale policy view)");
    }

    #[test]
    fn an_allow_carries_the_context() {
        let context = json!({"reason": "ok", "principal": "c", "stale": false});
        let (v, note) = verdict(&json!({"isAuthorized": true, "context": context}));
        assert_eq!(v, Verdict::Allow(context));
        assert_eq!(note, "allow ok");
        let (v, _) = verdict(&json!({"isAuthorized": true}));
        assert_eq!(v, Verdict::Allow(json!({})));
    }

    #[test]
    fn an_answer_without_a_decision_is_no_decision() {
        for answer in [
            json!({"errorType": "Runtime.ExitError", "errorMessage": "boom"}),
            json!({"isAuthorized": "true"}),
            json!({"policyDocument": {}}),
        ] {
            let (v, note) = verdict(&answer);
            assert!(
                matches!(&v, Verdict::NoDecision(e) if e.starts_with("authorizer answered no decision: ")),
                "{answer}"
            );
            assert!(note.starts_with("authorizer answered no decision: "));
        }
    }
}
