//! The team gateway's Lambda authorizer.
//!
//! A pure core — [`reason`] (the contract's reason codes, effects and the check trace),
//! [`policy`] (the indexed view), [`route`], [`keys`], [`token`] and [`decision`] — with I/O
//! at the edges: [`apigw`] (API Gateway events in and out), [`observe`] (logs and
//! metrics), [`config`] and [`runtime`] (the Lambda side) and [`stream`] (the Kafka policy
//! stream). The `bootstrap` binary is the Lambda; the `authz`
//! binary is the CLI for platform engineers and portal teams.

pub mod apigw;
pub mod config;
pub mod conformance;
pub mod decision;
pub mod keys;
pub mod observe;
pub mod policy;
pub mod reason;
pub mod route;
pub mod runtime;
pub mod signing;
pub mod status;
pub mod stream;
pub mod token;
pub mod token_cache;

pub use apigw::{handle_event, Outcome, Served, Shape};
pub use decision::{decide, Decision, Effect, Reason, Request};
pub use policy::{load_policy, PolicyView};
