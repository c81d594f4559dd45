//! [`DistRwLockBuilder`]: a [`DistRwLock`] whose writers hand off locally.

use crate::recipe::Side;
use crate::rwlock::{DistRwLock, LocalWriters, RECIPE};
use std::time::Duration;
use zk_sync_core::local::{LocalHandoff, LocalQueue};
use zk_sync_core::{ContenderQueue, Error, Session};

/// Builds a [`DistRwLock`]; from [`DistRwLock::builder`].
///
/// # Local hand-off of the write side
///
/// With [`local_handoff(true)`](Self::local_handoff) the writers of this process that lock
/// the path through the same [`Session`] share one write node (every such `DistRwLock`, not
/// only clones of one), as the mutex's [local hand-off] does: the write lock passes from task
/// to task in memory, FIFO, and a `write()` right after another sends nothing. Exclusion is
/// unchanged, and fencing tokens still grow with every write hold.
///
/// Every other contender, a reader of this process included, queues at the server as
/// before. Once one queues behind the write node, the node is released after at most
/// [`max_local_handoffs`](Self::max_local_handoffs) more local write holds, or at once if no
/// local writer waits. Readers keep a node each: they already hold together at the server,
/// and one read needs no hand-off.
///
/// [local hand-off]: https://docs.rs/zk-sync-mutex/latest/zk_sync_mutex/struct.DistMutexBuilder.html
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_sync_rwlock::Error> {
/// use std::time::Duration;
/// use zk_sync_rwlock::{DistRwLock, Session};
///
/// let session = Session::connect("127.0.0.1:2181").await?;
/// let lock = DistRwLock::builder(session, "/locks/config")
///     .local_handoff(true)                   // the process's writers share one write node
///     .max_local_handoffs(64)                // then a waiting contender goes first
///     .linger(Duration::from_millis(20))     // keep the node this long after the last unlock
///     .build()?;
///
/// let guard = lock.write().await?;     // queues the write node
/// guard.unlock().await?;
/// let guard = lock.write().await?;     // within the linger: no request
/// guard.unlock().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until built"]
pub struct DistRwLockBuilder {
    session: Session,
    path: String,
    local_handoff: bool,
    handoff: LocalHandoff,
}

impl DistRwLockBuilder {
    pub(crate) fn new(session: Session, path: &str) -> DistRwLockBuilder {
        DistRwLockBuilder {
            session,
            path: path.to_owned(),
            local_handoff: false,
            handoff: LocalHandoff::default(),
        }
    }

    /// Whether the process's writers share one write node on this path (see above). Default
    /// `false`.
    pub fn local_handoff(mut self, enabled: bool) -> DistRwLockBuilder {
        self.local_handoff = enabled;
        self
    }

    /// With local hand-off: how many more local write holds the node may carry once another
    /// contender waits; 0 lets it go right after the current hold. Default 64.
    pub fn max_local_handoffs(mut self, holds: u32) -> DistRwLockBuilder {
        self.handoff.max_local_handoffs = holds;
        self
    }

    /// With local hand-off: how long the write node is kept after an unlock that left no
    /// local writer waiting. Another contender that queues meanwhile ends it at once. Zero
    /// releases at once. Default 20 ms.
    pub fn linger(mut self, linger: Duration) -> DistRwLockBuilder {
        self.handoff.linger = linger;
        self
    }

    /// The lock.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a path that is not absolute and clean.
    pub fn build(self) -> Result<DistRwLock, Error> {
        let queue = ContenderQueue::new(self.session, &self.path, "rwlock")?;
        let local_writers = match self.local_handoff {
            true => Some(LocalWriters {
                queue: LocalQueue::shared(&queue, &RECIPE, Side::Write as usize)?,
                handoff: self.handoff,
            }),
            false => None,
        };
        Ok(DistRwLock::from_parts(queue, local_writers))
    }
}
