//! [`DistRwLock`].

use crate::builder::DistRwLockBuilder;
use crate::guard::{
    DistRwLockReadGuard, DistRwLockWriteGuard, OwnedDistRwLockReadGuard, OwnedDistRwLockWriteGuard,
};
use crate::recipe::{ReadWrite, Side};
use std::sync::Arc;
use zk_sync_core::local::{Holding, LocalHandoff, LocalQueue};
use zk_sync_core::TryLockError;
use zk_sync_core::{ContenderQueue, Error, Session};

pub(crate) static RECIPE: ReadWrite = ReadWrite;

/// A distributed reader-writer lock on a ZooKeeper path.
///
/// Any number of readers hold it together; a writer holds it alone. Readers and writers queue
/// in one FIFO order, so a reader arriving after a queued writer waits for that writer: a
/// stream of readers never starves a writer (the same policy as
/// [`tokio::sync::RwLock`](https://docs.rs/tokio/1/tokio/sync/struct.RwLock.html)). Each hold
/// carries a [`FencingToken`](crate::FencingToken), and its guard tells you when the hold
/// became uncertain (connection suspended) or was lost (session expired).
///
/// It is **not reentrant**: a task that holds a read guard and asks for a write guard queues
/// behind itself and waits forever, and so does a second `read()` while a writer is queued
/// between the two. Two `DistRwLock` values for one path in one process are separate
/// contenders too, except for the writers of locks built with
/// [local hand-off](DistRwLockBuilder), which take turns on one write node.
///
/// # Timeouts
///
/// Every acquisition is cancel safe, so a timeout is just
/// [`tokio::time::timeout`](https://docs.rs/tokio/1/tokio/time/fn.timeout.html):
///
/// ```no_run
/// # async fn demo(lock: zk_sync_rwlock::DistRwLock) {
/// use std::time::Duration;
///
/// match tokio::time::timeout(Duration::from_secs(5), lock.write()).await {
///     Ok(Ok(guard)) => { /* written alone */ drop(guard) }
///     Ok(Err(error)) => eprintln!("ZooKeeper trouble: {error}"),
///     Err(_elapsed) => eprintln!("gave up waiting"),
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DistRwLock {
    queue: ContenderQueue,
    // The write node the process's writers share, with local hand-off.
    local_writers: Option<LocalWriters>,
}

/// The local queue of a lock's writers with local hand-off, and its settings.
#[derive(Debug, Clone)]
pub(crate) struct LocalWriters {
    pub(crate) queue: Arc<LocalQueue>,
    pub(crate) handoff: LocalHandoff,
}

impl DistRwLock {
    /// A reader-writer lock on `path`, a directory that holds the contenders' nodes (created on
    /// first use).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), zk_sync_rwlock::Error> {
    /// use zk_sync_rwlock::{DistRwLock, Session};
    ///
    /// let session = Session::connect("127.0.0.1:2181").await?;
    /// let lock = DistRwLock::new(session, "/locks/config")?;
    /// assert_eq!(lock.path(), "/locks/config");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a path that is not absolute and clean (relative, trailing
    /// `/`, empty segment, NUL, …).
    pub fn new(session: Session, path: &str) -> Result<DistRwLock, Error> {
        DistRwLock::builder(session, path).build()
    }

    /// A builder for a lock on `path`, with [local hand-off](DistRwLockBuilder) for its
    /// writers as an option.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), zk_sync_rwlock::Error> {
    /// use zk_sync_rwlock::{DistRwLock, Session};
    ///
    /// let session = Session::connect("127.0.0.1:2181").await?;
    /// let lock = DistRwLock::builder(session, "/locks/config").local_handoff(true).build()?;
    /// assert!(lock.local_handoff());
    /// # Ok(()) }
    /// ```
    pub fn builder(session: Session, path: &str) -> DistRwLockBuilder {
        DistRwLockBuilder::new(session, path)
    }

    pub(crate) fn from_parts(
        queue: ContenderQueue,
        local_writers: Option<LocalWriters>,
    ) -> DistRwLock {
        DistRwLock {
            queue,
            local_writers,
        }
    }

    /// Whether the process's writers share one write node on this path (see
    /// [`DistRwLockBuilder`]).
    pub fn local_handoff(&self) -> bool {
        self.local_writers.is_some()
    }

    /// The lock's path.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(lock: zk_sync_rwlock::DistRwLock) {
    /// println!("locking {}", lock.path());
    /// # }
    /// ```
    pub fn path(&self) -> &str {
        self.queue.dir()
    }

    /// The session the lock uses.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(lock: zk_sync_rwlock::DistRwLock) {
    /// println!("session state: {}", lock.session().status().state);
    /// # }
    /// ```
    pub fn session(&self) -> &Session {
        self.queue.session()
    }

    /// Asks everyone who holds the lock right now (the readers holding together, or the
    /// writer) to let go: cooperative revocation, by Apache Curator's convention
    /// (`__REVOKE__` written into each holder's node, as Curator's `Revoker` does). Returns
    /// the nodes asked; empty when nobody held it. A holder that listens
    /// ([`DistRwLockReadGuard::revoke_requested`], Curator's `makeRevocable`) decides
    /// whether, and when, to unlock.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: zk_sync_rwlock::DistRwLock) -> Result<(), zk_sync_rwlock::Error> {
    /// for node in lock.revoke_holders().await? {
    ///     println!("asked {node} to let go");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when the session is closed; the epoch's end; any other server error.
    pub async fn revoke_holders(&self) -> Result<Vec<String>, Error> {
        self.queue.revoke_holders(&RECIPE).await
    }

    /// Waits until this contender holds the lock for reading: no writer is ahead of it.
    ///
    /// Uncontended (or among readers only), this costs one pipelined round trip to ZooKeeper.
    /// A waiter survives disconnections, server restarts and even the loss of its session: it
    /// re-queues in the new session and keeps waiting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: zk_sync_rwlock::DistRwLock) -> Result<(), zk_sync_rwlock::Error> {
    /// let guard = lock.read().await?;
    /// // other readers may be in too; no writer is
    /// guard.unlock().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped at any point, its node is removed in the
    /// background and never blocks other contenders. That makes
    /// `tokio::time::timeout(d, lock.read())` the way to bound the wait.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the session is closed; server errors such as missing
    /// permission (`is_no_auth()`).
    pub async fn read(&self) -> Result<DistRwLockReadGuard<'_>, Error> {
        Ok(DistRwLockReadGuard::new(self.acquire(Side::Read).await?))
    }

    /// Waits until this contender holds the lock alone, for writing.
    ///
    /// Costs one pipelined round trip when the lock is free. A waiter survives disconnections,
    /// server restarts and the loss of its session, as [`read`](Self::read) does.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: zk_sync_rwlock::DistRwLock) -> Result<(), zk_sync_rwlock::Error> {
    /// let guard = lock.write().await?;
    /// // no other reader or writer across every process sharing the path
    /// guard.unlock().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    pub async fn write(&self) -> Result<DistRwLockWriteGuard<'_>, Error> {
        Ok(DistRwLockWriteGuard::new(self.acquire(Side::Write).await?))
    }

    /// Takes the lock for reading if no writer holds it or waits for it, without waiting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: zk_sync_rwlock::DistRwLock) {
    /// use zk_sync_rwlock::TryLockError;
    ///
    /// match lock.try_read().await {
    ///     Ok(guard) => drop(guard),
    ///     Err(TryLockError::WouldBlock) => println!("a writer is in or queued"),
    ///     Err(error) => eprintln!("{error}"),
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// [`TryLockError::WouldBlock`] when a writer holds or waits; [`TryLockError::Error`] when
    /// ZooKeeper could not be asked.
    pub async fn try_read(&self) -> Result<DistRwLockReadGuard<'_>, TryLockError> {
        Ok(DistRwLockReadGuard::new(
            self.try_acquire(Side::Read).await?,
        ))
    }

    /// Takes the lock for writing if no other contender holds it or waits for it, without
    /// waiting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: zk_sync_rwlock::DistRwLock) {
    /// if let Ok(guard) = lock.try_write().await {
    ///     // written alone
    ///     drop(guard);
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// [`TryLockError::WouldBlock`] when anyone holds or waits; [`TryLockError::Error`] when
    /// ZooKeeper could not be asked.
    pub async fn try_write(&self) -> Result<DistRwLockWriteGuard<'_>, TryLockError> {
        Ok(DistRwLockWriteGuard::new(
            self.try_acquire(Side::Write).await?,
        ))
    }

    /// Like [`read`](Self::read), with a guard that owns an `Arc` of the lock (`'static`, so it
    /// can move into spawned tasks).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: zk_sync_rwlock::DistRwLock) -> Result<(), zk_sync_rwlock::Error> {
    /// use std::sync::Arc;
    ///
    /// let lock = Arc::new(lock);
    /// let guard = lock.clone().read_owned().await?;
    /// tokio::spawn(async move { guard.unlock().await });
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    pub async fn read_owned(self: Arc<Self>) -> Result<OwnedDistRwLockReadGuard, Error> {
        let hold = self.acquire(Side::Read).await?;
        Ok(OwnedDistRwLockReadGuard::new(hold, self))
    }

    /// Like [`write`](Self::write), with a guard that owns an `Arc` of the lock.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: std::sync::Arc<zk_sync_rwlock::DistRwLock>) -> Result<(), zk_sync_rwlock::Error> {
    /// let guard = lock.write_owned().await?;
    /// tokio::spawn(async move { guard.unlock().await });
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    pub async fn write_owned(self: Arc<Self>) -> Result<OwnedDistRwLockWriteGuard, Error> {
        let hold = self.acquire(Side::Write).await?;
        Ok(OwnedDistRwLockWriteGuard::new(hold, self))
    }

    /// Like [`try_read`](Self::try_read), with an owned guard.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: std::sync::Arc<zk_sync_rwlock::DistRwLock>) {
    /// if let Ok(guard) = lock.try_read_owned().await {
    ///     drop(guard);
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// As [`try_read`](Self::try_read).
    pub async fn try_read_owned(self: Arc<Self>) -> Result<OwnedDistRwLockReadGuard, TryLockError> {
        let hold = self.try_acquire(Side::Read).await?;
        Ok(OwnedDistRwLockReadGuard::new(hold, self))
    }

    /// Like [`try_write`](Self::try_write), with an owned guard.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(lock: std::sync::Arc<zk_sync_rwlock::DistRwLock>) {
    /// if let Ok(guard) = lock.try_write_owned().await {
    ///     drop(guard);
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// As [`try_write`](Self::try_write).
    pub async fn try_write_owned(
        self: Arc<Self>,
    ) -> Result<OwnedDistRwLockWriteGuard, TryLockError> {
        let hold = self.try_acquire(Side::Write).await?;
        Ok(OwnedDistRwLockWriteGuard::new(hold, self))
    }

    async fn acquire(&self, side: Side) -> Result<Holding, Error> {
        match (side, &self.local_writers) {
            (Side::Write, Some(local)) => {
                Ok(Holding::Local(local.queue.acquire(local.handoff).await?))
            }
            // Boxed, as the mutex's: a local writer's task need not carry its size.
            _ => Ok(Holding::Own(
                Box::pin(self.queue.acquire(&RECIPE, side as usize, b"")).await?,
            )),
        }
    }

    async fn try_acquire(&self, side: Side) -> Result<Holding, TryLockError> {
        let hold = match (side, &self.local_writers) {
            (Side::Write, Some(local)) => local
                .queue
                .try_acquire(local.handoff)
                .await?
                .map(Holding::Local),
            _ => self
                .queue
                .try_acquire(&RECIPE, side as usize, b"")
                .await?
                .map(Holding::Own),
        };
        hold.ok_or(TryLockError::WouldBlock)
    }
}
