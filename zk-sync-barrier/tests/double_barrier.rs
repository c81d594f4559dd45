//! `DoubleBarrier` on a real ZooKeeper: enter together, leave together, round after round.

mod common;

use common::{children, session_to, unique_path, wait_for_children};
use futures::future::join_all;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_barrier::{DoubleBarrier, Error};
use zk_sync_testkit::ZkServer;

const TIMEOUT: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_enter_and_leave_together_round_after_round() {
    const N: usize = 3;
    let path = unique_path("rounds");
    let arrived = Arc::new(AtomicUsize::new(0));
    let leaving = Arc::new(AtomicUsize::new(0));
    let leaders = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..N {
        let (path, arrived, leaving, leaders) = (
            path.clone(),
            arrived.clone(),
            leaving.clone(),
            leaders.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
            let barrier = DoubleBarrier::new(session, &path, N).unwrap();
            for round in 0..3 {
                // Stagger: participant i arrives i * 100 ms late, so early ones must wait.
                tokio::time::sleep(Duration::from_millis(100 * i as u64)).await;
                arrived.fetch_add(1, Ordering::SeqCst);
                let entered = barrier.enter().await.unwrap();
                assert!(
                    arrived.load(Ordering::SeqCst) >= N * (round + 1),
                    "passed enter before the last arrived"
                );
                if entered.is_leader() {
                    leaders.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(100 * (N - i) as u64)).await;
                leaving.fetch_add(1, Ordering::SeqCst);
                barrier.leave().await.unwrap();
                assert!(
                    leaving.load(Ordering::SeqCst) >= N * (round + 1),
                    "passed leave before the last started leaving"
                );
            }
        }));
    }
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("rounds finish")
            .unwrap();
    }
    assert_eq!(
        leaders.load(Ordering::SeqCst),
        3,
        "exactly one leader per round"
    );
    let observer = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    assert!(
        children(&observer, &path).await.is_empty(),
        "no member and no ready node left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misuse_is_a_typed_error() {
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    assert!(matches!(
        DoubleBarrier::new(session.clone(), "/b", 0),
        Err(Error::ZeroParticipants)
    ));
    assert!(DoubleBarrier::new(session.clone(), "b/", 2)
        .unwrap_err()
        .is_invalid_argument());
    let barrier = DoubleBarrier::new(session.clone(), &unique_path("misuse"), 1).unwrap();
    assert!(matches!(barrier.leave().await, Err(Error::NotEntered)));
    let entered = barrier.enter().await.unwrap();
    assert!(
        entered.is_leader(),
        "a one-participant barrier is its own leader"
    );
    assert!(matches!(barrier.enter().await, Err(Error::AlreadyEntered)));
    barrier.leave().await.unwrap();
    assert!(matches!(barrier.leave().await, Err(Error::NotEntered)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_enter_removes_its_member_node() {
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let path = unique_path("cancel");
    let barrier = DoubleBarrier::new(session.clone(), &path, 2).unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), barrier.enter())
            .await
            .is_err()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while !children(&session, &path).await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "member node left behind"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The participant is outside again and can enter for real.
    let other = DoubleBarrier::new(
        session_to(&ZkServer::shared().connect_string(), TIMEOUT).await,
        &path,
        2,
    )
    .unwrap();
    let (a, b) = tokio::join!(barrier.enter(), other.enter());
    assert_ne!(a.unwrap().is_leader(), b.unwrap().is_leader());
    let (a, b) = tokio::join!(barrier.leave(), other.leave());
    a.unwrap();
    b.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_participant_inside_counts_as_left() {
    let path = unique_path("dropped");
    let connect = ZkServer::shared().connect_string();
    let mut barriers = Vec::new();
    for _ in 0..3 {
        barriers.push(DoubleBarrier::new(session_to(&connect, TIMEOUT).await, &path, 3).unwrap());
    }
    let entered = join_all(barriers.iter().map(|b| b.enter())).await;
    let entered: Vec<_> = entered.into_iter().map(Result::unwrap).collect();
    assert_eq!(entered.iter().filter(|e| e.is_leader()).count(), 1);
    // The third participant goes away while inside (its value is dropped; a crash is the same).
    drop(barriers.pop());
    let observer = session_to(&connect, TIMEOUT).await;
    wait_for_children(&observer, &path, 3).await; // two members + ready
    let left = tokio::time::timeout(Duration::from_secs(5), async {
        let (a, b) = tokio::join!(barriers[0].leave(), barriers[1].leave());
        a.and(b)
    });
    left.await
        .expect("leave does not wait for a participant that is gone")
        .unwrap();
}
