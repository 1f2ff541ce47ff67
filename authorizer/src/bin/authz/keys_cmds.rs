//! The key commands: `keygen` (a signing key) and `dev-token` (a token signed with one).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use authorizer::signing::{SigningKey, SigningKeyFile};
use clap::Args;
use serde_json::json;

use crate::clock::now_seconds;
use crate::files::{read, write_private};

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

pub fn keygen_cmd(args: KeygenArgs) -> Result<ExitCode, String> {
    let alg = args.alg.parse().map_err(|_| {
        format!(
            "--alg {}: not an algorithm; use RS256, PS256, ES256, ES384 or EdDSA",
            args.alg
        )
    })?;
    let key = SigningKey::generate(&args.kid, alg).map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&key.to_file()).map_err(|e| e.to_string())?;
    write_private(&args.out, &text)?;
    // Only the public half goes to stdout, ready to paste into a policy.
    println!(
        "{}",
        serde_json::to_string_pretty(key.public_jwk()).map_err(|e| e.to_string())?
    );
    Ok(ExitCode::SUCCESS)
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

pub fn dev_token_cmd(args: DevTokenArgs) -> Result<ExitCode, String> {
    let key = load_key(&args.key)?;
    let now = now_seconds();
    let claims = json!({
        "iss": args.issuer, "aud": args.audience, "sub": args.client, "client_id": args.client,
        "scope": args.scope, "iat": now, "exp": now + args.ttl,
    });
    println!(
        "{}",
        key.sign(&claims, &json!({})).map_err(|e| e.to_string())?
    );
    Ok(ExitCode::SUCCESS)
}
