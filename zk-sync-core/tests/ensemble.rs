//! A session on a 3-server ensemble survives losing its server and the ensemble leader.

mod common;

use common::{children, eventually, unique_path, wait_for_state};
use std::time::Duration;
use zk_sync_core::contender::Exclusive;
use zk_sync_core::{ContenderQueue, SessionState};
use zk_sync_testkit::ZkEnsemble;

/// The index of the server our session is connected to, from each server's `cons` output.
fn server_of(ensemble: &ZkEnsemble, session_id: i64) -> Option<usize> {
    let needle = format!("sid={session_id:#x}");
    (0..ensemble.len()).find(|&i| {
        ensemble
            .four_letter(i, "cons")
            .is_ok_and(|cons| cons.contains(&needle))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_and_holds_survive_killing_its_server_and_the_leader() {
    let ensemble = ZkEnsemble::start(3).expect("ensemble");
    let session = zk_sync_core::test_util::builder(&ensemble.connect_string())
        .session_timeout(Duration::from_secs(8))
        .connect()
        .await
        .unwrap();
    let dir = unique_path("ensemble");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let session_id = hold.session_id();
    let waiter = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.acquire(&Exclusive::LOCK, 0, b"").await })
    };
    eventually(Duration::from_secs(5), "waiter queued", || {
        let (s, d) = (session.clone(), dir.clone());
        async move { children(&s, &d).await.len() == 2 }
    })
    .await;

    // 1. Kill the server the client is on.
    let mine = server_of(&ensemble, session_id).expect("session visible in cons");
    let mut status = session.watch_status();
    ensemble.kill(mine);
    // The client may be back on another server before this task looks: a status receiver
    // keeps only the latest state, and Reconnected says a suspension came first.
    tokio::time::timeout(
        Duration::from_secs(5),
        status.wait_for(|s| matches!(s.state, SessionState::Suspended | SessionState::Reconnected)),
    )
    .await
    .expect("suspended")
    .unwrap();
    wait_for_state(&session, SessionState::Reconnected, Duration::from_secs(8)).await;
    assert_eq!(session.status().session_id, session_id);
    assert_eq!(session.status().epoch, 1);
    assert!(!hold.is_lost());
    ensemble.restart(mine).unwrap();
    ensemble.wait_for_leader(Duration::from_secs(20)).unwrap();

    // 2. Kill the ensemble leader.
    let leader = ensemble.leader().expect("a leader");
    ensemble.kill(leader);
    ensemble.wait_for_leader(Duration::from_secs(20)).unwrap();
    common::wait_until_connected(&session, Duration::from_secs(10)).await;
    assert_eq!(
        session.status().session_id,
        session_id,
        "same ZooKeeper session after failover"
    );
    assert_eq!(session.status().epoch, 1);
    assert!(!hold.is_lost());

    // The queue still hands over in order.
    hold.release().await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(next.epoch(), 1);
    next.release().await.unwrap();
}
