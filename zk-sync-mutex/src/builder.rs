//! [`DistMutexBuilder`]: a [`DistMutex`] with local hand-off.

use crate::mutex::{DistMutex, LocalMode};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_core::local::{LocalHandoff, LocalQueue};
use zk_sync_core::{ContenderQueue, Error, InvalidArgument, Session};

/// Builds a [`DistMutex`]; from [`DistMutex::builder`].
///
/// # Local hand-off
///
/// By default every [`lock`](DistMutex::lock) is a contender of its own at the server: strict
/// FIFO across every task of every process, and each hand-off goes through ZooKeeper (a
/// delete, a watch event, about one disk write). With [`local_handoff(true)`](Self::local_handoff)
/// the tasks of this process that lock the path through the same [`Session`] share one node
/// (every such `DistMutex`, not only clones of one): the lock passes from task to task in
/// memory, FIFO as in `tokio::sync::Mutex`, and a re-lock with nobody else queued sends
/// nothing. Exclusion across processes is unchanged, and fencing tokens still grow with
/// every hold ([`FencingToken`](crate::FencingToken) counts the local holds of a node).
///
/// Other processes are not starved: once a contender of another session queues (seen
/// through a children watch on the path), the node is released after at most
/// [`max_local_handoffs`](Self::max_local_handoffs) more local holds, or at once if no
/// local task waits; local tasks still waiting then queue behind it. Curator and
/// go-zookeeper contenders on the same path see one ordinary contender.
///
/// Choose it for a path that many tasks of one process lock often (a scheduler's job
/// table, a per-tenant lock taken by many requests); keep the default where the order
/// across processes must be strict FIFO, or where each task's hold should show as its own
/// node (`inspect`).
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_sync_mutex::Error> {
/// use std::time::Duration;
/// use zk_sync_mutex::{DistMutex, Session};
///
/// let session = Session::connect("127.0.0.1:2181").await?;
/// let mutex = DistMutex::builder(session, "/locks/orders")
///     .local_handoff(true)                   // the process's tasks share one node on this path
///     .max_local_handoffs(64)                // then a waiting contender of another session goes first
///     .linger(Duration::from_millis(20))     // keep the node this long after the last local unlock
///     .build()?;
///
/// let guard = mutex.lock().await?;     // queues the node
/// guard.unlock().await?;
/// let guard = mutex.lock().await?;     // within the linger: no request
/// guard.unlock().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until built"]
pub struct DistMutexBuilder {
    session: Session,
    path: String,
    local_handoff: bool,
    handoff: LocalHandoff,
    node_data: Vec<u8>,
}

impl DistMutexBuilder {
    pub(crate) fn new(session: Session, path: &str) -> DistMutexBuilder {
        DistMutexBuilder {
            session,
            path: path.to_owned(),
            local_handoff: false,
            handoff: LocalHandoff::default(),
            node_data: Vec::new(),
        }
    }

    /// Whether the process's tasks share one node on this path (see above). Default `false`.
    pub fn local_handoff(mut self, enabled: bool) -> DistMutexBuilder {
        self.local_handoff = enabled;
        self
    }

    /// With local hand-off: how many more local holds the node may carry once a contender of
    /// another session waits; 0 lets that contender go right after the current hold.
    /// Default 64.
    pub fn max_local_handoffs(mut self, holds: u32) -> DistMutexBuilder {
        self.handoff.max_local_handoffs = holds;
        self
    }

    /// With local hand-off: how long the node is kept after an unlock that left no local
    /// task waiting, so that a lock soon after needs no request. A contender of another
    /// session that queues meanwhile ends it at once (it waits one watch event, no more).
    /// Zero releases at once. Default 20 ms.
    pub fn linger(mut self, linger: Duration) -> DistMutexBuilder {
        self.handoff.linger = linger;
        self
    }

    /// The data each contender node of this mutex carries, for whoever looks at the queue:
    /// Curator stores the holder's IP address there, `zk-sync lock --id` an id of the user's
    /// choosing, and `zk-sync inspect` shows it. Default empty.
    ///
    /// Not with [local hand-off](Self::local_handoff), whose node is shared by every
    /// `DistMutex` of the process on the path: [`build`](Self::build) refuses the two together.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(session: zk_sync_mutex::Session) -> Result<(), zk_sync_mutex::Error> {
    /// use zk_sync_mutex::DistMutex;
    ///
    /// let mutex = DistMutex::builder(session, "/locks/orders")
    ///     .node_data("billing-worker-3")
    ///     .build()?;
    /// let guard = mutex.lock().await?;     // its node holds "billing-worker-3"
    /// # drop(guard); Ok(()) }
    /// ```
    pub fn node_data(mut self, data: impl Into<Vec<u8>>) -> DistMutexBuilder {
        self.node_data = data.into();
        self
    }

    /// The mutex.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a path that is not absolute and clean, or for
    /// [`node_data`](Self::node_data) together with local hand-off.
    pub fn build(self) -> Result<DistMutex, Error> {
        if self.local_handoff && !self.node_data.is_empty() {
            return Err(InvalidArgument::Other(
                "node data cannot be combined with local hand-off: the node is shared".into(),
            )
            .into());
        }
        let queue = ContenderQueue::new(self.session, &self.path, "mutex")?;
        let local = match self.local_handoff {
            true => Some(LocalMode {
                queue: LocalQueue::shared(&queue, &crate::mutex::RECIPE, 0)?,
                handoff: self.handoff,
            }),
            false => None,
        };
        Ok(DistMutex::from_parts(
            queue,
            local,
            Arc::from(self.node_data),
        ))
    }
}
