//! The policy-side commands: validate, decide/explain, conformance, keygen, dev-token.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use authorizer::apigw::{read_event, Served};
use authorizer::conformance::run_dir;
use authorizer::decision::{decide_traced, Request};
use authorizer::signing::{SigningKey, SigningKeyFile};
use authorizer::{handle_event, load_policy};
use clap::Args;
use serde_json::{json, Value};

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[derive(Args)]
pub struct ValidateArgs {
    /// The policy document (gateway-policy/v1 JSON).
    policy: PathBuf,
}

pub fn validate(args: ValidateArgs) -> Result<ExitCode, String> {
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

pub fn decide(args: DecideArgs, explain: bool) -> Result<ExitCode, String> {
    let now = args.now.unwrap_or_else(now_seconds);
    let event: Value = serde_json::from_str(&read(&args.event)?)
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
        let incoming = read_event(&event);
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

pub fn conformance(args: ConformanceArgs) -> Result<ExitCode, String> {
    let results = run_dir(&args.dir)?;
    let failed: Vec<_> = results.iter().filter(|r| r.failure.is_some()).collect();
    for r in &failed {
        println!(
            "FAIL {} ({}): {}",
            r.file.display(),
            r.name,
            r.failure.as_deref().unwrap_or_default()
        );
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

#[derive(Args)]
pub struct KeygenArgs {
    /// Key id to put in the JWK and in token headers.
    #[arg(long)]
    kid: String,
    /// RS256, PS256, ES256, ES384 or EdDSA (publisher keys are EdDSA).
    #[arg(long, default_value = "ES256")]
    alg: String,
    /// Where to write the private key file (mode 0600).
    #[arg(long)]
    out: PathBuf,
}

pub fn keygen(args: KeygenArgs) -> Result<ExitCode, String> {
    let alg = args.alg.parse().map_err(|_| {
        format!(
            "--alg {}: not an algorithm; use RS256, PS256, ES256, ES384 or EdDSA",
            args.alg
        )
    })?;
    let key = SigningKey::generate(&args.kid, alg)?;
    let text = serde_json::to_string_pretty(&key.to_file()).map_err(|e| e.to_string())?;
    write_private(&args.out, &text)?;
    // Only the public half goes to stdout, ready to paste into a policy.
    println!(
        "{}",
        serde_json::to_string_pretty(key.public_jwk()).map_err(|e| e.to_string())?
    );
    Ok(ExitCode::SUCCESS)
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Loads a key file written by `authz keygen`.
pub fn load_key(path: &Path) -> Result<SigningKey, String> {
    let file: SigningKeyFile = serde_json::from_str(&read(path)?).map_err(|e| {
        format!(
            "{}: not a key file from `authz keygen`: {e}",
            path.display()
        )
    })?;
    SigningKey::from_file(&file).map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Args)]
pub struct DevTokenArgs {
    /// Private key file from `authz keygen` (a local demo key).
    #[arg(long)]
    key: PathBuf,
    /// `iss` claim: the issuer URL in the policy.
    #[arg(long)]
    issuer: String,
    /// `aud` claim.
    #[arg(long)]
    audience: String,
    /// The client id (`client_id` claim).
    #[arg(long)]
    client: String,
    /// Space-separated scopes (`scope` claim).
    #[arg(long, default_value = "")]
    scope: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 900)]
    ttl: i64,
}

pub fn dev_token(args: DevTokenArgs) -> Result<ExitCode, String> {
    let key = load_key(&args.key)?;
    let now = now_seconds();
    let claims = json!({
        "iss": args.issuer, "aud": args.audience, "sub": args.client, "client_id": args.client,
        "scope": args.scope, "iat": now, "exp": now + args.ttl,
    });
    println!("{}", key.sign(&claims, &json!({}))?);
    Ok(ExitCode::SUCCESS)
}
