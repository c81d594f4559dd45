//! No split brain under network faults (real ZooKeeper, TCP fault proxy): a leader stops its
//! work as soon as its connection fails — before its session can expire, so before anyone else
//! can be elected — resumes after a reconnect within the session, and campaigns again after a
//! loss.

mod common;

use common::{next_leader, participant, unique_path, wait_for_children, wait_for_state};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use zk_sync_core::SessionState;
use zk_sync_election::{FencingToken, LeaderElection, Leadership};
use zk_sync_testkit::{FaultProxy, ZkServer};

/// What the leader's job and the rival report, with when it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    JobStarted(FencingToken),
    JobStopped,
    RivalElected(FencingToken),
}

type Events = mpsc::UnboundedSender<(Event, Instant)>;

/// Reports `JobStopped` when the job's future is dropped (that is how a job is stopped).
struct StopSignal(Events);

impl Drop for StopSignal {
    fn drop(&mut self) {
        let _ = self.0.send((Event::JobStopped, Instant::now()));
    }
}

/// Runs a never-ending job whenever `election` leads, reporting its starts and stops.
fn schedule(election: LeaderElection, events: Events) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = election
            .run_as_leader(|token| {
                let events = events.clone();
                async move {
                    let _stop = StopSignal(events.clone());
                    let _ = events.send((Event::JobStarted(token), Instant::now()));
                    std::future::pending::<()>().await
                }
            })
            .await;
    })
}

/// Campaigns for `election` in the background, reporting the election.
fn campaign(election: LeaderElection, events: Events) -> tokio::task::JoinHandle<Leadership> {
    tokio::spawn(async move {
        let leadership = election.campaign().await.unwrap();
        let _ = events.send((
            Event::RivalElected(leadership.fencing_token()),
            Instant::now(),
        ));
        leadership
    })
}

/// Follows the events until the rival is elected, checking that the leader's job is not running
/// then. Returns the rival's token and when the job last stopped.
///
/// The job may stop and restart more than once before: a session being expired can still
/// reconnect briefly, and its leadership is then confirmed again.
async fn until_rival_elected(
    events: &mut mpsc::UnboundedReceiver<(Event, Instant)>,
) -> (FencingToken, Instant) {
    let mut running = true;
    let mut last_stop = None;
    loop {
        match next_event(events).await {
            (Event::JobStarted(_), _) => running = true,
            (Event::JobStopped, at) => {
                running = false;
                last_stop = Some(at);
            }
            (Event::RivalElected(token), elected_at) => {
                assert!(!running, "the rival was elected while the job ran");
                let stopped_at = last_stop.expect("the job stopped");
                assert!(stopped_at < elected_at);
                return (token, stopped_at);
            }
        }
    }
}

async fn next_event(events: &mut mpsc::UnboundedReceiver<(Event, Instant)>) -> (Event, Instant) {
    tokio::time::timeout(Duration::from_secs(15), events.recv())
        .await
        .expect("an event")
        .expect("events channel open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_leader_stops_within_the_connection_timeout_before_anyone_else_is_elected() {
    const SESSION_TIMEOUT: Duration = Duration::from_secs(3);
    const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let session = zk_sync_core::test_util::builder(&proxy.connect_string())
        .session_timeout(SESSION_TIMEOUT)
        .connection_timeout(CONNECTION_TIMEOUT)
        .connect()
        .await
        .unwrap();
    let path = unique_path("partition");
    let leader = LeaderElection::new(session.clone(), &path, "partitioned").unwrap();
    let rival = participant(&server.connect_string(), &path, "rival").await;
    let (tx, mut events) = mpsc::unbounded_channel();

    let job = schedule(leader, tx.clone());
    let Event::JobStarted(first_token) = next_event(&mut events).await.0 else {
        panic!("the job starts first");
    };
    let rival_session = rival.session().clone();
    let rival = campaign(rival, tx.clone());
    wait_for_children(&rival_session, &path, 2).await;

    // A partition: the connection stays open but nothing gets through.
    let partitioned_at = Instant::now();
    proxy.blackhole();
    let (event, stopped_at) = next_event(&mut events).await;
    assert_eq!(event, Event::JobStopped, "the leader stops first");
    let (event, elected_at) = next_event(&mut events).await;
    let Event::RivalElected(rival_token) = event else {
        panic!("expected the rival's election, got {event:?}");
    };
    let stopped_after = stopped_at - partitioned_at;
    // The client checks for silence on a tick of an eighth of the connection timeout.
    assert!(
        stopped_after <= CONNECTION_TIMEOUT + CONNECTION_TIMEOUT / 4,
        "stopped {stopped_after:?} after the partition"
    );
    assert!(
        stopped_after < SESSION_TIMEOUT,
        "stopped before the session could expire"
    );
    assert!(
        stopped_at < elected_at,
        "the old leader stopped {:?} before the new one was elected",
        elected_at - stopped_at
    );
    assert!(rival_token > first_token);

    // Healed: the old leader campaigns again in a new session and leads after the rival resigned.
    proxy.restore();
    wait_for_state(&session, SessionState::Connected, Duration::from_secs(10)).await;
    rival.await.unwrap().resign().await.unwrap();
    let (event, _) = next_event(&mut events).await;
    let Event::JobStarted(token) = event else {
        panic!("expected the old leader to lead again, got {event:?}");
    };
    assert!(token > rival_token, "a new leadership");
    assert_eq!(session.status().epoch, 2, "in a new session");
    job.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_leader_pauses_its_job_resumes_on_reconnect_and_campaigns_again_after_expiry() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let path = unique_path("cut");
    let leader = participant(&proxy.connect_string(), &path, "leader").await;
    let session = leader.session().clone();
    let rival = participant(&server.connect_string(), &path, "rival").await;
    let observer = participant(&server.connect_string(), &path, "observer").await;
    let (tx, mut events) = mpsc::unbounded_channel();

    let _job = schedule(leader, tx.clone());
    let Event::JobStarted(token) = next_event(&mut events).await.0 else {
        panic!("the job starts first");
    };
    let mut leader_changes = observer.observe();
    assert_eq!(
        next_leader(&mut leader_changes).await.as_deref(),
        Some("leader")
    );
    let rival_session = rival.session().clone();
    let rival_campaign = campaign(rival, tx.clone());
    wait_for_children(&rival_session, &path, 2).await;

    // Connection cut: the job stops at once; nobody else is elected.
    proxy.cut();
    assert_eq!(next_event(&mut events).await.0, Event::JobStopped);
    wait_for_state(&session, SessionState::Suspended, Duration::from_secs(1)).await;
    proxy.restore();
    wait_for_state(&session, SessionState::Reconnected, Duration::from_secs(10)).await;
    assert_eq!(
        next_event(&mut events).await.0,
        Event::JobStarted(token),
        "still the same leadership: the job resumes"
    );
    assert!(!rival_campaign.is_finished(), "the rival was never elected");
    assert!(
        !leader_changes.has_changed().unwrap(),
        "no change of leader"
    );
    assert_eq!(observer.leader().await.unwrap().as_deref(), Some("leader"));

    // The session expires: the job stops, the rival leads, and the old leader queues again.
    proxy.expire_newest_session().await.unwrap();
    let (rival_token, _) = until_rival_elected(&mut events).await;
    assert!(rival_token > token);
    assert_eq!(
        next_leader(&mut leader_changes).await.as_deref(),
        Some("rival")
    );
    wait_for_state(&session, SessionState::Connected, Duration::from_secs(10)).await;
    wait_for_children(&rival_session, &path, 2).await;
    rival_campaign.await.unwrap().resign().await.unwrap();
    let (event, _) = next_event(&mut events).await;
    let Event::JobStarted(again) = event else {
        panic!("expected the old leader to lead again, got {event:?}");
    };
    assert!(
        again > rival_token,
        "a new leadership, queued behind the rival"
    );
    assert_eq!(session.status().epoch, 2, "in a new session");
    assert_eq!(
        next_leader(&mut leader_changes).await.as_deref(),
        Some("leader")
    );
}
