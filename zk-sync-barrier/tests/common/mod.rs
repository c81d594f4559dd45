//! Helpers shared by the barrier tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;
use zk_sync_core::Session;

/// A path no other test uses.
pub fn unique_path(name: &str) -> String {
    format!(
        "/zk-sync-test/barrier/{name}-{}",
        uuid::Uuid::new_v4().simple()
    )
}

/// A session with the given session timeout.
pub async fn session_to(connect_string: &str, session_timeout: Duration) -> Session {
    Session::builder(connect_string)
        .session_timeout(session_timeout)
        .connect()
        .await
        .expect("connect")
}

/// The children of `dir` (empty when missing).
pub async fn children(session: &Session, dir: &str) -> Vec<String> {
    let epoch = session.live_epoch().await.expect("live session");
    match epoch.backend().get_children(dir).await {
        Ok(children) => children,
        Err(zk_sync_core::ZkErrorCode::NoNode) => Vec::new(),
        Err(code) => panic!("listing {dir}: {code}"),
    }
}

/// Waits until `dir` has `n` children.
pub async fn wait_for_children(session: &Session, dir: &str, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while children(session, dir).await.len() != n {
        assert!(
            std::time::Instant::now() < deadline,
            "{dir} never had {n} children"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
