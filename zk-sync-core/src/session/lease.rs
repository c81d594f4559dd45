//! The local lease of one ZooKeeper session: how long its holds are certain without news from
//! the server.
//!
//! The server expires a session once it has heard nothing from it for the session timeout. A
//! reply to a request proves the server heard from the session *after* that request was sent,
//! so the session cannot expire before `send time + session timeout`, whatever the network or
//! the scheduler did since. Past that instant the server may have expired it and handed every
//! lock to someone else, even though this process was told nothing: it may have been paused
//! (SIGSTOP, a long GC-like stall, a suspended VM) or cut off without noticing yet.
//!
//! Every request of an epoch goes through [`LeasedBackend`], which moves the lease forward when
//! the server answers. While holds exist, [`keep_alive`] sends a cheap read whenever the
//! session has been quiet for a third of the timeout, so a healthy session never comes near
//! the end of its lease; two thirds in, holds are reported uncertain.

use crate::backend::{Acl, Backend, BackendState, Created, NodeKind, Reply, Stat, WatchFuture};
use crate::error::ZkErrorCode;
use crate::session::SessionStatus;
use futures::FutureExt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::time::{sleep_until, Instant};

/// The lease of one epoch, shared by the epoch's backend and every hold taken in it.
#[derive(Debug)]
pub(crate) struct Lease {
    timeout: Duration,
    /// Nanoseconds since [`base`] at which the newest answered request was sent.
    answered_sent: AtomicU64,
    holds: AtomicUsize,
    hold_began: Notify,
}

/// The instant lease times are counted from (one per process, so they fit in an `AtomicU64`).
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn nanos_since_base(at: Instant) -> u64 {
    nanos(at.saturating_duration_since(base()))
}

impl Lease {
    /// A lease of `timeout`, starting from `established_from`, the moment the session's
    /// handshake was sent.
    pub(crate) fn new(timeout: Duration, established_from: Instant) -> Arc<Lease> {
        Arc::new(Lease {
            timeout,
            answered_sent: AtomicU64::new(nanos_since_base(established_from)),
            holds: AtomicUsize::new(0),
            hold_began: Notify::new(),
        })
    }

    /// A request sent at `sent` (see [`Lease::now`]) was answered by the server.
    ///
    /// An answer from a follower proves the follower heard from the session, but the leader,
    /// which expires sessions, hears of it only with the follower's next ping reply, up to half
    /// a tick later (ZooKeeper makes the session timeout at least two ticks, so half a tick is
    /// at most a quarter of it). So an answer moves the lease only if it arrives at least a
    /// quarter of the timeout before the current lease ends: the leader then learns of the
    /// touch before it could have expired the session, and counts the new timeout from a
    /// moment after `sent`. Healthy sessions are answered a third of the way in, far from
    /// that limit; an answer that comes later (say, after a long reconnect) leaves the lease
    /// to run out, which costs the hold, never safety.
    ///
    /// While no hold depends on the lease, any answer moves it: there is nothing to protect,
    /// and a hold acquired next starts from the answers to its own acquisition.
    ///
    /// What no answer can rule out: a follower cut off from the leader keeps answering reads
    /// for up to `syncLimit` ticks while the leader expires the session. The probe is a read,
    /// so such a partition can keep the lease alive past a real expiry; the fencing token
    /// covers that case.
    fn answered(&self, sent: u64) {
        let arrived = Lease::now();
        let runs_out = self.answered_sent.load(Ordering::Acquire) + nanos(self.timeout);
        if self.holds() == 0 || arrived + nanos(self.timeout / 4) <= runs_out {
            self.answered_sent.fetch_max(sent, Ordering::AcqRel);
        }
    }

    fn now() -> u64 {
        nanos_since_base(Instant::now())
    }

    /// When the newest answered request was sent.
    fn answered_at(&self) -> Instant {
        base() + Duration::from_nanos(self.answered_sent.load(Ordering::Acquire))
    }

    /// The instant after which the server may have expired the session.
    pub(crate) fn runs_out_at(&self) -> Instant {
        self.answered_at() + self.timeout
    }

    /// The instant from which holds are reported uncertain: two thirds into the lease, when a
    /// healthy session would have had a reply for a while.
    pub(crate) fn nears_end_at(&self) -> Instant {
        self.answered_at() + self.timeout * 2 / 3
    }

    /// Whether the server may already have expired the session.
    pub(crate) fn has_run_out(&self) -> bool {
        Instant::now() >= self.runs_out_at()
    }

    /// Whether the lease is near its end (or past it).
    pub(crate) fn is_near_end(&self) -> bool {
        Instant::now() >= self.nears_end_at()
    }

    /// Resolves once the lease is near its end; pends while replies keep it young.
    pub(crate) async fn near_end(&self) {
        self.reach(Lease::nears_end_at).await
    }

    /// Resolves once the lease has run out; pends while replies keep it young.
    pub(crate) async fn run_out(&self) {
        self.reach(Lease::runs_out_at).await
    }

    async fn reach(&self, moment: fn(&Lease) -> Instant) {
        loop {
            let at = moment(self);
            if Instant::now() >= at {
                return;
            }
            sleep_until(at).await;
        }
    }

    /// Resolves once the lease has run out while a hold depended on it: the session can no
    /// longer be trusted (and never will again, since late answers do not revive it), so its
    /// epoch ends.
    pub(crate) async fn run_out_while_held(&self) {
        loop {
            self.run_out().await;
            if self.holds() > 0 {
                return;
            }
            // Run out with nobody holding: the next acquisition's answers renew it.
            sleep_until(Instant::now() + (self.timeout / 3).max(MIN_QUIET)).await;
        }
    }

    /// Counts a hold for as long as the returned value lives: the lease is kept young only
    /// while someone depends on it.
    pub(crate) fn hold_started(self: &Arc<Lease>) -> LeaseUse {
        if self.holds.fetch_add(1, Ordering::AcqRel) == 0 {
            self.hold_began.notify_one();
        }
        LeaseUse(self.clone())
    }

    fn holds(&self) -> usize {
        self.holds.load(Ordering::Acquire)
    }
}

/// A hold's use of its epoch's [`Lease`].
#[derive(Debug)]
pub(crate) struct LeaseUse(Arc<Lease>);

impl LeaseUse {
    pub(crate) fn lease(&self) -> &Lease {
        &self.0
    }
}

impl Drop for LeaseUse {
    fn drop(&mut self) {
        self.0.holds.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether a reply came from the server for a live session: a result, or an error code only a
/// server sends about the request itself (the wire client makes up the others).
pub(crate) fn is_answer<T>(reply: &Result<T, ZkErrorCode>) -> bool {
    matches!(
        reply,
        Ok(_)
            | Err(ZkErrorCode::NoNode
                | ZkErrorCode::NodeExists
                | ZkErrorCode::NotEmpty
                | ZkErrorCode::BadVersion
                | ZkErrorCode::NoAuth
                | ZkErrorCode::NoChildrenForEphemerals)
    )
}

/// A backend that moves its epoch's [`Lease`] forward with every answered request.
#[derive(Debug)]
pub(crate) struct LeasedBackend {
    inner: Arc<dyn Backend>,
    lease: Arc<Lease>,
}

impl LeasedBackend {
    pub(crate) fn new(inner: Arc<dyn Backend>, lease: Arc<Lease>) -> LeasedBackend {
        LeasedBackend { inner, lease }
    }

    /// Sends a request (`send` calls the inner backend) and follows its reply into the lease,
    /// counting from just before it was sent.
    fn track<'a, T: Send + 'a>(&self, send: impl FnOnce() -> Reply<'a, T>) -> Reply<'a, T> {
        let sent = Lease::now();
        self.track_from(sent, send())
    }

    fn track_from<'a, T: Send + 'a>(&self, sent: u64, reply: Reply<'a, T>) -> Reply<'a, T> {
        let lease = self.lease.clone();
        reply
            .map(move |reply| {
                if is_answer(&reply) {
                    lease.answered(sent);
                }
                reply
            })
            .boxed()
    }
}

impl Backend for LeasedBackend {
    fn session_id(&self) -> i64 {
        self.inner.session_id()
    }

    fn session_timeout(&self) -> Duration {
        self.inner.session_timeout()
    }

    fn state(&self) -> watch::Receiver<BackendState> {
        self.inner.state()
    }

    fn create<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Reply<'a, Created> {
        self.track(|| self.inner.create(path, data, kind, acl))
    }

    fn create_after_deletes<'a>(
        &'a self,
        deletes: &[&str],
        touchable: Option<&str>,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Option<Reply<'a, Created>> {
        let sent = Lease::now();
        let reply = self
            .inner
            .create_after_deletes(deletes, touchable, path, data, kind, acl)?;
        Some(self.track_from(sent, reply))
    }

    fn delete(&self, path: &str, version: Option<i32>) -> Reply<'static, ()> {
        self.track(|| self.inner.delete(path, version))
    }

    fn set_data<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        version: Option<i32>,
    ) -> Reply<'a, Stat> {
        self.track(|| self.inner.set_data(path, data, version))
    }

    fn get_data<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat)> {
        self.track(|| self.inner.get_data(path))
    }

    fn get_data_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat, WatchFuture)> {
        self.track(|| self.inner.get_data_watch(path))
    }

    fn exists_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Option<Stat>, WatchFuture)> {
        self.track(|| self.inner.exists_watch(path))
    }

    fn get_children<'a>(&'a self, path: &'a str) -> Reply<'a, Vec<String>> {
        self.track(|| self.inner.get_children(path))
    }

    fn get_children_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<String>, WatchFuture)> {
        self.track(|| self.inner.get_children_watch(path))
    }

    fn zookeeper_client_session(&self) -> Option<::zookeeper_client::SessionInfo> {
        self.inner.zookeeper_client_session()
    }
}

/// The shortest quiet spell that sends a probe (for a session timeout of almost nothing).
const MIN_QUIET: Duration = Duration::from_millis(10);

/// How soon an unanswered probe is sent again.
const PROBE_RETRY: Duration = Duration::from_millis(50);

/// Keeps `lease` young while holds depend on it: whenever the session has had no answer for a
/// third of its timeout, reads the root node (any answer will do, even "no node" under a
/// chroot that does not exist). Ends with the epoch, or once its backend is gone.
pub(crate) async fn keep_alive(
    lease: Arc<Lease>,
    backend: Weak<dyn Backend>,
    mut status: watch::Receiver<SessionStatus>,
    epoch: u64,
) {
    let quiet = (lease.timeout / 3).max(MIN_QUIET);
    loop {
        if lease.holds() == 0 {
            // Nobody depends on the lease: sleep until a hold begins.
            tokio::select! {
                _ = lease.hold_began.notified() => {}
                _ = status.wait_for(|s| s.has_ended(epoch)) => return,
            }
            continue;
        }
        let due = lease.answered_at() + quiet;
        if Instant::now() < due {
            tokio::select! {
                _ = sleep_until(due) => {}
                _ = status.wait_for(|s| s.has_ended(epoch)) => return,
            }
            // A reply may have come meanwhile, or the last hold ended: look again.
            continue;
        }
        let Some(backend) = backend.upgrade() else {
            return;
        };
        let before = lease.answered_at();
        tokio::select! {
            _ = backend.get_data("/") => {}
            _ = status.wait_for(|s| s.has_ended(epoch)) => return,
        }
        drop(backend);
        if lease.answered_at() == before {
            // No answer (the connection is down): try again soon, not in a busy loop.
            tokio::select! {
                _ = tokio::time::sleep(PROBE_RETRY.min(quiet)) => {}
                _ = status.wait_for(|s| s.has_ended(epoch)) => return,
            }
        }
    }
}
