//! A session can start on a client the application opened itself: its ZooKeeper session is
//! the first epoch, and it ends when the `Session` lets go of it.

mod common;

use common::{connected_sessions, expire_and_acquire_again, server, unique_path};
use std::time::Duration;
use zk_sync_core::contender::{Exclusive, LossReason};
use zk_sync_core::test_util::WireClient;
use zk_sync_core::{ContenderQueue, Session};
use zk_sync_testkit::FaultProxy;

const TIMEOUT: Duration = Duration::from_secs(10);
const SESSION_TIMEOUT: Duration = Duration::from_secs(4);

async fn adopting(connect_string: &str) -> Session {
    let connector = WireClient::under_test()
        .adopting(connect_string, SESSION_TIMEOUT)
        .await;
    Session::builder(connect_string)
        .session_timeout(SESSION_TIMEOUT)
        .connector(connector)
        .connect()
        .await
        .expect("a session on the adopted client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adopted_clients_session_is_the_first_epoch_and_closes_with_the_session() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = adopting(&proxy.connect_string()).await;
    assert_eq!(proxy.sessions().len(), 1, "no second client was opened");
    let adopted = proxy.sessions()[0].id;
    let queue = ContenderQueue::new(session.clone(), &unique_path("adopt/close"), "lock").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert_eq!(hold.session_id(), adopted);
    assert_eq!(hold.epoch(), 1);
    session.close().await;
    assert_eq!(hold.lost().await, LossReason::Closed);
    common::eventually(
        TIMEOUT,
        "the adopted session closed on the server",
        || async move { !connected_sessions().contains(&adopted) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_adopted_session_expires_the_next_epoch_opens_its_own() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = adopting(&proxy.connect_string()).await;
    let queue = ContenderQueue::new(session.clone(), &unique_path("adopt/expire"), "lock").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let again = expire_and_acquire_again(&proxy, &session, &queue, &hold).await;
    again.release().await.unwrap();
}
