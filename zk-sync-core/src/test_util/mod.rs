//! Helpers for tests of zk-sync and of code built on it (feature `test-util`): unique paths,
//! short-timeout sessions over the wire client under test, listings, and polling with a
//! deadline.

mod wire_client;

pub use self::wire_client::{builder, WireClient, WIRE_CLIENT_VARIABLE};

use crate::{Session, SessionState};
use std::future::Future;
use std::time::{Duration, Instant};

/// A path under `/zk-sync-test` that no other test uses: `/zk-sync-test/<name>-<uuid>`.
///
/// # Examples
///
/// ```
/// let a = zk_sync_core::test_util::unique_path("mutex/fifo");
/// assert!(a.starts_with("/zk-sync-test/mutex/fifo-"));
/// assert_ne!(a, zk_sync_core::test_util::unique_path("mutex/fifo"));
/// ```
pub fn unique_path(name: &str) -> String {
    format!("/zk-sync-test/{name}-{}", uuid::Uuid::new_v4().simple())
}

/// A session with the given session timeout (and a 5 s connection timeout), over the wire
/// client under test.
///
/// # Panics
///
/// When no session can be established.
pub async fn session_to(connect_string: &str, session_timeout: Duration) -> Session {
    builder(connect_string)
        .session_timeout(session_timeout)
        .connection_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap_or_else(|error| panic!("connecting to {connect_string}: {error}"))
}

/// A session like [`session_to`] whose requests go through a backend that follows `plan`
/// (which counts them, and injects the faults it is given).
///
/// # Panics
///
/// When no session can be established.
pub async fn session_following(
    connect_string: &str,
    session_timeout: Duration,
    plan: &crate::backend::fault::FaultPlan,
) -> Session {
    let under_test = WireClient::under_test().connector();
    Session::builder(connect_string)
        .session_timeout(session_timeout)
        .connection_timeout(Duration::from_secs(5))
        .connector(crate::backend::fault::FaultyConnector::wrap(
            under_test,
            plan.clone(),
        ))
        .connect()
        .await
        .unwrap_or_else(|error| panic!("connecting to {connect_string}: {error}"))
}

/// The children of `dir` (empty when it does not exist).
///
/// # Panics
///
/// When the session is closed or the server refuses the listing.
pub async fn children(session: &Session, dir: &str) -> Vec<String> {
    let epoch = session.live_epoch().await.expect("live session");
    match epoch.children(dir).await {
        Ok(children) => children.unwrap_or_default(),
        Err(error) => panic!("listing {dir}: {error}"),
    }
}

/// Polls `check` every 20 ms until it returns `true`.
///
/// # Panics
///
/// After `limit`, naming `what` was awaited.
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

/// Waits (up to 10 s) until `dir` has exactly `n` children.
///
/// # Panics
///
/// After 10 s.
pub async fn wait_for_children(session: &Session, dir: &str, n: usize) {
    eventually(
        Duration::from_secs(10),
        &format!("{n} nodes in {dir}"),
        || async { children(session, dir).await.len() == n },
    )
    .await
}

/// Waits until the session reaches `state` (in any epoch).
///
/// # Panics
///
/// After `limit`, with the session's status.
pub async fn wait_for_state(session: &Session, state: SessionState, limit: Duration) {
    let mut status = session.watch_status();
    tokio::time::timeout(limit, status.wait_for(|s| s.state == state))
        .await
        .unwrap_or_else(|_| panic!("not {state} within {limit:?}: {:?}", session.status()))
        .expect("session status channel");
}

/// Waits until the session is connected (`Connected` or `Reconnected`, in any epoch).
///
/// # Panics
///
/// After `limit`, with the session's status.
pub async fn wait_until_connected(session: &Session, limit: Duration) {
    let mut status = session.watch_status();
    tokio::time::timeout(limit, status.wait_for(|s| s.state.is_connected()))
        .await
        .unwrap_or_else(|_| panic!("not connected within {limit:?}: {:?}", session.status()))
        .expect("session status channel");
}

/// Receives `0, 1, …, n - 1` from `order`, in that order, each within 15 s: the indexes
/// waiters send once they hold, checked for FIFO order.
///
/// # Panics
///
/// When an index comes out of order, or none comes in time.
pub async fn assert_fifo(mut order: tokio::sync::mpsc::UnboundedReceiver<usize>, n: usize) {
    for expected in 0..n {
        let got = tokio::time::timeout(Duration::from_secs(15), order.recv())
            .await
            .unwrap_or_else(|_| panic!("waiter {expected} did not get in"));
        assert_eq!(got, Some(expected), "FIFO order kept");
    }
}
