//! Barriers under connection loss, server restart and session loss (real ZooKeeper).

mod common;

use common::{session_to, unique_path, wait_for_children};
use std::time::Duration;
use zk_sync_barrier::{Barrier, DoubleBarrier};
use zk_sync_core::SessionState;
use zk_sync_testkit::{FaultProxy, ZkServer};

const TIMEOUT: Duration = Duration::from_secs(4);

async fn wait_for_state(session: &zk_sync_core::Session, state: SessionState) {
    let mut status = session.watch_status();
    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| s.state == state),
    )
    .await
    .expect("state reached")
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_cut_off_mid_enter_and_mid_leave_still_passes_with_the_others() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let path = unique_path("cut");
    let cut_session = session_to(&proxy.connect_string(), TIMEOUT).await;
    let observer = session_to(&server.connect_string(), TIMEOUT).await;
    let cut = std::sync::Arc::new(DoubleBarrier::new(cut_session.clone(), &path, 3).unwrap());
    let a = DoubleBarrier::new(
        session_to(&server.connect_string(), TIMEOUT).await,
        &path,
        3,
    )
    .unwrap();
    let b = DoubleBarrier::new(
        session_to(&server.connect_string(), TIMEOUT).await,
        &path,
        3,
    )
    .unwrap();

    let entering = {
        let cut = cut.clone();
        tokio::spawn(async move { cut.enter().await.map(|_| ()) })
    };
    wait_for_children(&observer, &path, 1).await;
    proxy.cut();
    wait_for_state(&cut_session, SessionState::Suspended).await;
    let (ra, rb) = tokio::join!(a.enter(), b.enter());
    ra.unwrap();
    rb.unwrap();
    assert!(!entering.is_finished(), "cannot see `ready` while cut off");
    proxy.restore();
    tokio::time::timeout(Duration::from_secs(5), entering)
        .await
        .expect("enters after reconnect")
        .unwrap()
        .unwrap();

    // Mid-leave: the cut participant starts leaving, loses its connection, and still passes once
    // the others have left.
    let leaving = {
        let cut = cut.clone();
        tokio::spawn(async move { cut.leave().await })
    };
    wait_for_children(&observer, &path, 3).await; // a, b and ready: the cut one's node is gone
    proxy.cut();
    wait_for_state(&cut_session, SessionState::Suspended).await;
    let (ra, rb) = tokio::join!(a.leave(), b.leave());
    ra.unwrap();
    rb.unwrap();
    proxy.restore();
    tokio::time::timeout(Duration::from_secs(5), leaving)
        .await
        .expect("leaves after reconnect")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_survive_a_server_restart_mid_enter_and_mid_leave() {
    let server = ZkServer::start().unwrap();
    let path = unique_path("restart");
    let mut barriers = Vec::new();
    for _ in 0..3 {
        barriers.push(std::sync::Arc::new(
            DoubleBarrier::new(
                session_to(&server.connect_string(), Duration::from_secs(10)).await,
                &path,
                3,
            )
            .unwrap(),
        ));
    }
    let observer = session_to(&server.connect_string(), Duration::from_secs(10)).await;
    let early: Vec<_> = barriers[..2]
        .iter()
        .map(|b| {
            let b = b.clone();
            tokio::spawn(async move { b.enter().await.map(|_| ()) })
        })
        .collect();
    wait_for_children(&observer, &path, 2).await;
    server.restart().unwrap();
    barriers[2].enter().await.unwrap();
    for task in early {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("entered")
            .unwrap()
            .unwrap();
    }
    let early: Vec<_> = barriers[..2]
        .iter()
        .map(|b| {
            let b = b.clone();
            tokio::spawn(async move { b.leave().await })
        })
        .collect();
    wait_for_children(&observer, &path, 2).await; // the late one and ready
    server.restart().unwrap();
    barriers[2].leave().await.unwrap();
    for task in early {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("left")
            .unwrap()
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_whose_session_is_lost_in_enter_gets_an_error_and_others_time_out() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let path = unique_path("lost");
    let lost_session = session_to(&proxy.connect_string(), Duration::from_secs(1)).await;
    let doomed = std::sync::Arc::new(DoubleBarrier::new(lost_session.clone(), &path, 3).unwrap());
    let other = DoubleBarrier::new(
        session_to(&server.connect_string(), TIMEOUT).await,
        &path,
        3,
    )
    .unwrap();
    let observer = session_to(&server.connect_string(), TIMEOUT).await;
    let entering = {
        let doomed = doomed.clone();
        tokio::spawn(async move { doomed.enter().await })
    };
    wait_for_children(&observer, &path, 1).await;
    proxy.blackhole();
    let error = tokio::time::timeout(Duration::from_secs(10), entering)
        .await
        .expect("a clear error, not a hang")
        .unwrap()
        .unwrap_err();
    assert!(error.is_session_lost(), "{error}");
    proxy.restore();
    wait_for_children(&observer, &path, 0).await;
    // The crashed participant no longer counts: the other one times out as documented.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), other.enter())
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simple_barrier_holds_waiters_until_removed_even_across_a_cut() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let path = format!("{}/gate", unique_path("simple"));
    let owner = Barrier::new(session_to(&server.connect_string(), TIMEOUT).await, &path).unwrap();
    let waiter_session = session_to(&proxy.connect_string(), TIMEOUT).await;
    let waiter = Barrier::new(waiter_session.clone(), &path).unwrap();
    waiter.wait().await.expect("not set: returns at once");
    owner.set().await.unwrap();
    owner.set().await.expect("setting twice is fine");
    let waiting = {
        let waiter = waiter.clone();
        tokio::spawn(async move { waiter.wait().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished());
    proxy.cut();
    wait_for_state(&waiter_session, SessionState::Suspended).await;
    owner.remove().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiting.is_finished(), "cannot know while cut off");
    proxy.restore();
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("released")
        .unwrap()
        .unwrap();
    owner.remove().await.expect("removing twice is fine");
}

#[allow(dead_code)]
fn futures_are_send(double: DoubleBarrier, simple: Barrier) {
    fn send<T: Send>(_: &T) {}
    send(&double.enter());
    send(&double.leave());
    send(&simple.set());
    send(&simple.wait());
    send(&simple.remove());
}
