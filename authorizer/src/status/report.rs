//! One environment's status report (`schema/gateway-status.v1.json`): the record, its key
//! on the status topic, encoding and checked decoding, and how it is built from what the
//! authorizer knows (its [`Ledger`] of applied and rejected policy records). Pure.

use std::collections::{BTreeMap, VecDeque};

use base64::Engine;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::stream::event::Rejection;
use crate::stream::replica::Applied;

/// The `schema` of every v1 status report.
pub const STATUS_SCHEMA: &str = "gateway-status/v1";
/// The status topic's default name.
pub const STATUS_TOPIC: &str = "gateway-status.v1";
/// How many rejections a report carries (the most recent ones).
pub const MAX_REJECTIONS: usize = 16;
/// The largest status record value a reader accepts.
pub const MAX_REPORT_BYTES: usize = 64 * 1024;
const MAX_LABEL: usize = 128;
const MAX_TEXT: usize = 256;
const MAX_LOG_STREAM: usize = 512;
const MAX_PARTITIONS: usize = 256;

/// Where the view in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// No policy at all: every request is denied `no_policy`.
    None,
    /// The baked document only.
    Baked,
    /// The baked document with policy events applied.
    Stream,
}

/// Why the report was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A new view was swapped in.
    Apply,
    /// A decision was made and the last report was older than the interval.
    Invocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionOffset {
    pub partition: i32,
    /// Offset of the last record applied on this partition.
    pub applied: i64,
}

/// A policy record the environment refused: its NACK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectedEvent {
    pub partition: i32,
    pub offset: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The revision the record claims, unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    pub reason: Rejection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub at_ms: u64,
}

/// Who reports: fixed for an environment's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub gateway: String,
    pub api_id: String,
    pub account: String,
    pub region: String,
    pub module_version: String,
    pub authorizer_build: String,
    pub authorizer_version: String,
    pub environment: String,
    pub log_stream: Option<String>,
    pub started_at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusReport {
    pub schema: String,
    pub gateway: String,
    pub api_id: String,
    pub account: String,
    pub region: String,
    pub module_version: String,
    pub authorizer_build: String,
    pub authorizer_version: String,
    pub environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
    pub started_at_ms: u64,
    pub reported_at_ms: u64,
    pub seq: u64,
    pub trigger: Trigger,
    pub report_interval_ms: u64,
    pub revision: u64,
    pub source: Source,
    pub offsets: Vec<PartitionOffset>,
    pub caught_up: bool,
    pub stale: bool,
    pub staleness_ms: u64,
    pub rejected_total: u64,
    pub rejected: Vec<RejectedEvent>,
}

/// The gateway a report belongs to: reports of one gateway are aggregated into one row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GatewayId {
    pub account: String,
    pub region: String,
    pub gateway: String,
}

impl std::fmt::Display for GatewayId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.account, self.region, self.gateway)
    }
}

impl StatusReport {
    /// The record key: `<account>/<region>/<gateway>/<environment>`.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.account, self.region, self.gateway, self.environment
        )
    }

    pub fn gateway_id(&self) -> GatewayId {
        GatewayId {
            account: self.account.clone(),
            region: self.region.clone(),
            gateway: self.gateway.clone(),
        }
    }
}

/// Why a status record cannot be read. Readers skip such records and count them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatusError {
    #[error("the record has no value (a tombstone); nothing to read")]
    NoValue,
    #[error("the value is {0} bytes, over the {MAX_REPORT_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("the value is not a gateway-status/v1 JSON object: {0}")]
    Malformed(String),
    #[error("schema {0:?} is not gateway-status/v1")]
    UnknownSchema(String),
    #[error("field {field}: {problem}")]
    Field {
        field: &'static str,
        problem: &'static str,
    },
    #[error("the record key {key:?} is not the value's <account>/<region>/<gateway>/<environment> ({expected:?})")]
    KeyMismatch { key: String, expected: String },
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:@+-".contains(&b))
}

fn is_printable(s: &str, max: usize) -> bool {
    s.len() <= max && s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// `s` with every byte outside printable ASCII replaced by `?`, cut to `max` bytes: record
/// keys and details come from whoever wrote the policy topic and end up on terminals.
pub fn printable(bytes: &[u8], max: usize) -> String {
    bytes
        .iter()
        .take(max)
        .map(|b| {
            if (0x20..=0x7e).contains(b) {
                *b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// A label for the report (identity fields): `value` when it is one, else `fallback`.
pub fn label_or(value: Option<&str>, fallback: &str) -> String {
    value
        .map(str::trim)
        .filter(|v| is_label(v))
        .unwrap_or(fallback)
        .to_string()
}

/// Checks what the schema checks, naming the field.
pub fn validate(r: &StatusReport) -> Result<(), StatusError> {
    let field =
        |field: &'static str, problem: &'static str| Err(StatusError::Field { field, problem });
    if r.schema != STATUS_SCHEMA {
        return Err(StatusError::UnknownSchema(printable(
            r.schema.as_bytes(),
            64,
        )));
    }
    for (name, value) in [
        ("gateway", &r.gateway),
        ("api_id", &r.api_id),
        ("account", &r.account),
        ("region", &r.region),
        ("module_version", &r.module_version),
        ("authorizer_build", &r.authorizer_build),
        ("authorizer_version", &r.authorizer_version),
    ] {
        if !is_label(value) {
            return field(name, "must be 1 to 128 of A-Z a-z 0-9 . _ : @ + -");
        }
    }
    if r.environment.len() != 32
        || !r
            .environment
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return field("environment", "must be 32 lowercase hex digits");
    }
    if r.log_stream
        .as_deref()
        .is_some_and(|s| !is_printable(s, MAX_LOG_STREAM))
    {
        return field(
            "log_stream",
            "must be at most 512 printable ASCII characters",
        );
    }
    if r.seq == 0 {
        return field("seq", "must be at least 1");
    }
    if r.offsets.len() > MAX_PARTITIONS {
        return field("offsets", "must list at most 256 partitions");
    }
    if r.offsets.iter().any(|o| o.partition < 0 || o.applied < 0) {
        return field("offsets", "partitions and offsets must not be negative");
    }
    if r.rejected.len() > MAX_REJECTIONS {
        return field("rejected", "must list at most 16 rejections");
    }
    for e in &r.rejected {
        if e.partition < 0 || e.offset < 0 {
            return field("rejected", "partitions and offsets must not be negative");
        }
        let bad_text =
            |t: &Option<String>| t.as_deref().is_some_and(|s| !is_printable(s, MAX_TEXT));
        if bad_text(&e.key) || bad_text(&e.detail) {
            return field(
                "rejected",
                "key and detail must be at most 256 printable ASCII characters",
            );
        }
    }
    Ok(())
}

/// The record value of a report (compact JSON).
pub fn encode(report: &StatusReport) -> String {
    // A struct of strings, numbers and enums always serializes.
    serde_json::to_string(report).unwrap_or_default()
}

/// Reads a status record: the value must be a valid v1 report and the key, when present,
/// must be the report's own.
pub fn decode(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<StatusReport, StatusError> {
    let value = value.ok_or(StatusError::NoValue)?;
    if value.len() > MAX_REPORT_BYTES {
        return Err(StatusError::TooLarge(value.len()));
    }
    // serde's messages quote the offending text: keep them printable too.
    let malformed = |e: serde_json::Error| {
        StatusError::Malformed(printable(e.to_string().as_bytes(), MAX_TEXT))
    };
    let raw: serde_json::Value = serde_json::from_slice(value).map_err(malformed)?;
    if let Some(schema) = raw.get("schema").and_then(|s| s.as_str()) {
        if schema != STATUS_SCHEMA {
            return Err(StatusError::UnknownSchema(printable(schema.as_bytes(), 64)));
        }
    }
    let report: StatusReport = serde_json::from_value(raw).map_err(malformed)?;
    validate(&report)?;
    if let Some(key) = key {
        let expected = report.key();
        if key != expected.as_bytes() {
            return Err(StatusError::KeyMismatch {
                key: printable(key, MAX_TEXT),
                expected,
            });
        }
    }
    Ok(report)
}

/// The revision a policy record claims, read without trusting it: from the JSON event, or
/// from the payload of a compact JWS. `None` when neither reads.
pub fn claimed_revision(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let json: serde_json::Value = if text.starts_with('{') {
        serde_json::from_str(text).ok()?
    } else {
        let mut parts = text.split('.');
        let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next())
        else {
            return None;
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?;
        serde_json::from_slice(&bytes).ok()?
    };
    json.get("revision")?.as_u64()
}

/// What an environment remembers of the policy records it read, for its reports.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    applied: BTreeMap<i32, i64>,
    rejected: VecDeque<RejectedEvent>,
    rejected_total: u64,
    /// A policy event was applied (the view is more than the baked document).
    streamed: bool,
}

impl Ledger {
    /// Notes one policy record and what the replica made of it.
    pub fn record(
        &mut self,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        outcome: &Applied,
        now_ms: u64,
    ) {
        match outcome {
            Applied::Rejected { reason, detail } => {
                self.rejected_total += 1;
                if self.rejected.len() == MAX_REJECTIONS {
                    self.rejected.pop_front();
                }
                self.rejected.push_back(RejectedEvent {
                    partition,
                    offset,
                    key: key.map(|k| printable(k, MAX_TEXT)),
                    revision: value.and_then(claimed_revision),
                    reason: *reason,
                    detail: Some(printable(detail.as_bytes(), MAX_TEXT)),
                    at_ms: now_ms,
                });
            }
            _ => {
                self.streamed = true;
                let slot = self.applied.entry(partition).or_insert(offset);
                *slot = (*slot).max(offset);
            }
        }
    }

    pub fn streamed(&self) -> bool {
        self.streamed
    }
}

/// The state of the view as a report states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewState {
    /// The revision of the view in force; `None` when there is no policy.
    pub revision: Option<u64>,
    pub caught_up: bool,
    pub stale: bool,
    pub staleness_ms: u64,
}

/// Builds the report an environment sends.
pub fn build_report(
    identity: &Identity,
    ledger: &Ledger,
    view: ViewState,
    trigger: Trigger,
    seq: u64,
    report_interval_ms: u64,
    now_ms: u64,
) -> StatusReport {
    let source = match view.revision {
        None => Source::None,
        Some(_) if ledger.streamed => Source::Stream,
        Some(_) => Source::Baked,
    };
    StatusReport {
        schema: STATUS_SCHEMA.into(),
        gateway: identity.gateway.clone(),
        api_id: identity.api_id.clone(),
        account: identity.account.clone(),
        region: identity.region.clone(),
        module_version: identity.module_version.clone(),
        authorizer_build: identity.authorizer_build.clone(),
        authorizer_version: identity.authorizer_version.clone(),
        environment: identity.environment.clone(),
        log_stream: identity.log_stream.clone(),
        started_at_ms: identity.started_at_ms,
        reported_at_ms: now_ms,
        seq: seq.max(1),
        trigger,
        report_interval_ms,
        revision: view.revision.unwrap_or(0),
        source,
        offsets: ledger
            .applied
            .iter()
            .take(MAX_PARTITIONS)
            .map(|(p, o)| PartitionOffset {
                partition: *p,
                applied: *o,
            })
            .collect(),
        caught_up: view.caught_up,
        stale: view.stale,
        staleness_ms: view.staleness_ms,
        rejected_total: ledger.rejected_total,
        rejected: ledger.rejected.iter().cloned().collect(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn identity(gateway: &str, environment: &str) -> Identity {
        Identity {
            gateway: gateway.into(),
            api_id: "orders".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            module_version: "1.4.0".into(),
            authorizer_build: "rust".into(),
            authorizer_version: "0.1.0".into(),
            environment: environment.into(),
            log_stream: Some("2026/12/02/[$LATEST]0123abcd".into()),
            started_at_ms: 1_000,
        }
    }

    pub(crate) const ENV_A: &str = "0123456789abcdef0123456789abcdef";

    fn rejected(reason: Rejection) -> Applied {
        Applied::Rejected {
            reason,
            detail: "signature does not verify".into(),
        }
    }

    fn applied() -> Applied {
        Applied::Tombstone {
            kind: crate::policy::EntityKind::Client,
            id: "x".into(),
        }
    }

    #[test]
    fn a_report_round_trips_with_its_key_and_names_only_schema_fields() {
        let mut ledger = Ledger::default();
        ledger.record(0, 4, Some(b"client/a"), Some(b"{}"), &applied(), 10);
        ledger.record(
            0,
            5,
            Some(b"client/\x1b[31mred"),
            Some(br#"{"revision": 43}"#),
            &rejected(Rejection::BadSignature),
            11,
        );
        let view = ViewState {
            revision: Some(42),
            caught_up: true,
            stale: false,
            staleness_ms: 3,
        };
        let r = build_report(
            &identity("orders", ENV_A),
            &ledger,
            view,
            Trigger::Apply,
            1,
            60_000,
            20,
        );
        assert_eq!(r.source, Source::Stream);
        assert_eq!(
            r.offsets,
            [PartitionOffset {
                partition: 0,
                applied: 4
            }]
        );
        assert_eq!(r.rejected[0].revision, Some(43));
        assert_eq!(r.rejected[0].key.as_deref(), Some("client/?[31mred"));
        let key = r.key();
        assert_eq!(key, format!("123456789012/eu-west-1/orders/{ENV_A}"));
        let text = encode(&r);
        assert_eq!(decode(Some(key.as_bytes()), Some(text.as_bytes())), Ok(r));

        // Every member the encoder writes is one the schema lists, and every required one is written.
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../schema/gateway-status.v1.json"))
                .expect("schema is JSON");
        let props = schema["properties"].as_object().expect("properties");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        for k in value.as_object().expect("object").keys() {
            assert!(props.contains_key(k), "{k} not in the schema");
        }
        for k in schema["required"].as_array().expect("required") {
            assert!(
                value.get(k.as_str().expect("name")).is_some(),
                "{k} missing"
            );
        }
        let reasons = &props["rejected"]["items"]["properties"]["reason"]["enum"];
        assert_eq!(reasons.as_array().map(Vec::len), Some(9));
    }

    #[test]
    fn source_is_none_baked_or_stream() {
        let id = identity("orders", ENV_A);
        let mut ledger = Ledger::default();
        let at = |ledger: &Ledger, revision| {
            let view = ViewState {
                revision,
                ..ViewState::default()
            };
            build_report(&id, ledger, view, Trigger::Invocation, 1, 1, 1).source
        };
        assert_eq!(at(&ledger, None), Source::None);
        assert_eq!(at(&ledger, Some(7)), Source::Baked);
        ledger.record(0, 0, None, None, &rejected(Rejection::Malformed), 1);
        assert_eq!(
            at(&ledger, Some(7)),
            Source::Baked,
            "a rejection applies nothing"
        );
        ledger.record(0, 1, None, None, &applied(), 1);
        assert_eq!(at(&ledger, Some(7)), Source::Stream);
    }

    #[test]
    fn bad_records_are_refused_naming_the_field() {
        let r = build_report(
            &identity("orders", ENV_A),
            &Ledger::default(),
            ViewState::default(),
            Trigger::Apply,
            1,
            1,
            1,
        );
        let good = encode(&r);
        let key = r.key();
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v: serde_json::Value = serde_json::from_str(&good).expect("json");
            f(&mut v);
            v.to_string()
        };
        let cases: Vec<(String, &str)> = vec![
            (with(&|v| v["gateway"] = "or ders".into()), "field gateway"),
            (with(&|v| v["gateway"] = "a/b".into()), "field gateway"),
            (
                with(&|v| v["environment"] = "xyz".into()),
                "field environment",
            ),
            (with(&|v| v["seq"] = 0.into()), "field seq"),
            (
                with(&|v| v["log_stream"] = "\u{1b}]0;pwned\u{7}".into()),
                "field log_stream",
            ),
            (
                with(&|v| v["schema"] = "gateway-status/v2".into()),
                "is not gateway-status/v1",
            ),
            (with(&|v| v["extra"] = 1.into()), "unknown field"),
            (
                with(&|v| v["revision"] = (-1).into()),
                "not a gateway-status/v1",
            ),
            ("[1]".into(), "not a gateway-status/v1"),
        ];
        for (value, expected) in cases {
            let err = decode(Some(key.as_bytes()), Some(value.as_bytes())).expect_err(&value);
            assert!(err.to_string().contains(expected), "{value}: {err}");
        }
        let err = decode(
            None,
            Some(b"{\"schema\": \"gateway-status/v1\", \"gateway\": 1, \"x\": \"\x1b[2J\"}"),
        )
        .expect_err("type");
        assert!(
            err.to_string().bytes().all(|b| (0x20..=0x7e).contains(&b)),
            "{err:?}"
        );
        let err = decode(Some(b"someone/else"), Some(good.as_bytes())).expect_err("key");
        assert!(matches!(err, StatusError::KeyMismatch { .. }), "{err}");
        assert_eq!(
            decode(Some(key.as_bytes()), None),
            Err(StatusError::NoValue)
        );
        let huge = vec![b' '; MAX_REPORT_BYTES + 1];
        assert!(matches!(
            decode(None, Some(&huge)),
            Err(StatusError::TooLarge(_))
        ));
    }

    #[test]
    fn the_claimed_revision_reads_from_json_and_jws_and_never_panics() {
        assert_eq!(claimed_revision(br#"{"revision": 9}"#), Some(9));
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"revision":12}"#);
        assert_eq!(
            claimed_revision(format!("eyJhbGciOiJFZERTQSJ9.{payload}.c2ln").as_bytes()),
            Some(12)
        );
        assert_eq!(claimed_revision(b"a.b.c.d"), None);
        assert_eq!(claimed_revision(b"\xff\xfe"), None);
        assert_eq!(claimed_revision(br#"{"revision": -1}"#), None);
    }

    #[test]
    fn the_ledger_keeps_the_last_sixteen_rejections_and_counts_all() {
        let mut ledger = Ledger::default();
        for offset in 0..40 {
            ledger.record(1, offset, None, None, &rejected(Rejection::Unsigned), 1);
        }
        let r = build_report(
            &identity("g", ENV_A),
            &ledger,
            ViewState::default(),
            Trigger::Apply,
            1,
            1,
            1,
        );
        assert_eq!(r.rejected_total, 40);
        assert_eq!(r.rejected.len(), MAX_REJECTIONS);
        assert_eq!(r.rejected.first().map(|e| e.offset), Some(24));
        assert!(validate(&r).is_ok());
    }

    pub(crate) const ENV_B: &str = "fedcba9876543210fedcba9876543210";

    /// The states of the golden encodings in testdata/: authorizer-ts/test/status.test.ts
    /// builds the same states and must write the same bytes.
    fn golden_states() -> Vec<(&'static str, StatusReport)> {
        let mut stream = Ledger::default();
        stream.record(0, 4, Some(b"client/a"), Some(b"{}"), &applied(), 10);
        stream.record(
            0,
            5,
            Some(b"client/\x1b[31mred"),
            Some(br#"{"revision": 43}"#),
            &rejected(Rejection::BadSignature),
            11,
        );
        stream.record(
            1,
            9,
            None,
            Some(b"eyJhbGciOiJFZERTQSJ9.eyJyZXZpc2lvbiI6MTJ9.c2ln"),
            &Applied::Rejected {
                reason: Rejection::Unsigned,
                detail: "caf\u{e9} \u{7}bell".into(),
            },
            12,
        );
        stream.record(1, 2, Some(b"api/orders"), None, &applied(), 13);
        // A lower offset than the one held: the partition's offset stays 4.
        stream.record(0, 3, Some(b"client/b"), None, &applied(), 14);
        let fresh = ViewState {
            revision: Some(42),
            caught_up: true,
            stale: false,
            staleness_ms: 3,
        };
        let stream = build_report(
            &identity("orders", ENV_A),
            &stream,
            fresh,
            Trigger::Apply,
            7,
            60_000,
            20,
        );

        let mut billing = identity("billing", ENV_B);
        billing.log_stream = None;
        let none = build_report(
            &billing,
            &Ledger::default(),
            ViewState::default(),
            Trigger::Invocation,
            0,
            1_000,
            5,
        );

        let mut full = Ledger::default();
        for offset in 0..20i64 {
            let key = format!("client/c{offset}");
            let value = format!("{{\"revision\": {}}}", 100 + offset);
            full.record(
                2,
                offset,
                Some(key.as_bytes()),
                Some(value.as_bytes()),
                &rejected(Rejection::StaleRevision),
                30 + offset as u64,
            );
        }
        let stale = ViewState {
            revision: Some(u64::MAX),
            caught_up: false,
            stale: true,
            staleness_ms: 5_000,
        };
        let rejections = build_report(
            &identity("orders", ENV_A),
            &full,
            stale,
            Trigger::Invocation,
            3,
            60_000,
            99,
        );
        vec![
            ("stream", stream),
            ("none", none),
            ("rejections", rejections),
        ]
    }

    #[test]
    fn reports_encode_to_the_golden_files_both_builds_match() {
        for (name, report) in golden_states() {
            let path = format!(
                "{}/src/status/testdata/report-{name}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let golden = std::fs::read_to_string(&path).expect("golden file");
            let text = encode(&report);
            assert_eq!(text, golden.trim_end(), "{path}");
            assert_eq!(
                decode(Some(report.key().as_bytes()), Some(text.as_bytes())),
                Ok(report),
                "{path}"
            );
        }
    }

    proptest! {
        /// Whatever policy records an environment reads (hostile keys and values included),
        /// its report is valid, decodes back to itself and stays under the size limit.
        #[test]
        fn any_ledger_gives_a_valid_report_that_round_trips(
            records in proptest::collection::vec(
                (0i32..4, 0i64..1_000_000, proptest::option::of(proptest::collection::vec(any::<u8>(), 0..400)),
                 proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)), any::<bool>(), ".{0,300}"),
                0..60),
            revision in proptest::option::of(any::<u64>()),
            stale in any::<bool>(),
        ) {
            let mut ledger = Ledger::default();
            for (p, o, key, value, ok, detail) in &records {
                let outcome = if *ok { applied() } else { Applied::Rejected { reason: Rejection::BadSignature, detail: detail.clone() } };
                ledger.record(*p, *o, key.as_deref(), value.as_deref(), &outcome, 5);
            }
            let view = ViewState { revision, caught_up: true, stale, staleness_ms: 9 };
            let r = build_report(&identity("orders", ENV_A), &ledger, view, Trigger::Invocation, 3, 1, 7);
            let text = encode(&r);
            prop_assert!(text.len() < MAX_REPORT_BYTES);
            prop_assert_eq!(decode(Some(r.key().as_bytes()), Some(text.as_bytes())), Ok(r));
        }

        /// Arbitrary bytes as a status record: an error or a valid report, never a panic.
        #[test]
        fn any_bytes_decode_to_an_error_or_a_valid_report(
            key in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80)),
            value in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            if let Ok(r) = decode(key.as_deref(), Some(&value)) {
                prop_assert!(validate(&r).is_ok());
            }
        }
    }
}
