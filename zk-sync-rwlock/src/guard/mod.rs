//! The guards of [`DistRwLock`](crate::DistRwLock): read and write, borrowed and owned.

mod read;
mod write;

pub use self::read::{DistRwLockReadGuard, OwnedDistRwLockReadGuard};
pub use self::write::{DistRwLockWriteGuard, OwnedDistRwLockWriteGuard};

/// The methods every guard shares: each guard is a [`Hold`](zk_sync_core::Hold) in the lock
/// directory, or a turn on the write node the process's writers share with
/// [local hand-off](crate::DistRwLockBuilder). `$path_doc` documents `path()`, which differs by the marker in the node name.
macro_rules! guard_methods {
    ($path_doc:literal) => {
        /// The fencing token of this hold: greater than that of every earlier hold of this
        /// lock's path (read or write). Pass it to the resource you protect so it can reject
        /// stale holders.
        pub fn fencing_token(&self) -> zk_sync_core::FencingToken {
            self.hold.fencing_token()
        }

        #[doc = $path_doc]
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
        /// # async fn demo(lock: &zk_sync_rwlock::DistRwLock) -> Result<(), zk_sync_core::Error> {
        /// let guard = lock.write().await?;
        /// // … compute the new value …
        /// guard.ensure_held()?;
        /// println!("write with fencing token {}", guard.fencing_token());
        /// guard.unlock().await
        /// # }
        /// ```
        ///
        /// # Errors
        ///
        /// [`Error::LeaseExpired`](zk_sync_core::Error::LeaseExpired) when the lease ran out; otherwise the error that ended the hold (session
        /// lost or closed, node deleted). Once it fails it keeps failing.
        pub fn ensure_held(&self) -> Result<(), zk_sync_core::Error> {
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
        pub async fn lost(&self) -> zk_sync_core::contender::LossReason {
            self.hold.lost().await
        }

        /// Resolves once someone asked this holder to let go: cooperative revocation, by
        /// Apache Curator's convention (its `Revoker` writes `__REVOKE__` into the lock node),
        /// so a request from a Curator process counts as one from
        /// [`DistRwLock::revoke_holders`](crate::DistRwLock::revoke_holders) or `zk-sync revoke`. Nothing is
        /// forced: the holder decides whether and when to unlock. A request made before the
        /// call counts too; while nobody asks, it pends.
        ///
        /// ```no_run
        /// # async fn demo(lock: &zk_sync_rwlock::DistRwLock) -> Result<(), zk_sync_core::Error> {
        /// let guard = lock.write().await?;
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

        /// The underlying hold: the node's (shared by the process's writers with local
        /// hand-off).
        pub fn hold(&self) -> &zk_sync_core::Hold {
            self.hold.node()
        }

        /// Releases the lock.
        ///
        /// It completes without waiting for the server's reply. The release leaves with the
        /// session's next request, or as soon as this task yields to the runtime: an
        /// acquisition right after it carries the release inside its own create, as one
        /// transaction. ZooKeeper executes one session's requests in order, so everything this
        /// process sends afterwards comes after the release, and if the reply is lost the
        /// release is retried in the background. Dropping the guard does the same, ignoring the
        /// error.
        ///
        /// Other sessions see the release about one round trip after this task's next request
        /// or yield.
        ///
        /// # Errors
        ///
        /// [`Error::SessionLost`](zk_sync_core::Error::SessionLost),
        /// [`Error::LeaseExpired`](zk_sync_core::Error::LeaseExpired) or
        /// [`Error::Closed`](zk_sync_core::Error::Closed) when the hold had already been
        /// lost: the work done under it may have overlapped with another holder.
        pub async fn unlock(self) -> Result<(), zk_sync_core::Error> {
            self.hold.release_queued()
        }
    };
}

use guard_methods;
