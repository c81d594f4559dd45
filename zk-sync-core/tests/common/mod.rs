//! Helpers shared by the core's integration tests (each test binary includes this module).
#![allow(dead_code, unreachable_pub)]

#[allow(unused_imports)]
pub use zk_sync_core::test_util::{
    children, eventually, session_following, unique_path, wait_for_state, wait_until_connected,
};

use std::time::Duration;
use zk_sync_core::Session;
use zk_sync_testkit::ZkServer;

/// The server shared by every test of one test binary.
pub fn server() -> &'static ZkServer {
    ZkServer::shared()
}

/// A session with short timeouts, so fault tests run fast.
pub async fn session_to(connect_string: &str) -> Session {
    zk_sync_core::test_util::builder(connect_string)
        .session_timeout(Duration::from_millis(1500))
        .connection_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect")
}
