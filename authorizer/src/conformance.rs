//! Decision conformance cases (the shared format in `conformance/README.md`): loading them
//! and running them through the same `handle_event` path the Lambda uses.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::apigw::{handle_event, Outcome, Served};
use crate::policy::{load_policy_value, PolicyView};
use crate::reason::{Effect, Reason};

/// Why a case, or a folder of cases, cannot be run.
#[derive(Debug, Error)]
pub enum Error {
    #[error("cannot read: {0}")]
    Unreadable(#[source] std::io::Error),
    #[error("not a conformance case: {0}")]
    NotACase(#[source] serde_json::Error),
    #[error("policy_file {}: {source}", .path.display())]
    PolicyFileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("policy_file {}: not JSON: {source}", .path.display())]
    PolicyFileNotJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("give exactly one of `policy` and `policy_file`")]
    PolicySource,
    #[error("{}: {source}", .path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no conformance cases (*.json with `expect`) below {}", .0.display())]
    NoCases(PathBuf),
}

/// How a case's decision differs from what it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Decision {
        expected: (Effect, Reason),
        got: (Effect, Reason),
    },
    Principal {
        expected: String,
        got: Option<String>,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Decision { expected, got } => write!(
                f,
                "expected {:?}/{}, got {:?}/{}",
                expected.0, expected.1, got.0, got.1
            ),
            Mismatch::Principal { expected, got } => {
                write!(f, "expected principal {expected:?}, got {got:?}")
            }
        }
    }
}

/// Why a case failed: it could not be run, or its decision differs.
#[derive(Debug, Error)]
pub enum CaseFailure {
    #[error(transparent)]
    Load(#[from] Error),
    #[error("{}", join(.0))]
    Mismatch(Vec<Mismatch>),
}

fn join(mismatches: &[Mismatch]) -> String {
    let parts: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub now: i64,
    pub api_id: String,
    #[serde(default)]
    pub policy: Option<Value>,
    #[serde(default)]
    pub policy_file: Option<String>,
    pub event: Value,
    pub expect: Expect,
    /// Free text for readers of the case; ignored by the runner.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub effect: Effect,
    pub reason: Reason,
    #[serde(default)]
    pub principal: Option<String>,
}

/// The result of one case.
#[derive(Debug)]
pub struct CaseResult {
    pub file: PathBuf,
    pub name: String,
    /// `None` when the case passed, else what went wrong.
    pub failure: Option<CaseFailure>,
}

/// Reads a case file; `policy_file` is resolved against the case's folder.
pub fn load_case(path: &Path) -> Result<(Case, Option<PolicyView>), Error> {
    let text = std::fs::read_to_string(path).map_err(Error::Unreadable)?;
    let case: Case = serde_json::from_str(&text).map_err(Error::NotACase)?;
    let policy = match (&case.policy, &case.policy_file) {
        (Some(p), None) => p.clone(),
        (None, Some(file)) => {
            let full = path.parent().unwrap_or(Path::new(".")).join(file);
            let text = match std::fs::read_to_string(&full) {
                Ok(text) => text,
                Err(source) => return Err(Error::PolicyFileUnreadable { path: full, source }),
            };
            match serde_json::from_str(&text) {
                Ok(policy) => policy,
                Err(source) => return Err(Error::PolicyFileNotJson { path: full, source }),
            }
        }
        _ => return Err(Error::PolicySource),
    };
    // An invalid policy is a legitimate case (expect `no_policy`), so it loads as `None`.
    let view = load_policy_value(&policy).ok();
    Ok((case, view))
}

/// Runs one case through the Lambda's event path.
pub fn run_case(case: &Case, view: Option<&PolicyView>) -> (Outcome, Option<CaseFailure>) {
    let outcome = handle_event(
        view,
        &case.api_id,
        &case.event.to_string(),
        case.now,
        Served::default(),
    );
    let d = &outcome.decision;
    let mut problems = Vec::new();
    if d.effect != case.expect.effect || d.reason != case.expect.reason {
        problems.push(Mismatch::Decision {
            expected: (case.expect.effect, case.expect.reason),
            got: (d.effect, d.reason),
        });
    }
    if let Some(p) = &case.expect.principal {
        if d.principal.as_deref() != Some(p) {
            problems.push(Mismatch::Principal {
                expected: p.clone(),
                got: d.principal.clone(),
            });
        }
    }
    let failure = if problems.is_empty() {
        None
    } else {
        Some(CaseFailure::Mismatch(problems))
    };
    (outcome, failure)
}

/// Every `*.json` case below `dir` (recursively, sorted), skipping files that are policies
/// (they have a `schema` member and no `expect`).
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(entries) => entries,
            Err(source) => return Err(Error::Folder { path: d, source }),
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") && is_case(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_case(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|v| v.get("expect").is_some())
}

/// Runs every case below `dir`.
pub fn run_dir(dir: &Path) -> Result<Vec<CaseResult>, Error> {
    let files = case_files(dir)?;
    if files.is_empty() {
        return Err(Error::NoCases(dir.to_path_buf()));
    }
    Ok(files
        .into_iter()
        .map(|file| match load_case(&file) {
            Ok((case, view)) => {
                let (_, failure) = run_case(&case, view.as_ref());
                CaseResult {
                    name: case.name.clone(),
                    file,
                    failure,
                }
            }
            Err(e) => CaseResult {
                name: String::new(),
                file,
                failure: Some(CaseFailure::Load(e)),
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the temp dir, removed when dropped.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new(name: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("authz-conf-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("create temp dir");
            TempDir(path)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn mismatches_read_as_before() {
        let failure = CaseFailure::Mismatch(vec![
            Mismatch::Decision {
                expected: (Effect::Allow, Reason::Ok),
                got: (Effect::Deny, Reason::Expired),
            },
            Mismatch::Principal {
                expected: "c".into(),
                got: None,
            },
        ]);
        assert_eq!(
            failure.to_string(),
            "expected Allow/ok, got Deny/expired; expected principal \"c\", got None"
        );
    }

    #[test]
    fn load_errors_say_what_is_wrong() {
        let dir = TempDir::new("load");
        assert!(matches!(run_dir(&dir.0), Err(Error::NoCases(_))));

        let both = dir.0.join("both.json");
        std::fs::write(
            &both,
            r#"{"name": "n", "now": 0, "api_id": "a", "policy": {}, "policy_file": "p.json",
                "event": {}, "expect": {"effect": "deny", "reason": "no_policy"}}"#,
        )
        .expect("write case");
        assert!(matches!(load_case(&both), Err(Error::PolicySource)));

        let missing = dir.0.join("missing.json");
        std::fs::write(
            &missing,
            r#"{"name": "n", "now": 0, "api_id": "a", "policy_file": "nowhere.json",
                "event": {}, "expect": {"effect": "deny", "reason": "no_policy"}}"#,
        )
        .expect("write case");
        let err = load_case(&missing).expect_err("policy file missing");
        assert!(
            matches!(&err, Error::PolicyFileUnreadable { path, .. } if path.ends_with("nowhere.json")),
            "{err:?}"
        );

        // A folder run reports each unloadable case as that case's failure.
        let results = run_dir(&dir.0).expect("cases found");
        assert_eq!(results.len(), 2);
        assert!(results
            .iter()
            .all(|r| matches!(r.failure, Some(CaseFailure::Load(_)))));
    }
}
