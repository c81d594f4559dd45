//! [`TryAcquireError`].

use zk_sync_core::Error;

/// Why [`DistSemaphore::try_acquire`](crate::DistSemaphore::try_acquire) (or
/// [`try_acquire_many`](crate::DistSemaphore::try_acquire_many)) got no permit.
///
/// # Examples
///
/// ```
/// use zk_sync_semaphore::TryAcquireError;
///
/// assert!(TryAcquireError::NoPermits.is_no_permits());
/// assert_eq!(TryAcquireError::NoPermits.to_string(), "no permits available");
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TryAcquireError {
    /// Every permit is leased, or another contender is queued ahead: the call would wait.
    #[error("no permits available")]
    NoPermits,
    /// ZooKeeper could not be asked (session closed or lost, no permission, bad input, …).
    #[error(transparent)]
    Error(#[from] Error),
}

impl TryAcquireError {
    /// Whether the permits were simply taken (as opposed to ZooKeeper trouble).
    pub fn is_no_permits(&self) -> bool {
        matches!(self, TryAcquireError::NoPermits)
    }
}
