//! The watch multiplexer against a real ZooKeeper.

mod common;

use common::{server, session_to, unique_path};
use std::time::Duration;
use zk_sync_core::backend::fault::{FaultPlan, FaultyConnector, Op};
use zk_sync_core::backend::{Acl, NodeEvent, NodeKind};
use zk_sync_core::contender::Exclusive;
use zk_sync_core::{ContenderQueue, Error, Session, Wake, WatchKind, ZkErrorCode};
use zk_sync_testkit::FaultProxy;

async fn create(session: &Session, path: &str) {
    let epoch = session.live_epoch().await.unwrap();
    let parent = &path[..path.rfind('/').unwrap()];
    let _ = epoch
        .backend()
        .create(parent, b"", NodeKind::Persistent, &[Acl::anyone_all()])
        .await;
    epoch
        .backend()
        .create(path, b"", NodeKind::Persistent, &[Acl::anyone_all()])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_local_waiters_share_one_server_watch_and_one_event_wakes_them_all() {
    let plan = FaultPlan::new();
    let session = zk_sync_core::test_util::builder(&server().connect_string())
        .connector(FaultyConnector::new(plan.clone()))
        .connect()
        .await
        .unwrap();
    let path = unique_path("herd");
    create(&session, &path).await;
    let epoch = session.live_epoch().await.unwrap();
    let reads_before = plan.calls(Op::GetData);

    let mut waiters = Vec::new();
    for _ in 0..1000 {
        waiters.push(session.watch(&epoch, WatchKind::Data, &path).await.unwrap());
    }
    assert_eq!(
        plan.calls(Op::GetData) - reads_before,
        1,
        "one getData+watch request for 1000 waiters"
    );
    assert_eq!(session.armed_watches(), 1);
    let wchc = server().four_letter("wchc").unwrap();
    let ours = format!("{:#x}", session.status().session_id);
    let section = wchc
        .split("0x")
        .find(|s| format!("0x{s}").starts_with(&ours))
        .expect("our session in wchc");
    assert_eq!(
        section.matches(path.as_str()).count(),
        1,
        "one server watch for the path:\n{wchc}"
    );

    let woken = tokio::spawn(async move {
        let mut count = 0;
        for waiter in waiters {
            assert_eq!(waiter.changed().await, Wake::Node(NodeEvent::DataChanged));
            count += 1;
        }
        count
    });
    let other = session_to(&server().connect_string()).await;
    let epoch2 = other.live_epoch().await.unwrap();
    // A data change through another session fires the shared watch once.
    epoch2.backend().set_data(&path, b"x", None).await.unwrap();
    let count = tokio::time::timeout(Duration::from_secs(5), woken)
        .await
        .expect("all woken")
        .unwrap();
    assert_eq!(count, 1000);
    assert_eq!(session.armed_watches(), 0, "fired watch retired");
}

/// Waits, re-checking on every wake-up, until `path` no longer exists.
async fn wait_until_deleted(session: &Session, path: &str) {
    loop {
        let epoch = session.live_epoch().await.unwrap();
        match session.watch(&epoch, WatchKind::Data, path).await {
            Err(Error::Zk {
                code: ZkErrorCode::NoNode,
                ..
            }) => return,
            Ok(watch) => {
                watch.changed().await;
            }
            Err(error) => panic!("{error}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_fires_while_disconnected_still_wakes_the_waiter_after_reconnect() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = session_to(&proxy.connect_string()).await;
    let other = session_to(&server().connect_string()).await;
    let path = unique_path("offline-event");
    create(&other, &path).await;

    let waiter = {
        let (session, path) = (session.clone(), path.clone());
        tokio::spawn(async move { wait_until_deleted(&session, &path).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.cut();
    common::wait_for_state(
        &session,
        zk_sync_core::SessionState::Suspended,
        Duration::from_secs(3),
    )
    .await;
    other
        .live_epoch()
        .await
        .unwrap()
        .backend()
        .delete(&path, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiter.is_finished(), "cannot know before reconnecting");
    proxy.restore();
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("woke after reconnect")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contender_whose_predecessor_leaves_during_a_disconnect_acquires_after_reconnect() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let waiter_session = session_to(&proxy.connect_string()).await;
    let holder_session = session_to(&server().connect_string()).await;
    let dir = unique_path("offline-release");
    let holder = ContenderQueue::new(holder_session, &dir, "test").unwrap();
    let hold = holder.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let queue = ContenderQueue::new(waiter_session.clone(), &dir, "test").unwrap();
    let waiter = tokio::spawn(async move { queue.acquire(&Exclusive::LOCK, 0, b"").await });
    common::eventually(Duration::from_secs(5), "waiter queued", || {
        let (s, d) = (waiter_session.clone(), dir.clone());
        async move { common::children(&s, &d).await.len() == 2 }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    proxy.cut();
    common::wait_for_state(
        &waiter_session,
        zk_sync_core::SessionState::Suspended,
        Duration::from_secs(3),
    )
    .await;
    hold.release().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.restore();
    let acquired = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("acquired after reconnect");
    let acquired = acquired.unwrap().unwrap();
    assert_eq!(acquired.epoch(), 1, "same session, no loss");
    acquired.release().await.unwrap();
}
