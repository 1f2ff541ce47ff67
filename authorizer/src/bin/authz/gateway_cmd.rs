//! `authz gateway`: a development stand-in for API Gateway, for the local demo and tests.
//!
//! It plays an HTTP API with one `$default` route and a Lambda REQUEST authorizer (payload
//! format 2.0, simple responses): every HTTP request becomes the authorizer event API
//! Gateway would send, which is POSTed to the function's invoke URL (the Lambda runtime
//! interface emulator running the real `bootstrap`). A deny is answered 401 when the
//! request carried no token and 403 otherwise, with the authorizer's reason in a JSON body;
//! an allow is proxied to the upstream, with the authorizer's context in the
//! `x-authorizer-context` request header (in AWS, parameter mapping of
//! `$context.authorizer.*` does this). Without an upstream, an allow is answered 200 with
//! the context.
//!
//! It is not API Gateway: no authorizer cache, no throttling, no TLS, no stages beyond the
//! name in the ARN, and one invoke at a time (one Lambda execution environment).
//! `--echo` runs a small sample upstream instead, answering every request with what it
//! received.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// Lambda's limit on a synchronous invoke's response.
const MAX_INVOKE_RESPONSE: usize = 6 * 1024 * 1024;
/// What the echo upstream reads of a request body.
const MAX_ECHO_BODY: usize = 1024 * 1024;
const CONTEXT_HEADER: &str = "x-authorizer-context";

#[derive(Args)]
pub struct GatewayArgs {
    /// Address to listen on (port 0 picks a free one; the first line printed names it).
    #[arg(long, default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// The authorizer function's invoke URL, e.g.
    /// http://127.0.0.1:9000/2015-03-31/functions/function/invocations (the emulator's).
    #[arg(long, required_unless_present = "echo")]
    invoke_url: Option<Uri>,
    /// Base URL (http://host:port[/prefix]) that allowed requests are proxied to; without
    /// it, allowed requests are answered 200 with the authorizer's context.
    #[arg(long)]
    upstream: Option<Uri>,
    /// The API's ARN prefix in `routeArn` (`arn:aws:execute-api:REGION:ACCOUNT:API_ID`).
    #[arg(
        long,
        default_value = "arn:aws:execute-api:local:000000000000:localapi"
    )]
    api_arn_prefix: String,
    /// The stage name in `routeArn` and `requestContext.stage`.
    #[arg(long, default_value = "$default")]
    stage: String,
    /// How long an invoke, or the upstream's response head, may take (milliseconds).
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// No log line per request on stderr.
    #[arg(long)]
    quiet: bool,
    /// Run a sample upstream instead of the gateway: every request is answered 200 with a
    /// JSON echo of its method, path, query and the authorizer context it carried.
    #[arg(long, conflicts_with_all = ["invoke_url", "upstream"])]
    echo: bool,
}

type Body = BoxBody<Bytes, hyper::Error>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(full(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub fn gateway_cmd(args: GatewayArgs) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let local = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        if args.echo {
            println!("authz gateway: sample upstream listening on http://{local}");
            serve(listener, Arc::new(Echo), args.timeout_ms).await?;
        } else {
            let gateway = Gateway::new(&args)?;
            println!(
                "authz gateway: listening on http://{local} (authorizer {}, upstream {})",
                gateway.invoke_url,
                gateway.upstream.as_ref().map_or(
                    "none: allowed requests get the context".into(),
                    |u| format!("http://{}{}", u.authority, u.base_path)
                )
            );
            serve(listener, Arc::new(gateway), args.timeout_ms).await?;
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Something that answers requests; the server loop is shared by the gateway and the echo.
trait Handler: Send + Sync + 'static {
    fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        peer: SocketAddr,
    ) -> impl Future<Output = Response<Body>> + Send;
}

/// Accepts connections until SIGINT or SIGTERM.
async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    timeout_ms: u64,
) -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let header_timeout = Duration::from_millis(timeout_ms.max(1000));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let handler = handler.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |req| {
                            let handler = handler.clone();
                            async move { Ok::<_, Infallible>(handler.handle(req, peer).await) }
                        });
                        // Malformed requests are answered 400 by hyper; a connection error
                        // only ends that connection.
                        let _ = http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(header_timeout)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    eprintln!("authz gateway: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = &mut ctrl_c => break,
            _ = term.recv() => break,
        }
    }
    Ok(())
}

struct Upstream {
    authority: String,
    /// Prepended to every proxied path; empty or starting with '/' and not ending with one.
    base_path: String,
}

struct Gateway {
    invoke_url: Uri,
    upstream: Option<Upstream>,
    arn_prefix: String,
    api_id: String,
    account: String,
    stage: String,
    timeout: Duration,
    quiet: bool,
    invoker: Client<HttpConnector, Full<Bytes>>,
    proxy: Client<HttpConnector, Incoming>,
    /// One invoke at a time: the emulator is one execution environment.
    invoke_lock: Mutex<()>,
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

fn http_only(uri: &Uri, what: &str) -> Result<String, String> {
    if uri.scheme_str() != Some("http") {
        return Err(format!("{what} {uri}: only http:// URLs are supported"));
    }
    uri.authority()
        .map(ToString::to_string)
        .ok_or_else(|| format!("{what} {uri}: no host"))
}

impl Gateway {
    fn new(args: &GatewayArgs) -> Result<Self, String> {
        let invoke_url = args
            .invoke_url
            .clone()
            .ok_or("--invoke-url is required (the authorizer's invoke URL)")?;
        http_only(&invoke_url, "--invoke-url")?;
        let upstream = match &args.upstream {
            Some(uri) => {
                let authority = http_only(uri, "--upstream")?;
                if uri.query().is_some() {
                    return Err(format!("--upstream {uri}: no query string allowed"));
                }
                let base_path = uri.path().trim_end_matches('/').to_string();
                Some(Upstream {
                    authority,
                    base_path,
                })
            }
            None => None,
        };
        let (account, api_id) = parse_arn_prefix(&args.api_arn_prefix).ok_or_else(|| {
            format!(
                "--api-arn-prefix {}: expected arn:aws:execute-api:REGION:ACCOUNT:API_ID",
                args.api_arn_prefix
            )
        })?;
        if args.stage.is_empty() || args.stage.contains('/') {
            return Err(format!("--stage {:?}: a stage name has no '/'", args.stage));
        }
        Ok(Gateway {
            invoke_url,
            upstream,
            arn_prefix: args.api_arn_prefix.clone(),
            api_id,
            account,
            stage: args.stage.clone(),
            timeout: Duration::from_millis(args.timeout_ms.max(1)),
            quiet: args.quiet,
            invoker: Client::builder(TokioExecutor::new()).build_http(),
            proxy: Client::builder(TokioExecutor::new()).build_http(),
            invoke_lock: Mutex::new(()),
        })
    }

    /// The HTTP API payload 2.0 REQUEST authorizer event for this request.
    fn event(&self, req: &Request<Incoming>, peer: SocketAddr, request_id: &str) -> Value {
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
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
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
                "time": clf_time(now_ms / 1000),
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

    /// Forwards an allowed request to the upstream and streams its answer back.
    async fn forward(
        &self,
        upstream: &Upstream,
        req: Request<Incoming>,
        peer: SocketAddr,
        context: &Value,
    ) -> Response<Body> {
        let (mut parts, body) = req.into_parts();
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let uri = format!(
            "http://{}{}{}",
            upstream.authority, upstream.base_path, path_and_query
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
        let sent = self.proxy.request(Request::from_parts(parts, body));
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

impl Handler for Gateway {
    async fn handle(self: Arc<Self>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let request_id = format!("{:016x}", rand::random::<u64>());
        let event = self.event(&req, peer, &request_id);
        let invoked = Instant::now();
        let verdict = self.invoke(&event).await;
        let authorizer_ms = invoked.elapsed().as_secs_f64() * 1000.0;
        let (mut response, note) = match verdict {
            Err(error) => (
                json_response(
                    StatusCode::BAD_GATEWAY,
                    &json!({"message": "Bad Gateway", "error": error}),
                ),
                format!("authorizer failed: {error}"),
            ),
            Ok(answer) => match answer.get("isAuthorized").and_then(Value::as_bool) {
                None => {
                    // A function error (the emulator answers 200 with errorType/errorMessage)
                    // or a response that is not a simple response.
                    let error = format!("authorizer answered no decision: {answer}");
                    let response = json_response(
                        StatusCode::BAD_GATEWAY,
                        &json!({"message": "Bad Gateway", "error": error}),
                    );
                    (response, error)
                }
                Some(authorized) => {
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
                    let response = if !authorized {
                        let (status, message) = if reason == "missing_token" {
                            (StatusCode::UNAUTHORIZED, "Unauthorized")
                        } else {
                            (StatusCode::FORBIDDEN, "Forbidden")
                        };
                        json_response(
                            status,
                            &json!({
                                "message": message,
                                "reason": reason,
                                "stale": stale,
                                "policyRevision": context.get("policyRevision"),
                            }),
                        )
                    } else if let Some(upstream) = &self.upstream {
                        self.forward(upstream, req, peer, &context).await
                    } else {
                        json_response(
                            StatusCode::OK,
                            &json!({"authorized": true, "method": method.as_str(), "path": path, "context": context}),
                        )
                    };
                    (response, note)
                }
            },
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

/// The sample upstream of `--echo`.
struct Echo;

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

/// `queryStringParameters`: decoded names and values, repeated names joined with commas.
fn query_parameters(query: &str) -> Value {
    let mut out = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (percent_decode(name), percent_decode(value));
        match out.get_mut(&name) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                out.insert(name, json!(value));
            }
        }
    }
    Value::Object(out)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `requestContext.time`: `19/Nov/2026:10:13:20 +0000`.
fn clf_time(unix: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, rem) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let month = MONTHS[((m - 1).clamp(0, 11)) as usize];
    format!(
        "{d:02}/{month}/{y:04}:{:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_time_matches_api_gateway_format() {
        assert_eq!(clf_time(1_795_000_000), "18/Nov/2026:11:06:40 +0000");
        assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
    }

    #[test]
    fn query_parameters_decode_and_join() {
        assert_eq!(
            query_parameters("a=1&b=x%20y&a=2&c&d=%zz&e=%4"),
            json!({"a": "1,2", "b": "x y", "c": "", "d": "%zz", "e": "%4"})
        );
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
}
