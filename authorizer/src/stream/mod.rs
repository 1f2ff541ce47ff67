//! The policy stream: policy events from Kafka applied on top of the baked policy.
//!
//! [`event`] is the wire contract, [`checkpoint`] the portal's signed statement of the
//! topic's state and [`replica`] the apply rule (all pure); [`kafka`]
//! configures clients (brokers, MSK IAM), [`consumer`] runs inside the authorizer, and the
//! portal's side is [`plan`] (pure: topic state to events) and [`publish`] (its Kafka I/O),
//! used by `authz publish` and `authz tail`.

pub mod checkpoint;
pub mod consumer;
pub mod error;
pub mod event;
pub mod kafka;
pub mod plan;
#[cfg(test)]
mod plan_model;
pub mod publish;
pub mod replica;
#[cfg(test)]
mod replica_model;

use std::sync::Arc;

use crate::runtime::Authorizer;
use crate::status::reporter::{Reporter, StatusSettings, StreamObserver};
pub use consumer::{LiveStream, StreamStats};
pub use error::Error;

/// Starts the policy stream when one is configured. The authorizer serves the baked policy
/// at once either way; the stream is applied on top as it arrives.
pub fn start(authorizer: Authorizer) -> (Authorizer, Option<LiveStream>) {
    start_reporting(authorizer, None)
}

/// [`start`], and with `status` settings also the status reporter (docs/fleet.md).
pub fn start_reporting(
    authorizer: Authorizer,
    status: Option<StatusSettings>,
) -> (Authorizer, Option<LiveStream>) {
    let Some(cfg) = authorizer.config.stream.clone() else {
        return (authorizer, None);
    };
    let level = authorizer.config.log_level;
    let reporter =
        status.map(|s| Reporter::start(s, cfg.clone(), level, authorizer.policy.clone()));
    let observer = reporter
        .clone()
        .map(|r| Arc::new(r) as Arc<dyn StreamObserver>);
    let baked = authorizer.policy.get().map(|v| (*v).clone());
    let live = LiveStream::start_observed(cfg, level, authorizer.policy.clone(), baked, observer);
    let mut authorizer = authorizer.with_freshness(Box::new(live.clone()));
    if let Some(r) = reporter {
        r.watch(live.clone());
        authorizer = authorizer.with_status(r);
    }
    (authorizer, Some(live))
}
