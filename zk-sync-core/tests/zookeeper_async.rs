//! What the zookeeper-async backend makes up for, each against the client's own behaviour:
//! requests sent when polled, watches and credentials lost in a reconnect, a session replaced
//! behind our back after an expiry, a dead connection noticed late, no `multi`, no TLS.
//!
//! The rest of the suite runs over this backend as well (`ZK_SYNC_TEST_WIRE_CLIENT`).

mod common;

use common::{
    children, connected_sessions, cut_and_reconnect, eventually, expire_and_acquire_again, server,
    unique_path, wait_for_state,
};
use std::time::Duration;
use zk_sync_core::backend::fault::{FaultPlan, FaultyConnector, Op};
use zk_sync_core::backend::{Acl, NodeEvent, NodeKind, ZookeeperAsyncConnector};
use zk_sync_core::contender::{Exclusive, LossReason};
use zk_sync_core::{ContenderQueue, Error, Session, SessionBuilder, SessionState};
use zk_sync_testkit::FaultProxy;

const TIMEOUT: Duration = Duration::from_secs(10);

fn over_zookeeper_async(connect_string: &str) -> SessionBuilder {
    Session::builder(connect_string)
        .session_timeout(Duration::from_secs(4))
        .connection_timeout(Duration::from_secs(1))
        .connector(ZookeeperAsyncConnector::new())
}

async fn session(connect_string: &str) -> Session {
    over_zookeeper_async(connect_string)
        .connect()
        .await
        .expect("connect over zookeeper-async")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_reach_the_server_in_call_order_without_being_polled() {
    let session = session(&server().connect_string()).await;
    let dir = unique_path("async/order");
    let epoch = session.live_epoch().await.unwrap();
    epoch
        .create_containers(&dir, &[Acl::anyone_all()])
        .await
        .unwrap();
    let backend = epoch.backend();
    let prefix = format!("{dir}/n-");
    let open = [Acl::anyone_all()];
    // Made one after the other and awaited in reverse: sent in call order all the same.
    let replies: Vec<_> = (0..50)
        .map(|_| backend.create(&prefix, b"", NodeKind::EphemeralSequential, &open))
        .collect();
    let mut created = Vec::new();
    for reply in replies.into_iter().rev() {
        created.push(reply.await.unwrap());
    }
    created.reverse();
    let czxids: Vec<i64> = created.iter().map(|c| c.stat.czxid).collect();
    let mut sorted = czxids.clone();
    sorted.sort_unstable();
    assert_eq!(czxids, sorted, "created in call order");
    let paths: Vec<&str> = created.iter().map(|c| c.path.as_str()).collect();
    let mut in_order = paths.clone();
    in_order.sort_unstable();
    assert_eq!(paths, in_order, "sequence numbers in call order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_id_comes_from_the_first_ephemeral_node() {
    let session = session(&server().connect_string()).await;
    assert_eq!(session.status().session_id, 0, "not known at connect");
    let queue = ContenderQueue::new(session.clone(), &unique_path("async/id"), "lock").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert_ne!(hold.session_id(), 0);
    assert_eq!(hold.stat().ephemeral_owner, hold.session_id());
    assert_eq!(session.status().session_id, hold.session_id());
    assert!(connected_sessions().contains(&hold.session_id()));
    hold.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_set_before_a_reconnect_resolves_watch_lost() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = session(&proxy.connect_string()).await;
    let epoch = session.live_epoch().await.unwrap();
    let path = unique_path("async/watch");
    epoch
        .create_containers(&path, &[Acl::anyone_all()])
        .await
        .unwrap();
    let (_, _, watch) = epoch.backend().get_data_watch(&path).await.unwrap();
    cut_and_reconnect(&proxy, &session).await;
    // The server forgot the watch with the old connection, and the client does not set it
    // again: it would never fire.
    let event = tokio::time::timeout(TIMEOUT, watch).await;
    assert_eq!(event.expect("the watch resolved"), NodeEvent::WatchLost);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_whose_watch_died_in_a_reconnect_still_gets_the_lock() {
    let dir = unique_path("async/rewatch");
    let holder = session(&server().connect_string()).await;
    let hold = ContenderQueue::new(holder, &dir, "lock")
        .unwrap()
        .acquire(&Exclusive::LOCK, 0, b"")
        .await
        .unwrap();
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let waiter_session = session(&proxy.connect_string()).await;
    let waiter_queue = ContenderQueue::new(waiter_session.clone(), &dir, "lock").unwrap();
    let waiter = tokio::spawn(async move { waiter_queue.acquire(&Exclusive::LOCK, 0, b"").await });
    eventually(TIMEOUT, "the waiter queued and watching", || {
        let session = waiter_session.clone();
        let dir = dir.clone();
        async move { children(&session, &dir).await.len() == 2 && session.armed_watches() == 1 }
    })
    .await;
    // The client reconnects to the same session and does not set the watch again.
    cut_and_reconnect(&proxy, &waiter_session).await;
    eventually(TIMEOUT, "the watch armed again", || {
        let session = waiter_session.clone();
        async move { session.armed_watches() == 1 }
    })
    .await;
    hold.release().await.unwrap();
    let next = tokio::time::timeout(TIMEOUT, waiter)
        .await
        .expect("the waiter got the lock after its watch was lost")
        .unwrap()
        .unwrap();
    assert_eq!(next.epoch(), 1, "the same session");
    next.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_watch_died_in_a_reconnect_still_learns_its_node_was_deleted() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = session(&proxy.connect_string()).await;
    let queue = ContenderQueue::new(session.clone(), &unique_path("async/lost"), "lock").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let meanwhile = async {
        eventually(TIMEOUT, "the holder watching its node", || {
            let session = session.clone();
            async move { session.armed_watches() == 1 }
        })
        .await;
        cut_and_reconnect(&proxy, &session).await;
        eventually(TIMEOUT, "the watch armed again", || {
            let session = session.clone();
            async move { session.armed_watches() == 1 }
        })
        .await;
        let intruder = common::session_to(&server().connect_string()).await;
        let epoch = intruder.live_epoch().await.unwrap();
        assert!(epoch.delete(hold.path()).await.unwrap());
    };
    let (reason, ()) = tokio::join!(tokio::time::timeout(TIMEOUT * 3, hold.lost()), meanwhile);
    assert_eq!(
        reason.expect("the deletion reported"),
        LossReason::NodeDeleted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_sent_again_after_a_reconnect() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = over_zookeeper_async(&proxy.connect_string())
        .digest_auth("async-user", "secret")
        .locked_down()
        .connect()
        .await
        .unwrap();
    let queue = ContenderQueue::new(session.clone(), &unique_path("async/auth"), "lock").unwrap();
    queue
        .acquire(&Exclusive::LOCK, 0, b"")
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    cut_and_reconnect(&proxy, &session).await;
    // The directory lets only this identity create: without the credentials, NoAuth.
    let again = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert_eq!(again.epoch(), 1);
    again.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_expiry_the_session_the_client_opened_by_itself_is_closed() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = session(&proxy.connect_string()).await;
    let queue = ContenderQueue::new(session.clone(), &unique_path("async/expiry"), "lock").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let again = expire_and_acquire_again(&proxy, &session, &queue, &hold).await;
    // The old client told of the expiry opened a session of its own; it is closed with the
    // old client, and the new epoch's is the only one of this proxy left.
    eventually(TIMEOUT, "only the new epoch's session connected", || {
        let ours = again.session_id();
        let seen: Vec<i64> = proxy.sessions().iter().map(|s| s.id).collect();
        async move {
            let connected = connected_sessions();
            seen.iter().filter(|id| connected.contains(id)).eq([&ours])
        }
    })
    .await;
    again.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackholed_connection_is_suspended_long_before_the_client_would_notice() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    // The client alone notices after 4/3 of the session timeout (10.7 s); the backend's own
    // reads after its connection timeout (1 s).
    let session = over_zookeeper_async(&proxy.connect_string())
        .session_timeout(Duration::from_secs(8))
        .connect()
        .await
        .unwrap();
    let queue = ContenderQueue::new(session.clone(), &unique_path("async/dead"), "lock").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    proxy.blackhole();
    wait_for_state(&session, SessionState::Suspended, Duration::from_secs(4)).await;
    assert!(hold.is_uncertain());
    assert!(!hold.is_lost());
    proxy.restore();
    wait_for_state(&session, SessionState::Reconnected, TIMEOUT).await;
    assert_eq!(session.status().epoch, 1, "the same session");
    hold.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_multi_a_release_goes_out_alone_before_the_next_create() {
    let plan = FaultPlan::new();
    let session = over_zookeeper_async(&server().connect_string())
        .connector(FaultyConnector::wrap(
            ZookeeperAsyncConnector::new(),
            plan.clone(),
        ))
        .connect()
        .await
        .unwrap();
    let queue = ContenderQueue::new(session.clone(), &unique_path("async/multi"), "lock").unwrap();
    let first = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let first_token = first.fencing_token();
    let (creates, deletes) = (plan.calls(Op::Create), plan.calls(Op::Delete));
    let second = tokio::spawn(async move {
        first.release().await.unwrap();
        queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        plan.calls(Op::Delete),
        deletes + 1,
        "the release is a delete of its own"
    );
    assert_eq!(plan.calls(Op::Create), creates + 1);
    assert!(second.fencing_token() > first_token);
    second.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_sasl_are_refused_at_connect() {
    let sasl = over_zookeeper_async(&server().connect_string())
        .sasl_digest_md5("user", "password")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(sasl, Error::Connect { .. }), "{sasl}");
    assert!(sasl.to_string().contains("no TLS and no SASL"), "{sasl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn its_directories_are_persistent_for_want_of_a_container_request() {
    let acl = [Acl::anyone_all()];
    let dir = unique_path("async/containers");
    let mut made = Vec::new();
    let sessions = [
        session(&server().connect_string()).await,
        // The default client, whichever the conformance pass would pick.
        Session::builder(&server().connect_string())
            .connect()
            .await
            .expect("connect over zookeeper-client"),
    ];
    for session in &sessions {
        let epoch = session.live_epoch().await.unwrap();
        let sub = format!("{dir}/{}", made.len());
        epoch.create_containers(&sub, &acl).await.unwrap();
        let child = format!("{sub}/x");
        epoch
            .backend()
            .create(&child, b"", NodeKind::Ephemeral, &acl)
            .await
            .unwrap();
        made.push((epoch, sub, child));
    }
    for (epoch, _, child) in &made {
        assert!(epoch.delete(child).await.unwrap());
    }
    let [(epoch, over_async, _), (_, over_default, _)] = &made[..] else {
        unreachable!()
    };
    // The server removes an empty container on its next pass (every second in the testkit);
    // by the time the default client's is gone, the same pass has seen the other one empty.
    eventually(
        TIMEOUT,
        "the default client's container removed",
        || async { epoch.data(over_default).await.unwrap().is_none() },
    )
    .await;
    assert!(
        epoch.data(over_async).await.unwrap().is_some(),
        "a persistent node stays"
    );
}
