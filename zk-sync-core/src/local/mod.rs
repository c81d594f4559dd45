//! Local hand-off: the tasks of one process take turns on one ZooKeeper node.
//!
//! Without it, every acquisition is a contender of its own at the server, so two tasks of one
//! service that want the same lock hand it over through ZooKeeper: a delete, a watch event and
//! a create, and at best one disk write per cycle. With it, a [`LocalQueue`] per session and
//! directory holds one node for all its tasks and passes the hold from task to task in memory,
//! in FIFO order, as [`tokio::sync::Mutex`](https://docs.rs/tokio/1/tokio/sync/struct.Mutex.html)
//! does. This is lock cohorting: the cohort is the process.
//!
//! # What stays true
//!
//! - **Exclusion.** The node is held the whole time the process's tasks take turns, and only
//!   one task holds at a time, so across processes nothing changes.
//! - **Fencing.** Every hold's [`FencingToken`](crate::FencingToken) is the node's `czxid`
//!   and the number of holds the node carried before, ordered as a pair: a local hold's token
//!   is greater than every earlier hold's, of this process or any other.
//! - **Other sessions go next.** While it holds, the local queue keeps a children watch on the
//!   directory. Once another contender shows up there (any other node of the recipe: another
//!   process, a Curator or go-zookeeper client, a queue of this session without local
//!   hand-off), the node is released at once if no local task waits, or else after at most
//!   [`LocalHandoff::max_local_handoffs`] more local holds; local tasks still waiting then
//!   queue again behind that contender. An idle node kept for [`LocalHandoff::linger`] is
//!   released as soon as the watch fires, so lingering delays a contender of another session
//!   by one watch event at most.
//! - **Loss.** Every local holder shares the node's [`Hold`](crate::Hold): a suspended or lost
//!   session makes the current holder uncertain or lost, exactly as without hand-off. A node
//!   found lost or uncertain is never handed on: the next local task queues a new node (in the
//!   next session, if this one is gone), and a lost holder that has not let go yet does not
//!   hold up the tasks behind it.
//! - **No orphans.** When the last local waiter gives up, the node being queued is removed;
//!   when the last `LocalQueue` handle goes, its node is released.
//!
//! # Examples
//!
//! ```no_run
//! # async fn demo() -> zk_sync_core::Result<()> {
//! use zk_sync_core::contender::Exclusive;
//! use zk_sync_core::local::{LocalHandoff, LocalQueue};
//! use zk_sync_core::{ContenderQueue, Session};
//!
//! static RECIPE: Exclusive = Exclusive::LOCK;
//!
//! let session = Session::connect("127.0.0.1:2181").await?;
//! let queue = ContenderQueue::new(session, "/locks/orders", "mutex")?;
//! let local = LocalQueue::shared(&queue, &RECIPE, 0)?;
//!
//! let first = local.acquire(LocalHandoff::default()).await?; // creates the node
//! let token = first.fencing_token();
//! first.release()?;
//! let second = local.acquire(LocalHandoff::default()).await?; // no request
//! assert!(second.fencing_token() > token);
//! second.release()?;
//! # Ok(()) }
//! ```

mod hold;
mod keeper;
mod queue;
mod state;

pub use self::hold::{Holding, LocalHold};
pub use self::queue::LocalQueue;
pub(crate) use self::queue::Registry;

use std::time::Duration;

/// How a [`LocalQueue`] shares its node, given by each acquisition (each `DistMutex` built
/// with local hand-off carries its own).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use zk_sync_core::local::LocalHandoff;
///
/// let handoff = LocalHandoff {
///     max_local_handoffs: 16,
///     linger: Duration::from_millis(5),
/// };
/// assert_eq!(LocalHandoff::default().max_local_handoffs, 64);
/// # let _ = handoff;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalHandoff {
    /// Once a contender of another session is known to wait, how many more local holds the
    /// node may carry before it is released. With 0 the node goes right after the current
    /// hold. Counted by the hold that is released, with its own setting.
    pub max_local_handoffs: u32,
    /// How long the node is kept after a local release that left no local task waiting, so
    /// that a task locking again soon needs no request. Ends early once another session's
    /// contender shows up; zero releases at once.
    pub linger: Duration,
}

impl Default for LocalHandoff {
    /// 64 local hand-offs, 20 ms of linger.
    fn default() -> LocalHandoff {
        LocalHandoff {
            max_local_handoffs: 64,
            linger: Duration::from_millis(20),
        }
    }
}
