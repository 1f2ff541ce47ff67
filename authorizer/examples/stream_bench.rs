//! Policy-stream measurements against a real broker (`make bench` runs it):
//! publish -> applied latency over 1,000 changes, and the catch-up time of a cold
//! authorizer on a topic of 100,000 entities.
//! `cargo run --release --example stream_bench -- BROKERS [CHANGES] [ENTITIES]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use authorizer::config::{KafkaAuth, LogLevel, StreamConfig};
use authorizer::policy::PolicyView;
use authorizer::runtime::PolicyCell;
use authorizer::stream::event::{encode_value, Op, PolicyEvent, EVENT_SCHEMA};
use authorizer::stream::publish::{create_topic, RawProducer};
use authorizer::stream::LiveStream;
use serde_json::json;

fn config(brokers: &str, topic: &str) -> StreamConfig {
    StreamConfig {
        brokers: Some(brokers.into()),
        msk_cluster_arn: None,
        topic: topic.into(),
        auth: KafkaAuth::Plaintext,
        group_prefix: "gateway-authz-bench".into(),
        username: None,
        password: None,
        max_staleness_ms: 1000,
        sync_budget_ms: 50,
        tombstone_retention_ms: 86_400_000,
        checkpoint_max_age_s: 86_400,
    }
}

fn client_event(id: &str, revision: u64, status: &str) -> (Option<String>, Option<String>) {
    let e = PolicyEvent {
        schema: EVENT_SCHEMA.into(),
        kind: "client".into(),
        id: id.into(),
        revision,
        op: Op::Upsert,
        issued_at: None,
        data: Some(json!({"id": id, "status": status, "scopes": ["orders:read"]})),
    };
    (
        Some(format!("client/{id}")),
        Some(encode_value(&e, None).expect("encode")),
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let brokers = args.next().unwrap_or_else(|| "127.0.0.1:9092".into());
    let changes: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let entities: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let stamp = std::process::id();
    let timeout = Duration::from_secs(60);

    // 1. publish -> applied, one change at a time.
    let topic = format!("bench-latency-{stamp}");
    let cfg = config(&brokers, &topic);
    create_topic(&cfg, &brokers, 1, 1, 86_400_000, timeout).expect("topic");
    let cell = Arc::new(PolicyCell::new(None));
    let live = LiveStream::start(
        cfg.clone(),
        LogLevel::Error,
        cell,
        Some(PolicyView::default()),
    );
    assert!(live.wait_caught_up(timeout), "caught up");
    let producer = RawProducer::new(&cfg, &brokers).expect("producer");
    producer
        .send(&[client_event("warm-up", 1, "active")], timeout)
        .expect("send");
    let mut latencies = Vec::new();
    for i in 2..=changes + 1 {
        let status = if i % 2 == 0 { "active" } else { "suspended" };
        let t = Instant::now();
        producer
            .enqueue(&[client_event("app", i, status)])
            .expect("send");
        assert!(live.wait_revision(i, timeout), "applied {i}");
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        producer.flush(timeout).expect("acknowledged");
    }
    live.stop();
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{}",
        json!({"measure": "publish_to_applied_ms", "changes": changes, "p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99), "max": latencies.last()})
    );

    // 2. catch-up of a cold authorizer on a topic of `entities` entities.
    let topic = format!("bench-catchup-{stamp}");
    let cfg = config(&brokers, &topic);
    create_topic(&cfg, &brokers, 1, 1, 86_400_000, timeout).expect("topic");
    let batch: Vec<_> = (0..entities)
        .map(|i| client_event(&format!("client-{i:06}"), i + 1, "active"))
        .collect();
    let producer = RawProducer::new(&cfg, &brokers).expect("producer");
    for chunk in batch.chunks(10_000) {
        producer.send(chunk, timeout).expect("send");
    }
    let t = Instant::now();
    let cell = Arc::new(PolicyCell::new(None));
    let live = LiveStream::start(cfg, LogLevel::Error, cell, Some(PolicyView::default()));
    assert!(live.wait_caught_up(Duration::from_secs(300)), "caught up");
    let caught_up = t.elapsed();
    assert!(live.wait_revision(entities, timeout));
    live.stop();
    println!(
        "{}",
        json!({"measure": "catch_up_ms", "entities": entities, "ms": caught_up.as_secs_f64() * 1000.0})
    );
}
