//! Waiters survive a server restart and an ensemble leader failover, and acquire in order.

mod common;

use common::{session_to, unique_path, wait_for_children};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::{ZkEnsemble, ZkServer};

/// Queues `n` waiters behind `guard`'s holder, each in its own session; returns their order.
async fn queue_waiters(
    connect: &str,
    path: &str,
    n: usize,
    observer: &zk_sync_core::Session,
) -> tokio::sync::mpsc::UnboundedReceiver<usize> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..n {
        let session = session_to(connect, Duration::from_secs(10)).await;
        let mutex = Arc::new(DistMutex::new(session, path).unwrap());
        let tx = tx.clone();
        tokio::spawn(async move {
            let guard = mutex.lock().await.unwrap();
            tx.send(i).unwrap();
            guard.unlock().await.unwrap();
        });
        wait_for_children(observer, path, i + 2).await;
    }
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_survive_a_server_restart() {
    let server = ZkServer::start().unwrap();
    let holder_session = session_to(&server.connect_string(), Duration::from_secs(10)).await;
    let path = unique_path("restart");
    let holder = DistMutex::new(holder_session.clone(), &path).unwrap();
    let guard = holder.lock().await.unwrap();
    let order = queue_waiters(&server.connect_string(), &path, 3, &holder_session).await;

    server.restart().unwrap();
    common::wait_until_connected(&holder_session, Duration::from_secs(10)).await;
    assert!(!guard.is_lost());
    guard.unlock().await.unwrap();
    common::assert_fifo(order, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_survive_an_ensemble_leader_failover() {
    let ensemble = ZkEnsemble::start(3).unwrap();
    let holder_session = session_to(&ensemble.connect_string(), Duration::from_secs(10)).await;
    let path = unique_path("failover");
    let holder = DistMutex::new(holder_session.clone(), &path).unwrap();
    let guard = holder.lock().await.unwrap();
    let order = queue_waiters(&ensemble.connect_string(), &path, 3, &holder_session).await;

    let leader = ensemble.leader().expect("leader");
    ensemble.kill(leader);
    ensemble.wait_for_leader(Duration::from_secs(20)).unwrap();
    common::wait_until_connected(&holder_session, Duration::from_secs(10)).await;
    assert!(!guard.is_lost());
    guard.unlock().await.unwrap();
    common::assert_fifo(order, 3).await;
}
