//! `LeaderElection` behaviour on a real ZooKeeper: one leader at a time in join order, fast
//! hand-over, cancel safety, observation, Curator's node layout, loss, and input checks.

mod common;

use common::{children, next_leader, participant, session_to, unique_path, wait_for_children};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zk_sync_election::{Interrupted, LeaderElection, Leadership, LossReason};
use zk_sync_testkit::ZkServer;

const TIMEOUT: Duration = Duration::from_secs(4);

fn connect() -> String {
    ZkServer::shared().connect_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_lead_one_at_a_time_in_join_order_and_a_resign_hands_over_within_100ms() {
    let path = unique_path("order");
    let first = participant(&connect(), &path, "p0").await;
    let mut leadership = first.campaign().await.unwrap();
    let (tx, mut elected) = tokio::sync::mpsc::unbounded_channel::<(usize, Leadership, Instant)>();
    for i in 1..4 {
        let election = participant(&connect(), &path, &format!("p{i}")).await;
        let tx = tx.clone();
        tokio::spawn(async move {
            let leadership = election.campaign().await.unwrap();
            tx.send((i, leadership, Instant::now())).unwrap();
        });
        wait_for_children(first.session(), &path, i + 1).await;
    }

    let ids: Vec<_> = first.participants().await.unwrap();
    assert_eq!(
        ids.iter().map(|p| p.id()).collect::<Vec<_>>(),
        ["p0", "p1", "p2", "p3"]
    );
    assert_eq!(
        ids.iter().map(|p| p.is_leader()).collect::<Vec<_>>(),
        [true, false, false, false]
    );
    for expected in 1..4 {
        assert_eq!(
            first.leader().await.unwrap().as_deref(),
            Some(format!("p{}", expected - 1).as_str())
        );
        assert!(elected.try_recv().is_err(), "nobody else leads meanwhile");
        let token = leadership.fencing_token();
        let resigned_at = Instant::now();
        leadership.resign().await.unwrap();
        let (i, next, elected_at) = tokio::time::timeout(TIMEOUT, elected.recv())
            .await
            .expect("next participant elected")
            .unwrap();
        let handover = elected_at - resigned_at;
        assert_eq!(i, expected, "join order");
        assert!(
            handover < Duration::from_millis(100),
            "hand-over took {handover:?}"
        );
        assert!(next.fencing_token() > token, "fencing tokens increase");
        leadership = next;
    }
    leadership.resign().await.unwrap();
    common::eventually(TIMEOUT, "no participant left", || async {
        first.leader().await.unwrap().is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_campaign_withdraws_and_leaves_nothing_behind() {
    let path = unique_path("cancel");
    let leader = participant(&connect(), &path, "leader").await;
    let waiter = participant(&connect(), &path, "waiter").await;
    let leadership = leader.campaign().await.unwrap();
    for _ in 0..5 {
        assert!(
            tokio::time::timeout(Duration::from_millis(50), waiter.campaign())
                .await
                .is_err(),
            "the leader leads"
        );
    }
    common::eventually(Duration::from_secs(2), "withdrawn nodes gone", || async {
        children(leader.session(), &path).await.len() == 1
    })
    .await;
    let ids: Vec<_> = waiter.participants().await.unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].id(), "leader");
    leadership.resign().await.unwrap();
    let next = tokio::time::timeout(TIMEOUT, waiter.campaign())
        .await
        .expect("free after the resign")
        .unwrap();
    assert_eq!(leader.leader().await.unwrap().as_deref(), Some("waiter"));
    drop(next);
    common::eventually(
        Duration::from_secs(2),
        "dropped leadership resigned",
        || async { leader.leader().await.unwrap().is_none() },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_reports_every_change_of_leader_including_no_leader() {
    let path = unique_path("observe");
    let observer = participant(&connect(), &path, "observer").await;
    let mut leader = observer.observe();
    assert_eq!(next_leader(&mut leader).await, None, "nothing there yet");

    let a = participant(&connect(), &path, "a").await;
    let b = participant(&connect(), &path, "b").await;
    let a_leads = a.campaign().await.unwrap();
    assert_eq!(next_leader(&mut leader).await.as_deref(), Some("a"));
    {
        let info = leader.borrow();
        let info = info.as_ref().unwrap();
        assert_eq!(info.path(), a_leads.path());
        assert_eq!(info.fencing_token(), a_leads.fencing_token());
        assert_eq!(info.session_id(), a_leads.session_id());
    }
    let b_campaign = tokio::spawn(async move { b.campaign().await.map(|l| (b, l)) });
    wait_for_children(observer.session(), &path, 2).await;
    let late = observer.observe();
    assert_eq!(
        late.borrow()
            .as_ref()
            .map(|l| l.participant_id().to_owned())
            .as_deref(),
        Some("a"),
        "a late receiver starts at the current leader"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), leader.changed())
            .await
            .is_err(),
        "a participant joining is not a change of leader"
    );

    a_leads.resign().await.unwrap();
    assert_eq!(next_leader(&mut leader).await.as_deref(), Some("b"));
    let (b, b_leads) = b_campaign.await.unwrap().unwrap();
    b_leads.resign().await.unwrap();
    assert_eq!(next_leader(&mut leader).await, None, "no leader");

    // A leader whose session closes leaves no leader behind.
    let c_leads = b.campaign().await.unwrap();
    assert_eq!(next_leader(&mut leader).await.as_deref(), Some("b"));
    b.session().close().await;
    assert_eq!(c_leads.lost().await, LossReason::Closed);
    assert_eq!(next_leader(&mut leader).await, None);

    // Closing the observer's session closes the channel.
    observer.session().close().await;
    tokio::time::timeout(TIMEOUT, leader.changed())
        .await
        .expect("channel closes")
        .unwrap_err();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_are_curator_latch_nodes_carrying_the_participant_id() {
    let path = unique_path("names");
    let election = participant(&connect(), &path, "node-ü1").await;
    let leadership = election.campaign().await.unwrap();
    assert_eq!(leadership.participant_id(), "node-ü1");
    let name = leadership.path().rsplit('/').next().unwrap().to_owned();
    let (prefix, sequence) = name.split_at(name.len() - 10);
    assert!(
        prefix.starts_with("_c_") && prefix.ends_with("-latch-"),
        "{name}"
    );
    assert!(uuid::Uuid::parse_str(&prefix[3..39]).is_ok(), "{name}");
    assert!(sequence.chars().all(|c| c.is_ascii_digit()), "{name}");
    assert_eq!(children(election.session(), &path).await, vec![name]);

    let epoch = election.session().live_epoch().await.unwrap();
    let (data, stat) = epoch.backend().get_data(leadership.path()).await.unwrap();
    assert_eq!(
        data,
        "node-ü1".as_bytes(),
        "data is the UTF-8 participant id"
    );
    assert_eq!(stat.ephemeral_owner, election.session().status().session_id);
    assert_eq!(leadership.session_id(), stat.ephemeral_owner);
    assert_eq!(leadership.fencing_token().as_i64(), stat.czxid);
    leadership.resign().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_deleted_by_someone_else_is_a_certain_loss_and_the_next_leads() {
    let path = unique_path("deleted");
    let leader = participant(&connect(), &path, "leader").await;
    let next = participant(&connect(), &path, "next").await;
    let leadership = leader.campaign().await.unwrap();
    let waiting = tokio::spawn(async move { next.campaign().await.map(|l| (next, l)) });
    wait_for_children(leader.session(), &path, 2).await;

    let admin = session_to(&connect(), TIMEOUT).await;
    let delete = {
        let path = leadership.path().to_owned();
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let epoch = admin.live_epoch().await.unwrap();
            epoch.backend().delete(&path, None).await.unwrap();
        }
    };
    let (stopped, ()) = tokio::join!(
        leadership.run_while_leader(std::future::pending::<()>()),
        delete
    );
    assert_eq!(stopped, Err(Interrupted::Lost(LossReason::NodeDeleted)));
    assert_eq!(leadership.lost().await, LossReason::NodeDeleted);
    let (next, next_leads) = tokio::time::timeout(TIMEOUT, waiting)
        .await
        .expect("the next participant leads")
        .unwrap()
        .unwrap();
    assert_eq!(next.leader().await.unwrap().as_deref(), Some("next"));
    assert!(next_leads.fencing_token() > leadership.fencing_token());
    next_leads.resign().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_session_ends_the_leadership_and_further_campaigns() {
    let path = unique_path("closed");
    let election = participant(&connect(), &path, "leader").await;
    let leadership = election.campaign().await.unwrap();
    let closing = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        election.session().close().await;
    };
    let (stopped, ()) = tokio::join!(
        leadership.run_while_leader(std::future::pending::<()>()),
        closing
    );
    assert_eq!(stopped, Err(Interrupted::Lost(LossReason::Closed)));
    assert!(leadership.is_lost() && leadership.is_uncertain());
    assert_eq!(leadership.certain().await, Err(LossReason::Closed));
    assert_eq!(
        leadership.run_while_leader(async {}).await,
        Err(Interrupted::Lost(LossReason::Closed)),
        "a lost leadership runs nothing"
    );
    assert!(leadership.resign().await.unwrap_err().is_closed());
    assert!(election.campaign().await.unwrap_err().is_closed());
    assert!(election.leader().await.unwrap_err().is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_as_leader_runs_one_job_at_a_time_and_returns_its_output() {
    let path = unique_path("run");
    let inside = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..3 {
        let (path, inside) = (path.clone(), inside.clone());
        tasks.push(tokio::spawn(async move {
            let election = participant(&connect(), &path, &format!("p{i}")).await;
            let runs = AtomicUsize::new(0);
            let output = election
                .run_as_leader(|token| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    let inside = inside.clone();
                    async move {
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two leaders");
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                        token
                    }
                })
                .await
                .unwrap();
            assert_eq!(runs.load(Ordering::SeqCst), 1, "ran once, undisturbed");
            output
        }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap());
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 3, "each run had its own leadership");
    let session = session_to(&connect(), TIMEOUT).await;
    common::eventually(Duration::from_secs(2), "everyone resigned", || async {
        children(&session, &path).await.is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_typed_errors() {
    let session = session_to(&connect(), TIMEOUT).await;
    for path in [
        "",
        "/",
        "relative",
        "/trailing/",
        "/a//b",
        "/nul\0",
        "/a/./b",
    ] {
        let error = LeaderElection::new(session.clone(), path, "id").unwrap_err();
        assert!(error.is_invalid_argument(), "{path:?}: {error}");
    }
    let error = LeaderElection::new(session, "/election/ok", "").unwrap_err();
    assert!(error.is_invalid_argument(), "empty id: {error}");
}

fn send<T: Send>(_: &T) {}
fn sync<T: Sync>(_: &T) {}

/// Compile-time checks: every future a user awaits, and every value they keep, is `Send`.
#[allow(dead_code)]
fn futures_and_values_are_send(election: LeaderElection, leadership: Leadership) {
    send(&election.campaign());
    send(&election.leader());
    send(&election.participants());
    send(&election.run_as_leader(|_| async {}));
    send(&election.observe());
    sync(&election);
    sync(&leadership);
    send(&leadership.uncertain());
    send(&leadership.lost());
    send(&leadership.certain());
    send(&leadership.run_while_leader(async {}));
    send(&leadership.resign());
}
