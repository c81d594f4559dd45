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
    zk_sync_core::test_util::session_to(connect_string, Duration::from_millis(1500)).await
}

/// The session ids the shared server has a connection for (`cons`).
pub fn connected_sessions() -> Vec<i64> {
    let cons = server().four_letter("cons").expect("cons");
    cons.split("sid=0x")
        .skip(1)
        .filter_map(|rest| {
            let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            i64::from_str_radix(&hex, 16).ok()
        })
        .collect()
}

/// Cuts `session`'s connection through `proxy` and lets it reconnect to the same session.
pub async fn cut_and_reconnect(proxy: &zk_sync_testkit::FaultProxy, session: &Session) {
    let limit = Duration::from_secs(10);
    proxy.cut();
    wait_for_state(session, zk_sync_core::SessionState::Suspended, limit).await;
    proxy.restore();
    wait_for_state(session, zk_sync_core::SessionState::Reconnected, limit).await;
}

/// Expires `session` (whose newest session `proxy` saw granted) while `hold` is held, checks
/// the hold is lost to it, and takes the lock again in the next epoch, which it returns.
pub async fn expire_and_acquire_again(
    proxy: &zk_sync_testkit::FaultProxy,
    session: &Session,
    queue: &zk_sync_core::ContenderQueue,
    hold: &zk_sync_core::contender::Hold,
) -> zk_sync_core::contender::Hold {
    use zk_sync_core::contender::{Exclusive, LossReason};
    let limit = Duration::from_secs(10);
    proxy.cut();
    proxy.expire_newest_session().await.unwrap();
    proxy.restore();
    assert_eq!(
        tokio::time::timeout(limit, hold.lost()).await.unwrap(),
        LossReason::SessionLost
    );
    wait_for_state(session, zk_sync_core::SessionState::Connected, limit).await;
    let again = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert_eq!(again.epoch(), 2);
    assert_ne!(again.session_id(), hold.session_id());
    again
}
