//! The double barrier records the acquisition, waiter and hold metrics like every primitive.

mod common;

use common::{session_to, unique_path};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use std::time::Duration;
use zk_sync_barrier::DoubleBarrier;
use zk_sync_testkit::ZkServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_and_leave_are_recorded_with_the_barrier_label() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    let connect = ZkServer::shared().connect_string();
    let path = unique_path("barrier/metrics");
    let a =
        DoubleBarrier::new(session_to(&connect, Duration::from_secs(4)).await, &path, 2).unwrap();
    let b =
        DoubleBarrier::new(session_to(&connect, Duration::from_secs(4)).await, &path, 2).unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(200), a.enter())
            .await
            .is_err(),
        "cancelled"
    );
    let (x, y) = tokio::join!(a.enter(), b.enter());
    x.unwrap();
    y.unwrap();
    let (x, y) = tokio::join!(a.leave(), b.leave());
    x.unwrap();
    y.unwrap();

    let seen: Vec<_> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key().clone();
            let labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (key.name().to_owned(), labels, value)
        })
        .collect();
    let find = |name: &str, outcome: Option<&str>| {
        seen.iter().find(|(n, labels, _)| {
            n == name
                && labels.contains(&("primitive".into(), "barrier".into()))
                && outcome.is_none_or(|o| labels.contains(&("outcome".into(), o.into())))
        })
    };
    assert!(matches!(
        find("zk_sync_acquisitions_total", Some("acquired")),
        Some((_, _, DebugValue::Counter(2)))
    ));
    assert!(matches!(
        find("zk_sync_acquisitions_total", Some("cancelled")),
        Some((_, _, DebugValue::Counter(1)))
    ));
    assert!(find("zk_sync_acquire_duration_seconds", Some("acquired")).is_some());
    assert!(
        matches!(find("zk_sync_hold_duration_seconds", None), Some((_, _, DebugValue::Histogram(h))) if h.len() == 2)
    );
    assert!(
        matches!(find("zk_sync_waiters", None), Some((_, _, DebugValue::Gauge(g))) if g.into_inner() == 0.0)
    );
}
