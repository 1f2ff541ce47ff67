//! The policy stream against a real Apache Kafka broker, through the library's runtime
//! (`Authorizer` + `stream::start`, the same code `bootstrap` runs) and the `authz` binary.
//!
//! Needs a broker: `make integration` starts one and runs these with `--ignored`.
//! `KAFKA_BOOTSTRAP` names it (default 127.0.0.1:9092); `KAFKA_SCRIPT` is the script that
//! stops and starts it for the outage test; `KAFKA_PROXIED_PORT` and
//! `KAFKA_PROXIED_ADVERTISED` its second listener, behind which the slow-link test puts a
//! delaying proxy.

mod common;
mod slow_link;
use common::stream_config;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use authorizer::config::{Config, LogLevel, StreamConfig};
use authorizer::policy::{load_policy_value, EntityKind, PolicyView};
use authorizer::runtime::Authorizer;
use authorizer::signing::SigningKey;
use authorizer::stream::checkpoint::{encode_checkpoint, Checkpoint, CHECKPOINT_KEY};
use authorizer::stream::event::{encode_value, Op, PolicyEvent, Rejection, EVENT_SCHEMA};
use authorizer::stream::publish::{
    create_topic, read_records, send_raw, tombstone, topic_state, verdicts,
};
use authorizer::stream::replica::Replica;
use authorizer::stream::{self, LiveStream};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

const ISS: &str = "https://idp.test";
const AUD: &str = "https://api.test";
const WAIT: Duration = Duration::from_secs(30);

/// Now in Unix seconds (records are read at it).
fn now_s() -> i64 {
    (authorizer::observe::unix_millis() / 1000) as i64
}

fn brokers() -> String {
    std::env::var("KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

fn new_topic(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let topic = format!("it-{name}-{}-{nanos}", std::process::id());
    create_topic(
        &stream_config(&topic, &brokers()),
        &brokers(),
        1,
        1,
        86_400_000,
        Duration::from_secs(20),
    )
    .expect("create topic");
    topic
}

/// A token signing key and the policy that trusts it.
struct World {
    token_key: SigningKey,
    publisher: Option<SigningKey>,
}

impl World {
    fn new(signed: bool) -> Self {
        World {
            token_key: SigningKey::generate("tk-1", Algorithm::ES256).expect("key"),
            publisher: signed
                .then(|| SigningKey::generate("portal-1", Algorithm::EdDSA).expect("key")),
        }
    }

    fn policy(&self, revision: u64, clients: &[(&str, &str)]) -> Value {
        let publishers: Vec<Value> = self
            .publisher
            .iter()
            .map(|k| json!({"kid": k.kid, "jwk": k.public_jwk()}))
            .collect();
        json!({
            "schema": "gateway-policy/v1", "revision": revision,
            "issuers": [{"id": "idp", "issuer": ISS, "audiences": [AUD], "algorithms": ["ES256"], "keys": [{"kid": "tk-1", "status": "active", "jwk": self.token_key.public_jwk()}]}],
            "clients": clients.iter().map(|(id, status)| json!({"id": id, "status": status, "scopes": ["orders:read"]})).collect::<Vec<_>>(),
            "apis": [{"id": "orders", "routes": [{"route": "GET /orders", "scopes": ["orders:read"]}]}],
            "publishers": publishers,
        })
    }

    fn event(&self, client: &str) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let token = self.token_key.sign(&json!({"iss": ISS, "aud": AUD, "client_id": client, "scope": "orders:read", "exp": now + 600}), &json!({})).expect("sign");
        json!({"version": "2.0", "type": "REQUEST", "routeArn": "arn:aws:execute-api:eu-west-1:1:api/$default/GET/orders",
               "headers": {"authorization": format!("Bearer {token}")}, "requestContext": {"http": {"method": "GET"}}})
    }
}

fn view(policy: &Value) -> PolicyView {
    load_policy_value(policy).expect("valid policy")
}

fn start(baked: &Value, cfg: StreamConfig) -> (Authorizer, LiveStream) {
    let level = if std::env::var_os("AUTHZ_TEST_LOG").is_some() {
        LogLevel::Debug
    } else {
        LogLevel::Error
    };
    let config = Config {
        api_id: "orders".into(),
        policy_file: String::new(),
        log_level: level,
        stream: Some(cfg),
    };
    let (authorizer, live) = stream::start(Authorizer::new(config, Some(view(baked))));
    (authorizer, live.expect("stream configured"))
}

fn decide(a: &Authorizer, event: &Value) -> (bool, String, bool) {
    let r = a.handle(event, "test");
    (
        r["isAuthorized"] == true,
        r["context"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        r["context"]["stale"] == true,
    )
}

fn write_policy(dir: &std::path::Path, name: &str, policy: &Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, policy.to_string()).expect("write policy");
    p
}

fn authz(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_authz"))
        .args(args)
        .output()
        .expect("run authz");
    assert!(
        out.status.success(),
        "authz {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `authz publish` of a policy file to a topic, signed with `key` when given; its stdout.
fn publish_policy(brokers: &str, topic: &str, key: Option<&Path>, policy: &Path) -> String {
    let mut args = vec!["publish", "--brokers", brokers, "--topic", topic];
    if let Some(key) = key {
        args.extend(["--signing-key", key.to_str().unwrap_or_default()]);
    }
    args.push(policy.to_str().unwrap_or_default());
    authz(&args)
}

/// Runs `authz` and expects success; returns its stdout and stderr.
fn authz_said(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_authz"))
        .args(args)
        .output()
        .expect("run authz");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "authz {args:?} failed: {stdout}{stderr}"
    );
    (stdout, stderr)
}

/// The revision `authz publish` printed (`published N event(s) at revision R`).
fn published_revision(out: &str) -> u64 {
    out.lines()
        .find(|l| l.starts_with("published "))
        .and_then(|l| l.split("at revision ").nth(1))
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no published revision in: {out}"))
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("authz-it-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

/// Deletes the topic and creates it again, empty (retrying while the deletion completes).
fn recreate_topic(topic: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::config::ClientConfig;
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(admin.delete_topics(&[topic], &AdminOptions::new()))
        .expect("delete topic");
    let deadline = Instant::now() + WAIT;
    loop {
        match create_topic(
            &stream_config(topic, &brokers()),
            &brokers(),
            1,
            1,
            86_400_000,
            Duration::from_secs(10),
        ) {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("recreate {topic}: {e}"),
        }
    }
}

fn signed_event(
    key: Option<&SigningKey>,
    kind: EntityKind,
    id: &str,
    revision: u64,
    op: Op,
    data: Option<Value>,
) -> String {
    let e = PolicyEvent {
        schema: EVENT_SCHEMA.into(),
        kind: kind.as_str().into(),
        id: id.into(),
        revision,
        op,
        issued_at: None,
        data,
    };
    encode_value(&e, key).expect("encode")
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn cold_start_serves_the_baked_policy_before_the_stream_and_then_applies_it() {
    let w = World::new(false);
    let topic = new_topic("cold");
    let b = brokers();
    // The stream says the client is suspended; the baked policy says active.
    let suspended = json!({"id": "app", "status": "suspended", "scopes": ["orders:read"]});
    send_raw(
        &stream_config(&topic, &b),
        &b,
        &[(
            Some("client/app".into()),
            Some(signed_event(
                None,
                EntityKind::Client,
                "app",
                5,
                Op::Upsert,
                Some(suspended),
            )),
        )],
        WAIT,
    )
    .expect("send");
    let mut cfg = stream_config(&topic, &b);
    cfg.sync_budget_ms = 0; // decide at once, before any catch-up
    let (a, live) = start(&w.policy(1, &[("app", "active")]), cfg);
    let (allowed, reason, stale) = decide(&a, &w.event("app"));
    assert!(
        allowed && reason == "ok" && stale,
        "first decision is the baked policy's, flagged stale: {reason} stale={stale}"
    );
    assert!(live.wait_caught_up(WAIT), "stream caught up");
    assert!(live.wait_view(|v| v.client("app").is_some_and(|c| !c.active), WAIT));
    let (allowed, reason, _) = decide(&a, &w.event("app"));
    assert!(!allowed && reason == "client_suspended", "{reason}");
    live.stop();
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn a_client_suspended_with_authz_publish_is_denied() {
    let w = World::new(false);
    let topic = new_topic("suspend");
    let b = brokers();
    let dir = tmpdir("suspend");
    let active = w.policy(1, &[("app", "active")]);
    let file = write_policy(&dir, "active.json", &active);
    publish_policy(&b, &topic, None, &file);
    let (a, live) = start(&active, stream_config(&topic, &b));
    assert!(live.wait_caught_up(WAIT));
    assert!(decide(&a, &w.event("app")).0, "allowed while active");

    let suspended = w.policy(1, &[("app", "suspended")]);
    let file = write_policy(&dir, "suspended.json", &suspended);
    let dry = authz(&[
        "publish",
        "--dry-run",
        "--brokers",
        &b,
        "--topic",
        &topic,
        file.to_str().unwrap_or_default(),
    ]);
    assert!(dry.contains("change  client/app"), "{dry}");
    let t0 = Instant::now();
    publish_policy(&b, &topic, None, &file);
    let published = t0.elapsed();
    assert!(
        live.wait_view(|v| v.client("app").is_some_and(|c| !c.active), WAIT),
        "suspension applied"
    );
    let applied = t0.elapsed();
    let (allowed, reason, _) = decide(&a, &w.event("app"));
    assert!(!allowed && reason == "client_suspended", "{reason}");
    println!("suspension: authz publish took {published:?}; denied {applied:?} after the publish started");
    // Publishing the same document again changes nothing.
    let again = publish_policy(&b, &topic, None, &file);
    assert!(again.contains("up to date"), "{again}");
    live.stop();
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn cold_start_with_the_broker_down_serves_the_baked_policy() {
    let w = World::new(false);
    // Nothing listens on port 1.
    let (a, live) = start(
        &w.policy(1, &[("app", "active")]),
        stream_config("gateway-policy.v1", "127.0.0.1:1"),
    );
    for _ in 0..3 {
        let t = Instant::now();
        let (allowed, reason, stale) = decide(&a, &w.event("app"));
        assert!(allowed && reason == "ok" && stale, "{reason} stale={stale}");
        println!("decision with the broker down took {:?}", t.elapsed());
    }
    let (allowed, reason, _) = decide(&a, &w.event("ghost"));
    assert!(
        !allowed && reason == "unknown_client",
        "the baked policy still denies what it denies: {reason}"
    );
    live.stop();
}

/// A checkpoint record signed by `key`, issued at `issued_at` (Unix seconds).
fn checkpoint_record(
    key: &SigningKey,
    revision: u64,
    entities: &[(&str, u64)],
    issued_at: i64,
) -> (Option<String>, Option<String>) {
    let at = chrono::DateTime::from_timestamp(issued_at, 0)
        .expect("in range")
        .to_rfc3339();
    let cp = Checkpoint::new(
        revision,
        Some(at),
        entities.iter().map(|(k, r)| (k.to_string(), *r)).collect(),
    );
    (
        Some(CHECKPOINT_KEY.to_string()),
        Some(encode_checkpoint(&cp, key).expect("sign")),
    )
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn bad_events_are_skipped_counted_and_never_block_the_next() {
    let w = World::new(true);
    let publisher = w.publisher.as_ref().expect("signed world");
    let forger = SigningKey::generate("portal-1", Algorithm::EdDSA).expect("key");
    let topic = new_topic("poison");
    let b = brokers();
    let baked = w.policy(10, &[("app", "active")]);
    let (a, live) = start(&baked, stream_config(&topic, &b));
    assert!(live.wait_caught_up(WAIT));
    let suspend = json!({"id": "app", "status": "suspended", "scopes": ["orders:read"]});
    let mut v2 = serde_json::to_value(PolicyEvent {
        schema: "gateway-policy-event/v2".into(),
        kind: "client".into(),
        id: "app".into(),
        revision: 21,
        op: Op::Upsert,
        issued_at: None,
        data: Some(suspend.clone()),
    })
    .expect("json");
    v2["schema"] = json!("gateway-policy-event/v2");
    let v2_signed = publisher
        .sign_with_header(&json!({"alg": "EdDSA", "kid": publisher.kid}), &v2)
        .expect("sign");
    let records = vec![
        (
            Some("client/app".to_string()),
            Some("neither json nor a jws".to_string()),
        ),
        (
            Some("client/app".to_string()),
            Some(signed_event(
                None,
                EntityKind::Client,
                "app",
                22,
                Op::Upsert,
                Some(suspend.clone()),
            )),
        ),
        (
            Some("client/app".to_string()),
            Some(signed_event(
                Some(&forger),
                EntityKind::Client,
                "app",
                23,
                Op::Upsert,
                Some(suspend.clone()),
            )),
        ),
        (Some("client/app".to_string()), Some(v2_signed)),
        (
            Some("client/app".to_string()),
            Some(signed_event(
                Some(publisher),
                EntityKind::Client,
                "app",
                9,
                Op::Upsert,
                Some(suspend.clone()),
            )),
        ),
        (Some("not-a-key".to_string()), Some("{}".to_string())),
        (
            Some("client/other".to_string()),
            Some(signed_event(
                Some(publisher),
                EntityKind::Client,
                "app",
                24,
                Op::Upsert,
                Some(suspend.clone()),
            )),
        ),
        // A good event after all the bad ones: it must still be applied.
        (
            Some("client/late".to_string()),
            Some(signed_event(
                Some(publisher),
                EntityKind::Client,
                "late",
                30,
                Op::Upsert,
                Some(json!({"id": "late", "status": "active", "scopes": []})),
            )),
        ),
        // The portal's checkpoint for it: signed mode serves the stream only with one. It
        // lists the portal's whole state: the baked document (revision 10) and the new client.
        checkpoint_record(
            publisher,
            30,
            &[
                ("issuer/idp", 10),
                ("client/app", 10),
                ("api/orders", 10),
                ("publisher/portal-1", 10),
                ("client/late", 30),
            ],
            now_s(),
        ),
    ];
    send_raw(&stream_config(&topic, &b), &b, &records, WAIT).expect("send");
    assert!(
        live.wait_revision(30, WAIT),
        "the good event after the poison was applied"
    );
    let stats = live.stats();
    let count = |r: Rejection| stats.rejected.get(&r).copied().unwrap_or(0);
    assert_eq!(count(Rejection::Malformed), 1, "{stats:?}");
    assert_eq!(count(Rejection::Unsigned), 1, "{stats:?}");
    assert_eq!(count(Rejection::BadSignature), 1, "{stats:?}");
    assert_eq!(count(Rejection::UnknownSchema), 1, "{stats:?}");
    assert_eq!(count(Rejection::StaleRevision), 1, "{stats:?}");
    assert_eq!(count(Rejection::BadKey), 1, "{stats:?}");
    assert_eq!(count(Rejection::KeyMismatch), 1, "{stats:?}");
    let (allowed, reason, _) = decide(&a, &w.event("app"));
    assert!(
        allowed && reason == "ok",
        "no rejected event changed the view: {reason}"
    );
    live.stop();
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn replaying_the_topic_twice_gives_the_same_view_and_a_tombstone_deletes() {
    let w = World::new(false);
    let topic = new_topic("replay");
    let b = brokers();
    let cfg = stream_config(&topic, &b);
    let dir = tmpdir("replay");
    let p1 = write_policy(
        &dir,
        "p1.json",
        &w.policy(1, &[("a", "active"), ("b", "active"), ("c", "suspended")]),
    );
    publish_policy(&b, &topic, None, &p1);
    let p2 = write_policy(
        &dir,
        "p2.json",
        &w.policy(1, &[("a", "suspended"), ("c", "active")]),
    );
    publish_policy(&b, &topic, None, &p2);
    let (_, records) = read_records(&cfg, &b, true, WAIT).expect("read");
    let mut replica = Replica::new(None);
    verdicts(&mut replica, &records, now_s());
    let once = replica.view().expect("view").to_document();
    verdicts(&mut replica, &records, now_s());
    let twice = replica.view().expect("view").to_document();
    assert_eq!(once, twice, "a second replay changes nothing");
    assert!(
        once.clients.iter().all(|c| c.id != "b"),
        "b was deleted by the second publish"
    );

    // The authorizer reads the same state.
    let (_, live) = start(&w.policy(1, &[]), cfg.clone());
    assert!(live.wait_caught_up(WAIT));
    assert!(live.wait_view(
        |v| v.client("a").is_some_and(|c| !c.active) && v.client("b").is_none(),
        WAIT
    ));

    // A tombstone forgets the key.
    tombstone(&cfg, &b, EntityKind::Client, "c", WAIT).expect("tombstone");
    assert!(
        live.wait_view(|v| v.client("c").is_none(), WAIT),
        "tombstone deleted client c"
    );
    assert_eq!(
        topic_state(
            &view(&w.policy(1, &[])).to_document(),
            &read_records(&cfg, &b, true, WAIT).expect("read").1
        )
        .latest
        .keys()
        .filter(|(k, _)| *k == EntityKind::Client)
        .count(),
        2
    );
    live.stop();
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn a_publisher_key_rotates_through_the_stream() {
    let w = World::new(true);
    let k1 = w.publisher.as_ref().expect("signed world");
    let k2 = SigningKey::generate("portal-2", Algorithm::EdDSA).expect("key");
    let topic = new_topic("rotate");
    let b = brokers();
    let cfg = stream_config(&topic, &b);
    let dir = tmpdir("rotate");
    let k1_file = dir.join("k1.key");
    let k2_file = dir.join("k2.key");
    std::fs::write(
        &k1_file,
        serde_json::to_string(&k1.to_file()).expect("json"),
    )
    .expect("write");
    std::fs::write(
        &k2_file,
        serde_json::to_string(&k2.to_file()).expect("json"),
    )
    .expect("write");
    let with_keys = |mut policy: Value, keys: &[&SigningKey]| {
        policy["publishers"] = keys
            .iter()
            .map(|k| json!({"kid": k.kid, "jwk": k.public_jwk()}))
            .collect();
        policy
    };
    let publish = |name: &str, policy: &Value, key: &std::path::Path| {
        let f = write_policy(&dir, name, policy);
        authz_said(&[
            "publish",
            "--brokers",
            &b,
            "--topic",
            &topic,
            "--signing-key",
            key.to_str().unwrap_or_default(),
            f.to_str().unwrap_or_default(),
        ])
    };
    // Baked with portal-1 only.
    let baked = w.policy(1, &[("app", "active")]);
    let (a, live) = start(&baked, cfg.clone());
    assert!(live.wait_caught_up(WAIT));

    // 1. List both keys, publish signed by portal-1: the topic gets portal-2.
    let both = with_keys(baked.clone(), &[k1, &k2]);
    publish("both.json", &both, &k1_file);
    assert!(live.wait_view(|v| v.publisher("portal-2").is_some(), WAIT));

    // 2. Sign with portal-2, both still listed: suspend the client. Nothing signed by
    // portal-1 is re-asserted.
    let both_suspended = with_keys(w.policy(1, &[("app", "suspended")]), &[k1, &k2]);
    let (out, err) = publish("both-suspended.json", &both_suspended, &k2_file);
    assert!(out.contains("change  client/app"), "{out}");
    assert!(!out.contains("publisher/"), "{out}");
    assert!(!err.contains("warning"), "{err}");
    assert!(live.wait_view(|v| v.client("app").is_some_and(|c| !c.active), WAIT));
    assert_eq!(decide(&a, &w.event("app")).1, "client_suspended");
    // A cold authorizer baked with portal-1 only trusts portal-2 through the record signed by
    // portal-1, and so gets the change signed by portal-2.
    let (cold_a, cold) = start(&baked, cfg.clone());
    assert!(cold.wait_caught_up(WAIT));
    assert!(
        cold.wait_stats(|s| !s.unanchored, WAIT),
        "{:?}",
        cold.stats()
    );
    assert_eq!(decide(&cold_a, &w.event("app")).1, "client_suspended");
    assert!(cold.stats().withheld.is_empty(), "{:?}", cold.stats());
    cold.stop();

    // 3. Re-bake the authorizers with both keys.
    let (rebaked_a, rebaked) = start(&both, cfg.clone());
    assert!(rebaked.wait_caught_up(WAIT));
    assert!(rebaked.wait_view(|v| v.client("app").is_some_and(|c| !c.active), WAIT));

    // 4. Only then drop portal-1 from the document, signed by portal-2: every record still
    // signed by portal-1 is re-asserted signed by portal-2 (`publisher/portal-2` too, which
    // the warning names), and portal-1 is deleted, last.
    let only2 = with_keys(w.policy(1, &[("app", "suspended")]), &[&k2]);
    let (out, err) = publish("only2.json", &only2, &k2_file);
    let revision = published_revision(&out);
    assert!(out.contains("add     publisher/portal-2"), "{out}");
    assert!(out.contains("add     issuer/idp"), "{out}");
    assert!(
        out.trim_end()
            .lines()
            .rev()
            .nth(2)
            .is_some_and(|l| l.starts_with("delete  publisher/portal-1")),
        "{out}"
    );
    assert!(
        err.contains("warning:")
            && err.contains("publisher/portal-2 (offset ")
            && err.contains("\"portal-1\", which the policy no longer lists"),
        "{err}"
    );
    for l in [&live, &rebaked] {
        assert!(l.wait_view(
            |v| v.publisher("portal-1").is_none() && v.revision >= revision,
            WAIT
        ));
    }
    assert_eq!(decide(&a, &w.event("app")).1, "client_suspended");
    assert_eq!(decide(&rebaked_a, &w.event("app")).1, "client_suspended");

    // 5. portal-1 is no longer trusted, baked or not: its events are rejected.
    let reactivate = json!({"id": "app", "status": "active", "scopes": ["orders:read"]});
    send_raw(
        &cfg,
        &b,
        &[(
            Some("client/app".into()),
            Some(signed_event(
                Some(k1),
                EntityKind::Client,
                "app",
                revision + 1000,
                Op::Upsert,
                Some(reactivate),
            )),
        )],
        WAIT,
    )
    .expect("send");
    for (l, name) in [(&live, "warm"), (&rebaked, "re-baked")] {
        let rejected = || {
            l.stats()
                .rejected
                .get(&Rejection::BadSignature)
                .copied()
                .unwrap_or(0)
        };
        let deadline = Instant::now() + WAIT;
        while rejected() == 0 && Instant::now() < deadline {
            l.wait_revision(u64::MAX, Duration::from_millis(100));
        }
        assert_eq!(
            rejected(),
            1,
            "{name}: the retired publisher key's event was rejected"
        );
    }
    assert_eq!(decide(&a, &w.event("app")).1, "client_suspended");
    assert_eq!(decide(&rebaked_a, &w.event("app")).1, "client_suspended");
    live.stop();
    rebaked.stop();

    // An authorizer baked with portal-2 only reads the whole state: nothing it needs is
    // signed by portal-1 any more.
    let (new_a, new_live) = start(&with_keys(baked.clone(), &[&k2]), cfg.clone());
    assert!(new_live.wait_caught_up(WAIT));
    assert!(new_live.wait_stats(|s| !s.unanchored, WAIT));
    assert_eq!(decide(&new_a, &w.event("app")).1, "client_suspended");
    assert!(
        new_live.stats().withheld.is_empty(),
        "{:?}",
        new_live.stats()
    );
    new_live.stop();
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn a_view_older_than_tombstone_retention_is_rebuilt_from_offset_zero() {
    let w = World::new(false);
    let topic = new_topic("rebuild");
    let b = brokers();
    let cfg = stream_config(&topic, &b);
    let ghost = json!({"id": "ghost", "status": "active", "scopes": ["orders:read"]});
    send_raw(
        &cfg,
        &b,
        &[(
            Some("client/ghost".into()),
            Some(signed_event(
                None,
                EntityKind::Client,
                "ghost",
                5,
                Op::Upsert,
                Some(ghost),
            )),
        )],
        WAIT,
    )
    .expect("send");
    let mut fast = cfg.clone();
    fast.max_staleness_ms = 200;
    fast.tombstone_retention_ms = 300;
    let (a, live) = start(&w.policy(1, &[("app", "active")]), fast);
    assert!(live.wait_caught_up(WAIT));
    assert!(live.wait_view(|v| v.client("ghost").is_some(), WAIT));
    // Freeze. Meanwhile the portal deletes `ghost` and compaction removes every trace of it
    // (its delete and, after delete.retention.ms, its tombstone); the consumer's position is
    // gone too. Deleting and recreating the topic reproduces exactly that: afterwards the
    // topic does not mention `ghost` at all.
    live.set_paused(true);
    assert!(
        decide(&a, &w.event("ghost")).0,
        "still the old view while frozen"
    );
    recreate_topic(&topic);
    let filler = json!({"id": "filler", "status": "active", "scopes": []});
    send_raw(
        &cfg,
        &b,
        &[(
            Some("client/filler".into()),
            Some(signed_event(
                None,
                EntityKind::Client,
                "filler",
                6,
                Op::Upsert,
                Some(filler),
            )),
        )],
        WAIT,
    )
    .expect("send");
    std::thread::sleep(Duration::from_millis(400)); // the rest of the freeze: longer than the retention
    live.set_paused(false);
    assert!(
        live.wait_view(|v| v.client("filler").is_some(), WAIT),
        "the stream resumed"
    );
    assert!(
        live.wait_view(|v| v.client("ghost").is_none(), WAIT),
        "rebuilt view has no ghost"
    );
    assert!(
        live.stats().rebuilds >= 1,
        "the view was rebuilt from offset 0"
    );
    let (allowed, reason, _) = decide(&a, &w.event("app"));
    assert!(allowed, "the baked client survives the rebuild: {reason}");
    live.stop();
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn outage_decisions_continue_stale_and_the_stream_catches_up_by_itself() {
    let Ok(script) = std::env::var("KAFKA_SCRIPT") else {
        panic!("set KAFKA_SCRIPT to scripts/kafka.sh (make integration does)");
    };
    let w = World::new(false);
    let topic = new_topic("outage");
    let b = brokers();
    let mut cfg = stream_config(&topic, &b);
    cfg.max_staleness_ms = 300;
    let (a, live) = start(
        &w.policy(1, &[("app", "active"), ("other", "active")]),
        cfg.clone(),
    );
    assert!(live.wait_caught_up(WAIT));
    let kafka = |cmd: &str| {
        let ok = Command::new("bash")
            .arg(&script)
            .arg(cmd)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kafka.sh {cmd}");
    };
    kafka("stop");
    // Decisions go on, on the last known good view, flagged stale once it is older than max_staleness.
    let mut stale_seen = false;
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        let (allowed, reason, stale) = decide(&a, &w.event("app"));
        worst = worst.max(t.elapsed());
        assert!(allowed, "the outage never denies by itself: {reason}");
        stale_seen |= stale;
        if stale_seen {
            break;
        }
        live.wait_revision(u64::MAX, Duration::from_millis(100));
    }
    assert!(stale_seen, "decisions during the outage are flagged stale");
    println!(
        "outage: slowest decision {worst:?} (budget {} ms)",
        cfg.sync_budget_ms
    );
    kafka("start");
    // Back: a change published now is applied without anyone touching the authorizer.
    let suspend = json!({"id": "other", "status": "suspended", "scopes": ["orders:read"]});
    send_raw(
        &cfg,
        &b,
        &[(
            Some("client/other".into()),
            Some(signed_event(
                None,
                EntityKind::Client,
                "other",
                50,
                Op::Upsert,
                Some(suspend),
            )),
        )],
        WAIT,
    )
    .expect("send after restart");
    assert!(
        live.wait_revision(50, Duration::from_secs(60)),
        "caught up after the broker came back"
    );
    assert!(live.wait_fresh(WAIT), "confirmed fresh again");
    let (allowed, _, stale) = decide(&a, &w.event("app"));
    assert!(allowed && !stale, "fresh again");
    assert_eq!(decide(&a, &w.event("other")).1, "client_suspended");
    live.stop();
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn a_broker_slower_than_the_sync_budget_still_confirms_the_view_fresh() {
    // Every answer of the broker takes 200 ms, four times the 50 ms budget: a catch-up can
    // never finish within a decision's wait, but it finishes, and that must count.
    let (Ok(port), Ok(front)) = (
        std::env::var("KAFKA_PROXIED_PORT"),
        std::env::var("KAFKA_PROXIED_ADVERTISED"),
    ) else {
        panic!("set KAFKA_PROXIED_PORT and KAFKA_PROXIED_ADVERTISED for the broker's second listener (make integration does)");
    };
    let host = brokers().rsplit_once(':').map(|(h, _)| h.to_string());
    let backend = format!("{}:{port}", host.unwrap_or_else(|| "127.0.0.1".into()));
    let delay = Duration::from_millis(200);
    slow_link::start(&front, &backend, delay).expect("start the slow link");
    let w = World::new(false);
    let topic = new_topic("slow-link");
    let cfg = stream_config(&topic, &front);
    assert!(delay.as_millis() > u128::from(cfg.sync_budget_ms));
    let (a, live) = start(&w.policy(1, &[("app", "active")]), cfg.clone());
    assert!(live.wait_caught_up(WAIT), "caught up through the slow link");

    // A freeze longer than the staleness bound (the sleep is the freeze, not a wait for an
    // event): the decisions after it ask for a catch-up.
    live.set_paused(true);
    std::thread::sleep(Duration::from_millis(cfg.max_staleness_ms + 200));
    live.set_paused(false);
    let thawed = Instant::now();
    let mut stale = 0;
    let mut slowest = Duration::ZERO;
    loop {
        let t = Instant::now();
        let (allowed, reason, was_stale) = decide(&a, &w.event("app"));
        slowest = slowest.max(t.elapsed());
        assert!(allowed, "a slow broker never denies by itself: {reason}");
        if !was_stale {
            break;
        }
        stale += 1;
        // A check cut off at the budget would never finish here.
        assert!(
            thawed.elapsed() < WAIT,
            "never confirmed fresh through a link slower than the budget: {stale} stale decisions, {:?}",
            live.stats()
        );
        live.wait_fresh(Duration::from_millis(20));
    }
    let stats = live.stats();
    println!(
        "slow link ({delay:?} per answer, budget {} ms): fresh again {:?} after the thaw, {stale} stale decisions, {} waited, slowest {slowest:?}",
        cfg.sync_budget_ms,
        thawed.elapsed(),
        stats.waited_decisions,
    );
    // At most one decision per staleness bound sits out the budget while Kafka is slow.
    let windows = thawed.elapsed().as_millis() as u64 / cfg.max_staleness_ms + 1;
    assert!(
        stats.waited_decisions <= windows,
        "{} decisions waited in {windows} staleness windows",
        stats.waited_decisions
    );
    live.stop();
}

/// Creates a topic that the broker compacts within a second or two of a segment roll.
fn new_compacting_topic(name: &str) -> String {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::config::ClientConfig;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let topic = format!("it-{name}-{}-{nanos}", std::process::id());
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let new = NewTopic::new(&topic, 1, TopicReplication::Fixed(1))
        .set("cleanup.policy", "compact")
        .set("segment.ms", "100")
        .set("min.cleanable.dirty.ratio", "0.01")
        .set("min.compaction.lag.ms", "0")
        .set("delete.retention.ms", "100");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for r in rt
        .block_on(admin.create_topics([&new], &AdminOptions::new()))
        .expect("create topic")
    {
        r.expect("topic created");
    }
    topic
}

/// Runs `authz` and expects it to fail; returns its stderr.
fn authz_fails(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_authz"))
        .args(args)
        .output()
        .expect("run authz");
    assert!(
        !out.status.success(),
        "authz {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn a_hostile_write_and_a_compaction_never_bring_a_revoked_key_back() {
    let w = World::new(true);
    let publisher = w.publisher.as_ref().expect("signed world");
    let topic = new_compacting_topic("compact");
    let b = brokers();
    let cfg = stream_config(&topic, &b);
    let dir = tmpdir("compact");
    let key_file = dir.join("portal.key");
    std::fs::write(
        &key_file,
        serde_json::to_string(&publisher.to_file()).expect("json"),
    )
    .expect("write");
    // Baked: the token key is active. The portal then revokes it through the stream.
    let baked = w.policy(1, &[("app", "active")]);
    let mut revoked = baked.clone();
    revoked["issuers"][0]["keys"][0]["status"] = json!("revoked");
    let file = write_policy(&dir, "revoked.json", &revoked);
    publish_policy(&b, &topic, Some(key_file.as_path()), &file);
    let (a, live) = start(&baked, cfg.clone());
    assert!(live.wait_caught_up(WAIT));
    assert!(live.wait_view(|v| v.revision > 1, WAIT));
    assert_eq!(decide(&a, &w.event("app")).1, "revoked_key");
    live.stop();

    // A writer without keys appends garbage for the issuer; every consumer rejects it.
    let (_, records) = read_records(&cfg, &b, true, WAIT).expect("read");
    let signed_offset = records
        .iter()
        .find(|r| r.key.as_deref() == Some(b"issuer/idp".as_slice()))
        .map(|r| r.offset)
        .expect("the signed issuer record");
    send_raw(
        &cfg,
        &b,
        &[(Some("issuer/idp".into()), Some("garbage".into()))],
        WAIT,
    )
    .expect("send");
    // Compaction: segments roll on the next write after segment.ms; the cleaner then
    // keeps only the garbage for issuer/idp. Wait until the signed record's offset is gone.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, records) = read_records(&cfg, &b, true, WAIT).expect("read");
        if !records.iter().any(|r| r.offset == signed_offset) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broker did not compact {topic} within 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(200));
        send_raw(
            &cfg,
            &b,
            &[(Some("client/filler".into()), Some("garbage".into()))],
            WAIT,
        )
        .expect("send filler");
    }

    // A cold authorizer on the compacted topic: the baked issuer (key active) must not come
    // back. The entity is withheld, and the authorizer says why.
    let (a, live) = start(&baked, cfg.clone());
    assert!(live.wait_caught_up(WAIT));
    assert!(live.wait_view(|v| v.issuer_by_url(ISS).is_none(), WAIT));
    let (allowed, reason, _) = decide(&a, &w.event("app"));
    assert!(!allowed, "the revoked key is not accepted again: {reason}");
    assert_eq!(reason, "unknown_issuer");
    let stats = live.stats();
    assert_eq!(
        stats.withheld,
        vec![("issuer/idp".to_string(), "behind_checkpoint")],
        "{stats:?}"
    );
    assert!(stats.checkpoint.is_some(), "{stats:?}");
    assert!(
        stats
            .rejected
            .get(&Rejection::Malformed)
            .copied()
            .unwrap_or(0)
            >= 1,
        "{stats:?}"
    );
    live.stop();

    // The portal re-asserts: publishing the same document again restores the issuer.
    let out = publish_policy(&b, &topic, Some(key_file.as_path()), &file);
    assert!(out.contains("issuer/idp"), "{out}");
    let (a, live) = start(&baked, cfg.clone());
    assert!(live.wait_caught_up(WAIT));
    assert!(live.wait_view(|v| v.issuer_by_url(ISS).is_some(), WAIT));
    assert_eq!(decide(&a, &w.event("app")).1, "revoked_key");
    assert!(live.stats().withheld.is_empty());
    live.stop();
}

/// Waits until compaction has removed every record at `offsets`, writing filler records so
/// segments roll (the cleaner only compacts closed segments).
fn await_compaction(cfg: &StreamConfig, offsets: &[i64]) {
    let b = brokers();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, records) = read_records(cfg, &b, true, WAIT).expect("read");
        if !records.iter().any(|r| offsets.contains(&r.offset)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the broker did not compact {} within 2 minutes",
            cfg.topic
        );
        std::thread::sleep(Duration::from_millis(200));
        send_raw(
            cfg,
            &b,
            &[(Some("client/filler".into()), Some("garbage".into()))],
            WAIT,
        )
        .expect("send filler");
    }
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn a_replayed_older_signed_state_never_rolls_a_cold_authorizer_back() {
    let w = World::new(true);
    let publisher = w.publisher.as_ref().expect("signed world");
    let topic = new_compacting_topic("rollback");
    let b = brokers();
    let cfg = stream_config(&topic, &b);
    let dir = tmpdir("rollback");
    let key_file = dir.join("portal.key");
    std::fs::write(
        &key_file,
        serde_json::to_string(&publisher.to_file()).expect("json"),
    )
    .expect("write");
    // Baked: the client is suspended. Two days ago the portal activated it (revision 2,
    // with its checkpoint); today it suspends it again (`authz publish`, at a revision above).
    let baked = w.policy(1, &[("app", "suspended")]);
    let two_days_ago = now_s() - 2 * 86_400;
    let active = json!({"id": "app", "status": "active", "scopes": ["orders:read"]});
    let old_state = vec![
        (
            Some("client/app".to_string()),
            Some(signed_event(
                Some(publisher),
                EntityKind::Client,
                "app",
                2,
                Op::Upsert,
                Some(active),
            )),
        ),
        checkpoint_record(publisher, 2, &[("client/app", 2)], two_days_ago),
    ];
    send_raw(&cfg, &b, &old_state, WAIT).expect("send");
    let file = write_policy(&dir, "suspended.json", &baked);
    let out = publish_policy(&b, &topic, Some(key_file.as_path()), &file);
    assert!(out.contains("client/app"), "{out}");
    let today_revision = published_revision(&out);
    // Today's records for the two keys the replay will cover (the run also published the
    // issuer, the API and the publisher key, which the topic lacked).
    let (_, records) = read_records(&cfg, &b, true, WAIT).expect("read");
    let today: Vec<i64> = records
        .iter()
        .skip(old_state.len())
        .filter(|r| {
            let key = r.key.as_deref();
            key == Some(b"client/app".as_slice()) || key == Some(CHECKPOINT_KEY.as_bytes())
        })
        .map(|r| r.offset)
        .collect();
    assert_eq!(today.len(), 2, "an event and a checkpoint for today");
    let (warm_a, warm) = start(&baked, cfg.clone());
    assert!(warm.wait_caught_up(WAIT));
    assert!(warm.wait_view(|v| v.revision == today_revision, WAIT));
    assert_eq!(decide(&warm_a, &w.event("app")).1, "client_suspended");

    // A writer without keys replays the older state byte for byte.
    send_raw(&cfg, &b, &old_state, WAIT).expect("replay");
    let stale = || {
        warm.stats()
            .rejected
            .get(&Rejection::StaleRevision)
            .copied()
            .unwrap_or(0)
    };
    let deadline = Instant::now() + WAIT;
    while stale() < 2 && Instant::now() < deadline {
        warm.wait_revision(u64::MAX, Duration::from_millis(100));
    }
    assert_eq!(
        stale(),
        2,
        "the warm authorizer rejects both replayed records"
    );
    assert_eq!(decide(&warm_a, &w.event("app")).1, "client_suspended");
    warm.stop();

    // Compaction keeps only the replayed records for both keys: a consistent, signed,
    // older state. A cold authorizer must not serve it: its checkpoint is two days old.
    await_compaction(&cfg, &today);
    let (a, live) = start(&baked, cfg.clone());
    assert!(live.wait_caught_up(WAIT));
    assert!(live.wait_stats(|s| s.unanchored, WAIT));
    let (allowed, reason, stale_flag) = decide(&a, &w.event("app"));
    assert!(!allowed, "the replayed activation is not served: {reason}");
    assert_eq!(reason, "client_suspended", "the baked policy is served");
    assert!(
        stale_flag,
        "decisions on the baked policy are flagged stale"
    );
    live.stop();

    // The portal's scheduled run re-signs the state; cold authorizers serve it again.
    publish_policy(&b, &topic, Some(key_file.as_path()), &file);
    let (a, live) = start(&baked, cfg.clone());
    assert!(live.wait_caught_up(WAIT));
    assert!(live.wait_stats(|s| !s.unanchored && s.checkpoint > Some(2), WAIT));
    assert_eq!(decide(&a, &w.event("app")).1, "client_suspended");
    live.stop();
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn a_rotation_record_copied_to_the_end_still_lets_a_cold_authorizer_apply_everything() {
    let w = World::new(true);
    let k1 = w.publisher.as_ref().expect("signed world");
    let k2 = SigningKey::generate("portal-2", Algorithm::EdDSA).expect("key");
    let topic = new_compacting_topic("rotation-copy");
    let b = brokers();
    let cfg = stream_config(&topic, &b);
    let dir = tmpdir("rotation-copy");
    let (k1_file, k2_file) = (dir.join("k1.key"), dir.join("k2.key"));
    for (file, key) in [(&k1_file, k1), (&k2_file, &k2)] {
        std::fs::write(file, serde_json::to_string(&key.to_file()).expect("json")).expect("write");
    }
    // Baked with portal-1 and the client active. The portal adds portal-2 (signed by
    // portal-1), then suspends the client signed by portal-2, both keys still listed
    // (docs/policy-events.md, "Signed mode": the rotation's second step).
    let baked = w.policy(1, &[("app", "active")]);
    let publishers =
        json!([{"kid": k1.kid, "jwk": k1.public_jwk()}, {"kid": k2.kid, "jwk": k2.public_jwk()}]);
    let mut both = baked.clone();
    both["publishers"] = publishers.clone();
    let mut suspended = w.policy(1, &[("app", "suspended")]);
    suspended["publishers"] = publishers;
    for (name, doc, key) in [
        ("both.json", &both, &k1_file),
        ("suspended.json", &suspended, &k2_file),
    ] {
        let f = write_policy(&dir, name, doc);
        publish_policy(&b, &topic, Some(key.as_path()), &f);
    }
    // A writer without keys copies the rotation record to the end; compaction drops the
    // original, so everything signed by portal-2 now comes before the record trusting it.
    let (_, records) = read_records(&cfg, &b, true, WAIT).expect("read");
    let rotation = records
        .iter()
        .find(|r| r.key.as_deref() == Some(b"publisher/portal-2".as_slice()))
        .expect("the rotation record");
    let copy = (
        Some("publisher/portal-2".to_string()),
        rotation
            .value
            .as_deref()
            .map(|v| String::from_utf8_lossy(v).into_owned()),
    );
    send_raw(&cfg, &b, &[copy], WAIT).expect("copy");
    await_compaction(&cfg, &[rotation.offset]);

    let (a, live) = start(&baked, cfg.clone());
    assert!(live.wait_caught_up(WAIT));
    assert!(
        live.wait_stats(|s| !s.unanchored && s.retried > 0, WAIT),
        "the retried checkpoint anchors the replay: {:?}",
        live.stats()
    );
    let stats = live.stats();
    assert!(stats.withheld.is_empty(), "{:?}", stats.withheld);
    assert!(live.wait_view(
        |v| v.publisher("portal-2").is_some() && v.client("app").is_some_and(|c| !c.active),
        WAIT
    ));
    let (allowed, reason, stale) = decide(&a, &w.event("app"));
    assert!(!allowed);
    assert_eq!(
        reason, "client_suspended",
        "the portal's newest state is served"
    );
    assert!(!stale, "anchored: not flagged stale");
    live.stop();

    // `authz tail` shows the records retried when the copy introduced portal-2.
    let f = write_policy(&dir, "baked.json", &baked);
    let out = authz(&[
        "tail",
        "--brokers",
        &b,
        "--topic",
        &topic,
        "--from-beginning",
        "--no-follow",
        "--policy",
        f.to_str().unwrap_or_default(),
    ]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let retried: Vec<&Value> = lines.iter().filter(|l| l["retried"] == true).collect();
    assert!(
        retried.iter().any(|l| l["key"] == "client/app"
            && l["valid"] == true
            && l["signed_by"] == "portal-2"),
        "{out}"
    );
    assert!(
        retried.iter().any(|l| l["key"] == CHECKPOINT_KEY
            && l["op"] == "checkpoint"
            && l["reason"].is_null()),
        "{out}"
    );
}

#[test]
#[ignore = "needs a Kafka broker: make integration"]
fn publish_refuses_to_sign_for_authorizers_that_trust_no_publisher() {
    let w = World::new(false);
    let key = SigningKey::generate("portal-1", Algorithm::EdDSA).expect("key");
    let topic = new_topic("nosign");
    let b = brokers();
    let dir = tmpdir("nosign");
    let key_file = dir.join("portal.key");
    std::fs::write(
        &key_file,
        serde_json::to_string(&key.to_file()).expect("json"),
    )
    .expect("write");
    let unsigned = write_policy(&dir, "unsigned.json", &w.policy(1, &[("app", "active")]));
    let err = authz_fails(&[
        "publish",
        "--brokers",
        &b,
        "--topic",
        &topic,
        "--signing-key",
        key_file.to_str().unwrap_or_default(),
        unsigned.to_str().unwrap_or_default(),
    ]);
    assert!(err.contains("lists no publishers"), "{err}");
    assert!(
        read_records(&stream_config(&topic, &b), &b, true, WAIT)
            .expect("read")
            .1
            .is_empty(),
        "nothing was published"
    );
}
