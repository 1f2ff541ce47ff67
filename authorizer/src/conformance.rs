//! Decision conformance cases (the shared format in `conformance/README.md`): loading them
//! and running them through the same `handle_event` path the Lambda uses.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::apigw::{handle_event, Outcome, Served};
use crate::decision::{Effect, Reason};
use crate::policy::{load_policy_value, PolicyView};

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
    pub failure: Option<String>,
}

/// Reads a case file; `policy_file` is resolved against the case's folder.
pub fn load_case(path: &Path) -> Result<(Case, Option<PolicyView>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let case: Case =
        serde_json::from_str(&text).map_err(|e| format!("not a conformance case: {e}"))?;
    let policy = match (&case.policy, &case.policy_file) {
        (Some(p), None) => p.clone(),
        (None, Some(file)) => {
            let full = path.parent().unwrap_or(Path::new(".")).join(file);
            let text = std::fs::read_to_string(&full)
                .map_err(|e| format!("policy_file {}: {e}", full.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| format!("policy_file {}: not JSON: {e}", full.display()))?
        }
        _ => return Err("give exactly one of `policy` and `policy_file`".into()),
    };
    // An invalid policy is a legitimate case (expect `no_policy`), so it loads as `None`.
    let view = load_policy_value(&policy).ok();
    Ok((case, view))
}

/// Runs one case through the Lambda's event path.
pub fn run_case(case: &Case, view: Option<&PolicyView>) -> (Outcome, Option<String>) {
    let outcome = handle_event(view, &case.api_id, &case.event, case.now, Served::default());
    let d = &outcome.decision;
    let mut problems = Vec::new();
    if d.effect != case.expect.effect || d.reason != case.expect.reason {
        problems.push(format!(
            "expected {:?}/{}, got {:?}/{}",
            case.expect.effect, case.expect.reason, d.effect, d.reason
        ));
    }
    if let Some(p) = &case.expect.principal {
        if d.principal.as_deref() != Some(p) {
            problems.push(format!("expected principal {p:?}, got {:?}", d.principal));
        }
    }
    let failure = if problems.is_empty() {
        None
    } else {
        Some(problems.join("; "))
    };
    (outcome, failure)
}

/// Every `*.json` case below `dir` (recursively, sorted), skipping files that are policies
/// (they have a `schema` member and no `expect`).
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
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
pub fn run_dir(dir: &Path) -> Result<Vec<CaseResult>, String> {
    let files = case_files(dir)?;
    if files.is_empty() {
        return Err(format!(
            "no conformance cases (*.json with `expect`) below {}",
            dir.display()
        ));
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
                failure: Some(e),
            },
        })
        .collect())
}
