//! Metric names (Prometheus conventions) and the helpers that record them.
//!
//! Everything goes through the [`metrics`] facade; install any recorder (for example
//! `metrics-exporter-prometheus`) to export them. No lock path is ever used as a label.

use crate::session::SessionState;

/// Histogram: time from calling acquire to its outcome. Labels: `primitive`, `outcome`.
pub const ACQUIRE_DURATION_SECONDS: &str = "zk_sync_acquire_duration_seconds";
/// Counter: finished acquisitions. Labels: `primitive`, `outcome`
/// (`acquired`, `would_block`, `cancelled`, `error`).
pub const ACQUISITIONS_TOTAL: &str = "zk_sync_acquisitions_total";
/// Histogram: how long holds were held. Label: `primitive`.
pub const HOLD_DURATION_SECONDS: &str = "zk_sync_hold_duration_seconds";
/// Gauge: callers currently waiting to acquire. Label: `primitive`.
pub const WAITERS: &str = "zk_sync_waiters";
/// Counter: holds lost. Labels: `primitive`, `reason` (`session_lost`, `closed`, `node_deleted`).
pub const HOLDS_LOST_TOTAL: &str = "zk_sync_holds_lost_total";
/// Gauge: 1 while this process leads an election. Label: `election` (opt-in).
pub const LEADER: &str = "zk_sync_leader";
/// Gauge: session state; 0 closed, 1 connected, 2 suspended, 3 lost.
pub const SESSION_STATE: &str = "zk_sync_session_state";
/// Counter: ZooKeeper sessions lost (expired, or suspended past the session timeout).
pub const SESSION_EXPIRATIONS_TOTAL: &str = "zk_sync_session_expirations_total";
/// Counter: requests sent to ZooKeeper. Label: `op`.
pub const REQUESTS_TOTAL: &str = "zk_sync_requests_total";
/// Counter: server watch events delivered (one per server-side watch, however many waiters share it).
pub const WATCH_EVENTS_TOTAL: &str = "zk_sync_watch_events_total";

pub(crate) fn record_state(state: SessionState) {
    metrics::gauge!(SESSION_STATE).set(state.gauge_value());
}
