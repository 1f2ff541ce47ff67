//! `authz fleet` (one row per gateway from the status topic) and the `--wait` of
//! `authz publish` (until the active environments of every live gateway report the new
//! revision). docs/fleet.md is the contract; the aggregation is the library's `status::fleet`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use authorizer::config::{KafkaAuth, StreamConfig};
use authorizer::observe::unix_millis;
use authorizer::status::fleet::{outstanding_nacks, ACTIVE_INTERVALS};
use authorizer::status::{
    decode, fleet, FleetQuery, FleetView, Reports, Rollout, StatusError, STATUS_TOPIC,
};
use authorizer::stream::publish::{create_topic_with, read_records, Record};
use clap::Args;
use rdkafka::consumer::BaseConsumer;
use rdkafka::Message;
use serde_json::json;

use crate::stream_cmds::Auth;

/// A duration: `90` (seconds), `90s`, `500ms`, `2m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 500ms, 2m or 1h"))?;
    let ms = match unit {
        "" | "s" => n.checked_mul(1000),
        "ms" => Some(n),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => None,
    }
    .ok_or_else(|| format!("{text:?} is not a duration such as 90s, 500ms, 2m or 1h"))?;
    Ok(Duration::from_millis(ms))
}

#[derive(Args)]
pub struct FleetArgs {
    /// Bootstrap brokers, comma-separated.
    #[arg(long, env = "AUTHZ_KAFKA_BROKERS")]
    brokers: String,
    /// The status topic.
    #[arg(long, env = "AUTHZ_STATUS_TOPIC", default_value = STATUS_TOPIC)]
    status_topic: String,
    #[arg(long, value_enum, default_value = "plaintext")]
    auth: Auth,
    /// MSK cluster ARN (for its region, with --auth msk-iam).
    #[arg(long)]
    msk_cluster_arn: Option<String>,
    /// Only gateways of this API id.
    #[arg(long)]
    api: Option<String>,
    /// The revision every gateway should enforce (default: the highest a live one reports).
    #[arg(long)]
    revision: Option<u64>,
    /// An environment not heard of for longer has aged out (docs/fleet.md).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    age_out: Duration,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Create the status topic (compacted, 7-day retention) and exit.
    #[arg(long)]
    create_topic: bool,
    /// Replication factor for --create-topic.
    #[arg(long, default_value_t = 3)]
    replication_factor: i32,
    /// Partitions for --create-topic: as many as brokers, so the environments' status
    /// connections spread over them (docs/capacity.md).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..=1000))]
    partitions: i32,
    /// Seconds to wait for the broker.
    #[arg(long, default_value_t = 15)]
    timeout: u64,
}

/// The status topic's settings (docs/fleet.md).
pub fn status_topic_config() -> Vec<(&'static str, String)> {
    vec![
        ("cleanup.policy", "compact,delete".into()),
        ("retention.ms", "604800000".into()),
        ("min.compaction.lag.ms", "0".into()),
        ("segment.ms", "3600000".into()),
        ("max.message.bytes", "1048576".into()),
    ]
}

fn status_config(brokers: &str, topic: &str, auth: Auth, arn: Option<String>) -> StreamConfig {
    StreamConfig {
        brokers: Some(brokers.to_string()),
        msk_cluster_arn: arn,
        topic: topic.to_string(),
        auth: match auth {
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
        checkpoint_max_age_s: 86_400,
    }
}

/// Reads every status record; invalid ones are skipped and listed on stderr.
fn read_reports(
    cfg: &StreamConfig,
    timeout: Duration,
) -> Result<
    (
        BaseConsumer<authorizer::stream::kafka::GatewayContext>,
        Reports,
    ),
    String,
> {
    let brokers = cfg.brokers.clone().unwrap_or_default();
    let (consumer, records) = read_records(cfg, &brokers, true, timeout)
        .map_err(|e| format!("{e} (the status topic; `authz fleet --create-topic` creates it)"))?;
    let mut reports = Reports::default();
    let mut skipped = Vec::new();
    for r in &records {
        take(&mut reports, r, &mut skipped);
    }
    warn_skipped(&skipped);
    Ok((consumer, reports))
}

fn take(reports: &mut Reports, r: &Record, skipped: &mut Vec<(i32, i64, StatusError)>) -> bool {
    match decode(r.key.as_deref(), r.value.as_deref()) {
        Ok(report) => reports.observe(report),
        // A tombstone removes nothing we show: reports age out by last_seen.
        Err(StatusError::NoValue) => false,
        Err(e) => {
            skipped.push((r.partition, r.offset, e));
            false
        }
    }
}

fn warn_skipped(skipped: &[(i32, i64, StatusError)]) {
    if skipped.is_empty() {
        return;
    }
    eprintln!("skipped {} invalid status record(s):", skipped.len());
    for (p, o, e) in skipped.iter().take(5) {
        eprintln!("  partition {p} offset {o}: {e}");
    }
}

fn ago(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..=119 => format!("{s}s ago"),
        120..=7199 => format!("{}m ago", s / 60),
        _ => format!("{}h ago", s / 3600),
    }
}

fn table(view: &FleetView, now_ms: u64) -> String {
    let mut rows = vec![[
        "GATEWAY",
        "ACCOUNT/REGION",
        "STATE",
        "ENVS",
        "REVISION",
        "STALE",
        "NACKS",
        "LAST SEEN",
        "MODULE",
        "AUTHORIZER",
    ]
    .map(String::from)];
    for g in &view.gateways {
        let join = |s: &std::collections::BTreeSet<String>| {
            if s.is_empty() {
                "-".to_string()
            } else {
                s.iter().cloned().collect::<Vec<_>>().join(",")
            }
        };
        rows.push([
            g.id.gateway.clone(),
            format!("{}/{}", g.id.account, g.id.region),
            g.state().into(),
            format!("{}/{}", g.live_count(), g.environments.len()),
            match g.revisions() {
                Some((a, b)) if a == b => a.to_string(),
                Some((a, b)) => format!("{a}..{b}"),
                None => "-".into(),
            },
            g.stale().to_string(),
            g.nacking().to_string(),
            ago(now_ms, g.last_seen_ms()),
            join(&g.module_versions),
            join(&g.authorizer_versions),
        ]);
    }
    let widths: Vec<usize> = (0..10)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for g in &view.gateways {
        for n in g.nacks() {
            out.push_str(&format!(
                "nack {}: {} at revision {}: {}{} (partition {} offset {})\n",
                g.id.gateway,
                n.key.as_deref().unwrap_or("(no key)"),
                n.revision.map_or("?".into(), |r| r.to_string()),
                n.reason.as_str(),
                n.detail
                    .as_deref()
                    .map_or(String::new(), |d| format!(": {d}")),
                n.partition,
                n.offset
            ));
        }
    }
    out
}

fn as_json(view: &FleetView, reports: &Reports, q: &FleetQuery) -> serde_json::Value {
    let gateways: Vec<serde_json::Value> = view
        .gateways
        .iter()
        .map(|g| {
            let envs: Vec<serde_json::Value> = reports
                .iter()
                .filter(|r| r.gateway_id() == g.id && q.api.as_deref().is_none_or(|a| a == r.api_id))
                .map(|r| {
                    json!({"environment": r.environment, "live": q.is_live(r), "active": q.is_active(r), "revision": r.revision, "source": r.source,
                           "stale": r.stale, "staleness_ms": r.staleness_ms, "caught_up": r.caught_up,
                           "last_seen_ms": r.reported_at_ms, "rejected_total": r.rejected_total,
                           "nacks": outstanding_nacks(r), "module_version": r.module_version,
                           "authorizer": format!("{} {}", r.authorizer_build, r.authorizer_version), "log_stream": r.log_stream})
                })
                .collect();
            json!({"gateway": g.id.gateway, "account": g.id.account, "region": g.id.region, "api_ids": g.api_ids,
                   "state": g.state(), "live_environments": g.live_count(), "active_environments": g.active_count(), "environments": envs,
                   "revision": g.revisions().map(|(a, b)| json!({"min": a, "max": b})),
                   "stale": g.stale(), "behind": g.behind(), "nacking": g.nacking(), "nacks": g.nacks(),
                   "last_seen_ms": g.last_seen_ms(), "module_versions": g.module_versions,
                   "authorizer_versions": g.authorizer_versions})
        })
        .collect();
    json!({"revision": view.revision, "reconciled": view.reconciled(), "live": view.live(),
           "headline": view.headline(), "gateways": gateways})
}

pub fn fleet_cmd(args: FleetArgs) -> Result<ExitCode, String> {
    let cfg = status_config(
        &args.brokers,
        &args.status_topic,
        args.auth,
        args.msk_cluster_arn.clone(),
    );
    let timeout = Duration::from_secs(args.timeout);
    if args.create_topic {
        create_topic_with(
            &cfg,
            &args.brokers,
            args.partitions,
            args.replication_factor,
            &status_topic_config(),
            timeout,
        )?;
        println!(
            "created {} ({} partition(s); compact,delete; retention 7 days)",
            args.status_topic, args.partitions
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (_, reports) = read_reports(&cfg, timeout)?;
    let q = FleetQuery {
        now_ms: unix_millis(),
        age_out_ms: args.age_out.as_millis() as u64,
        revision: args.revision,
        api: args.api.clone(),
    };
    let view = fleet(&reports, &q);
    if args.json {
        println!("{}", as_json(&view, &reports, &q));
    } else {
        println!("{}", view.headline());
        print!("{}", table(&view, q.now_ms));
    }
    Ok(if view.all_reconciled() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `authz publish --wait [TIMEOUT]`.
#[derive(Args)]
pub struct WaitArgs {
    /// After publishing, wait until every live gateway's active environments report the new
    /// revision (default timeout 2m); exit 1 naming the laggards on timeout.
    #[arg(long, num_args = 0..=1, default_missing_value = "2m", value_parser = parse_duration, value_name = "TIMEOUT")]
    wait: Option<Duration>,
    /// The status topic --wait reads.
    #[arg(long, env = "AUTHZ_STATUS_TOPIC", default_value = STATUS_TOPIC)]
    status_topic: String,
    /// Environments not heard of for longer are not waited for (docs/fleet.md).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    age_out: Duration,
}

/// The fleet as it was when a publish started.
pub struct Watch {
    consumer: BaseConsumer<authorizer::stream::kafka::GatewayContext>,
    reports: Reports,
    started: Instant,
    started_ms: u64,
    timeout: Duration,
    query: FleetQuery,
    topic: String,
}

/// Before publishing: reads the status topic, so the gateways live now are waited for.
pub fn begin(
    args: &WaitArgs,
    policy: &StreamConfig,
    timeout: Duration,
) -> Result<Option<Watch>, String> {
    let Some(wait) = args.wait else {
        return Ok(None);
    };
    let cfg = StreamConfig {
        topic: args.status_topic.clone(),
        ..policy.clone()
    };
    let started = Instant::now();
    let started_ms = unix_millis();
    let (consumer, reports) = read_reports(&cfg, timeout)?;
    Ok(Some(Watch {
        consumer,
        reports,
        started,
        started_ms,
        timeout: wait,
        query: FleetQuery {
            now_ms: started_ms,
            age_out_ms: args.age_out.as_millis() as u64,
            revision: None,
            api: None,
        },
        topic: args.status_topic.clone(),
    }))
}

/// After publishing `revision`: waits for the rollout (when `--wait` was given).
pub fn finish(watch: Option<Watch>, revision: u64) -> Result<ExitCode, String> {
    let Some(mut w) = watch else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut rollout = Rollout::new(revision, w.started_ms, &w.reports, &w.query);
    let mut printed = std::collections::BTreeSet::new();
    let mut skipped = Vec::new();
    let mut polled = false;
    loop {
        w.query.now_ms = unix_millis();
        let p = rollout.progress(&w.reports, &w.query);
        for (g, ms) in &p.applied {
            if printed.insert(g.clone()) {
                println!(
                    "applied {} ({}/{}) in {ms} ms",
                    g.gateway, g.account, g.region
                );
            }
        }
        let seen = !p.applied.is_empty() || !p.waiting.is_empty() || !p.idle.is_empty();
        // Judged only after a first read of what arrived since the publish.
        if seen && p.done() && polled {
            warn_skipped(&skipped);
            for g in &p.idle {
                println!(
                    "idle {} ({}/{}): no environment reported within {ACTIVE_INTERVALS} report intervals (frozen or reclaimed); each catches up before its next decision, not waited for",
                    g.gateway, g.account, g.region
                );
            }
            println!(
                "rolled out revision {revision} to {} gateway(s) in {} ms",
                p.applied.len(),
                w.started.elapsed().as_millis()
            );
            return Ok(ExitCode::SUCCESS);
        }
        if w.started.elapsed() >= w.timeout {
            warn_skipped(&skipped);
            if !seen {
                println!(
                    "timed out after {} s: no live gateway reports on {}",
                    w.timeout.as_secs(),
                    w.topic
                );
            } else {
                println!(
                    "timed out after {} s: {} gateway(s) not at revision {revision}:",
                    w.timeout.as_secs(),
                    p.waiting.len() + p.idle.len()
                );
                for (g, why) in &p.waiting {
                    println!("  {} ({}/{}): {why}", g.gateway, g.account, g.region);
                }
                for g in &p.idle {
                    println!(
                        "  {} ({}/{}): idle, behind and not confirmed",
                        g.gateway, g.account, g.region
                    );
                }
            }
            return Ok(ExitCode::from(1));
        }
        // Read everything that has arrived before judging again: an environment may count as
        // idle only when no newer report of it is waiting to be read.
        let mut wait = Duration::from_millis(100);
        while let Some(Ok(m)) = w.consumer.poll(wait) {
            wait = Duration::ZERO;
            let r = Record {
                partition: m.partition(),
                offset: m.offset(),
                timestamp_ms: m.timestamp().to_millis(),
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
            };
            if let Ok(report) = decode(r.key.as_deref(), r.value.as_deref()) {
                rollout.observe(&report, &w.query);
            }
            take(&mut w.reports, &r, &mut skipped);
        }
        polled = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "s", "1d", "-1s", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
