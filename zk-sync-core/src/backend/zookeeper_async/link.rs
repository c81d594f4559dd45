//! What a backend's handle, its dispatcher and the wire client's state listener share.

use super::convert::event_of;
use crate::backend::{BackendState, NodeEvent, WatchFuture};
use crate::error::ZkErrorCode;
use futures::FutureExt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::OnceLock;
use tokio::sync::{oneshot, watch};
use zookeeper_async as zk;

#[derive(Debug)]
pub(super) struct Link {
    /// The state the [`Session`](crate::Session) follows.
    pub(super) state: watch::Sender<BackendState>,
    /// Counts the client's reconnects: a watch set before one is gone.
    pub(super) connection: watch::Sender<u64>,
    /// Counts the connections the client established (as far as it told us).
    connects: AtomicU64,
    /// The session id, once an ephemeral node of the session showed it (0 before).
    session_id: AtomicI64,
    /// The terminal state once the session is over for us.
    ended: OnceLock<BackendState>,
}

impl Link {
    pub(super) fn new() -> Link {
        Link {
            state: watch::channel(BackendState::Connected).0,
            connection: watch::channel(0).0,
            connects: AtomicU64::new(0),
            session_id: AtomicI64::new(0),
            ended: OnceLock::new(),
        }
    }

    /// Follows the client's state, on the client's own task, before it does anything else:
    /// a reconnect is counted (and every watch set before it lost) before a request goes
    /// out on the new connection, and an expiry ends the backend before the client can take
    /// another request into the session it then opens by itself.
    pub(super) fn client_state_changed(&self, state: zk::ZkState) {
        #[allow(deprecated)]
        match state {
            zk::ZkState::Connecting => self.connection.send_modify(|n| *n += 1),
            zk::ZkState::Connected | zk::ZkState::ConnectedReadOnly => {
                self.connects.fetch_add(1, Ordering::AcqRel);
            }
            zk::ZkState::NotConnected => self.end(BackendState::Expired),
            zk::ZkState::AuthFailed => self.end(BackendState::AuthFailed),
            zk::ZkState::Closed => self.end(BackendState::Closed),
            _ => {}
        }
    }

    /// Connections the client established so far.
    pub(super) fn connects(&self) -> u64 {
        self.connects.load(Ordering::Acquire)
    }

    pub(super) fn session_id(&self) -> i64 {
        self.session_id.load(Ordering::Acquire)
    }

    /// Ends the session for us: from now on every request is refused. The first end wins.
    /// Called from the wire client's own task too, the moment it reports an expiry, so that
    /// nothing more is handed to a client that is about to open a session of its own.
    pub(super) fn end(&self, state: BackendState) {
        let _ = self.ended.set(state);
    }

    /// The terminal state, once the session is over for us.
    pub(super) fn ended(&self) -> Option<BackendState> {
        self.ended.get().copied()
    }

    /// What a request that got no reply failed with: the end of the session if it is over,
    /// else a lost connection (the client drops what is in flight when it reconnects).
    pub(super) fn failure(&self) -> ZkErrorCode {
        match self.ended() {
            None => ZkErrorCode::ConnectionLoss,
            Some(BackendState::Expired) => ZkErrorCode::SessionExpired,
            Some(BackendState::AuthFailed) => ZkErrorCode::AuthFailed,
            Some(_) => ZkErrorCode::Closed,
        }
    }

    /// Takes note of the owner of an ephemeral node this session created. The first one is
    /// the session id (the client does not tell it); a different one later means the client
    /// replaced the session behind our back, which ends it for us. Returns whether the node
    /// belongs to the session.
    pub(super) fn owns(&self, owner: i64) -> bool {
        if owner == 0 {
            return true;
        }
        match self
            .session_id
            .compare_exchange(0, owner, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(known) if known == owner => true,
            Err(_) => {
                self.end(BackendState::Expired);
                false
            }
        }
    }

    /// The connection requests go out on now.
    pub(super) fn connection_now(&self) -> u64 {
        *self.connection.borrow()
    }

    /// A watch's future: the client's event, or [`NodeEvent::WatchLost`] once the connection
    /// the watch was set on (`on`) is replaced, or [`NodeEvent::SessionEnded`].
    pub(super) fn watch_future(
        &self,
        fired: oneshot::Receiver<zk::WatchedEvent>,
        on: u64,
    ) -> WatchFuture {
        let mut connection = self.connection.subscribe();
        let mut state = self.state.subscribe();
        async move {
            tokio::select! {
                biased;
                event = fired => match event {
                    Ok(event) => event_of(&event),
                    Err(_) => NodeEvent::SessionEnded,
                },
                ended = state.wait_for(|s| s.is_terminal()) => {
                    let _ = ended;
                    NodeEvent::SessionEnded
                }
                moved = connection.wait_for(|now| *now != on) => match moved {
                    Ok(_) => NodeEvent::WatchLost,
                    Err(_) => NodeEvent::SessionEnded,
                },
            }
        }
        .boxed()
    }
}
