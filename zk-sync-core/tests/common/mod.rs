//! Helpers shared by the core's integration tests (each test binary includes this module).
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::{Duration, Instant};
use zk_sync_core::{Session, SessionState};
use zk_sync_testkit::ZkServer;

/// The server shared by every test of one test binary.
pub fn server() -> &'static ZkServer {
    ZkServer::shared()
}

/// A path no other test uses.
pub fn unique_path(name: &str) -> String {
    format!("/zk-sync-test/{name}-{}", uuid::Uuid::new_v4().simple())
}

/// A session with short timeouts, so fault tests run fast.
pub async fn session_to(connect_string: &str) -> Session {
    Session::builder(connect_string)
        .session_timeout(Duration::from_millis(1500))
        .connection_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect")
}

/// Lists `dir` through `session` (an empty list when it does not exist).
pub async fn children(session: &Session, dir: &str) -> Vec<String> {
    let epoch = session.live_epoch().await.expect("live session");
    match epoch.backend().get_children(dir).await {
        Ok(children) => children,
        Err(zk_sync_core::ZkErrorCode::NoNode) => Vec::new(),
        Err(code) => panic!("listing {dir}: {code}"),
    }
}

/// Polls `check` until it returns true or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the session reaches `state` (in any epoch).
pub async fn wait_for_state(session: &Session, state: SessionState, limit: Duration) {
    let mut status = session.watch_status();
    tokio::time::timeout(limit, status.wait_for(|s| s.state == state))
        .await
        .unwrap_or_else(|_| {
            panic!(
                "session did not become {state} within {limit:?}; now {:?}",
                session.status()
            )
        })
        .expect("session status channel closed");
}
