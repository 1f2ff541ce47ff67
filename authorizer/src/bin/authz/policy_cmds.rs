//! The policy-side commands: validate, decide/explain, conformance.

use std::path::PathBuf;
use std::process::ExitCode;

use authorizer::apigw::{EventFields, Served};
use authorizer::conformance::run_dir;
use authorizer::decision::{decide_traced, Request};
use authorizer::{handle_event, load_policy};
use clap::Args;
use serde_json::json;

use crate::clock::now_seconds;
use crate::files::read;

#[derive(Args)]
pub struct ValidateArgs {
    /// The policy document (gateway-policy/v1 JSON).
    policy: PathBuf,
}

pub fn validate_cmd(args: ValidateArgs) -> Result<ExitCode, String> {
    let text = read(&args.policy)?;
    match load_policy(&text) {
        Ok(view) => {
            let counts: Vec<String> = view
                .counts()
                .iter()
                .map(|(k, n)| format!("{n} {}s", k.as_str()))
                .collect();
            println!(
                "{}: valid, revision {}, {}",
                args.policy.display(),
                view.revision,
                counts.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprintln!("{}: {} problem(s)", args.policy.display(), errors.0.len());
            for e in &errors.0 {
                eprintln!("  {e}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

#[derive(Args)]
pub struct DecideArgs {
    /// The policy document.
    #[arg(long)]
    policy: PathBuf,
    /// The portal API this gateway serves (the module's `api_id`).
    #[arg(long)]
    api_id: String,
    /// The API Gateway authorizer event (HTTP API 2.0/1.0, REST TOKEN or REQUEST).
    #[arg(long)]
    event: PathBuf,
    /// Unix seconds to decide at (default: the clock).
    #[arg(long)]
    now: Option<i64>,
}

pub fn decide_cmd(args: DecideArgs, explain: bool) -> Result<ExitCode, String> {
    let now = args.now.unwrap_or_else(now_seconds);
    let event = read(&args.event)?;
    serde_json::from_str::<serde::de::IgnoredAny>(&event)
        .map_err(|e| format!("{}: not JSON: {e}", args.event.display()))?;
    let view = match load_policy(&read(&args.policy)?) {
        Ok(v) => Some(v),
        Err(errors) => {
            eprintln!(
                "{}: invalid policy, deciding with none:\n{errors}",
                args.policy.display()
            );
            None
        }
    };
    let outcome = handle_event(view.as_ref(), &args.api_id, &event, now, Served::default());
    if explain {
        let fields = EventFields::parse(&event);
        let incoming = fields.incoming();
        println!(
            "event: {:?}",
            incoming
                .shape
                .map_or("unrecognised".into(), |s| format!("{s:?}"))
        );
        let mut trace = Vec::new();
        if let (Some(arn), Ok(token)) = (incoming.arn.as_ref(), incoming.token) {
            decide_traced(
                view.as_ref(),
                &args.api_id,
                &Request {
                    method: arn.method,
                    path: &arn.path,
                    token,
                },
                now,
                Some(&mut trace),
            );
        }
        for (i, (step, what)) in trace.iter().enumerate() {
            println!("{:>2}. {step:<20} {what}", i + 1);
        }
        println!(
            "=> {:?} ({})",
            outcome.decision.effect, outcome.decision.reason
        );
    }
    let d = &outcome.decision;
    let out = json!({"effect": d.effect, "reason": d.reason, "principal": d.principal, "response": outcome.response});
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct ConformanceArgs {
    /// Folder of cases; every *.json with an `expect` below it is run.
    dir: PathBuf,
}

pub fn conformance_cmd(args: ConformanceArgs) -> Result<ExitCode, String> {
    let results = run_dir(&args.dir).map_err(|e| e.to_string())?;
    let failed: Vec<_> = results.iter().filter(|r| r.failure.is_some()).collect();
    for r in &failed {
        if let Some(failure) = &r.failure {
            println!("FAIL {} ({}): {failure}", r.file.display(), r.name);
        }
    }
    println!(
        "{} passed, {} failed",
        results.len() - failed.len(),
        failed.len()
    );
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
