//! The session state model, modelled on Curator's connection states.

use std::fmt;

/// Where a [`Session`](crate::Session) stands.
///
/// ```text
/// Connected ──► Suspended ──► Reconnected ──► Suspended …
///                   │
///                   └──► Lost ──► Connected (next epoch) …
/// any ──► Closed (terminal)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// A new ZooKeeper session is established (the first one, or the next after a loss).
    Connected,
    /// The connection is lost; the session may still be alive, so every hold is *uncertain*.
    Suspended,
    /// The connection is back within the same session: holds are still valid.
    Reconnected,
    /// The session expired, or stayed suspended longer than the session timeout: every hold
    /// taken in it is gone. A new session is being established.
    Lost,
    /// The session was closed by its owner. Terminal.
    Closed,
}

impl SessionState {
    /// `Connected` or `Reconnected`: requests are flowing.
    pub fn is_connected(self) -> bool {
        matches!(self, SessionState::Connected | SessionState::Reconnected)
    }

    /// The value of the `zk_sync_session_state` gauge: 0 closed, 1 connected, 2 suspended, 3 lost.
    pub fn gauge_value(self) -> f64 {
        match self {
            SessionState::Closed => 0.0,
            SessionState::Connected | SessionState::Reconnected => 1.0,
            SessionState::Suspended => 2.0,
            SessionState::Lost => 3.0,
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SessionState::Connected => "connected",
            SessionState::Suspended => "suspended",
            SessionState::Reconnected => "reconnected",
            SessionState::Lost => "lost",
            SessionState::Closed => "closed",
        };
        f.write_str(text)
    }
}

/// A [`SessionState`] together with the epoch and ZooKeeper session it refers to.
///
/// The epoch starts at 1 and grows by one with every new ZooKeeper session, so a hold can
/// tell for certain whether the session it was taken in is still the current one, even if it
/// missed the `Lost` transition itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStatus {
    /// The state.
    pub state: SessionState,
    /// The epoch the state refers to.
    pub epoch: u64,
    /// The ZooKeeper session id of that epoch. Over a wire client that does not tell it at
    /// connect (`zookeeper-async`), 0 until the session's first ephemeral node shows it;
    /// [`Session::status`](crate::Session::status) fills it in from then on.
    pub session_id: i64,
}

impl SessionStatus {
    /// Whether the epoch `epoch` has ended (lost, closed or superseded) in this status.
    pub fn has_ended(&self, epoch: u64) -> bool {
        self.epoch > epoch
            || (self.epoch == epoch
                && matches!(self.state, SessionState::Lost | SessionState::Closed))
            || self.state == SessionState::Closed
    }
}
