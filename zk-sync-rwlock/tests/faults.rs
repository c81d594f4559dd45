//! `DistRwLock` under connection loss and session expiry, for both guard kinds (real
//! ZooKeeper, TCP fault proxy).

mod common;

use common::{session_to, unique_path, wait_for_children, wait_for_state, Side};
use std::time::Duration;
use zk_sync_core::SessionState;
use zk_sync_rwlock::{DistRwLock, LossReason, TryLockError};
use zk_sync_testkit::{FaultProxy, ZkServer};

/// A `side` holder behind a proxy: uncertain when cut, still the holder after reconnecting,
/// lost after a blackhole past its session timeout, and then a rival of the other side
/// acquires with a greater fencing token.
async fn cut_then_blackhole_the_holder(side: Side) {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let holder_session = session_to(&proxy.connect_string(), Duration::from_secs(2)).await;
    let rival_session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let path = unique_path(&format!("cut-{side:?}"));
    let holder = DistRwLock::new(holder_session.clone(), &path).unwrap();
    let rival = DistRwLock::new(rival_session, &path).unwrap();
    let guard = side.lock(&holder).await.unwrap();

    // Connection cut: uncertain at once (well inside the connection timeout), still held.
    proxy.cut();
    tokio::time::timeout(Duration::from_secs(5), guard.uncertain())
        .await
        .expect("uncertain");
    assert!(
        matches!(
            side.rival().try_lock(&rival).await,
            Err(TryLockError::WouldBlock)
        ),
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
        side.rival().try_lock(&rival).await,
        Err(TryLockError::WouldBlock)
    ));

    // Blackholed past the session timeout: lost, and the rival gets the lock. The local lease
    // runs out before the client has noticed the silent connection, and the session with it.
    proxy.blackhole();
    let reason = tokio::time::timeout(Duration::from_secs(10), guard.lost())
        .await
        .expect("loss reported");
    assert!(
        matches!(reason, LossReason::LeaseExpired | LossReason::SessionLost),
        "{reason:?}"
    );
    let next = tokio::time::timeout(Duration::from_secs(10), side.rival().lock(&rival))
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
async fn a_cut_reader_is_uncertain_keeps_the_lock_on_reconnect_and_loses_it_on_expiry() {
    cut_then_blackhole_the_holder(Side::Read).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_writer_is_uncertain_keeps_the_lock_on_reconnect_and_loses_it_on_expiry() {
    cut_then_blackhole_the_holder(Side::Write).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_of_both_kinds_keep_waiting_through_a_lost_session_and_acquire_later() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let waiter_session = session_to(&proxy.connect_string(), Duration::from_secs(1)).await;
    let holder_session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let path = unique_path("waiter-expiry");
    let holder = DistRwLock::new(holder_session.clone(), &path).unwrap();
    let guard = holder.write().await.unwrap();
    let waiting: Vec<_> = [Side::Read, Side::Write]
        .into_iter()
        .map(|side| {
            let lock = DistRwLock::new(waiter_session.clone(), &path).unwrap();
            tokio::spawn(async move {
                let held = side.lock(&lock).await?;
                Ok::<_, zk_sync_rwlock::Error>((held.fencing_token(), held.epoch()))
            })
        })
        .collect();
    wait_for_children(&holder_session, &path, 3).await;
    proxy.blackhole();
    wait_for_state(&waiter_session, SessionState::Lost, Duration::from_secs(10)).await;
    proxy.restore();
    wait_for_state(
        &waiter_session,
        SessionState::Connected,
        Duration::from_secs(10),
    )
    .await;
    assert!(waiting.iter().all(|w| !w.is_finished()));
    let holder_token = guard.fencing_token();
    guard.unlock().await.unwrap();
    for waiter in waiting {
        let (token, epoch) = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("waiter acquires")
            .unwrap()
            .unwrap();
        assert_eq!(epoch, 2, "acquired in the new session");
        assert!(token > holder_token);
    }
}
