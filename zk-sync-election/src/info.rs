//! What participants and observers learn about an election: [`LeaderInfo`], [`Participant`].

use zk_sync_core::backend::Stat;
use zk_sync_core::FencingToken;

/// The current leader of an election, as published by
/// [`LeaderElection::observe`](crate::LeaderElection::observe).
///
/// Two values are equal exactly when they describe the same leadership (the same node).
///
/// # Examples
///
/// ```no_run
/// # async fn demo(election: zk_sync_election::LeaderElection) {
/// if let Some(leader) = election.observe().borrow().as_ref() {
///     println!("{} leads (token {})", leader.participant_id(), leader.fencing_token());
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaderInfo {
    participant_id: String,
    path: String,
    fencing_token: FencingToken,
    session_id: i64,
}

impl LeaderInfo {
    pub(crate) fn new(path: String, data: &[u8], stat: &Stat) -> LeaderInfo {
        LeaderInfo {
            participant_id: participant_id(data),
            path,
            fencing_token: FencingToken::from_czxid(stat.czxid),
            session_id: stat.ephemeral_owner,
        }
    }

    /// The leader's participant id (its node's data).
    pub fn participant_id(&self) -> &str {
        &self.participant_id
    }

    /// The path of the leader's node (`<election path>/_c_<uuid>-latch-<sequence>`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The fencing token of this leadership: greater than that of every earlier leadership of
    /// the election.
    pub fn fencing_token(&self) -> FencingToken {
        self.fencing_token
    }

    /// The ZooKeeper session that owns the leader's node.
    pub fn session_id(&self) -> i64 {
        self.session_id
    }
}

/// One participant of an election, from
/// [`LeaderElection::participants`](crate::LeaderElection::participants).
///
/// # Examples
///
/// ```no_run
/// # async fn demo(election: zk_sync_election::LeaderElection) -> Result<(), zk_sync_election::Error> {
/// for participant in election.participants().await? {
///     let role = if participant.is_leader() { "leader" } else { "waiting" };
///     println!("{} ({role})", participant.id());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Participant {
    id: String,
    path: String,
    is_leader: bool,
}

impl Participant {
    pub(crate) fn new(path: String, data: &[u8], is_leader: bool) -> Participant {
        Participant {
            id: participant_id(data),
            path,
            is_leader,
        }
    }

    /// The participant id (its node's data).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The path of the participant's node.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether this participant leads.
    pub fn is_leader(&self) -> bool {
        self.is_leader
    }
}

/// Curator writes the id as UTF-8; anything else is shown lossily rather than rejected.
fn participant_id(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
