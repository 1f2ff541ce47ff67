//! Fleet status: what each authorizer environment says about itself on the status topic
//! (`schema/gateway-status.v1.json`, docs/fleet.md), and what the fleet looks like from
//! those reports. [`report`] and [`fleet`] are pure; [`reporter`] is the environment's side,
//! asynchronous and never on a decision's path.
//!
//! Nothing read from the status topic affects a decision.

pub mod fleet;
pub mod report;
#[cfg(feature = "kafka")]
pub mod reporter;

pub use fleet::{fleet, FleetQuery, FleetView, GatewayRow, Reports, Rollout, RolloutProgress};
pub use report::{
    build_report, decode, encode, GatewayId, Identity, Ledger, Source, StatusError, StatusReport,
    Trigger, ViewState, STATUS_SCHEMA, STATUS_TOPIC,
};
