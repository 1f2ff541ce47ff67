//! `authz`: the command line for platform engineers (validate a policy, see why a request
//! is allowed or denied, run conformance cases) and for portal teams (publish policy events).
//!
//! One module per group of commands, each handler named `<command>_cmd`: `policy_cmds`
//! (validate, decide/explain, conformance), `keys_cmds` (keygen, dev-token), `stream_cmds`
//! (publish, tail, topic), `fleet_cmd` (fleet, publish --wait), `gateway` (the local API Gateway stand-in); `clock` and `files`
//! are what they share.

mod clock;
mod files;
mod fleet_cmd;
mod gateway;
mod keys_cmds;
mod layer_cmd;
mod policy_cmds;
mod stream_cmds;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "authz",
    version,
    about = "Team gateway authorizer: policies, decisions and the policy stream"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a policy document; prints every problem with its JSON path.
    Validate(policy_cmds::ValidateArgs),
    /// Decide one API Gateway authorizer event against a policy; prints the decision as JSON.
    Decide(policy_cmds::DecideArgs),
    /// Like `decide`, printing every check in order with its outcome.
    Explain(policy_cmds::DecideArgs),
    /// Run every conformance case (*.json) below a folder; prints "N passed, M failed".
    Conformance(policy_cmds::ConformanceArgs),
    /// Generate a signing key (for tokens in tests and demos, or a portal publisher key).
    Keygen(keys_cmds::KeygenArgs),
    /// Mint a token with a local development key (demo use only).
    DevToken(keys_cmds::DevTokenArgs),
    /// Publish the changes that make the policy topic describe a policy document.
    Publish(stream_cmds::PublishArgs),
    /// Print the policy topic's records: offset, key, revision, validity, signer.
    Tail(stream_cmds::TailArgs),
    /// A development stand-in for API Gateway: HTTP in front of the authorizer under a Lambda
    /// runtime emulator (local demo and tests only).
    Gateway(gateway::GatewayArgs),
    /// One row per gateway from the status topic: revision, stale, NACKs, versions; exits 1
    /// unless every live gateway is reconciled.
    Fleet(fleet_cmd::FleetArgs),
    /// Validate a policy and write its Lambda layer zip, byte-for-byte reproducible.
    Layer(layer_cmd::LayerArgs),
    /// Manage the policy topic.
    #[command(subcommand)]
    Topic(stream_cmds::TopicCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => policy_cmds::validate_cmd(args),
        Command::Decide(args) => policy_cmds::decide_cmd(args, false),
        Command::Explain(args) => policy_cmds::decide_cmd(args, true),
        Command::Conformance(args) => policy_cmds::conformance_cmd(args),
        Command::Keygen(args) => keys_cmds::keygen_cmd(args),
        Command::DevToken(args) => keys_cmds::dev_token_cmd(args),
        Command::Publish(args) => stream_cmds::publish_cmd(args),
        Command::Tail(args) => stream_cmds::tail_cmd(args),
        Command::Topic(cmd) => stream_cmds::topic_cmd(cmd),
        Command::Gateway(args) => gateway::gateway_cmd(args),
        Command::Fleet(args) => fleet_cmd::fleet_cmd(args),
        Command::Layer(args) => layer_cmd::layer_cmd(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("authz: {message}");
            ExitCode::from(2)
        }
    }
}
