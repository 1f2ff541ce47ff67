//! The stream-side commands: `publish` (its `--wait` is in `fleet_cmd`), `tail` and `topic create`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use authorizer::config::{KafkaAuth, StreamConfig};
use authorizer::policy::{load_policy, PolicyView};
use authorizer::stream::event::Op;
use authorizer::stream::event::Rejection;
use authorizer::stream::plan::{
    check_signing, plan, resigned_publisher_warnings, resigned_publishers, topic_state,
    CheckpointClock, Record,
};
use authorizer::stream::publish::{
    create_topic, publish, read_records, recommended_topic_config, tombstone,
};
use authorizer::stream::replica::{Applied, Replica, DEFAULT_CHECKPOINT_MAX_AGE_S};
use clap::{Args, Subcommand, ValueEnum};
use rdkafka::Message;
use serde_json::json;

use crate::clock::{now_seconds, rfc3339};
use crate::keys_cmds::load_key;

#[derive(Clone, Copy, ValueEnum)]
pub enum Auth {
    Plaintext,
    MskIam,
    SaslPlain,
}

/// Where the topic is, shared by every stream command.
#[derive(Args)]
pub struct Connection {
    /// Bootstrap brokers, comma-separated.
    #[arg(long, env = "AUTHZ_KAFKA_BROKERS")]
    brokers: String,
    /// The policy topic.
    #[arg(long, env = "AUTHZ_KAFKA_TOPIC")]
    topic: String,
    #[arg(long, value_enum, default_value = "plaintext")]
    auth: Auth,
    /// MSK cluster ARN (for its region, with --auth msk-iam).
    #[arg(long)]
    msk_cluster_arn: Option<String>,
    /// Seconds to wait for the broker.
    #[arg(long, default_value_t = 15)]
    timeout: u64,
}

impl Connection {
    fn config(&self) -> StreamConfig {
        StreamConfig {
            brokers: Some(self.brokers.clone()),
            msk_cluster_arn: self.msk_cluster_arn.clone(),
            topic: self.topic.clone(),
            auth: match self.auth {
                Auth::Plaintext => KafkaAuth::Plaintext,
                Auth::MskIam => KafkaAuth::MskIam,
                Auth::SaslPlain => KafkaAuth::SaslPlain,
            },
            group_prefix: "gateway-portal".into(),
            username: std::env::var("AUTHZ_KAFKA_USERNAME").ok(),
            password: std::env::var("AUTHZ_KAFKA_PASSWORD").ok(),
            max_staleness_ms: 0,
            sync_budget_ms: 0,
            tombstone_retention_ms: 0,
            checkpoint_max_age_s: 0,
        }
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}

#[derive(Args)]
pub struct PublishArgs {
    #[command(flatten)]
    conn: Connection,
    /// The policy document the topic should describe.
    policy: PathBuf,
    /// Ed25519 key file (`authz keygen --alg EdDSA`) to sign events with; required when the
    /// policy lists publishers.
    #[arg(long)]
    signing_key: Option<PathBuf>,
    /// Show the changes without publishing.
    #[arg(long)]
    dry_run: bool,
    /// Follow each delete with a tombstone so compaction can forget the key.
    #[arg(long)]
    tombstones: bool,
    /// Re-sign the checkpoint when the topic's newest is older than this many seconds, even
    /// with nothing changed. Authorizers serve the stream only while a checkpoint is younger
    /// than their AUTHZ_CHECKPOINT_MAX_AGE_S (default 86400): run `authz publish` on a
    /// schedule shorter than this value, and keep this value well under theirs.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    refresh_checkpoint_after: u64,
    #[command(flatten)]
    wait: crate::fleet_cmd::WaitArgs,
}

pub fn publish_cmd(args: PublishArgs) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(&args.policy)
        .map_err(|e| format!("cannot read {}: {e}", args.policy.display()))?;
    let view =
        load_policy(&text).map_err(|e| format!("{} is invalid:\n{e}", args.policy.display()))?;
    let doc = view.to_document();
    let key = args.signing_key.as_deref().map(load_key).transpose()?;
    if !(args.dry_run && key.is_none()) {
        check_signing(&doc, key.as_ref()).map_err(|e| e.to_string())?;
    }
    let cfg = args.conn.config();
    let (_, records) = read_records(&cfg, &args.conn.brokers, true, args.conn.timeout())?;
    let state = topic_state(&doc, &records);
    let signed = !doc.publishers.is_empty();
    let unsigned_records = records
        .iter()
        .filter(|r| {
            r.value
                .as_deref()
                .is_some_and(|v| v.trim_ascii_start().starts_with(b"{"))
        })
        .count();
    if signed && unsigned_records > 0 {
        eprintln!(
            "warning: {} holds {unsigned_records} unsigned event(s). Authorizers whose baked policy lists no publishers reject signed events; deploy them with the publishers baked in before relying on this run.",
            args.conn.topic
        );
    }
    // One reading of the clock: the revision (milliseconds) and the checkpoint's time.
    let now_ms = authorizer::observe::unix_millis();
    let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    let clock = CheckpointClock {
        issued_at: rfc3339(now),
        now,
        now_ms,
        refresh_after_s: args.refresh_checkpoint_after,
        signing_kid: key.as_ref().map(|k| k.kid.clone()),
    };
    let run = plan(&doc, &state, signed, &clock).map_err(|e| e.to_string())?;
    let revision = run.revision;
    let resigned = resigned_publishers(&doc, &state, &run.changes);
    for w in resigned_publisher_warnings(&resigned, key.as_ref().map(|k| k.kid.as_str())) {
        eprintln!("warning: {}: {w}", args.conn.topic);
    }
    for c in &run.changes {
        let verb = match (c.op, c.previous) {
            (Op::Delete, _) => "delete",
            (Op::Upsert, None) => "add",
            (Op::Upsert, Some(_)) => "change",
        };
        println!(
            "{verb:<7} {}/{} (revision {} -> {revision})",
            c.kind.as_str(),
            c.id,
            c.previous.map_or("none".into(), |r| r.to_string())
        );
    }
    if let Some(cp) = &run.checkpoint {
        println!(
            "checkpoint {} entities at revision {revision}",
            cp.entities.len()
        );
    }
    if run.is_empty() {
        println!(
            "{}: up to date with {} (revision {})",
            args.conn.topic,
            args.policy.display(),
            state.max_revision
        );
        let watch = crate::fleet_cmd::begin(&args.wait, &cfg, args.conn.timeout())?;
        return crate::fleet_cmd::finish(watch, state.max_revision);
    }
    if args.dry_run {
        println!("dry run: {} change(s) not published", run.changes.len());
        return Ok(ExitCode::SUCCESS);
    }
    let watch = crate::fleet_cmd::begin(&args.wait, &cfg, args.conn.timeout())?;
    let n = publish(
        &cfg,
        &args.conn.brokers,
        &run,
        &clock.issued_at,
        key.as_ref(),
        args.conn.timeout(),
    )?;
    if args.tombstones {
        for c in run.changes.iter().filter(|c| c.op == Op::Delete) {
            tombstone(&cfg, &args.conn.brokers, c.kind, &c.id, args.conn.timeout())?;
        }
    }
    let events = n - usize::from(run.checkpoint.is_some());
    println!(
        "published {events} event(s) at revision {revision}{}{}",
        if run.checkpoint.is_some() {
            " and a checkpoint"
        } else {
            ""
        },
        key.as_ref()
            .map_or(String::new(), |k| format!(", signed by {}", k.kid))
    );
    crate::fleet_cmd::finish(watch, revision)
}

#[derive(Args)]
pub struct TailArgs {
    #[command(flatten)]
    conn: Connection,
    /// Start at the earliest offset instead of the end.
    #[arg(long)]
    from_beginning: bool,
    /// Judge validity against this policy's publisher keys and revisions (as an authorizer
    /// baked with it would).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Stop at the end of the topic instead of following it.
    #[arg(long)]
    no_follow: bool,
    /// Judge checkpoints as authorizers with this AUTHZ_CHECKPOINT_MAX_AGE_S would.
    #[arg(long, default_value_t = DEFAULT_CHECKPOINT_MAX_AGE_S, value_name = "SECONDS")]
    checkpoint_max_age: u64,
}

/// Where each record held for a retry (its signing kid not trusted yet) was, by key.
type Held = std::collections::HashMap<String, (u64, i32, i64, Option<i64>)>;

/// Applies one record and prints its verdict, then the verdicts of the records it let the
/// replica retry (its own key signed them): each at its original offset, `"retried": true`.
fn tail_record(replica: &mut Replica, held: &mut Held, r: &Record, now: i64) {
    let position = replica.position();
    let verdict = replica.apply(r.key.as_deref(), r.value.as_deref(), now);
    print_record(r, &verdict, None);
    if let (
        Applied::Rejected {
            reason: Rejection::BadSignature,
            ..
        },
        Some(key),
    ) = (&verdict, r.key.as_deref())
    {
        let key = String::from_utf8_lossy(key).into_owned();
        // Held: not every `bad_signature` is (a key known but a signature that fails).
        if replica.held_at(&key) == Some(position) {
            held.insert(key, (position, r.partition, r.offset, r.timestamp_ms));
        }
    }
    for retried in replica.retried() {
        let Some((_, partition, offset, timestamp_ms)) = held
            .remove(&retried.key)
            .filter(|(p, ..)| *p == retried.position)
        else {
            continue;
        };
        let original = Record {
            partition,
            offset,
            timestamp_ms,
            key: Some(retried.key.clone().into_bytes()),
            value: None,
        };
        print_record(&original, &retried.outcome, Some(r.offset));
    }
}

/// `retried_after`: the offset of the record whose key let this one be retried.
fn print_record(r: &Record, verdict: &Applied, retried_after: Option<i64>) {
    let key = r.key.as_deref().map(String::from_utf8_lossy);
    let (valid, revision, signed_by, reason) = match verdict {
        Applied::Upserted {
            revision,
            signed_by,
            ..
        }
        | Applied::Deleted {
            revision,
            signed_by,
            ..
        } => (true, Some(*revision), signed_by.clone(), None),
        Applied::Tombstone { .. } => (true, None, None, None),
        Applied::Checkpoint {
            revision,
            signed_by,
            fresh,
            ..
        } => (
            true,
            Some(*revision),
            Some(signed_by.clone()),
            (!fresh).then(|| "expired: older than --checkpoint-max-age; an authorizer whose replay finds no fresher one serves its baked policy".to_string()),
        ),
        Applied::Rejected { reason, detail } => (
            false,
            None,
            None,
            Some(format!("{}: {detail}", reason.as_str())),
        ),
    };
    let op = match verdict {
        Applied::Upserted { .. } => "upsert",
        Applied::Deleted { .. } => "delete",
        Applied::Tombstone { .. } => "tombstone",
        Applied::Checkpoint { .. } => "checkpoint",
        Applied::Rejected { .. } => "rejected",
    };
    let mut line = json!({"partition": r.partition, "offset": r.offset, "timestamp_ms": r.timestamp_ms, "key": key, "op": op,
                      "revision": revision, "valid": valid, "signed_by": signed_by, "reason": reason});
    if let Some(after) = retried_after {
        line["retried"] = json!(true);
        line["retried_after_offset"] = json!(after);
    }
    println!("{line}");
}

pub fn tail_cmd(args: TailArgs) -> Result<ExitCode, String> {
    let baked: Option<PolicyView> = match &args.policy {
        Some(p) => Some(
            load_policy(
                &std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read {}: {e}", p.display()))?,
            )
            .map_err(|e| format!("{} is invalid:\n{e}", p.display()))?,
        ),
        None => None,
    };
    let mut replica = Replica::new(baked).with_checkpoint_max_age(args.checkpoint_max_age);
    let cfg = args.conn.config();
    let (consumer, records) = read_records(
        &cfg,
        &args.conn.brokers,
        args.from_beginning,
        args.conn.timeout(),
    )?;
    let mut held = Held::new();
    let now = now_seconds();
    for r in &records {
        tail_record(&mut replica, &mut held, r, now);
    }
    if args.no_follow {
        return Ok(ExitCode::SUCCESS);
    }
    loop {
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                let r = Record {
                    partition: m.partition(),
                    offset: m.offset(),
                    timestamp_ms: m.timestamp().to_millis(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                };
                tail_record(&mut replica, &mut held, &r, now_seconds());
            }
            Some(Err(e)) => eprintln!("authz tail: {e}"),
            None => {}
        }
    }
}

#[derive(Subcommand)]
pub enum TopicCommand {
    /// Create the policy topic with the recommended configuration (compacted; see docs/policy-events.md).
    Create(TopicCreateArgs),
}

#[derive(Args)]
pub struct TopicCreateArgs {
    #[command(flatten)]
    conn: Connection,
    /// One partition keeps every change in order (needed for signed-mode key rotation).
    #[arg(long, default_value_t = 1)]
    partitions: i32,
    #[arg(long, default_value_t = 3)]
    replication_factor: i32,
    /// How long tombstones stay readable; authorizers frozen longer rebuild from offset 0.
    #[arg(long, default_value_t = 86_400_000)]
    delete_retention_ms: u64,
}

pub fn topic_cmd(cmd: TopicCommand) -> Result<ExitCode, String> {
    match cmd {
        TopicCommand::Create(args) => {
            let cfg = args.conn.config();
            create_topic(
                &cfg,
                &args.conn.brokers,
                args.partitions,
                args.replication_factor,
                args.delete_retention_ms,
                args.conn.timeout(),
            )?;
            let settings: Vec<String> = recommended_topic_config(args.delete_retention_ms)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            println!(
                "created {} ({} partition(s), replication {}): {}",
                args.conn.topic,
                args.partitions,
                args.replication_factor,
                settings.join(" ")
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
