//! The authorizer's configuration, read once from the environment at init (documented in the
//! README; the Terraform module sets these).

use std::collections::HashMap;

use thiserror::Error;

use crate::stream::replica::DEFAULT_CHECKPOINT_MAX_AGE_S;

/// Default path of the baked policy: where the policy Lambda layer puts it.
pub const DEFAULT_POLICY_FILE: &str = "/opt/gateway-policy.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaAuth {
    /// SASL/OAUTHBEARER over TLS with MSK IAM tokens.
    MskIam,
    Plaintext,
    /// SASL/PLAIN over TLS; credentials from AUTHZ_KAFKA_USERNAME / AUTHZ_KAFKA_PASSWORD.
    SaslPlain,
}

/// Where the policy stream is and how to reach it.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    pub brokers: Option<String>,
    pub msk_cluster_arn: Option<String>,
    pub topic: String,
    pub auth: KafkaAuth,
    pub group_prefix: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub max_staleness_ms: u64,
    pub sync_budget_ms: u64,
    /// The topic's `delete.retention.ms`: frozen longer than this, the view is rebuilt from offset 0.
    pub tombstone_retention_ms: u64,
    /// Signed mode: how old a checkpoint may be when read and still let a replay serve the
    /// stream's state (see `stream::replica`).
    pub checkpoint_max_age_s: u64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub api_id: String,
    pub policy_file: String,
    pub log_level: LogLevel,
    pub stream: Option<StreamConfig>,
}

/// Something wrong in the environment. None is fatal: each says what the authorizer does
/// instead, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigProblem {
    #[error("AUTHZ_API_ID is not set; every request is denied with unknown_api. Set it to the API's id in the policy")]
    ApiIdUnset,
    #[error("{var}={value:?} is not a whole number of {unit}; using {default}")]
    NotANumber {
        var: &'static str,
        value: String,
        default: u64,
        unit: &'static str,
    },
    #[error("AUTHZ_LOG_LEVEL={0:?} is not error, warn, info or debug; using info")]
    UnknownLogLevel(String),
    #[error(
        "AUTHZ_KAFKA_AUTH={0:?} is not msk-iam, plaintext or sasl-plain; the policy stream is off"
    )]
    UnknownKafkaAuth(String),
    #[error("AUTHZ_KAFKA_TOPIC is set without AUTHZ_KAFKA_BROKERS or AUTHZ_MSK_CLUSTER_ARN; the policy stream is off")]
    TopicWithoutBrokers,
    #[error("AUTHZ_KAFKA_BROKERS/AUTHZ_MSK_CLUSTER_ARN is set without AUTHZ_KAFKA_TOPIC; the policy stream is off")]
    BrokersWithoutTopic,
}

/// Reads the configuration from a variable lookup; every problem is reported, none is fatal
/// for serving (the authorizer then runs on the baked policy alone, or denies `no_policy`).
pub fn from_vars(vars: &HashMap<String, String>) -> (Config, Vec<ConfigProblem>) {
    let mut problems = Vec::new();
    let get = |k: &str| {
        vars.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let number = |k: &'static str,
                  default: u64,
                  unit: &'static str,
                  problems: &mut Vec<ConfigProblem>| match get(k) {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            problems.push(ConfigProblem::NotANumber {
                var: k,
                value: v,
                default,
                unit,
            });
            default
        }),
    };
    let api_id = get("AUTHZ_API_ID").unwrap_or_else(|| {
        problems.push(ConfigProblem::ApiIdUnset);
        String::new()
    });
    let log_level = match get("AUTHZ_LOG_LEVEL").as_deref() {
        None | Some("info") => LogLevel::Info,
        Some("error") => LogLevel::Error,
        Some("warn") => LogLevel::Warn,
        Some("debug") => LogLevel::Debug,
        Some(other) => {
            problems.push(ConfigProblem::UnknownLogLevel(other.to_string()));
            LogLevel::Info
        }
    };
    let ms = "milliseconds";
    let max_staleness_ms = number("AUTHZ_MAX_STALENESS_MS", 1000, ms, &mut problems);
    let sync_budget_ms = number("AUTHZ_SYNC_BUDGET_MS", 50, ms, &mut problems);
    let tombstone_retention_ms = number(
        "AUTHZ_TOMBSTONE_RETENTION_MS",
        86_400_000,
        ms,
        &mut problems,
    );
    let checkpoint_max_age_s = number(
        "AUTHZ_CHECKPOINT_MAX_AGE_S",
        DEFAULT_CHECKPOINT_MAX_AGE_S,
        "seconds",
        &mut problems,
    );
    let brokers = get("AUTHZ_KAFKA_BROKERS");
    let msk_cluster_arn = get("AUTHZ_MSK_CLUSTER_ARN");
    let stream = match (
        get("AUTHZ_KAFKA_TOPIC"),
        brokers.is_some() || msk_cluster_arn.is_some(),
    ) {
        (Some(topic), true) => {
            let auth = match get("AUTHZ_KAFKA_AUTH").as_deref() {
                None if msk_cluster_arn.is_some() => KafkaAuth::MskIam,
                None | Some("plaintext") => KafkaAuth::Plaintext,
                Some("msk-iam") => KafkaAuth::MskIam,
                Some("sasl-plain") => KafkaAuth::SaslPlain,
                Some(other) => {
                    problems.push(ConfigProblem::UnknownKafkaAuth(other.to_string()));
                    return finish(api_id, vars, log_level, None, problems);
                }
            };
            Some(StreamConfig {
                brokers,
                msk_cluster_arn,
                topic,
                auth,
                group_prefix: get("AUTHZ_KAFKA_GROUP_PREFIX")
                    .unwrap_or_else(|| "gateway-authz".into()),
                username: get("AUTHZ_KAFKA_USERNAME"),
                password: get("AUTHZ_KAFKA_PASSWORD"),
                max_staleness_ms,
                sync_budget_ms,
                tombstone_retention_ms,
                checkpoint_max_age_s,
            })
        }
        (Some(_), false) => {
            problems.push(ConfigProblem::TopicWithoutBrokers);
            None
        }
        (None, true) => {
            problems.push(ConfigProblem::BrokersWithoutTopic);
            None
        }
        (None, false) => None,
    };
    finish(api_id, vars, log_level, stream, problems)
}

fn finish(
    api_id: String,
    vars: &HashMap<String, String>,
    log_level: LogLevel,
    stream: Option<StreamConfig>,
    problems: Vec<ConfigProblem>,
) -> (Config, Vec<ConfigProblem>) {
    let policy_file = vars
        .get("AUTHZ_POLICY_FILE")
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| DEFAULT_POLICY_FILE.into());
    (
        Config {
            api_id,
            policy_file,
            log_level,
            stream,
        },
        problems,
    )
}

/// Reads the configuration from the process environment.
pub fn from_env() -> (Config, Vec<ConfigProblem>) {
    from_vars(&std::env::vars().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_problems() {
        let (c, p) = from_vars(&vars(&[]));
        assert_eq!(c.policy_file, DEFAULT_POLICY_FILE);
        assert!(c.stream.is_none());
        assert!(p[0].to_string().contains("AUTHZ_API_ID"));
        let (c, p) = from_vars(&vars(&[
            ("AUTHZ_API_ID", "orders"),
            ("AUTHZ_KAFKA_TOPIC", "t"),
            ("AUTHZ_KAFKA_BROKERS", "b:9092"),
            ("AUTHZ_MAX_STALENESS_MS", "x"),
        ]));
        let s = c.stream.unwrap();
        assert_eq!(
            (s.auth, s.max_staleness_ms, s.sync_budget_ms),
            (KafkaAuth::Plaintext, 1000, 50)
        );
        assert!(p[0].to_string().contains("AUTHZ_MAX_STALENESS_MS"));
        let (c, _) = from_vars(&vars(&[
            ("AUTHZ_KAFKA_TOPIC", "t"),
            ("AUTHZ_MSK_CLUSTER_ARN", "arn:aws:kafka:x"),
        ]));
        assert_eq!(c.stream.unwrap().auth, KafkaAuth::MskIam);
    }

    #[test]
    fn each_problem_names_the_variable_and_what_happens() {
        let (_, p) = from_vars(&vars(&[
            ("AUTHZ_LOG_LEVEL", "loud"),
            ("AUTHZ_SYNC_BUDGET_MS", "-1"),
            ("AUTHZ_KAFKA_TOPIC", "t"),
            ("AUTHZ_KAFKA_BROKERS", "b:9092"),
            ("AUTHZ_KAFKA_AUTH", "kerberos"),
        ]));
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "AUTHZ_API_ID is not set; every request is denied with unknown_api. Set it to the API's id in the policy",
                "AUTHZ_LOG_LEVEL=\"loud\" is not error, warn, info or debug; using info",
                "AUTHZ_SYNC_BUDGET_MS=\"-1\" is not a whole number of milliseconds; using 50",
                "AUTHZ_KAFKA_AUTH=\"kerberos\" is not msk-iam, plaintext or sasl-plain; the policy stream is off",
            ]
        );
        let (_, p) = from_vars(&vars(&[("AUTHZ_API_ID", "a"), ("AUTHZ_KAFKA_TOPIC", "t")]));
        assert_eq!(p, [ConfigProblem::TopicWithoutBrokers]);
        let (_, p) = from_vars(&vars(&[
            ("AUTHZ_API_ID", "a"),
            ("AUTHZ_KAFKA_BROKERS", "b"),
        ]));
        assert_eq!(p, [ConfigProblem::BrokersWithoutTopic]);
    }
}
