//! A leader process killed while leading: the next participant leads once the leader's session
//! expires, within the session timeout plus a second.
//!
//! The leader is this test binary run again as a child (`ZK_SYNC_LEADER_CHILD` set), so it is a
//! real, separate process with its own session.

mod common;

use common::{next_leader, participant, session_to};
use std::time::{Duration, Instant};
use zk_sync_election::LeaderElection;
use zk_sync_testkit::{TestChild, ZkServer};

const CHILD_ENV: &str = "ZK_SYNC_LEADER_CHILD";
const SESSION_TIMEOUT: Duration = Duration::from_secs(2);

/// Entry point of the child process: campaigns, says it leads, and leads until killed.
/// Run as a plain test (without the variable) it has nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_child_entry_point() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (connect, path) = spec.split_once('|').expect("connect|path");
    let session = session_to(connect, SESSION_TIMEOUT).await;
    let election = LeaderElection::new(session, path, "doomed").unwrap();
    let leadership = election.campaign().await.unwrap();
    println!("LEADING {}", leadership.fencing_token());
    // Lead until killed, or until the parent goes away (our stdin closes).
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
    std::process::exit(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_participant_leads_within_the_session_timeout_after_the_leader_is_killed() {
    let server = ZkServer::shared();
    let path = common::unique_path("killed");
    let mut child = TestChild::spawn(
        "leader_child_entry_point",
        CHILD_ENV,
        &format!("{}|{path}", server.connect_string()),
    )
    .unwrap();
    let child_token: i64 = child
        .wait_for_marker("LEADING ", Duration::from_secs(30))
        .expect("child leads")
        .parse()
        .unwrap();

    let next = participant(&server.connect_string(), &path, "next").await;
    assert_eq!(next.leader().await.unwrap().as_deref(), Some("doomed"));
    let mut leader = next.observe();
    assert_eq!(next_leader(&mut leader).await.as_deref(), Some("doomed"));
    let waiting = {
        let next = next.clone();
        tokio::spawn(async move {
            let leadership = next.campaign().await.unwrap();
            (Instant::now(), leadership)
        })
    };
    common::wait_for_children(next.session(), &path, 2).await;
    let killed_at = Instant::now();
    child.kill();
    let (elected_at, leadership) =
        tokio::time::timeout(SESSION_TIMEOUT + Duration::from_secs(5), waiting)
            .await
            .expect("elected after the leader died")
            .unwrap();
    let took = elected_at - killed_at;
    assert!(
        took <= SESSION_TIMEOUT + Duration::from_secs(1),
        "took {took:?}"
    );
    assert!(leadership.fencing_token().as_i64() > child_token);
    assert_eq!(next_leader(&mut leader).await.as_deref(), Some("next"));
    leadership.resign().await.unwrap();
}
