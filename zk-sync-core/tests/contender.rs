//! The contender queue against a real ZooKeeper: acquisition, order, faults and cancellation.

mod common;

use common::{children, eventually, server, session_to, unique_path};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_core::backend::fault::{FaultAction, FaultPlan, Op};
use zk_sync_core::contender::{Exclusive, LossReason};
use zk_sync_core::{ContenderQueue, Error, Session};

async fn faulty_session(plan: &FaultPlan) -> Session {
    common::session_following(
        &server().connect_string(),
        Duration::from_millis(1500),
        plan,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncontended_acquire_creates_curator_named_node_and_release_removes_it() {
    let session = session_to(&server().connect_string()).await;
    let dir = unique_path("uncontended");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();

    let hold = queue.acquire(&Exclusive::LOCK, 0, b"me").await.unwrap();
    let name = hold.name().to_owned();
    assert!(name.starts_with("_c_"), "{name}");
    assert_eq!(
        &name[39..44],
        "-lock",
        "protected prefix is _c_ + 36-char uuid: {name}"
    );
    assert_eq!(name.len(), "_c_".len() + 36 + "-lock-".len() + 10, "{name}");
    assert_eq!(hold.session_id(), session.status().session_id);
    assert_eq!(children(&session, &dir).await, vec![name]);
    hold.release().await.unwrap();
    assert!(children(&session, &dir).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contenders_acquire_in_fifo_order_with_increasing_fencing_tokens() {
    let session = session_to(&server().connect_string()).await;
    let dir = unique_path("fifo");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    let first = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..5 {
        let queue = queue.clone();
        let order = order.clone();
        tasks.push(tokio::spawn(async move {
            let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
            order.lock().unwrap().push((i, hold.fencing_token()));
            tokio::time::sleep(Duration::from_millis(5)).await;
            hold.release().await.unwrap();
        }));
        // Each waiter's node must exist before the next one queues, so FIFO order is defined.
        let expected = i + 2;
        eventually(Duration::from_secs(5), "waiter queued", || {
            let session = session.clone();
            let dir = dir.clone();
            async move { children(&session, &dir).await.len() == expected }
        })
        .await;
    }
    let first_token = first.fencing_token();
    first.release().await.unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    assert_eq!(
        order.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    let mut previous = first_token;
    for (_, token) in order {
        assert!(token > previous, "fencing tokens must increase");
        previous = token;
    }
    assert!(children(&session, &dir).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_acquire_would_block_and_leaves_no_node() {
    let session = session_to(&server().connect_string()).await;
    let dir = unique_path("try");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    let hold = queue
        .try_acquire(&Exclusive::LOCK, 0, b"")
        .await
        .unwrap()
        .expect("free");
    assert!(queue
        .try_acquire(&Exclusive::LOCK, 0, b"")
        .await
        .unwrap()
        .is_none());
    eventually(Duration::from_secs(1), "failed try's node removed", || {
        let (session, dir) = (session.clone(), dir.clone());
        async move { children(&session, &dir).await.len() == 1 }
    })
    .await;
    drop(hold);
    eventually(Duration::from_secs(1), "dropped hold removed", || {
        let (session, dir) = (session.clone(), dir.clone());
        async move { children(&session, &dir).await.is_empty() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_loss_after_create_adopts_own_node_without_duplicate() {
    let plan = FaultPlan::new();
    let session = faulty_session(&plan).await;
    let dir = unique_path("lost-reply");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    // Make the directory exist first so the faulted create is the contender's own.
    drop(queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap());
    eventually(Duration::from_secs(1), "empty dir", || {
        let (session, dir) = (session.clone(), dir.clone());
        async move { children(&session, &dir).await.is_empty() }
    })
    .await;

    plan.inject_next(Op::Create, FaultAction::ConnectionLossAfterSend);
    let creates_before = plan.calls(Op::Create);
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert!(!plan.has_pending(), "the fault fired");
    assert_eq!(
        plan.calls(Op::Create) - creates_before,
        1,
        "recovered without a second create"
    );
    assert_eq!(
        children(&session, &dir).await,
        vec![hold.name().to_owned()],
        "no duplicate"
    );
    hold.release().await.unwrap();
    assert!(children(&session, &dir).await.is_empty(), "no orphan");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_session_change_a_node_of_the_old_session_is_never_adopted() {
    let plan = FaultPlan::new();
    let session = faulty_session(&plan).await;
    let observer = session_to(&server().connect_string()).await;
    let dir = unique_path("old-session");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    drop(queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap());
    let old_session = session.status().session_id;

    // The create reaches the server, then the session is declared expired while the server
    // keeps it alive: its node stays behind with our protected prefix.
    plan.inject_next(Op::Create, FaultAction::ExpireAfterSend);
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert_eq!(session.status().epoch, 2);
    assert_ne!(
        hold.session_id(),
        old_session,
        "hold belongs to the new session"
    );
    let nodes = children(&observer, &dir).await;
    assert_eq!(
        nodes,
        vec![hold.name().to_owned()],
        "old session's node deleted, not adopted"
    );
    hold.release().await.unwrap();
    plan.release_retained();
    assert!(children(&observer, &dir).await.is_empty());
}

/// Drops an acquire future at one await point and checks the directory empties within a second.
async fn cancel_while(
    plan: &FaultPlan,
    session: &Session,
    dir: &str,
    hold_first: bool,
    arm: impl FnOnce(),
) {
    let queue = ContenderQueue::new(session.clone(), dir, "test").unwrap();
    let blocker = if hold_first {
        Some(queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap())
    } else {
        None
    };
    arm();
    let attempt = tokio::time::timeout(
        Duration::from_millis(300),
        queue.acquire(&Exclusive::LOCK, 0, b""),
    );
    assert!(
        attempt.await.is_err(),
        "acquire should still be pending when cancelled"
    );
    drop(blocker);
    eventually(
        Duration::from_secs(1),
        "directory empty after cancel",
        || async { children(session, dir).await.is_empty() },
    )
    .await;
    assert!(!plan.has_pending());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_at_every_await_point_leaves_the_directory_empty() {
    let plan = FaultPlan::new();
    let session = faulty_session(&plan).await;
    let dir = unique_path("cancel");
    // Directory exists beforehand so each create is the contender's own.
    drop(
        ContenderQueue::new(session.clone(), &dir, "t")
            .unwrap()
            .acquire(&Exclusive::LOCK, 0, b"")
            .await
            .unwrap(),
    );

    // 1. create in flight: the reply is held back past the cancellation.
    cancel_while(&plan, &session, &dir, false, || {
        plan.inject_next(Op::Create, FaultAction::DelayReply(Duration::from_secs(2)))
    })
    .await;
    // 2. create answered, pipelined listing in flight.
    cancel_while(&plan, &session, &dir, false, || {
        plan.inject_next(
            Op::GetChildren,
            FaultAction::DelayReply(Duration::from_secs(2)),
        )
    })
    .await;
    // 3. waiting on a predecessor.
    cancel_while(&plan, &session, &dir, true, || {}).await;
    // 4. arming the predecessor watch.
    cancel_while(&plan, &session, &dir, true, || {
        plan.inject_next(Op::GetData, FaultAction::DelayReply(Duration::from_secs(2)))
    })
    .await;
    // 5. recovering after a lost create reply.
    cancel_while(&plan, &session, &dir, false, || {
        plan.inject_next(Op::Create, FaultAction::ConnectionLossAfterSend);
        // The first listing is the one pipelined behind the create; the second is recovery's.
        plan.inject_next(Op::GetChildren, FaultAction::Pass);
        plan.inject_next(
            Op::GetChildren,
            FaultAction::DelayReply(Duration::from_secs(2)),
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_reports_its_node_deleted_by_someone_else() {
    let session = session_to(&server().connect_string()).await;
    let other = session_to(&server().connect_string()).await;
    let dir = unique_path("deleted");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let path = hold.path().to_owned();
    let lost = tokio::spawn(async move {
        let reason = hold.lost().await;
        (reason, hold.release().await)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    other
        .live_epoch()
        .await
        .unwrap()
        .backend()
        .delete(&path, None)
        .await
        .unwrap();
    let (reason, released) = tokio::time::timeout(Duration::from_secs(5), lost)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reason, LossReason::NodeDeleted);
    assert!(
        matches!(released, Err(Error::NodeDeleted { .. })),
        "{released:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_acquires_even_when_the_directory_is_missing() {
    let session = session_to(&server().connect_string()).await;
    let dir = format!("{}/deep/er", unique_path("ancestors"));
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    let hold = queue.acquire(&Exclusive::LATCH, 0, b"x").await.unwrap();
    assert!(hold.name().contains("-latch-"));
    hold.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_release_is_ordered_before_the_next_acquire_of_the_session() {
    let session = session_to(&server().connect_string()).await;
    let dir = unique_path("queued-release");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    let mut previous = None;
    for _ in 0..20 {
        let hold = queue
            .try_acquire(&Exclusive::LOCK, 0, b"")
            .await
            .unwrap()
            .expect("previous release applied first");
        assert!(Some(hold.fencing_token()) > previous);
        previous = Some(hold.fencing_token());
        hold.release_queued().unwrap();
    }
    eventually(Duration::from_secs(1), "last release applied", || {
        let (session, dir) = (session.clone(), dir.clone());
        async move { children(&session, &dir).await.is_empty() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_release_still_releases() {
    let plan = FaultPlan::new();
    let session = faulty_session(&plan).await;
    let dir = unique_path("cancelled-release");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    // The delete keeps failing before it is sent, so the release is still retrying when it is
    // cancelled; the hold must then be released in the background.
    for _ in 0..5 {
        plan.inject_next(Op::Delete, FaultAction::ConnectionLossBeforeSend);
    }
    let release = tokio::time::timeout(Duration::from_millis(100), hold.release());
    let _ = release.await;
    eventually(
        Duration::from_secs(2),
        "node released after a cancelled release",
        || {
            let (session, dir) = (session.clone(), dir.clone());
            async move { children(&session, &dir).await.is_empty() }
        },
    )
    .await;
}
