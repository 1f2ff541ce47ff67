//! The fleet's status against a real Apache Kafka broker: several authorizer environments
//! (the library's runtime, as `bootstrap` runs it, several times in one process) report on
//! a status topic; `authz publish --wait` and `authz fleet` read it.
//!
//! Needs a broker: `make integration` starts one and runs these with `--ignored`.
//! `KAFKA_BOOTSTRAP` names it (default 127.0.0.1:9092).

mod common;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use authorizer::config::{Config, LogLevel, StreamConfig};
use authorizer::policy::load_policy_value;
use authorizer::runtime::Authorizer;
use authorizer::signing::SigningKey;
use authorizer::status::reporter::StatusSettings;
use authorizer::status::{build_report, encode, Ledger, Trigger, ViewState};
use authorizer::stream::publish::{create_topic, send_raw};
use authorizer::stream::{self, LiveStream};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

fn brokers() -> String {
    std::env::var("KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

fn stream_config(topic: &str) -> StreamConfig {
    common::stream_config(topic, &brokers())
}

fn new_topic(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let topic = format!("it-{name}-{}-{nanos}", std::process::id());
    create_topic(
        &stream_config(&topic),
        &brokers(),
        1,
        1,
        86_400_000,
        Duration::from_secs(20),
    )
    .expect("create topic");
    topic
}

fn policy(revision: u64, clients: &[&str], publisher: Option<&SigningKey>) -> Value {
    let publishers: Vec<Value> = publisher
        .iter()
        .map(|k| json!({"kid": k.kid, "jwk": k.public_jwk()}))
        .collect();
    json!({
        "schema": "gateway-policy/v1", "revision": revision, "issuers": [],
        "clients": clients.iter().map(|id| json!({"id": id, "status": "active", "scopes": ["orders:read"]})).collect::<Vec<_>>(),
        "apis": [{"id": "orders", "routes": [{"route": "GET /orders", "scopes": ["orders:read"]}]}],
        "publishers": publishers,
    })
}

/// One simulated authorizer environment of `gateway`.
struct Env {
    authorizer: Authorizer,
    live: LiveStream,
}

impl Env {
    fn start(gateway: &str, baked: &Value, policy_topic: &str, status_topic: &str) -> Env {
        let config = Config {
            api_id: "orders".into(),
            policy_file: String::new(),
            log_level: LogLevel::Error,
            stream: Some(stream_config(policy_topic)),
        };
        let mut status = StatusSettings::for_gateway(gateway, "orders");
        status.topic = status_topic.to_string();
        status.identity.account = "123456789012".into();
        status.identity.region = "eu-west-1".into();
        status.identity.module_version = "1.4.0".into();
        let view = load_policy_value(baked).expect("valid policy");
        let (authorizer, live) =
            stream::start_reporting(Authorizer::new(config, Some(view)), Some(status));
        let live = live.expect("stream configured");
        assert!(live.wait_caught_up(WAIT), "{gateway} caught up");
        Env { authorizer, live }
    }

    /// One decision (the event's content does not matter: it triggers the hooks).
    fn invoke(&self) {
        let event = json!({"version": "2.0", "type": "REQUEST", "routeArn": "arn:aws:execute-api:eu-west-1:1:api/$default/GET/orders",
                           "headers": {}, "requestContext": {"http": {"method": "GET"}}});
        self.authorizer.handle(&event, "fleet-test");
    }
}

fn authz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authz"))
        .args(args)
        .output()
        .expect("run authz")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `authz fleet --json`: the exit code and the document.
fn fleet(status_topic: &str, extra: &[&str]) -> (i32, Value) {
    let b = brokers();
    let mut args = vec![
        "fleet",
        "--brokers",
        &b,
        "--status-topic",
        status_topic,
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = authz(&args);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    (out.status.code().unwrap_or(-1), doc)
}

fn state_of(doc: &Value, gateway: &str) -> String {
    doc["gateways"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["gateway"] == gateway))
        .map_or("absent".into(), |g| {
            g["state"].as_str().unwrap_or("").to_string()
        })
}

/// Polls `authz fleet` until `done` holds (reports are asynchronous), up to WAIT.
fn fleet_until(status_topic: &str, done: impl Fn(&Value) -> bool) -> (i32, Value) {
    let deadline = Instant::now() + WAIT;
    loop {
        let (code, doc) = fleet(status_topic, &[]);
        if done(&doc) || Instant::now() > deadline {
            return (code, doc);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn publish(policy_topic: &str, status_topic: &str, file: &std::path::Path, wait: &str) -> Output {
    let b = brokers();
    authz(&[
        "publish",
        "--brokers",
        &b,
        "--topic",
        policy_topic,
        "--status-topic",
        status_topic,
        "--wait",
        wait,
        file.to_str().expect("utf-8 path"),
    ])
}

/// The revision `authz publish` printed (`published N event(s) at revision R`).
fn published_revision(said: &str) -> u64 {
    said.lines()
        .find(|l| l.starts_with("published "))
        .and_then(|l| l.split("at revision ").nth(1))
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no published revision in: {said}"))
}

fn write(dir: &std::path::Path, name: &str, v: &Value) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).expect("write");
    p
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn a_publish_is_watched_landing_on_every_gateway_and_the_laggards_are_named() {
    let policy_topic = new_topic("fleet-policy");
    let status_topic = new_topic("fleet-status");
    let dir = std::env::temp_dir().join(format!("authz-fleet-it-{}", std::process::id()));
    let baked = policy(1, &["mobile-app"], None);

    // Four environments of three gateways, and one that stopped reporting an hour ago.
    let orders_a = Env::start("orders", &baked, &policy_topic, &status_topic);
    let orders_b = Env::start("orders", &baked, &policy_topic, &status_topic);
    let billing = Env::start("billing", &baked, &policy_topic, &status_topic);
    let users = Env::start("users", &baked, &policy_topic, &status_topic);
    let mut old = StatusSettings::for_gateway("legacy", "orders");
    old.identity.account = "123456789012".into();
    let hour_ago = authorizer::observe::unix_millis() - 3_600_000;
    let gone = build_report(
        &old.identity,
        &Ledger::default(),
        ViewState {
            revision: Some(1),
            ..ViewState::default()
        },
        Trigger::Invocation,
        1,
        60_000,
        hour_ago,
    );
    send_raw(
        &stream_config(&status_topic),
        &brokers(),
        &[(Some(gone.key()), Some(encode(&gone)))],
        WAIT,
    )
    .expect("send the aged-out report");
    for e in [&orders_a, &orders_b, &billing, &users] {
        e.invoke();
    }
    let (_, doc) = fleet_until(&status_topic, |d| d["live"] == 3);
    assert_eq!(doc["live"], 3, "{doc}");
    assert_eq!(
        state_of(&doc, "legacy"),
        "gone",
        "aged out: shown, not counted: {doc}"
    );

    // Publish a change (revision r2) and wait: every live gateway applies it.
    let v2 = write(
        &dir,
        "v2.json",
        &policy(1, &["mobile-app", "web-app"], None),
    );
    let out = publish(&policy_topic, &status_topic, &v2, "30s");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    let r2 = published_revision(&said);
    assert!(r2 > 1, "{said}");
    for g in ["orders", "billing", "users"] {
        assert!(
            said.contains(&format!("applied {g} (123456789012/eu-west-1) in ")),
            "{g}: {said}"
        );
    }
    assert!(
        said.contains(&format!("rolled out revision {r2} to 3 gateway(s)")),
        "{said}"
    );
    let (code, doc) = fleet(&status_topic, &[]);
    assert_eq!(
        (code, doc["headline"].as_str()),
        (
            0,
            Some(format!("reconciled 3/3 gateways at revision {r2}").as_str())
        ),
        "{doc}"
    );
    let orders = doc["gateways"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["gateway"] == "orders"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            orders["live_environments"].clone(),
            orders["module_versions"].clone()
        ),
        (json!(2), json!(["1.4.0"])),
        "{orders}"
    );
    assert_eq!(orders["environments"][0]["source"], "stream", "{orders}");

    // `users` freezes; a gateway whose baked policy trusts a publisher key joins and rejects
    // every unsigned event on the topic: a NACK.
    users.live.set_paused(true);
    let publisher = SigningKey::generate("portal-1", Algorithm::EdDSA).expect("key");
    let search = Env::start(
        "search",
        &policy(1, &["mobile-app"], Some(&publisher)),
        &policy_topic,
        &status_topic,
    );
    search.invoke();
    let (code, doc) = fleet_until(&status_topic, |d| state_of(d, "search") == "nacking");
    assert_eq!(
        (code, state_of(&doc, "search")),
        (1, "nacking".to_string()),
        "{doc}"
    );
    let nack = &doc["gateways"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["gateway"] == "search"))
        .cloned()
        .unwrap_or_default()["nacks"][0];
    assert_eq!(
        (nack["reason"].as_str(), nack["revision"].as_u64()),
        (Some("unsigned"), Some(r2)),
        "{nack}"
    );

    // The next revision (r3) cannot reach the frozen one nor the one that rejects it: the
    // wait times out naming both, and the fleet says why.
    let v3 = write(&dir, "v3.json", &policy(1, &["web-app"], None));
    let out = publish(&policy_topic, &status_topic, &v3, "5s");
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let r3 = published_revision(&said);
    assert!(r3 > r2, "{said}");
    assert!(
        said.contains(&format!(
            "timed out after 5 s: 2 gateway(s) not at revision {r3}"
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "users (123456789012/eu-west-1): 1/1 environment(s) at revision {r2}"
        )),
        "{said}"
    );
    assert!(
        said.contains(
            // Signed mode with no fresh checkpoint on the topic: the baked policy, flagged stale.
            "search (123456789012/eu-west-1): 1/1 environment(s) at revision 1, stale; rejected client/"
        ),
        "{said}"
    );
    assert!(
        said.contains("applied orders") && said.contains("applied billing"),
        "{said}"
    );
    let (code, doc) = fleet(&status_topic, &[]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(
        doc["headline"],
        format!("reconciled 2/4 gateways at revision {r3}"),
        "{doc}"
    );
    assert_eq!(
        (state_of(&doc, "users"), state_of(&doc, "orders")),
        ("behind".to_string(), "reconciled".to_string()),
        "{doc}"
    );

    // The table says the same to a person.
    let b = brokers();
    let out = authz(&["fleet", "--brokers", &b, "--status-topic", &status_topic]);
    let table = text(&out);
    assert!(
        table.starts_with(&format!(
            "reconciled 2/4 gateways at revision {r3}\nGATEWAY"
        )),
        "{table}"
    );
    assert!(table.contains("nack search: client/"), "{table}");

    // Thawed and invoked, `users` catches up before deciding and reports r3.
    users.live.set_paused(false);
    users.invoke();
    let (_, doc) = fleet_until(&status_topic, |d| state_of(d, "users") == "reconciled");
    assert_eq!(state_of(&doc, "users"), "reconciled", "{doc}");
    // Pinned to a revision never published, every gateway is behind.
    let (_, doc) = fleet(&status_topic, &["--revision", &(r3 + 1).to_string()]);
    assert_eq!(doc["reconciled"], 0, "{doc}");

    for e in [&orders_a, &orders_b, &billing, &users, &search] {
        e.live.stop();
    }
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn the_fleet_skips_records_that_are_not_status_reports_and_a_gate_that_sees_nothing_fails() {
    let status_topic = new_topic("fleet-junk");
    let (code, doc) = fleet(&status_topic, &[]);
    assert_eq!(
        (code, doc["live"].clone()),
        (1, json!(0)),
        "nothing seen is no green light: {doc}"
    );
    send_raw(
        &stream_config(&status_topic),
        &brokers(),
        &[
            (Some("k".into()), Some("not json".into())),
            (
                Some("a/b/c/d".into()),
                Some("{\"schema\":\"gateway-status/v2\"}".into()),
            ),
            (
                Some("x".into()),
                Some("{\"schema\":\"gateway-status/v1\",\"gateway\":\"\\u001b[2J\"}".into()),
            ),
        ],
        WAIT,
    )
    .expect("send");
    let b = brokers();
    let out = authz(&["fleet", "--brokers", &b, "--status-topic", &status_topic]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("skipped 3 invalid status record(s)"),
        "{said}"
    );
    assert!(said.contains("is not gateway-status/v1"), "{said}");
    assert!(
        !said.contains('\u{1b}'),
        "nothing from the topic reaches the terminal raw: {said:?}"
    );
}
