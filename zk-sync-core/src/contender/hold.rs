//! [`Hold`]: a contender's node once the recipe says it holds.

use crate::backend::NodeEvent;
use crate::backend::Stat;
use crate::error::{Error, ZkErrorCode};
use crate::session::cleanup::Doomed;
use crate::session::lease::LeaseUse;
use crate::session::releases::Released;
use crate::session::{wait_for_end, wait_for_uncertain, Epoch, Session, SessionStatus};
use crate::watch_mux::{NodeWatch, Wake, WatchKind};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A fencing token: the `czxid` of the hold's node, and how many holds that node carried
/// before this one.
///
/// ZooKeeper assigns zxids from one global, strictly increasing counter and never reuses them
/// (not even after the lock directory is deleted and re-created), so a later node always
/// carries a greater `czxid`. With [local hand-off](crate::local) the tasks of one process
/// take turns on one node: their holds share its `czxid` and are told apart by the local
/// count (`0` for the node's first hold, then `1`, `2`, …). Tokens compare as the pair
/// `(czxid, local count)`, so every hold, local or not, of any process, carries a greater
/// token than every earlier hold of the lock. Give it to the resource you protect and let the
/// resource reject any token lower than the highest it has seen.
///
/// A resource that stores one integer stores [`as_u128`](Self::as_u128): the `czxid` in the
/// high 64 bits, the local count in the low 64, so comparing the integers compares the
/// tokens. A hold without local hand-off has local count 0, so its `u128` is its `czxid`
/// shifted left by 64, and [`Display`](fmt::Display) shows its `czxid` alone, as before;
/// a later local hold shows as `czxid.count`.
///
/// # Examples
///
/// ```
/// use zk_sync_core::FencingToken;
///
/// let older = FencingToken::from_czxid(0x1_0000_0007);
/// let newer = FencingToken::from_czxid(0x1_0000_0009);
/// assert!(older < newer);
/// assert_eq!(newer.to_string(), "4294967305");
///
/// // Local holds on one node come after its first hold and before any later node.
/// let local = FencingToken::new(0x1_0000_0007, 3);
/// assert!(older < local && local < newer);
/// assert_eq!(local.to_string(), "4294967303.3");
/// assert!(older.as_u128() < local.as_u128() && local.as_u128() < newer.as_u128());
/// assert_eq!(FencingToken::from_u128(local.as_u128()), Some(local));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FencingToken {
    // Field order is the comparison order.
    czxid: i64,
    local: u64,
}

impl FencingToken {
    /// The token of a node's first hold, from the node's `czxid`.
    pub const fn from_czxid(czxid: i64) -> FencingToken {
        FencingToken { czxid, local: 0 }
    }

    /// The token of the hold that follows `local` earlier holds on the node created at
    /// `czxid`.
    pub const fn new(czxid: i64, local: u64) -> FencingToken {
        FencingToken { czxid, local }
    }

    /// The `czxid` of the hold's node. Holds handed off inside one process share it; compare
    /// whole tokens (or [`as_u128`](Self::as_u128)) to order them.
    pub const fn as_i64(self) -> i64 {
        self.czxid
    }

    /// How many holds the node carried before this one (0 without local hand-off).
    pub const fn local_count(self) -> u64 {
        self.local
    }

    /// The token as one integer that orders as the tokens do: the `czxid` in the high 64
    /// bits, the local count in the low 64 (a `czxid` is never negative).
    pub const fn as_u128(self) -> u128 {
        ((self.czxid as u64 as u128) << 64) | self.local as u128
    }

    /// The token of an [`as_u128`](Self::as_u128) value; `None` if its `czxid` part does not
    /// fit a non-negative `i64`.
    pub const fn from_u128(value: u128) -> Option<FencingToken> {
        let czxid = (value >> 64) as u64;
        if czxid > i64::MAX as u64 {
            return None;
        }
        Some(FencingToken {
            czxid: czxid as i64,
            local: value as u64,
        })
    }
}

impl fmt::Display for FencingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.local {
            0 => fmt::Display::fmt(&self.czxid, f),
            local => write!(f, "{}.{local}", self.czxid),
        }
    }
}

/// Why a hold ended without being released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LossReason {
    /// The ZooKeeper session expired or stayed disconnected past its timeout.
    SessionLost,
    /// The `Session` was closed.
    Closed,
    /// Someone else deleted the node.
    NodeDeleted,
    /// The session's local lease ran out: the server has not answered for a whole session
    /// timeout, so it may have expired the session and given the hold to someone else (the
    /// process may have been paused, or cut off without noticing yet).
    LeaseExpired,
}

impl LossReason {
    fn label(self) -> &'static str {
        match self {
            LossReason::SessionLost => "session_lost",
            LossReason::Closed => "closed",
            LossReason::NodeDeleted => "node_deleted",
            LossReason::LeaseExpired => "lease_expired",
        }
    }
}

impl fmt::Display for LossReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LossReason::SessionLost => "ZooKeeper session lost",
            LossReason::Closed => "session closed",
            LossReason::NodeDeleted => "node deleted by someone else",
            LossReason::LeaseExpired => "no reply from ZooKeeper within the session timeout",
        })
    }
}

/// A held position in a [`ContenderQueue`](super::ContenderQueue).
///
/// Dropping it releases the node in the background; [`Hold::release`] does it in the
/// foreground. It never outlives its ZooKeeper session: once the session is lost, the hold
/// is gone for good, even if the `Session` has long reconnected with a new one.
#[must_use = "dropping a hold releases it"]
pub struct Hold {
    session: Session,
    epoch: u64,
    session_id: i64,
    status: watch::Receiver<SessionStatus>,
    path: String,
    stat: Stat,
    // What a queued release of this hold's node may rely on (see `Released`).
    held_first: bool,
    touchable: bool,
    primitive: &'static str,
    acquired_at: Instant,
    released: bool,
    duration_recorded: bool,
    loss_recorded: AtomicBool,
    lease: LeaseUse,
    // Sticky: once the lease was seen run out, the hold stays lost even if late replies come.
    lease_ran_out: AtomicBool,
    node_deleted: AtomicBool,
}

impl fmt::Debug for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hold")
            .field("path", &self.path)
            .field("fencing_token", &self.fencing_token())
            .field("epoch", &self.epoch)
            .finish()
    }
}

impl Hold {
    pub(super) fn new(
        session: Session,
        epoch: &crate::Epoch,
        path: String,
        stat: Stat,
        held_first: bool,
        touchable: bool,
        primitive: &'static str,
    ) -> Hold {
        Hold {
            session,
            epoch: epoch.number(),
            session_id: epoch.session_id(),
            status: epoch.status_receiver(),
            path,
            stat,
            held_first,
            touchable,
            primitive,
            acquired_at: Instant::now(),
            released: false,
            duration_recorded: false,
            loss_recorded: AtomicBool::new(false),
            lease: epoch.lease().hold_started(),
            lease_ran_out: AtomicBool::new(false),
            node_deleted: AtomicBool::new(false),
        }
    }

    /// The same hold, left out of the hold-duration metric: a node shared by local holders,
    /// whose holders are timed one by one.
    pub(crate) fn untimed(mut self) -> Hold {
        self.duration_recorded = true;
        self
    }

    /// The full path of the node.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The node's name (the last path segment).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// The fencing token of this hold.
    pub fn fencing_token(&self) -> FencingToken {
        FencingToken::from_czxid(self.stat.czxid)
    }

    /// The node's stat as of acquisition.
    pub fn stat(&self) -> &Stat {
        &self.stat
    }

    /// The ZooKeeper session id the hold belongs to.
    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    /// The session epoch the hold belongs to.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The session the hold was taken through.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// How long the hold has been held.
    pub fn held_for(&self) -> Duration {
        self.acquired_at.elapsed()
    }

    /// Whether the hold is lost: its session ended, its local lease ran out (see
    /// [`Hold::ensure_held`]), or [`Hold::lost`] saw its node deleted by someone else.
    pub fn is_lost(&self) -> bool {
        self.ensure_held().is_err()
    }

    /// Checks, at once and without a request, that the hold is still certain, as the last
    /// step before touching the protected resource.
    ///
    /// It fails as soon as the loss is known: the session ended, [`Hold::lost`] saw the node
    /// deleted, or the session's *local lease* ran out. The lease is the session timeout
    /// counted from the moment the newest request that the server answered was sent: until
    /// then the server cannot have expired the session, whatever happened in between; after
    /// it, it may have, and someone else may hold the lock. A process that was paused
    /// (SIGSTOP, a stalled VM) past its lease is told so by the first call after it wakes,
    /// before it has heard anything from the server. Once it has failed it keeps failing.
    ///
    /// The check cannot cover what happens after it returns: keep the work between the check
    /// and the resource short, and let the resource reject stale writes with the
    /// [fencing token](Hold::fencing_token).
    ///
    /// # Errors
    ///
    /// [`Error::LeaseExpired`], [`Error::SessionLost`] or [`Error::Closed`] (all of them
    /// [`Error::is_session_lost`] or [`Error::is_closed`]), or [`Error::NodeDeleted`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: zk_sync_core::ContenderQueue) -> zk_sync_core::Result<()> {
    /// use zk_sync_core::contender::Exclusive;
    ///
    /// let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await?;
    /// // … prepare the write …
    /// hold.ensure_held()?; // right before touching the resource
    /// println!("writing with fencing token {}", hold.fencing_token());
    /// hold.release().await?;
    /// # Ok(()) }
    /// ```
    pub fn ensure_held(&self) -> Result<(), Error> {
        if self.status.borrow().has_ended(self.epoch) {
            return Err(self.end_error());
        }
        if self.node_deleted.load(Ordering::Acquire) {
            return Err(Error::NodeDeleted {
                path: self.path.clone(),
            });
        }
        if self.lease_has_run_out() {
            return Err(Error::LeaseExpired);
        }
        Ok(())
    }

    /// Whether the lease ran out, now or at an earlier look.
    fn lease_has_run_out(&self) -> bool {
        if self.lease_ran_out.load(Ordering::Acquire) {
            return true;
        }
        let ran_out = self.lease.lease().has_run_out();
        if ran_out {
            self.lease_ran_out.store(true, Ordering::Release);
        }
        ran_out
    }

    /// Whether the hold is currently uncertain: the connection is suspended or the session's
    /// local lease nears its end (two thirds of the session timeout without an answer), so
    /// the session may expire at any moment (or already be lost).
    pub fn is_uncertain(&self) -> bool {
        let suspended = self.status.borrow().state == crate::SessionState::Suspended;
        suspended || self.lease.lease().is_near_end() || self.is_lost()
    }

    /// Resolves as soon as the hold *may* have been lost: the connection to ZooKeeper is
    /// suspended, the server has not answered for two thirds of the session timeout (the
    /// local lease nears its end), or the hold is certainly lost. Stop touching the protected
    /// resource then.
    ///
    /// It resolves at once while the hold is uncertain. If the connection comes back within
    /// the session timeout and the server answers again, the hold is still valid:
    /// [`is_uncertain`](Hold::is_uncertain) turns false, and `uncertain` waits for the next
    /// suspension or silence.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn uncertain(&self) {
        tokio::select! {
            _ = wait_for_uncertain(self.status.clone(), self.epoch) => {}
            _ = self.lease.lease().near_end() => {}
        }
    }

    /// Resolves when the hold is lost: its session ended, its node was deleted by someone
    /// else, or its local lease ran out (see [`Hold::ensure_held`]). It never resolves for a
    /// hold whose session the server still keeps and whose lease is current.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn lost(&self) -> LossReason {
        let reason = tokio::select! {
            // A known end of the session is the surer reason than a lease run out.
            biased;
            end = wait_for_end(self.status.clone(), self.epoch) => match end {
                Error::Closed => LossReason::Closed,
                _ => LossReason::SessionLost,
            },
            deleted = self.node_deleted() => {
                self.node_deleted.store(true, Ordering::Release);
                deleted
            }
            _ = self.lease.lease().run_out() => {
                self.lease_ran_out.store(true, Ordering::Release);
                LossReason::LeaseExpired
            }
        };
        if !self.loss_recorded.swap(true, Ordering::AcqRel) {
            crate::metrics::record_hold_lost(self.primitive, reason.label());
        }
        reason
    }

    /// Resolves once someone asked the holder to let go, by Apache Curator's convention
    /// ([`request_revocation`](super::request_revocation), Curator's `Revoker`): whoever
    /// listens decides whether, and when, to release. A request made before the call counts
    /// too. It pends while nobody asks, and for good once the node is gone (see
    /// [`lost`](Self::lost) for that).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn revoke_requested(&self) {
        loop {
            let Some((epoch, watch)) = self.watch_own_node().await else {
                return std::future::pending().await;
            };
            let watch = match watch {
                Ok(watch) => watch,
                Err(Error::Zk {
                    code: ZkErrorCode::NoNode,
                    ..
                }) => return std::future::pending().await,
                Err(_) => {
                    drop(epoch);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // The watch is armed before the node is read, so no request can fall between.
            let data = epoch.data(&self.path).await;
            drop(epoch);
            match data {
                Ok(Some((data, _))) if data == super::REVOKE_MESSAGE => return,
                Ok(Some(_)) => {
                    watch.changed().await;
                }
                Ok(None) => return std::future::pending().await,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Arms a data watch on the node, shared with every other local waiter on it, in the
    /// hold's own epoch; `None` once that epoch has ended.
    async fn watch_own_node(&self) -> Option<(Arc<Epoch>, Result<NodeWatch, Error>)> {
        let epoch = self
            .session
            .current_epoch()
            .filter(|e| e.number() == self.epoch)?;
        let watch = self
            .session
            .watch(&epoch, WatchKind::Data, &self.path)
            .await;
        Some((epoch, watch))
    }

    /// Resolves when the node is deleted; pends forever once the epoch ends (the caller's
    /// other branch reports that).
    async fn node_deleted(&self) -> LossReason {
        loop {
            let Some((epoch, watch)) = self.watch_own_node().await else {
                return std::future::pending().await;
            };
            drop(epoch);
            match watch {
                Err(Error::Zk {
                    code: ZkErrorCode::NoNode,
                    ..
                }) => return LossReason::NodeDeleted,
                Ok(watch) => match watch.changed().await {
                    Wake::Node(NodeEvent::Deleted) => return LossReason::NodeDeleted,
                    Wake::Node(_) | Wake::Session(_) => continue,
                },
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Releases the hold: deletes the node, retrying through connection loss.
    ///
    /// # Errors
    ///
    /// - [`Error::SessionLost`] / [`Error::Closed`] if the hold had already been lost with its
    ///   session, [`Error::LeaseExpired`] if its local lease had run out (see
    ///   [`Hold::ensure_held`]: the node is still deleted in the background);
    /// - [`Error::NodeDeleted`] if someone else had deleted the node.
    ///
    /// Either way the hold is gone afterwards.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before the server answered, the hold is released
    /// in the background as if it had been dropped.
    pub async fn release(mut self) -> Result<(), Error> {
        self.record_hold_duration();
        if matches!(self.ensure_held(), Err(Error::LeaseExpired)) {
            return self.release_after_lease_ran_out();
        }
        let Some(epoch) = self
            .session
            .current_epoch()
            .filter(|e| e.number() == self.epoch)
        else {
            return Err(wait_for_end(self.status.clone(), self.epoch).await);
        };
        let deleted = epoch.delete(&self.path).await;
        // Only now is the node's fate known; until here, dropping this future releases it in
        // the background (see `Drop`).
        self.released = true;
        match deleted {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::NodeDeleted {
                path: self.path.clone(),
            }),
            Err(error @ Error::Zk { .. }) => {
                // The server refused, so the node is still ours: make sure it goes.
                self.session
                    .delete_in_background(epoch, Doomed::Path(self.path.clone()));
                Err(error)
            }
            Err(ended) => Err(ended),
        }
    }

    /// Releases the hold without waiting for the server. The delete is queued on the session
    /// and followed up in the background (retried through connection loss); it leaves with the
    /// session's next request, or as soon as the calling task yields to the runtime.
    ///
    /// If that next request is an acquire (this process locking again), the delete travels
    /// inside its create as one transaction: the server writes and syncs one log entry instead
    /// of two, and if this hold was the oldest node of its directory the acquire needs no
    /// listing either. Any other request sends the delete first. ZooKeeper executes one
    /// session's requests in order, so anything this process sends through the same session
    /// afterwards is ordered after the release, and other contenders see the node vanish as
    /// soon as the server applies it.
    ///
    /// The fold is an optimization, never a condition: on a single-threaded runtime it always
    /// happens; with several workers, or from a `block_on` future, the background send
    /// occasionally goes first and the acquire then costs its usual round trip.
    ///
    /// # Errors
    ///
    /// [`Error::SessionLost`] / [`Error::Closed`] if the hold had already been lost with its
    /// session, [`Error::LeaseExpired`] if its local lease had run out (see
    /// [`Hold::ensure_held`]; the node is still deleted). A node deleted by someone else is
    /// not detected here.
    pub fn release_queued(mut self) -> Result<(), Error> {
        self.record_hold_duration();
        if matches!(self.ensure_held(), Err(Error::LeaseExpired)) {
            return self.release_after_lease_ran_out();
        }
        self.released = true;
        match self
            .session
            .current_epoch()
            .filter(|e| e.number() == self.epoch && !e.has_ended())
        {
            Some(epoch) => {
                let released = self.released();
                self.session.release_in_background(epoch, released);
                Ok(())
            }
            None => Err(self.end_error()),
        }
    }

    /// The error for a hold whose session has ended: closed by its owner, or lost.
    fn end_error(&self) -> Error {
        match self.status.borrow().state {
            crate::SessionState::Closed => Error::Closed,
            _ => Error::SessionLost,
        }
    }

    /// Reports a hold whose lease ran out as lost, never as released: the server may have
    /// given it to someone else meanwhile. The node still goes, in the background, in case
    /// the session lives on.
    ///
    /// Callers have checked with [`Hold::ensure_held`], which reports an ended session first.
    fn release_after_lease_ran_out(self) -> Result<(), Error> {
        if !self.loss_recorded.swap(true, Ordering::AcqRel) {
            crate::metrics::record_hold_lost(self.primitive, LossReason::LeaseExpired.label());
        }
        // Dropping `self` queues the delete if the epoch is still current.
        drop(self);
        Err(Error::LeaseExpired)
    }

    /// The node, handed over to be deleted.
    fn released(&mut self) -> Released {
        Released {
            path: std::mem::take(&mut self.path),
            held_first: self.held_first,
            touchable: self.touchable,
        }
    }

    fn record_hold_duration(&mut self) {
        if std::mem::replace(&mut self.duration_recorded, true) {
            return;
        }
        crate::metrics::record_hold(self.primitive, self.acquired_at.elapsed());
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        self.record_hold_duration();
        if let Some(epoch) = self
            .session
            .current_epoch()
            .filter(|e| e.number() == self.epoch)
        {
            let released = self.released();
            self.session.release_in_background(epoch, released);
        }
    }
}
