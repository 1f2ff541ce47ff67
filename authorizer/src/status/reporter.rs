//! The environment's side of the status topic: a thread that builds a report after every
//! apply and on invocations at a bounded rate, and sends it with a producer of its own.
//!
//! The decision path only calls [`Reporter::on_invocation`]: an atomic load and compare, and
//! when a report is due an uncontended lock and a wake-up. Building, encoding and sending
//! happen on the reporter's thread; it waits at most the sync budget for an acknowledgement
//! and never holds anything a decision needs. Nothing here reads the status topic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rand::Rng;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

use super::report::{build_report, encode, label_or, Identity, Ledger, Trigger, ViewState};
use super::STATUS_TOPIC;
use crate::config::{Config, LogLevel, StreamConfig};
use crate::observe::{log, unix_millis};
use crate::runtime::PolicyCell;
use crate::stream::kafka::{client_config, resolve_brokers, GatewayContext};
use crate::stream::replica::Applied;
use crate::stream::LiveStream;

/// The default bound on invocation reports: at most one a minute.
pub const DEFAULT_INTERVAL_MS: u64 = 60_000;
/// A change of the stale flag is reported at most this often.
const STALE_CHANGE_GAP_MS: u64 = 1_000;

/// What the policy consumer tells the reporter: every record and what became of it, and
/// every new view swapped in.
pub trait StreamObserver: Send + Sync {
    fn record(
        &self,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        outcome: &Applied,
    );
    fn applied(&self);
}

/// Where and as whom to report.
#[derive(Debug, Clone)]
pub struct StatusSettings {
    pub topic: String,
    pub interval_ms: u64,
    pub identity: Identity,
}

impl StatusSettings {
    /// Reads `AUTHZ_STATUS_TOPIC` (unset: no reports), `AUTHZ_STATUS_INTERVAL_MS`,
    /// `AUTHZ_GATEWAY_NAME`, `AUTHZ_ACCOUNT_ID`, `AUTHZ_MODULE_VERSION` and Lambda's own
    /// `AWS_REGION`, `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_LOG_STREAM_NAME`. Returns the
    /// problems found (none is fatal: a bad value falls back to its default).
    pub fn from_vars(
        vars: &HashMap<String, String>,
        config: &Config,
    ) -> (Option<StatusSettings>, Vec<String>) {
        let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut problems = Vec::new();
        let Some(topic) = get("AUTHZ_STATUS_TOPIC") else {
            return (None, problems);
        };
        if config.stream.is_none() {
            problems.push("AUTHZ_STATUS_TOPIC is set without a policy stream (AUTHZ_KAFKA_TOPIC and brokers); no status reports".to_string());
            return (None, problems);
        }
        let interval_ms = match get("AUTHZ_STATUS_INTERVAL_MS").map(str::parse::<u64>) {
            None => DEFAULT_INTERVAL_MS,
            Some(Ok(ms)) if ms >= 1000 => ms,
            Some(_) => {
                problems.push(format!("AUTHZ_STATUS_INTERVAL_MS is not a whole number of milliseconds of at least 1000; using {DEFAULT_INTERVAL_MS}"));
                DEFAULT_INTERVAL_MS
            }
        };
        // Readers count an environment silent for two intervals (+ 30 s) as idle, trusting
        // that it re-syncs before its next decision; it does only when its view is then older
        // than the staleness bound (docs/fleet.md, "Reading the fleet").
        if let Some(stream) = &config.stream {
            if stream.max_staleness_ms >= interval_ms {
                problems.push(format!("AUTHZ_MAX_STALENESS_MS ({}) is not below AUTHZ_STATUS_INTERVAL_MS ({interval_ms}): an environment the fleet view counts as idle could serve its old view unflagged after a thaw; lower the staleness bound or raise the interval", stream.max_staleness_ms));
            }
        }
        for var in [
            "AUTHZ_GATEWAY_NAME",
            "AUTHZ_ACCOUNT_ID",
            "AUTHZ_MODULE_VERSION",
            "AWS_REGION",
        ] {
            if get(var).is_some_and(|v| label_or(Some(v), "").is_empty()) {
                problems.push(format!(
                    "{var} is not 1 to 128 of A-Z a-z 0-9 . _ : @ + -; reporting a default instead"
                ));
            }
        }
        let api = label_or(Some(&config.api_id), "unknown");
        let gateway = label_or(
            get("AUTHZ_GATEWAY_NAME")
                .filter(|v| !label_or(Some(v), "").is_empty())
                .or(get("AWS_LAMBDA_FUNCTION_NAME")),
            &api,
        );
        let log_stream =
            get("AWS_LAMBDA_LOG_STREAM_NAME").map(|s| super::report::printable(s.as_bytes(), 512));
        let settings = StatusSettings {
            topic: topic.to_string(),
            interval_ms,
            identity: Identity {
                gateway,
                api_id: api,
                account: label_or(get("AUTHZ_ACCOUNT_ID"), "unknown"),
                region: label_or(get("AWS_REGION"), "unknown"),
                module_version: label_or(get("AUTHZ_MODULE_VERSION"), "unknown"),
                authorizer_build: "rust".into(),
                authorizer_version: env!("CARGO_PKG_VERSION").into(),
                environment: new_environment_id(),
                log_stream,
                started_at_ms: unix_millis(),
            },
        };
        (Some(settings), problems)
    }

    /// [`StatusSettings::from_vars`] on the process environment.
    pub fn from_env(config: &Config) -> (Option<StatusSettings>, Vec<String>) {
        Self::from_vars(&std::env::vars().collect(), config)
    }

    /// Settings for `gateway` with defaults elsewhere (tests and tools).
    pub fn for_gateway(gateway: &str, api_id: &str) -> StatusSettings {
        StatusSettings {
            topic: STATUS_TOPIC.into(),
            interval_ms: DEFAULT_INTERVAL_MS,
            identity: Identity {
                gateway: label_or(Some(gateway), "unknown"),
                api_id: label_or(Some(api_id), "unknown"),
                account: "unknown".into(),
                region: "unknown".into(),
                module_version: "unknown".into(),
                authorizer_build: "rust".into(),
                authorizer_version: env!("CARGO_PKG_VERSION").into(),
                environment: new_environment_id(),
                log_stream: None,
                started_at_ms: unix_millis(),
            },
        }
    }
}

/// 128 random bits as 32 lowercase hex digits.
pub fn new_environment_id() -> String {
    let bits: u128 = rand::rng().random();
    format!("{bits:032x}")
}

#[derive(Default)]
struct Pending {
    trigger: Option<Trigger>,
    ledger: Ledger,
    seq: u64,
    dropped: u64,
}

struct Inner {
    settings: StatusSettings,
    stream: StreamConfig,
    log_level: LogLevel,
    cell: Arc<PolicyCell>,
    live: OnceLock<LiveStream>,
    pending: Mutex<Pending>,
    wake: Condvar,
    stop: AtomicBool,
    /// When the last report was made (Unix ms); invocation reports wait for the interval.
    last_report_ms: AtomicU64,
    /// The stale flag of the last decision, and the one last reported.
    stale: AtomicBool,
    reported_stale: AtomicBool,
    staleness_ms: AtomicU64,
    sent: AtomicU64,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn request(&self, trigger: Trigger) {
        let mut p = self.lock();
        // An apply report says everything an invocation report would.
        if p.trigger != Some(Trigger::Apply) {
            p.trigger = Some(trigger);
        }
        drop(p);
        self.wake.notify_one();
    }
}

/// A running reporter. Cheap to clone.
#[derive(Clone)]
pub struct Reporter {
    inner: Arc<Inner>,
}

impl Reporter {
    /// Starts the reporter's thread; it connects on its first report.
    pub fn start(
        settings: StatusSettings,
        stream: StreamConfig,
        log_level: LogLevel,
        cell: Arc<PolicyCell>,
    ) -> Self {
        let inner = Arc::new(Inner {
            settings,
            stream,
            log_level,
            cell,
            live: OnceLock::new(),
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            last_report_ms: AtomicU64::new(0),
            stale: AtomicBool::new(false),
            reported_stale: AtomicBool::new(false),
            staleness_ms: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        });
        let worker = inner.clone();
        if let Err(e) = std::thread::Builder::new()
            .name("status-reporter".into())
            .spawn(move || run(&worker))
        {
            log(
                log_level,
                LogLevel::Error,
                json!({"msg": "status reporter thread did not start; no status reports", "error": e.to_string()}),
            );
        }
        Reporter { inner }
    }

    /// The stream whose stats (caught up) the reports state.
    pub fn watch(&self, live: LiveStream) {
        let _ = self.inner.live.set(live);
    }

    /// Called after each decision: asks for a report when the last one is older than the
    /// interval, or when the stale flag changed (at most once a second). Never blocks.
    pub fn on_invocation(&self, stale: bool, staleness_ms: u64) {
        let inner = &*self.inner;
        inner.stale.store(stale, Ordering::Relaxed);
        inner.staleness_ms.store(staleness_ms, Ordering::Relaxed);
        let now = unix_millis();
        let last = inner.last_report_ms.load(Ordering::Relaxed);
        let since = now.saturating_sub(last);
        let changed = stale != inner.reported_stale.load(Ordering::Relaxed);
        if since < inner.settings.interval_ms && !(changed && since >= STALE_CHANGE_GAP_MS) {
            return;
        }
        // One caller per interval asks; the others return at once.
        if inner
            .last_report_ms
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            inner.request(Trigger::Invocation);
        }
    }

    /// Reports acknowledged by the broker or handed to it (tests and tools).
    pub fn sent(&self) -> u64 {
        self.inner.sent.load(Ordering::Relaxed)
    }

    /// The environment id this reporter reports as.
    pub fn environment(&self) -> &str {
        &self.inner.settings.identity.environment
    }

    /// Stops the thread (tests; a Lambda just ends).
    pub fn stop(&self) {
        self.inner.stop.store(true, Ordering::Relaxed);
        self.inner.wake.notify_one();
    }
}

impl StreamObserver for Reporter {
    fn record(
        &self,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        outcome: &Applied,
    ) {
        let now = unix_millis();
        self.inner
            .lock()
            .ledger
            .record(partition, offset, key, value, outcome, now);
    }

    fn applied(&self) {
        self.inner.request(Trigger::Apply);
    }
}

fn producer(inner: &Inner) -> Result<BaseProducer<GatewayContext>, String> {
    let brokers = resolve_brokers(&inner.stream)?;
    let (mut c, ctx) = client_config(&inner.stream, &brokers)?;
    c.set("client.id", "gateway-authorizer-status")
        .set(
            "connections.max.idle.ms",
            status_idle_ms(inner.settings.interval_ms).to_string(),
        )
        .set("linger.ms", "5")
        // A few reports at most wait; a newer one supersedes them anyway.
        .set("queue.buffering.max.messages", "16")
        .set("message.timeout.ms", "300000");
    c.create_with_context(ctx)
        .map_err(|e| format!("cannot create the status producer: {e}"))
}

/// How long the status producer keeps an idle connection: beyond two report intervals, so
/// an environment invoked about once an interval reports on the connection it has instead
/// of opening one per report (MSK limits the rate of new IAM connections per broker; see
/// docs/capacity.md, "Status reports"). Never below the other clients' 60 s, and never past
/// 590 s: the broker closes idle connections after 10 minutes by default anyway, and
/// librdkafka refuses a value beyond `i32::MAX` (no producer, no reports at all).
fn status_idle_ms(interval_ms: u64) -> u64 {
    interval_ms
        .saturating_mul(2)
        .saturating_add(10_000)
        .clamp(60_000, 590_000)
}

fn run(inner: &Inner) {
    let budget = Duration::from_millis(inner.stream.sync_budget_ms.max(1));
    let mut producer: Option<BaseProducer<GatewayContext>> = None;
    let mut last_problem: Option<Instant> = None;
    let mut problem = |msg: &str, error: String| {
        // At most one line a minute: a broker outage must not flood the logs.
        if last_problem.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
            last_problem = Some(Instant::now());
            log(
                inner.log_level,
                LogLevel::Warn,
                json!({"msg": msg, "topic": inner.settings.topic, "error": error}),
            );
        }
    };
    loop {
        let mut p = inner.lock();
        while p.trigger.is_none() && !inner.stop.load(Ordering::Relaxed) {
            p = inner
                .wake
                .wait_timeout(p, Duration::from_secs(1))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        if inner.stop.load(Ordering::Relaxed) {
            return;
        }
        let Some(trigger) = p.trigger.take() else {
            continue;
        };
        p.seq += 1;
        let stale = inner.stale.load(Ordering::Relaxed);
        let view = ViewState {
            revision: inner.cell.get().map(|v| v.revision),
            caught_up: inner.live.get().is_some_and(|l| l.stats().caught_up),
            stale,
            staleness_ms: inner.staleness_ms.load(Ordering::Relaxed),
        };
        let now = unix_millis();
        let report = build_report(
            &inner.settings.identity,
            &p.ledger,
            view,
            trigger,
            p.seq,
            inner.settings.interval_ms,
            now,
        );
        drop(p);
        inner.last_report_ms.fetch_max(now, Ordering::Relaxed);
        inner.reported_stale.store(stale, Ordering::Relaxed);
        if producer.is_none() {
            match self::producer(inner) {
                Ok(made) => producer = Some(made),
                Err(e) => {
                    problem("status report not sent: no producer", e);
                    continue;
                }
            }
        }
        let Some(producer) = producer.as_ref() else {
            continue;
        };
        let key = report.key();
        let value = encode(&report);
        let record = BaseRecord::<String, String>::to(&inner.settings.topic)
            .key(&key)
            .payload(&value);
        match producer.send(record) {
            Ok(()) => {
                inner.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                inner.lock().dropped += 1;
                problem("status report dropped", e.to_string());
            }
        }
        // Wait for the acknowledgement within the sync budget; what is not acknowledged
        // by then stays queued (and is delivered after a thaw).
        if let Err(e) = producer.flush(budget) {
            problem(
                "status report not acknowledged within the sync budget",
                e.to_string(),
            );
        }
    }
}

impl crate::runtime::InvocationObserver for Reporter {
    fn on_invocation(&self, stale: bool, staleness_ms: u64) {
        // The inherent method (inherent methods win over the trait's in resolution).
        Reporter::on_invocation(self, stale, staleness_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(stream: bool) -> Config {
        let vars: HashMap<String, String> = [
            ("AUTHZ_API_ID", "orders"),
            ("AUTHZ_KAFKA_TOPIC", "p"),
            ("AUTHZ_KAFKA_BROKERS", if stream { "b:9092" } else { "" }),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        crate::config::from_vars(&vars).0
    }

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn settings_come_from_the_environment_with_each_problem_named() {
        let (none, problems) = StatusSettings::from_vars(&vars(&[]), &config(true));
        assert!(none.is_none() && problems.is_empty());
        let (none, problems) =
            StatusSettings::from_vars(&vars(&[("AUTHZ_STATUS_TOPIC", "s")]), &config(false));
        assert!(none.is_none());
        assert!(
            problems[0].contains("without a policy stream"),
            "{problems:?}"
        );
        let (s, problems) = StatusSettings::from_vars(
            &vars(&[
                ("AUTHZ_STATUS_TOPIC", "gateway-status.v1"),
                ("AUTHZ_STATUS_INTERVAL_MS", "5"),
                ("AUTHZ_GATEWAY_NAME", "bad name"),
                ("AWS_LAMBDA_FUNCTION_NAME", "orders-authorizer"),
                ("AWS_REGION", "eu-west-1"),
                (
                    "AWS_LAMBDA_LOG_STREAM_NAME",
                    "2026/12/02/[$LATEST]ab\u{1b}c",
                ),
            ]),
            &config(true),
        );
        let s = s.expect("settings");
        assert_eq!(s.interval_ms, DEFAULT_INTERVAL_MS);
        assert_eq!(
            s.identity.gateway, "orders-authorizer",
            "a bad name falls back"
        );
        assert_eq!(
            (s.identity.region.as_str(), s.identity.account.as_str()),
            ("eu-west-1", "unknown")
        );
        assert_eq!(
            s.identity.log_stream.as_deref(),
            Some("2026/12/02/[$LATEST]ab?c")
        );
        assert_eq!(s.identity.environment.len(), 32);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("AUTHZ_STATUS_INTERVAL_MS")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("AUTHZ_GATEWAY_NAME")),
            "{problems:?}"
        );
        assert_ne!(new_environment_id(), new_environment_id());
    }

    #[test]
    fn a_staleness_bound_not_below_the_interval_is_a_problem() {
        let mut cfg = config(true);
        let settings = |cfg: &Config, interval: &str| {
            StatusSettings::from_vars(
                &vars(&[
                    ("AUTHZ_STATUS_TOPIC", "s"),
                    ("AUTHZ_STATUS_INTERVAL_MS", interval),
                ]),
                cfg,
            )
            .1
        };
        assert!(settings(&cfg, "60000").is_empty());
        if let Some(stream) = cfg.stream.as_mut() {
            stream.max_staleness_ms = 60_000;
        }
        let problems = settings(&cfg, "60000");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("AUTHZ_MAX_STALENESS_MS (60000)")),
            "{problems:?}"
        );
        assert!(settings(&cfg, "120000").is_empty());
    }

    #[test]
    fn the_status_connection_outlives_two_report_intervals() {
        assert_eq!(status_idle_ms(DEFAULT_INTERVAL_MS), 130_000);
        assert_eq!(
            status_idle_ms(1_000),
            60_000,
            "never below the other clients'"
        );
        assert_eq!(
            status_idle_ms(u64::MAX),
            590_000,
            "a value librdkafka accepts"
        );
        for interval in [1_000, 30_000, 60_000, 290_000] {
            assert!(status_idle_ms(interval) > 2 * interval);
        }
    }

    #[test]
    fn invocations_ask_for_a_report_once_per_interval_and_on_a_stale_change() {
        let cfg = config(true).stream.expect("stream");
        let mut settings = StatusSettings::for_gateway("orders", "orders");
        settings.interval_ms = 3_600_000;
        let reporter = Reporter::start(
            settings,
            cfg,
            LogLevel::Error,
            Arc::new(PolicyCell::new(None)),
        );
        reporter.stop();
        let inner = &reporter.inner;
        let asked = || inner.lock().trigger.take().is_some();
        reporter.on_invocation(false, 0);
        assert!(asked(), "the first invocation reports");
        reporter.on_invocation(false, 0);
        assert!(!asked(), "not again within the interval");
        // A stale change is reported, but not within a second of the last report.
        reporter.on_invocation(true, 5_000);
        assert!(!asked());
        inner
            .last_report_ms
            .store(unix_millis() - 2 * STALE_CHANGE_GAP_MS, Ordering::Relaxed);
        reporter.on_invocation(true, 5_000);
        assert!(asked());
        // An apply asked for meanwhile is not downgraded by an invocation.
        reporter.applied();
        inner.last_report_ms.store(0, Ordering::Relaxed);
        reporter.on_invocation(true, 1);
        assert_eq!(inner.lock().trigger, Some(Trigger::Apply));
    }
}
