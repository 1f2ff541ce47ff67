//! The Lambda side: init (config, baked policy, policy stream) and the per-invocation
//! handler. The `bootstrap` binary is a thin `main` around this.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use serde_json::{json, Value};
use thiserror::Error;

use crate::apigw::{handle_event, Response, Served};
use crate::config::{Config, LogLevel};
use crate::observe::{decision_log, decision_metrics, log, unix_millis};
use crate::policy::{load_policy, PolicyErrors, PolicyView};

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

/// Told of every decision's freshness after it is made (the status reporter); must not block.
pub trait InvocationObserver: Send + Sync {
    fn on_invocation(&self, stale: bool, staleness_ms: u64);
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
    status: Option<Box<dyn InvocationObserver>>,
}

/// Why the baked policy cannot be used.
#[derive(Debug, Error)]
pub enum BakedPolicyError {
    #[error("cannot read the baked policy {file}: {source}")]
    Unreadable {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the baked policy {file} is invalid: {errors}")]
    Invalid {
        file: String,
        #[source]
        errors: PolicyErrors,
    },
}

/// Reads and indexes the baked policy file.
pub fn read_baked(file: &str) -> Result<PolicyView, BakedPolicyError> {
    let text = std::fs::read_to_string(file).map_err(|source| BakedPolicyError::Unreadable {
        file: file.to_string(),
        source,
    })?;
    load_policy(&text).map_err(|errors| BakedPolicyError::Invalid {
        file: file.to_string(),
        errors,
    })
}

/// Reads and indexes the baked policy; on any problem logs why and returns `None`, so the
/// authorizer still starts and denies with `no_policy` until a valid policy arrives.
pub fn load_baked(config: &Config) -> Option<PolicyView> {
    match read_baked(&config.policy_file) {
        Ok(view) => {
            // The policy's APIs are indexed on first use; this gateway's own is indexed now,
            // at init, rather than on the first request.
            let _ = view.api(&config.api_id);
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
        Err(BakedPolicyError::Unreadable { source, .. }) => {
            log(
                config.log_level,
                LogLevel::Error,
                json!({"msg": "baked policy unreadable; denying with no_policy until a policy arrives", "file": config.policy_file, "error": source.to_string(), "fix": "deploy the policy layer or set AUTHZ_POLICY_FILE"}),
            );
            None
        }
        Err(BakedPolicyError::Invalid { errors, .. }) => {
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
            status: None,
        }
    }

    /// Adds the status reporter told of each decision's freshness (docs/fleet.md).
    pub fn with_status(mut self, reporter: Box<dyn InvocationObserver>) -> Self {
        self.status = Some(reporter);
        self
    }

    /// Adds the live source the handler consults before each decision.
    pub fn with_freshness(mut self, freshness: Box<dyn Freshness>) -> Self {
        self.freshness = Some(freshness);
        self
    }

    /// Handles one authorizer event, given as parsed JSON (tools and tests); the Lambda
    /// hands over the text itself ([`Authorizer::handle_json`]).
    pub fn handle(&self, event: &Value, request_id: &str) -> Value {
        self.handle_json(&event.to_string(), request_id).to_value()
    }

    /// Handles one authorizer event's JSON text: freshness check, decision, log line,
    /// metrics, response.
    pub fn handle_json(&self, event_json: &str, request_id: &str) -> Response {
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
            event_json,
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
        if let Some(status) = &self.status {
            status.on_invocation(stale, staleness_ms);
        }
        outcome.response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file under the temp dir with `text` in it, removed when dropped.
    struct TempFile(std::path::PathBuf);
    impl TempFile {
        fn new(name: &str, text: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("authz-runtime-{}-{name}", std::process::id()));
            std::fs::write(&path, text).expect("write temp file");
            TempFile(path)
        }
        fn path(&self) -> &str {
            self.0.to_str().expect("utf-8 temp path")
        }
    }
    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn read_baked_says_which_file_and_why() {
        let missing = std::env::temp_dir().join("authz-runtime-no-such-policy.json");
        let err = read_baked(missing.to_str().expect("utf-8")).expect_err("missing file");
        assert!(
            matches!(err, BakedPolicyError::Unreadable { .. }),
            "{err:?}"
        );
        assert!(err
            .to_string()
            .contains("authz-runtime-no-such-policy.json"));

        let invalid = TempFile::new("invalid.json", r#"{"schema": "gateway-policy/v1"}"#);
        let err = read_baked(invalid.path()).expect_err("invalid policy");
        let BakedPolicyError::Invalid { errors, .. } = &err else {
            panic!("expected Invalid, got {err:?}");
        };
        assert!(!errors.0.is_empty());

        let valid = TempFile::new(
            "valid.json",
            r#"{"schema": "gateway-policy/v1", "revision": 7}"#,
        );
        assert_eq!(read_baked(valid.path()).expect("valid policy").revision, 7);
    }
}
