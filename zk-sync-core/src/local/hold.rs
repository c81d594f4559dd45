//! [`LocalHold`]: one task's turn on a shared node; [`Holding`]: either kind of hold.

use super::queue::LocalQueue;
use super::LocalHandoff;
use crate::contender::{FencingToken, Hold, LossReason};
use crate::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// One task's turn on the node a [`LocalQueue`] shares. Dropping it passes the turn on (or
/// releases the node, see the [module docs](super)); [`LocalHold::release`] does the same
/// and reports a loss.
#[must_use = "dropping a hold releases it"]
pub struct LocalHold {
    local: Arc<LocalQueue>,
    // Taken out at the end, so that a node given up is released before the turn passes on.
    node: Option<Arc<Hold>>,
    token: FencingToken,
    generation: u64,
    handoff: LocalHandoff,
    acquired_at: Instant,
    released: bool,
}

impl fmt::Debug for LocalHold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalHold")
            .field("path", &self.node().path())
            .field("fencing_token", &self.token)
            .finish()
    }
}

impl LocalHold {
    pub(super) fn new(
        local: Arc<LocalQueue>,
        node: Arc<Hold>,
        count: u64,
        generation: u64,
        handoff: LocalHandoff,
    ) -> LocalHold {
        let token = FencingToken::new(node.fencing_token().as_i64(), count);
        LocalHold {
            local,
            node: Some(node),
            token,
            generation,
            handoff,
            acquired_at: Instant::now(),
            released: false,
        }
    }

    /// This hold's fencing token: the node's `czxid` and the holds the node carried before.
    pub fn fencing_token(&self) -> FencingToken {
        self.token
    }

    /// The shared node's hold: its path, session, uncertainty and loss are this hold's.
    pub fn node(&self) -> &Hold {
        self.node
            .as_ref()
            .expect("a hold has its node until it ends")
    }

    /// Passes the turn on. Nothing is sent when a local task waits or the node lingers; when
    /// the node is given up, its delete is queued as [`Hold::release_queued`] does.
    ///
    /// # Errors
    ///
    /// As [`Hold::release_queued`]: the hold had been lost.
    pub fn release(mut self) -> Result<(), Error> {
        let held = self.node().ensure_held();
        self.end();
        held
    }

    fn end(&mut self) {
        if std::mem::replace(&mut self.released, true) {
            return;
        }
        crate::metrics::record_hold(self.local.primitive(), self.acquired_at.elapsed());
        let node = self.node.take().expect("ended once");
        self.local.released(node, self.generation, self.handoff);
    }
}

impl Drop for LocalHold {
    fn drop(&mut self) {
        self.end();
    }
}

/// A hold of its own node ([`Hold`]) or a turn on a shared one ([`LocalHold`]), as a guard
/// keeps it: the same questions, answered by the node.
#[derive(Debug)]
pub enum Holding {
    /// A node of its own.
    Own(Hold),
    /// A turn on the node of a local queue.
    Local(LocalHold),
}

impl Holding {
    /// The node's hold.
    pub fn node(&self) -> &Hold {
        match self {
            Holding::Own(hold) => hold,
            Holding::Local(local) => local.node(),
        }
    }

    /// This hold's fencing token.
    pub fn fencing_token(&self) -> FencingToken {
        match self {
            Holding::Own(hold) => hold.fencing_token(),
            Holding::Local(local) => local.fencing_token(),
        }
    }

    /// The node's path.
    pub fn path(&self) -> &str {
        self.node().path()
    }

    /// As [`Hold::is_lost`].
    pub fn is_lost(&self) -> bool {
        self.node().is_lost()
    }

    /// As [`Hold::is_uncertain`].
    pub fn is_uncertain(&self) -> bool {
        self.node().is_uncertain()
    }

    /// As [`Hold::ensure_held`].
    ///
    /// # Errors
    ///
    /// As [`Hold::ensure_held`].
    pub fn ensure_held(&self) -> Result<(), Error> {
        self.node().ensure_held()
    }

    /// As [`Hold::uncertain`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn uncertain(&self) {
        self.node().uncertain().await
    }

    /// As [`Hold::lost`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn lost(&self) -> LossReason {
        self.node().lost().await
    }

    /// As [`Hold::revoke_requested`]: with local hand-off the request is on the node the
    /// process's holders share, so it stands for each of them in turn until that node goes.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn revoke_requested(&self) {
        self.node().revoke_requested().await
    }

    /// Releases without waiting for the server: [`Hold::release_queued`] or
    /// [`LocalHold::release`].
    ///
    /// # Errors
    ///
    /// As [`Hold::release_queued`].
    pub fn release_queued(self) -> Result<(), Error> {
        match self {
            Holding::Own(hold) => hold.release_queued(),
            Holding::Local(local) => local.release(),
        }
    }
}
