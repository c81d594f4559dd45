//! The core records the session, request and acquisition metrics through the `metrics` facade.

mod common;

use common::{server, session_to, unique_path};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::MetricKind;
use std::collections::BTreeMap;
use zk_sync_core::contender::Exclusive;
use zk_sync_core::ContenderQueue;

type Seen = BTreeMap<(String, Vec<(String, String)>), (MetricKind, DebugValue)>;

fn snapshot(snapshotter: &Snapshotter) -> Seen {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (kind, key) = key.into_parts();
            let (name, labels) = key.into_parts();
            let labels = labels
                .into_iter()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            ((name.as_str().to_owned(), labels), (kind, value))
        })
        .collect()
}

fn counter(seen: &Seen, name: &str, labels: &[(&str, &str)]) -> u64 {
    let labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match seen.get(&(name.to_owned(), labels)) {
        Some((_, DebugValue::Counter(n))) => *n,
        other => panic!(
            "{name} {other:?}; have {:?}",
            seen.keys().collect::<Vec<_>>()
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_request_and_acquisition_metrics_are_recorded_without_paths() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().expect("only recorder in this binary");

    let session = session_to(&server().connect_string()).await;
    let dir = unique_path("metrics");
    let queue = ContenderQueue::new(session.clone(), &dir, "mutex").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert!(queue
        .try_acquire(&Exclusive::LOCK, 0, b"")
        .await
        .unwrap()
        .is_none());
    hold.release().await.unwrap();

    let seen = snapshot(&snapshotter);
    assert_eq!(
        counter(
            &seen,
            "zk_sync_acquisitions_total",
            &[("primitive", "mutex"), ("outcome", "acquired")]
        ),
        1
    );
    assert_eq!(
        counter(
            &seen,
            "zk_sync_acquisitions_total",
            &[("primitive", "mutex"), ("outcome", "would_block")]
        ),
        1
    );
    assert!(counter(&seen, "zk_sync_requests_total", &[("op", "create")]) >= 2);
    assert!(counter(&seen, "zk_sync_requests_total", &[("op", "get_children")]) >= 2);
    assert!(counter(&seen, "zk_sync_requests_total", &[("op", "delete")]) >= 2);
    let gauge = seen
        .get(&("zk_sync_session_state".to_owned(), vec![]))
        .expect("session state gauge");
    assert!(
        matches!(gauge.1, DebugValue::Gauge(v) if v.into_inner() == 1.0),
        "{gauge:?}"
    );
    let histogram = seen
        .get(&(
            "zk_sync_acquire_duration_seconds".to_owned(),
            vec![
                ("primitive".into(), "mutex".into()),
                ("outcome".into(), "acquired".into()),
            ],
        ))
        .expect("acquire histogram");
    assert_eq!(histogram.0, MetricKind::Histogram);
    assert!(seen.contains_key(&(
        "zk_sync_hold_duration_seconds".to_owned(),
        vec![("primitive".into(), "mutex".into())]
    )));

    for (name, labels) in seen.keys() {
        assert!(name.starts_with("zk_sync_"), "{name}");
        for (_, value) in labels {
            assert!(!value.contains('/'), "{name} has a path-like label {value}");
        }
    }
}
