//! [`Session`]: one ZooKeeper session shared by every primitive of a process.

mod builder;
pub(crate) mod cleanup;
mod epoch;
pub(crate) mod lease;
pub(crate) mod releases;
mod state;
mod supervisor;
mod tls;

pub use self::builder::SessionBuilder;
pub use self::epoch::Epoch;
pub(crate) use self::epoch::{missing_is_none, wait_for_end, wait_for_uncertain};
pub use self::state::{SessionState, SessionStatus};
pub use self::tls::{Tls, TlsPem};

use self::cleanup::{Cleanup, Doomed};
use self::releases::Released;
use crate::backend::{Acl, ConnectConfig, Connector};
use crate::error::{Error, Result};
use crate::watch_mux::{NodeWatch, WatchKind, WatchMux};
use std::fmt;
use std::sync::{Arc, RwLock};
use tokio::sync::{oneshot, watch};

/// A ZooKeeper session shared by every primitive in the process. Cheap to clone.
///
/// It follows the state model of [`SessionState`]: a lost ZooKeeper session is replaced by a
/// new one automatically, with the next *epoch*; nothing taken in an old epoch is ever treated
/// as still held.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> zk_sync_core::Result<()> {
/// use zk_sync_core::{Session, SessionState};
///
/// let session = Session::connect("127.0.0.1:2181").await?;
/// assert_eq!(session.status().state, SessionState::Connected);
///
/// let mut states = session.watch_status();
/// tokio::spawn(async move {
///     while states.changed().await.is_ok() {
///         println!("session is now {}", states.borrow().state);
///     }
/// });
/// session.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    // Dropping the last `Session` drops this sender, which tells the supervisor to close.
    _close: oneshot::Sender<()>,
}

pub(crate) struct Shared {
    pub(crate) config: ConnectConfig,
    pub(crate) default_acl: Vec<Acl>,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) current: RwLock<Option<Arc<Epoch>>>,
    pub(crate) status: watch::Sender<SessionStatus>,
    pub(crate) watches: WatchMux,
    pub(crate) cleanup: Cleanup,
    pub(crate) close_now: watch::Sender<bool>,
    pub(crate) local_queues: crate::local::Registry,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("connect_string", &self.inner.shared.config.connect_string)
            .field("status", &self.status())
            .finish()
    }
}

impl Session {
    /// Connects with default options. See [`Session::builder`] for the others.
    ///
    /// `connect_string` is `host:port[,host:port…][/chroot]`.
    ///
    /// # Errors
    ///
    /// As [`SessionBuilder::connect`].
    pub async fn connect(connect_string: &str) -> Result<Session> {
        Session::builder(connect_string).connect().await
    }

    /// Starts a [`SessionBuilder`] for `connect_string` (`host:port[,host:port…][/chroot]`).
    pub fn builder(connect_string: &str) -> SessionBuilder {
        SessionBuilder::new(connect_string)
    }

    async fn start(
        config: ConnectConfig,
        default_acl: Vec<Acl>,
        connector: Arc<dyn Connector>,
    ) -> Result<Session> {
        let (backend, sent) = supervisor::open(&*connector, &config).await?;
        let status = SessionStatus {
            state: SessionState::Connected,
            epoch: 1,
            session_id: backend.session_id(),
        };
        let (status_tx, status_rx) = watch::channel(status);
        let cleanup = Cleanup::new(tokio::runtime::Handle::current());
        let epoch = Epoch::new(1, backend, sent, status_rx, cleanup.clone());
        let shared = Arc::new(Shared {
            config,
            default_acl,
            connector,
            current: RwLock::new(Some(epoch.clone())),
            status: status_tx,
            watches: WatchMux::default(),
            cleanup,
            close_now: watch::channel(false).0,
            local_queues: Default::default(),
        });
        crate::metrics::record_state(SessionState::Connected);
        let (close_tx, close_rx) = oneshot::channel();
        tokio::spawn(supervisor::run(shared.clone(), epoch, close_rx));
        Ok(Session {
            inner: Arc::new(Inner {
                shared,
                _close: close_tx,
            }),
        })
    }

    /// The current status (state, epoch and ZooKeeper session id).
    pub fn status(&self) -> SessionStatus {
        let mut status = *self.inner.shared.status.borrow();
        if status.session_id == 0 {
            // A wire client that does not tell the id at connect learns it later.
            if let Some(epoch) = self.current_epoch().filter(|e| e.number() == status.epoch) {
                status.session_id = epoch.session_id();
            }
        }
        status
    }

    /// A receiver of every status change, like [`tokio::sync::watch`].
    ///
    /// A receiver may skip intermediate values; compare [`SessionStatus::epoch`] to tell
    /// whether a session was lost in between.
    pub fn watch_status(&self) -> watch::Receiver<SessionStatus> {
        self.inner.shared.status.subscribe()
    }

    /// The current epoch, waiting while a lost session is being replaced.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the session is closed.
    pub async fn live_epoch(&self) -> Result<Arc<Epoch>> {
        let mut status = self.watch_status();
        loop {
            {
                let now = *status.borrow_and_update();
                if now.state == SessionState::Closed {
                    return Err(Error::Closed);
                }
                if let Some(epoch) = self.current_epoch() {
                    if epoch.number() == now.epoch && !now.has_ended(epoch.number()) {
                        return Ok(epoch);
                    }
                }
            }
            if status.changed().await.is_err() {
                return Err(Error::Closed);
            }
        }
    }

    /// The current epoch if a session is established right now (no waiting), for code that
    /// cannot await, such as `Drop`.
    pub fn current_epoch(&self) -> Option<Arc<Epoch>> {
        self.inner
            .shared
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The session's local queues (see [`LocalQueue::shared`](crate::local::LocalQueue::shared)).
    pub(crate) fn local_queues(&self) -> &crate::local::Registry {
        &self.inner.shared.local_queues
    }

    /// The ACL given to nodes the recipes create.
    pub fn default_acl(&self) -> &[Acl] {
        &self.inner.shared.default_acl
    }

    /// Waits for the next change of `path` in `epoch`, sharing one server-side watch with
    /// every other local waiter on the same path and kind.
    ///
    /// The returned [`NodeWatch`] also wakes on any session transition.
    ///
    /// # Errors
    ///
    /// [`Error::Zk`] with `NoNode` when the node does not exist (for [`WatchKind::Data`] and
    /// [`WatchKind::Children`]); the epoch's end; any other server error.
    pub async fn watch(
        &self,
        epoch: &Arc<Epoch>,
        kind: WatchKind,
        path: &str,
    ) -> Result<NodeWatch> {
        self.inner.shared.watches.watch(epoch, kind, path).await
    }

    /// Number of distinct server-side watches this session holds through [`Session::watch`].
    pub fn armed_watches(&self) -> usize {
        self.inner.shared.watches.len()
    }

    /// Number of background deletions (of released or abandoned nodes) queued or still in
    /// progress.
    pub fn pending_cleanups(&self) -> usize {
        self.inner.shared.cleanup.pending()
    }

    /// Deletes `path` in the background: the delete leaves with `epoch`'s next request (inside
    /// it, if that is a create) or once the calling task yields, and is retried through
    /// connection loss until it succeeds, the node is gone, or `epoch` ends (an ephemeral node
    /// dies with its session anyway). Recipes use it for nodes nobody waits for any more.
    pub fn delete_node_in_background(&self, epoch: Arc<Epoch>, path: String) {
        self.release_in_background(epoch, Released::plain(path));
    }

    pub(crate) fn delete_in_background(&self, epoch: Arc<Epoch>, doomed: Doomed) {
        self.inner.shared.cleanup.delete(epoch, doomed);
    }

    pub(crate) fn release_in_background(&self, epoch: Arc<Epoch>, released: Released) {
        epoch.queue_release(released);
    }

    /// The current `zookeeper-client` session credentials (for tests that expire the session
    /// from a second client), when the backend is `zookeeper-client`.
    pub fn zookeeper_client_session(&self) -> Option<zookeeper_client::SessionInfo> {
        self.current_epoch()?.backend().zookeeper_client_session()
    }

    /// Closes the ZooKeeper session: every hold ends, ephemeral nodes vanish, and the state
    /// becomes [`SessionState::Closed`]. Other clones of this `Session` see it closed too.
    pub async fn close(&self) {
        self.inner.shared.close_now.send_replace(true);
        let mut status = self.watch_status();
        let _ = status.wait_for(|s| s.state == SessionState::Closed).await;
    }
}
