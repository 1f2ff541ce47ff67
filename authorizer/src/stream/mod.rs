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
pub mod publish;
pub mod replica;
#[cfg(test)]
mod replica_model;

use crate::runtime::Authorizer;
pub use consumer::{LiveStream, StreamStats};
pub use error::Error;

/// Starts the policy stream when one is configured. The authorizer serves the baked policy
/// at once either way; the stream is applied on top as it arrives.
pub fn start(authorizer: Authorizer) -> (Authorizer, Option<LiveStream>) {
    let Some(cfg) = authorizer.config.stream.clone() else {
        return (authorizer, None);
    };
    let baked = authorizer.policy.get().map(|v| (*v).clone());
    let live = LiveStream::start(
        cfg,
        authorizer.config.log_level,
        authorizer.policy.clone(),
        baked,
    );
    (
        authorizer.with_freshness(Box::new(live.clone())),
        Some(live),
    )
}
