//! Integration tests: real ZooKeeper servers driven through the testkit.

mod ensemble;
mod expire;
mod java;
mod lifecycle;
mod proxy;
mod server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use zookeeper_client::{
    Acls, Client, CreateMode, CreateOptions, Error, SessionState, StateWatcher,
};

/// Connects with the given session timeout.
pub(crate) async fn connect(connect_string: &str, session_timeout: Duration) -> Client {
    Client::connector()
        .with_session_timeout(session_timeout)
        .connect(connect_string)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {connect_string}: {e}"))
}

pub(crate) fn persistent() -> CreateOptions<'static> {
    CreateMode::Persistent.with_acls(Acls::anyone_all())
}

pub(crate) fn ephemeral() -> CreateOptions<'static> {
    CreateMode::Ephemeral.with_acls(Acls::anyone_all())
}

/// A path no other test (or test process) uses.
pub(crate) fn unique_path(tag: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "/testkit-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Waits until the watcher reports `want` (or already holds it as its latest state).
pub(crate) async fn wait_state(watcher: &mut StateWatcher, want: SessionState, within: Duration) {
    let mut seen = vec![watcher.state()];
    let reached = tokio::time::timeout(within, async {
        if seen[0] == want {
            return;
        }
        loop {
            let state = watcher.changed().await;
            seen.push(state);
            if state == want {
                return;
            }
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "state {want} not reached within {within:?}; saw {seen:?}"
    );
}

/// Retries `op` while the client is reconnecting (connection loss), for at most `within`.
pub(crate) async fn retry<T, F, Fut>(within: Duration, mut op: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match op().await {
            Ok(value) => return value,
            Err(Error::ConnectionLoss | Error::Timeout)
                if tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("operation failed: {err}"),
        }
    }
}
