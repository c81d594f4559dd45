//! What a [`LocalQueue`](super::LocalQueue) knows, and the decisions taken under its lock.

use crate::contender::Hold;
use crate::error::Error;
use std::sync::Arc;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// The shared node, if any.
#[derive(Debug, Default)]
pub(super) enum Slot {
    /// No node: the next task with the turn queues one.
    #[default]
    Empty,
    /// A background task is queueing the node for the local waiters.
    Acquiring { ticket: u64, task: AbortHandle },
    /// The node is held; local tasks take turns on it.
    Held(Arc<Hold>),
    /// Queueing the node failed: the task with the turn reports it.
    Failed(Error),
}

/// Why the node is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GiveUp {
    /// A contender of another session waits.
    Remote,
    /// Nobody local waits and the linger is over (or zero).
    Idle,
    /// The hold is lost or uncertain: it must not be handed on.
    Unsafe,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) slot: Slot,
    /// Moves on whenever the node changes, so that holders, keepers and acquisitions of an
    /// earlier node stand down.
    pub(super) generation: u64,
    /// The tickets of acquisitions, so that a late one is recognised.
    pub(super) tickets: u64,
    /// Tasks inside `acquire` that do not hold yet.
    pub(super) waiting: usize,
    /// The turn of the task that holds now.
    pub(super) holder: Option<OwnedSemaphorePermit>,
    /// Whether a contender of another session may be waiting.
    pub(super) remote: bool,
    /// Local holds granted since `remote` was set.
    pub(super) since_remote: u32,
    /// Holds the node has carried (the local count of the next token).
    pub(super) holds_on_node: u64,
    /// Until when an idle node is kept.
    pub(super) linger_until: Option<Instant>,
    /// The task that watches the directory while the node is held.
    pub(super) keeper: Option<AbortHandle>,
}

impl State {
    /// Nobody holds and nobody waits.
    pub(super) fn is_idle(&self) -> bool {
        self.holder.is_none() && self.waiting == 0
    }

    /// The held node, if any.
    pub(super) fn node(&self) -> Option<&Arc<Hold>> {
        match &self.slot {
            Slot::Held(node) => Some(node),
            _ => None,
        }
    }

    /// Installs a freshly acquired node.
    pub(super) fn install(&mut self, node: Hold) -> Arc<Hold> {
        let node = Arc::new(node);
        self.slot = Slot::Held(node.clone());
        self.generation += 1;
        self.holds_on_node = 0;
        self.remote = false;
        self.since_remote = 0;
        self.linger_until = None;
        node
    }

    /// Sets whether another session's contender waits; the count of holds since starts over
    /// when one first shows up.
    pub(super) fn set_remote(&mut self, remote: bool) {
        if remote && !self.remote {
            self.since_remote = 0;
        }
        self.remote = remote;
    }

    /// Takes the node out (it is released once the last holder lets go of it) and frees the
    /// turn of a holder still on it, so that the local tasks behind it queue a new node.
    #[must_use = "drop the node and the turn outside the lock"]
    pub(super) fn give_up(&mut self, why: GiveUp, primitive: &'static str) -> Surrendered {
        let node = match std::mem::take(&mut self.slot) {
            Slot::Held(node) => Some(node),
            other => {
                self.slot = other;
                None
            }
        };
        self.generation += 1;
        self.linger_until = None;
        self.remote = false;
        self.since_remote = 0;
        if let Some(keeper) = self.keeper.take() {
            keeper.abort();
        }
        if why == GiveUp::Remote {
            crate::metrics::record_forced_release(primitive);
        }
        Surrendered {
            node,
            turn: self.holder.take(),
        }
    }
}

/// A node and a turn given up under the lock, to be dropped after it: the node's release is
/// queued on the session first, then the next local task gets the turn.
#[derive(Debug)]
pub(super) struct Surrendered {
    node: Option<Arc<Hold>>,
    turn: Option<OwnedSemaphorePermit>,
}

impl Surrendered {
    pub(super) fn turn(turn: Option<OwnedSemaphorePermit>) -> Surrendered {
        Surrendered { node: None, turn }
    }
}

impl Drop for Surrendered {
    fn drop(&mut self) {
        // The node first: its queued release then travels inside the next local task's create.
        drop(self.node.take());
        drop(self.turn.take());
    }
}
