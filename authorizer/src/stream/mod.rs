//! The policy stream: policy events from Kafka applied on top of the baked policy.
//!
//! [`event`] is the wire contract, [`checkpoint`] the portal's signed statement of the
//! topic's state and [`replica`] the apply rule (all pure); [`kafka`]
//! configures clients (brokers, MSK IAM), [`consumer`] runs inside the authorizer, and the
//! portal's side is [`plan`] (pure: topic state to events) and [`publish`] (its Kafka I/O),
//! used by `authz publish` and `authz tail`.

pub mod checkpoint;
#[cfg(feature = "kafka")]
pub mod consumer;
#[cfg(feature = "kafka")]
pub mod error;
pub mod event;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod plan;
#[cfg(test)]
mod plan_model;
#[cfg(feature = "kafka")]
pub mod publish;
pub mod replica;
#[cfg(test)]
mod replica_model;

#[cfg(feature = "kafka")]
mod live;
#[cfg(feature = "kafka")]
pub use consumer::{LiveStream, StreamStats};
#[cfg(feature = "kafka")]
pub use error::Error;
#[cfg(feature = "kafka")]
pub use live::{start, start_reporting};
