//! The portal's side of the stream, the Kafka I/O: read the topic's records, publish a
//! [`Plan`] (made by the pure [`super::plan`]), send raw records for tests, create the topic.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};

use super::checkpoint::{encode_checkpoint, CHECKPOINT_KEY};
use super::event::{encode_value, record_key, PolicyEvent, EVENT_SCHEMA};
use super::kafka::{client_config, GatewayContext};
pub use super::plan::{
    changes, plan, topic_state, verdicts, Change, Latest, Plan, PlanError, Record, TopicState,
};
use super::Error;
use crate::config::StreamConfig;
use crate::policy::EntityKind;
use crate::signing::SigningKey;

fn consumer(cfg: &StreamConfig, brokers: &str) -> Result<BaseConsumer<GatewayContext>, Error> {
    let (mut c, ctx) = client_config(cfg, brokers)?;
    c.set("group.id", format!("{}-cli", cfg.group_prefix))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        // Reading to the end of a small topic: do not let the broker hold fetches for the
        // default 500 ms.
        .set("fetch.wait.max.ms", "10");
    c.create_with_context(ctx)
        .map_err(Error::kafka("cannot create a Kafka consumer"))
}

/// Reads every partition from `start` up to the high watermarks seen when it began.
pub fn read_records(
    cfg: &StreamConfig,
    brokers: &str,
    from_beginning: bool,
    timeout: Duration,
) -> Result<(BaseConsumer<GatewayContext>, Vec<Record>), Error> {
    let consumer = consumer(cfg, brokers)?;
    let metadata = consumer
        .fetch_metadata(Some(&cfg.topic), timeout)
        .map_err(Error::kafka(format!("cannot reach Kafka at {brokers}")))?;
    let topic = metadata
        .topics()
        .iter()
        .find(|t| t.name() == cfg.topic)
        .filter(|t| t.error().is_none() && !t.partitions().is_empty())
        .ok_or_else(|| Error::NoSuchTopic(cfg.topic.clone()))?;
    let mut tpl = TopicPartitionList::new();
    let mut remaining = BTreeMap::new();
    for p in topic.partitions() {
        let (low, high) = consumer
            .fetch_watermarks(&cfg.topic, p.id(), timeout)
            .map_err(Error::kafka(format!(
                "reading the watermarks of {}",
                cfg.topic
            )))?;
        let start = if from_beginning {
            Offset::Beginning
        } else {
            Offset::End
        };
        tpl.add_partition_offset(&cfg.topic, p.id(), start)
            .map_err(Error::kafka("choosing the start offset"))?;
        if from_beginning && high > low {
            remaining.insert(p.id(), high);
        }
    }
    consumer
        .assign(&tpl)
        .map_err(Error::kafka(format!("assigning {}", cfg.topic)))?;
    let mut records = Vec::new();
    let deadline = std::time::Instant::now() + timeout;
    while !remaining.is_empty() {
        if std::time::Instant::now() > deadline {
            return Err(Error::ReadTimeout(cfg.topic.clone()));
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                if let Some(high) = remaining.get(&m.partition()) {
                    if m.offset() + 1 >= *high {
                        remaining.remove(&m.partition());
                    }
                }
                records.push(Record {
                    partition: m.partition(),
                    offset: m.offset(),
                    timestamp_ms: m.timestamp().to_millis(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                });
            }
            // One listed broker down (or a connection dropped) is not the end of the read:
            // librdkafka goes on through the others, and the deadline bounds the wait.
            Some(Err(e)) if is_transport_error(&e) => {}
            Some(Err(e)) => return Err(Error::kafka(format!("reading {}", cfg.topic))(e)),
            None => {
                // Compaction can leave the last offsets empty: stop at librdkafka's position.
                if let Ok(pos) = consumer.position() {
                    remaining.retain(|p, high| !matches!(pos.find_partition(&cfg.topic, *p).map(|e| e.offset()), Some(Offset::Offset(o)) if o >= *high));
                }
            }
        }
    }
    Ok((consumer, records))
}

/// A consumer error about reaching a broker, which librdkafka recovers from on its own.
fn is_transport_error(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::Resolve
                | RDKafkaErrorCode::BrokerNotAvailable
                | RDKafkaErrorCode::NotLeaderForPartition
                | RDKafkaErrorCode::LeaderNotAvailable
        )
    )
}

/// The largest record value `authz publish` sends (librdkafka's default `message.max.bytes`).
pub const MAX_RECORD_BYTES: usize = 1_000_000;

/// Publishes a plan: its changes at its revision, then its checkpoint (signed with `key`).
/// Returns the number of records once the broker has acknowledged all of them.
pub fn publish(
    cfg: &StreamConfig,
    brokers: &str,
    plan: &Plan,
    issued_at: &str,
    key: Option<&SigningKey>,
    timeout: Duration,
) -> Result<usize, Error> {
    let (mut c, ctx) = client_config(cfg, brokers)?;
    // acks=all with one request in flight keeps the records in order without the
    // idempotent producer's extra round trips.
    c.set("acks", "all")
        .set("enable.idempotence", "false")
        .set("max.in.flight.requests.per.connection", "1")
        .set("linger.ms", "0");
    let producer: BaseProducer<GatewayContext> = c
        .create_with_context(ctx)
        .map_err(Error::kafka("cannot create a Kafka producer"))?;
    let mut records: Vec<(String, String)> = Vec::new();
    for change in &plan.changes {
        let event = PolicyEvent {
            schema: EVENT_SCHEMA.to_string(),
            kind: change.kind.as_str().to_string(),
            id: change.id.clone(),
            revision: plan.revision,
            op: change.op,
            issued_at: Some(issued_at.to_string()),
            data: change.data.clone(),
        };
        records.push((
            record_key(change.kind, &change.id),
            encode_value(&event, key)?,
        ));
    }
    if let Some(checkpoint) = &plan.checkpoint {
        let key = key.ok_or(Error::CheckpointUnsigned)?;
        records.push((
            CHECKPOINT_KEY.to_string(),
            encode_checkpoint(checkpoint, key)?,
        ));
    }
    // Refuse before sending anything: a run cut short by one oversized record would leave
    // the topic between two states.
    if let Some((k, v)) = records.iter().find(|(_, v)| v.len() > MAX_RECORD_BYTES) {
        return Err(Error::RecordTooLarge {
            key: k.clone(),
            bytes: v.len(),
            max: MAX_RECORD_BYTES,
        });
    }
    for (record_key, value) in &records {
        let mut record = BaseRecord::to(&cfg.topic)
            .key(record_key.as_str())
            .payload(value.as_str());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, back))
                    if matches!(
                        e.rdkafka_error_code(),
                        Some(rdkafka::types::RDKafkaErrorCode::QueueFull)
                    ) =>
                {
                    producer.poll(Duration::from_millis(50));
                    record = back;
                }
                Err((e, _)) => return Err(Error::kafka(format!("cannot send {record_key}"))(e)),
            }
        }
    }
    producer
        .flush(timeout)
        .map_err(Error::kafka(format!("not acknowledged within {timeout:?}")))?;
    Ok(records.len())
}

/// Sends a tombstone (null value) for a key, so compaction can forget it.
pub fn tombstone(
    cfg: &StreamConfig,
    brokers: &str,
    kind: EntityKind,
    id: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let (c, ctx) = client_config(cfg, brokers)?;
    let producer: BaseProducer<GatewayContext> = c
        .create_with_context(ctx)
        .map_err(Error::kafka("cannot create a Kafka producer"))?;
    let key = record_key(kind, id);
    producer
        .send(BaseRecord::<String, ()>::to(&cfg.topic).key(&key))
        .map_err(|(e, _)| Error::kafka(format!("cannot send the tombstone for {key}"))(e))?;
    producer
        .flush(timeout)
        .map_err(Error::kafka(format!("not acknowledged within {timeout:?}")))
}

/// A producer that sends key/value records as they are (tests and benchmarks use it for
/// hand-made, malformed and forged events).
pub struct RawProducer {
    producer: BaseProducer<GatewayContext>,
    topic: String,
}

impl RawProducer {
    pub fn new(cfg: &StreamConfig, brokers: &str) -> Result<Self, Error> {
        let (mut c, ctx) = client_config(cfg, brokers)?;
        c.set("linger.ms", "0");
        let producer = c
            .create_with_context(ctx)
            .map_err(Error::kafka("cannot create a Kafka producer"))?;
        Ok(RawProducer {
            producer,
            topic: cfg.topic.clone(),
        })
    }

    /// Sends the records in order and waits until the broker has acknowledged them.
    pub fn send(
        &self,
        records: &[(Option<String>, Option<String>)],
        timeout: Duration,
    ) -> Result<(), Error> {
        self.enqueue(records)?;
        self.flush(timeout)
    }

    /// Waits until the broker has acknowledged everything enqueued.
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
        self.producer
            .flush(timeout)
            .map_err(Error::kafka(format!("not acknowledged within {timeout:?}")))
    }

    /// Hands the records to librdkafka, which sends them at once (`linger.ms` 0), without
    /// waiting for the acknowledgement.
    pub fn enqueue(&self, records: &[(Option<String>, Option<String>)]) -> Result<(), Error> {
        for (key, value) in records {
            let mut r: BaseRecord<'_, String, String> = BaseRecord::to(&self.topic);
            if let Some(k) = key {
                r = r.key(k);
            }
            if let Some(v) = value {
                r = r.payload(v);
            }
            loop {
                match self.producer.send(r) {
                    Ok(()) => break,
                    Err((e, back))
                        if matches!(
                            e.rdkafka_error_code(),
                            Some(rdkafka::types::RDKafkaErrorCode::QueueFull)
                        ) =>
                    {
                        self.producer.poll(Duration::from_millis(50));
                        r = back;
                    }
                    Err((e, _)) => return Err(Error::kafka("cannot send a record")(e)),
                }
            }
        }
        self.producer.poll(Duration::ZERO);
        Ok(())
    }
}

/// Sends raw key/value records with a producer of its own.
pub fn send_raw(
    cfg: &StreamConfig,
    brokers: &str,
    records: &[(Option<String>, Option<String>)],
    timeout: Duration,
) -> Result<(), Error> {
    RawProducer::new(cfg, brokers)?.send(records, timeout)
}

/// The topic configuration we recommend (docs/policy-events.md explains each value).
pub fn recommended_topic_config(delete_retention_ms: u64) -> Vec<(&'static str, String)> {
    vec![
        ("cleanup.policy", "compact".into()),
        ("delete.retention.ms", delete_retention_ms.to_string()),
        ("min.compaction.lag.ms", "0".into()),
        ("segment.ms", "86400000".into()),
        ("min.cleanable.dirty.ratio", "0.1".into()),
        ("max.message.bytes", "1048576".into()),
    ]
}

/// Creates the policy topic with the recommended configuration.
pub fn create_topic(
    cfg: &StreamConfig,
    brokers: &str,
    partitions: i32,
    replication: i32,
    delete_retention_ms: u64,
    timeout: Duration,
) -> Result<(), Error> {
    let config = recommended_topic_config(delete_retention_ms);
    create_topic_with(cfg, brokers, partitions, replication, &config, timeout)
}

/// Creates the policy topic with the given settings (tests force compaction with these).
pub fn create_topic_with(
    cfg: &StreamConfig,
    brokers: &str,
    partitions: i32,
    replication: i32,
    config: &[(&str, String)],
    timeout: Duration,
) -> Result<(), Error> {
    let (c, ctx) = client_config(cfg, brokers)?;
    let admin: AdminClient<GatewayContext> = c
        .create_with_context(ctx)
        .map_err(Error::kafka("cannot create a Kafka admin client"))?;
    let mut topic = NewTopic::new(&cfg.topic, partitions, TopicReplication::Fixed(replication));
    for (k, v) in config {
        topic = topic.set(k, v);
    }
    if replication >= 3 {
        topic = topic.set("min.insync.replicas", "2");
    }
    let opts = AdminOptions::new().operation_timeout(Some(timeout));
    let results = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?
        .block_on(admin.create_topics([&topic], &opts))
        .map_err(Error::kafka(format!("cannot create {}", cfg.topic)))?;
    for r in results {
        match r {
            Ok(_) => {}
            Err((name, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {
                return Err(Error::TopicExists(name))
            }
            Err((topic, code)) => return Err(Error::CreateTopic { topic, code }),
        }
    }
    Ok(())
}
