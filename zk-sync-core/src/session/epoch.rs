//! One ZooKeeper session within a [`Session`](crate::Session): the unit every hold belongs to.

use super::cleanup::Cleanup;
use super::lease::{keep_alive, Lease, LeasedBackend};
use super::releases::{Carried, ReleaseQueue, Released};
use super::state::{SessionState, SessionStatus};
use crate::backend::{Acl, Backend, NodeKind, Stat};
use crate::contender::view::{QueueView, Views};
use crate::error::{Error, ZkErrorCode};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// One ZooKeeper session of a [`Session`](crate::Session).
///
/// Requests made through an epoch fail with [`Error::SessionLost`] as soon as the epoch ends,
/// even if the wire client would otherwise keep them queued for a server that never answers.
pub struct Epoch {
    number: u64,
    backend: Arc<dyn Backend>,
    status: watch::Receiver<SessionStatus>,
    releases: ReleaseQueue,
    lease: Arc<Lease>,
    views: Views,
}

impl fmt::Debug for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Epoch")
            .field("number", &self.number)
            .field("session_id", &format_args!("{:#x}", self.session_id()))
            .finish()
    }
}

impl Epoch {
    /// An epoch over `backend`, whose session handshake was sent at `established_from`.
    pub(crate) fn new(
        number: u64,
        backend: Arc<dyn Backend>,
        established_from: tokio::time::Instant,
        status: watch::Receiver<SessionStatus>,
        cleanup: Cleanup,
    ) -> Arc<Epoch> {
        let lease = Lease::new(backend.session_timeout(), established_from);
        let backend: Arc<dyn Backend> = Arc::new(LeasedBackend::new(backend, lease.clone()));
        tokio::spawn(keep_alive(
            lease.clone(),
            Arc::downgrade(&backend),
            status.clone(),
            number,
        ));
        Arc::new_cyclic(|me| Epoch {
            number,
            backend,
            status,
            releases: ReleaseQueue::new(me.clone(), cleanup),
            lease,
            views: Views::default(),
        })
    }

    /// The session's local lease, which every hold of this epoch checks.
    pub(crate) fn lease(&self) -> &Arc<Lease> {
        &self.lease
    }

    /// What this epoch's waiters know of `dir`, for a recipe with `markers`.
    pub(crate) fn queue_view(&self, dir: &str, markers: &[&'static str]) -> Arc<QueueView> {
        self.views.get(dir, markers)
    }

    /// A node of this session's is deleted (the server said so): waiters stop expecting it.
    pub(crate) fn deleted(&self, path: &str) {
        self.views.deleted(path);
    }

    /// The epoch number (1 for the first session, then one more after each loss).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The ZooKeeper session id.
    pub fn session_id(&self) -> i64 {
        self.backend.session_id()
    }

    /// The wire-level session, for requests the contender queue does not cover.
    ///
    /// Releases still queued on this epoch are sent first, so that whatever is sent through the
    /// returned backend reaches the server after them.
    pub fn backend(&self) -> &dyn Backend {
        self.releases.send(None);
        &*self.backend
    }

    /// The backend, leaving queued releases where they are.
    pub(crate) fn backend_unflushed(&self) -> &dyn Backend {
        &*self.backend
    }

    /// Queues the delete of a released node: it leaves with this epoch's next request (inside
    /// it, if that is a create), or once the calling task yields.
    pub(crate) fn queue_release(&self, released: Released) {
        if !self.has_ended() {
            // Its holder has let go and its delete is on the way, so it no longer blocks any
            // waiter of this session. Forgotten now rather than when the delete's reply is
            // read: a waiter that a watch wakes first would otherwise read it once more.
            self.deleted(&released.path);
            self.releases.push(released);
        }
    }

    /// Takes the queued releases, to send them inside a create.
    pub(crate) fn carry_releases(&self) -> Carried {
        self.releases.carry()
    }

    /// Sends the queued releases now: all of them, or only batch `generation` if it is still
    /// queued.
    pub(crate) fn send_queued_releases(&self, generation: Option<u64>) {
        self.releases.send(generation);
    }

    /// Whether this epoch has ended (its session is lost or the `Session` closed).
    pub fn has_ended(&self) -> bool {
        self.status.borrow().has_ended(self.number)
    }

    /// The latest status of the session this epoch belongs to.
    pub fn status(&self) -> SessionStatus {
        *self.status.borrow()
    }

    /// A receiver of the session status, marked as seen.
    pub fn status_receiver(&self) -> watch::Receiver<SessionStatus> {
        let mut receiver = self.status.clone();
        receiver.mark_unchanged();
        receiver
    }

    /// Resolves when this epoch ends: [`Error::Closed`] if the `Session` was closed,
    /// [`Error::SessionLost`] otherwise.
    pub async fn ended(&self) -> Error {
        wait_for_end(self.status.clone(), self.number).await
    }

    /// Resolves when a hold on this epoch becomes uncertain: the connection is suspended,
    /// or the epoch ended.
    pub async fn uncertain(&self) {
        wait_for_uncertain(self.status.clone(), self.number).await
    }

    /// Runs a request of this epoch, failing with the epoch's end if that comes first.
    pub async fn call<T>(&self, request: impl Future<Output = T>) -> Result<T, Error> {
        tokio::select! {
            biased;
            out = request => Ok(out),
            end = self.ended() => Err(end),
        }
    }

    /// Creates `dir` and its missing ancestors as container nodes (the server removes a container
    /// once its last child is gone), as Curator's `creatingParentContainersIfNeeded` does.
    ///
    /// # Errors
    ///
    /// The epoch's end, or a server error such as `NoAuth`.
    pub async fn create_containers(&self, dir: &str, acl: &[Acl]) -> Result<(), Error> {
        let ends = dir
            .match_indices('/')
            .map(|(at, _)| at)
            .skip(1)
            .chain([dir.len()]);
        for end in ends {
            let path = &dir[..end];
            let created = self
                .retry("create", path, |b| {
                    b.create(path, &[], NodeKind::Container, acl)
                })
                .await?;
            match created {
                Ok(_) | Err(ZkErrorCode::NodeExists) => {}
                Err(code) => return Err(Error::zk("create", path, code)),
            }
        }
        Ok(())
    }

    /// The children of `dir` (names, not paths), or `None` when `dir` does not exist. Retried
    /// through connection loss.
    ///
    /// # Errors
    ///
    /// The epoch's end, or any other server error.
    pub async fn children(&self, dir: &str) -> Result<Option<Vec<String>>, Error> {
        let reply = self
            .retry("get_children", dir, |b| b.get_children(dir))
            .await?;
        missing_is_none("get_children", dir, reply)
    }

    /// A node's data and stat, or `None` when it does not exist. Retried through connection
    /// loss.
    ///
    /// # Errors
    ///
    /// The epoch's end, or any other server error.
    pub async fn data(&self, path: &str) -> Result<Option<(Vec<u8>, Stat)>, Error> {
        let reply = self.retry("get_data", path, |b| b.get_data(path)).await?;
        missing_is_none("get_data", path, reply)
    }

    /// Deletes `path`: `true` when this call deleted it, `false` when it did not exist (also
    /// when a retry after a lost reply finds it already gone). Retried through connection loss.
    ///
    /// # Errors
    ///
    /// The epoch's end, or any other server error.
    pub async fn delete(&self, path: &str) -> Result<bool, Error> {
        let reply = self.retry("delete", path, |b| b.delete(path, None)).await?;
        let deleted = missing_is_none("delete", path, reply)?.is_some();
        self.deleted(path);
        Ok(deleted)
    }

    /// Runs an idempotent request, retrying it after a connection loss until it gets an
    /// answer or the epoch ends. `op` and `path` name it in errors.
    pub async fn retry<'a, T, F>(
        &'a self,
        op: &'static str,
        path: &str,
        mut request: impl FnMut(&'a dyn Backend) -> F,
    ) -> Result<Result<T, ZkErrorCode>, Error>
    where
        F: Future<Output = Result<T, ZkErrorCode>> + 'a,
    {
        let mut pause = Duration::from_millis(10);
        loop {
            match self.call(request(self.backend())).await? {
                Err(ZkErrorCode::ConnectionLoss) | Err(ZkErrorCode::Timeout) => {
                    tracing::debug!(op, path, "connection lost; retrying");
                    self.call(tokio::time::sleep(pause)).await?;
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                Err(ZkErrorCode::SessionExpired) | Err(ZkErrorCode::Closed) => {
                    return Err(self.ended().await)
                }
                other => return Ok(other),
            }
        }
    }
}

/// A reply where a missing node is an answer (`None`), not an error.
pub(crate) fn missing_is_none<T>(
    op: &'static str,
    path: &str,
    reply: Result<T, ZkErrorCode>,
) -> Result<Option<T>, Error> {
    match reply {
        Ok(value) => Ok(Some(value)),
        Err(ZkErrorCode::NoNode) => Ok(None),
        Err(code) => Err(Error::zk(op, path, code)),
    }
}

/// Resolves when epoch `number` ends, as seen through `status`.
///
/// Long-lived objects (guards, watches) keep only a status receiver and the epoch number, never
/// the [`Epoch`] itself: the wire session of a lost epoch must be free to close.
pub(crate) async fn wait_for_end(mut status: watch::Receiver<SessionStatus>, number: u64) -> Error {
    match status.wait_for(|s| s.has_ended(number)).await {
        Ok(s) if s.state == SessionState::Closed => Error::Closed,
        Ok(_) => Error::SessionLost,
        Err(_) => Error::Closed,
    }
}

/// Resolves when epoch `number` is suspended or has ended.
pub(crate) async fn wait_for_uncertain(mut status: watch::Receiver<SessionStatus>, number: u64) {
    let _ = status
        .wait_for(|s| s.has_ended(number) || s.state == SessionState::Suspended)
        .await;
}
