//! The portal's side of the stream: read the topic's current state, plan the events that
//! turn it into a policy document, publish them, and read records back for `authz tail`.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::Value;

use super::event::{encode_value, parse_key, record_key, Op, PolicyEvent, EVENT_SCHEMA};
use super::kafka::{client_config, GatewayContext};
use super::replica::{Applied, Replica};
use crate::config::StreamConfig;
use crate::policy::{EntityKind, PolicyDocument, PolicyView};
use crate::signing::SigningKey;

/// The latest event the topic holds for one key.
#[derive(Debug, Clone)]
pub struct Latest {
    pub revision: u64,
    pub op: Op,
    pub data: Option<Value>,
}

/// What the topic says now, as the publisher needs it (signatures are the consumers' job).
#[derive(Debug, Clone, Default)]
pub struct TopicState {
    pub latest: BTreeMap<(EntityKind, String), Latest>,
    pub max_revision: u64,
    pub records: u64,
}

/// One record as read back, for `authz tail`.
#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// The payload of a value, whether plain JSON or a JWS (unverified: for planning only).
fn event_of(value: &[u8]) -> Option<PolicyEvent> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if text.starts_with('{') {
        return serde_json::from_str(text).ok();
    }
    let payload = text.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

fn consumer(cfg: &StreamConfig, brokers: &str) -> Result<BaseConsumer<GatewayContext>, String> {
    let (mut c, ctx) = client_config(cfg, brokers)?;
    c.set("group.id", format!("{}-cli", cfg.group_prefix))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        // Reading to the end of a small topic: do not let the broker hold fetches for the
        // default 500 ms.
        .set("fetch.wait.max.ms", "10");
    c.create_with_context(ctx)
        .map_err(|e| format!("cannot create a Kafka consumer: {e}"))
}

/// Reads every partition from `start` up to the high watermarks seen when it began.
pub fn read_records(
    cfg: &StreamConfig,
    brokers: &str,
    from_beginning: bool,
    timeout: Duration,
) -> Result<(BaseConsumer<GatewayContext>, Vec<Record>), String> {
    let consumer = consumer(cfg, brokers)?;
    let metadata = consumer
        .fetch_metadata(Some(&cfg.topic), timeout)
        .map_err(|e| format!("cannot reach Kafka at {brokers}: {e}"))?;
    let topic = metadata
        .topics()
        .iter()
        .find(|t| t.name() == cfg.topic)
        .ok_or("no such topic")?;
    if topic.error().is_some() || topic.partitions().is_empty() {
        return Err(format!(
            "topic {} does not exist; create it with `authz topic create`",
            cfg.topic
        ));
    }
    let mut tpl = TopicPartitionList::new();
    let mut remaining = BTreeMap::new();
    for p in topic.partitions() {
        let (low, high) = consumer
            .fetch_watermarks(&cfg.topic, p.id(), timeout)
            .map_err(|e| e.to_string())?;
        let start = if from_beginning {
            Offset::Beginning
        } else {
            Offset::End
        };
        tpl.add_partition_offset(&cfg.topic, p.id(), start)
            .map_err(|e| e.to_string())?;
        if from_beginning && high > low {
            remaining.insert(p.id(), high);
        }
    }
    consumer.assign(&tpl).map_err(|e| e.to_string())?;
    let mut records = Vec::new();
    let deadline = std::time::Instant::now() + timeout;
    while !remaining.is_empty() {
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "timed out reading {} (is the broker up?)",
                cfg.topic
            ));
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
            Some(Err(e)) => return Err(format!("reading {}: {e}", cfg.topic)),
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

/// Folds records into the topic's current state.
pub fn topic_state(records: &[Record]) -> TopicState {
    let mut state = TopicState::default();
    for r in records {
        state.records += 1;
        let Some((kind, id)) = r.key.as_deref().and_then(parse_key) else {
            continue;
        };
        match r.value.as_deref() {
            None => {
                state.latest.remove(&(kind, id));
            }
            Some(v) => {
                let Some(event) = event_of(v) else { continue };
                state.max_revision = state.max_revision.max(event.revision);
                let newer = state
                    .latest
                    .get(&(kind, id.clone()))
                    .is_none_or(|l| event.revision > l.revision);
                if newer {
                    state.latest.insert(
                        (kind, id),
                        Latest {
                            revision: event.revision,
                            op: event.op,
                            data: event.data,
                        },
                    );
                }
            }
        }
    }
    state
}

/// One event to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: EntityKind,
    pub id: String,
    pub op: Op,
    pub data: Option<Value>,
    /// The revision the topic holds for this key, if any.
    pub previous: Option<u64>,
}

/// Normalises an entity's JSON through the policy's own types (defaults filled in), so a
/// diff only sees real changes.
fn normalised(kind: EntityKind, data: &Value) -> Option<Value> {
    let mut view = PolicyView::default();
    view.upsert(kind, data).ok()?;
    view.entities(kind).into_iter().next().map(|(_, v)| v)
}

/// The events that turn the topic's state into `doc`. Publisher keys are added first and
/// removed last, so a rotation signed in one run never locks itself out.
pub fn plan(doc: &PolicyDocument, state: &TopicState) -> Result<Vec<Change>, String> {
    let view = PolicyView::from_document(doc.clone())
        .map_err(|e| format!("the policy is invalid:\n{e}"))?;
    let mut upserts = Vec::new();
    let mut deletes = Vec::new();
    for kind in [
        EntityKind::Publisher,
        EntityKind::Issuer,
        EntityKind::Client,
        EntityKind::Api,
    ] {
        let wanted: BTreeMap<String, Value> = view.entities(kind).into_iter().collect();
        for (id, data) in &wanted {
            let current = state.latest.get(&(kind, id.clone()));
            let same = current.is_some_and(|l| {
                l.op == Op::Upsert
                    && l.data.as_ref().and_then(|d| normalised(kind, d)).as_ref() == Some(data)
            });
            if !same {
                upserts.push(Change {
                    kind,
                    id: id.clone(),
                    op: Op::Upsert,
                    data: Some(data.clone()),
                    previous: current.map(|l| l.revision),
                });
            }
        }
        for ((k, id), latest) in state.latest.range((kind, String::new())..) {
            if *k != kind {
                break;
            }
            if latest.op == Op::Upsert && !wanted.contains_key(id) {
                deletes.push(Change {
                    kind,
                    id: id.clone(),
                    op: Op::Delete,
                    data: None,
                    previous: Some(latest.revision),
                });
            }
        }
    }
    // Publisher deletes go last of all.
    deletes.sort_by_key(|c| c.kind == EntityKind::Publisher);
    upserts.extend(deletes);
    Ok(upserts)
}

/// Publishes `changes` at `revision` (one revision for the whole run). Returns the records'
/// offsets once the broker has acknowledged all of them.
pub fn publish(
    cfg: &StreamConfig,
    brokers: &str,
    changes: &[Change],
    revision: u64,
    issued_at: &str,
    key: Option<&SigningKey>,
    timeout: Duration,
) -> Result<usize, String> {
    let (mut c, ctx) = client_config(cfg, brokers)?;
    // acks=all with one request in flight keeps the records in order without the
    // idempotent producer's extra round trips.
    c.set("acks", "all")
        .set("enable.idempotence", "false")
        .set("max.in.flight.requests.per.connection", "1")
        .set("linger.ms", "0");
    let producer: BaseProducer<GatewayContext> = c
        .create_with_context(ctx)
        .map_err(|e| format!("cannot create a Kafka producer: {e}"))?;
    for change in changes {
        let event = PolicyEvent {
            schema: EVENT_SCHEMA.to_string(),
            kind: change.kind.as_str().to_string(),
            id: change.id.clone(),
            revision,
            op: change.op,
            issued_at: Some(issued_at.to_string()),
            data: change.data.clone(),
        };
        let value = encode_value(&event, key)?;
        let record_key = record_key(change.kind, &change.id);
        let mut record = BaseRecord::to(&cfg.topic).key(&record_key).payload(&value);
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
                Err((e, _)) => return Err(format!("cannot send {record_key}: {e}")),
            }
        }
    }
    producer
        .flush(timeout)
        .map_err(|e| format!("not acknowledged within {timeout:?}: {e}"))?;
    Ok(changes.len())
}

/// Sends a tombstone (null value) for a key, so compaction can forget it.
pub fn tombstone(
    cfg: &StreamConfig,
    brokers: &str,
    kind: EntityKind,
    id: &str,
    timeout: Duration,
) -> Result<(), String> {
    let (c, ctx) = client_config(cfg, brokers)?;
    let producer: BaseProducer<GatewayContext> =
        c.create_with_context(ctx).map_err(|e| e.to_string())?;
    let key = record_key(kind, id);
    producer
        .send(BaseRecord::<String, ()>::to(&cfg.topic).key(&key))
        .map_err(|(e, _)| e.to_string())?;
    producer.flush(timeout).map_err(|e| e.to_string())
}

/// A producer that sends key/value records as they are (tests and benchmarks use it for
/// hand-made, malformed and forged events).
pub struct RawProducer {
    producer: BaseProducer<GatewayContext>,
    topic: String,
}

impl RawProducer {
    pub fn new(cfg: &StreamConfig, brokers: &str) -> Result<Self, String> {
        let (mut c, ctx) = client_config(cfg, brokers)?;
        c.set("linger.ms", "0");
        let producer = c
            .create_with_context(ctx)
            .map_err(|e: rdkafka::error::KafkaError| e.to_string())?;
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
    ) -> Result<(), String> {
        self.enqueue(records)?;
        self.flush(timeout)
    }

    /// Waits until the broker has acknowledged everything enqueued.
    pub fn flush(&self, timeout: Duration) -> Result<(), String> {
        self.producer.flush(timeout).map_err(|e| e.to_string())
    }

    /// Hands the records to librdkafka, which sends them at once (`linger.ms` 0), without
    /// waiting for the acknowledgement.
    pub fn enqueue(&self, records: &[(Option<String>, Option<String>)]) -> Result<(), String> {
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
                    Err((e, _)) => return Err(e.to_string()),
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
) -> Result<(), String> {
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
) -> Result<(), String> {
    let (c, ctx) = client_config(cfg, brokers)?;
    let admin: AdminClient<GatewayContext> =
        c.create_with_context(ctx).map_err(|e| e.to_string())?;
    let config = recommended_topic_config(delete_retention_ms);
    let mut topic = NewTopic::new(&cfg.topic, partitions, TopicReplication::Fixed(replication));
    for (k, v) in &config {
        topic = topic.set(k, v);
    }
    if replication >= 3 {
        topic = topic.set("min.insync.replicas", "2");
    }
    let opts = AdminOptions::new().operation_timeout(Some(timeout));
    let results = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(admin.create_topics([&topic], &opts))
        .map_err(|e| format!("cannot create {}: {e}", cfg.topic))?;
    for r in results {
        match r {
            Ok(_) => {}
            Err((name, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {
                return Err(format!("topic {name} already exists"))
            }
            Err((name, code)) => return Err(format!("cannot create {name}: {code}")),
        }
    }
    Ok(())
}

/// Replays records through a replica (as an authorizer would) and reports each verdict.
pub fn verdicts<'r>(replica: &mut Replica, records: &'r [Record]) -> Vec<(&'r Record, Applied)> {
    records
        .iter()
        .map(|r| (r, replica.apply(r.key.as_deref(), r.value.as_deref())))
        .collect()
}
