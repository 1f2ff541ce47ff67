//! The policy stream: policy events from Kafka applied on top of the baked policy.
//!
//! [`event`] is the wire contract and [`replica`] the apply rule (both pure); [`kafka`]
//! configures clients (brokers, MSK IAM), [`consumer`] runs inside the authorizer and
//! [`publish`] is the portal's side, used by `authz publish` and `authz tail`.

pub mod consumer;
pub mod event;
pub mod kafka;
pub mod publish;
pub mod replica;

use crate::runtime::Authorizer;
pub use consumer::{LiveStream, StreamStats};

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
