//! The contender queue: the engine under the mutex, the reader-writer lock and leader election.
//!
//! Each contender creates an ephemeral-sequential node named the way Apache Curator names
//! "protected" nodes, `<dir>/_c_<uuid>-<marker><sequence>`. Contenders are sorted by the text
//! after their marker, and a [`Recipe`] decides from that order whether a contender holds or
//! which single earlier contender it must wait for.
//!
//! A waiter lists the directory once, when it queues, and then walks what it saw: see the
//! `view` module's documentation for the walk and why it is safe.

mod hold;
mod naming;
mod pending;
mod queue;
mod revoke;
pub(crate) mod view;

pub use self::hold::{FencingToken, Hold, LossReason};
pub use self::naming::{sort_contenders, Contender};
pub use self::queue::ContenderQueue;
pub use self::revoke::{request_revocation, REVOKE_MESSAGE};

/// What a contender should do, given the sorted queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It holds.
    Acquired,
    /// It must wait for the contender at this index (always an earlier one) to change.
    WaitOn(usize),
}

/// The predicate of a recipe: which node names it recognises, and who holds.
///
/// # Examples
///
/// A semaphore-like recipe where the first two contenders hold:
///
/// ```
/// use zk_sync_core::contender::{Contender, Decision, Recipe};
///
/// #[derive(Debug)]
/// struct FirstTwo;
///
/// impl Recipe for FirstTwo {
///     fn markers(&self) -> &[&'static str] {
///         &["lease-"]
///     }
///     fn decide(&self, _queue: &[Contender], me: usize) -> Decision {
///         if me < 2 { Decision::Acquired } else { Decision::WaitOn(me - 2) }
///     }
/// }
/// ```
pub trait Recipe: Send + Sync + std::fmt::Debug {
    /// The markers that name this recipe's nodes (`"lock-"`, `"__READ__"`, …). A node's
    /// sort key is the text after the last occurrence of its marker; children carrying none
    /// of the markers are not contenders.
    fn markers(&self) -> &[&'static str];

    /// Decides for the contender at `me` in `queue` (sorted by sequence). A `WaitOn` index
    /// must be lower than `me`, so that no two contenders ever wait on each other.
    fn decide(&self, queue: &[Contender], me: usize) -> Decision;

    /// For a recipe whose contender holds exactly when no older contender that blocks it is
    /// left, and otherwise waits on the nearest older one that blocks it: whether a contender
    /// with marker index `older` blocks one with marker index `mine`. [`decide`](Self::decide)
    /// must agree with it.
    ///
    /// The waiters of such a recipe do not list the directory again when they wake: they walk
    /// the contenders below them that their first listing named, reading the next blocker
    /// (and the few unseen ones below it) instead, so a hand-off costs the same in a queue of a
    /// thousand or of ten thousand. They still list after a session transition, and in a
    /// queue short enough that a listing costs less than those reads.
    ///
    /// `None` (the default) for a predicate that needs more than that (the first two hold, a
    /// weighted count, anything that looks at newer contenders): its waiters list the
    /// directory each time they wake and decide over the whole queue.
    fn blocks(&self, mine: usize, older: usize) -> Option<bool> {
        let _ = (mine, older);
        None
    }

    /// Whether every waiter of this recipe (ours, and those of the clients sharing its wire
    /// protocol) re-checks the queue on *any* event of the node it watches, not only on the
    /// node's deletion. A release may then touch its node in the same transaction that deletes
    /// it, which lets the reply carry the transaction's zxid (the next node's fencing token)
    /// without an extra step. `false` unless known: Curator's `LeaderLatch`, for one, only
    /// reacts to a deletion.
    fn waiters_recheck_on_any_event(&self) -> bool {
        false
    }
}

/// The lowest contender holds; every other waits on its immediate predecessor.
///
/// This is the predicate of Curator's `InterProcessMutex` (`lock-`), `LeaderLatch` (`latch-`)
/// and go-zookeeper's `Lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exclusive {
    marker: [&'static str; 1],
    any_event: bool,
}

impl Exclusive {
    /// Curator `InterProcessMutex` / `LeaderSelector` / go-zookeeper `Lock` nodes: `lock-`.
    /// Their waiters (Curator's, go-zookeeper's, kazoo's and ours) re-check on any event.
    pub const LOCK: Exclusive = Exclusive {
        marker: ["lock-"],
        any_event: true,
    };
    /// Curator `LeaderLatch` nodes: `latch-`.
    pub const LATCH: Exclusive = Exclusive {
        marker: ["latch-"],
        any_event: false,
    };

    /// An exclusive recipe with its own marker.
    pub const fn new(marker: &'static str) -> Exclusive {
        Exclusive {
            marker: [marker],
            any_event: false,
        }
    }
}

impl Recipe for Exclusive {
    fn markers(&self) -> &[&'static str] {
        &self.marker
    }

    fn decide(&self, _queue: &[Contender], me: usize) -> Decision {
        match me {
            0 => Decision::Acquired,
            _ => Decision::WaitOn(me - 1),
        }
    }

    fn blocks(&self, _mine: usize, _older: usize) -> Option<bool> {
        Some(true)
    }

    fn waiters_recheck_on_any_event(&self) -> bool {
        self.any_event
    }
}
