//! No herd: with 100 waiters, each release wakes exactly one of them (counted as server watch
//! events delivered, through the `metrics` facade).

mod common;

use common::{session_to, unique_path, wait_for_children};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::ZkServer;

fn watch_events(snapshotter: &Snapshotter) -> u64 {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .find(|(key, ..)| key.key().name() == "zk_sync_watch_events_total")
        .map(|(.., value)| match value {
            DebugValue::Counter(n) => n,
            other => panic!("{other:?}"),
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_release_wakes_exactly_one_of_a_hundred_waiters() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    const WAITERS: usize = 100;
    let server = ZkServer::shared();
    let session = session_to(&server.connect_string(), Duration::from_secs(10)).await;
    let path = unique_path("herd");
    let mutex = Arc::new(DistMutex::new(session.clone(), &path).unwrap());
    let guard = mutex.lock().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..WAITERS {
        let (mutex, tx) = (mutex.clone(), tx.clone());
        tokio::spawn(async move {
            let guard = mutex.lock_owned().await.unwrap();
            tx.send(()).unwrap();
            guard.unlock().await.unwrap();
        });
    }
    wait_for_children(&session, &path, WAITERS + 1).await;
    let before = watch_events(&snapshotter);
    guard.unlock().await.unwrap();
    for _ in 0..WAITERS {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("hand-over")
            .unwrap();
    }
    let events = watch_events(&snapshotter) - before;
    assert_eq!(
        events, WAITERS as u64,
        "one watch event per hand-over: {WAITERS} releases woke {events} waiters"
    );
}
