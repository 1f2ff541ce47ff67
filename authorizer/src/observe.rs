//! Observability: JSON log lines (one per decision), CloudWatch embedded metric format
//! (EMF) records, and the clock they are stamped with. Nothing here ever prints a token, a
//! claim value other than the client id, or key material.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{json, Value};

use crate::apigw::{Outcome, Shape};
use crate::config::LogLevel;
use crate::decision::{Effect, Reason};

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

/// The log line of one decision (`decision_log`), written with `{}` or `serde_json`. A typed
/// record borrowing from the outcome: its members are declared in sorted order, so it writes
/// the same bytes as the sorted `serde_json::Value` earlier versions built
/// ([`reference::decision_log`], which the tests hold it to) without building a map.
#[derive(Debug, Serialize)]
pub struct DecisionLog<'a> {
    api_id: &'a str,
    effect: Effect,
    event: Option<Shape>,
    latency_us: u64,
    level: &'static str,
    method: Option<&'a str>,
    msg: &'static str,
    path: Option<&'a str>,
    principal: Option<&'a str>,
    reason: Reason,
    request_id: &'a str,
    revision: u64,
    route: Option<&'a str>,
    stale: bool,
}

/// The log line for one decision.
pub fn decision_log<'a>(
    outcome: &'a Outcome,
    api_id: &'a str,
    latency_us: u64,
    stale: bool,
    request_id: &'a str,
) -> DecisionLog<'a> {
    let d = &outcome.decision;
    DecisionLog {
        api_id,
        effect: d.effect,
        event: outcome.shape,
        latency_us,
        level: "info",
        method: outcome.method.as_deref(),
        msg: "decision",
        path: outcome.path.as_deref(),
        principal: d.principal.as_deref(),
        reason: d.reason,
        request_id,
        revision: d.revision,
        route: d.route.as_deref(),
        stale,
    }
}

/// An EMF record: CloudWatch turns the listed members into metrics; the rest stay log fields.
/// For the policy stream's occasional records; each decision's is [`decision_metrics`].
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

/// The EMF record of one decision (`decision_metrics`), written with `{}` or `serde_json`: the
/// same bytes as [`emf`] with these dimensions and metrics (members in sorted order, the
/// values as `f64` as there), built without a map ([`reference::decision_metrics`]).
#[derive(Debug, Serialize)]
pub struct DecisionMetrics<'a> {
    #[serde(rename = "ApiId")]
    api_id: &'a str,
    #[serde(rename = "Decisions")]
    decisions: f64,
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "PolicyRevision")]
    policy_revision: f64,
    #[serde(rename = "PolicyStalenessMs")]
    policy_staleness_ms: f64,
    #[serde(rename = "Reason")]
    reason: &'static str,
    #[serde(rename = "StaleDecisions")]
    stale_decisions: f64,
    #[serde(rename = "_aws")]
    aws: EmfMetadata,
}

/// The `_aws` member of an EMF record with a fixed set of dimensions and metrics.
#[derive(Debug, Serialize)]
struct EmfMetadata {
    #[serde(rename = "CloudWatchMetrics")]
    cloudwatch_metrics: [&'static MetricDirective; 1],
    #[serde(rename = "Timestamp")]
    timestamp: u64,
}

#[derive(Debug, Serialize)]
struct MetricDirective {
    #[serde(rename = "Dimensions")]
    dimensions: [&'static [&'static str]; 1],
    #[serde(rename = "Metrics")]
    metrics: &'static [MetricDefinition],
    #[serde(rename = "Namespace")]
    namespace: &'static str,
}

#[derive(Debug, Serialize)]
struct MetricDefinition {
    #[serde(rename = "Name")]
    name: &'static str,
    #[serde(rename = "Unit")]
    unit: &'static str,
}

/// What CloudWatch makes of each decision record: its dimensions and metrics, in the order
/// of [`DecisionMetrics`]' members.
static DECISION_DIRECTIVE: MetricDirective = MetricDirective {
    dimensions: [&["ApiId", "Effect", "Reason"]],
    metrics: &[
        MetricDefinition {
            name: "Decisions",
            unit: "Count",
        },
        MetricDefinition {
            name: "PolicyRevision",
            unit: "None",
        },
        MetricDefinition {
            name: "PolicyStalenessMs",
            unit: "Milliseconds",
        },
        MetricDefinition {
            name: "StaleDecisions",
            unit: "Count",
        },
    ],
    namespace: METRIC_NAMESPACE,
};

/// The metrics of one decision: a count by effect and reason, the policy revision and staleness.
pub fn decision_metrics<'a>(
    outcome: &Outcome,
    api_id: &'a str,
    timestamp_ms: u64,
    staleness_ms: u64,
    stale: bool,
) -> DecisionMetrics<'a> {
    let d = &outcome.decision;
    let effect = match d.effect {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
    };
    DecisionMetrics {
        api_id,
        decisions: 1.0,
        effect,
        policy_revision: d.revision as f64,
        policy_staleness_ms: staleness_ms as f64,
        reason: d.reason.as_str(),
        stale_decisions: if stale { 1.0 } else { 0.0 },
        aws: EmfMetadata {
            cloudwatch_metrics: [&DECISION_DIRECTIVE],
            timestamp: timestamp_ms,
        },
    }
}

/// Writes a typed record as one JSON line's text (without the newline).
fn write_json<T: Serialize>(record: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // The records hold only strings, integers, finite floats and booleans: never an error.
    let text = serde_json::to_string(record).map_err(|_| fmt::Error)?;
    f.write_str(&text)
}

impl fmt::Display for DecisionLog<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_json(self, f)
    }
}

impl fmt::Display for DecisionMetrics<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_json(self, f)
    }
}

/// The Value-based builders the typed records above replaced, kept verbatim: the byte-for-byte
/// reference the tests hold the typed records to, and the "before" row of the `decision`
/// benchmark (`http_v2_event/log_and_metrics_lines_value`). Not for production use.
#[doc(hidden)]
pub mod reference {
    use serde_json::{json, Value};

    use super::METRIC_NAMESPACE;
    use crate::apigw::Outcome;

    /// The log line for one decision, as a `serde_json::Value` (keys sorted when written).
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

    /// An EMF record as a `serde_json::Value`.
    pub fn emf(
        timestamp_ms: u64,
        dimensions: &[(&str, &str)],
        metrics: &[(&str, f64, &str)],
    ) -> Value {
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

    /// The metrics of one decision as a `serde_json::Value`.
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

    // The typed records must write exactly the bytes the Value-based builders wrote
    // (`reference`): CloudWatch Logs Insights queries and metric filters read these lines.

    use proptest::prelude::*;

    use crate::apigw::{handle_event, Context, Response, Served, SimpleResponse};
    use crate::decision::Decision;

    fn outcome(
        reason: Reason,
        principal: Option<&str>,
        route: Option<&str>,
        shape: Option<Shape>,
        method_path: Option<(&str, &str)>,
        revision: u64,
    ) -> Outcome {
        Outcome {
            decision: Decision {
                effect: reason.effect(),
                reason,
                principal: principal.map(String::from),
                route: route.map(String::from),
                scopes: vec!["orders:read".into()],
                revision,
            },
            shape,
            method: method_path.map(|(m, _)| m.to_string()),
            path: method_path.map(|(_, p)| p.to_string()),
            response: Response::Simple(SimpleResponse {
                context: Context {
                    client_id: principal.map(String::from),
                    policy_revision: revision,
                    principal: principal.map(String::from),
                    reason: reason.as_str(),
                    scopes: String::new(),
                    stale: false,
                },
                is_authorized: reason.effect() == Effect::Allow,
            }),
        }
    }

    /// Asserts both lines of one decision are byte-identical to the reference's.
    fn assert_same(
        out: &Outcome,
        api_id: &str,
        latency_us: u64,
        stale: bool,
        request_id: &str,
        timestamp_ms: u64,
        staleness_ms: u64,
    ) {
        let log = decision_log(out, api_id, latency_us, stale, request_id).to_string();
        let want = reference::decision_log(out, api_id, latency_us, stale, request_id).to_string();
        assert_eq!(log, want);
        let metrics = decision_metrics(out, api_id, timestamp_ms, staleness_ms, stale).to_string();
        let want =
            reference::decision_metrics(out, api_id, timestamp_ms, staleness_ms, stale).to_string();
        assert_eq!(metrics, want);
    }

    /// Outcomes as the event path makes them: every event shape, allowed and denied, with
    /// and without a policy, and events of no known shape.
    fn real_outcomes() -> Vec<Outcome> {
        let view = crate::policy::load_policy(
            r#"{"schema":"gateway-policy/v1","revision":7,"issuers":[],"clients":[],
            "apis":[{"id":"orders","routes":[{"route":"GET /health","public":true},
                                             {"route":"GET /orders/{id}","scopes":["orders:read"]}]}]}"#,
        )
        .expect("policy");
        let arn = |path: &str| {
            format!("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET{path}")
        };
        let mut events = Vec::new();
        for path in ["/health", "/orders/42", "/nowhere", "/orders/\"é\u{1}"] {
            events.push(json!({"type": "TOKEN", "methodArn": arn(path), "authorizationToken": "Bearer x.y.z"}));
            events.push(json!({"type": "TOKEN", "methodArn": arn(path)}));
            events.push(json!({"type": "REQUEST", "methodArn": arn(path), "headers": {"Authorization": "Bearer x.y.z"}}));
            events.push(json!({"type": "REQUEST", "methodArn": arn(path), "headers": {}}));
            events.push(
                json!({"version": "1.0", "type": "REQUEST", "methodArn": arn(path), "headers": {}}),
            );
            events.push(json!({"version": "2.0", "type": "REQUEST", "routeArn": arn(path), "headers": {"authorization": "Bearer x.y.z"}}));
            events.push(
                json!({"version": "2.0", "type": "REQUEST", "routeArn": arn(path), "headers": {}}),
            );
            events
                .push(json!({"type": "TrOKEN", "methodArn": arn(path), "authorizationToken": "x"}));
        }
        events.push(json!(null));
        events.push(json!({}));
        events.push(json!([1, 2]));
        let mut outs = Vec::new();
        for e in &events {
            for view in [Some(&view), None] {
                for served in [Served::default(), Served { stale: true }] {
                    outs.push(handle_event(view, "orders", &e.to_string(), 0, served));
                }
            }
        }
        outs
    }

    #[test]
    fn typed_lines_match_the_value_builders_for_every_decision_shape() {
        let mut outs = real_outcomes();
        let shapes = [
            None,
            Some(Shape::HttpV2),
            Some(Shape::HttpV1),
            Some(Shape::RestToken),
            Some(Shape::RestRequest),
        ];
        for reason in Reason::ALL {
            for shape in shapes {
                for (principal, route) in [
                    (None, None),
                    (Some("mobile-app"), None),
                    (None, Some("GET /orders/{id}")),
                    (Some("mobile-app"), Some("GET /orders/{id}")),
                ] {
                    for mp in [None, Some(("GET", "/orders/42"))] {
                        for revision in [0, 1, u64::MAX] {
                            outs.push(outcome(reason, principal, route, shape, mp, revision));
                        }
                    }
                }
            }
        }
        let reasons: std::collections::BTreeSet<&str> =
            outs.iter().map(|o| o.decision.reason.as_str()).collect();
        assert_eq!(reasons.len(), Reason::ALL.len());
        for out in &outs {
            for stale in [false, true] {
                for (latency, ts, staleness) in [
                    (0, 0, 0),
                    (12, 1_795_000_000_000, 250),
                    (u64::MAX, u64::MAX, u64::MAX),
                ] {
                    assert_same(out, "orders", latency, stale, "req-1", ts, staleness);
                }
            }
            assert_same(out, "", 1, false, "", 1, 1);
        }
    }

    #[test]
    fn decision_lines_are_written_as_before() {
        // Today's bytes, literally: a change to the reference and the records alike shows here.
        let out = outcome(
            Reason::Ok,
            Some("mobile-app"),
            Some("GET /orders/{id}"),
            Some(Shape::HttpV2),
            Some(("GET", "/orders/42")),
            7,
        );
        assert_eq!(
            decision_log(&out, "orders", 12, true, "req-1").to_string(),
            r#"{"api_id":"orders","effect":"allow","event":"http_v2","latency_us":12,"level":"info","method":"GET","msg":"decision","path":"/orders/42","principal":"mobile-app","reason":"ok","request_id":"req-1","revision":7,"route":"GET /orders/{id}","stale":true}"#
        );
        assert_eq!(
            decision_metrics(&out, "orders", 1_795_000_000_000, 250, true).to_string(),
            concat!(
                r#"{"ApiId":"orders","Decisions":1.0,"Effect":"allow","PolicyRevision":7.0,"#,
                r#""PolicyStalenessMs":250.0,"Reason":"ok","StaleDecisions":1.0,"#,
                r#""_aws":{"CloudWatchMetrics":[{"Dimensions":[["ApiId","Effect","Reason"]],"#,
                r#""Metrics":[{"Name":"Decisions","Unit":"Count"},{"Name":"PolicyRevision","Unit":"None"},"#,
                r#"{"Name":"PolicyStalenessMs","Unit":"Milliseconds"},{"Name":"StaleDecisions","Unit":"Count"}],"#,
                r#""Namespace":"TeamGateway/Authorizer"}],"Timestamp":1795000000000}}"#
            )
        );
    }

    /// Any text: ASCII with quotes and backslashes, control characters, unicode beyond the BMP.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9/_{}-]{0,12}",
            any::<String>(),
            prop::collection::vec(
                prop_oneof![
                    Just('"'),
                    Just('\\'),
                    Just('\u{0}'),
                    Just('\u{1f}'),
                    Just('\u{7f}'),
                    Just('\n'),
                    Just('\u{2028}'),
                    Just('é'),
                    Just('😀'),
                    Just('a'),
                ],
                0..10
            )
            .prop_map(|cs| cs.into_iter().collect()),
        ]
    }

    fn number() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0u64),
            Just(1),
            Just(u64::MAX),
            Just(1 << 53),
            Just((1 << 53) + 1),
            any::<u64>()
        ]
    }

    proptest! {
        #[test]
        fn typed_lines_match_the_value_builders(
            reason in prop::sample::select(Reason::ALL.to_vec()),
            principal in prop::option::of(text()),
            route in prop::option::of(text()),
            shape in prop::option::of(prop::sample::select(vec![Shape::HttpV2, Shape::HttpV1, Shape::RestToken, Shape::RestRequest])),
            method_path in prop::option::of((text(), text())),
            revision in number(),
            api_id in text(),
            request_id in text(),
            latency_us in number(),
            timestamp_ms in number(),
            staleness_ms in number(),
            stale in any::<bool>(),
        ) {
            let out = outcome(
                reason,
                principal.as_deref(),
                route.as_deref(),
                shape,
                method_path.as_ref().map(|(m, p)| (m.as_str(), p.as_str())),
                revision,
            );
            let log = decision_log(&out, &api_id, latency_us, stale, &request_id).to_string();
            let want = reference::decision_log(&out, &api_id, latency_us, stale, &request_id).to_string();
            prop_assert_eq!(log, want);
            let metrics = decision_metrics(&out, &api_id, timestamp_ms, staleness_ms, stale).to_string();
            let want = reference::decision_metrics(&out, &api_id, timestamp_ms, staleness_ms, stale).to_string();
            prop_assert_eq!(metrics, want);
        }
    }
}
