//! The permits of [`DistSemaphore`](crate::DistSemaphore): borrowed and owned.

use crate::semaphore::DistSemaphore;
use crate::semaphore::PRIMITIVE;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;
use zk_sync_core::contender::LossReason;
use zk_sync_core::{Error, FencingToken, Hold};

/// The leases of one permit: one node per permit counted. Times the hold for the metrics
/// (its nodes' holds are not timed one by one).
#[derive(Debug)]
pub(crate) struct Leases(Vec<Hold>, Instant);

impl Leases {
    /// At least one lease.
    pub(crate) fn new(leases: Vec<Hold>) -> Leases {
        assert!(!leases.is_empty(), "a permit has at least one lease");
        Leases(leases, Instant::now())
    }

    fn fencing_token(&self) -> FencingToken {
        self.0
            .iter()
            .map(Hold::fencing_token)
            .max()
            .expect("at least one lease")
    }

    fn ensure_held(&self) -> Result<(), Error> {
        self.0.iter().try_for_each(Hold::ensure_held)
    }

    async fn lost(&self) -> LossReason {
        let lost = self.0.iter().map(|lease| Box::pin(lease.lost()));
        futures::future::select_all(lost).await.0
    }

    fn release(mut self) -> Result<(), Error> {
        // Every lease goes, even after an error.
        let results: Vec<_> = std::mem::take(&mut self.0)
            .into_iter()
            .map(Hold::release_queued)
            .collect();
        results.into_iter().collect()
    }
}

impl Drop for Leases {
    fn drop(&mut self) {
        zk_sync_core::metrics::record_hold(PRIMITIVE, self.1.elapsed());
        // Holds still here (a dropped permit) delete their nodes in the background.
    }
}

/// The methods both permit types share.
macro_rules! permit_methods {
    () => {
        /// How many permits this counts for (the `n` of `acquire_many(n)`).
        pub fn num_permits(&self) -> u32 {
            self.leases.0.len() as u32
        }

        /// The fencing token of this permit: greater than that of every permit acquired
        /// before it on this path, in any process (the newest `czxid` among its lease
        /// nodes). Where holders must not overlap beyond the limit, let the resource reject
        /// tokens older than the oldest it still admits.
        pub fn fencing_token(&self) -> FencingToken {
            self.leases.fencing_token()
        }

        /// The holds of this permit's lease nodes, oldest first (one per permit counted).
        pub fn leases(&self) -> &[Hold] {
            &self.leases.0
        }

        /// The paths of this permit's lease nodes (`<path>/leases/_c_<uuid>-lease-<sequence>`).
        pub fn lease_paths(&self) -> impl Iterator<Item = &str> + '_ {
            self.leases.0.iter().map(Hold::path)
        }

        /// Whether the permit is lost: its session ended, a lease node was deleted by
        /// someone else, or its local lease ran out (see [`ensure_held`](Self::ensure_held)).
        pub fn is_lost(&self) -> bool {
            self.leases.0.iter().any(Hold::is_lost)
        }

        /// Whether the permit is uncertain right now: the connection is suspended, ZooKeeper
        /// has not answered for two thirds of the session timeout, or the permit is lost.
        pub fn is_uncertain(&self) -> bool {
            self.leases.0.iter().any(Hold::is_uncertain)
        }

        /// Checks at once, without a request, that every lease is still held: call it right
        /// before touching the resource the semaphore guards.
        ///
        /// # Errors
        ///
        /// [`Error::LeaseExpired`] when the session's local lease ran out; otherwise the
        /// error that ended a lease (session lost or closed, node deleted).
        pub fn ensure_held(&self) -> Result<(), Error> {
            self.leases.ensure_held()
        }

        /// Resolves as soon as the permit *may* be lost: the connection to ZooKeeper is
        /// suspended, or ZooKeeper has not answered for two thirds of the session timeout. If
        /// the connection returns within the session timeout, the permit is still valid.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe.
        pub async fn uncertain(&self) {
            // The leases share one session.
            self.leases.0[0].uncertain().await
        }

        /// Resolves when the permit is lost (any of its leases): session expired or closed, a
        /// lease node deleted by someone else, or the local lease ran out.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe.
        pub async fn lost(&self) -> LossReason {
            self.leases.lost().await
        }

        /// Gives the permits back.
        ///
        /// It completes without waiting for the server: the lease nodes' deletes leave with
        /// the session's next request (inside it, if that is the next acquisition's create)
        /// or as soon as this task yields, and are retried in the background if a reply is
        /// lost. Dropping the permit does the same, ignoring the error.
        ///
        /// # Errors
        ///
        /// [`Error::SessionLost`], [`Error::LeaseExpired`] or [`Error::Closed`] when the
        /// permit had already been lost: the work done under it may have overlapped with more
        /// holders than the semaphore allows.
        pub async fn release(self) -> Result<(), Error> {
            self.leases.release()
        }
    };
}

/// Permits of a [`DistSemaphore`], borrowed from it. Dropping it gives them back in the
/// background.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(semaphore: zk_sync_semaphore::DistSemaphore) -> Result<(), zk_sync_semaphore::Error> {
/// let permit = semaphore.acquire().await?;
/// tokio::select! {
///     _ = permit.uncertain() => eprintln!("connection suspended: stop the work"),
///     _ = call_rate_limited_api() => {}
/// }
/// permit.release().await?;
/// # Ok(()) }
/// # async fn call_rate_limited_api() {}
/// ```
#[must_use = "dropping the permit gives it back"]
#[derive(Debug)]
pub struct DistSemaphorePermit<'a> {
    leases: Leases,
    _semaphore: PhantomData<&'a DistSemaphore>,
}

impl DistSemaphorePermit<'_> {
    pub(crate) fn new(leases: Leases) -> Self {
        DistSemaphorePermit {
            leases,
            _semaphore: PhantomData,
        }
    }

    permit_methods!();
}

/// Permits of a [`DistSemaphore`] that keep it alive through an `Arc` (from
/// [`DistSemaphore::acquire_owned`]), so they can move into spawned tasks.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(semaphore: std::sync::Arc<zk_sync_semaphore::DistSemaphore>) -> Result<(), zk_sync_semaphore::Error> {
/// let permit = semaphore.acquire_owned().await?;
/// tokio::spawn(async move {
///     println!("working under {} of {}", permit.semaphore().path(), permit.fencing_token());
///     permit.release().await
/// });
/// # Ok(()) }
/// ```
#[must_use = "dropping the permit gives it back"]
#[derive(Debug)]
pub struct OwnedDistSemaphorePermit {
    leases: Leases,
    semaphore: Arc<DistSemaphore>,
}

impl OwnedDistSemaphorePermit {
    pub(crate) fn new(leases: Leases, semaphore: Arc<DistSemaphore>) -> Self {
        OwnedDistSemaphorePermit { leases, semaphore }
    }

    /// The semaphore these permits are of.
    pub fn semaphore(&self) -> &Arc<DistSemaphore> {
        &self.semaphore
    }

    permit_methods!();
}
