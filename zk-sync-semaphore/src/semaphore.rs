//! [`DistSemaphore`].

use crate::error::TryAcquireError;
use crate::permit::{DistSemaphorePermit, Leases, OwnedDistSemaphorePermit};
use crate::recipe::{LEASE, LOCK};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_core::backend::WatchFuture;
use zk_sync_core::metrics::{AcquireRecorder, WaiterGauge};
use zk_sync_core::{ContenderQueue, Epoch, Error, Hold, InvalidArgument, Session, ZkErrorCode};

/// The `primitive` label of the semaphore's metrics.
pub(crate) const PRIMITIVE: &str = "semaphore";

/// A distributed counting semaphore on a ZooKeeper path: at most `permits` leases are held at
/// once, across every process sharing the path.
///
/// Shaped like [`tokio::sync::Semaphore`](https://docs.rs/tokio/1/tokio/sync/struct.Semaphore.html),
/// and wire compatible with Apache Curator's `InterProcessSemaphoreV2`: Rust and Java
/// services with the same maximum share one path (see the [crate documentation](crate) for
/// the protocol). Contenders are served in FIFO order. Each permit carries a
/// [`FencingToken`](crate::FencingToken), and tells you when it became uncertain (connection
/// suspended) or was lost (session expired).
///
/// The maximum is not stored in ZooKeeper: every participant must use the same one, as with
/// Curator.
///
/// # Timeouts
///
/// Every acquisition is cancel safe, so a timeout is just
/// [`tokio::time::timeout`](https://docs.rs/tokio/1/tokio/time/fn.timeout.html):
///
/// ```no_run
/// # async fn demo(semaphore: zk_sync_semaphore::DistSemaphore) {
/// use std::time::Duration;
///
/// match tokio::time::timeout(Duration::from_secs(5), semaphore.acquire()).await {
///     Ok(Ok(permit)) => { /* one of at most N */ drop(permit) }
///     Ok(Err(error)) => eprintln!("ZooKeeper trouble: {error}"),
///     Err(_elapsed) => eprintln!("gave up waiting"),
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DistSemaphore {
    path: Arc<str>,
    permits: u32,
    // `<path>/locks`: held while a contender takes its leases, so that contenders take turns.
    locks: ContenderQueue,
    // `<path>/leases`: one node per permit held.
    leases: ContenderQueue,
    // Whether the last first count found the leases full.
    crowded: Arc<AtomicBool>,
}

/// Whether an acquisition may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Wait,
    Try,
}

/// How one attempt ended.
#[derive(Debug)]
enum Attempt {
    Leased(Leases),
    /// Try mode only: the lock was taken or the leases were full.
    NoPermits,
    /// The session changed or a lease node vanished: start over.
    Again,
}

/// What the lease directory said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Room {
    Fits,
    Full,
    Gone,
}

impl DistSemaphore {
    /// A semaphore of `permits` permits on `path`, a directory that holds its `locks` and
    /// `leases` directories (created on first use).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), zk_sync_semaphore::Error> {
    /// use zk_sync_semaphore::{DistSemaphore, Session};
    ///
    /// let session = Session::connect("127.0.0.1:2181").await?;
    /// let semaphore = DistSemaphore::new(session, "/semaphores/partner-api", 4)?;
    /// assert_eq!(semaphore.permits(), 4);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for 0 permits, or a path that is not absolute and clean
    /// (relative, trailing `/`, empty segment, NUL, the root, …).
    pub fn new(session: Session, path: &str, permits: u32) -> Result<DistSemaphore, Error> {
        zk_sync_core::validate_path(path)?;
        if path == "/" {
            return Err(InvalidArgument::RootPath.into());
        }
        if permits == 0 {
            return Err(
                InvalidArgument::Other("a semaphore needs at least one permit".into()).into(),
            );
        }
        let queue = |dir: &str| -> Result<ContenderQueue, Error> {
            let queue = ContenderQueue::new(session.clone(), &format!("{path}/{dir}"), PRIMITIVE)?;
            // Acquisitions are counted once, here, not once per lock and lease node.
            Ok(queue.uncounted())
        };
        Ok(DistSemaphore {
            path: path.into(),
            permits,
            locks: queue("locks")?,
            leases: queue("leases")?,
            crowded: Arc::default(),
        })
    }

    /// The semaphore's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The maximum number of permits held at once (the same for every participant).
    pub fn permits(&self) -> u32 {
        self.permits
    }

    /// The session the semaphore uses.
    pub fn session(&self) -> &Session {
        self.locks.session()
    }

    /// How many permits are free right now: the maximum less the lease nodes in the
    /// directory. A snapshot, stale as soon as it returns; use
    /// [`try_acquire`](Self::try_acquire) to take a permit if one is free.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: zk_sync_semaphore::DistSemaphore) -> Result<(), zk_sync_semaphore::Error> {
    /// println!("{} of {} permits free", semaphore.available_permits().await?, semaphore.permits());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the session is closed; server errors such as `NoAuth`.
    pub async fn available_permits(&self) -> Result<u32, Error> {
        let epoch = self.session().live_epoch().await?;
        let leased = epoch
            .children(self.leases.dir())
            .await?
            .map_or(0, |c| c.len());
        Ok(self
            .permits
            .saturating_sub(u32::try_from(leased).unwrap_or(u32::MAX)))
    }

    /// Waits for one permit.
    ///
    /// Uncontended, this costs two round trips to ZooKeeper (take the turn; create the lease
    /// with the first count right behind it). A waiter survives disconnections, server restarts and even
    /// the loss of its session: it queues again in the new session and keeps waiting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: zk_sync_semaphore::DistSemaphore) -> Result<(), zk_sync_semaphore::Error> {
    /// let permit = semaphore.acquire().await?;
    /// // at most `permits` holders across every process sharing the path
    /// permit.release().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped at any point, its nodes are removed in the
    /// background and never block other contenders.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the session is closed; server errors such as missing
    /// permission (`is_no_auth()`).
    pub async fn acquire(&self) -> Result<DistSemaphorePermit<'_>, Error> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits, taken together: the permit counts as `n` until released.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: zk_sync_semaphore::DistSemaphore) -> Result<(), zk_sync_semaphore::Error> {
    /// let permit = semaphore.acquire_many(2).await?;
    /// assert_eq!(permit.num_permits(), 2);
    /// permit.release().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire); no lease of a cancelled call is kept.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for `n` of 0 or more than [`permits`](Self::permits);
    /// otherwise as [`acquire`](Self::acquire).
    pub async fn acquire_many(&self, n: u32) -> Result<DistSemaphorePermit<'_>, Error> {
        Ok(DistSemaphorePermit::new(self.acquire_leases(n).await?))
    }

    /// Takes one permit if one is free and nobody is queued ahead, without waiting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: zk_sync_semaphore::DistSemaphore) {
    /// use zk_sync_semaphore::TryAcquireError;
    ///
    /// match semaphore.try_acquire().await {
    ///     Ok(permit) => drop(permit),
    ///     Err(TryAcquireError::NoPermits) => println!("all permits taken"),
    ///     Err(error) => eprintln!("{error}"),
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire).
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] when every permit is taken or another contender is
    /// queued; [`TryAcquireError::Error`] when ZooKeeper could not be asked.
    pub async fn try_acquire(&self) -> Result<DistSemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1).await
    }

    /// Takes `n` permits together if they are free and nobody is queued ahead, without
    /// waiting.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: zk_sync_semaphore::DistSemaphore) {
    /// if let Ok(permit) = semaphore.try_acquire_many(3).await {
    ///     assert_eq!(permit.num_permits(), 3);
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire).
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Self::try_acquire), and [`TryAcquireError::Error`] with
    /// [`Error::InvalidArgument`] for `n` of 0 or more than [`permits`](Self::permits).
    pub async fn try_acquire_many(
        &self,
        n: u32,
    ) -> Result<DistSemaphorePermit<'_>, TryAcquireError> {
        Ok(DistSemaphorePermit::new(self.try_acquire_leases(n).await?))
    }

    /// Like [`acquire`](Self::acquire), with a permit that owns an `Arc` of the semaphore
    /// (`'static`, so it can move into spawned tasks).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: zk_sync_semaphore::DistSemaphore) -> Result<(), zk_sync_semaphore::Error> {
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(semaphore);
    /// let permit = semaphore.clone().acquire_owned().await?;
    /// tokio::spawn(async move { permit.release().await });
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire).
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedDistSemaphorePermit, Error> {
        self.acquire_many_owned(1).await
    }

    /// Like [`acquire_many`](Self::acquire_many), with an owned permit.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: std::sync::Arc<zk_sync_semaphore::DistSemaphore>) -> Result<(), zk_sync_semaphore::Error> {
    /// let permit = semaphore.acquire_many_owned(2).await?;
    /// tokio::spawn(async move { permit.release().await });
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire).
    ///
    /// # Errors
    ///
    /// As [`acquire_many`](Self::acquire_many).
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedDistSemaphorePermit, Error> {
        let leases = self.acquire_leases(n).await?;
        Ok(OwnedDistSemaphorePermit::new(leases, self))
    }

    /// Like [`try_acquire`](Self::try_acquire), with an owned permit.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: std::sync::Arc<zk_sync_semaphore::DistSemaphore>) {
    /// if let Ok(permit) = semaphore.try_acquire_owned().await {
    ///     drop(permit);
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire).
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Self::try_acquire).
    pub async fn try_acquire_owned(
        self: Arc<Self>,
    ) -> Result<OwnedDistSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1).await
    }

    /// Like [`try_acquire_many`](Self::try_acquire_many), with an owned permit.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(semaphore: std::sync::Arc<zk_sync_semaphore::DistSemaphore>) {
    /// if let Ok(permit) = semaphore.try_acquire_many_owned(2).await {
    ///     drop(permit);
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire).
    ///
    /// # Errors
    ///
    /// As [`try_acquire_many`](Self::try_acquire_many).
    pub async fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedDistSemaphorePermit, TryAcquireError> {
        let leases = self.try_acquire_leases(n).await?;
        Ok(OwnedDistSemaphorePermit::new(leases, self))
    }

    fn check_count(&self, n: u32) -> Result<(), Error> {
        if n == 0 || n > self.permits {
            return Err(InvalidArgument::Other(format!(
                "cannot take {n} permits of a semaphore of {}",
                self.permits
            ))
            .into());
        }
        Ok(())
    }

    async fn acquire_leases(&self, n: u32) -> Result<Leases, Error> {
        self.check_count(n)?;
        let mut outcome = AcquireRecorder::start(PRIMITIVE);
        let _waiting = WaiterGauge::new(PRIMITIVE);
        let mut pause = Backoff::default();
        let result = loop {
            match self.attempt(n, Mode::Wait).await {
                Ok(Attempt::Leased(leases)) => break Ok(leases),
                Ok(Attempt::NoPermits) => continue,
                // The session changed or someone deleted a node of ours: start over, not in
                // a tight loop.
                Ok(Attempt::Again) => pause.wait().await,
                // Every node of the attempt went with its session: queue again in the next.
                Err(error) if error.is_session_lost() => pause.wait().await,
                Err(error) => break Err(error),
            }
        };
        outcome.finish(if result.is_ok() { "acquired" } else { "error" });
        result
    }

    async fn try_acquire_leases(&self, n: u32) -> Result<Leases, TryAcquireError> {
        self.check_count(n)?;
        let mut outcome = AcquireRecorder::start(PRIMITIVE);
        let result = match self.attempt(n, Mode::Try).await {
            Ok(Attempt::Leased(leases)) => Ok(leases),
            Ok(Attempt::NoPermits) => Err(TryAcquireError::NoPermits),
            // The session changed under the attempt: say so rather than wait for the next.
            Ok(Attempt::Again) => Err(TryAcquireError::Error(Error::SessionLost)),
            Err(error) => Err(TryAcquireError::Error(error)),
        };
        outcome.finish(match &result {
            Ok(_) => "acquired",
            Err(TryAcquireError::NoPermits) => "would_block",
            Err(_) => "error",
        });
        result
    }

    /// One attempt, in Curator's order: take the turn on `locks`, create the lease nodes,
    /// count the leases until they fit, give the turn back.
    async fn attempt(&self, n: u32, mode: Mode) -> Result<Attempt, Error> {
        let turn = match mode {
            Mode::Wait => self.locks.acquire(&LOCK, 0, b"").await?,
            Mode::Try => match self.locks.try_acquire(&LOCK, 0, b"").await? {
                Some(turn) => turn,
                None => return Ok(Attempt::NoPermits),
            },
        };
        // Every step runs in the turn's session: in a later one, the turn may be someone
        // else's already.
        let Some(epoch) = self.turn_epoch(&turn) else {
            return Ok(Attempt::Again);
        };
        // The creates go out together; a failure drops the others' holds, which deletes
        // their nodes.
        let creates = (0..n).map(|_| self.leases.acquire(&LEASE, 0, b""));
        let creates = futures::future::try_join_all(creates);
        // A listing sent right behind the creates (`join!` polls them first, and the listing
        // is called only when its future is first polled): when
        // it names them, it is the first count, in the creates' round trip. Once the leases
        // were found full, it sets the watch a wait would need.
        let dir = self.leases.dir();
        let watched = self.crowded.load(Ordering::Relaxed);
        let early = async {
            match watched {
                true => (epoch.backend().get_children_watch(dir).await.ok())
                    .map(|(children, watch)| (children, Some(watch))),
                false => epoch
                    .backend()
                    .get_children(dir)
                    .await
                    .ok()
                    .map(|c| (c, None)),
            }
        };
        let (leases, early) = futures::join!(creates, early);
        let leases = leases?;
        let room = self.wait_for_room(&turn, &leases, mode, early).await;
        // The turn's delete leaves with the next request or when this task yields.
        let _ = turn.release_queued();
        match room? {
            Room::Fits => {
                leases.iter().try_for_each(Hold::ensure_held)?;
                Ok(Attempt::Leased(Leases::new(leases)))
            }
            // Dropping the holds deletes the nodes in the background.
            Room::Full => Ok(Attempt::NoPermits),
            Room::Gone => Ok(Attempt::Again),
        }
    }

    /// The live epoch, if it is the turn's and the turn is still held.
    fn turn_epoch(&self, turn: &Hold) -> Option<Arc<Epoch>> {
        let epoch = self.session().current_epoch()?;
        let live = epoch.number() == turn.epoch() && !epoch.has_ended();
        (live && turn.ensure_held().is_ok()).then_some(epoch)
    }

    /// Counts the children of `leases` until there are at most `permits`, ours among them,
    /// while `turn` is held. Only the contender holding the turn counts, so a release wakes
    /// one waiter, not all.
    async fn wait_for_room(
        &self,
        turn: &Hold,
        leases: &[Hold],
        mode: Mode,
        early: Option<(Vec<String>, Option<WatchFuture>)>,
    ) -> Result<Room, Error> {
        let dir = self.leases.dir();
        let named = |children: &[String]| {
            leases
                .iter()
                .all(|lease| children.iter().any(|child| child == lease.name()))
        };
        // A listing that does not name every lease of ours was answered before a create.
        let mut early = early.filter(|(children, _)| named(children));
        // Uncontended, counts go without a watch, and fit: no watch is left behind to fire
        // at the next release. Once a count found the leases full, the next attempt's first
        // count comes with a watch, sparing a second listing when they are full again.
        let mut watch_next = false;
        let mut first = true;
        loop {
            let Some(epoch) = self.turn_epoch(turn) else {
                return Ok(Room::Gone);
            };
            if leases.iter().any(|lease| lease.epoch() != turn.epoch()) {
                return Ok(Room::Gone);
            }
            // Taken before the listing, so that no transition after it goes unseen.
            let mut status = epoch.status_receiver();
            let (children, watch) = match early.take() {
                Some(listed) => listed,
                None => match self.list(&epoch, watch_next).await? {
                    Some(listed) => listed,
                    None => return Ok(Room::Gone),
                },
            };
            if !named(&children) {
                tracing::warn!(dir, "a lease node vanished while counting; starting over");
                return Ok(Room::Gone);
            }
            // Every child counts, as Curator counts them.
            let fits = children.len() <= self.permits as usize;
            if std::mem::take(&mut first) {
                self.crowded.store(!fits, Ordering::Relaxed);
            }
            if fits {
                return Ok(Room::Fits);
            }
            if mode == Mode::Try {
                return Ok(Room::Full);
            }
            let Some(watch) = watch else {
                watch_next = true;
                continue;
            };
            tokio::select! {
                _ = watch => {}
                // Suspended, back or lost: count again (with a new watch), or start over.
                _ = status.changed() => {}
                // Someone deleted the turn's node: it may be someone else's turn now.
                _ = turn.lost() => {}
            }
        }
    }

    /// The children of the lease directory, with a watch if asked; `None` if it is gone.
    async fn list(
        &self,
        epoch: &Epoch,
        watch: bool,
    ) -> Result<Option<(Vec<String>, Option<WatchFuture>)>, Error> {
        let dir = self.leases.dir();
        let listed = match watch {
            true => epoch
                .retry("getChildren", dir, |b| b.get_children_watch(dir))
                .await?
                .map(|(children, watch)| (children, Some(watch))),
            false => epoch
                .retry("getChildren", dir, |b| b.get_children(dir))
                .await?
                .map(|children| (children, None)),
        };
        match listed {
            Ok(listed) => Ok(Some(listed)),
            Err(ZkErrorCode::NoNode) => Ok(None),
            Err(code) => Err(Error::zk("getChildren", dir, code)),
        }
    }
}

/// The pause before an attempt starts over: 10 ms, doubling up to 1 s.
#[derive(Debug, Default)]
struct Backoff(u32);

impl Backoff {
    async fn wait(&mut self) {
        let pause = Duration::from_millis(10 << self.0.min(7)).min(Duration::from_secs(1));
        self.0 += 1;
        tokio::time::sleep(pause).await;
    }
}
