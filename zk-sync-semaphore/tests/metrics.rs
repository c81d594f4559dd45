//! The semaphore's metrics carry `primitive="semaphore"`: one acquisition per call (not one
//! per lock or lease node), holds timed once per permit, waiters gauged.

mod common;

use common::{session_to, unique_path};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::CompositeKey;
use std::time::Duration;
use zk_sync_core::metrics::{ACQUISITIONS_TOTAL, HOLD_DURATION_SECONDS};
use zk_sync_semaphore::{DistSemaphore, TryAcquireError};
use zk_sync_testkit::ZkServer;

type Sample = (
    CompositeKey,
    Option<metrics::Unit>,
    Option<metrics::SharedString>,
    DebugValue,
);

/// Counter totals (histograms: samples) of `name` by `outcome`, for `primitive`.
fn values(snapshot: &[Sample], name: &str, primitive: &str) -> Vec<(String, u64)> {
    snapshot
        .iter()
        .filter(|(key, ..)| key.key().name() == name)
        .filter(|(key, ..)| {
            key.key()
                .labels()
                .any(|l| l.key() == "primitive" && l.value() == primitive)
        })
        .map(|(key, .., value)| {
            let outcome = key
                .key()
                .labels()
                .find(|l| l.key() == "outcome")
                .map_or(String::new(), |l| l.value().to_owned());
            let count = match value {
                DebugValue::Counter(n) => *n,
                DebugValue::Histogram(samples) => samples.len() as u64,
                DebugValue::Gauge(_) => 0,
            };
            (outcome, count)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acquisitions_and_holds_are_counted_once_per_permit_as_semaphore() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().expect("only recorder in this binary");
    let session = session_to(
        &ZkServer::shared().connect_string(),
        Duration::from_secs(10),
    )
    .await;
    let semaphore = DistSemaphore::new(session, &unique_path("metrics"), 2).unwrap();
    let two = semaphore.acquire_many(2).await.unwrap();
    assert!(matches!(
        semaphore.try_acquire().await,
        Err(TryAcquireError::NoPermits)
    ));
    two.release().await.unwrap();
    semaphore.acquire().await.unwrap().release().await.unwrap();

    // One snapshot: taking one drains the recorder.
    let snapshot = snapshotter.snapshot().into_vec();
    let holds: u64 = values(&snapshot, HOLD_DURATION_SECONDS, "semaphore")
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(holds, 2, "one hold per permit");
    let mut acquisitions = values(&snapshot, ACQUISITIONS_TOTAL, "semaphore");
    acquisitions.sort();
    assert_eq!(
        acquisitions,
        [("acquired".to_owned(), 2), ("would_block".to_owned(), 1)],
        "one acquisition per call"
    );
    // The turn and the lease nodes are steps, not acquisitions of a mutex.
    assert!(values(&snapshot, ACQUISITIONS_TOTAL, "mutex").is_empty());
}
