//! What status reporting adds to a decision: `Reporter::on_invocation`, the only status
//! code on the decision path, when no report is due (nearly every call) and when one is due
//! on every call (the worst case: a lock and a wake-up each time, the reporter thread busy
//! building reports beside it). Building and encoding a report happens on the reporter's
//! thread; it is measured too, for scale.

use std::hint::black_box;
use std::sync::Arc;

use authorizer::config::{KafkaAuth, LogLevel, StreamConfig};
use authorizer::runtime::PolicyCell;
use authorizer::status::reporter::{Reporter, StatusSettings};
use authorizer::status::{build_report, encode, Ledger, Trigger, ViewState};
use authorizer::stream::event::Rejection;
use authorizer::stream::replica::Applied;
use criterion::{criterion_group, criterion_main, Criterion};

fn stream() -> StreamConfig {
    StreamConfig {
        // Nothing listens there: reports queue, then are dropped; decisions never notice.
        brokers: Some("127.0.0.1:1".into()),
        msk_cluster_arn: None,
        topic: "gateway-policy.v1".into(),
        auth: KafkaAuth::Plaintext,
        group_prefix: "bench".into(),
        username: None,
        password: None,
        max_staleness_ms: 1000,
        sync_budget_ms: 50,
        tombstone_retention_ms: 86_400_000,
        checkpoint_max_age_s: 86_400,
    }
}

fn reporter(interval_ms: u64) -> Reporter {
    let mut settings = StatusSettings::for_gateway("orders", "orders");
    settings.interval_ms = interval_ms;
    Reporter::start(
        settings,
        stream(),
        LogLevel::Error,
        Arc::new(PolicyCell::new(None)),
    )
}

fn bench(c: &mut Criterion) {
    let quiet = reporter(3_600_000);
    quiet.on_invocation(false, 0); // the first call reports; the rest are within the interval
    c.bench_function("status on_invocation, no report due", |b| {
        b.iter(|| quiet.on_invocation(black_box(false), black_box(3)))
    });
    quiet.stop();

    let busy = reporter(0);
    c.bench_function("status on_invocation, a report due on every call", |b| {
        b.iter(|| busy.on_invocation(black_box(false), black_box(3)))
    });
    busy.stop();

    let mut ledger = Ledger::default();
    for offset in 0..40 {
        let outcome = Applied::Rejected {
            reason: Rejection::BadSignature,
            detail: "signature does not verify with publisher portal-1".into(),
        };
        ledger.record(
            0,
            offset,
            Some(b"client/mobile-app"),
            Some(br#"{"revision": 12}"#),
            &outcome,
            1,
        );
    }
    let identity = StatusSettings::for_gateway("orders", "orders").identity;
    let view = ViewState {
        revision: Some(42),
        caught_up: true,
        stale: false,
        staleness_ms: 3,
    };
    c.bench_function(
        "status build and encode a report (16 rejections; reporter thread)",
        |b| {
            b.iter(|| {
                encode(&build_report(
                    &identity,
                    &ledger,
                    view,
                    Trigger::Apply,
                    7,
                    60_000,
                    1,
                ))
                .len()
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
