//! A ZooKeeper ensemble losing its leader does not change the election's leader: sessions
//! survive the failover, the leader's job pauses while it is disconnected and resumes with the
//! same leadership, and no other participant is elected.

mod common;

use common::{next_leader, participant, wait_for_children};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_testkit::ZkEnsemble;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_zookeeper_leader_does_not_change_the_election_leader() {
    let ensemble = ZkEnsemble::start(3).unwrap();
    let connect = ensemble.connect_string();
    let path = common::unique_path("failover");
    let leader = participant(&connect, &path, "leader").await;
    let follower = participant(&connect, &path, "follower").await;

    let leadership = leader.campaign().await.unwrap();
    let token = leadership.fencing_token();
    let waiting = {
        let follower = follower.clone();
        tokio::spawn(async move { follower.campaign().await.unwrap() })
    };
    wait_for_children(leader.session(), &path, 2).await;
    let mut observed = follower.observe();
    assert_eq!(next_leader(&mut observed).await.as_deref(), Some("leader"));

    // The leader's job runs, and is stopped while the connection is down.
    let runs = Arc::new(AtomicUsize::new(0));
    let zk_leader = ensemble.leader().expect("a ZooKeeper leader");
    let job = {
        let runs = runs.clone();
        leadership.run_while_leader(async move {
            runs.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<()>().await
        })
    };
    let kill = async {
        while runs.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        ensemble.kill(zk_leader);
    };
    let (stopped, ()) = tokio::join!(job, kill);
    assert!(
        stopped.is_err_and(|why| !why.is_lost()),
        "stopped while uncertain: {stopped:?}"
    );
    ensemble.wait_for_leader(Duration::from_secs(20)).unwrap();
    tokio::time::timeout(Duration::from_secs(15), leadership.certain())
        .await
        .expect("leadership confirmed after the failover")
        .expect("still the leader");
    assert_eq!(leadership.fencing_token(), token);
    assert!(!waiting.is_finished(), "nobody else was elected");
    assert_eq!(follower.leader().await.unwrap().as_deref(), Some("leader"));
    assert!(!observed.has_changed().unwrap(), "observers saw no change");

    // The election still works: resigning hands over.
    leadership.resign().await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the follower leads")
        .unwrap();
    assert!(next.fencing_token() > token);
    assert_eq!(
        next_leader(&mut observed).await.as_deref(),
        Some("follower")
    );
    next.resign().await.unwrap();
}
