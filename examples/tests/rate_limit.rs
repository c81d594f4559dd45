//! The `rate_limit` example against a real ZooKeeper: never more calls in flight than permits.

#[allow(dead_code)]
#[path = "../examples/rate_limit.rs"]
mod rate_limit;

use std::time::Duration;
use zk_sync_testkit::ZkServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_example_keeps_to_its_permits() {
    let connect = ZkServer::shared().connect_string();
    let path = zk_sync_core::test_util::unique_path("examples/rate-limit");
    let most = tokio::time::timeout(Duration::from_secs(60), rate_limit::run(&connect, &path))
        .await
        .expect("the workers finish")
        .expect("the example's own checks pass");
    assert!((1..=3).contains(&most), "{most}");
}
