//! [`DistMutex`].

use crate::builder::DistMutexBuilder;
use crate::guard::{DistMutexGuard, OwnedDistMutexGuard};
use std::sync::Arc;
use zk_sync_core::contender::Exclusive;
use zk_sync_core::local::{Holding, LocalHandoff, LocalQueue};
use zk_sync_core::TryLockError;
use zk_sync_core::{ContenderQueue, Error, Session};

pub(crate) static RECIPE: Exclusive = Exclusive::LOCK;

/// A distributed mutual-exclusion lock on a ZooKeeper path.
///
/// Contenders acquire in FIFO order. Each hold carries a [`FencingToken`](crate::FencingToken)
/// that grows with every new hold, and its guard tells you when the hold became uncertain
/// (connection suspended) or was lost (session expired).
///
/// Like [`tokio::sync::Mutex`](https://docs.rs/tokio/1/tokio/sync/struct.Mutex.html), it is **not reentrant**: a task that calls [`lock`](Self::lock)
/// while it already holds the lock queues behind itself and waits forever. The same applies to
/// two `DistMutex` values for one path in one process: they are separate contenders, unless
/// both were built with [local hand-off](DistMutexBuilder), which lets the process's tasks take
/// turns on one node without a request per hand-off.
///
/// # Timeouts
///
/// [`lock`](Self::lock) is cancel safe, so a timeout is just [`tokio::time::timeout`](https://docs.rs/tokio/1/tokio/time/fn.timeout.html):
///
/// ```no_run
/// # async fn demo(mutex: zk_sync_mutex::DistMutex) {
/// use std::time::Duration;
///
/// match tokio::time::timeout(Duration::from_secs(5), mutex.lock()).await {
///     Ok(Ok(guard)) => { /* locked */ drop(guard) }
///     Ok(Err(error)) => eprintln!("ZooKeeper trouble: {error}"),
///     Err(_elapsed) => eprintln!("gave up waiting"),
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DistMutex {
    queue: ContenderQueue,
    local: Option<LocalMode>,
    node_data: Arc<[u8]>,
}

/// The local queue a mutex with local hand-off shares, and its own settings.
#[derive(Debug, Clone)]
pub(crate) struct LocalMode {
    pub(crate) queue: Arc<LocalQueue>,
    pub(crate) handoff: LocalHandoff,
}

impl DistMutex {
    /// A mutex on `path`, a directory that holds the contenders' nodes (created on first use).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), zk_sync_mutex::Error> {
    /// use zk_sync_mutex::{DistMutex, Session};
    ///
    /// let session = Session::connect("127.0.0.1:2181").await?;
    /// let mutex = DistMutex::new(session, "/locks/orders")?;
    /// assert_eq!(mutex.path(), "/locks/orders");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a path that is not absolute and clean (relative, trailing
    /// `/`, empty segment, NUL, …).
    pub fn new(session: Session, path: &str) -> Result<DistMutex, Error> {
        DistMutex::builder(session, path).build()
    }

    /// A builder for a mutex on `path`, with [local hand-off](DistMutexBuilder) as an option.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), zk_sync_mutex::Error> {
    /// use zk_sync_mutex::{DistMutex, Session};
    ///
    /// let session = Session::connect("127.0.0.1:2181").await?;
    /// let mutex = DistMutex::builder(session, "/locks/orders").local_handoff(true).build()?;
    /// assert!(mutex.local_handoff());
    /// # Ok(()) }
    /// ```
    pub fn builder(session: Session, path: &str) -> DistMutexBuilder {
        DistMutexBuilder::new(session, path)
    }

    pub(crate) fn from_parts(
        queue: ContenderQueue,
        local: Option<LocalMode>,
        node_data: Arc<[u8]>,
    ) -> DistMutex {
        DistMutex {
            queue,
            local,
            node_data,
        }
    }

    /// Whether the process's tasks share one node on this path (see [`DistMutexBuilder`]).
    pub fn local_handoff(&self) -> bool {
        self.local.is_some()
    }

    /// The lock's path.
    pub fn path(&self) -> &str {
        self.queue.dir()
    }

    /// The session the mutex uses.
    pub fn session(&self) -> &Session {
        self.queue.session()
    }

    /// Asks whoever holds the lock right now to let go (cooperative revocation, by Apache
    /// Curator's convention: `__REVOKE__` written into the holder's node, as Curator's
    /// `Revoker` does), and returns the node asked; `None` when nobody held it, or its holder
    /// let go before the request reached it. A holder that listens
    /// ([`DistMutexGuard::revoke_requested`], Curator's `makeRevocable`) decides whether, and
    /// when, to unlock; one that does not never learns of it.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(mutex: zk_sync_mutex::DistMutex) -> Result<(), zk_sync_mutex::Error> {
    /// match mutex.revoke_holder().await? {
    ///     Some(node) => println!("asked {node} to let go"),
    ///     None => println!("nobody holds it"),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when the session is closed; the epoch's end; any other server error
    /// (`NoAuth` on a locked-down lock of another identity, say).
    pub async fn revoke_holder(&self) -> Result<Option<String>, Error> {
        // One holder at most: the oldest contender.
        Ok(self.queue.revoke_holders(&RECIPE).await?.pop())
    }

    /// Waits until this contender holds the lock.
    ///
    /// Uncontended, this costs one pipelined round trip to ZooKeeper; right after this process
    /// unlocked, the create also carries that release, and is then the only request of the
    /// cycle (see [`DistMutexGuard::unlock`]). With [local hand-off](DistMutexBuilder), a
    /// lock while the process holds the node costs no request: it waits for the local tasks
    /// ahead of it. A waiter survives
    /// disconnections, server restarts and even the loss of its session: it re-queues in the
    /// new session and keeps waiting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(mutex: zk_sync_mutex::DistMutex) -> Result<(), zk_sync_mutex::Error> {
    /// let guard = mutex.lock().await?;
    /// // only one holder across every process sharing the path
    /// guard.unlock().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped at any point, its node is removed in the
    /// background and never blocks other contenders. That makes
    /// `tokio::time::timeout(d, mutex.lock())` the way to bound the wait.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the session is closed; server errors such as missing
    /// permission (`is_no_auth()`).
    pub async fn lock(&self) -> Result<DistMutexGuard<'_>, Error> {
        Ok(DistMutexGuard::new(self.acquire().await?))
    }

    async fn acquire(&self) -> Result<Holding, Error> {
        match &self.local {
            Some(local) => Ok(Holding::Local(local.queue.acquire(local.handoff).await?)),
            // Boxed: a waiter's task carries the size of this future, and the walk of a
            // node's own makes it several times larger than a local waiter needs.
            None => Ok(Holding::Own(
                Box::pin(self.queue.acquire(&RECIPE, 0, &self.node_data)).await?,
            )),
        }
    }

    async fn try_acquire(&self) -> Result<Option<Holding>, Error> {
        match &self.local {
            Some(local) => Ok(local
                .queue
                .try_acquire(local.handoff)
                .await?
                .map(Holding::Local)),
            None => Ok(self
                .queue
                .try_acquire(&RECIPE, 0, &self.node_data)
                .await?
                .map(Holding::Own)),
        }
    }

    /// Takes the lock if no other contender holds or waits for it, without waiting. With
    /// local hand-off, while this process holds the node and no local task holds or waits,
    /// it sends no request.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(mutex: zk_sync_mutex::DistMutex) {
    /// use zk_sync_mutex::TryLockError;
    ///
    /// match mutex.try_lock().await {
    ///     Ok(guard) => drop(guard),
    ///     Err(TryLockError::WouldBlock) => println!("busy"),
    ///     Err(error) => eprintln!("{error}"),
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`lock`](Self::lock).
    ///
    /// # Errors
    ///
    /// [`TryLockError::WouldBlock`] when held elsewhere; [`TryLockError::Error`] when
    /// ZooKeeper could not be asked.
    pub async fn try_lock(&self) -> Result<DistMutexGuard<'_>, TryLockError> {
        match self.try_acquire().await? {
            Some(hold) => Ok(DistMutexGuard::new(hold)),
            None => Err(TryLockError::WouldBlock),
        }
    }

    /// Like [`lock`](Self::lock), with a guard that owns an `Arc` of the mutex (`'static`, so
    /// it can move into spawned tasks).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(mutex: zk_sync_mutex::DistMutex) -> Result<(), zk_sync_mutex::Error> {
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(mutex);
    /// let guard = mutex.clone().lock_owned().await?;
    /// tokio::spawn(async move { guard.unlock().await });
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`lock`](Self::lock).
    ///
    /// # Errors
    ///
    /// As [`lock`](Self::lock).
    pub async fn lock_owned(self: Arc<Self>) -> Result<OwnedDistMutexGuard, Error> {
        let hold = self.acquire().await?;
        Ok(OwnedDistMutexGuard::new(hold, self))
    }

    /// Like [`try_lock`](Self::try_lock), with an owned guard.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(mutex: std::sync::Arc<zk_sync_mutex::DistMutex>) {
    /// if let Ok(guard) = mutex.try_lock_owned().await {
    ///     drop(guard);
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`lock`](Self::lock).
    ///
    /// # Errors
    ///
    /// As [`try_lock`](Self::try_lock).
    pub async fn try_lock_owned(self: Arc<Self>) -> Result<OwnedDistMutexGuard, TryLockError> {
        match self.try_acquire().await? {
            Some(hold) => Ok(OwnedDistMutexGuard::new(hold, self)),
            None => Err(TryLockError::WouldBlock),
        }
    }
}
