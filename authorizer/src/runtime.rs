//! The Lambda side: init (config, baked policy, policy stream) and the per-invocation
//! handler. The `bootstrap` binary is a thin `main` around this.

use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::apigw::{handle_event, Served};
use crate::config::{Config, LogLevel};
use crate::observe::{decision_log, decision_metrics};
use crate::policy::{load_policy, PolicyView};

/// The policy in force, shared between the handler and the policy stream. Readers take the
/// `Arc` and release the lock at once; writers swap a whole new view in.
#[derive(Debug, Default)]
pub struct PolicyCell(RwLock<Option<Arc<PolicyView>>>);

impl PolicyCell {
    pub fn new(view: Option<PolicyView>) -> Self {
        PolicyCell(RwLock::new(view.map(Arc::new)))
    }
    pub fn get(&self) -> Option<Arc<PolicyView>> {
        self.0
            .read()
            .map(|g| g.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }
    pub fn set(&self, view: PolicyView) {
        let view = Some(Arc::new(view));
        match self.0.write() {
            Ok(mut g) => *g = view,
            Err(poisoned) => *poisoned.into_inner() = view,
        }
    }
}

/// What the handler asks of a live policy source before each decision.
pub trait Freshness: Send + Sync {
    /// Brings the view up to date within the configured budget; returns `(stale, staleness_ms)`.
    fn ensure_fresh(&self) -> (bool, u64);
}

pub struct Authorizer {
    pub config: Config,
    pub policy: Arc<PolicyCell>,
    freshness: Option<Box<dyn Freshness>>,
}

pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Writes one JSON log line to stdout (CloudWatch Logs under Lambda) if `level` is enabled.
pub fn log(config_level: LogLevel, level: LogLevel, mut line: Value) {
    if level > config_level {
        return;
    }
    if let Some(obj) = line.as_object_mut() {
        let name = match level {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        };
        obj.insert("level".into(), json!(name));
        obj.entry("ts").or_insert(json!(unix_millis()));
    }
    println!("{line}");
}

/// Reads and indexes the baked policy; on any problem logs why and returns `None`, so the
/// authorizer still starts and denies with `no_policy` until a valid policy arrives.
pub fn load_baked(config: &Config) -> Option<PolicyView> {
    let text = match std::fs::read_to_string(&config.policy_file) {
        Ok(t) => t,
        Err(e) => {
            log(
                config.log_level,
                LogLevel::Error,
                json!({"msg": "baked policy unreadable; denying with no_policy until a policy arrives", "file": config.policy_file, "error": e.to_string(), "fix": "deploy the policy layer or set AUTHZ_POLICY_FILE"}),
            );
            return None;
        }
    };
    match load_policy(&text) {
        Ok(view) => {
            let counts: serde_json::Map<String, Value> = view
                .counts()
                .iter()
                .map(|(k, n)| (format!("{}s", k.as_str()), json!(n)))
                .collect();
            log(
                config.log_level,
                LogLevel::Info,
                json!({"msg": "baked policy loaded", "file": config.policy_file, "revision": view.revision, "entities": counts}),
            );
            Some(view)
        }
        Err(errors) => {
            let list: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
            log(
                config.log_level,
                LogLevel::Error,
                json!({"msg": "baked policy invalid; denying with no_policy until a valid policy arrives", "file": config.policy_file, "errors": list}),
            );
            None
        }
    }
}

impl Authorizer {
    /// Init without a policy stream: the baked policy only.
    pub fn new(config: Config, baked: Option<PolicyView>) -> Self {
        Authorizer {
            config,
            policy: Arc::new(PolicyCell::new(baked)),
            freshness: None,
        }
    }

    /// Adds the live source the handler consults before each decision.
    pub fn with_freshness(mut self, freshness: Box<dyn Freshness>) -> Self {
        self.freshness = Some(freshness);
        self
    }

    /// Handles one authorizer event: freshness check, decision, log line, metrics, response.
    pub fn handle(&self, event: &Value, request_id: &str) -> Value {
        let started = Instant::now();
        let (stale, staleness_ms) = self
            .freshness
            .as_ref()
            .map_or((false, 0), |f| f.ensure_fresh());
        let view = self.policy.get();
        let now_ms = unix_millis();
        let outcome = handle_event(
            view.as_deref(),
            &self.config.api_id,
            event,
            (now_ms / 1000) as i64,
            Served { stale },
        );
        let latency_us = started.elapsed().as_micros() as u64;
        if self.config.log_level >= LogLevel::Info {
            println!(
                "{}",
                decision_log(&outcome, &self.config.api_id, latency_us, stale, request_id)
            );
            println!(
                "{}",
                decision_metrics(&outcome, &self.config.api_id, now_ms, staleness_ms, stale)
            );
        }
        outcome.response
    }
}
