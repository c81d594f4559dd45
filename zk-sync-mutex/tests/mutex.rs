//! `DistMutex` behaviour on a real ZooKeeper: exclusion, order, try-lock, owned guards, input.

mod common;

use common::{children, session_to, unique_path, wait_for_children};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_mutex::{DistMutex, Error, TryLockError};
use zk_sync_testkit::ZkServer;

const TIMEOUT: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_in_separate_sessions_never_hold_together() {
    let path = unique_path("exclusion");
    let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (path, inside) = (path.clone(), inside.clone());
        tasks.push(tokio::spawn(async move {
            let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
            let mutex = DistMutex::new(session, &path).unwrap();
            for _ in 0..10 {
                let guard = mutex.lock().await.unwrap();
                assert_eq!(
                    inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
                    0,
                    "two holders"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
                inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                guard.unlock().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    common::eventually(Duration::from_secs(2), "no node left", || async {
        children(&session, &path).await.is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_acquire_in_fifo_order_with_increasing_fencing_tokens() {
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let path = unique_path("fifo");
    let mutex = Arc::new(DistMutex::new(session.clone(), &path).unwrap());
    let first = mutex.lock().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..8 {
        let (mutex, tx) = (mutex.clone(), tx.clone());
        tokio::spawn(async move {
            let guard = mutex.lock_owned().await.unwrap();
            tx.send((i, guard.fencing_token())).unwrap();
            guard.unlock().await.unwrap();
        });
        wait_for_children(&session, &path, i + 2).await;
    }
    let mut last = first.fencing_token();
    first.unlock().await.unwrap();
    for expected in 0..8 {
        let (i, token) = rx.recv().await.unwrap();
        assert_eq!(i, expected, "FIFO");
        assert!(token > last, "fencing tokens increase");
        last = token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_lock_would_block_is_distinct_from_errors() {
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let other = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let path = unique_path("try");
    let mutex = DistMutex::new(session.clone(), &path).unwrap();
    let rival = Arc::new(DistMutex::new(other.clone(), &path).unwrap());
    let guard = mutex.try_lock().await.expect("free lock");
    assert!(matches!(
        rival.try_lock().await,
        Err(TryLockError::WouldBlock)
    ));
    assert!(rival
        .clone()
        .try_lock_owned()
        .await
        .unwrap_err()
        .is_would_block());
    guard.unlock().await.unwrap();
    // `unlock` does not wait for the server: another session sees the release a moment later.
    common::eventually(Duration::from_secs(1), "release applied", || async {
        children(&session, &path).await.is_empty()
    })
    .await;
    let owned = rival
        .clone()
        .try_lock_owned()
        .await
        .expect("released lock is free");
    assert_eq!(owned.mutex().path(), path);
    drop(owned);
    common::eventually(Duration::from_secs(1), "dropped guard released", || async {
        children(&session, &path).await.is_empty()
    })
    .await;

    other.close().await;
    match rival.try_lock().await {
        Err(TryLockError::Error(error)) => assert!(error.is_closed(), "{error}"),
        other => panic!("expected a closed-session error, got {other:?}"),
    }
    assert!(matches!(rival.lock().await, Err(Error::Closed)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_use_curators_protected_lock_names() {
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let path = unique_path("names");
    let mutex = DistMutex::new(session.clone(), &path).unwrap();
    let guard = mutex.lock().await.unwrap();
    let name = guard.path().rsplit('/').next().unwrap().to_owned();
    let (prefix, sequence) = name.split_at(name.len() - 10);
    assert!(
        prefix.starts_with("_c_") && prefix.ends_with("-lock-"),
        "{name}"
    );
    assert!(uuid::Uuid::parse_str(&prefix[3..39]).is_ok(), "{name}");
    assert!(sequence.chars().all(|c| c.is_ascii_digit()), "{name}");
    assert_eq!(children(&session, &path).await, vec![name]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_data_is_written_into_every_contender_node() {
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let path = unique_path("node-data");
    let mutex = DistMutex::builder(session.clone(), &path)
        .node_data("worker-7")
        .build()
        .unwrap();
    let guard = mutex.lock().await.unwrap();
    let epoch = session.live_epoch().await.unwrap();
    let (data, _) = epoch.data(guard.path()).await.unwrap().expect("the node");
    assert_eq!(data, b"worker-7");
    guard.unlock().await.unwrap();
    let tried = mutex.try_lock().await.unwrap();
    let (data, _) = epoch.data(tried.path()).await.unwrap().expect("the node");
    assert_eq!(data, b"worker-7", "try_lock writes it too");
    tried.unlock().await.unwrap();

    let shared = DistMutex::builder(session, &path)
        .local_handoff(true)
        .node_data("worker-7")
        .build()
        .unwrap_err();
    assert!(shared.is_invalid_argument(), "{shared}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_paths_are_typed_errors() {
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    for path in [
        "",
        "/",
        "relative",
        "/trailing/",
        "/a//b",
        "/nul\0",
        "/a/./b",
    ] {
        let error = DistMutex::new(session.clone(), path).unwrap_err();
        assert!(error.is_invalid_argument(), "{path:?}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_lock_leaves_nothing_behind() {
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let path = unique_path("timeout");
    let mutex = DistMutex::new(session.clone(), &path).unwrap();
    let guard = mutex.lock().await.unwrap();
    let waiter = DistMutex::new(
        session_to(&ZkServer::shared().connect_string(), TIMEOUT).await,
        &path,
    )
    .unwrap();
    for _ in 0..5 {
        assert!(
            tokio::time::timeout(Duration::from_millis(50), waiter.lock())
                .await
                .is_err()
        );
    }
    common::eventually(Duration::from_secs(1), "cancelled waiters gone", || async {
        children(&session, &path).await.len() == 1
    })
    .await;
    guard.unlock().await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(2), waiter.lock());
    next.await
        .expect("free after unlock")
        .unwrap()
        .unlock()
        .await
        .unwrap();
}

fn send<T: Send>(_: &T) {}
fn sync<T: Sync>(_: &T) {}

/// Compile-time checks: every future a user awaits, and every guard, is `Send`.
#[allow(dead_code)]
fn futures_and_guards_are_send(
    mutex: DistMutex,
    arc: Arc<DistMutex>,
    guard: zk_sync_mutex::DistMutexGuard<'_>,
    owned: zk_sync_mutex::OwnedDistMutexGuard,
) {
    send(&mutex.lock());
    send(&mutex.try_lock());
    send(&arc.clone().lock_owned());
    send(&arc.try_lock_owned());
    sync(&guard);
    sync(&owned);
    send(&guard.lost());
    send(&guard.uncertain());
    send(&owned.lost());
    send(&guard.unlock());
    send(&owned.unlock());
}
