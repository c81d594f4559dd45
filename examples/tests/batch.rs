//! The `batch` example against a real ZooKeeper: its workers enter and leave together.

#[allow(dead_code)]
#[path = "../examples/batch.rs"]
mod batch;

use std::time::Duration;
use zk_sync_testkit::ZkServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batch_example_enters_and_leaves_together() {
    let connect = ZkServer::shared().connect_string();
    let path = zk_sync_core::test_util::unique_path("examples/batch");
    let timelines = tokio::time::timeout(
        Duration::from_secs(60),
        batch::run_batch(&connect, &path, 3),
    )
    .await
    .expect("the batch finishes")
    .expect("the batch's own checks pass");
    assert_eq!(timelines.len(), 3);
    let last_arrival = timelines.iter().map(|t| t.arrived).max().unwrap();
    assert!(timelines.iter().all(|t| t.entered >= last_arrival));
    let last_finish = timelines.iter().map(|t| t.finished).max().unwrap();
    assert!(timelines.iter().all(|t| t.left >= last_finish));
}
