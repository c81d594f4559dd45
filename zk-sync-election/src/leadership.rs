//! [`Leadership`]: proof that this participant leads, and the signals that it stopped leading.

use crate::error::Interrupted;
use crate::gauge::LeaderGauge;
use crate::read;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use zk_sync_core::contender::LossReason;
use zk_sync_core::{Error, FencingToken, Hold, SessionState, SessionStatus};

/// This participant leads the election (from [`LeaderElection::campaign`]).
///
/// A leadership can be *certain* (connected to ZooKeeper), *uncertain* (the connection is
/// suspended: the session may expire any moment, so stop acting as leader, though nobody else
/// can be elected yet) or *lost* (the session expired or was closed, or someone deleted the
/// node: another participant may lead now). Uncertainty ends either with the connection coming
/// back within the session ([`certain`](Self::certain) resolves `Ok`) or with the loss.
///
/// Dropping it resigns in the background; [`resign`](Self::resign) does it explicitly. A
/// leadership never outlives its ZooKeeper session.
///
/// [`LeaderElection::campaign`]: crate::LeaderElection::campaign
///
/// # Examples
///
/// ```no_run
/// # async fn demo(election: zk_sync_election::LeaderElection) -> Result<(), zk_sync_election::Error> {
/// let leadership = election.campaign().await?;
/// tokio::select! {
///     _ = leadership.uncertain() => println!("stop scheduling: leadership uncertain"),
///     _ = schedule(leadership.fencing_token()) => leadership.resign().await?,
/// }
/// # Ok(()) }
/// # async fn schedule(_: zk_sync_election::FencingToken) {}
/// ```
#[must_use = "dropping a leadership resigns it"]
pub struct Leadership {
    hold: Hold,
    participant_id: Arc<str>,
    gauge: Option<LeaderGauge>,
}

impl fmt::Debug for Leadership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leadership")
            .field("participant_id", &self.participant_id)
            .field("path", &self.hold.path())
            .field("fencing_token", &self.hold.fencing_token())
            .field("epoch", &self.hold.epoch())
            .finish()
    }
}

impl Leadership {
    pub(crate) fn new(hold: Hold, participant_id: Arc<str>, gauge: Option<LeaderGauge>) -> Self {
        Leadership {
            hold,
            participant_id,
            gauge,
        }
    }

    /// Our participant id.
    pub fn participant_id(&self) -> &str {
        &self.participant_id
    }

    /// The path of our node (`<election path>/_c_<uuid>-latch-<sequence>`).
    pub fn path(&self) -> &str {
        self.hold.path()
    }

    /// The fencing token of this leadership: greater than that of every earlier leadership of
    /// the election. Give it to the resources the leader writes to, so they can reject a
    /// deposed leader's late writes.
    pub fn fencing_token(&self) -> FencingToken {
        self.hold.fencing_token()
    }

    /// The ZooKeeper session this leadership belongs to.
    pub fn session_id(&self) -> i64 {
        self.hold.session_id()
    }

    /// The underlying hold of the contender queue.
    pub fn hold(&self) -> &Hold {
        &self.hold
    }

    /// Whether the leadership is lost: its session ended (expired or closed) or its local
    /// lease ran out (see [`ensure_held`](Self::ensure_held)). A node deleted by someone else
    /// is only noticed by [`lost`](Self::lost).
    pub fn is_lost(&self) -> bool {
        self.hold.is_lost()
    }

    /// Checks at once, without a request, that this participant still leads: call it right
    /// before acting as leader on a shared resource. It fails as soon as the loss is known,
    /// and also when ZooKeeper has not answered for a whole session timeout (the local lease
    /// ran out), as after this process was paused: the server may have expired the session
    /// and elected someone else. Let the resource reject stale writes with the
    /// [fencing token](Self::fencing_token) for what the check cannot cover.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(leadership: zk_sync_election::Leadership) -> Result<(), zk_sync_core::Error> {
    /// leadership.ensure_held()?;
    /// println!("acting as leader with token {}", leadership.fencing_token());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::LeaseExpired`](zk_sync_core::Error::LeaseExpired) when the lease ran out;
    /// otherwise the error that ended the leadership. Once it fails it keeps failing.
    pub fn ensure_held(&self) -> Result<(), zk_sync_core::Error> {
        self.hold.ensure_held()
    }

    /// Whether the leadership is uncertain right now (connection suspended, or no answer from
    /// ZooKeeper for two thirds of the session timeout) or lost.
    pub fn is_uncertain(&self) -> bool {
        self.hold.is_uncertain()
    }

    /// Resolves as soon as the leadership *may* be lost: the connection to ZooKeeper is
    /// suspended, ZooKeeper has not answered for two thirds of the session timeout, or the
    /// leadership is certainly lost. Stop acting as leader then.
    ///
    /// ZooKeeper client libraries notice a silent connection within the connection timeout
    /// (and always well inside the session timeout), while the server expires the session — the
    /// only way another participant can be elected — only after the full session timeout. So a
    /// leader that stops here stops before any successor starts.
    ///
    /// Resolves at once while the leadership is uncertain; after the connection comes back,
    /// calling it again waits for the next suspension.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(leadership: zk_sync_election::Leadership) {
    /// leadership.uncertain().await;
    /// eprintln!("pausing: connection to ZooKeeper suspended");
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn uncertain(&self) {
        self.hold.uncertain().await
    }

    /// Resolves when the leadership is certainly lost: the session expired (or stayed
    /// suspended past its timeout), the session was closed, or someone deleted our node. It
    /// never resolves while the leadership is still held, even if it is uncertain.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(leadership: zk_sync_election::Leadership) {
    /// let reason = leadership.lost().await;
    /// eprintln!("no longer the leader: {reason}");
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn lost(&self) -> LossReason {
        let reason = self.hold.lost().await;
        self.end_gauge();
        reason
    }

    /// Waits until the leadership is certain: the connection is up and our node, confirmed
    /// with one read, is still there and owned by our session. Use it after
    /// [`uncertain`](Self::uncertain) to learn whether to resume leading.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(leadership: zk_sync_election::Leadership) {
    /// leadership.uncertain().await;
    /// match leadership.certain().await {
    ///     Ok(()) => println!("reconnected within the session: still the leader"),
    ///     Err(reason) => println!("leadership lost: {reason}"),
    /// }
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Errors
    ///
    /// The [`LossReason`] when the leadership is lost instead.
    pub async fn certain(&self) -> Result<(), LossReason> {
        let result = self.confirm().await;
        if result.is_err() {
            self.end_gauge();
        }
        result
    }

    async fn confirm(&self) -> Result<(), LossReason> {
        let epoch = self.hold.epoch();
        let session = self.hold.session();
        let mut status = session.watch_status();
        loop {
            if let Err(error) = self.hold.ensure_held() {
                return Err(loss_reason(&error));
            }
            let now = match status
                .wait_for(|s| s.has_ended(epoch) || (s.epoch == epoch && s.state.is_connected()))
                .await
            {
                Ok(now) => *now,
                Err(_) => return Err(LossReason::Closed),
            };
            if now.has_ended(epoch) {
                return Err(ended_reason(&now));
            }
            let current = match session.live_epoch().await {
                Ok(current) if current.number() == epoch => current,
                _ => return Err(ended_reason(&session.status())),
            };
            match read::node(&current, self.path()).await {
                Ok(Some((_, stat))) if stat.ephemeral_owner == self.session_id() => return Ok(()),
                Ok(_) => return Err(LossReason::NodeDeleted),
                Err(error) if error.is_hold_lost() => return Err(ended_reason(&session.status())),
                Err(error) => {
                    tracing::debug!(%error, path = self.path(), "confirming leadership; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Runs `job` while this participant leads, and drops it (cancelling it at its current
    /// await point) the moment the leadership becomes uncertain or is lost. `job` is never
    /// polled once the leadership is uncertain.
    ///
    /// A leadership that is merely uncertain is still held: wait for [`certain`](Self::certain)
    /// and run a job again, or [`resign`](Self::resign). For a job that should simply keep
    /// running whenever this process leads, use
    /// [`LeaderElection::run_as_leader`](crate::LeaderElection::run_as_leader).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(election: zk_sync_election::LeaderElection) -> Result<(), zk_sync_election::Error> {
    /// use std::time::Duration;
    ///
    /// let leadership = election.campaign().await?;
    /// let ticks = leadership.run_while_leader(async {
    ///     let mut ticks = 0;
    ///     let mut interval = tokio::time::interval(Duration::from_secs(1));
    ///     while ticks < 10 {
    ///         interval.tick().await;
    ///         ticks += 1;
    ///     }
    ///     ticks
    /// });
    /// match ticks.await {
    ///     Ok(ticks) => println!("ran {ticks} ticks"),
    ///     Err(interrupted) => println!("stopped early: {interrupted}"),
    /// }
    /// leadership.resign().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (dropping it drops `job`); the leadership is not affected.
    ///
    /// # Errors
    ///
    /// [`Interrupted::Uncertain`] or [`Interrupted::Lost`] when `job` was stopped (or never
    /// started) for that reason.
    pub async fn run_while_leader<F: Future>(&self, job: F) -> Result<F::Output, Interrupted> {
        if self.is_uncertain() {
            return Err(self.interruption());
        }
        tokio::select! {
            biased;
            reason = self.lost() => Err(Interrupted::Lost(reason)),
            // The session may have ended just after `lost()` was polled: say so if it did.
            () = self.uncertain() => Err(self.interruption()),
            output = job => Ok(output),
        }
    }

    /// Why a leadership that is uncertain now cannot be acted on.
    fn interruption(&self) -> Interrupted {
        match self.hold.ensure_held() {
            Err(error) => Interrupted::Lost(loss_reason(&error)),
            Ok(()) => Interrupted::Uncertain,
        }
    }

    /// Resigns: deletes our node so that the next participant leads.
    ///
    /// Stop acting as leader *before* calling it. It returns once the delete is queued: it
    /// leaves with the session's next request (inside it, if that is a create) or as soon as
    /// this task yields, and is retried in the background through connection loss. ZooKeeper
    /// executes one session's requests in order, so a later
    /// [`campaign`](crate::LeaderElection::campaign) of this process queues behind it, and the
    /// next participant is woken as soon as the server applies it. Dropping the leadership
    /// does the same, ignoring the error.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(election: zk_sync_election::LeaderElection) -> Result<(), zk_sync_election::Error> {
    /// let leadership = election.campaign().await?;
    /// // … lead …
    /// leadership.resign().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the delete is queued before the first poll returns.
    ///
    /// # Errors
    ///
    /// [`Error::SessionLost`], [`Error::LeaseExpired`] or [`Error::Closed`] when the
    /// leadership had already been lost: another participant may have led meanwhile.
    pub async fn resign(self) -> Result<(), Error> {
        let Leadership { hold, gauge, .. } = self;
        drop(gauge);
        hold.release_queued()
    }

    fn end_gauge(&self) {
        if let Some(gauge) = &self.gauge {
            gauge.end();
        }
    }
}

/// The loss reason behind an error of [`Hold::ensure_held`].
fn loss_reason(error: &Error) -> LossReason {
    match error {
        Error::LeaseExpired => LossReason::LeaseExpired,
        Error::Closed => LossReason::Closed,
        Error::NodeDeleted { .. } => LossReason::NodeDeleted,
        _ => LossReason::SessionLost,
    }
}

/// Why a session that has ended took its leaderships with it.
fn ended_reason(status: &SessionStatus) -> LossReason {
    match status.state {
        SessionState::Closed => LossReason::Closed,
        _ => LossReason::SessionLost,
    }
}
