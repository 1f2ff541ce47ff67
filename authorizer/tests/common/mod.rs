//! What the real-broker tests (stream_kafka, fleet_kafka, cluster_kafka) share.

use authorizer::config::{KafkaAuth, StreamConfig};

/// The stream settings of a test authorizer: plaintext to `brokers`, a 1 s staleness bound
/// and a 50 ms sync budget.
pub fn stream_config(topic: &str, brokers: &str) -> StreamConfig {
    StreamConfig {
        brokers: Some(brokers.to_string()),
        msk_cluster_arn: None,
        topic: topic.to_string(),
        auth: KafkaAuth::Plaintext,
        group_prefix: "gateway-authz-test".into(),
        username: None,
        password: None,
        max_staleness_ms: 1000,
        sync_budget_ms: 50,
        tombstone_retention_ms: 86_400_000,
        checkpoint_max_age_s: 86_400,
    }
}
