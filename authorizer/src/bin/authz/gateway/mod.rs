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
//!
//! Here: the arguments and the entry point. `server` is the accept loop both modes share,
//! `event` turns a request into the authorizer event, `authorize` invokes the function and
//! answers by its decision, `proxy` forwards allowed requests, `echo` is the sample upstream.

mod authorize;
mod echo;
mod event;
mod proxy;
mod server;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use hyper::Uri;
use tokio::net::TcpListener;

use authorize::Gateway;
use echo::Echo;
use server::serve;

/// The request header that carries the authorizer's context to the upstream.
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

/// The `host:port` of an `http://` URL given as `what`.
fn http_only(uri: &Uri, what: &str) -> Result<String, String> {
    if uri.scheme_str() != Some("http") {
        return Err(format!("{what} {uri}: only http:// URLs are supported"));
    }
    uri.authority()
        .map(ToString::to_string)
        .ok_or_else(|| format!("{what} {uri}: no host"))
}
