//! [`DoubleBarrier`]: enter together, leave together.

use crate::members::{self, READY};
use crate::Error;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use zk_sync_core::backend::NodeKind;
use zk_sync_core::metrics::{record_hold, record_hold_lost, AcquireRecorder, WaiterGauge};
use zk_sync_core::{validate_path, Epoch, Session};

/// The `primitive` label of the barrier's metrics.
const PRIMITIVE: &str = "barrier";

/// A distributed double barrier (Curator's `DistributedDoubleBarrier`): `participants`
/// processes [`enter`](Self::enter) and proceed only once all of them are in, then
/// [`leave`](Self::leave) and proceed only once all of them are out.
///
/// Each participant is an ephemeral node `<path>/<uuid>`; the participant that completes the
/// group creates the persistent node `<path>/ready`, which lets everyone in. As with Curator,
/// `participants` is a threshold, not a limit: more may enter.
///
/// One `DoubleBarrier` value is one participant; use one per task or process.
///
/// # Timeouts and crashes
///
/// A participant that crashes (its session expires) before the group is complete is no
/// longer counted, so the others keep waiting in `enter`: bound the wait with
/// [`tokio::time::timeout`], which is safe because `enter` is cancel safe. A participant that
/// crashes inside the barrier counts as having left. If our own session is lost while we wait,
/// `enter` and `leave` fail with [`Error::MemberLost`] or a session-lost error instead of
/// hanging.
#[derive(Debug)]
pub struct DoubleBarrier {
    session: Session,
    dir: String,
    ready: String,
    participants: usize,
    member: Mutex<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Member {
    Outside,
    Entering,
    Inside { path: String, since: Instant },
}

/// The result of [`DoubleBarrier::enter`], like `tokio::sync::BarrierWaitResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// `true` for exactly one participant per round: the one whose arrival completed the
    /// group (it created the `ready` node).
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

impl DoubleBarrier {
    /// A participant of the double barrier at `path` for `participants` participants.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(session: zk_sync_barrier::Session) -> Result<(), zk_sync_barrier::Error> {
    /// use zk_sync_barrier::DoubleBarrier;
    ///
    /// let barrier = DoubleBarrier::new(session, "/barriers/nightly", 4)?;
    /// assert_eq!(barrier.participants(), 4);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::ZeroParticipants`] for `participants == 0`; an invalid-argument error for a
    /// path that is not absolute and clean.
    pub fn new(session: Session, path: &str, participants: usize) -> Result<DoubleBarrier, Error> {
        validate_path(path).map_err(zk_sync_core::Error::from)?;
        if participants == 0 {
            return Err(Error::ZeroParticipants);
        }
        Ok(DoubleBarrier {
            session,
            dir: path.to_owned(),
            ready: format!("{path}/{READY}"),
            participants,
            member: Mutex::new(Member::Outside),
        })
    }

    /// The barrier's path.
    pub fn path(&self) -> &str {
        &self.dir
    }

    /// The number of participants that complete the group.
    pub fn participants(&self) -> usize {
        self.participants
    }

    /// Enters the barrier and waits until all participants have entered.
    ///
    /// Every wake-up is re-checked against the server, so a spurious wake-up never lets a
    /// participant through early.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(barrier: zk_sync_barrier::DoubleBarrier) -> Result<(), zk_sync_barrier::Error> {
    /// use std::time::Duration;
    ///
    /// match tokio::time::timeout(Duration::from_secs(30), barrier.enter()).await {
    ///     Ok(entered) => println!("in; leader: {}", entered?.is_leader()),
    ///     Err(_) => println!("the others did not show up; our node is removed"),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled `enter` removes our member node in the background, so the
    /// others do not count us.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyEntered`] if this participant is inside or entering;
    /// [`Error::MemberLost`] or a session-lost error when our session is lost while waiting.
    pub async fn enter(&self) -> Result<BarrierWaitResult, Error> {
        self.transition(Member::Outside, Member::Entering)
            .map_err(|_| Error::AlreadyEntered)?;
        let mut recorder = AcquireRecorder::start(PRIMITIVE);
        let mut entering = Entering {
            barrier: self,
            node: None,
        };
        let path = format!("{}/{}", self.dir, uuid::Uuid::new_v4().hyphenated());
        let entered = async {
            let epoch = self.session.live_epoch().await?;
            entering.node = Some((epoch.clone(), path.clone()));
            self.enter_with(&epoch, &path).await
        };
        let leader = match entered.await {
            Ok(leader) => leader,
            Err(error) => {
                if matches!(error, Error::MemberLost { .. }) {
                    record_hold_lost(PRIMITIVE, "session_lost");
                }
                recorder.finish("error");
                return Err(error);
            }
        };
        recorder.finish("acquired");
        entering.node = None;
        *self.lock() = Member::Inside {
            path,
            since: Instant::now(),
        };
        Ok(BarrierWaitResult { leader })
    }

    async fn enter_with(&self, epoch: &Epoch, path: &str) -> Result<bool, Error> {
        let name = &path[self.dir.len() + 1..];
        // Watch `ready` before counting, as Curator does, so its creation cannot be missed.
        let (mut ready, mut watch) = members::exists_watch(epoch, &self.ready).await?;
        members::create(&self.session, epoch, &self.dir, path, NodeKind::Ephemeral).await?;
        loop {
            if ready {
                return Ok(false);
            }
            let children = members::children(epoch, &self.dir).await?;
            if children.iter().any(|c| c == READY) {
                return Ok(false);
            }
            if !children.iter().any(|c| c == name) {
                return Err(Error::MemberLost {
                    path: path.to_owned(),
                });
            }
            if children.len() >= self.participants {
                let created = members::create(
                    &self.session,
                    epoch,
                    &self.dir,
                    &self.ready,
                    NodeKind::Persistent,
                )
                .await?;
                return Ok(created);
            }
            let waiting = WaiterGauge::new(PRIMITIVE);
            members::wake(epoch, watch).await?;
            drop(waiting);
            (ready, watch) = members::exists_watch(epoch, &self.ready).await?;
        }
    }

    /// Leaves the barrier and waits until every participant that was inside has left.
    ///
    /// Our member node is deleted at once; then we wait for the others' nodes (those present
    /// when we started leaving; participants of a next round are not waited for) to go. The
    /// last to pass removes the `ready` node.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(barrier: zk_sync_barrier::DoubleBarrier) -> Result<(), zk_sync_barrier::Error> {
    /// barrier.enter().await?;
    /// // … work …
    /// barrier.leave().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, but the participant is outside afterwards: our node is deleted first.
    ///
    /// # Errors
    ///
    /// [`Error::NotEntered`] without a successful [`enter`](Self::enter); [`Error::Zk`] when
    /// the session is closed.
    pub async fn leave(&self) -> Result<(), Error> {
        let path = {
            let mut member = self.lock();
            match &*member {
                Member::Inside { path, since } => {
                    record_hold(PRIMITIVE, since.elapsed());
                    let path = path.clone();
                    *member = Member::Outside;
                    path
                }
                _ => return Err(Error::NotEntered),
            }
        };
        loop {
            let epoch = self.session.live_epoch().await?;
            match self.leave_with(&epoch, &path).await {
                Err(error) if error.is_session_lost() => continue,
                other => return other,
            }
        }
    }

    async fn leave_with(&self, epoch: &Epoch, path: &str) -> Result<(), Error> {
        members::delete(epoch, path).await?;
        let mut waiting_for = members::children(epoch, &self.dir).await?;
        waiting_for.retain(|c| c != READY);
        loop {
            let children = members::children(epoch, &self.dir).await?;
            waiting_for.retain(|c| children.contains(c));
            let Some(highest) = waiting_for.iter().max() else {
                break;
            };
            let (exists, watch) =
                members::exists_watch(epoch, &format!("{}/{highest}", self.dir)).await?;
            if exists {
                members::wake(epoch, watch).await?;
            }
        }
        members::delete(epoch, &self.ready).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Member> {
        self.member.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn transition(&self, from: Member, to: Member) -> Result<(), ()> {
        let mut member = self.lock();
        if *member != from {
            return Err(());
        }
        *member = to;
        Ok(())
    }
}

impl Drop for DoubleBarrier {
    fn drop(&mut self) {
        if let Member::Inside { path, .. } = std::mem::replace(&mut *self.lock(), Member::Outside) {
            if let Some(epoch) = self.session.current_epoch().filter(|e| !e.has_ended()) {
                self.session.delete_node_in_background(epoch, path);
            }
        }
    }
}

/// An `enter` in progress: if it is dropped before finishing, our member node is removed and
/// the participant is outside again.
struct Entering<'a> {
    barrier: &'a DoubleBarrier,
    node: Option<(Arc<Epoch>, String)>,
}

impl Drop for Entering<'_> {
    fn drop(&mut self) {
        let mut member = self.barrier.lock();
        if *member == Member::Entering {
            *member = Member::Outside;
        }
        if let Some((epoch, path)) = self.node.take() {
            self.barrier.session.delete_node_in_background(epoch, path);
        }
    }
}
