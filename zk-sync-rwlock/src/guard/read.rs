//! Read guards: shared holds.

use super::guard_methods;
use crate::rwlock::DistRwLock;
use std::marker::PhantomData;
use std::sync::Arc;
use zk_sync_core::local::Holding;

/// A shared (read) hold of a [`DistRwLock`], borrowed from it. Dropping it releases the lock in
/// the background.
///
/// Guards are not `Clone`: one guard is one node in the lock directory.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(lock: zk_sync_rwlock::DistRwLock) -> Result<(), zk_sync_rwlock::Error> {
/// let guard = lock.read().await?;
/// tokio::select! {
///     _ = guard.uncertain() => eprintln!("connection suspended: stop reading"),
///     _ = read_config(guard.fencing_token()) => {}
/// }
/// guard.unlock().await?;
/// # Ok(()) }
/// # async fn read_config(_: zk_sync_rwlock::FencingToken) {}
/// ```
#[must_use = "dropping the guard releases the lock"]
#[derive(Debug)]
pub struct DistRwLockReadGuard<'a> {
    hold: Holding,
    _lock: PhantomData<&'a DistRwLock>,
}

impl DistRwLockReadGuard<'_> {
    pub(crate) fn new(hold: Holding) -> Self {
        DistRwLockReadGuard {
            hold,
            _lock: PhantomData,
        }
    }

    guard_methods!("The path of this hold's node (`<lock path>/_c_<uuid>-__READ__<sequence>`).");
}

/// A shared (read) hold of a [`DistRwLock`] that keeps the lock alive through an `Arc` (from
/// [`DistRwLock::read_owned`]). Dropping it releases the lock in the background.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(lock: std::sync::Arc<zk_sync_rwlock::DistRwLock>) -> Result<(), zk_sync_rwlock::Error> {
/// let guard = lock.read_owned().await?;
/// tokio::spawn(async move {
///     println!("reading {} under token {}", guard.rwlock().path(), guard.fencing_token());
///     guard.unlock().await
/// });
/// # Ok(()) }
/// ```
#[must_use = "dropping the guard releases the lock"]
#[derive(Debug)]
pub struct OwnedDistRwLockReadGuard {
    hold: Holding,
    lock: Arc<DistRwLock>,
}

impl OwnedDistRwLockReadGuard {
    pub(crate) fn new(hold: Holding, lock: Arc<DistRwLock>) -> Self {
        OwnedDistRwLockReadGuard { hold, lock }
    }

    /// The lock this guard holds.
    pub fn rwlock(&self) -> &Arc<DistRwLock> {
        &self.lock
    }

    guard_methods!("The path of this hold's node (`<lock path>/_c_<uuid>-__READ__<sequence>`).");
}
