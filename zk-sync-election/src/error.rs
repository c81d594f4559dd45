//! [`Interrupted`].

use zk_sync_core::contender::LossReason;

/// Why [`Leadership::run_while_leader`](crate::Leadership::run_while_leader) stopped the future
/// it was running before it finished.
///
/// # Examples
///
/// ```
/// use zk_sync_election::{Interrupted, LossReason};
///
/// let stopped = Interrupted::Lost(LossReason::SessionLost);
/// assert!(stopped.is_lost());
/// assert_eq!(stopped.loss_reason(), Some(LossReason::SessionLost));
/// assert!(!Interrupted::Uncertain.is_lost());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Interrupted {
    /// The connection to ZooKeeper is suspended: the session may expire at any moment, so the
    /// leadership may already be gone. It is still held (nobody else can lead) and becomes
    /// certain again if the connection returns within the session timeout; see
    /// [`Leadership::certain`](crate::Leadership::certain).
    #[error("leadership uncertain: the connection to ZooKeeper is suspended")]
    Uncertain,
    /// The leadership is certainly gone.
    #[error("leadership lost: {0}")]
    Lost(LossReason),
}

impl Interrupted {
    /// Whether the leadership is certainly gone (not merely uncertain).
    pub fn is_lost(&self) -> bool {
        matches!(self, Interrupted::Lost(_))
    }

    /// Why the leadership was lost, when it was.
    pub fn loss_reason(&self) -> Option<LossReason> {
        match self {
            Interrupted::Lost(reason) => Some(*reason),
            Interrupted::Uncertain => None,
        }
    }
}
