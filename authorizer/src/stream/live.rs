//! Wiring of the policy stream (and the status reporter) into a running authorizer.

use std::sync::Arc;

use super::consumer::LiveStream;
use crate::runtime::Authorizer;
use crate::status::reporter::{Reporter, StatusSettings, StreamObserver};

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
        authorizer = authorizer.with_status(Box::new(r));
    }
    (authorizer, Some(live))
}
