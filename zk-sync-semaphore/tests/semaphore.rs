//! `DistSemaphore` on a real ZooKeeper: the limit across sessions, try-acquires, permits for
//! many, owned permits, cancellation, FIFO order, node names and input.

mod common;

use common::{children, eventually, session_to, unique_path, Inside};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use zk_sync_semaphore::{DistSemaphore, Error, FencingToken, Session, TryAcquireError};
use zk_sync_testkit::ZkServer;

const TIMEOUT: Duration = Duration::from_secs(10);

async fn session() -> Session {
    session_to(&ZkServer::shared().connect_string(), TIMEOUT).await
}

async fn nodes(observer: &Session, path: &str) -> (usize, usize) {
    (
        children(observer, &format!("{path}/locks")).await.len(),
        children(observer, &format!("{path}/leases")).await.len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_holders_than_permits_across_sessions() {
    const PERMITS: u32 = 3;
    let path = unique_path("limit");
    let inside = Inside::default();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let semaphore = DistSemaphore::new(session().await, &path, PERMITS).unwrap();
        for _ in 0..3 {
            let (semaphore, inside) = (semaphore.clone(), inside.clone());
            tasks.push(tokio::spawn(async move {
                let mut tokens = Vec::new();
                for _ in 0..8 {
                    let permit = semaphore.acquire().await.unwrap();
                    assert!(
                        inside.enter() <= PERMITS as usize,
                        "more holders than permits"
                    );
                    tokens.push(permit.fencing_token());
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    inside.leave();
                    permit.release().await.unwrap();
                }
                tokens
            }));
        }
    }
    for task in tasks {
        let tokens = task.await.unwrap();
        assert!(
            tokens.windows(2).all(|pair| pair[0] < pair[1]),
            "{tokens:?}"
        );
    }
    assert!(inside.most() >= 1);
    // Every permit can be held at once: three holders of three sessions meet while holding.
    let all_in = Arc::new(tokio::sync::Barrier::new(PERMITS as usize));
    let meeting: Vec<_> = (0..PERMITS)
        .map(|_| {
            let (path, all_in) = (path.clone(), all_in.clone());
            tokio::spawn(async move {
                let semaphore = DistSemaphore::new(session().await, &path, PERMITS).unwrap();
                let permit = semaphore.acquire().await.unwrap();
                tokio::time::timeout(TIMEOUT, all_in.wait())
                    .await
                    .expect("every permit held at once");
                permit.release().await.unwrap();
            })
        })
        .collect();
    for task in meeting {
        task.await.unwrap();
    }
    let observer = session().await;
    eventually(TIMEOUT, "every node deleted", || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { nodes(&observer, &path).await == (0, 0) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_acquire_says_no_permits_apart_from_errors_and_many_counts_as_many() {
    let path = unique_path("try");
    let session = session().await;
    let semaphore = DistSemaphore::new(session.clone(), &path, 3).unwrap();
    assert_eq!(semaphore.available_permits().await.unwrap(), 3);
    let two = semaphore.acquire_many(2).await.unwrap();
    assert_eq!(two.num_permits(), 2);
    assert_eq!(two.lease_paths().count(), 2);
    assert!(two
        .lease_paths()
        .all(|p| p.starts_with(&format!("{path}/leases/_c_")) && p.contains("-lease-")));
    assert_eq!(semaphore.available_permits().await.unwrap(), 1);
    assert!(matches!(
        semaphore.try_acquire_many(2).await,
        Err(TryAcquireError::NoPermits)
    ));
    let one = semaphore.try_acquire().await.unwrap();
    assert!(one.fencing_token() > two.fencing_token());
    let refused = semaphore.try_acquire().await.unwrap_err();
    assert!(refused.is_no_permits(), "{refused}");
    two.release().await.unwrap();
    let again = semaphore.try_acquire_many(2).await.unwrap();
    drop((one, again));
    let observer = self::session().await;
    eventually(TIMEOUT, "the refused attempts left nothing", || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { nodes(&observer, &path).await == (0, 0) }
    })
    .await;
    session.close().await;
    match semaphore.try_acquire().await {
        Err(TryAcquireError::Error(Error::Closed)) => {}
        other => panic!("a closed session is an error, not NoPermits: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_typed_error_at_the_call() {
    let session = session().await;
    for (path, permits) in [("relative", 1), ("/", 1), ("/trailing/", 1), ("/ok", 0)] {
        let error = DistSemaphore::new(session.clone(), path, permits).unwrap_err();
        assert!(error.is_invalid_argument(), "{path} {permits}: {error}");
    }
    let semaphore = DistSemaphore::new(session, &unique_path("input"), 2).unwrap();
    for n in [0, 3] {
        let error = semaphore.acquire_many(n).await.unwrap_err();
        assert!(error.is_invalid_argument(), "acquire_many({n}): {error}");
        match semaphore.try_acquire_many(n).await {
            Err(TryAcquireError::Error(error)) => assert!(error.is_invalid_argument()),
            other => panic!("try_acquire_many({n}): {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_get_their_permits_in_fifo_order_and_owned_permits_move() {
    let path = unique_path("fifo");
    let semaphore = Arc::new(DistSemaphore::new(session().await, &path, 1).unwrap());
    let observer = session().await;
    let first = semaphore.clone().acquire_owned().await.unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut waiters = Vec::new();
    for i in 0..5 {
        let (semaphore, tx) = (semaphore.clone(), tx.clone());
        waiters.push(tokio::spawn(async move {
            let permit = semaphore.acquire_many_owned(1).await.unwrap();
            tx.send(i).unwrap();
            permit.release().await.unwrap();
        }));
        // The next waiter queues once this one's turn node is there.
        eventually(TIMEOUT, "waiter queued", || {
            let (observer, path) = (observer.clone(), path.clone());
            async move { nodes(&observer, &path).await.0 == i + 1 }
        })
        .await;
    }
    let holder = tokio::spawn(async move {
        assert_eq!(first.semaphore().permits(), 1);
        first.release().await
    });
    holder.await.unwrap().unwrap();
    for want in 0..5 {
        let got = tokio::time::timeout(TIMEOUT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, want, "served out of order");
    }
    for waiter in waiters {
        waiter.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acquire_cancelled_at_any_point_leaves_no_node() {
    let path = unique_path("cancel");
    let semaphore = DistSemaphore::new(session().await, &path, 1).unwrap();
    let observer = session().await;
    // Cancelled while free: at every step of taking the turn and the lease.
    for micros in [0, 100, 300, 600, 1_000, 2_000, 4_000] {
        let attempt = tokio::time::timeout(Duration::from_micros(micros), semaphore.acquire());
        drop(attempt.await);
    }
    eventually(TIMEOUT, "no node left by a cancelled free acquire", || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { nodes(&observer, &path).await == (0, 0) }
    })
    .await;
    // Cancelled while waiting for a lease (holding the turn) and while queued for the turn.
    let held = semaphore.acquire().await.unwrap();
    let counting = tokio::spawn({
        let semaphore = semaphore.clone();
        async move { drop(semaphore.acquire().await) }
    });
    eventually(TIMEOUT, "the waiter counts the leases", || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { nodes(&observer, &path).await == (1, 2) }
    })
    .await;
    let queued = tokio::spawn({
        let semaphore = semaphore.clone();
        async move { drop(semaphore.acquire().await) }
    });
    eventually(TIMEOUT, "the second waiter queues for the turn", || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { nodes(&observer, &path).await == (2, 2) }
    })
    .await;
    counting.abort();
    queued.abort();
    eventually(TIMEOUT, "only the holder's lease is left", || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { nodes(&observer, &path).await == (0, 1) }
    })
    .await;
    assert!(held.fencing_token() > FencingToken::from_czxid(0));
    drop(held);
    eventually(TIMEOUT, "a dropped permit gives its lease back", || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { nodes(&observer, &path).await == (0, 0) }
    })
    .await;
    assert_eq!(semaphore.available_permits().await.unwrap(), 1);
}
