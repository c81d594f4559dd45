//! Metric names (Prometheus conventions) and the helpers that record them.
//!
//! Everything goes through the [`metrics`] facade; install any recorder (for example
//! `metrics-exporter-prometheus`) to export them. No lock path is ever used as a label.

use crate::session::SessionState;
use std::time::Instant;

/// Histogram: time from calling acquire to its outcome. Labels: `primitive`, `outcome`.
pub const ACQUIRE_DURATION_SECONDS: &str = "zk_sync_acquire_duration_seconds";
/// Counter: finished acquisitions. Labels: `primitive`, `outcome`
/// (`acquired`, `would_block`, `cancelled`, `error`).
pub const ACQUISITIONS_TOTAL: &str = "zk_sync_acquisitions_total";
/// Histogram: how long holds were held. Label: `primitive`.
pub const HOLD_DURATION_SECONDS: &str = "zk_sync_hold_duration_seconds";
/// Gauge: callers currently waiting to acquire. Label: `primitive`.
pub const WAITERS: &str = "zk_sync_waiters";
/// Counter: holds lost. Labels: `primitive`, `reason` (`session_lost`, `closed`, `node_deleted`, `lease_expired`).
pub const HOLDS_LOST_TOTAL: &str = "zk_sync_holds_lost_total";
/// Counter: holds handed from one task of the process to the next on the node they share,
/// without a request (local hand-off). Label: `primitive`.
pub const LOCAL_HANDOFFS_TOTAL: &str = "zk_sync_local_handoffs_total";
/// Counter: shared nodes released because a contender of another session waited (local
/// hand-off). Label: `primitive`.
pub const FORCED_RELEASES_TOTAL: &str = "zk_sync_forced_releases_total";
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

/// Records one acquisition in `zk_sync_acquisitions_total` and
/// `zk_sync_acquire_duration_seconds`; one dropped before [`finish`](Self::finish) counts as
/// `cancelled`. Recipes outside the contender queue (the barrier) use it too.
///
/// # Examples
///
/// ```
/// use zk_sync_core::metrics::AcquireRecorder;
///
/// let mut attempt = AcquireRecorder::start("barrier");
/// // … wait for the thing …
/// attempt.finish("acquired");
/// ```
#[derive(Debug)]
pub struct AcquireRecorder {
    primitive: &'static str,
    started: Instant,
    finished: bool,
}

impl AcquireRecorder {
    /// Starts timing an acquisition of `primitive`.
    pub fn start(primitive: &'static str) -> AcquireRecorder {
        AcquireRecorder {
            primitive,
            started: Instant::now(),
            finished: false,
        }
    }

    /// Records the outcome (`acquired`, `would_block`, `error`, …).
    pub fn finish(&mut self, outcome: &'static str) {
        self.finished = true;
        let labels = [("primitive", self.primitive), ("outcome", outcome)];
        metrics::counter!(ACQUISITIONS_TOTAL, &labels).increment(1);
        metrics::histogram!(ACQUIRE_DURATION_SECONDS, &labels)
            .record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for AcquireRecorder {
    fn drop(&mut self) {
        if !self.finished {
            self.finish("cancelled");
        }
    }
}

/// Counts a caller in `zk_sync_waiters{primitive}` for as long as it lives.
///
/// # Examples
///
/// ```
/// let waiting = zk_sync_core::metrics::WaiterGauge::new("barrier");
/// drop(waiting); // no longer waiting
/// ```
#[derive(Debug)]
pub struct WaiterGauge(&'static str);

impl WaiterGauge {
    /// Counts one more waiter of `primitive`.
    pub fn new(primitive: &'static str) -> WaiterGauge {
        metrics::gauge!(WAITERS, "primitive" => primitive).increment(1.0);
        WaiterGauge(primitive)
    }
}

impl Drop for WaiterGauge {
    fn drop(&mut self) {
        metrics::gauge!(WAITERS, "primitive" => self.0).decrement(1.0);
    }
}

/// Records how long something was held in `zk_sync_hold_duration_seconds{primitive}`.
pub fn record_hold(primitive: &'static str, held: std::time::Duration) {
    metrics::histogram!(HOLD_DURATION_SECONDS, "primitive" => primitive).record(held.as_secs_f64());
}

/// Counts a hold lost before release in `zk_sync_holds_lost_total{primitive, reason}`.
pub fn record_hold_lost(primitive: &'static str, reason: &'static str) {
    metrics::counter!(HOLDS_LOST_TOTAL, "primitive" => primitive, "reason" => reason).increment(1);
}

pub(crate) fn record_local_handoff(primitive: &'static str) {
    metrics::counter!(LOCAL_HANDOFFS_TOTAL, "primitive" => primitive).increment(1);
}

pub(crate) fn record_forced_release(primitive: &'static str) {
    metrics::counter!(FORCED_RELEASES_TOTAL, "primitive" => primitive).increment(1);
}
