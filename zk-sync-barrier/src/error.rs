//! The barrier crate's [`Error`].

/// Why a barrier operation failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A double barrier needs at least one participant.
    #[error("a double barrier needs at least one participant")]
    ZeroParticipants,
    /// `enter` was called while this `DoubleBarrier` is already inside (or entering).
    #[error("already entered this barrier; leave it first")]
    AlreadyEntered,
    /// `leave` was called without a successful `enter`.
    #[error("not inside this barrier; enter it first")]
    NotEntered,
    /// Our member node vanished while we waited: our session expired on the server before
    /// we heard of it (or someone deleted the node), so the other participants no longer
    /// count us. [`is_session_lost`](Error::is_session_lost) counts it.
    #[error("our member node {path:?} is gone: the other participants no longer count us")]
    MemberLost {
        /// The member node.
        path: String,
    },
    /// Invalid path, session lost or closed, server errors.
    #[error(transparent)]
    Zk(#[from] zk_sync_core::Error),
}

impl Error {
    /// Whether our ZooKeeper session (and with it our member node) was lost.
    pub fn is_session_lost(&self) -> bool {
        matches!(self, Error::MemberLost { .. })
            || matches!(self, Error::Zk(error) if error.is_session_lost())
    }

    /// Whether an argument was rejected (bad path, zero participants).
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Error::ZeroParticipants)
            || matches!(self, Error::Zk(error) if error.is_invalid_argument())
    }
}
