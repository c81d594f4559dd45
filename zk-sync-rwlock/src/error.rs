//! [`TryLockError`].

use zk_sync_core::Error;

/// Why [`DistRwLock::try_read`](crate::DistRwLock::try_read) or
/// [`DistRwLock::try_write`](crate::DistRwLock::try_write) did not return a guard.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(lock: zk_sync_rwlock::DistRwLock) {
/// use zk_sync_rwlock::TryLockError;
///
/// match lock.try_write().await {
///     Ok(guard) => drop(guard),
///     Err(TryLockError::WouldBlock) => println!("readers or a writer are in"),
///     Err(error) => eprintln!("ZooKeeper trouble: {error}"),
/// }
/// # }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TryLockError {
    /// The lock is held (or queued for) by contenders this one would have to wait for.
    #[error("lock is held elsewhere")]
    WouldBlock,
    /// ZooKeeper could not be asked (session closed or lost, no permission, …).
    #[error(transparent)]
    Error(#[from] Error),
}

impl TryLockError {
    /// Whether the lock was simply taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync_rwlock::TryLockError;
    ///
    /// assert!(TryLockError::WouldBlock.is_would_block());
    /// ```
    pub fn is_would_block(&self) -> bool {
        matches!(self, TryLockError::WouldBlock)
    }
}
