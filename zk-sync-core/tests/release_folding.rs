//! Releases queued on a session travel inside its next create (one transaction on the server),
//! and are never lost when that create fails, is cut off or is cancelled.

mod common;

use common::{children, eventually, server, session_to, unique_path};
use std::future::Future;
use std::time::Duration;
use zk_sync_core::backend::fault::{FaultAction, FaultPlan, Op};
use zk_sync_core::contender::Exclusive;
use zk_sync_core::{ContenderQueue, Hold, Session};

async fn faulty_session(plan: &FaultPlan) -> Session {
    common::session_following(
        &server().connect_string(),
        Duration::from_millis(1500),
        plan,
    )
    .await
}

/// Runs `body` as a runtime task, the way a service runs its work: a release queued in a task
/// waits for that task's next request (or its next yield).
async fn in_task(body: impl Future<Output = ()> + Send + 'static) {
    tokio::spawn(body).await.expect("test task");
}

async fn czxid(session: &Session, path: &str) -> i64 {
    let epoch = session.live_epoch().await.unwrap();
    epoch
        .data(path)
        .await
        .unwrap()
        .expect("node exists")
        .1
        .czxid
}

async fn until_empty(session: &Session, dir: &str, what: &str) {
    eventually(Duration::from_secs(2), what, || {
        let (session, dir) = (session.clone(), dir.to_owned());
        async move { children(&session, &dir).await.is_empty() }
    })
    .await;
}

/// Waits until no release or cleanup of `session` is queued or in flight.
async fn settled(session: &Session) {
    eventually(Duration::from_secs(2), "cleanups settle", || {
        let session = session.clone();
        async move { session.pending_cleanups() == 0 }
    })
    .await;
}

async fn acquire(queue: &ContenderQueue) -> Hold {
    acquire_as(queue, &Exclusive::LOCK).await
}

async fn acquire_as(queue: &ContenderQueue, recipe: &Exclusive) -> Hold {
    queue.acquire(recipe, 0, b"").await.unwrap()
}

/// Requests of each kind sent so far.
fn calls(plan: &FaultPlan) -> [usize; 3] {
    [Op::Create, Op::Delete, Op::GetChildren].map(|op| plan.calls(op))
}

// On one thread the flush task only runs when the test task waits, so the fold is certain;
// with several workers it is the usual outcome, not a guarantee (the flush may run first).
#[tokio::test(flavor = "current_thread")]
async fn locking_again_right_after_a_release_sends_one_transaction_with_the_real_czxid() {
    in_task(async {
        let plan = FaultPlan::new();
        let session = faulty_session(&plan).await;
        let observer = session_to(&server().connect_string()).await;
        let dir = unique_path("fold");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        let mut hold = acquire(&queue).await;
        let before = calls(&plan);
        for _ in 0..20 {
            let previous = (hold.path().to_owned(), hold.fencing_token());
            hold.release_queued().unwrap();
            hold = acquire(&queue).await;
            assert!(hold.fencing_token() > previous.1);
            assert_eq!(
                hold.fencing_token().as_i64(),
                czxid(&observer, hold.path()).await,
                "the token is the node's czxid"
            );
            assert_eq!(hold.stat().czxid, hold.stat().mzxid);
            assert_eq!(hold.stat().ephemeral_owner, hold.session_id());
            assert_eq!(
                children(&observer, &dir).await,
                vec![hold.name().to_owned()],
                "the previous node went in the same transaction"
            );
        }
        let after = calls(&plan);
        assert_eq!(after[0] - before[0], 20, "one create per cycle");
        assert_eq!(after[1] - before[1], 0, "no delete sent alone");
        assert_eq!(
            after[2] - before[2],
            0,
            "no listing: the new node's sequence number follows the released one's"
        );
        hold.release_queued().unwrap();
        until_empty(&observer, &dir, "last release applied").await;
        settled(&session).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_release_leaves_by_itself_when_nothing_follows() {
    in_task(async {
        let session = session_to(&server().connect_string()).await;
        let observer = session_to(&server().connect_string()).await;
        let dir = unique_path("fold-alone");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        acquire(&queue).await.release_queued().unwrap();
        // This task now only waits: the release must go out without its help.
        until_empty(&observer, &dir, "release applied").await;
        settled(&session).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_request_after_a_queued_release_comes_after_it() {
    in_task(async {
        let session = session_to(&server().connect_string()).await;
        let dir = unique_path("fold-order");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        for _ in 0..10 {
            acquire(&queue).await.release_queued().unwrap();
            assert!(
                queue.contenders(&Exclusive::LOCK).await.unwrap().is_empty(),
                "a listing through the same session sees the release"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carried_delete_of_a_node_someone_removed_does_not_block_the_create() {
    in_task(async {
        let plan = FaultPlan::new();
        let session = faulty_session(&plan).await;
        let admin = session_to(&server().connect_string()).await;
        let dir = unique_path("fold-vanished");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        let hold = acquire(&queue).await;
        let admin_epoch = admin.live_epoch().await.unwrap();
        assert!(admin_epoch.delete(hold.path()).await.unwrap());
        hold.release_queued().unwrap();
        // The transaction fails on the delete; the create is sent again on its own.
        let hold = acquire(&queue).await;
        assert_eq!(children(&admin, &dir).await, vec![hold.name().to_owned()]);
        assert_eq!(
            hold.fencing_token().as_i64(),
            czxid(&admin, hold.path()).await
        );
        hold.release().await.unwrap();
        assert!(children(&admin, &dir).await.is_empty());
        settled(&session).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_reply_to_a_folded_create_leaves_one_node_and_no_old_one() {
    in_task(async {
        let plan = FaultPlan::new();
        let session = faulty_session(&plan).await;
        let observer = session_to(&server().connect_string()).await;
        let dir = unique_path("fold-lost-reply");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        let hold = acquire(&queue).await;
        let old = hold.name().to_owned();
        hold.release_queued().unwrap();
        plan.inject_next(Op::Create, FaultAction::ConnectionLossAfterSend);
        let hold = acquire(&queue).await;
        assert!(!plan.has_pending(), "the fault fired");
        assert_ne!(hold.name(), old);
        assert_eq!(
            children(&observer, &dir).await,
            vec![hold.name().to_owned()],
            "the new node adopted, the old one gone, no duplicate"
        );
        assert_eq!(
            hold.fencing_token().as_i64(),
            czxid(&observer, hold.path()).await
        );
        hold.release_queued().unwrap();
        until_empty(&observer, &dir, "released").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folded_create_lost_before_sending_still_releases() {
    in_task(async {
        let plan = FaultPlan::new();
        let session = faulty_session(&plan).await;
        let observer = session_to(&server().connect_string()).await;
        let dir = unique_path("fold-not-sent");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        acquire(&queue).await.release_queued().unwrap();
        plan.inject_next(Op::Create, FaultAction::ConnectionLossBeforeSend);
        let hold = acquire(&queue).await;
        assert!(!plan.has_pending(), "the fault fired");
        assert_eq!(
            children(&observer, &dir).await,
            vec![hold.name().to_owned()]
        );
        hold.release().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_folded_create_loses_neither_the_release_nor_a_node() {
    in_task(async {
        let plan = FaultPlan::new();
        let session = faulty_session(&plan).await;
        let observer = session_to(&server().connect_string()).await;
        let dir = unique_path("fold-cancel");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        acquire(&queue).await.release_queued().unwrap();
        plan.inject_next(
            Op::Create,
            FaultAction::DelayReply(Duration::from_millis(500)),
        );
        let cancelled = tokio::time::timeout(Duration::from_millis(100), acquire(&queue)).await;
        assert!(
            cancelled.is_err(),
            "cancelled while the transaction's reply was held"
        );
        until_empty(&observer, &dir, "old and new node removed").await;
        settled(&session).await;
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_waiter_in_another_session_gets_a_folded_release_first() {
    let plan = FaultPlan::new();
    let session = faulty_session(&plan).await;
    let other = session_to(&server().connect_string()).await;
    let dir = unique_path("fold-fifo");
    let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
    let other_queue = ContenderQueue::new(other.clone(), &dir, "test").unwrap();
    let hold = acquire(&queue).await;
    let waiter = tokio::spawn(async move { acquire(&other_queue).await });
    zk_sync_core::test_util::wait_for_children(&session, &dir, 2).await;
    let deletes = plan.calls(Op::Delete);
    hold.release_queued().unwrap();
    let again = acquire(&queue);
    tokio::pin!(again);
    // The first poll sends our create, with the release inside it.
    assert!(futures::poll!(&mut again).is_pending());
    assert_eq!(
        plan.calls(Op::Delete) - deletes,
        0,
        "the release was folded"
    );
    let theirs = tokio::select! {
        theirs = waiter => theirs.unwrap(),
        _ = &mut again => panic!("we acquired before the waiter that came first"),
        _ = tokio::time::sleep(Duration::from_secs(5)) => panic!("the waiter was not woken"),
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        futures::poll!(&mut again).is_pending(),
        "we queued behind the waiter"
    );
    let their_token = theirs.fencing_token();
    theirs.release().await.unwrap();
    let ours = tokio::time::timeout(Duration::from_secs(5), again)
        .await
        .expect("our turn after theirs");
    assert!(ours.fencing_token() > their_token);
    ours.release().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn an_older_child_of_another_kind_makes_the_next_acquire_list_the_directory() {
    in_task(async {
        let plan = FaultPlan::new();
        let session = faulty_session(&plan).await;
        let other = session_to(&server().connect_string()).await;
        let dir = unique_path("fold-older");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        // Not a `lock-` contender, so it does not stop us from holding; but it is older.
        let other_queue = ContenderQueue::new(other.clone(), &dir, "test").unwrap();
        let latch = acquire_as(&other_queue, &Exclusive::LATCH).await;
        let mut hold = acquire(&queue).await;
        for _ in 0..3 {
            let listings = plan.calls(Op::GetChildren);
            hold.release_queued().unwrap();
            hold = acquire(&queue).await;
            assert_eq!(
                plan.calls(Op::GetChildren) - listings,
                1,
                "an older child exists: the queue must be listed"
            );
        }
        assert_eq!(children(&other, &dir).await.len(), 2);
        hold.release().await.unwrap();
        latch.release().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_latch_released_and_taken_again_gets_its_czxid_through_a_scratch_node() {
    in_task(async {
        let plan = FaultPlan::new();
        let session = faulty_session(&plan).await;
        let observer = session_to(&server().connect_string()).await;
        let dir = unique_path("fold-latch");
        let queue = ContenderQueue::new(session.clone(), &dir, "test").unwrap();
        let mut hold = acquire_as(&queue, &Exclusive::LATCH).await;
        for _ in 0..5 {
            let previous = hold.fencing_token();
            let before = calls(&plan);
            hold.release_queued().unwrap();
            hold = acquire_as(&queue, &Exclusive::LATCH).await;
            assert_eq!(
                calls(&plan)
                    .iter()
                    .zip(before)
                    .map(|(a, b)| a - b)
                    .collect::<Vec<_>>(),
                [1, 0, 1],
                "one transaction with the listing pipelined behind it"
            );
            assert!(hold.fencing_token() > previous);
            assert_eq!(
                hold.fencing_token().as_i64(),
                czxid(&observer, hold.path()).await
            );
            assert_eq!(
                children(&observer, &dir).await,
                vec![hold.name().to_owned()]
            );
        }
        hold.release().await.unwrap();
    })
    .await;
}
