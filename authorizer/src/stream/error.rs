//! The policy stream's errors: configuring a client, discovering brokers, reading and
//! writing the topic. Each says what failed and, where there is one, the fix.

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use super::event::EncodeError;
use crate::config::KafkaAuth;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("neither AUTHZ_KAFKA_BROKERS nor AUTHZ_MSK_CLUSTER_ARN is set")]
    NoBrokers,
    #[error("AUTHZ_MSK_CLUSTER_ARN {0:?} is not an MSK cluster ARN")]
    NotAnMskArn(String),
    #[error("GetBootstrapBrokers on {arn}: {detail}")]
    BrokerDiscovery { arn: String, detail: String },
    #[error("cluster {arn} has no brokers for {auth:?}; pass AUTHZ_KAFKA_BROKERS")]
    NoBrokersForAuth { arn: String, auth: KafkaAuth },
    #[error("AUTHZ_KAFKA_AUTH=sasl-plain needs AUTHZ_KAFKA_USERNAME and AUTHZ_KAFKA_PASSWORD")]
    SaslCredentialsMissing,
    #[error("msk-iam needs a region: set AUTHZ_MSK_CLUSTER_ARN or AWS_REGION")]
    NoRegion,
    #[error("no AWS credentials provider for msk-iam")]
    NoCredentials,
    #[error("cannot start an async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("the broker discovery thread panicked")]
    DiscoveryPanicked,
    #[error("{action}: {source}")]
    Kafka {
        action: String,
        #[source]
        source: KafkaError,
    },
    #[error("topic {0} does not exist; create it with `authz topic create`")]
    NoSuchTopic(String),
    #[error("timed out reading {0} (is the broker up?)")]
    ReadTimeout(String),
    #[error("a checkpoint must be signed: pass the signing key")]
    CheckpointUnsigned,
    #[error("the record for {key} is {bytes} bytes, above the {max} a producer sends by default; raise the topic's max.message.bytes and the producer's message.max.bytes (docs/policy-events.md)")]
    RecordTooLarge {
        key: String,
        bytes: usize,
        max: usize,
    },
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("topic {0} already exists")]
    TopicExists(String),
    #[error("cannot create {topic}: {code}")]
    CreateTopic {
        topic: String,
        code: RDKafkaErrorCode,
    },
}

impl Error {
    /// Wraps a Kafka client error with what was being done (`map_err(Error::kafka("..."))`).
    pub fn kafka(action: impl Into<String>) -> impl FnOnce(KafkaError) -> Error {
        let action = action.into();
        move |source| Error::Kafka { action, source }
    }
}

/// The CLI and the consumer's log lines report errors as text.
impl From<Error> for String {
    fn from(e: Error) -> Self {
        e.to_string()
    }
}
