//! The policy stream on a three-broker Apache Kafka cluster whose partition leader is killed
//! (SIGKILL) while changes are being published.
//!
//! Needs a cluster: `make integration` starts one (`scripts/kafka.sh cluster up 3`) and runs
//! this with `--ignored`. `KAFKA_CLUSTER_BOOTSTRAP` names node 1 (default 127.0.0.1:29092;
//! node i listens on its port + 2(i-1)); `KAFKA_SCRIPT` is scripts/kafka.sh, asked for the
//! leader's pid.

mod common;
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use authorizer::config::{Config, LogLevel, StreamConfig};
use authorizer::policy::{load_policy_value, EntityKind};
use authorizer::runtime::Authorizer;
use authorizer::signing::SigningKey;
use authorizer::stream::event::{encode_value, record_key, Op, PolicyEvent, EVENT_SCHEMA};
use authorizer::stream::publish::{create_topic, read_records};
use authorizer::stream::{self, LiveStream};
use jsonwebtoken::Algorithm;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{json, Value};

const ISS: &str = "https://idp.test";
const AUD: &str = "https://api.test";
const WAIT: Duration = Duration::from_secs(30);
const NODES: u16 = 3;
/// Changes published in all; the leader is killed after the first KILL_AFTER are acknowledged.
const CHANGES: u64 = 24;
const KILL_AFTER: u64 = 8;
/// The slowest a decision may be during the election (the sync budget is 50 ms).
const DECISION_BUDGET: Duration = Duration::from_secs(1);

fn base() -> (String, u16) {
    let b = std::env::var("KAFKA_CLUSTER_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:29092".into());
    let (host, port) = b
        .rsplit_once(':')
        .expect("KAFKA_CLUSTER_BOOTSTRAP is host:port");
    (host.to_string(), port.parse().expect("numeric port"))
}

fn node_addr(i: u16) -> String {
    let (host, port) = base();
    format!("{host}:{}", port + 2 * (i - 1))
}

fn brokers() -> String {
    (1..=NODES).map(node_addr).collect::<Vec<_>>().join(",")
}

fn stream_config(topic: &str) -> StreamConfig {
    common::stream_config(topic, &brokers())
}

fn token_policy(key: &SigningKey) -> Value {
    json!({
        "schema": "gateway-policy/v1", "revision": 1,
        "issuers": [{"id": "idp", "issuer": ISS, "audiences": [AUD], "algorithms": ["ES256"], "keys": [{"kid": "tk-1", "status": "active", "jwk": key.public_jwk()}]}],
        "clients": [{"id": "app", "status": "active", "scopes": ["orders:read"]}],
        "apis": [{"id": "orders", "routes": [{"route": "GET /orders", "scopes": ["orders:read"]}]}],
        "publishers": [],
    })
}

fn request(key: &SigningKey) -> Value {
    let exp = (authorizer::observe::unix_millis() / 1000) as i64 + 600;
    let token = key
        .sign(
            &json!({"iss": ISS, "aud": AUD, "client_id": "app", "scope": "orders:read", "exp": exp}),
            &json!({}),
        )
        .expect("sign");
    json!({"version": "2.0", "type": "REQUEST", "routeArn": "arn:aws:execute-api:eu-west-1:1:api/$default/GET/orders",
           "headers": {"authorization": format!("Bearer {token}")}, "requestContext": {"http": {"method": "GET"}}})
}

/// Change `revision`: a new client `c<revision>`, unsigned (the policy trusts no publisher).
fn change(revision: u64) -> (String, String) {
    let id = format!("c{revision}");
    let e = PolicyEvent {
        schema: EVENT_SCHEMA.into(),
        kind: EntityKind::Client.as_str().into(),
        id: id.clone(),
        revision,
        op: Op::Upsert,
        issued_at: None,
        data: Some(json!({"id": id, "status": "active", "scopes": ["orders:read"]})),
    };
    (
        record_key(EntityKind::Client, &id),
        encode_value(&e, None).expect("encode"),
    )
}

/// The node (1..N) leading partition 0 of `topic`, from the cluster's metadata.
fn leader_of(topic: &str) -> u16 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("metadata client");
    let md = consumer
        .fetch_metadata(Some(topic), WAIT)
        .expect("metadata");
    let leader = md
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .and_then(|t| t.partitions().iter().find(|p| p.id() == 0))
        .map(|p| p.leader())
        .expect("partition 0 in the metadata");
    let broker = md
        .brokers()
        .iter()
        .find(|b| b.id() == leader)
        .expect("the leader among the brokers");
    let (_, port) = base();
    let node = (broker.port() as u16 - port) / 2 + 1;
    assert_eq!(
        node as i32, leader,
        "node i is broker id i (kafka.sh cluster)"
    );
    node
}

/// The pid `kafka.sh status` names for node `i`.
fn pid_of(script: &str, i: u16) -> u32 {
    let out = Command::new("bash")
        .arg(script)
        .arg("status")
        .env("KAFKA_BOOTSTRAP", node_addr(i))
        .output()
        .expect("kafka.sh status");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    said.split("(pid ")
        .nth(1)
        .and_then(|t| t.split(')').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid for node {i}: {said}"))
}

struct Gateway {
    authorizer: Authorizer,
    live: LiveStream,
}

#[test]
#[ignore = "needs a three-broker Kafka cluster: make integration"]
fn killing_the_partition_leader_mid_publish_loses_nothing_acked_and_every_gateway_converges() {
    let Ok(script) = std::env::var("KAFKA_SCRIPT") else {
        panic!("set KAFKA_SCRIPT to scripts/kafka.sh (make integration does)");
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let topic = format!("it-cluster-{}-{nanos}", std::process::id());
    let cfg = stream_config(&topic);
    // The recommended layout (docs/policy-events.md): 3 replicas, min.insync.replicas 2.
    create_topic(&cfg, &brokers(), 1, 3, 86_400_000, WAIT).expect("create topic");

    let token_key = SigningKey::generate("tk-1", Algorithm::ES256).expect("key");
    let baked = token_policy(&token_key);
    let gateways: Vec<Gateway> = (0..3)
        .map(|_| {
            let config = Config {
                api_id: "orders".into(),
                policy_file: String::new(),
                log_level: LogLevel::Error,
                stream: Some(cfg.clone()),
            };
            let view = load_policy_value(&baked).expect("valid policy");
            let (authorizer, live) = stream::start(Authorizer::new(config, Some(view)));
            let live = live.expect("stream configured");
            assert!(live.wait_caught_up(WAIT), "caught up before the test");
            Gateway { authorizer, live }
        })
        .collect();

    let leader = leader_of(&topic);
    let pid = pid_of(&script, leader);
    println!("partition leader: node {leader} (pid {pid})");

    // The publisher: acks=all, idempotent; a change counts as published only when the
    // broker acknowledged it. The leader is killed after KILL_AFTER acknowledgements.
    let done = Arc::new(AtomicBool::new(false));
    let publisher = {
        let done = Arc::clone(&done);
        let topic = topic.clone();
        std::thread::spawn(move || {
            let producer: FutureProducer = ClientConfig::new()
                .set("bootstrap.servers", brokers())
                .set("acks", "all")
                .set("enable.idempotence", "true")
                .set("linger.ms", "0")
                .set("message.timeout.ms", "20000")
                .create()
                .expect("producer");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let mut acked = BTreeMap::new();
            let mut failed = Vec::new();
            let mut killed_at = None;
            for revision in 2..=CHANGES + 1 {
                let (key, value) = change(revision);
                let sent = rt.block_on(producer.send(
                    FutureRecord::to(&topic).key(&key).payload(&value),
                    Duration::from_secs(20),
                ));
                match sent {
                    Ok(delivery) => {
                        acked.insert(revision, delivery.offset);
                    }
                    Err((e, _)) => failed.push((revision, e.to_string())),
                }
                if killed_at.is_none() && acked.len() as u64 >= KILL_AFTER {
                    let ok = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status()
                        .is_ok_and(|s| s.success());
                    assert!(ok, "SIGKILL pid {pid}");
                    killed_at = Some(Instant::now());
                }
            }
            done.store(true, Ordering::Relaxed);
            (acked, failed, killed_at.map(|t| t.elapsed()))
        })
    };

    // Decisions all along, on every gateway: each answered, allowed (nothing published
    // touches `app`), within the budget; stale is allowed.
    let event = request(&token_key);
    let (mut decisions, mut stale, mut worst) = (0u64, 0u64, Duration::ZERO);
    while !done.load(Ordering::Relaxed) {
        for g in &gateways {
            let t = Instant::now();
            let r = g.authorizer.handle(&event, "cluster-test");
            let took = t.elapsed();
            worst = worst.max(took);
            decisions += 1;
            assert_eq!(r["isAuthorized"], true, "decision {decisions}: {r}");
            assert_eq!(r["context"]["reason"], "ok", "decision {decisions}: {r}");
            stale += u64::from(r["context"]["stale"] == true);
            assert!(
                took <= DECISION_BUDGET,
                "decision {decisions} took {took:?}"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (acked, failed, since_kill) = publisher.join().expect("publisher thread");
    println!(
        "{} of {CHANGES} changes acknowledged, failed: {failed:?}; kill {since_kill:?} before the last; \
         {decisions} decisions, {stale} stale, slowest {worst:?}",
        acked.len()
    );
    assert!(since_kill.is_some(), "the leader was killed");
    let last = *acked.keys().next_back().expect("something acknowledged");
    assert!(
        acked.keys().any(|r| *r > KILL_AFTER + 1),
        "changes were acknowledged after the kill: {acked:?}"
    );
    assert_ne!(leader_of(&topic), leader, "a new leader was elected");

    // Nothing acknowledged is lost: every acked change is on the topic, at its offset.
    // Read through the whole bootstrap list, the dead node included: the read goes on
    // through the survivors (a transport error to one broker is not the end of it).
    let (_, records) = read_records(&cfg, &brokers(), true, WAIT).expect("read the topic back");
    let on_topic: BTreeMap<i64, Option<String>> = records
        .iter()
        .map(|r| {
            (
                r.offset,
                r.key
                    .as_ref()
                    .map(|k| String::from_utf8_lossy(k).into_owned()),
            )
        })
        .collect();
    for (revision, offset) in &acked {
        assert_eq!(
            on_topic.get(offset),
            Some(&Some(record_key(
                EntityKind::Client,
                &format!("c{revision}")
            ))),
            "acknowledged revision {revision} at offset {offset}"
        );
    }

    // Every gateway converges to the last acknowledged revision, with every acked change.
    for (n, g) in gateways.iter().enumerate() {
        assert!(
            g.live.wait_revision(last, Duration::from_secs(60)),
            "gateway {n} reached revision {last}: {:?}",
            g.live.stats()
        );
        assert!(
            g.live.wait_view(
                |v| acked.keys().all(|r| v.client(&format!("c{r}")).is_some()),
                WAIT
            ),
            "gateway {n} holds every acknowledged change"
        );
        assert!(g.live.wait_fresh(WAIT), "gateway {n} fresh again");
        let r = g.authorizer.handle(&event, "cluster-test");
        assert!(
            r["isAuthorized"] == true && r["context"]["stale"] != true,
            "gateway {n} allows, fresh: {r}"
        );
        g.live.stop();
    }
}
