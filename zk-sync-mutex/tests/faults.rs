//! `DistMutex` under connection loss and session expiry (real ZooKeeper, TCP fault proxy).

mod common;

use common::{session_to, unique_path, wait_for_state};
use std::time::Duration;
use zk_sync_core::SessionState;
use zk_sync_mutex::{DistMutex, LossReason, TryLockError};
use zk_sync_testkit::{FaultProxy, ZkServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_holder_is_uncertain_keeps_the_lock_on_reconnect_and_loses_it_on_expiry() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let holder_session = session_to(&proxy.connect_string(), Duration::from_secs(2)).await;
    let rival_session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let path = unique_path("cut-holder");
    let holder = DistMutex::new(holder_session.clone(), &path).unwrap();
    let rival = DistMutex::new(rival_session, &path).unwrap();
    let guard = holder.lock().await.unwrap();

    // Connection cut: uncertain at once (well inside the connection timeout), still held.
    proxy.cut();
    tokio::time::timeout(Duration::from_secs(5), guard.uncertain())
        .await
        .expect("uncertain");
    assert!(
        matches!(rival.try_lock().await, Err(TryLockError::WouldBlock)),
        "session still alive"
    );
    proxy.restore();
    wait_for_state(
        &holder_session,
        SessionState::Reconnected,
        Duration::from_secs(5),
    )
    .await;
    assert!(
        !guard.is_lost(),
        "reconnected within the session: still the holder"
    );
    assert!(matches!(
        rival.try_lock().await,
        Err(TryLockError::WouldBlock)
    ));

    // Blackholed past the session timeout: lost, and the rival gets the lock. The local lease
    // (a session timeout from the last answered request) runs out before the client has even
    // noticed the silent connection, and the session is given up with it.
    proxy.blackhole();
    let reason = tokio::time::timeout(Duration::from_secs(10), guard.lost())
        .await
        .expect("loss reported");
    assert!(
        matches!(reason, LossReason::LeaseExpired | LossReason::SessionLost),
        "{reason:?}"
    );
    assert!(guard.ensure_held().unwrap_err().is_session_lost());
    let next = tokio::time::timeout(Duration::from_secs(10), rival.lock())
        .await
        .expect("rival acquires")
        .unwrap();
    assert!(
        next.fencing_token() > guard.fencing_token(),
        "new holder's token is greater"
    );
    assert!(
        guard.unlock().await.unwrap_err().is_session_lost(),
        "unlock reports the loss"
    );
    proxy.restore();
    next.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_keeps_waiting_through_a_lost_session_and_acquires_later() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let waiter_session = session_to(&proxy.connect_string(), Duration::from_secs(1)).await;
    let holder_session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let path = unique_path("waiter-expiry");
    let holder = DistMutex::new(holder_session, &path).unwrap();
    let guard = holder.lock().await.unwrap();
    let waiter = DistMutex::new(waiter_session.clone(), &path).unwrap();
    let waiting = tokio::spawn(async move {
        waiter
            .lock()
            .await
            .map(|g| (g.fencing_token(), g.hold().epoch()))
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.blackhole();
    wait_for_state(&waiter_session, SessionState::Lost, Duration::from_secs(10)).await;
    proxy.restore();
    wait_for_state(
        &waiter_session,
        SessionState::Connected,
        Duration::from_secs(10),
    )
    .await;
    assert!(!waiting.is_finished());
    let holder_token = guard.fencing_token();
    guard.unlock().await.unwrap();
    let (token, epoch) = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(epoch, 2, "acquired in the new session");
    assert!(token > holder_token);
}
