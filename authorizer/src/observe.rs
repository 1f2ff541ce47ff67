//! Observability: JSON log lines (one per decision), CloudWatch embedded metric format
//! (EMF) records, and the clock they are stamped with. Nothing here ever prints a token, a
//! claim value other than the client id, or key material.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::apigw::Outcome;
use crate::config::LogLevel;

/// The CloudWatch namespace of every metric the authorizer emits.
pub const METRIC_NAMESPACE: &str = "TeamGateway/Authorizer";

/// Milliseconds since the Unix epoch by the wall clock (0 if the clock is before it).
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

/// The log line for one decision.
pub fn decision_log(
    outcome: &Outcome,
    api_id: &str,
    latency_us: u64,
    stale: bool,
    request_id: &str,
) -> Value {
    let d = &outcome.decision;
    json!({
        "level": "info",
        "msg": "decision",
        "request_id": request_id,
        "api_id": api_id,
        "effect": d.effect,
        "reason": d.reason,
        "principal": d.principal,
        "method": outcome.method,
        "path": outcome.path,
        "route": d.route,
        "event": outcome.shape,
        "revision": d.revision,
        "stale": stale,
        "latency_us": latency_us,
    })
}

/// An EMF record: CloudWatch turns the listed members into metrics; the rest stay log fields.
pub fn emf(timestamp_ms: u64, dimensions: &[(&str, &str)], metrics: &[(&str, f64, &str)]) -> Value {
    let mut record = serde_json::Map::new();
    let dim_names: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
    for (k, v) in dimensions {
        record.insert((*k).to_string(), json!(v));
    }
    for (name, value, _) in metrics {
        record.insert((*name).to_string(), json!(value));
    }
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|(name, _, unit)| json!({"Name": name, "Unit": unit}))
        .collect();
    record.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRIC_NAMESPACE,
                "Dimensions": [dim_names],
                "Metrics": definitions,
            }]
        }),
    );
    Value::Object(record)
}

/// The metrics of one decision: a count by effect and reason, the policy revision and staleness.
pub fn decision_metrics(
    outcome: &Outcome,
    api_id: &str,
    timestamp_ms: u64,
    staleness_ms: u64,
    stale: bool,
) -> Value {
    let d = &outcome.decision;
    let effect = match d.effect {
        crate::decision::Effect::Allow => "allow",
        crate::decision::Effect::Deny => "deny",
    };
    emf(
        timestamp_ms,
        &[
            ("ApiId", api_id),
            ("Effect", effect),
            ("Reason", d.reason.as_str()),
        ],
        &[
            ("Decisions", 1.0, "Count"),
            ("PolicyRevision", d.revision as f64, "None"),
            ("PolicyStalenessMs", staleness_ms as f64, "Milliseconds"),
            ("StaleDecisions", if stale { 1.0 } else { 0.0 }, "Count"),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_record_names_its_metrics() {
        let r = emf(1, &[("ApiId", "orders")], &[("Decisions", 1.0, "Count")]);
        assert_eq!(
            r["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            METRIC_NAMESPACE
        );
        assert_eq!(
            r["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0],
            "ApiId"
        );
        assert_eq!(r["Decisions"], 1.0);
        assert_eq!(r["ApiId"], "orders");
    }
}
