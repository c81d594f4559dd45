//! The `zk_sync_leader{election}` gauge: recorded only for elections given a label, 1 while
//! this process leads, back to 0 when the leadership ends however it ends.

mod common;

use common::{participant, unique_path};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use std::collections::HashMap;
use std::time::Duration;
use zk_sync_testkit::ZkServer;

/// The `zk_sync_leader` gauges seen so far. The debugging recorder hands out each gauge's
/// change since the previous snapshot (and resets it), so the values are summed up here.
struct Gauges {
    snapshotter: Snapshotter,
    seen: HashMap<String, f64>,
}

impl Gauges {
    /// The gauge for `label`, `None` when never recorded.
    fn get(&mut self, label: &str) -> Option<f64> {
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            if key.key().name() != "zk_sync_leader" {
                continue;
            }
            let DebugValue::Gauge(delta) = value else {
                panic!("{value:?}");
            };
            let label = key
                .key()
                .labels()
                .find(|l| l.key() == "election")
                .map(|l| l.value().to_owned())
                .expect("election label");
            *self.seen.entry(label).or_default() += delta.into_inner();
        }
        self.seen.get(label).copied()
    }

    fn any(&mut self) -> bool {
        self.get("");
        !self.seen.is_empty()
    }

    async fn becomes(&mut self, label: &str, value: f64) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while self.get(label) != Some(value) {
            assert!(
                std::time::Instant::now() < deadline,
                "zk_sync_leader{{election={label:?}}} stayed {:?}, not {value}",
                self.get(label)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_gauge_is_opt_in_and_follows_every_end_of_leadership() {
    let recorder = DebuggingRecorder::new();
    let mut gauges = Gauges {
        snapshotter: recorder.snapshotter(),
        seen: HashMap::new(),
    };
    recorder.install().expect("only recorder in this binary");
    let connect = ZkServer::shared().connect_string();

    let unlabelled = participant(&connect, &unique_path("no-label"), "quiet").await;
    unlabelled.campaign().await.unwrap().resign().await.unwrap();
    assert!(!gauges.any(), "no label, no gauge");

    let path = unique_path("label");
    let election = participant(&connect, &path, "loud")
        .await
        .with_metrics_label("scheduler");
    // Resigned.
    let leadership = election.campaign().await.unwrap();
    assert_eq!(gauges.get("scheduler"), Some(1.0));
    leadership.resign().await.unwrap();
    assert_eq!(gauges.get("scheduler"), Some(0.0));

    // Node deleted by someone else, noticed by `lost()`.
    let leadership = election.campaign().await.unwrap();
    assert_eq!(gauges.get("scheduler"), Some(1.0));
    let admin = common::session_to(&connect, Duration::from_secs(4)).await;
    let epoch = admin.live_epoch().await.unwrap();
    epoch
        .backend()
        .delete(leadership.path(), None)
        .await
        .unwrap();
    leadership.lost().await;
    assert_eq!(gauges.get("scheduler"), Some(0.0));
    drop(leadership);
    assert_eq!(gauges.get("scheduler"), Some(0.0), "counted once");

    // Session closed while the leadership is kept: nobody needs to look.
    let leadership = election.campaign().await.unwrap();
    assert_eq!(gauges.get("scheduler"), Some(1.0));
    election.session().close().await;
    gauges.becomes("scheduler", 0.0).await;
    drop(leadership);
    assert_eq!(gauges.get("scheduler"), Some(0.0));
}
