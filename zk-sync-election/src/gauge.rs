//! The opt-in `zk_sync_leader{election}` gauge: 1 while this process leads the election.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;
use zk_sync_core::metrics::LEADER;
use zk_sync_core::Session;

/// Counts one leadership in the gauge until it ends: when the leadership is resigned or
/// dropped, when its session ends, or when its loss is noticed — whichever comes first, once.
#[derive(Debug)]
pub(crate) struct LeaderGauge {
    label: Arc<str>,
    ended: Arc<AtomicBool>,
    // Dropping it wakes the task that watches for the session's end.
    _stop: oneshot::Sender<()>,
}

impl LeaderGauge {
    /// Starts counting a leadership taken in session epoch `epoch`.
    pub(crate) fn start(label: Arc<str>, session: &Session, epoch: u64) -> LeaderGauge {
        metrics::gauge!(LEADER, "election" => label.to_string()).increment(1.0);
        let ended = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = oneshot::channel::<()>();
        let mut status = session.watch_status();
        {
            let (label, ended) = (label.clone(), ended.clone());
            tokio::spawn(async move {
                tokio::select! {
                    _ = status.wait_for(|s| s.has_ended(epoch)) => {}
                    _ = stopped => {}
                }
                end(&label, &ended);
            });
        }
        LeaderGauge {
            label,
            ended,
            _stop: stop,
        }
    }

    /// The leadership is over.
    pub(crate) fn end(&self) {
        end(&self.label, &self.ended);
    }
}

impl Drop for LeaderGauge {
    fn drop(&mut self) {
        self.end();
    }
}

fn end(label: &Arc<str>, ended: &AtomicBool) {
    if !ended.swap(true, Ordering::AcqRel) {
        metrics::gauge!(LEADER, "election" => label.to_string()).decrement(1.0);
    }
}
