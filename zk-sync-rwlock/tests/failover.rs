//! Waiters of both kinds survive a server restart and an ensemble leader failover, and acquire
//! in queue order.

mod common;

use common::{session_to, unique_path, wait_for_children, Side};
use std::time::Duration;
use zk_sync_rwlock::DistRwLock;
use zk_sync_testkit::{ZkEnsemble, ZkServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_and_writers_waiting_survive_a_server_restart() {
    let server = ZkServer::start().unwrap();
    queue_survives(&server.connect_string(), || server.restart().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_and_writers_waiting_survive_an_ensemble_leader_failover() {
    let ensemble = ZkEnsemble::start(3).unwrap();
    queue_survives(&ensemble.connect_string(), || {
        ensemble.kill(ensemble.leader().expect("a leader"));
        ensemble.wait_for_leader(Duration::from_secs(20)).unwrap();
    })
    .await;
}

/// A writer holds while r1, r2, w2, r3 queue behind it; `disrupt` hits ZooKeeper; the holder
/// keeps its lock and the queue drains in order.
async fn queue_survives(connect: &str, disrupt: impl FnOnce()) {
    let connect = connect.to_owned();
    let holder_session = session_to(&connect, Duration::from_secs(10)).await;
    let path = unique_path("restart");
    let holder = DistRwLock::new(holder_session.clone(), &path).unwrap();
    let guard = holder.write().await.unwrap();

    let (tx, mut order) = tokio::sync::mpsc::unbounded_channel();
    let queue = [
        ("r1", Side::Read),
        ("r2", Side::Read),
        ("w2", Side::Write),
        ("r3", Side::Read),
    ];
    for (i, (name, side)) in queue.into_iter().enumerate() {
        let session = session_to(&connect, Duration::from_secs(10)).await;
        let lock = DistRwLock::new(session, &path).unwrap();
        let tx = tx.clone();
        tokio::spawn(async move {
            let held = side.lock(&lock).await.unwrap();
            tx.send(name).unwrap();
            held.unlock().await.unwrap();
        });
        wait_for_children(&holder_session, &path, i + 2).await;
    }

    disrupt();
    common::wait_until_connected(&holder_session, Duration::from_secs(10)).await;
    assert!(!guard.is_lost());
    guard.unlock().await.unwrap();

    let mut acquired = Vec::new();
    for _ in 0..queue.len() {
        let name = tokio::time::timeout(Duration::from_secs(15), order.recv())
            .await
            .expect("waiter acquired")
            .unwrap();
        acquired.push(name);
    }
    // The two readers at the head go in together, in either order; then the writer, then r3.
    acquired[..2].sort();
    assert_eq!(acquired, ["r1", "r2", "w2", "r3"]);
}
