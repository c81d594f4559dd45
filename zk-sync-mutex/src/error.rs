//! [`TryLockError`].

use zk_sync_core::Error;

/// Why [`DistMutex::try_lock`](crate::DistMutex::try_lock) did not return a guard.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TryLockError {
    /// The lock is held (or queued for) by another contender.
    #[error("lock is held elsewhere")]
    WouldBlock,
    /// ZooKeeper could not be asked (session closed or lost, no permission, …).
    #[error(transparent)]
    Error(#[from] Error),
}

impl TryLockError {
    /// Whether the lock was simply taken.
    pub fn is_would_block(&self) -> bool {
        matches!(self, TryLockError::WouldBlock)
    }
}
