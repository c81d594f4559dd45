//! The guards of [`DistMutex`](crate::DistMutex): borrowed and owned.

use crate::mutex::DistMutex;
use std::marker::PhantomData;
use std::sync::Arc;
use zk_sync_core::contender::LossReason;
use zk_sync_core::local::Holding;
use zk_sync_core::{Error, FencingToken, Hold};

/// The methods both guard types share: each guard is a [`Hold`] in the lock directory, or a
/// turn on the node this process's tasks share (local hand-off).
macro_rules! guard_methods {
    () => {
        /// The fencing token of this hold: greater than that of every earlier hold of this
        /// lock, local or not, in any process. Pass it to the resource you protect so it can
        /// reject stale holders ([`FencingToken::as_u128`] is the form to store).
        pub fn fencing_token(&self) -> FencingToken {
            self.hold.fencing_token()
        }

        /// The path of this hold's node (`<lock path>/_c_<uuid>-lock-<sequence>`); with local
        /// hand-off, the node the process's holders share.
        pub fn path(&self) -> &str {
            self.hold.path()
        }

        /// Whether the hold is lost: its session ended or its local lease ran out (see
        /// [`ensure_held`](Self::ensure_held)).
        pub fn is_lost(&self) -> bool {
            self.hold.is_lost()
        }

        /// Whether the hold is uncertain right now: the connection is suspended, ZooKeeper
        /// has not answered for two thirds of the session timeout, or the hold is lost. The
        /// synchronous form of [`uncertain`](Self::uncertain).
        pub fn is_uncertain(&self) -> bool {
            self.hold.is_uncertain()
        }

        /// Checks at once, without a request, that the lock is still held: call it right
        /// before touching the protected resource. It fails as soon as the loss is known, and
        /// also when ZooKeeper has not answered for a whole session timeout (the hold's local
        /// lease ran out), as after this process was paused: the server may have expired the
        /// session and given the lock to someone else. Let the resource reject stale writes
        /// with the [fencing token](Self::fencing_token) for what the check cannot cover.
        ///
        /// ```no_run
        /// # async fn demo(mutex: &zk_sync_mutex::DistMutex) -> Result<(), zk_sync_core::Error> {
        /// let guard = mutex.lock().await?;
        /// // … compute the new value …
        /// guard.ensure_held()?;
        /// println!("write with fencing token {}", guard.fencing_token());
        /// guard.unlock().await
        /// # }
        /// ```
        ///
        /// # Errors
        ///
        /// [`Error::LeaseExpired`] when the lease ran out; otherwise the error that ended the hold (session
        /// lost or closed, node deleted). Once it fails it keeps failing.
        pub fn ensure_held(&self) -> Result<(), Error> {
            self.hold.ensure_held()
        }

        /// Resolves as soon as the hold *may* be lost: the connection to ZooKeeper is
        /// suspended, or ZooKeeper has not answered for two thirds of the session timeout.
        /// Stop touching the resource; if the connection returns within the session timeout
        /// the hold is still valid (see [`is_lost`](Self::is_lost)).
        ///
        /// # Cancel safety
        ///
        /// Cancel safe.
        pub async fn uncertain(&self) {
            self.hold.uncertain().await
        }

        /// Resolves when the hold is lost: session expired (or suspended past its timeout),
        /// session closed, the node deleted by someone else, or the local lease ran out (see
        /// [`ensure_held`](Self::ensure_held)).
        ///
        /// # Cancel safety
        ///
        /// Cancel safe.
        pub async fn lost(&self) -> LossReason {
            self.hold.lost().await
        }

        /// Resolves once someone asked this holder to let go: cooperative revocation, by
        /// Apache Curator's convention (its `Revoker` writes `__REVOKE__` into the lock node),
        /// so a request from a Curator process counts as one from
        /// [`DistMutex::revoke_holder`](crate::DistMutex::revoke_holder) or `zk-sync revoke`. Nothing is
        /// forced: the holder decides whether and when to unlock. A request made before the
        /// call counts too; while nobody asks, it pends.
        ///
        /// ```no_run
        /// # async fn demo(mutex: &zk_sync_mutex::DistMutex) -> Result<(), zk_sync_core::Error> {
        /// let guard = mutex.lock().await?;
        /// tokio::select! {
        ///     _ = guard.revoke_requested() => println!("asked to let go"),
        ///     _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        /// }
        /// guard.unlock().await
        /// # }
        /// ```
        ///
        /// # Cancel safety
        ///
        /// Cancel safe.
        pub async fn revoke_requested(&self) {
            self.hold.revoke_requested().await
        }

        /// The hold of the node: this guard's own, or the one the process's holders share.
        pub fn hold(&self) -> &Hold {
            self.hold.node()
        }

        /// Releases the lock.
        ///
        /// With local hand-off, the next local task waiting gets the lock at once, without a
        /// request; the node itself goes once no local task waits (after the linger) or a
        /// contender of another session waits (see [`DistMutexBuilder`](crate::DistMutexBuilder)).
        ///
        /// Otherwise it completes without waiting for the server's reply. The release leaves with the
        /// session's next request, or as soon as this task yields to the runtime: a `lock()`
        /// right after it carries the release inside its own create, as one transaction that
        /// the server writes to disk once. ZooKeeper executes one session's requests in order,
        /// so everything this process sends afterwards comes after the release, and if the
        /// reply is lost the release is retried in the background. Dropping the guard does the
        /// same, ignoring the error.
        ///
        /// Other sessions see the lock free once the server has applied the release, about one
        /// round trip after this task's next request or yield: a `try_lock` elsewhere that
        /// races with `unlock` may still find it held.
        ///
        /// # Errors
        ///
        /// [`Error::SessionLost`], [`Error::LeaseExpired`] or [`Error::Closed`] when the hold
        /// had already been lost: the work done under it may have overlapped with another
        /// holder.
        pub async fn unlock(self) -> Result<(), Error> {
            self.hold.release_queued()
        }
    };
}

/// A held [`DistMutex`], borrowed from it. Dropping it releases the lock in the background.
///
/// Guards are not `Clone`: one guard is one hold.
#[must_use = "dropping the guard releases the lock"]
#[derive(Debug)]
pub struct DistMutexGuard<'a> {
    hold: Holding,
    _mutex: PhantomData<&'a DistMutex>,
}

impl DistMutexGuard<'_> {
    pub(crate) fn new(hold: Holding) -> Self {
        DistMutexGuard {
            hold,
            _mutex: PhantomData,
        }
    }

    guard_methods!();
}

/// A held [`DistMutex`] that keeps the mutex alive through an `Arc` (from
/// [`DistMutex::lock_owned`]). Dropping it releases the lock in the background.
#[must_use = "dropping the guard releases the lock"]
#[derive(Debug)]
pub struct OwnedDistMutexGuard {
    hold: Holding,
    mutex: Arc<DistMutex>,
}

impl OwnedDistMutexGuard {
    pub(crate) fn new(hold: Holding, mutex: Arc<DistMutex>) -> Self {
        OwnedDistMutexGuard { hold, mutex }
    }

    /// The mutex this guard holds.
    pub fn mutex(&self) -> &Arc<DistMutex> {
        &self.mutex
    }

    guard_methods!();
}
