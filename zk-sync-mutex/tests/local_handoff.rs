//! Local hand-off: the tasks of one process share one node, pass the lock in memory, let other
//! sessions go within the bound, and leave nothing behind.

mod common;

use common::{children, eventually, session_following, session_to, unique_path};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_core::backend::fault::{FaultPlan, Op};
use zk_sync_mutex::{DistMutex, FencingToken, Session, TryLockError};
use zk_sync_testkit::{curator_program, ZkServer};

const TIMEOUT: Duration = Duration::from_secs(10);

fn local(session: Session, path: &str, max: u32, linger: Duration) -> DistMutex {
    DistMutex::builder(session, path)
        .local_handoff(true)
        .max_local_handoffs(max)
        .linger(linger)
        .build()
        .unwrap()
}

fn requests(plan: &FaultPlan) -> usize {
    [
        Op::Create,
        Op::Delete,
        Op::SetData,
        Op::GetData,
        Op::Exists,
        Op::GetChildren,
    ]
    .into_iter()
    .map(|op| plan.calls(op))
    .sum()
}

/// Requests the server has received from every client (pings included).
fn server_packets(server: &ZkServer) -> u64 {
    let mntr = server.four_letter("mntr").expect("mntr");
    mntr.lines()
        .filter_map(|line| line.split_once('\t'))
        .find(|(name, _)| *name == "zk_packets_received")
        .and_then(|(_, value)| value.trim().parse().ok())
        .expect("zk_packets_received in mntr")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relock_with_nobody_else_queued_sends_no_request() {
    const RELOCKS: usize = 1_000;
    // A server of its own: the other tests' packets stay out of its count.
    let server = &ZkServer::start().unwrap();
    let plan = FaultPlan::new();
    // A long session timeout keeps keep-alive reads and pings out of the window.
    let session = session_following(&server.connect_string(), Duration::from_secs(30), &plan).await;
    let path = unique_path("local/relock");
    // The directory exists already, so that the first lock's requests are known: a create,
    // its listing, and the keeper's listing with a watch.
    let other = session_to(&server.connect_string(), TIMEOUT).await;
    let strict = DistMutex::new(other, &path).unwrap();
    strict.lock().await.unwrap().unlock().await.unwrap();
    let mutex = local(session, &path, 64, Duration::from_secs(60));
    let first = mutex.lock().await.unwrap();
    let mut last = first.fencing_token();
    first.unlock().await.unwrap();
    // The node is held and the directory watched: from here on, nothing goes out.
    eventually(TIMEOUT, "the keeper armed its watch", || {
        let plan = plan.clone();
        async move { plan.calls(Op::GetChildren) >= 2 }
    })
    .await;
    let (client_before, server_before) = (requests(&plan), server_packets(server));
    for _ in 0..RELOCKS {
        let guard = mutex.lock().await.unwrap();
        assert!(guard.fencing_token() > last, "tokens strictly increase");
        last = guard.fencing_token();
        guard.unlock().await.unwrap();
    }
    let try_guard = mutex.try_lock().await.unwrap();
    assert!(try_guard.fencing_token() > last);
    drop(try_guard);
    let (client_after, server_after) = (requests(&plan), server_packets(server));
    assert_eq!(client_after, client_before, "requests sent by the re-locks");
    // A ping may land in the window, never one packet per re-lock.
    assert!(
        server_after - server_before <= 2,
        "{} packets reached the server during {RELOCKS} re-locks",
        server_after - server_before
    );
    assert_eq!(last.local_count(), RELOCKS as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutex_of_one_session_and_path_shares_one_node() {
    let server = ZkServer::shared();
    let session = session_to(&server.connect_string(), TIMEOUT).await;
    let observer = session_to(&server.connect_string(), TIMEOUT).await;
    let path = unique_path("local/shared");
    let one = local(session.clone(), &path, 64, Duration::from_secs(60));
    let two = local(session.clone(), &path, 64, Duration::from_secs(60));
    let strict = DistMutex::new(session, &path).unwrap();
    let guard = one.lock().await.unwrap();
    assert!(matches!(
        two.try_lock().await,
        Err(TryLockError::WouldBlock)
    ));
    let waiter = tokio::spawn(async move {
        let guard = two.lock().await.unwrap();
        guard.fencing_token()
    });
    tokio::task::yield_now().await;
    assert_eq!(
        children(&observer, &path).await.len(),
        1,
        "one node for both"
    );
    let first = guard.fencing_token();
    guard.unlock().await.unwrap();
    let second = tokio::time::timeout(TIMEOUT, waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second, FencingToken::new(first.as_i64(), 1));
    // A mutex without hand-off is another contender: the lingering node lets it in.
    let strict_guard = tokio::time::timeout(TIMEOUT, strict.lock())
        .await
        .expect("the idle node goes once another contender queues")
        .unwrap();
    assert!(strict_guard.fencing_token() > second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_node_is_released_after_the_linger_or_when_another_session_queues() {
    let server = ZkServer::shared();
    let session = session_to(&server.connect_string(), TIMEOUT).await;
    let other = session_to(&server.connect_string(), TIMEOUT).await;
    let path = unique_path("local/linger");

    let short = local(session.clone(), &path, 64, Duration::from_millis(50));
    short.lock().await.unwrap().unlock().await.unwrap();
    eventually(TIMEOUT, "the node goes after the linger", || {
        let (other, path) = (other.clone(), path.clone());
        async move { children(&other, &path).await.is_empty() }
    })
    .await;
    drop(short);

    // An hour of linger, cut short by a contender of another session.
    let long = local(session, &path, 64, Duration::from_secs(3600));
    let guard = long.lock().await.unwrap();
    let token = guard.fencing_token();
    guard.unlock().await.unwrap();
    let rival = DistMutex::new(other.clone(), &path).unwrap();
    let rival_guard = tokio::time::timeout(TIMEOUT, rival.lock())
        .await
        .expect("lingering gives way to another session")
        .unwrap();
    assert!(rival_guard.fencing_token() > token);
    // The local side queues behind it and gets the lock back, with a greater token.
    let relock = tokio::spawn(async move { long.lock().await.unwrap().fencing_token() });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let rival_token = rival_guard.fencing_token();
    rival_guard.unlock().await.unwrap();
    let back = tokio::time::timeout(TIMEOUT, relock)
        .await
        .unwrap()
        .unwrap();
    assert!(back > rival_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_last_waiter_and_a_dropped_mutex_leave_no_node() {
    let server = ZkServer::shared();
    let session = session_to(&server.connect_string(), TIMEOUT).await;
    let other = session_to(&server.connect_string(), TIMEOUT).await;
    let path = unique_path("local/orphans");
    let rival = DistMutex::new(other.clone(), &path).unwrap();
    let rival_guard = rival.lock().await.unwrap();

    // Local waiters queue one node behind the rival; the last to give up takes it away.
    let mutex = local(session.clone(), &path, 64, Duration::from_secs(3600));
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let mutex = mutex.clone();
            tokio::spawn(async move { mutex.lock().await.map(drop) })
        })
        .collect();
    eventually(TIMEOUT, "the local node queued", || {
        let (other, path) = (other.clone(), path.clone());
        async move { children(&other, &path).await.len() == 2 }
    })
    .await;
    for (i, waiter) in waiters.iter().enumerate() {
        waiter.abort();
        if i < 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert_eq!(
                children(&other, &path).await.len(),
                2,
                "waiters are left: the node stays queued"
            );
        }
    }
    eventually(TIMEOUT, "the cancelled node is removed", || {
        let (other, path) = (other.clone(), path.clone());
        async move { children(&other, &path).await.len() == 1 }
    })
    .await;
    rival_guard.unlock().await.unwrap();

    // A dropped mutex takes its lingering node with it.
    let guard = mutex.lock().await.unwrap();
    guard.unlock().await.unwrap();
    assert_eq!(children(&other, &path).await.len(), 1, "the node lingers");
    drop(mutex);
    eventually(TIMEOUT, "the dropped mutex's node is removed", || {
        let (other, path) = (other.clone(), path.clone());
        async move { children(&other, &path).await.is_empty() }
    })
    .await;

    // A closed session too.
    let mutex = local(session.clone(), &path, 64, Duration::from_secs(3600));
    mutex.lock().await.unwrap().unlock().await.unwrap();
    session.close().await;
    eventually(TIMEOUT, "the closed session's node is gone", || {
        let (other, path) = (other.clone(), path.clone());
        async move { children(&other, &path).await.is_empty() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_cancelled_at_every_await_leaves_the_queue_working() {
    let server = ZkServer::shared();
    let session = session_to(&server.connect_string(), TIMEOUT).await;
    let other = session_to(&server.connect_string(), TIMEOUT).await;
    let path = unique_path("local/cancel");
    let mutex = local(session, &path, 4, Duration::from_millis(5));
    let rival = DistMutex::new(other.clone(), &path).unwrap();
    // Cancel after ever more polls, with the lock free, held locally and held elsewhere.
    for polls in 0..40 {
        let local_guard = (polls % 3 == 1).then(|| mutex.try_lock());
        let local_guard = match local_guard {
            Some(attempt) => attempt.await.ok(),
            None => None,
        };
        let rival_guard = match polls % 3 {
            2 => Some(rival.lock().await.unwrap()),
            _ => None,
        };
        let mut attempt = Box::pin(mutex.lock());
        for _ in 0..polls {
            let poll = futures::poll!(attempt.as_mut());
            if poll.is_ready() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(attempt);
        drop(local_guard);
        drop(rival_guard);
        let guard = tokio::time::timeout(TIMEOUT, mutex.lock())
            .await
            .expect("the queue still works after a cancelled lock")
            .unwrap();
        guard.unlock().await.unwrap();
    }
    eventually(TIMEOUT, "nothing left after the linger", || {
        let (other, path) = (other.clone(), path.clone());
        async move { children(&other, &path).await.is_empty() }
    })
    .await;
}

const CURATOR: &str = include_str!("java/CuratorMutex.java");

#[tokio::test(flavor = "current_thread")]
async fn a_curator_waiter_gets_the_lock_within_max_local_handoffs_while_sixteen_tasks_hammer() {
    const MAX: u32 = 8;
    let server = ZkServer::shared();
    let session = session_to(&server.connect_string(), TIMEOUT).await;
    let observer = session_to(&server.connect_string(), TIMEOUT).await;
    let path = unique_path("local/curator-bound");
    let mutex = local(session.clone(), &path, MAX, Duration::from_millis(20));
    let holds = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hammers: Vec<_> = (0..16)
        .map(|_| {
            let (mutex, holds, stop) = (mutex.clone(), holds.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Acquire) {
                    let guard = mutex.lock().await.unwrap();
                    holds.fetch_add(1, Ordering::AcqRel);
                    // One request of the session per hold: any watch event the server sent
                    // before answering it has reached this process when the hold ends.
                    let epoch = mutex.session().live_epoch().await.unwrap();
                    epoch.data(mutex.path()).await.unwrap();
                    guard.unlock().await.unwrap();
                }
            })
        })
        .collect();
    eventually(TIMEOUT, "the hammering started", || {
        let holds = holds.clone();
        async move { holds.load(Ordering::Acquire) > 100 }
    })
    .await;

    let mut curator = curator_program("CuratorMutex", CURATOR).expect("Curator 5.4 and a JDK");
    let mut curator = curator
        .args(["hold", &server.connect_string(), &path])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The moment Curator's node is seen, count the local holds from there on.
    let seen_at = loop {
        let count = holds.load(Ordering::Acquire);
        if children(&observer, &path).await.len() >= 2 {
            break count;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let line = zk_sync_testkit::ChildLines::of(&mut curator, "Curator")
        .next(Duration::from_secs(60))
        .await
        .expect("Curator gets the lock");
    assert!(line.starts_with("LOCKED"), "{line}");
    // Nobody local can hold while Curator does.
    let during = holds.load(Ordering::Acquire) - seen_at;
    assert!(
        during <= u64::from(MAX) + 2,
        "{during} local holds began after Curator queued (max_local_handoffs {MAX})"
    );
    stop.store(true, Ordering::Release);
    use std::io::Write;
    writeln!(curator.stdin.take().unwrap()).unwrap();
    for hammer in hammers {
        tokio::time::timeout(Duration::from_secs(30), hammer)
            .await
            .expect("the local tasks get the lock back")
            .unwrap();
    }
    assert!(curator.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_waiters_wait_through_a_cut_and_requeue_after_expiry_without_the_lost_holder() {
    use zk_sync_core::SessionState;
    let server = ZkServer::shared();
    let proxy = zk_sync_testkit::FaultProxy::start(server.addr()).unwrap();
    let session = session_to(&proxy.connect_string(), Duration::from_secs(2)).await;
    let path = unique_path("local/faults");
    let mutex = local(session.clone(), &path, 64, Duration::from_millis(20));
    let guard = mutex.lock().await.unwrap();
    let first = guard.fencing_token();
    let (tokens_tx, mut tokens) = tokio::sync::mpsc::unbounded_channel();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let (mutex, tokens_tx) = (mutex.clone(), tokens_tx.clone());
            tokio::spawn(async move {
                let guard = mutex.lock().await.unwrap();
                tokens_tx.send(guard.fencing_token()).unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
                guard.unlock().await.unwrap();
            })
        })
        .collect();

    // A cut within the session timeout: uncertain, then certain again, and nothing moved.
    proxy.cut();
    tokio::time::timeout(TIMEOUT, guard.uncertain())
        .await
        .expect("the local holder is uncertain");
    proxy.restore();
    common::wait_for_state(&session, SessionState::Reconnected, TIMEOUT).await;
    assert!(!guard.is_lost());
    assert!(tokens.try_recv().is_err(), "nobody else held meanwhile");

    // Past the session timeout: the holder is lost, and the waiters do not wait for it to
    // let go: they queue a new node in the next session.
    proxy.cut();
    tokio::time::timeout(TIMEOUT, guard.lost())
        .await
        .expect("the local holder learns the loss");
    proxy.restore();
    let mut last = first;
    for _ in 0..3 {
        let token = tokio::time::timeout(TIMEOUT, tokens.recv())
            .await
            .expect("a waiter acquires in the new session")
            .unwrap();
        assert!(token > last, "{token} after {last}");
        last = token;
    }
    assert!(
        guard.unlock().await.is_err(),
        "the lost holder is told at unlock"
    );
    for waiter in waiters {
        waiter.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_waiters_acquire_after_a_server_restart() {
    let server = ZkServer::start_durable().unwrap();
    let session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let path = unique_path("local/restart");
    let mutex = local(session, &path, 64, Duration::from_millis(20));
    let guard = mutex.lock().await.unwrap();
    let first = guard.fencing_token();
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let mutex = mutex.clone();
            tokio::spawn(async move {
                let guard = mutex.lock().await.unwrap();
                let token = guard.fencing_token();
                guard.unlock().await.unwrap();
                token
            })
        })
        .collect();
    server.restart().unwrap();
    drop(guard);
    for waiter in waiters {
        let token = tokio::time::timeout(Duration::from_secs(30), waiter)
            .await
            .expect("a waiter acquires after the restart")
            .unwrap();
        assert!(token > first);
    }
}

const COUNTER_CHILD: &str = "ZK_SYNC_LOCAL_COUNTER_CHILD";
const TASKS: usize = 8;
const ROUNDS: usize = 20;

/// Under the lock: read the counter, write it plus one; check that the token grows past the
/// last one written by any of our holders, and write it.
fn increment(counter: &std::path::Path, tokens: &std::path::Path, token: FencingToken) {
    let value: u64 = std::fs::read_to_string(counter)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let last: u128 = std::fs::read_to_string(tokens)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(token.as_u128() > last, "token {token} not past {last}");
    std::fs::write(tokens, token.as_u128().to_string()).unwrap();
    std::thread::sleep(Duration::from_micros(200));
    std::fs::write(counter, (value + 1).to_string()).unwrap();
}

async fn run_counter_tasks(connect: &str, path: &str, counter: &str, tokens: &str) {
    let session = session_to(connect, TIMEOUT).await;
    let mutex = local(session, path, 8, Duration::from_millis(5));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let mutex = mutex.clone();
            let (counter, tokens) = (counter.to_owned(), tokens.to_owned());
            tokio::spawn(async move {
                for _ in 0..ROUNDS {
                    let guard = mutex.lock().await.unwrap();
                    increment(counter.as_ref(), tokens.as_ref(), guard.fencing_token());
                    guard.unlock().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Entry point of the second process of the counter test; nothing to do as a plain test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_child_entry_point() {
    let Ok(spec) = std::env::var(COUNTER_CHILD) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    run_counter_tasks(parts[0], parts[1], parts[2], parts[3]).await;
    println!("DONE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_of_two_processes_and_curator_lose_no_increment_and_tokens_increase() {
    const CURATOR_ROUNDS: usize = 20;
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("local/counter");
    let dir = std::env::temp_dir().join(format!("zk-sync-local-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (counter, tokens) = (dir.join("counter"), dir.join("tokens"));
    std::fs::write(&counter, "0").unwrap();
    std::fs::write(&tokens, "0").unwrap();
    let (counter_s, tokens_s) = (counter.display().to_string(), tokens.display().to_string());

    let mut child = zk_sync_testkit::TestChild::spawn(
        "counter_child_entry_point",
        COUNTER_CHILD,
        &format!("{connect}|{path}|{counter_s}|{tokens_s}"),
    )
    .unwrap();
    let curator = {
        let (connect, path, counter) = (connect.clone(), path.clone(), counter_s.clone());
        std::thread::spawn(move || {
            let mut command =
                curator_program("CuratorMutex", CURATOR).expect("Curator 5.4 and a JDK");
            let rounds = CURATOR_ROUNDS.to_string();
            command.args(["increment", &connect, &path, &counter, &rounds]);
            command.output().unwrap()
        })
    };
    run_counter_tasks(&connect, &path, &counter_s, &tokens_s).await;
    child
        .wait_for_marker("DONE", Duration::from_secs(120))
        .expect("the second process finishes");
    let curator = curator.join().unwrap();
    assert!(
        String::from_utf8_lossy(&curator.stdout).contains("DONE"),
        "Curator: {}",
        String::from_utf8_lossy(&curator.stderr)
    );
    let total: usize = std::fs::read_to_string(&counter)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        total,
        2 * TASKS * ROUNDS + CURATOR_ROUNDS,
        "increments lost"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_future_is_small_enough_for_ten_thousand_local_waiters() {
    // A waiter's task carries its `lock()` future: the strict path's walk is boxed, so that
    // a local waiter stays within the 512 bytes a waiter may cost.
    let session = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let mutex = Arc::new(local(
        session,
        &unique_path("local/size"),
        64,
        Duration::ZERO,
    ));
    let borrowed = std::mem::size_of_val(&mutex.lock());
    let owned = std::mem::size_of_val(&mutex.clone().lock_owned());
    assert!(borrowed <= 384, "a lock() future of {borrowed} bytes");
    assert!(owned <= 384, "a lock_owned() future of {owned} bytes");
}
