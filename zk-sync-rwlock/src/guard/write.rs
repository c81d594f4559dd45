//! Write guards: exclusive holds.

use super::guard_methods;
use crate::rwlock::DistRwLock;
use std::marker::PhantomData;
use std::sync::Arc;
use zk_sync_core::local::Holding;

/// An exclusive (write) hold of a [`DistRwLock`], borrowed from it. Dropping it releases the lock in
/// the background.
///
/// Guards are not `Clone`: one guard is one node in the lock directory.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(lock: zk_sync_rwlock::DistRwLock) -> Result<(), zk_sync_rwlock::Error> {
/// let guard = lock.write().await?;
/// tokio::select! {
///     _ = guard.uncertain() => eprintln!("connection suspended: stop writing"),
///     _ = write_config(guard.fencing_token()) => {}
/// }
/// guard.unlock().await?;
/// # Ok(()) }
/// # async fn write_config(_: zk_sync_rwlock::FencingToken) {}
/// ```
#[must_use = "dropping the guard releases the lock"]
#[derive(Debug)]
pub struct DistRwLockWriteGuard<'a> {
    hold: Holding,
    _lock: PhantomData<&'a DistRwLock>,
}

impl DistRwLockWriteGuard<'_> {
    pub(crate) fn new(hold: Holding) -> Self {
        DistRwLockWriteGuard {
            hold,
            _lock: PhantomData,
        }
    }

    guard_methods!("The path of this hold's node (`<lock path>/_c_<uuid>-__WRIT__<sequence>`).");
}

/// An exclusive (write) hold of a [`DistRwLock`] that keeps the lock alive through an `Arc` (from
/// [`DistRwLock::write_owned`]). Dropping it releases the lock in the background.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(lock: std::sync::Arc<zk_sync_rwlock::DistRwLock>) -> Result<(), zk_sync_rwlock::Error> {
/// let guard = lock.write_owned().await?;
/// tokio::spawn(async move {
///     println!("writing {} under token {}", guard.rwlock().path(), guard.fencing_token());
///     guard.unlock().await
/// });
/// # Ok(()) }
/// ```
#[must_use = "dropping the guard releases the lock"]
#[derive(Debug)]
pub struct OwnedDistRwLockWriteGuard {
    hold: Holding,
    lock: Arc<DistRwLock>,
}

impl OwnedDistRwLockWriteGuard {
    pub(crate) fn new(hold: Holding, lock: Arc<DistRwLock>) -> Self {
        OwnedDistRwLockWriteGuard { hold, lock }
    }

    /// The lock this guard holds.
    pub fn rwlock(&self) -> &Arc<DistRwLock> {
        &self.lock
    }

    guard_methods!("The path of this hold's node (`<lock path>/_c_<uuid>-__WRIT__<sequence>`).");
}
