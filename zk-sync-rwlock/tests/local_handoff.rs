//! Local hand-off of the write side: the writers of one process share one write node, pass
//! it in memory with strictly increasing tokens, and let a reader (of this process or any
//! other) in within the bound.

mod common;

use common::{children, eventually, session_to, unique_path};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_rwlock::{DistRwLock, FencingToken, Session, TryLockError};
use zk_sync_testkit::ZkServer;

const TIMEOUT: Duration = Duration::from_secs(10);

async fn session() -> Session {
    session_to(&ZkServer::shared().connect_string(), TIMEOUT).await
}

fn local(session: Session, path: &str, max: u32, linger: Duration) -> DistRwLock {
    DistRwLock::builder(session, path)
        .local_handoff(true)
        .max_local_handoffs(max)
        .linger(linger)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writers_of_one_session_share_one_write_node_with_increasing_tokens() {
    const WRITERS: usize = 8;
    const WRITES: usize = 40;
    let (session, observer) = (session().await, session().await);
    let path = unique_path("local/writers");
    let one = local(session.clone(), &path, 64, Duration::from_millis(20));
    let two = local(session.clone(), &path, 64, Duration::from_millis(20));
    assert!(one.local_handoff() && !DistRwLock::new(session, &path).unwrap().local_handoff());
    // A counter that only exclusion keeps whole: read, yield, write.
    let counter = Arc::new(AtomicU64::new(0));
    let tokens = Arc::new(std::sync::Mutex::new(Vec::new()));
    let nodes = Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let lock = if i % 2 == 0 { one.clone() } else { two.clone() };
            let (counter, tokens, nodes) = (counter.clone(), tokens.clone(), nodes.clone());
            tokio::spawn(async move {
                for _ in 0..WRITES {
                    let guard = lock.write().await.unwrap();
                    let value = counter.load(Ordering::Acquire);
                    tokio::task::yield_now().await;
                    counter.store(value + 1, Ordering::Release);
                    tokens.lock().unwrap().push(guard.fencing_token());
                    nodes.lock().unwrap().insert(guard.path().to_owned());
                    guard.unlock().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(counter.load(Ordering::Acquire), (WRITERS * WRITES) as u64);
    let tokens = tokens.lock().unwrap().clone();
    assert!(
        tokens.windows(2).all(|pair| pair[0] < pair[1]),
        "tokens in hold order strictly increase: {tokens:?}"
    );
    // Nobody else queued, so one node carried every write.
    assert_eq!(
        nodes.lock().unwrap().len(),
        1,
        "{:?}",
        nodes.lock().unwrap()
    );
    assert_eq!(
        tokens.last().unwrap().local_count(),
        (WRITERS * WRITES - 1) as u64
    );
    eventually(TIMEOUT, "the node goes after the linger", || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { children(&observer, &path).await.is_empty() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_gets_in_within_max_local_handoffs_while_eight_writers_hammer() {
    const MAX: u32 = 4;
    let session = session().await;
    let path = unique_path("local/reader-bound");
    let writers = local(session.clone(), &path, MAX, Duration::from_millis(20));
    let holds = Arc::new(AtomicU64::new(0));
    let writing = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let hammers: Vec<_> = (0..8)
        .map(|_| {
            let (lock, holds, writing, stop) = (
                writers.clone(),
                holds.clone(),
                writing.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Acquire) {
                    let guard = lock.write().await.unwrap();
                    assert!(!writing.swap(true, Ordering::AcqRel), "two writers at once");
                    holds.fetch_add(1, Ordering::AcqRel);
                    // One request per hold: a watch event sent before its reply has arrived
                    // when the hold ends.
                    let epoch = lock.session().live_epoch().await.unwrap();
                    epoch.data(lock.path()).await.unwrap();
                    writing.store(false, Ordering::Release);
                    guard.unlock().await.unwrap();
                }
            })
        })
        .collect();
    eventually(TIMEOUT, "the hammering started", || {
        let holds = holds.clone();
        async move { holds.load(Ordering::Acquire) > 50 }
    })
    .await;
    // A reader of the same process, on a lock without local hand-off, and one of another
    // session: both queue at the server behind the write node.
    for reader in [
        DistRwLock::new(session.clone(), &path).unwrap(),
        DistRwLock::new(self::session().await, &path).unwrap(),
    ] {
        assert!(matches!(
            reader.try_read().await,
            Err(TryLockError::WouldBlock)
        ));
        let before = holds.load(Ordering::Acquire);
        let guard = tokio::time::timeout(Duration::from_secs(30), reader.read())
            .await
            .expect("the reader gets in")
            .unwrap();
        let during = holds.load(Ordering::Acquire) - before;
        // The reader queued right after `before` was read; the node may carry the holds
        // then under way, the bound, and one begun before the watch event arrived.
        assert!(
            during <= u64::from(MAX) + 3,
            "{during} write holds began after the reader queued (max_local_handoffs {MAX})"
        );
        assert!(
            !writing.load(Ordering::Acquire),
            "a writer in with the reader"
        );
        let held_at = holds.load(Ordering::Acquire);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            holds.load(Ordering::Acquire),
            held_at,
            "no write while read"
        );
        assert!(guard.fencing_token() > FencingToken::from_czxid(0));
        guard.unlock().await.unwrap();
    }
    stop.store(true, Ordering::Release);
    for hammer in hammers {
        tokio::time::timeout(TIMEOUT, hammer)
            .await
            .unwrap()
            .unwrap();
    }
}
