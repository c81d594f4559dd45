//! A woken waiter walks the contenders its first listing named, one read at a time, and lists
//! the directory again only when the walk cannot be trusted. Requests are counted in a
//! wrapped backend per session, and on the server (its response caches count each `getData`
//! and `getChildren` answered with data).

mod common;

use common::{
    children, eventually, server, session_following, session_to, unique_path, wait_for_state,
};
use std::time::Duration;
use tokio::sync::mpsc;
use zk_sync_core::backend::fault::{FaultPlan, Op};
use zk_sync_core::contender::Exclusive;
use zk_sync_core::{ContenderQueue, Hold, Session, SessionState};
use zk_sync_testkit::{FaultProxy, ZkServer};

/// The session timeout of a session whose requests are counted: long enough to keep
/// keep-alive reads out of the counts.
const COUNTED: Duration = Duration::from_secs(30);

/// Successful `getData` and `getChildren` answers the server has sent so far.
fn server_reads(server: &ZkServer) -> (u64, u64) {
    let mntr = server.four_letter("mntr").expect("mntr");
    let value = |key: &str| -> u64 {
        mntr.lines()
            .filter_map(|line| line.split_once('\t'))
            .filter(|(name, _)| name.starts_with(key))
            .filter(|(name, _)| name.ends_with("_hits") || name.ends_with("_misses"))
            .filter_map(|(_, value)| value.trim().parse::<u64>().ok())
            .sum()
    };
    let get_children = value("zk_response_packet_get_children_cache_");
    (value("zk_response_packet_cache_"), get_children)
}

/// Whether the server holds a watch of session `id` on a node in `dir` (`wchp`: each watched
/// path, then the sessions watching it, one per line).
fn watches_below(server: &ZkServer, id: i64, dir: &str) -> bool {
    let wchp = server.four_letter("wchp").expect("wchp");
    let (session, prefix) = (format!("{id:#x}"), format!("{dir}/"));
    let mut path = "";
    wchp.lines().any(|line| match line.trim() {
        watcher if watcher.starts_with("0x") => path.starts_with(&prefix) && watcher == session,
        watched => {
            path = watched;
            false
        }
    })
}

/// Queues one waiter that sends its index once it holds, then releases; returns once its node
/// is in the directory, so that waiters queue in the order of the calls.
async fn queue_waiter(
    queue: &ContenderQueue,
    index: usize,
    observer: &Session,
    acquired: &mpsc::UnboundedSender<usize>,
) -> tokio::task::JoinHandle<()> {
    let expected = children(observer, queue.dir()).await.len() + 1;
    let (queue_for_task, acquired) = (queue.clone(), acquired.clone());
    let task = tokio::spawn(async move {
        let hold = queue_for_task
            .acquire(&Exclusive::LOCK, 0, b"")
            .await
            .unwrap();
        acquired.send(index).unwrap();
        hold.release().await.unwrap();
    });
    let (observer, dir) = (observer.clone(), queue.dir().to_owned());
    eventually(Duration::from_secs(10), "waiter queued", move || {
        let (observer, dir) = (observer.clone(), dir.clone());
        async move { children(&observer, &dir).await.len() >= expected }
    })
    .await;
    task
}

async fn receive_in_order(acquired: &mut mpsc::UnboundedReceiver<usize>, expected: &[usize]) {
    for want in expected {
        let got = tokio::time::timeout(Duration::from_secs(20), acquired.recv())
            .await
            .expect("next waiter acquires")
            .unwrap();
        assert_eq!(got, *want, "acquired out of order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hand_off_in_a_queue_of_two_hundred_costs_one_get_data_and_no_listing() {
    const WAITERS: usize = 200;
    let server = server();
    let plans = [FaultPlan::new(), FaultPlan::new()];
    let sessions = [
        session_following(&server.connect_string(), COUNTED, &plans[0]).await,
        session_following(&server.connect_string(), COUNTED, &plans[1]).await,
    ];
    let observer = session_to(&server.connect_string()).await;
    let dir = unique_path("walk-200");
    let queues: Vec<ContenderQueue> = sessions
        .iter()
        .map(|s| ContenderQueue::new(s.clone(), &dir, "test").unwrap())
        .collect();
    let first: Hold = queues[0].acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    // Alternating sessions: each waiter's predecessor belongs to the other session.
    for i in 0..WAITERS {
        tasks.push(queue_waiter(&queues[(i + 1) % 2], i, &observer, &tx).await);
    }
    // Every waiter has read its predecessor with a watch (one `getData` each).
    let reads = || plans.iter().map(|p| p.calls(Op::GetData)).sum::<usize>();
    eventually(Duration::from_secs(10), "every watch armed", || {
        let armed = reads() >= WAITERS;
        async move { armed }
    })
    .await;
    let count = |op| plans.iter().map(|p| p.calls(op)).sum::<usize>();
    let before = (
        count(Op::GetData),
        count(Op::GetChildren),
        count(Op::Create),
    );
    let server_before = server_reads(server);

    first.release().await.unwrap();
    receive_in_order(&mut rx, &(0..WAITERS).collect::<Vec<_>>()).await;
    for task in tasks {
        task.await.unwrap();
    }

    let after = (
        count(Op::GetData),
        count(Op::GetChildren),
        count(Op::Create),
    );
    let server_after = server_reads(server);
    assert_eq!(after.1 - before.1, 0, "no listing during the hand-offs");
    assert_eq!(after.2 - before.2, 0, "no create during the hand-offs");
    assert_eq!(
        after.0 - before.0,
        WAITERS,
        "one getData per hand-off (the woken waiter reads its own node)"
    );
    assert_eq!(
        server_after.1 - server_before.1,
        0,
        "the server answered no listing during the hand-offs"
    );
    assert!(
        server_after.0 - server_before.0 >= WAITERS as u64,
        "the server answered the reads: {server_before:?} → {server_after:?}"
    );
    assert!(children(&observer, &dir).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_whose_predecessors_were_cancelled_acquire_in_order() {
    let server = server();
    let plan = FaultPlan::new();
    let walker = session_following(&server.connect_string(), COUNTED, &plan).await;
    let other = session_to(&server.connect_string()).await;
    let observer = session_to(&server.connect_string()).await;
    let dir = unique_path("walk-cancelled");
    let ours = ContenderQueue::new(walker, &dir, "test").unwrap();
    let theirs = ContenderQueue::new(other, &dir, "test").unwrap();
    let first = theirs.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    // 0 ours, 1–3 cancelled in a row (two ours, one theirs), 4 ours, 5 theirs (cancelled),
    // 6 ours.
    let layout = [true, true, true, false, true, false, true];
    let mut tasks = Vec::new();
    for (i, is_ours) in layout.iter().enumerate() {
        let queue = if *is_ours { &ours } else { &theirs };
        tasks.push(queue_waiter(queue, i, &observer, &tx).await);
    }
    // The predecessor of 4, and the two before it, go out of order, and so does 6's.
    for cancelled in [3, 2, 1, 5] {
        tasks[cancelled].abort();
    }
    eventually(Duration::from_secs(10), "cancelled nodes removed", || {
        let (observer, dir) = (observer.clone(), dir.clone());
        async move { children(&observer, &dir).await.len() == 4 }
    })
    .await;
    let listings = plan.calls(Op::GetChildren);
    first.release().await.unwrap();
    receive_in_order(&mut rx, &[0, 4, 6]).await;
    assert_eq!(
        plan.calls(Op::GetChildren),
        listings,
        "the walk went past the cancelled nodes without listing"
    );
    eventually(Duration::from_secs(5), "directory empty", || {
        let (observer, dir) = (observer.clone(), dir.clone());
        async move { children(&observer, &dir).await.is_empty() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_lists_again_after_a_reconnect_and_still_acquires_in_order() {
    let server = server();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let plan = FaultPlan::new();
    let walker = session_following(&proxy.connect_string(), Duration::from_secs(5), &plan).await;
    let other = session_to(&server.connect_string()).await;
    let observer = session_to(&server.connect_string()).await;
    let dir = unique_path("walk-reconnect");
    let ours = ContenderQueue::new(walker.clone(), &dir, "test").unwrap();
    let theirs = ContenderQueue::new(other, &dir, "test").unwrap();
    let first = theirs.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let between = queue_waiter(&theirs, 0, &observer, &tx).await;
    let waiter = queue_waiter(&ours, 1, &observer, &tx).await;
    // Waiting on its watch: a read it sent only after the cut would be answered after the
    // reconnect, and a node gone by then is gone for good, so it would rightly not list.
    let walker_id = walker.status().session_id;
    eventually(Duration::from_secs(10), "the waiter's watch armed", || {
        let dir = dir.clone();
        async move { watches_below(server, walker_id, &dir) }
    })
    .await;
    let listings = plan.calls(Op::GetChildren);

    // The node the waiter walks past goes while it is disconnected.
    proxy.cut();
    wait_for_state(&walker, SessionState::Suspended, Duration::from_secs(5)).await;
    first.release().await.unwrap();
    receive_in_order(&mut rx, &[0]).await;
    between.await.unwrap();
    proxy.restore();
    wait_for_state(&walker, SessionState::Reconnected, Duration::from_secs(5)).await;

    receive_in_order(&mut rx, &[1]).await;
    waiter.await.unwrap();
    assert!(
        plan.calls(Op::GetChildren) > listings,
        "the transition made the waiter list again"
    );
}
