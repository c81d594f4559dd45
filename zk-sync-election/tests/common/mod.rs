//! Helpers shared by the election tests.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use zk_sync_core::{Session, SessionState};
use zk_sync_election::{LeaderElection, LeaderInfo};

/// A path no other test uses.
pub fn unique_path(name: &str) -> String {
    format!(
        "/zk-sync-test/election/{name}-{}",
        uuid::Uuid::new_v4().simple()
    )
}

/// A session with short timeouts, so fault tests run fast.
pub async fn session_to(connect_string: &str, session_timeout: Duration) -> Session {
    Session::builder(connect_string)
        .session_timeout(session_timeout)
        .connection_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect")
}

/// A participant `id` in its own session.
pub async fn participant(connect_string: &str, path: &str, id: &str) -> LeaderElection {
    let session = session_to(connect_string, Duration::from_secs(4)).await;
    LeaderElection::new(session, path, id).unwrap()
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

/// Polls `check` until it is true, failing after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `dir` has `n` children.
pub async fn wait_for_children(session: &Session, dir: &str, n: usize) {
    eventually(
        Duration::from_secs(10),
        &format!("{n} nodes in {dir}"),
        || async { children(session, dir).await.len() == n },
    )
    .await
}

/// Waits until the session reaches `state`.
pub async fn wait_for_state(session: &Session, state: SessionState, limit: Duration) {
    let mut status = session.watch_status();
    tokio::time::timeout(limit, status.wait_for(|s| s.state == state))
        .await
        .unwrap_or_else(|_| panic!("not {state} within {limit:?}: {:?}", session.status()))
        .expect("status channel");
}

/// The next value an observer announces: the leader's participant id, or `None`.
pub async fn next_leader(observer: &mut watch::Receiver<Option<LeaderInfo>>) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(10), observer.changed())
        .await
        .expect("observer announced a change")
        .expect("observer channel open");
    let leader = observer.borrow_and_update();
    leader.as_ref().map(|l| l.participant_id().to_owned())
}
