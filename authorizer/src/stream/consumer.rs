//! The authorizer's policy consumer: a background thread that reads every partition of the
//! policy topic from the earliest offset (no consumer group, no commits), applies records
//! to a [`Replica`] and swaps the new view into the [`PolicyCell`] the handler reads.
//!
//! Freshness (freeze/thaw): Lambda freezes the process between invocations, so the thread
//! stops too. Before each decision the handler calls [`LiveStream::ensure_fresh`]: if the view
//! was confirmed caught up within `max_staleness`, nothing happens; otherwise it asks the
//! thread to catch up and waits at most `sync_budget`, then decides either way, flagged
//! stale if the catch-up did not finish. Until the stream has caught up once (after a cold
//! start or a rebuild), while a check failed within `max_staleness` and while a decision
//! that waited the whole budget did so within `max_staleness`, no decision waits. Kafka
//! trouble never denies and never blocks longer than the budget.
//!
//! The budget bounds the decision's wait, never the thread's requests: librdkafka drops a
//! connection when a request times out in flight, so a request timeout shorter than the
//! broker's answer would turn a slow broker into a reconnect loop that never confirms a view.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::Rng;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::json;

use super::checkpoint::Withheld;
use super::event::Rejection;
use super::kafka::{client_config, resolve_brokers, GatewayContext};
use super::replica::{Applied, Replica, Retried, Served, PENDING_MAX_BYTES};
use crate::config::{LogLevel, StreamConfig};
use crate::observe::{emf, log, unix_millis};
use crate::policy::PolicyView;
use crate::runtime::{Freshness, PolicyCell};
use crate::status::reporter::StreamObserver;

/// The least time the thread waits for a partition's high watermark, whether or not a
/// decision asked for the check (the decision stops waiting after the sync budget
/// regardless): librdkafka drops the connection of a request that times out, so a broker
/// slower than this is never confirmed at all. See [`check_timeout`].
const MIN_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// A check that failed is not repeated sooner than this, even when a decision asks.
const RETRY_AFTER_FAILED_CHECK: Duration = Duration::from_millis(100);

/// Counters and state a test or a metrics line can read.
#[derive(Debug, Clone, Default)]
pub struct StreamStats {
    pub applied: u64,
    pub rejected: HashMap<Rejection, u64>,
    /// Records behind the high watermarks at the last check.
    pub lag: i64,
    /// Caught up at least once since start (or since the last rebuild).
    pub caught_up: bool,
    pub rebuilds: u64,
    pub revision: u64,
    /// Entities left out of the served view because their signed record is missing
    /// (`<kind>/<id>` and why); decisions that need them deny.
    pub withheld: Vec<(String, &'static str)>,
    /// The revision of the last checkpoint verified.
    pub checkpoint: Option<u64>,
    /// Signed mode without a fresh checkpoint in this replay: the baked policy is served
    /// (decisions are flagged stale) until the portal re-signs one.
    pub unanchored: bool,
    /// Checks of the topic that failed (see `mark_unreachable`).
    pub failed_checks: u64,
    /// Decisions that waited (up to the sync budget) for a catch-up.
    pub waited_decisions: u64,
    /// Records signed by a key not trusted when read, re-applied once a publisher record
    /// introduced it (whatever the outcome; also counted in `applied` or `rejected`).
    pub retried: u64,
    /// Records signed by an unknown key not held for a retry (the bound was reached).
    pub pending_dropped: u64,
}

#[derive(Debug, Default)]
struct SyncState {
    /// When the view was last confirmed caught up with the topic.
    last_fresh: Option<Instant>,
    /// A decision is waiting for a catch-up requested at this instant.
    requested: Option<Instant>,
    /// The last staleness we logged about, to log transitions only.
    stale_logged: bool,
    /// When a check last failed to reach Kafka; cleared by a successful check.
    last_failure: Option<Instant>,
    /// When a decision last waited the whole sync budget without the catch-up finishing;
    /// cleared by a successful check.
    last_missed: Option<Instant>,
    /// The replay (count of rebuilds) in which the pending bound was last logged.
    pending_dropped_logged: Option<u64>,
    stats: StreamStats,
}

struct Shared {
    cell: Arc<PolicyCell>,
    cfg: StreamConfig,
    log_level: LogLevel,
    state: Mutex<SyncState>,
    changed: Condvar,
    stop: AtomicBool,
    /// While set, the thread does nothing, as during a Lambda freeze.
    paused: AtomicBool,
    started: Instant,
    /// Told of every record and every new view (the status reporter).
    observer: Option<Arc<dyn StreamObserver>>,
}

/// What a decision does about freshness (see [`SyncState::gate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Confirmed caught up within `max_staleness`: decide now, fresh.
    Fresh,
    /// Decide now, flagged stale: waiting could only add the budget to the decision.
    StaleNow,
    /// Ask for a catch-up and wait for it up to the budget.
    Wait,
}

/// How long a check waits for the watermarks: the staleness bound, and never less than
/// [`MIN_CHECK_TIMEOUT`]. A check that takes longer than the bound cannot confirm a view
/// fresh (it vouches for its start), so a longer wait only keeps the connection. The
/// TypeScript build's request timeout is the same.
fn check_timeout(max_staleness_ms: u64) -> Duration {
    // librdkafka takes its timeouts as an i32 of milliseconds, as Node's timers do.
    let max = Duration::from_millis(max_staleness_ms.min(i32::MAX as u64));
    MIN_CHECK_TIMEOUT.max(max)
}

impl SyncState {
    /// After a decision's wait for a catch-up that did not finish in time (`fresh` false):
    /// a miss (Kafka down or slower than the budget) unless a check that succeeded meanwhile
    /// confirmed the view within the bound after all. A check begun before the decision
    /// that finishes during its wait shows that Kafka answers: the next decision past the
    /// bound waits again. One that finishes too late to vouch for now does not.
    fn wait_ended(&mut self, fresh: bool, now: Instant, max: Duration) {
        let confirmed = self
            .last_fresh
            .is_some_and(|t| now.saturating_duration_since(t) <= max);
        if !fresh && !confirmed {
            self.last_missed = Some(now);
        }
    }

    /// The freshness rule for a decision asked at `now`.
    fn gate(&self, now: Instant, max: Duration) -> Gate {
        let within =
            |t: Option<Instant>| t.is_some_and(|t| now.saturating_duration_since(t) <= max);
        if within(self.last_fresh) {
            Gate::Fresh
        } else if !self.stats.caught_up || within(self.last_failure) || within(self.last_missed) {
            // Not caught up once since the cold start (or a rebuild): the floor is served at
            // once, as the first decision must never wait for Kafka. A check failed, or a
            // decision sat out the whole budget, moments ago: Kafka is down or slower than
            // the budget, and waiting would add the budget to every decision until it is
            // back. The thread keeps trying; the next check that succeeds clears both.
            Gate::StaleNow
        } else {
            Gate::Wait
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits, woken by every state change, until `done` holds or `deadline` passes; returns
    /// the guard and whether `done` held.
    fn wait_until<'a>(
        &self,
        mut st: MutexGuard<'a, SyncState>,
        deadline: Instant,
        done: impl Fn(&SyncState) -> bool,
    ) -> (MutexGuard<'a, SyncState>, bool) {
        loop {
            if done(&st) {
                return (st, true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (st, false);
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

/// A running policy stream.
#[derive(Clone)]
pub struct LiveStream {
    shared: Arc<Shared>,
}

impl LiveStream {
    /// Starts the consumer thread. Returns at once: the baked view in `cell` serves until
    /// the stream has something newer.
    pub fn start(
        cfg: StreamConfig,
        log_level: LogLevel,
        cell: Arc<PolicyCell>,
        baked: Option<PolicyView>,
    ) -> Self {
        Self::start_observed(cfg, log_level, cell, baked, None)
    }

    /// [`LiveStream::start`], telling `observer` of every record and every new view.
    pub fn start_observed(
        cfg: StreamConfig,
        log_level: LogLevel,
        cell: Arc<PolicyCell>,
        baked: Option<PolicyView>,
        observer: Option<Arc<dyn StreamObserver>>,
    ) -> Self {
        let shared = Arc::new(Shared {
            cell,
            cfg,
            log_level,
            state: Mutex::new(SyncState::default()),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            started: Instant::now(),
            observer,
        });
        let worker = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("policy-stream".into())
            .spawn(move || run(worker, baked));
        if let Err(e) = spawned {
            log(
                log_level,
                LogLevel::Error,
                json!({"msg": "policy stream thread did not start; serving the baked policy only", "error": e.to_string()}),
            );
        }
        LiveStream { shared }
    }

    pub fn stats(&self) -> StreamStats {
        self.shared.lock().stats.clone()
    }

    /// Stops the thread (tests; a Lambda just ends).
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Stops (`true`) or resumes all stream work, as a Lambda freeze and thaw do; for tests
    /// and tools that need to reproduce a freeze inside one process.
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.store(paused, Ordering::Relaxed);
    }

    /// Waits until the view in force satisfies `ready`, up to `timeout`.
    pub fn wait_view(&self, ready: impl Fn(&PolicyView) -> bool, timeout: Duration) -> bool {
        let cell = &self.shared.cell;
        self.wait(timeout, |_| cell.get().is_some_and(|v| ready(&v)))
    }

    /// Waits until the stream's counters and state satisfy `ready`, up to `timeout`.
    pub fn wait_stats(&self, ready: impl Fn(&StreamStats) -> bool, timeout: Duration) -> bool {
        self.wait(timeout, |st| ready(&st.stats))
    }

    /// Waits until the view has been confirmed caught up within `max_staleness`, up to `timeout`.
    pub fn wait_fresh(&self, timeout: Duration) -> bool {
        let max = Duration::from_millis(self.shared.cfg.max_staleness_ms);
        self.wait(timeout, |st| {
            st.last_fresh.is_some_and(|t| t.elapsed() <= max)
        })
    }

    /// Waits until the stream has been caught up at least once, up to `timeout`.
    pub fn wait_caught_up(&self, timeout: Duration) -> bool {
        self.wait(timeout, |st| st.stats.caught_up)
    }

    /// Waits until the view holds a revision of at least `revision`, up to `timeout`.
    pub fn wait_revision(&self, revision: u64, timeout: Duration) -> bool {
        self.wait(timeout, |st| st.stats.revision >= revision)
    }

    fn wait(&self, timeout: Duration, done: impl Fn(&SyncState) -> bool) -> bool {
        let st = self.shared.lock();
        self.shared.wait_until(st, Instant::now() + timeout, done).1
    }
}

impl Freshness for LiveStream {
    fn ensure_fresh(&self) -> (bool, u64) {
        let max = Duration::from_millis(self.shared.cfg.max_staleness_ms);
        let budget = Duration::from_millis(self.shared.cfg.sync_budget_ms);
        let asked = Instant::now();
        let mut st = self.shared.lock();
        let age = |st: &SyncState| {
            st.last_fresh
                .map(|t| t.elapsed())
                .unwrap_or_else(|| self.shared.started.elapsed())
        };
        let gate = st.gate(asked, max);
        // Serving the baked policy for want of a fresh checkpoint is stale too.
        if gate == Gate::Fresh {
            return (st.stats.unanchored, age(&st).as_millis() as u64);
        }
        st.requested = Some(asked);
        if gate == Gate::StaleNow {
            return (true, age(&st).as_millis() as u64);
        }
        st.stats.waited_decisions += 1;
        let (mut st, fresh) = self.shared.wait_until(st, asked + budget, |st| {
            st.last_fresh.is_some_and(|t| t >= asked)
        });
        st.wait_ended(fresh, Instant::now(), max);
        (
            !fresh || st.stats.unanchored,
            if fresh {
                0
            } else {
                age(&st).as_millis() as u64
            },
        )
    }
}

/// Per-partition progress: the next offset to read and the high watermark last seen.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    next: i64,
    high: i64,
}

fn run(shared: Arc<Shared>, baked: Option<PolicyView>) {
    let level = shared.log_level;
    let cfg = shared.cfg.clone();
    // Many environments start at once when traffic bursts; spread the connects.
    let jitter = rand::rng().random_range(0..=100u64);
    std::thread::sleep(Duration::from_millis(jitter));
    let mut backoff = Duration::from_millis(200);
    let consumer = loop {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        match connect(&cfg) {
            Ok(c) => break c,
            Err(e) => {
                mark_unreachable(&shared, &e);
                log(
                    level,
                    LogLevel::Warn,
                    json!({"msg": "policy stream not connected; serving the last known good policy", "error": e, "retry_ms": backoff.as_millis() as u64}),
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    };
    let mut replica = Replica::new(baked).with_checkpoint_max_age(cfg.checkpoint_max_age_s);
    shared.lock().stats.revision = replica.view().map_or(0, |v| v.revision);
    let mut partitions: Vec<i32> = Vec::new();
    let mut progress: HashMap<i32, Progress> = HashMap::new();
    // The first replay is a rebuild too: serving half-replayed views could show states
    // that neither the baked policy nor the topic's final state allows.
    let mut rebuilding = true;
    let mut dirty = false;
    // When the last check started, and whether it failed.
    let mut last_check: Option<(Instant, bool)> = None;
    let poll = Duration::from_millis(5);
    while !shared.stop.load(Ordering::Relaxed) {
        if shared.paused.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        if partitions.is_empty() {
            match assign_all(&consumer, &cfg.topic) {
                Ok(p) => {
                    progress = p.iter().map(|id| (*id, Progress::default())).collect();
                    partitions = p;
                }
                Err(e) => {
                    mark_unreachable(&shared, &e);
                    log(
                        level,
                        LogLevel::Debug,
                        json!({"msg": "policy topic metadata unavailable; retrying", "topic": cfg.topic, "error": e}),
                    );
                    std::thread::sleep(backoff);
                    continue;
                }
            }
        }
        // Frozen (or cut off) longer than tombstones live: deletes may have been compacted
        // away unseen, so resuming could keep a deleted entity forever. Rebuild from 0.
        let since_fresh = shared.lock().last_fresh.unwrap_or(shared.started).elapsed();
        if since_fresh > Duration::from_millis(cfg.tombstone_retention_ms) && !rebuilding {
            log(
                level,
                LogLevel::Warn,
                json!({"msg": "view older than the topic's tombstone retention; rebuilding from offset 0", "age_ms": since_fresh.as_millis() as u64}),
            );
            replica.reset();
            if let Err(e) = assign_from_beginning(&consumer, &cfg.topic, &partitions) {
                log(
                    level,
                    LogLevel::Warn,
                    json!({"msg": "rebuild: reassign failed; retrying", "error": e}),
                );
            }
            progress.values_mut().for_each(|p| *p = Progress::default());
            rebuilding = true;
            let mut st = shared.lock();
            st.stats.caught_up = false;
            st.stats.rebuilds += 1;
            st.last_fresh = None;
        }
        match consumer.poll(poll) {
            Some(Ok(msg)) => {
                // Delivered again (librdkafka re-fetching after an offset reset): applying it
                // twice would read it as a replay of itself.
                if progress
                    .get(&msg.partition())
                    .is_some_and(|p| msg.offset() < p.next)
                {
                    continue;
                }
                let now_s = (unix_millis() / 1000) as i64;
                let outcome = replica.apply(msg.key(), msg.payload(), now_s);
                if let Some(p) = progress.get_mut(&msg.partition()) {
                    p.next = p.next.max(msg.offset() + 1);
                }
                record(
                    &shared,
                    &outcome,
                    msg.topic(),
                    msg.partition(),
                    msg.offset(),
                );
                for r in replica.retried() {
                    record_retried(&shared, r, msg.topic(), msg.partition(), msg.offset());
                }
                note_pending_dropped(&shared, &replica, msg.topic());
                if let Some(o) = &shared.observer {
                    o.record(
                        msg.partition(),
                        msg.offset(),
                        msg.key(),
                        msg.payload(),
                        &outcome,
                    );
                }
                // In signed mode a rejected record can withhold an entity (see replica.rs).
                dirty |= replica.signed() || !matches!(outcome, Applied::Rejected { .. });
                continue;
            }
            Some(Err(e)) => {
                log(
                    level,
                    LogLevel::Debug,
                    json!({"msg": "policy stream poll error", "error": e.to_string()}),
                );
            }
            None => {}
        }
        // Idle: nothing more buffered. Publish what was applied (not mid-rebuild, which
        // would briefly roll entities back to the baked policy).
        if dirty && !rebuilding {
            if let Some(served) = replica.served() {
                publish(&shared, served, replica.checkpoint().map(|c| c.revision));
            }
            dirty = false;
        }
        let requested = shared.lock().requested.is_some();
        let check_every = Duration::from_millis((cfg.max_staleness_ms / 2).max(10));
        let due = match last_check {
            None => true,
            Some((t, _)) if t.elapsed() >= check_every => true,
            Some((t, failed)) => requested && (!failed || t.elapsed() >= RETRY_AFTER_FAILED_CHECK),
        };
        if due {
            let checked_at = Instant::now();
            let result = caught_up(
                &consumer,
                &cfg.topic,
                &mut progress,
                check_timeout(cfg.max_staleness_ms),
            );
            last_check = Some((checked_at, result.is_err()));
            match result {
                Ok(0) => {
                    if rebuilding {
                        rebuilding = false;
                        if let Some(served) = replica.served() {
                            publish(&shared, served, replica.checkpoint().map(|c| c.revision));
                        }
                        dirty = false;
                    }
                    mark_fresh(&shared, 0, checked_at);
                }
                Ok(lag) => {
                    shared.lock().stats.lag = lag;
                }
                Err(e) => mark_unreachable(&shared, &e),
            }
        }
    }
}

fn connect(cfg: &StreamConfig) -> Result<BaseConsumer<GatewayContext>, String> {
    let brokers = resolve_brokers(cfg)?;
    let (mut config, context) = client_config(cfg, &brokers)?;
    // librdkafka wants a group.id even with assign(); no group is joined and no offset is
    // committed, so the name only matters for IAM (scoped to the prefix).
    let suffix: u32 = rand::rng().random();
    config
        .set("group.id", format!("{}-{suffix:08x}", cfg.group_prefix))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "100")
        .set("fetch.error.backoff.ms", "100");
    config
        .create_with_context(context)
        .map_err(|e| format!("cannot create the Kafka consumer: {e}"))
}

fn assign_all(consumer: &BaseConsumer<GatewayContext>, topic: &str) -> Result<Vec<i32>, String> {
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let t = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .ok_or("topic not in metadata")?;
    if let Some(err) = t.error() {
        return Err(format!("topic {topic}: {err:?}"));
    }
    let partitions: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    if partitions.is_empty() {
        return Err(format!("topic {topic} has no partitions (does it exist?)"));
    }
    assign_from_beginning(consumer, topic, &partitions)?;
    Ok(partitions)
}

fn assign_from_beginning(
    consumer: &BaseConsumer<GatewayContext>,
    topic: &str,
    partitions: &[i32],
) -> Result<(), String> {
    let mut tpl = TopicPartitionList::new();
    for p in partitions {
        tpl.add_partition_offset(topic, *p, Offset::Beginning)
            .map_err(|e| e.to_string())?;
    }
    consumer.assign(&tpl).map_err(|e| e.to_string())
}

/// Reads the high watermarks and returns how many records we are behind (0 = caught up).
fn caught_up(
    consumer: &BaseConsumer<GatewayContext>,
    topic: &str,
    progress: &mut HashMap<i32, Progress>,
    timeout: Duration,
) -> Result<i64, String> {
    let positions = consumer.position().ok();
    let mut lag = 0;
    for (partition, p) in progress.iter_mut() {
        let (low, high) = consumer
            .fetch_watermarks(topic, *partition, timeout)
            .map_err(|e| e.to_string())?;
        p.high = high;
        // librdkafka's own position also counts offsets it skipped (compaction gaps).
        if let Some(Offset::Offset(pos)) = positions
            .as_ref()
            .and_then(|l| l.find_partition(topic, *partition))
            .map(|e| e.offset())
        {
            p.next = p.next.max(pos);
        }
        let next = p.next.max(low);
        lag += (high - next).max(0);
    }
    Ok(lag)
}

fn publish(shared: &Shared, served: Served, checkpoint: Option<u64>) {
    let revision = served.view.revision;
    let withheld: Vec<(String, &'static str)> = served
        .withheld
        .iter()
        .map(|w| (w.key.clone(), w.because.code()))
        .collect();
    // Set under the state lock so `wait_view` cannot miss the notification.
    let mut st = shared.lock();
    shared.cell.set(served.view);
    st.stats.revision = revision;
    st.stats.checkpoint = checkpoint;
    let changed = st.stats.withheld != withheld || st.stats.unanchored != served.unanchored;
    st.stats.withheld = withheld;
    st.stats.unanchored = served.unanchored;
    drop(st);
    shared.changed.notify_all();
    if let Some(o) = &shared.observer {
        o.applied();
    }
    if changed {
        if served.unanchored {
            log(
                shared.log_level,
                LogLevel::Error,
                json!({"msg": "policy stream not served: no checkpoint younger than AUTHZ_CHECKPOINT_MAX_AGE_S; serving the baked policy until the portal re-signs one (authz publish)",
                       "topic": shared.cfg.topic, "max_age_s": shared.cfg.checkpoint_max_age_s, "checkpoint": checkpoint}),
            );
        }
        for line in withheld_lines(&shared.cfg.topic, &served.withheld) {
            log(shared.log_level, LogLevel::Error, line);
        }
        if shared.log_level >= LogLevel::Error {
            println!(
                "{}",
                withheld_metric(
                    unix_millis(),
                    &shared.cfg.topic,
                    served.withheld.len(),
                    served.unanchored
                )
            );
        }
    }
}

/// One log line per withheld entity: which, why, and what it means for decisions.
fn withheld_lines(topic: &str, withheld: &[Withheld]) -> Vec<serde_json::Value> {
    withheld
        .iter()
        .map(|w| {
            json!({"msg": "policy entity withheld: its signed record is missing; decisions that need it deny",
                   "topic": topic, "key": w.key, "reason": w.because.code(), "detail": w.because.describe()})
        })
        .collect()
}

/// The `PolicyEntitiesWithheld` and `PolicyStreamUnanchored` gauges (0 once the portal has
/// re-asserted the state).
fn withheld_metric(now_ms: u64, topic: &str, count: usize, unanchored: bool) -> serde_json::Value {
    emf(
        now_ms,
        &[("Topic", topic)],
        &[
            ("PolicyEntitiesWithheld", count as f64, "Count"),
            (
                "PolicyStreamUnanchored",
                f64::from(u8::from(unanchored)),
                "Count",
            ),
        ],
    )
}

/// `checked_at` is when the check that found no lag started: a check interrupted by a freeze
/// must not vouch for the time after the thaw.
fn mark_fresh(shared: &Shared, lag: i64, checked_at: Instant) {
    let mut st = shared.lock();
    let was_stale = st.stale_logged;
    let first = !st.stats.caught_up;
    st.last_fresh = Some(checked_at);
    // A catch-up asked for after this check started still needs a check of its own.
    if st.requested.is_some_and(|asked| asked <= checked_at) {
        st.requested = None;
    }
    st.stale_logged = false;
    st.last_failure = None;
    st.last_missed = None;
    st.stats.lag = lag;
    st.stats.caught_up = true;
    let stats = st.stats.clone();
    drop(st);
    shared.changed.notify_all();
    if first || was_stale {
        let msg = if first {
            "policy stream caught up"
        } else {
            "policy view fresh again"
        };
        log(
            shared.log_level,
            LogLevel::Info,
            json!({"msg": msg, "revision": stats.revision, "applied": stats.applied, "since_start_ms": shared.started.elapsed().as_millis() as u64}),
        );
        emit_metrics(shared, &stats, 0);
    }
}

/// A check failed: the consumer could not be created, or the topic's metadata or a high
/// watermark did not come back within its timeout (docs/policy-events.md, "Freshness").
fn mark_unreachable(shared: &Shared, error: &str) {
    let mut st = shared.lock();
    st.last_failure = Some(Instant::now());
    st.stats.failed_checks += 1;
    let staleness = st
        .last_fresh
        .unwrap_or(shared.started)
        .elapsed()
        .as_millis() as u64;
    let max = shared.cfg.max_staleness_ms;
    let newly_stale = !st.stale_logged && staleness > max;
    if newly_stale {
        st.stale_logged = true;
    }
    let stats = st.stats.clone();
    drop(st);
    shared.changed.notify_all();
    if newly_stale {
        log(
            shared.log_level,
            LogLevel::Warn,
            json!({"msg": "policy view stale: Kafka unreachable; deciding on the last known good policy", "error": error, "staleness_ms": staleness, "revision": stats.revision}),
        );
        emit_metrics(shared, &stats, staleness);
    }
}

fn record(shared: &Shared, outcome: &Applied, topic: &str, partition: i32, offset: i64) {
    let mut st = shared.lock();
    match outcome {
        Applied::Rejected { reason, detail } => {
            *st.stats.rejected.entry(*reason).or_default() += 1;
            drop(st);
            log(
                shared.log_level,
                LogLevel::Warn,
                json!({"msg": "policy event rejected", "topic": topic, "partition": partition, "offset": offset, "reason": reason, "detail": detail}),
            );
            let m = emf(
                unix_millis(),
                &[("Topic", topic), ("Rejection", reason.as_str())],
                &[("PolicyEventsRejected", 1.0, "Count")],
            );
            if shared.log_level >= LogLevel::Info {
                println!("{m}");
            }
        }
        other => {
            st.stats.applied += 1;
            drop(st);
            let (kind, id) = match other {
                Applied::Upserted { kind, id, .. }
                | Applied::Deleted { kind, id, .. }
                | Applied::Tombstone { kind, id } => (kind.as_str(), id.as_str()),
                Applied::Checkpoint { .. } => ("checkpoint", "state"),
                Applied::Rejected { .. } => ("", ""),
            };
            log(
                shared.log_level,
                LogLevel::Debug,
                json!({"msg": "policy event applied", "partition": partition, "offset": offset, "kind": kind, "id": id}),
            );
        }
    }
}

/// A record held back for an unknown kid and re-applied when the record at `offset`
/// introduced a key.
fn record_retried(shared: &Shared, r: &Retried, topic: &str, partition: i32, offset: i64) {
    let mut st = shared.lock();
    st.stats.retried += 1;
    let (verdict, reason) = match &r.outcome {
        Applied::Rejected { reason, .. } => {
            *st.stats.rejected.entry(*reason).or_default() += 1;
            ("rejected", Some(reason.as_str()))
        }
        _ => {
            st.stats.applied += 1;
            ("applied", None)
        }
    };
    drop(st);
    log(
        shared.log_level,
        LogLevel::Info,
        json!({"msg": "policy event retried: its signing key was introduced later in the topic", "topic": topic, "key": r.key,
               "position": r.position, "learned_at": {"partition": partition, "offset": offset}, "verdict": verdict, "reason": reason}),
    );
}

/// Logs the first record in a replay not held for a retry because of the bound.
fn note_pending_dropped(shared: &Shared, replica: &Replica, topic: &str) {
    let dropped = replica.pending_dropped();
    let mut st = shared.lock();
    if dropped == st.stats.pending_dropped {
        return;
    }
    st.stats.pending_dropped = dropped;
    let first = st.pending_dropped_logged != Some(st.stats.rebuilds);
    st.pending_dropped_logged = Some(st.stats.rebuilds);
    drop(st);
    if first {
        log(
            shared.log_level,
            LogLevel::Warn,
            json!({"msg": "records signed by an unknown key exceed the bound held for a retry; the rest are rejected as forged (suspect) in this replay", "topic": topic,
                   "max_bytes": PENDING_MAX_BYTES, "dropped": dropped}),
        );
    }
}

fn emit_metrics(shared: &Shared, stats: &StreamStats, staleness_ms: u64) {
    if shared.log_level < LogLevel::Info {
        return;
    }
    let rejected: u64 = stats.rejected.values().sum();
    let m = emf(
        unix_millis(),
        &[("Topic", shared.cfg.topic.as_str())],
        &[
            ("PolicyRevision", stats.revision as f64, "None"),
            ("PolicyStalenessMs", staleness_ms as f64, "Milliseconds"),
            ("PolicyLag", stats.lag as f64, "Count"),
            ("PolicyEventsApplied", stats.applied as f64, "Count"),
            ("PolicyEventsRejectedTotal", rejected as f64, "Count"),
        ],
    );
    println!("{m}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::checkpoint::WithheldBecause;

    /// A port nothing listens on: bound, then released.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    }

    #[test]
    fn cold_start_with_the_broker_down_never_waits_for_kafka() {
        use crate::config::{Config, KafkaAuth};
        use crate::runtime::Authorizer;
        use crate::signing::SigningKey;
        use jsonwebtoken::Algorithm;

        let key = SigningKey::generate("k1", Algorithm::ES256).expect("key");
        let baked = crate::policy::load_policy_value(&json!({
            "schema": "gateway-policy/v1", "revision": 3,
            "issuers": [{"id": "idp", "issuer": "https://idp.test", "audiences": ["https://api.test"],
                         "algorithms": ["ES256"], "keys": [{"kid": "k1", "status": "active", "jwk": key.public_jwk()}]}],
            "clients": [{"id": "app", "status": "active", "scopes": ["orders:read"]}],
            "apis": [{"id": "orders", "routes": [{"route": "GET /orders", "scopes": ["orders:read"]}]}],
        }))
        .expect("valid policy");
        let exp = (unix_millis() / 1000) as i64 + 600;
        let token = key
            .sign(
                &json!({"iss": "https://idp.test", "aud": "https://api.test", "client_id": "app",
                           "scope": "orders:read", "exp": exp}),
                &json!({}),
            )
            .expect("sign");
        let event = json!({"version": "2.0", "type": "REQUEST",
            "routeArn": "arn:aws:execute-api:eu-west-1:1:api/$default/GET/orders",
            "headers": {"authorization": format!("Bearer {token}")},
            "requestContext": {"http": {"method": "GET"}}});
        // A budget no test run would sit out: a decision that waited for Kafka would hang here.
        let cfg = StreamConfig {
            brokers: Some(format!("127.0.0.1:{}", closed_port())),
            msk_cluster_arn: None,
            topic: "gateway-policy.v1".into(),
            auth: KafkaAuth::Plaintext,
            group_prefix: "gateway-authz-test".into(),
            username: None,
            password: None,
            max_staleness_ms: 1000,
            sync_budget_ms: 600_000,
            tombstone_retention_ms: 86_400_000,
            checkpoint_max_age_s: 86_400,
        };
        let config = Config {
            api_id: "orders".into(),
            policy_file: String::new(),
            log_level: LogLevel::Error,
            stream: Some(cfg),
        };
        let (authorizer, live) = crate::stream::start(Authorizer::new(config, Some(baked)));
        let live = live.expect("stream configured");
        let served = |r: serde_json::Value| {
            (
                r["isAuthorized"] == true,
                r["context"]["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                r["context"]["stale"] == true,
            )
        };

        // The first decision: the baked floor, at once, flagged stale; nothing waited.
        let first = authorizer.handle(&event, "first");
        assert_eq!(first["context"]["policyRevision"], 3, "{first}");
        assert_eq!(served(first), (true, "ok".to_string(), true));
        let stats = live.stats();
        assert_eq!(stats.waited_decisions, 0);
        assert!(!stats.caught_up);

        // The thread keeps trying in the background and counts the failed check.
        assert!(
            live.wait_stats(|s| s.failed_checks >= 1, Duration::from_secs(60)),
            "a failed check is counted"
        );
        let mut denied = event.clone();
        denied["headers"]["authorization"] = json!("Bearer not-a-token");
        for (event, want) in [
            (&event, (true, "ok", true)),
            (&denied, (false, "malformed_token", true)),
        ] {
            let (allowed, reason, stale) = served(authorizer.handle(event, "later"));
            assert_eq!((allowed, reason.as_str(), stale), want);
        }
        let stats = live.stats();
        assert_eq!(stats.waited_decisions, 0, "no decision waited for Kafka");
        assert!(!stats.caught_up);
        live.stop();
    }

    /// Replays decisions at `gaps` (ms between one and the next) against a topic that never
    /// answers: every decision that waits sits out the whole budget. Returns when each
    /// waiting decision was asked, in ms from the first.
    fn waits_while_kafka_never_answers(gaps: &[u64], max_ms: u64, budget_ms: u64) -> Vec<u64> {
        let base = Instant::now();
        let at = |ms: u64| base + Duration::from_millis(ms);
        let max = Duration::from_millis(max_ms);
        // Caught up once, last confirmed fresh at 0.
        let mut st = SyncState {
            last_fresh: Some(base),
            ..SyncState::default()
        };
        st.stats.caught_up = true;
        let mut now = max_ms + 1;
        let mut waited = Vec::new();
        for gap in gaps {
            now += gap;
            match st.gate(at(now), max) {
                Gate::Fresh => panic!("fresh at {now} ms, {max_ms} ms after the last confirmation"),
                Gate::StaleNow => {}
                Gate::Wait => {
                    waited.push(now);
                    now += budget_ms;
                    // No check succeeds while Kafka does not answer.
                    st.wait_ended(false, at(now), max);
                }
            }
        }
        waited
    }

    #[test]
    fn a_decision_that_sat_out_the_budget_spares_the_next_ones_the_wait() {
        // 1 s bound, 50 ms budget, a decision every 10 ms for 3 s: one wait a second, not
        // one per decision (as when only failed checks spared the wait, and a check of a
        // broker slower than the budget never failed within it).
        let waited = waits_while_kafka_never_answers(&[10; 300], 1000, 50);
        assert_eq!(waited.len(), 3, "{waited:?}");
    }

    /// The cases both builds run (authorizer-ts/test/stream-live.test.ts reads the same
    /// file): one rule, one answer per state.
    #[test]
    fn the_shared_freshness_cases_hold() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("testdata/freshness-gate.json")).expect("json");
        // Times in the file are ms on one clock; here they are offsets from one Instant.
        let base = Instant::now();
        let at = |v: &serde_json::Value| v.as_u64().map(|ms| base + Duration::from_millis(ms));
        let cases = doc["gate"].as_array().expect("gate cases");
        assert_eq!(cases.len(), 250);
        for c in cases {
            let mut st = SyncState {
                last_fresh: at(&c["last_fresh_ms"]),
                last_failure: at(&c["last_failure_ms"]),
                last_missed: at(&c["last_missed_ms"]),
                ..SyncState::default()
            };
            st.stats.caught_up = c["caught_up"] == true;
            let now = at(&c["now_ms"]).expect("now_ms");
            let max = Duration::from_millis(c["max_staleness_ms"].as_u64().expect("max"));
            let got = match st.gate(now, max) {
                Gate::Fresh => "fresh",
                Gate::StaleNow => "stale-now",
                Gate::Wait => "wait",
            };
            assert_eq!(got, c["gate"], "{}", c["name"]);
        }
        let cases = doc["wait_ended"].as_array().expect("wait_ended cases");
        assert_eq!(cases.len(), 8);
        for c in cases {
            let mut st = SyncState {
                last_fresh: at(&c["last_fresh_ms"]),
                ..SyncState::default()
            };
            let now = at(&c["now_ms"]).expect("now_ms");
            let max = Duration::from_millis(c["max_staleness_ms"].as_u64().expect("max"));
            st.wait_ended(c["fresh"] == true, now, max);
            assert_eq!(
                st.last_missed.is_some(),
                c["missed"] == true,
                "{}",
                c["name"]
            );
        }
    }

    #[test]
    fn a_wait_during_which_a_check_succeeded_is_no_miss() {
        // Kafka answers: a check begun just before the decision finishes during its wait
        // (too early to count for it), the one it asked for does not finish within the
        // budget. Once the bound has passed, the next decision waits again instead of being
        // served stale at once as if Kafka were down.
        let base = Instant::now();
        let at = |ms: u64| base + Duration::from_millis(ms);
        let max = Duration::from_millis(1000);
        let mut st = SyncState::default();
        st.stats.caught_up = true;
        st.last_fresh = Some(at(0));
        // The decision at 2000 ms waits; the check begun at 1990 ms succeeds at 2020 ms.
        assert_eq!(st.gate(at(2000), max), Gate::Wait);
        st.last_fresh = Some(at(1990));
        st.wait_ended(false, at(2050), max);
        assert_eq!(st.last_missed, None);
        assert_eq!(
            st.gate(at(3000), max),
            Gate::Wait,
            "Kafka answered: wait, do not serve stale"
        );
        // Without a check confirming the view within the bound, the same wait is a miss:
        // Kafka slower than the bound spares the next decisions the wait as when it is down.
        st.wait_ended(false, at(3050), max);
        assert_eq!(st.gate(at(3100), max), Gate::StaleNow);
    }

    #[test]
    fn a_check_waits_the_staleness_bound_and_at_least_two_seconds() {
        assert_eq!(check_timeout(50), Duration::from_secs(2));
        assert_eq!(check_timeout(1000), Duration::from_secs(2));
        assert_eq!(check_timeout(10_000), Duration::from_secs(10));
        assert_eq!(
            check_timeout(u64::MAX),
            Duration::from_millis(i32::MAX as u64)
        );
    }

    proptest::proptest! {
        /// While Kafka does not answer, decisions wait at most once per staleness bound, and
        /// one waits again as soon as the bound has passed: a broker that comes back is
        /// noticed by the next decision after that.
        #[test]
        fn while_kafka_does_not_answer_at_most_one_decision_per_bound_waits(
            gaps in proptest::collection::vec(0u64..3000, 1..200),
            max_ms in 10u64..2000,
            budget_ms in 1u64..500,
        ) {
            let waited = waits_while_kafka_never_answers(&gaps, max_ms, budget_ms);
            for pair in waited.windows(2) {
                // The earlier wait ended at pair[0] + budget; the next starts more than the
                // bound after that.
                proptest::prop_assert!(pair[1] > pair[0] + budget_ms + max_ms, "{waited:?}");
            }
            // Liveness: every decision asked more than the bound after the last wait ended
            // (or, before any wait, after the view turned stale) waits.
            let mut now = max_ms + 1;
            let mut last_end: Option<u64> = None;
            let mut iter = waited.iter().peekable();
            for gap in &gaps {
                now += gap;
                if iter.peek() == Some(&&now) {
                    iter.next();
                    now += budget_ms;
                    last_end = Some(now);
                } else {
                    proptest::prop_assert!(
                        last_end.is_some_and(|end| now - end <= max_ms),
                        "the decision at {} ms did not wait: {:?}", now, waited
                    );
                }
            }
        }
    }

    #[test]
    fn a_withheld_entity_is_logged_with_its_key_and_reason_and_counted() {
        let withheld = vec![Withheld {
            key: "issuer/corp-idp".into(),
            because: WithheldBecause::BehindCheckpoint {
                expected: 12,
                held: 1,
            },
        }];
        let lines = withheld_lines("gateway-policy.v1", &withheld);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["key"], "issuer/corp-idp");
        assert_eq!(lines[0]["reason"], "behind_checkpoint");
        let detail = lines[0]["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("12") && detail.contains("missing"),
            "{detail}"
        );
        let metric = withheld_metric(1, "gateway-policy.v1", 1, true);
        assert_eq!(metric["PolicyEntitiesWithheld"], 1.0);
        assert_eq!(metric["PolicyStreamUnanchored"], 1.0);
        assert_eq!(metric["Topic"], "gateway-policy.v1");
    }
}
