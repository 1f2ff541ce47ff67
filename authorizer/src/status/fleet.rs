//! The fleet, from the status topic: the latest report of each environment, aggregated into
//! one row per gateway (live environments, revision, stale, behind, NACKs, versions), the
//! "reconciled M/N gateways at revision R" figure, and the progress of a rollout
//! (`authz publish --wait`). Pure: the reader passes the clock in.

use std::collections::{BTreeMap, BTreeSet};

use super::report::{GatewayId, RejectedEvent, StatusReport};
use crate::stream::event::Rejection;

/// How far in the future a report may be dated (clock skew) and still count as seen.
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;
/// The default `last_seen` window: an environment not heard of for longer has aged out.
pub const DEFAULT_AGE_OUT_MS: u64 = 10 * 60 * 1000;
/// An environment is *active* while heard of within this many of its report intervals: an
/// environment that is invoked reports at least once an interval, so one silent for longer
/// was not invoked (frozen) or is gone (reclaimed by Lambda). It is not waited for.
pub const ACTIVE_INTERVALS: u64 = 2;
/// The smallest report interval the active window is computed from (the reporter's minimum).
const MIN_INTERVAL_MS: u64 = 1_000;
/// Added to the active window: delivery time, the reader's polling and clock skew between
/// the reader and the environment (NTP-synced clocks are well inside it).
pub const ACTIVE_SLACK_MS: u64 = 30_000;

/// The latest report of each environment, by record key.
#[derive(Debug, Clone, Default)]
pub struct Reports(BTreeMap<String, StatusReport>);

impl Reports {
    /// Keeps `report` unless the environment already sent a later one (a higher `seq`): a
    /// replayed old record does not roll an environment back.
    pub fn observe(&mut self, report: StatusReport) -> bool {
        let key = report.key();
        match self.0.get(&key) {
            Some(held) if held.seq > report.seq => false,
            _ => {
                self.0.insert(key, report);
                true
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &StatusReport> {
        self.0.values()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the reader asks about.
#[derive(Debug, Clone)]
pub struct FleetQuery {
    pub now_ms: u64,
    pub age_out_ms: u64,
    /// The revision every gateway should enforce; default: the highest a live one reports.
    pub revision: Option<u64>,
    /// Only gateways of this API id.
    pub api: Option<String>,
}

impl FleetQuery {
    /// The aging rule of docs/fleet.md: live while `now - reported_at <= age_out`, and not
    /// dated more than the clock skew allowance into the future.
    pub fn is_live(&self, r: &StatusReport) -> bool {
        r.reported_at_ms <= self.now_ms.saturating_add(MAX_CLOCK_SKEW_MS)
            && self.now_ms.saturating_sub(r.reported_at_ms) <= self.age_out_ms
    }

    /// Live and heard of within [`ACTIVE_INTERVALS`] of its own report interval plus
    /// [`ACTIVE_SLACK_MS`]. Only active environments count as stale or behind, and only they
    /// are waited for: an idle one (frozen, or reclaimed by Lambda) brings its view up to date
    /// before its next decision, within the sync budget, and reports then. (NACKs count for
    /// every live environment: a refusal already reported is no missing evidence.)
    pub fn is_active(&self, r: &StatusReport) -> bool {
        let window = r
            .report_interval_ms
            .max(MIN_INTERVAL_MS)
            .saturating_mul(ACTIVE_INTERVALS)
            .saturating_add(ACTIVE_SLACK_MS);
        self.is_live(r) && self.now_ms.saturating_sub(r.reported_at_ms) <= window
    }

    fn wants(&self, r: &StatusReport) -> bool {
        self.api.as_deref().is_none_or(|a| a == r.api_id)
    }
}

/// The rejections an environment still stands by: a NACK is outstanding while nothing was
/// applied after it on its partition. Stale revisions (replays, duplicates) are no NACK:
/// they change nothing and need nothing done.
pub fn outstanding_nacks(r: &StatusReport) -> Vec<&RejectedEvent> {
    r.rejected
        .iter()
        .filter(|e| e.reason != Rejection::StaleRevision)
        .filter(|e| {
            r.offsets
                .iter()
                .find(|o| o.partition == e.partition)
                .is_none_or(|o| o.applied < e.offset)
        })
        .collect()
}

/// One environment as the fleet sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRow {
    /// The record key.
    pub key: String,
    pub environment: String,
    pub live: bool,
    /// Live and reported within [`ACTIVE_INTERVALS`] report intervals.
    pub active: bool,
    pub revision: u64,
    pub stale: bool,
    pub behind: bool,
    pub nacks: Vec<RejectedEvent>,
    pub last_seen_ms: u64,
}

/// One gateway: every environment that reported for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRow {
    pub id: GatewayId,
    pub api_ids: BTreeSet<String>,
    pub environments: Vec<EnvRow>,
    pub module_versions: BTreeSet<String>,
    /// `<build> <version>`, e.g. `rust 0.1.0`.
    pub authorizer_versions: BTreeSet<String>,
}

impl GatewayRow {
    fn live(&self) -> impl Iterator<Item = &EnvRow> {
        self.environments.iter().filter(|e| e.live)
    }
    fn active(&self) -> impl Iterator<Item = &EnvRow> {
        self.environments.iter().filter(|e| e.active)
    }
    pub fn live_count(&self) -> usize {
        self.live().count()
    }
    pub fn active_count(&self) -> usize {
        self.active().count()
    }
    pub fn is_live(&self) -> bool {
        self.live_count() > 0
    }
    pub fn stale(&self) -> usize {
        self.active().filter(|e| e.stale).count()
    }
    pub fn behind(&self) -> usize {
        self.active().filter(|e| e.behind).count()
    }
    /// Live environments with an outstanding NACK, idle ones included: a refusal reported
    /// stands until something newer is applied.
    pub fn nacking(&self) -> usize {
        self.live().filter(|e| !e.nacks.is_empty()).count()
    }
    /// The live environments' outstanding NACKs, one per record (partition, offset).
    pub fn nacks(&self) -> Vec<&RejectedEvent> {
        let mut seen = BTreeSet::new();
        self.live()
            .flat_map(|e| e.nacks.iter())
            .filter(|n| seen.insert((n.partition, n.offset)))
            .collect()
    }
    /// Lowest and highest revision among live environments.
    pub fn revisions(&self) -> Option<(u64, u64)> {
        let min = self.live().map(|e| e.revision).min()?;
        let max = self.live().map(|e| e.revision).max()?;
        Some((min, max))
    }
    pub fn last_seen_ms(&self) -> u64 {
        self.environments
            .iter()
            .map(|e| e.last_seen_ms)
            .max()
            .unwrap_or(0)
    }
    /// Live environments behind the target revision, idle ones included.
    pub fn behind_live(&self) -> usize {
        self.live().filter(|e| e.behind).count()
    }
    pub fn reconciled(&self) -> bool {
        self.is_live() && self.stale() == 0 && self.behind() == 0 && self.nacking() == 0
    }
    /// One word for the row: `reconciled`, `nacking`, `stale`, `behind` (worst first among
    /// the last three), `idle` (every live environment idle and behind: each catches up
    /// before its next decision; counted as reconciled) or `gone` (no live environment).
    pub fn state(&self) -> &'static str {
        if !self.is_live() {
            "gone"
        } else if self.nacking() > 0 {
            "nacking"
        } else if self.stale() > 0 {
            "stale"
        } else if self.behind() > 0 {
            "behind"
        } else if self.behind_live() == self.live_count() {
            "idle"
        } else {
            "reconciled"
        }
    }
}

/// The fleet at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetView {
    /// The revision gateways are measured against; `None` when nothing live reported.
    pub revision: Option<u64>,
    pub gateways: Vec<GatewayRow>,
}

impl FleetView {
    /// Gateways with at least one live environment.
    pub fn live(&self) -> usize {
        self.gateways.iter().filter(|g| g.is_live()).count()
    }
    pub fn reconciled(&self) -> usize {
        self.gateways.iter().filter(|g| g.reconciled()).count()
    }
    /// What a pipeline gates on: some environment is active (idle ones alone are no
    /// evidence) and every live gateway is reconciled.
    pub fn all_reconciled(&self) -> bool {
        self.gateways.iter().any(|g| g.active_count() > 0) && self.reconciled() == self.live()
    }
    /// `reconciled M/N gateways at revision R`.
    pub fn headline(&self) -> String {
        match self.revision {
            Some(r) => format!(
                "reconciled {}/{} gateways at revision {r}",
                self.reconciled(),
                self.live()
            ),
            None => "reconciled 0/0 gateways: no live gateway has reported".into(),
        }
    }
}

/// Aggregates the reports into one row per gateway.
pub fn fleet(reports: &Reports, q: &FleetQuery) -> FleetView {
    let wanted: Vec<&StatusReport> = reports.iter().filter(|r| q.wants(r)).collect();
    let revision = q.revision.or_else(|| {
        wanted
            .iter()
            .filter(|r| q.is_live(r))
            .map(|r| r.revision)
            .max()
    });
    let mut rows: BTreeMap<GatewayId, GatewayRow> = BTreeMap::new();
    for r in wanted {
        let row = rows.entry(r.gateway_id()).or_insert_with(|| GatewayRow {
            id: r.gateway_id(),
            api_ids: BTreeSet::new(),
            environments: Vec::new(),
            module_versions: BTreeSet::new(),
            authorizer_versions: BTreeSet::new(),
        });
        let live = q.is_live(r);
        if live {
            row.api_ids.insert(r.api_id.clone());
            row.module_versions.insert(r.module_version.clone());
            row.authorizer_versions
                .insert(format!("{} {}", r.authorizer_build, r.authorizer_version));
        }
        row.environments.push(EnvRow {
            key: r.key(),
            environment: r.environment.clone(),
            live,
            active: q.is_active(r),
            revision: r.revision,
            stale: r.stale,
            behind: revision.is_some_and(|target| r.revision < target),
            nacks: outstanding_nacks(r).into_iter().cloned().collect(),
            last_seen_ms: r.reported_at_ms,
        });
    }
    FleetView {
        revision,
        gateways: rows.into_values().collect(),
    }
}

/// Where a rollout stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RolloutProgress {
    /// Gateways all of whose live environments enforce the revision, with the time from
    /// publish to the last of them reporting it (ms).
    pub applied: Vec<(GatewayId, u64)>,
    /// Gateways still waited for, and why.
    pub waiting: Vec<(GatewayId, String)>,
    /// Gateways not waited for because only idle environments of theirs are behind (and
    /// none reported a refusal): each catches up before its next decision.
    pub idle: Vec<GatewayId>,
}

impl RolloutProgress {
    /// Nothing waited for, and some gateway confirmed the revision: idle gateways alone are
    /// no evidence that anything applied it.
    pub fn done(&self) -> bool {
        self.waiting.is_empty() && (!self.applied.is_empty() || self.idle.is_empty())
    }
}

/// A rollout of one revision: which gateways must report it, and when each environment
/// first did.
#[derive(Debug, Clone)]
pub struct Rollout {
    pub revision: u64,
    pub started_ms: u64,
    expected: BTreeSet<GatewayId>,
    first_at: BTreeMap<String, u64>,
}

impl Rollout {
    /// Every gateway live at the start is waited for; so is every gateway that reports later.
    pub fn new(revision: u64, started_ms: u64, at_start: &Reports, q: &FleetQuery) -> Self {
        let expected = at_start
            .iter()
            .filter(|r| q.wants(r) && q.is_live(r))
            .map(StatusReport::gateway_id)
            .collect();
        let mut rollout = Rollout {
            revision,
            started_ms,
            expected,
            first_at: BTreeMap::new(),
        };
        for r in at_start.iter() {
            rollout.note(r);
        }
        rollout
    }

    /// Notes a report read after the start.
    pub fn observe(&mut self, r: &StatusReport, q: &FleetQuery) {
        if q.wants(r) && q.is_live(r) {
            self.expected.insert(r.gateway_id());
        }
        self.note(r);
    }

    fn note(&mut self, r: &StatusReport) {
        if r.revision >= self.revision {
            self.first_at.entry(r.key()).or_insert(r.reported_at_ms);
        }
    }

    pub fn progress(&self, reports: &Reports, q: &FleetQuery) -> RolloutProgress {
        let q = FleetQuery {
            revision: Some(self.revision),
            ..q.clone()
        };
        let view = fleet(reports, &q);
        let mut out = RolloutProgress::default();
        for g in view
            .gateways
            .iter()
            .filter(|g| self.expected.contains(&g.id))
        {
            if !g.is_live() {
                continue; // aged out during the rollout: gone, not waited for
            }
            let live: Vec<&EnvRow> = g.live().collect();
            let nacks: Vec<String> = g
                .nacks()
                .iter()
                .filter(|n| n.revision.is_none_or(|r| r >= self.revision))
                .map(|n| {
                    format!(
                        "rejected {} at revision {}: {}",
                        n.key.as_deref().unwrap_or("(no key)"),
                        n.revision.map_or("?".into(), |r| r.to_string()),
                        n.reason.as_str()
                    )
                })
                .collect();
            let behind: Vec<&EnvRow> = live.iter().copied().filter(|e| e.behind).collect();
            let only_idle_behind = nacks.is_empty() && behind.iter().all(|e| !e.active);
            if only_idle_behind && behind.len() == live.len() && !behind.is_empty() {
                // Frozen or reclaimed since it last reported: nothing to wait for.
                out.idle.push(g.id.clone());
                continue;
            }
            if behind.is_empty() || only_idle_behind {
                // Every environment that still reports enforces the revision.
                let last = live
                    .iter()
                    .filter_map(|e| self.first_at.get(&e.key).copied())
                    .max()
                    .unwrap_or(self.started_ms);
                out.applied
                    .push((g.id.clone(), last.saturating_sub(self.started_ms)));
            } else {
                let revisions: BTreeSet<u64> = behind.iter().map(|e| e.revision).collect();
                let mut why = format!(
                    "{}/{} environment(s) at revision {}",
                    behind.len(),
                    live.len(),
                    revisions
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                );
                if behind.iter().any(|e| e.stale) {
                    why.push_str(", stale");
                }
                for n in nacks {
                    why.push_str("; ");
                    why.push_str(&n);
                }
                out.waiting.push((g.id.clone(), why));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::report::tests::identity;
    use super::super::report::{build_report, Ledger, Trigger, ViewState};
    use super::*;
    use crate::stream::replica::Applied;
    use proptest::prelude::*;

    const NOW: u64 = 100_000_000;

    fn env(n: u8) -> String {
        format!("{n:032x}")
    }

    fn report(gateway: &str, n: u8, revision: u64, at: u64) -> StatusReport {
        let view = ViewState {
            revision: Some(revision),
            caught_up: true,
            ..ViewState::default()
        };
        build_report(
            &identity(gateway, &env(n)),
            &Ledger::default(),
            view,
            Trigger::Apply,
            1,
            60_000,
            at,
        )
    }

    fn query() -> FleetQuery {
        FleetQuery {
            now_ms: NOW,
            age_out_ms: DEFAULT_AGE_OUT_MS,
            revision: None,
            api: None,
        }
    }

    fn reports(list: Vec<StatusReport>) -> Reports {
        let mut r = Reports::default();
        for x in list {
            r.observe(x);
        }
        r
    }

    fn nacking(gateway: &str, n: u8, revision: u64) -> StatusReport {
        let mut ledger = Ledger::default();
        ledger.record(
            0,
            3,
            Some(b"client/a"),
            None,
            &Applied::Tombstone {
                kind: crate::policy::EntityKind::Client,
                id: "a".into(),
            },
            1,
        );
        ledger.record(
            0,
            4,
            Some(b"client/b"),
            Some(br#"{"revision":9}"#),
            &Applied::Rejected {
                reason: Rejection::BadSignature,
                detail: "forged".into(),
            },
            2,
        );
        let view = ViewState {
            revision: Some(revision),
            caught_up: true,
            ..ViewState::default()
        };
        build_report(
            &identity(gateway, &env(n)),
            &ledger,
            view,
            Trigger::Apply,
            1,
            1,
            NOW,
        )
    }

    #[test]
    fn rows_per_gateway_reconciled_at_the_highest_live_revision() {
        let mut stale = report("billing", 3, 9, NOW - 5);
        stale.stale = true;
        let r = reports(vec![
            report("orders", 1, 9, NOW - 1000),
            report("orders", 2, 9, NOW - 10),
            stale,
            report("users", 4, 8, NOW),
            // Aged out: neither counted nor setting the revision.
            report("legacy", 5, 50, NOW - DEFAULT_AGE_OUT_MS - 1),
            nacking("search", 6, 9),
        ]);
        let v = fleet(&r, &query());
        assert_eq!(v.revision, Some(9));
        let states: Vec<(&str, &str)> = v
            .gateways
            .iter()
            .map(|g| (g.id.gateway.as_str(), g.state()))
            .collect();
        assert_eq!(
            states,
            [
                ("billing", "stale"),
                ("legacy", "gone"),
                ("orders", "reconciled"),
                ("search", "nacking"),
                ("users", "behind")
            ]
        );
        assert_eq!(v.headline(), "reconciled 1/4 gateways at revision 9");
        assert!(!v.all_reconciled());
        let orders = &v.gateways[2];
        assert_eq!(
            (
                orders.live_count(),
                orders.revisions(),
                orders.last_seen_ms()
            ),
            (2, Some((9, 9)), NOW - 10)
        );
        assert_eq!(
            orders.authorizer_versions.iter().collect::<Vec<_>>(),
            ["rust 0.1.0"]
        );
        let nacks = v.gateways[3].nacks();
        assert_eq!(
            (nacks.len(), nacks[0].revision, nacks[0].reason),
            (1, Some(9), Rejection::BadSignature)
        );
    }

    #[test]
    fn a_nack_clears_once_something_newer_is_applied_and_stale_revisions_are_no_nack() {
        let mut r = nacking("search", 1, 9);
        assert_eq!(outstanding_nacks(&r).len(), 1);
        r.offsets[0].applied = 5;
        assert!(outstanding_nacks(&r).is_empty());
        r.offsets[0].applied = 1;
        r.rejected[0].reason = Rejection::StaleRevision;
        assert!(outstanding_nacks(&r).is_empty());
    }

    #[test]
    fn the_query_filters_by_api_and_pins_the_revision() {
        let mut other = report("pay", 2, 12, NOW);
        other.api_id = "payments".into();
        let r = reports(vec![report("orders", 1, 9, NOW), other]);
        let q = FleetQuery {
            api: Some("orders".into()),
            ..query()
        };
        assert_eq!(
            fleet(&r, &q).headline(),
            "reconciled 1/1 gateways at revision 9"
        );
        let q = FleetQuery {
            revision: Some(10),
            ..query()
        };
        assert_eq!(
            fleet(&r, &q).headline(),
            "reconciled 1/2 gateways at revision 10"
        );
        assert!(
            !fleet(&Reports::default(), &query()).all_reconciled(),
            "nothing seen is no green light"
        );
    }

    #[test]
    fn a_replayed_older_report_or_one_from_the_future_does_not_count() {
        let mut newer = report("orders", 1, 9, NOW);
        newer.seq = 5;
        let mut older = report("orders", 1, 3, NOW);
        older.seq = 4;
        let r = reports(vec![newer, older]);
        assert_eq!(r.iter().next().map(|x| x.revision), Some(9));
        let future = reports(vec![report("orders", 1, 9, NOW + MAX_CLOCK_SKEW_MS + 1)]);
        assert_eq!(fleet(&future, &query()).live(), 0);
    }

    #[test]
    fn a_rollout_waits_for_every_live_gateway_and_times_each() {
        let start = reports(vec![
            report("orders", 1, 8, NOW - 50),
            report("users", 2, 8, NOW - 50),
            report("old", 3, 8, NOW - DEFAULT_AGE_OUT_MS - 1),
        ]);
        let q = query();
        let mut rollout = Rollout::new(9, NOW - 40, &start, &q);
        let mut now = start.clone();
        let p = rollout.progress(&now, &q);
        assert_eq!(p.waiting.len(), 2, "{p:?}");
        assert!(
            p.waiting[0].1.contains("1/1 environment(s) at revision 8"),
            "{p:?}"
        );
        let applied = report("orders", 1, 9, NOW - 10);
        rollout.observe(&applied, &q);
        now.observe(applied);
        let p = rollout.progress(&now, &q);
        assert_eq!(
            p.applied,
            [(
                GatewayId {
                    account: "123456789012".into(),
                    region: "eu-west-1".into(),
                    gateway: "orders".into()
                },
                30
            )]
        );
        assert_eq!(p.waiting.len(), 1);
        // A new gateway appearing mid-rollout is waited for too; a NACK is named.
        let n = nacking("search", 4, 8);
        rollout.observe(&n, &q);
        now.observe(n);
        let p = rollout.progress(&now, &q);
        assert!(
            p.waiting.iter().any(|(g, why)| g.gateway == "search"
                && why.contains("rejected client/b at revision 9: bad_signature")),
            "{p:?}"
        );
    }

    #[test]
    fn an_environment_silent_for_two_report_intervals_is_idle_and_not_waited_for() {
        // orders had two environments; Lambda reclaimed one (last report 3 minutes ago, at
        // the old revision, 60 s interval). quiet's only environment has not been invoked
        // for 5 minutes.
        let start = reports(vec![
            report("orders", 1, 8, NOW - 50),
            report("orders", 2, 8, NOW - 3 * 60_000),
            report("quiet", 3, 8, NOW - 5 * 60_000),
        ]);
        let q = query();
        let mut rollout = Rollout::new(9, NOW - 40, &start, &q);
        let mut now = start.clone();
        let applied = report("orders", 1, 9, NOW - 10);
        rollout.observe(&applied, &q);
        now.observe(applied);
        let p = rollout.progress(&now, &q);
        assert!(p.done(), "{p:?}");
        assert_eq!(p.applied.len(), 1, "{p:?}");
        assert_eq!(
            p.idle
                .iter()
                .map(|g| g.gateway.as_str())
                .collect::<Vec<_>>(),
            ["quiet"]
        );
        let v = fleet(
            &now,
            &FleetQuery {
                revision: Some(9),
                ..q.clone()
            },
        );
        let states: Vec<(&str, &str, usize, usize)> = v
            .gateways
            .iter()
            .map(|g| {
                (
                    g.id.gateway.as_str(),
                    g.state(),
                    g.active_count(),
                    g.live_count(),
                )
            })
            .collect();
        assert_eq!(
            states,
            [("orders", "reconciled", 1, 2), ("quiet", "idle", 0, 1)]
        );
        assert_eq!(v.headline(), "reconciled 2/2 gateways at revision 9");
    }

    #[test]
    fn the_active_window_is_two_of_the_environments_own_intervals() {
        let q = query();
        let mut r = report("orders", 1, 8, NOW - 2 * 60_000 - ACTIVE_SLACK_MS);
        assert!(q.is_active(&r), "exactly two intervals and the slack");
        r.reported_at_ms -= 1;
        assert!(!q.is_active(&r) && q.is_live(&r), "idle, still live");
        r.report_interval_ms = 600_000;
        assert!(q.is_active(&r), "a longer interval, a longer window");
        // A report claiming no interval gets the reporter's minimum, not a zero window.
        let mut r = report("orders", 1, 8, NOW - 1_500);
        r.report_interval_ms = 0;
        assert!(q.is_active(&r));
        r.reported_at_ms = NOW - 2_000 - ACTIVE_SLACK_MS - 1;
        assert!(!q.is_active(&r));
        r.report_interval_ms = u64::MAX;
        assert!(q.is_active(&r), "saturates instead of wrapping");
    }

    /// A report older than the active window (60 s interval): 3 minutes.
    const IDLE_AGE: u64 = 3 * 60_000;

    #[test]
    fn a_refusal_reported_by_an_environment_now_idle_keeps_the_rollout_waiting() {
        // The environment rejected revision 9 (reported at once), then went quiet: when it
        // thaws it refuses 9 again, so nothing about it is "catching up".
        let mut n = nacking("orders", 1, 8);
        n.reported_at_ms = NOW - IDLE_AGE;
        let start = reports(vec![n]);
        let q = query();
        let rollout = Rollout::new(9, NOW - 40, &start, &q);
        let p = rollout.progress(&start, &q);
        assert!(!p.done(), "{p:?}");
        assert!(p.waiting[0].1.contains("bad_signature"), "{p:?}");
        let v = fleet(
            &start,
            &FleetQuery {
                revision: Some(9),
                ..q
            },
        );
        assert_eq!(v.gateways[0].state(), "nacking");
        assert!(!v.all_reconciled());
    }

    #[test]
    fn idle_environments_alone_are_no_green_light() {
        let start = reports(vec![report("orders", 1, 8, NOW - IDLE_AGE)]);
        let q = query();
        let rollout = Rollout::new(9, NOW - 40, &start, &q);
        let p = rollout.progress(&start, &q);
        assert_eq!((p.applied.len(), p.idle.len()), (0, 1), "{p:?}");
        assert!(!p.done(), "nothing confirmed revision 9: {p:?}");
        let v = fleet(
            &start,
            &FleetQuery {
                revision: Some(9),
                ..q
            },
        );
        assert_eq!(v.gateways[0].state(), "idle");
        assert!(!v.all_reconciled(), "no active environment: the gate fails");
    }

    #[test]
    fn a_gateway_that_applied_stays_applied_when_it_goes_idle() {
        let start = reports(vec![report("orders", 1, 8, NOW - 50)]);
        let q = query();
        let mut rollout = Rollout::new(9, NOW - 40, &start, &q);
        let mut now = start.clone();
        let applied = report("orders", 1, 9, NOW - 10);
        rollout.observe(&applied, &q);
        now.observe(applied);
        let later = FleetQuery {
            now_ms: NOW + IDLE_AGE,
            ..q
        };
        let p = rollout.progress(&now, &later);
        assert_eq!((p.applied.len(), p.idle.len()), (1, 0), "{p:?}");
        assert!(p.done());
    }

    proptest! {
        /// Whatever the reports, M <= N, every counted gateway is live, and the exit gate
        /// holds exactly when every active environment is at the revision, fresh and
        /// NACK-free (idle environments catch up before their next decision).
        #[test]
        fn the_gate_is_the_conjunction_over_active_environments(
            envs in proptest::collection::vec((0u8..4, 0u8..16, 0u64..5, prop_oneof![0u64..200_000, 0u64..(2 * DEFAULT_AGE_OUT_MS)], any::<bool>(), any::<bool>()), 0..24),
            pinned in proptest::option::of(0u64..5),
        ) {
            let list: Vec<StatusReport> = envs.iter().map(|(g, n, rev, age, stale, nack)| {
                let mut r = if *nack { nacking(&format!("g{g}"), *n, *rev) } else { report(&format!("g{g}"), *n, *rev, NOW) };
                r.reported_at_ms = NOW - age;
                r.stale = *stale;
                r
            }).collect();
            let r = reports(list);
            let q = FleetQuery { revision: pinned, ..query() };
            let v = fleet(&r, &q);
            prop_assert!(v.reconciled() <= v.live());
            let live: Vec<&StatusReport> = r.iter().filter(|x| q.is_live(x)).collect();
            let target = pinned.or_else(|| live.iter().map(|x| x.revision).max());
            // The window written out again, not through is_active.
            let active = |x: &StatusReport| NOW - x.reported_at_ms <= 2 * x.report_interval_ms.max(1_000) + 30_000;
            let expected = live.iter().any(|x| active(x))
                && live.iter().all(|x| outstanding_nacks(x).is_empty())
                && live.iter().filter(|x| active(x)).all(|x| !x.stale && target.is_none_or(|t| x.revision >= t));
            prop_assert_eq!(v.all_reconciled(), expected);
        }

        /// Without NACKs, a gateway is waited for exactly when an active environment of it is
        /// behind, and the rollout is done when none is and some gateway confirmed the
        /// revision (or none is idle); every gateway lands in exactly one list.
        #[test]
        fn a_rollout_waits_for_exactly_the_active_environments_behind(
            envs in proptest::collection::vec((0u8..4, 0u8..16, 8u64..11, prop_oneof![0u64..200_000, 0u64..(2 * DEFAULT_AGE_OUT_MS)], prop_oneof![Just(1_000u64), Just(60_000u64)]), 0..24),
        ) {
            let list: Vec<StatusReport> = envs.iter().map(|(g, n, rev, age, interval)| {
                let mut r = report(&format!("g{g}"), *n, *rev, NOW - age);
                r.report_interval_ms = *interval;
                r
            }).collect();
            let r = reports(list);
            let q = query();
            let rollout = Rollout::new(10, NOW, &r, &q);
            let p = rollout.progress(&r, &q);
            let active = |x: &StatusReport| NOW - x.reported_at_ms <= 2 * x.report_interval_ms.max(1_000) + 30_000;
            let live = |x: &StatusReport| NOW - x.reported_at_ms <= DEFAULT_AGE_OUT_MS;
            let mut gateways = BTreeSet::new();
            for x in r.iter().filter(|x| live(x)) {
                gateways.insert(x.gateway.clone());
            }
            let waited = gateways.iter().filter(|g| r.iter().any(|x| &x.gateway == *g && active(x) && x.revision < 10)).count();
            let idle = gateways.iter().filter(|g| r.iter().filter(|x| &x.gateway == *g && live(x)).all(|x| !active(x) && x.revision < 10)).count();
            prop_assert_eq!(p.waiting.len(), waited, "{:?}", p);
            prop_assert_eq!(p.idle.len(), idle, "{:?}", p);
            prop_assert_eq!(p.applied.len() + p.waiting.len() + p.idle.len(), gateways.len());
            prop_assert_eq!(p.done(), waited == 0 && (idle == 0 || !p.applied.is_empty()), "{:?}", p);
        }
    }
}
