//! `DistSemaphore` under connection loss, session expiry, a killed holder, a server restart
//! and a leader failover (real ZooKeeper, TCP fault proxy, a 3-server ensemble).
//!
//! The killed holder is this test binary run again as a child (`ZK_SYNC_SEMAPHORE_CHILD`
//! set), so it is a real, separate process with its own session.

mod common;

use common::{children, eventually, session_to, unique_path, wait_for_state};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_core::SessionState;
use zk_sync_semaphore::{DistSemaphore, LossReason, TryAcquireError};
use zk_sync_testkit::{FaultProxy, TestChild, ZkEnsemble, ZkServer};

const CHILD_ENV: &str = "ZK_SYNC_SEMAPHORE_CHILD";
const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_holder_is_uncertain_holds_on_reconnect_and_loses_on_expiry() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let holder_session = session_to(&proxy.connect_string(), Duration::from_secs(2)).await;
    let rival_session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let path = unique_path("cut-holder");
    let holder = DistSemaphore::new(holder_session.clone(), &path, 1).unwrap();
    let rival = DistSemaphore::new(rival_session, &path, 1).unwrap();
    let permit = holder.acquire().await.unwrap();

    proxy.cut();
    tokio::time::timeout(Duration::from_secs(5), permit.uncertain())
        .await
        .expect("uncertain");
    assert!(permit.is_uncertain());
    assert!(matches!(
        rival.try_acquire().await,
        Err(TryAcquireError::NoPermits)
    ));
    proxy.restore();
    wait_for_state(&holder_session, SessionState::Reconnected, TIMEOUT).await;
    assert!(
        !permit.is_lost(),
        "reconnected within the session: still held"
    );
    permit.ensure_held().unwrap();
    assert!(matches!(
        rival.try_acquire().await,
        Err(TryAcquireError::NoPermits)
    ));

    proxy.blackhole();
    let reason = tokio::time::timeout(TIMEOUT, permit.lost())
        .await
        .expect("loss reported");
    assert!(
        matches!(reason, LossReason::LeaseExpired | LossReason::SessionLost),
        "{reason:?}"
    );
    let next = tokio::time::timeout(TIMEOUT, rival.acquire())
        .await
        .expect("the rival gets the permit")
        .unwrap();
    assert!(next.fencing_token() > permit.fencing_token());
    assert!(permit.release().await.unwrap_err().is_session_lost());
    proxy.restore();
    next.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_whose_session_is_lost_queues_again_and_gets_its_permit() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let waiter_session = session_to(&proxy.connect_string(), Duration::from_secs(1)).await;
    let holder_session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let path = unique_path("waiter-expiry");
    let holder = DistSemaphore::new(holder_session.clone(), &path, 1).unwrap();
    let permit = holder.acquire().await.unwrap();
    let waiter = DistSemaphore::new(waiter_session.clone(), &path, 1).unwrap();
    let waiting = tokio::spawn(async move {
        let permit = waiter.acquire().await?;
        let token = permit.fencing_token();
        permit.release().await?;
        Ok::<_, zk_sync_semaphore::Error>(token)
    });
    // The waiter holds the turn and counts the leases: one turn node, two leases.
    let leases = format!("{path}/leases");
    eventually(TIMEOUT, "the waiter counts", || {
        let (session, leases) = (holder_session.clone(), leases.clone());
        async move { children(&session, &leases).await.len() == 2 }
    })
    .await;
    proxy.blackhole();
    wait_for_state(&waiter_session, SessionState::Lost, TIMEOUT).await;
    // Its turn and lease went with the session.
    eventually(TIMEOUT, "the lost waiter's nodes are gone", || {
        let (session, leases) = (holder_session.clone(), leases.clone());
        async move { children(&session, &leases).await.len() == 1 }
    })
    .await;
    proxy.restore();
    wait_for_state(&waiter_session, SessionState::Connected, TIMEOUT).await;
    eventually(TIMEOUT, "the waiter queued again", || {
        let (session, leases) = (holder_session.clone(), leases.clone());
        async move { children(&session, &leases).await.len() == 2 }
    })
    .await;
    assert!(!waiting.is_finished());
    let holder_token = permit.fencing_token();
    permit.release().await.unwrap();
    let token = tokio::time::timeout(TIMEOUT, waiting)
        .await
        .expect("the waiter gets the permit")
        .unwrap()
        .unwrap();
    assert!(token > holder_token);
}

/// Entry point of the child process: takes a permit, says so, and holds it until killed.
/// Run as a plain test (without the variable) it has nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holder_child_entry_point() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (connect, path) = spec.split_once('|').expect("connect|path");
    let session = session_to(connect, Duration::from_secs(2)).await;
    let semaphore = DistSemaphore::new(session, path, 2).unwrap();
    let permit = semaphore.acquire_many(2).await.unwrap();
    println!("LEASED {}", permit.fencing_token());
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
    std::process::exit(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_holders_leases_return_with_its_session() {
    let server = ZkServer::shared();
    let path = unique_path("killed");
    let mut child = TestChild::spawn(
        "holder_child_entry_point",
        CHILD_ENV,
        &format!("{}|{path}", server.connect_string()),
    )
    .unwrap();
    child
        .wait_for_marker("LEASED ", Duration::from_secs(30))
        .expect("the child leases both permits");
    let session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let semaphore = DistSemaphore::new(session, &path, 2).unwrap();
    assert!(matches!(
        semaphore.try_acquire().await,
        Err(TryAcquireError::NoPermits)
    ));
    let waiting =
        tokio::spawn(async move { semaphore.acquire_many(2).await.map(|p| p.num_permits()) });
    child.kill();
    // The child's session times out after 2 s; the waiter is woken by its leases' deletion.
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the leases came back")
        .unwrap()
        .unwrap();
    assert_eq!(got, 2);
}

/// Queues `n` waiters, each in a session of its own; returns the order they got a permit.
async fn queue_waiters(
    connect: &str,
    path: &str,
    n: usize,
    observer: &zk_sync_core::Session,
) -> tokio::sync::mpsc::UnboundedReceiver<usize> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..n {
        let session = session_to(connect, TIMEOUT).await;
        let semaphore = Arc::new(DistSemaphore::new(session, path, 1).unwrap());
        let tx = tx.clone();
        tokio::spawn(async move {
            let permit = semaphore.acquire().await.unwrap();
            tx.send(i).unwrap();
            permit.release().await.unwrap();
        });
        // One turn node per waiter: the first counts the leases, the rest queue for the turn.
        let locks = format!("{path}/locks");
        eventually(TIMEOUT, "waiter queued", || {
            let (observer, locks) = (observer.clone(), locks.clone());
            async move { children(&observer, &locks).await.len() == i + 1 }
        })
        .await;
    }
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_survive_a_server_restart() {
    let server = ZkServer::start().unwrap();
    let session = session_to(&server.connect_string(), TIMEOUT).await;
    let path = unique_path("restart");
    let semaphore = DistSemaphore::new(session.clone(), &path, 1).unwrap();
    let permit = semaphore.acquire().await.unwrap();
    let order = queue_waiters(&server.connect_string(), &path, 3, &session).await;
    server.restart().unwrap();
    common::wait_until_connected(&session, TIMEOUT).await;
    assert!(!permit.is_lost());
    permit.release().await.unwrap();
    common::assert_fifo(order, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_survive_an_ensemble_leader_failover() {
    let ensemble = ZkEnsemble::start(3).unwrap();
    let session = session_to(&ensemble.connect_string(), TIMEOUT).await;
    let path = unique_path("failover");
    let semaphore = DistSemaphore::new(session.clone(), &path, 1).unwrap();
    let permit = semaphore.acquire().await.unwrap();
    let order = queue_waiters(&ensemble.connect_string(), &path, 3, &session).await;
    let leader = ensemble.leader().expect("leader");
    ensemble.kill(leader);
    ensemble.wait_for_leader(Duration::from_secs(20)).unwrap();
    common::wait_until_connected(&session, TIMEOUT).await;
    assert!(!permit.is_lost());
    permit.release().await.unwrap();
    common::assert_fifo(order, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_whose_turn_node_is_deleted_starts_over_instead_of_blocking_the_next() {
    let server = ZkServer::shared();
    let session = session_to(&server.connect_string(), TIMEOUT).await;
    let path = unique_path("turn-deleted");
    let semaphore = DistSemaphore::new(session.clone(), &path, 1).unwrap();
    let permit = semaphore.acquire().await.unwrap();
    let (locks, leases) = (format!("{path}/locks"), format!("{path}/leases"));
    let waiter = |semaphore: DistSemaphore| {
        tokio::spawn(async move {
            let permit = semaphore.acquire().await?;
            permit.release().await
        })
    };
    // The first waiter holds the turn and counts; the second queues for the turn.
    let first = waiter(
        DistSemaphore::new(
            session_to(&server.connect_string(), TIMEOUT).await,
            &path,
            1,
        )
        .unwrap(),
    );
    eventually(TIMEOUT, "the first waiter counts", || {
        let (session, leases) = (session.clone(), leases.clone());
        async move { children(&session, &leases).await.len() == 2 }
    })
    .await;
    let second = waiter(
        DistSemaphore::new(
            session_to(&server.connect_string(), TIMEOUT).await,
            &path,
            1,
        )
        .unwrap(),
    );
    eventually(TIMEOUT, "the second waiter queues", || {
        let (session, locks) = (session.clone(), locks.clone());
        async move { children(&session, &locks).await.len() == 2 }
    })
    .await;
    // Someone deletes the counting waiter's turn: the second one now counts too.
    let mut turns = children(&session, &locks).await;
    turns.sort_by_key(|name| name[name.len() - 10..].to_owned());
    let epoch = session.live_epoch().await.unwrap();
    epoch
        .delete(&format!("{locks}/{}", turns[0]))
        .await
        .unwrap();
    permit.release().await.unwrap();
    for waiter in [first, second] {
        tokio::time::timeout(Duration::from_secs(20), waiter)
            .await
            .expect("both waiters get the permit in turn")
            .unwrap()
            .unwrap();
    }
}
