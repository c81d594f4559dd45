//! Local hand-off counts its hand-offs and the releases other sessions force.

mod common;

use common::{eventually, session_to, unique_path};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use std::time::Duration;
use zk_sync_core::metrics::{FORCED_RELEASES_TOTAL, LOCAL_HANDOFFS_TOTAL};
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::ZkServer;

fn counter(snapshotter: &Snapshotter, name: &str) -> u64 {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, ..)| key.key().name() == name)
        .filter(|(key, ..)| {
            key.key()
                .labels()
                .any(|l| l.key() == "primitive" && l.value() == "mutex")
        })
        .map(|(.., value)| match value {
            DebugValue::Counter(n) => n,
            other => panic!("{name} is {other:?}"),
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_handoffs_and_forced_releases_are_counted() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().expect("only recorder in this binary");
    let server = ZkServer::shared();
    let timeout = Duration::from_secs(10);
    let session = session_to(&server.connect_string(), timeout).await;
    let path = unique_path("local/metrics");
    let mutex = DistMutex::builder(session, &path)
        .local_handoff(true)
        .linger(Duration::from_secs(3600))
        .build()
        .unwrap();
    for _ in 0..3 {
        mutex.lock().await.unwrap().unlock().await.unwrap();
    }
    assert_eq!(counter(&snapshotter, LOCAL_HANDOFFS_TOTAL), 2);
    assert_eq!(counter(&snapshotter, FORCED_RELEASES_TOTAL), 0);

    let other = session_to(&server.connect_string(), timeout).await;
    let rival = DistMutex::new(other, &path).unwrap();
    let guard = tokio::time::timeout(timeout, rival.lock())
        .await
        .expect("the lingering node gives way")
        .unwrap();
    drop(guard);
    eventually(timeout, "the forced release is counted", || {
        let snapshotter = snapshotter.clone();
        async move { counter(&snapshotter, FORCED_RELEASES_TOTAL) == 1 }
    })
    .await;
}
