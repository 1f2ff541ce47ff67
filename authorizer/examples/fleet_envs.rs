//! Many authorizer environments in one process, for fleet sizes whose processes do not fit
//! on one machine (`scripts/bench/fleet.sh` with `FLEET_MODE=inproc`).
//!
//! Each environment is built exactly as `bootstrap` builds its one: configuration and status
//! settings from this process's environment (so each draws its own environment id), the
//! baked policy, its own policy consumer and status reporter. Each answers invocations at
//! `POST /{i}/2015-03-31/functions/function/invocations`, the emulator's invoke path under a
//! prefix, so the fleet bench polls these as it polls aws-lambda-rie instances.
//!
//! What differs from Lambda: the environments share this process's cores and are never
//! frozen between invocations, and there is no emulator in front of them.
//!
//! `cargo run --release --example fleet_envs -- N [LISTEN]` (LISTEN defaults to
//! 127.0.0.1:0); the first line on stdout is `listening on ADDR`.

use std::convert::Infallible;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use authorizer::config;
use authorizer::runtime::{load_baked, Authorizer};
use authorizer::status::reporter::StatusSettings;
use authorizer::stream::LiveStream;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const INVOKE_PATH: &str = "/2015-03-31/functions/function/invocations";

/// One environment: the authorizer and the stream that keeps its view (held, not read).
struct Environment {
    authorizer: Authorizer,
    _stream: Option<LiveStream>,
}

fn start_environment() -> Result<Environment, String> {
    let (config, problems) = config::from_env();
    if let Some(problem) = problems.first() {
        return Err(format!("configuration problem: {problem}"));
    }
    let (status, problems) = StatusSettings::from_env(&config);
    if let Some(problem) = problems.first() {
        return Err(format!("status configuration problem: {problem}"));
    }
    let baked = load_baked(&config);
    let (authorizer, stream) =
        authorizer::stream::start_reporting(Authorizer::new(config, baked), status);
    Ok(Environment {
        authorizer,
        _stream: stream,
    })
}

/// The environment index of an invoke path (`/{i}/2015-03-31/...`), if in range.
fn environment_index(path: &str, count: usize) -> Option<usize> {
    let rest = path.strip_prefix('/')?;
    let (index, tail) = rest.split_once('/')?;
    if format!("/{tail}") != INVOKE_PATH {
        return None;
    }
    index.parse().ok().filter(|i| *i < count)
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

async fn invoke(
    envs: Arc<Vec<Environment>>,
    ids: Arc<AtomicU64>,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let Some(index) = environment_index(req.uri().path(), envs.len()) else {
        return reply(StatusCode::NOT_FOUND, b"no such environment".to_vec());
    };
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return reply(StatusCode::BAD_REQUEST, e.to_string().into_bytes()),
    };
    let request_id = format!("fleet-{}", ids.fetch_add(1, Ordering::Relaxed));
    // A decision may wait the sync budget for the stream (a blocking wait): off the
    // runtime's worker threads.
    let decided = tokio::task::spawn_blocking(move || {
        let event = String::from_utf8_lossy(&body);
        let response = envs[index].authorizer.handle_json(&event, &request_id);
        serde_json::to_vec(&response)
    })
    .await;
    match decided {
        Ok(Ok(json)) => reply(StatusCode::OK, json),
        Ok(Err(e)) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string().into_bytes(),
        ),
        Err(e) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string().into_bytes(),
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fleet_envs N [LISTEN]";
    let count: usize = args
        .next()
        .ok_or(usage)?
        .parse()
        .map_err(|e| format!("N: {e} ({usage})"))?;
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let envs = (0..count)
        .map(|i| start_environment().map_err(|e| format!("environment {i}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let envs = Arc::new(envs);
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {addr}").map_err(|e| e.to_string())?;
    stdout.flush().map_err(|e| e.to_string())?;
    let ids = Arc::new(AtomicU64::new(0));
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("fleet_envs: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let (envs, ids) = (envs.clone(), ids.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let (envs, ids) = (envs.clone(), ids.clone());
                async move { Ok::<_, Infallible>(invoke(envs, ids, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_paths_name_an_environment_in_range() {
        let path = |i: &str| format!("/{i}{INVOKE_PATH}");
        assert_eq!(environment_index(&path("0"), 3), Some(0));
        assert_eq!(environment_index(&path("2"), 3), Some(2));
        assert_eq!(environment_index(&path("3"), 3), None);
        assert_eq!(environment_index(&path("x"), 3), None);
        assert_eq!(environment_index(INVOKE_PATH, 3), None);
        assert_eq!(environment_index("/1/other", 3), None);
    }
}
