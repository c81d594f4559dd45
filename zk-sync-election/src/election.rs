//! [`LeaderElection`].

use crate::error::Interrupted;
use crate::gauge::LeaderGauge;
use crate::info::{LeaderInfo, Participant};
use crate::leadership::Leadership;
use crate::observe::Observer;
use crate::read::{self, RECIPE};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::watch;
use zk_sync_core::{ContenderQueue, Error, FencingToken, InvalidArgument, Session};

/// A leader election on a ZooKeeper path, compatible with Apache Curator's `LeaderLatch`.
///
/// Participants (in this process or any other, Rust or Java) [`campaign`](Self::campaign) and
/// lead one at a time, in the order they joined. Anyone can ask who leads
/// ([`leader`](Self::leader), [`participants`](Self::participants)) or follow it
/// ([`observe`](Self::observe)) without taking part.
///
/// Clones share one observer task. Like a mutex, an election is **not reentrant**: each call to
/// `campaign` is a separate participant, queued behind any earlier one of this process.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_sync_election::Error> {
/// use std::time::Duration;
/// use zk_sync_election::{LeaderElection, Session};
///
/// let session = Session::connect("127.0.0.1:2181").await?;
/// let election = LeaderElection::new(session, "/election/scheduler", "node-1")?;
///
/// // Runs the job whenever this process leads; pauses it while leadership is uncertain.
/// election
///     .run_as_leader(|token| async move {
///         let mut interval = tokio::time::interval(Duration::from_secs(10));
///         loop {
///             interval.tick().await;
///             println!("running the periodic job as leader {token}");
///         }
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LeaderElection {
    queue: ContenderQueue,
    participant_id: Arc<str>,
    dir: Arc<str>,
    metrics_label: Option<Arc<str>>,
    observer: Arc<Observer>,
}

impl LeaderElection {
    /// An election on `path` (a directory for the participants' nodes, created on first use),
    /// in which this process takes part as `participant_id`.
    ///
    /// The participant id is what [`leader`](Self::leader) and Curator's `getLeader()` report
    /// while this participant leads; it need not be unique, but a unique one (host name, pod
    /// name) makes it useful.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), zk_sync_election::Error> {
    /// use zk_sync_election::{LeaderElection, Session};
    ///
    /// let session = Session::connect("127.0.0.1:2181").await?;
    /// let election = LeaderElection::new(session, "/election/scheduler", "node-1")?;
    /// assert_eq!(election.participant_id(), "node-1");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a path that is not absolute and clean (relative, trailing
    /// `/`, empty segment, NUL, …) or an empty participant id.
    pub fn new(
        session: Session,
        path: &str,
        participant_id: &str,
    ) -> Result<LeaderElection, Error> {
        if participant_id.is_empty() {
            return Err(InvalidArgument::Other("participant id is empty".into()).into());
        }
        Ok(LeaderElection {
            queue: ContenderQueue::new(session, path, "election")?,
            participant_id: participant_id.into(),
            dir: path.into(),
            metrics_label: None,
            observer: Arc::default(),
        })
    }

    /// Records the `zk_sync_leader{election="<label>"}` gauge (1 while this process leads, else
    /// 0). Off by default: the label names the election in your metrics, so choose a short,
    /// fixed one (not the path).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(session: zk_sync_election::Session) -> Result<(), zk_sync_election::Error> {
    /// use zk_sync_election::LeaderElection;
    ///
    /// let election = LeaderElection::new(session, "/election/scheduler", "node-1")?
    ///     .with_metrics_label("scheduler");
    /// # drop(election); Ok(()) }
    /// ```
    pub fn with_metrics_label(mut self, label: &str) -> LeaderElection {
        self.metrics_label = Some(label.into());
        self
    }

    /// The election's path.
    pub fn path(&self) -> &str {
        &self.dir
    }

    /// This process's participant id.
    pub fn participant_id(&self) -> &str {
        &self.participant_id
    }

    /// The session the election uses.
    pub fn session(&self) -> &Session {
        self.queue.session()
    }

    /// Joins the election and waits until this participant leads.
    ///
    /// Joining costs one pipelined round trip; a participant that must wait watches only the
    /// participant just ahead of it. A waiting participant survives disconnections, server
    /// restarts and the loss of its session (it joins again in the new session).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(election: zk_sync_election::LeaderElection) -> Result<(), zk_sync_election::Error> {
    /// let leadership = election.campaign().await?;
    /// println!("{} leads", leadership.participant_id());
    /// leadership.resign().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future withdraws from the election (its node is removed in
    /// the background, even one whose create reply has not arrived yet), so
    /// `tokio::time::timeout(d, election.campaign())` bounds the wait.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the session is closed; server errors such as missing permission
    /// (`is_no_auth()`).
    pub async fn campaign(&self) -> Result<Leadership, Error> {
        loop {
            let hold = self
                .queue
                .acquire(&RECIPE, 0, self.participant_id.as_bytes())
                .await?;
            // The queue only ever adopts nodes of the current session; check it anyway, since
            // leading on a node another session owns (one that may expire any moment) is split
            // brain. Curator 5.4 relies on its protected-name recovery for the same guarantee.
            if hold.stat().ephemeral_owner == hold.session_id() {
                let gauge = self
                    .metrics_label
                    .clone()
                    .map(|label| LeaderGauge::start(label, self.session(), hold.epoch()));
                return Ok(Leadership::new(hold, self.participant_id.clone(), gauge));
            }
            tracing::warn!(
                path = hold.path(),
                owner = hold.stat().ephemeral_owner,
                "latch node is not owned by our session; joining again"
            );
        }
    }

    /// Campaigns and runs `job` whenever this process leads, until a run of the job finishes;
    /// then resigns and returns its output.
    ///
    /// Each run gets the leadership's [`FencingToken`]. A run is dropped (cancelled at its
    /// current await point) the moment the leadership becomes uncertain, before any other
    /// participant can be elected. If the connection comes back within the session, the
    /// leadership is confirmed and `job` runs again with the same token; if the leadership is
    /// lost, this campaigns again and the next run gets a new, greater token. A job that never
    /// finishes keeps this running as long as the session is open.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(election: zk_sync_election::LeaderElection) -> Result<(), zk_sync_election::Error> {
    /// use std::time::Duration;
    ///
    /// election
    ///     .run_as_leader(|token| async move {
    ///         let mut interval = tokio::time::interval(Duration::from_secs(60));
    ///         loop {
    ///             interval.tick().await;
    ///             println!("sweeping expired orders (leader token {token})");
    ///         }
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it drops the running job and resigns (or withdraws) in the
    /// background.
    ///
    /// # Errors
    ///
    /// As [`campaign`](Self::campaign): [`Error::Closed`] once the session is closed.
    pub async fn run_as_leader<F, Fut>(&self, mut job: F) -> Result<Fut::Output, Error>
    where
        F: FnMut(FencingToken) -> Fut,
        Fut: Future,
    {
        loop {
            let leadership = self.campaign().await?;
            let token = leadership.fencing_token();
            tracing::info!(participant = %self.participant_id, %token, "leading");
            loop {
                match leadership.run_while_leader(job(token)).await {
                    Ok(output) => {
                        if let Err(error) = leadership.resign().await {
                            tracing::warn!(%error, "resigning after the job finished");
                        }
                        return Ok(output);
                    }
                    Err(Interrupted::Uncertain) => {
                        tracing::warn!(participant = %self.participant_id, "leadership uncertain; job stopped");
                        match leadership.certain().await {
                            Ok(()) => tracing::info!(%token, "leadership confirmed; job resumes"),
                            Err(reason) => {
                                tracing::warn!(%reason, "leadership lost");
                                break;
                            }
                        }
                    }
                    Err(interrupted) => {
                        tracing::warn!(%interrupted, "job stopped");
                        break;
                    }
                }
            }
        }
    }

    /// The participant id of the current leader, `None` when nobody takes part.
    ///
    /// Like Curator's `getLeader()`, the leader is the first participant whose node can be
    /// read. Costs two round trips.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(election: zk_sync_election::LeaderElection) -> Result<(), zk_sync_election::Error> {
    /// match election.leader().await? {
    ///     Some(id) => println!("{id} leads"),
    ///     None => println!("no leader"),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (it only reads).
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] once the session is closed; the session's loss or a server error.
    pub async fn leader(&self) -> Result<Option<String>, Error> {
        let epoch = self.session().live_epoch().await?;
        let leader = read::leader(&epoch, &self.dir).await?;
        Ok(leader.map(|info| info.participant_id().to_owned()))
    }

    /// Every participant, in election order: the first is the leader, the next leads after it.
    ///
    /// Costs two round trips (the ids are read in one pipelined batch).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(election: zk_sync_election::LeaderElection) -> Result<(), zk_sync_election::Error> {
    /// let ids: Vec<String> = election
    ///     .participants()
    ///     .await?
    ///     .into_iter()
    ///     .map(|p| p.id().to_owned())
    ///     .collect();
    /// println!("in line: {ids:?}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (it only reads).
    ///
    /// # Errors
    ///
    /// As [`leader`](Self::leader).
    pub async fn participants(&self) -> Result<Vec<Participant>, Error> {
        let epoch = self.session().live_epoch().await?;
        read::participants(&epoch, &self.dir).await
    }

    /// Follows who leads: a [`watch`] receiver of the current leader, `None` meaning nobody
    /// takes part.
    ///
    /// Every change of leader is published, including to "no leader"; like any watch channel,
    /// a receiver that falls behind sees only the latest value. A new receiver starts at the
    /// value known so far — `None` until the first reading, which is always announced through
    /// [`changed`](watch::Receiver::changed) even when it is `None`. So a loop of `changed()`
    /// and `borrow_and_update()` sees the leader as soon as it is known, and every change after.
    ///
    /// All receivers of an election (and its clones) share one background task and one
    /// server-side watch: on the leader's node while there is one (so a participant joining
    /// costs nothing), else on the directory. The task stops when the last receiver is dropped.
    /// Once the session is closed the channel closes (`changed()` fails), keeping the last
    /// value. It keeps the session open while a receiver is left.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(election: zk_sync_election::LeaderElection) {
    /// let mut leader = election.observe();
    /// while leader.changed().await.is_ok() {
    ///     match leader.borrow_and_update().as_ref() {
    ///         Some(info) => println!("{} leads", info.participant_id()),
    ///         None => println!("no leader"),
    ///     }
    /// }
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When called outside a Tokio runtime, as [`tokio::spawn`].
    pub fn observe(&self) -> watch::Receiver<Option<LeaderInfo>> {
        self.observer.subscribe(self.session(), &self.dir)
    }
}
