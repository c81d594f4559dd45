//! `DistRwLock` behaviour on a real ZooKeeper: sharing, exclusion, queue order, writer
//! fairness, try-locks, owned guards, cancellation, node names and input.

mod common;

use common::{children, session_to, unique_path, wait_for_children, Side};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use zk_sync_core::backend::NodeKind;
use zk_sync_rwlock::{DistRwLock, Error, FencingToken, TryLockError};
use zk_sync_testkit::ZkServer;

const TIMEOUT: Duration = Duration::from_secs(4);

async fn shared_session() -> zk_sync_core::Session {
    session_to(&ZkServer::shared().connect_string(), TIMEOUT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_in_separate_sessions_hold_together() {
    const READERS: usize = 6;
    let path = unique_path("readers");
    let all_in = Arc::new(tokio::sync::Barrier::new(READERS));
    let mut tasks = Vec::new();
    for _ in 0..READERS {
        let (path, all_in) = (path.clone(), all_in.clone());
        tasks.push(tokio::spawn(async move {
            let lock = DistRwLock::new(shared_session().await, &path).unwrap();
            let guard = lock.read().await.unwrap();
            tokio::time::timeout(Duration::from_secs(10), all_in.wait())
                .await
                .expect("every reader holds at the same time");
            guard.unlock().await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_excludes_readers_and_other_writers() {
    let path = unique_path("exclusion");
    let readers = Arc::new(AtomicUsize::new(0));
    let writers = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..6 {
        let side = if i % 3 == 0 { Side::Write } else { Side::Read };
        let (path, readers, writers) = (path.clone(), readers.clone(), writers.clone());
        tasks.push(tokio::spawn(async move {
            let lock = DistRwLock::new(shared_session().await, &path).unwrap();
            for _ in 0..8 {
                let guard = side.lock(&lock).await.unwrap();
                let (mine, theirs) = match side {
                    Side::Read => (&readers, &writers),
                    Side::Write => (&writers, &readers),
                };
                let before = mine.fetch_add(1, SeqCst);
                assert_eq!(
                    theirs.load(SeqCst),
                    0,
                    "{side:?} holder overlaps the other side"
                );
                if side == Side::Write {
                    assert_eq!(before, 0, "two writers");
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
                mine.fetch_sub(1, SeqCst);
                guard.unlock().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let session = shared_session().await;
    common::eventually(Duration::from_secs(2), "no node left", || async {
        children(&session, &path).await.is_empty()
    })
    .await;
}

/// A contender of the queue-order test: acquires, reports, and releases when told.
fn queue_contender(
    lock: &Arc<DistRwLock>,
    name: &'static str,
    side: Side,
    acquired: &mpsc::UnboundedSender<(&'static str, FencingToken)>,
) -> oneshot::Sender<()> {
    let (release, released) = oneshot::channel();
    let (lock, acquired) = (lock.clone(), acquired.clone());
    tokio::spawn(async move {
        match side {
            Side::Read => {
                let guard = lock.read_owned().await.unwrap();
                acquired.send((name, guard.fencing_token())).unwrap();
                let _ = released.await;
                guard.unlock().await.unwrap();
            }
            Side::Write => {
                let guard = lock.write_owned().await.unwrap();
                acquired.send((name, guard.fencing_token())).unwrap();
                let _ = released.await;
                guard.unlock().await.unwrap();
            }
        }
    });
    release
}

/// Asserts that nobody acquires for a while (the queue is blocked as expected).
async fn assert_blocked(acquired: &mut mpsc::UnboundedReceiver<(&'static str, FencingToken)>) {
    let next = tokio::time::timeout(Duration::from_millis(300), acquired.recv()).await;
    assert!(next.is_err(), "acquired out of turn: {next:?}");
}

async fn next_holder(
    acquired: &mut mpsc::UnboundedReceiver<(&'static str, FencingToken)>,
) -> (&'static str, FencingToken) {
    tokio::time::timeout(Duration::from_secs(10), acquired.recv())
        .await
        .expect("next holder acquires")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_and_writers_take_turns_in_queue_order_with_increasing_tokens() {
    let session = shared_session().await;
    let path = unique_path("turns");
    let lock = Arc::new(DistRwLock::new(session.clone(), &path).unwrap());
    let first = lock.write().await.unwrap();
    let (acquired_tx, mut acquired) = mpsc::unbounded_channel();
    let queue = [
        ("r1", Side::Read),
        ("r2", Side::Read),
        ("w2", Side::Write),
        ("r3", Side::Read),
    ];
    let mut release = std::collections::HashMap::new();
    for (i, (name, side)) in queue.into_iter().enumerate() {
        release.insert(name, queue_contender(&lock, name, side, &acquired_tx));
        wait_for_children(&session, &path, i + 2).await;
    }
    assert_blocked(&mut acquired).await;

    // The writer leaves: both readers before the next writer get in, together.
    let first_token = first.fencing_token();
    first.unlock().await.unwrap();
    let (a, a_token) = next_holder(&mut acquired).await;
    let (b, b_token) = next_holder(&mut acquired).await;
    let mut readers = [a, b];
    readers.sort();
    assert_eq!(readers, ["r1", "r2"]);
    assert!(a_token > first_token && b_token > first_token);
    // Only readers hold, yet a newcomer reader queues behind the waiting writer.
    let newcomer = DistRwLock::new(session.clone(), &path).unwrap();
    assert!(matches!(
        newcomer.try_read().await,
        Err(TryLockError::WouldBlock)
    ));
    assert_blocked(&mut acquired).await;

    // The readers leave: the writer, alone.
    release.remove("r1").unwrap().send(()).unwrap();
    release.remove("r2").unwrap().send(()).unwrap();
    let (w, w_token) = next_holder(&mut acquired).await;
    assert_eq!(w, "w2");
    assert!(w_token > a_token.max(b_token));
    assert_blocked(&mut acquired).await;

    // The writer leaves: the last reader.
    release.remove("w2").unwrap().send(()).unwrap();
    let (r, r_token) = next_holder(&mut acquired).await;
    assert_eq!(r, "r3");
    assert!(r_token > w_token);
    release.remove("r3").unwrap().send(()).unwrap();
    common::eventually(Duration::from_secs(2), "no node left", || async {
        children(&session, &path).await.is_empty()
    })
    .await;
}

/// Readers and writers of two sessions, interleaved, with a cancelled writer in the middle:
/// waiters walk the queue their first listing showed (across sessions, past the cancelled
/// node) and still take their turns in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_take_turns_in_queue_order_past_a_cancelled_writer() {
    let (one, two) = (shared_session().await, shared_session().await);
    let path = unique_path("turns-two-sessions");
    let locks = [
        Arc::new(DistRwLock::new(one.clone(), &path).unwrap()),
        Arc::new(DistRwLock::new(two, &path).unwrap()),
    ];
    let first = locks[0].write().await.unwrap();
    let (acquired_tx, mut acquired) = mpsc::unbounded_channel();
    // w0 (one, holds) ← r1 (two) ← r2 (one) ← w3 (two) ← r4 (one) ← w5 (one, cancelled) ← r6 (two)
    let queue = [
        ("r1", Side::Read, 1),
        ("r2", Side::Read, 0),
        ("w3", Side::Write, 1),
        ("r4", Side::Read, 0),
        ("w5", Side::Write, 0),
        ("r6", Side::Read, 1),
    ];
    let mut release = std::collections::HashMap::new();
    let mut cancelled = None;
    for (i, (name, side, session)) in queue.into_iter().enumerate() {
        if name == "w5" {
            let lock = locks[session].clone();
            cancelled = Some(tokio::spawn(async move { lock.write_owned().await }));
        } else {
            let contender = queue_contender(&locks[session], name, side, &acquired_tx);
            release.insert(name, contender);
        }
        wait_for_children(&one, &path, i + 2).await;
    }
    cancelled.unwrap().abort();
    wait_for_children(&one, &path, queue.len()).await;
    assert_blocked(&mut acquired).await;
    first.unlock().await.unwrap();
    let mut readers = [
        next_holder(&mut acquired).await.0,
        next_holder(&mut acquired).await.0,
    ];
    readers.sort();
    assert_eq!(readers, ["r1", "r2"]);
    assert_blocked(&mut acquired).await;
    release.remove("r1").unwrap().send(()).unwrap();
    release.remove("r2").unwrap().send(()).unwrap();
    assert_eq!(next_holder(&mut acquired).await.0, "w3");
    assert_blocked(&mut acquired).await;
    release.remove("w3").unwrap().send(()).unwrap();
    let mut readers = [
        next_holder(&mut acquired).await.0,
        next_holder(&mut acquired).await.0,
    ];
    readers.sort();
    assert_eq!(readers, ["r4", "r6"]);
    for (_, release) in release.drain() {
        let _ = release.send(());
    }
    common::eventually(Duration::from_secs(5), "no node left", || async {
        children(&one, &path).await.is_empty()
    })
    .await;
}

/// The sequence number at the end of a node path.
fn sequence(path: &str) -> u64 {
    path[path.len() - 10..].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_writer_is_not_starved_by_a_stream_of_later_readers() {
    const STREAMS: usize = 3;
    let path = unique_path("starve");
    let stop = Arc::new(AtomicBool::new(false));
    let writer_done = Arc::new(AtomicBool::new(false));
    // Each read hold: its node's sequence, and whether the writer had finished by then.
    let holds = Arc::new(std::sync::Mutex::new(Vec::new()));
    let reading = Arc::new(AtomicUsize::new(0));
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        let (path, stop, writer_done, holds, reading) = (
            path.clone(),
            stop.clone(),
            writer_done.clone(),
            holds.clone(),
            reading.clone(),
        );
        streams.push(tokio::spawn(async move {
            let lock = DistRwLock::new(shared_session().await, &path).unwrap();
            while !stop.load(SeqCst) {
                let guard = lock.read().await.unwrap();
                reading.fetch_add(1, SeqCst);
                let finished = writer_done.load(SeqCst);
                holds
                    .lock()
                    .unwrap()
                    .push((sequence(guard.path()), finished));
                // Long enough that the streams' holds overlap: the lock is never free of readers.
                tokio::time::sleep(Duration::from_millis(20)).await;
                reading.fetch_sub(1, SeqCst);
                guard.unlock().await.unwrap();
            }
        }));
    }
    let read_holds = || holds.lock().unwrap().len();
    common::eventually(Duration::from_secs(10), "readers streaming", || async {
        read_holds() >= 2 * STREAMS
    })
    .await;

    let writer = DistRwLock::new(shared_session().await, &path).unwrap();
    let guard = tokio::time::timeout(Duration::from_secs(10), writer.write())
        .await
        .expect("the writer gets in while readers keep coming")
        .unwrap();
    assert_eq!(reading.load(SeqCst), 0, "no reader inside with the writer");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(reading.load(SeqCst), 0, "readers wait for the writer");
    let writer_sequence = sequence(guard.path());
    writer_done.store(true, SeqCst);
    guard.unlock().await.unwrap();

    let holds_at_release = read_holds();
    common::eventually(Duration::from_secs(10), "readers resume", || async {
        read_holds() >= holds_at_release + STREAMS
    })
    .await;
    stop.store(true, SeqCst);
    for stream in streams {
        stream.await.unwrap();
    }
    for &(read_sequence, writer_finished) in holds.lock().unwrap().iter() {
        assert!(
            read_sequence < writer_sequence || writer_finished,
            "reader #{read_sequence}, queued after writer #{writer_sequence}, held before it"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_read_and_try_write_would_block_is_distinct_from_errors() {
    let session = shared_session().await;
    let other = shared_session().await;
    let path = unique_path("try");
    let lock = DistRwLock::new(session.clone(), &path).unwrap();
    let rival = Arc::new(DistRwLock::new(other.clone(), &path).unwrap());

    let read = lock.try_read().await.expect("free lock");
    let shared = rival.clone().try_read_owned().await.expect("readers share");
    assert_eq!(shared.rwlock().path(), path);
    assert!(matches!(
        rival.try_write().await,
        Err(TryLockError::WouldBlock)
    ));
    assert!(rival
        .clone()
        .try_write_owned()
        .await
        .unwrap_err()
        .is_would_block());
    drop(shared);
    read.unlock().await.unwrap();
    // The releases went through other sessions than the next attempt's: wait until applied.
    common::eventually(Duration::from_secs(1), "read guards released", || async {
        children(&session, &path).await.is_empty()
    })
    .await;

    let write = rival
        .clone()
        .try_write_owned()
        .await
        .expect("released lock is free");
    assert_eq!(write.rwlock().path(), path);
    assert!(lock.try_read().await.unwrap_err().is_would_block());
    assert!(lock.try_write().await.unwrap_err().is_would_block());
    drop(write);
    common::eventually(
        Duration::from_secs(1),
        "dropped guards released",
        || async { children(&session, &path).await.is_empty() },
    )
    .await;

    other.close().await;
    for result in [
        rival.try_read().await.map(drop),
        rival.try_write().await.map(drop),
    ] {
        match result {
            Err(TryLockError::Error(error)) => assert!(error.is_closed(), "{error}"),
            other => panic!("expected a closed-session error, got {other:?}"),
        }
    }
    assert!(matches!(rival.read().await, Err(Error::Closed)));
    assert!(matches!(rival.write().await, Err(Error::Closed)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_reads_and_writes_leave_nothing_behind() {
    let session = shared_session().await;
    let path = unique_path("timeout");
    let holder = DistRwLock::new(session.clone(), &path).unwrap();
    let waiter = DistRwLock::new(shared_session().await, &path).unwrap();
    let short = Duration::from_millis(50);

    let write = holder.write().await.unwrap();
    for _ in 0..3 {
        assert!(tokio::time::timeout(short, waiter.read()).await.is_err());
        assert!(tokio::time::timeout(short, waiter.write()).await.is_err());
    }
    common::eventually(Duration::from_secs(1), "cancelled waiters gone", || async {
        children(&session, &path).await.len() == 1
    })
    .await;
    write.unlock().await.unwrap();

    let read = holder.read().await.unwrap();
    for _ in 0..3 {
        assert!(tokio::time::timeout(short, waiter.write()).await.is_err());
    }
    common::eventually(Duration::from_secs(1), "cancelled writers gone", || async {
        children(&session, &path).await.len() == 1
    })
    .await;
    let next_reader = tokio::time::timeout(Duration::from_secs(2), waiter.read())
        .await
        .expect("no cancelled writer blocks a reader")
        .unwrap();
    next_reader.unlock().await.unwrap();
    read.unlock().await.unwrap();
    tokio::time::timeout(Duration::from_secs(2), waiter.write())
        .await
        .expect("free after unlock")
        .unwrap()
        .unlock()
        .await
        .unwrap();
}

/// Plants a hand-made `marker` node in a fresh `path`, carrying the sequence number the next
/// sequential child will get and a name that sorts before any random uuid. Returns its path
/// and that sequence.
async fn plant_tied_node(
    session: &zk_sync_core::Session,
    path: &str,
    marker: &str,
) -> (String, String) {
    common::create_dir_all(session, path).await;
    let epoch = session.live_epoch().await.unwrap();
    let acl = session.default_acl();
    let probe = epoch
        .backend()
        .create(
            &format!("{path}/probe-"),
            b"",
            NodeKind::EphemeralSequential,
            acl,
        )
        .await
        .unwrap();
    // The sequence is the directory's child-change count: the probe and the planted node
    // each add one.
    let probe_sequence: u32 = probe.path[probe.path.len() - 10..].parse().unwrap();
    let sequence = format!("{:010}", probe_sequence + 2);
    let planted = format!("{path}/_c_00000000-0000-0000-0000-000000000000-{marker}{sequence}");
    epoch
        .backend()
        .create(&planted, b"", NodeKind::Ephemeral, acl)
        .await
        .unwrap();
    (planted, sequence)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contender_sharing_a_sequence_number_waits_only_for_the_one_sorted_first() {
    let session = shared_session().await;
    for (side, planted_marker, our_marker) in [
        (Side::Read, "__WRIT__", "__READ__"),
        (Side::Write, "__READ__", "__WRIT__"),
    ] {
        let path = unique_path("tie");
        let (planted, sequence) = plant_tied_node(&session, &path, planted_marker).await;
        let lock = DistRwLock::new(session.clone(), &path).unwrap();
        let waiting =
            tokio::spawn(async move { side.lock(&lock).await.map(|g| g.fencing_token()) });
        wait_for_children(&session, &path, 3).await;
        let ours = children(&session, &path)
            .await
            .into_iter()
            .find(|name| name.contains(our_marker))
            .unwrap();
        assert!(ours.ends_with(&sequence), "{ours} ties with {planted}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !waiting.is_finished(),
            "{side:?} waits for the tied node sorted first"
        );

        let epoch = session.live_epoch().await.unwrap();
        epoch.backend().delete(&planted, None).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("acquired once the tied node left")
            .unwrap()
            .unwrap();
    }
}

fn assert_protected_name(name: &str, marker: &str) {
    let (prefix, sequence) = name.split_at(name.len() - 10);
    assert!(
        prefix.starts_with("_c_") && prefix.ends_with(&format!("-{marker}")),
        "{name}"
    );
    assert!(uuid::Uuid::parse_str(&prefix[3..39]).is_ok(), "{name}");
    assert!(sequence.chars().all(|c| c.is_ascii_digit()), "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_use_curators_protected_read_and_write_names() {
    let session = shared_session().await;
    let path = unique_path("names");
    let lock = DistRwLock::new(session.clone(), &path).unwrap();
    let read = lock.read().await.unwrap();
    let name = read.path().rsplit('/').next().unwrap().to_owned();
    assert_protected_name(&name, "__READ__");
    assert_eq!(children(&session, &path).await, vec![name]);
    read.unlock().await.unwrap();

    let write = lock.write().await.unwrap();
    let name = write.path().rsplit('/').next().unwrap().to_owned();
    assert_protected_name(&name, "__WRIT__");
    assert_eq!(children(&session, &path).await, vec![name]);
    write.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_paths_are_typed_errors() {
    let session = shared_session().await;
    for path in [
        "",
        "/",
        "relative",
        "/trailing/",
        "/a//b",
        "/nul\0",
        "/a/./b",
    ] {
        let error = DistRwLock::new(session.clone(), path).unwrap_err();
        assert!(error.is_invalid_argument(), "{path:?}: {error}");
    }
}

fn send<T: Send>(_: &T) {}
fn sync<T: Sync>(_: &T) {}

/// Compile-time checks: every future a user awaits, and every guard, is `Send`.
#[allow(dead_code)]
fn futures_and_guards_are_send(
    lock: DistRwLock,
    arc: Arc<DistRwLock>,
    read: zk_sync_rwlock::DistRwLockReadGuard<'_>,
    write: zk_sync_rwlock::DistRwLockWriteGuard<'_>,
    owned_read: zk_sync_rwlock::OwnedDistRwLockReadGuard,
    owned_write: zk_sync_rwlock::OwnedDistRwLockWriteGuard,
) {
    send(&lock.read());
    send(&lock.write());
    send(&lock.try_read());
    send(&lock.try_write());
    send(&arc.clone().read_owned());
    send(&arc.clone().write_owned());
    send(&arc.clone().try_read_owned());
    send(&arc.try_write_owned());
    sync(&lock);
    sync(&read);
    sync(&write);
    sync(&owned_read);
    sync(&owned_write);
    send(&read.uncertain());
    send(&read.lost());
    send(&write.uncertain());
    send(&write.lost());
    send(&owned_read.uncertain());
    send(&owned_read.lost());
    send(&owned_write.uncertain());
    send(&owned_write.lost());
    send(&read.unlock());
    send(&write.unlock());
    send(&owned_read.unlock());
    send(&owned_write.unlock());
}

/// Switching from reading to writing right away folds the read release into the write's
/// create. A reader of another session that came first still holds, so the writer must wait
/// for it; alone, the writer holds at once.
// One thread: the release is then certain to travel inside the next create.
#[tokio::test(flavor = "current_thread")]
async fn reading_then_writing_at_once_waits_for_an_older_reader() {
    let path = unique_path("read-then-write");
    let observer = shared_session().await;
    let other = DistRwLock::new(shared_session().await, &path).unwrap();
    let lock = DistRwLock::new(shared_session().await, &path).unwrap();

    // Alone: read, then write at once, then read again.
    let read = lock.read().await.unwrap();
    read.unlock().await.unwrap();
    let write = tokio::time::timeout(TIMEOUT, lock.write())
        .await
        .expect("nobody else: the write holds at once")
        .unwrap();
    write.unlock().await.unwrap();

    // Another session reads first; our read shares with it, our write must wait for it.
    let theirs = other.read().await.unwrap();
    let ours = lock.read().await.unwrap();
    ours.unlock().await.unwrap();
    let write = lock.write();
    tokio::pin!(write);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut write)
            .await
            .is_err(),
        "the older reader still holds"
    );
    theirs.unlock().await.unwrap();
    let write = tokio::time::timeout(TIMEOUT, write)
        .await
        .expect("the writer holds once the older reader left")
        .unwrap();
    assert_eq!(children(&observer, &path).await.len(), 1);
    write.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_and_writers_hear_a_revocation_request_for_their_node() {
    let path = unique_path("revoke");
    let lock = DistRwLock::new(shared_session().await, &path).unwrap();
    let asker = DistRwLock::new(shared_session().await, &path).unwrap();
    assert!(
        asker.revoke_holders().await.unwrap().is_empty(),
        "nobody holds"
    );
    let (first, second) = (lock.read().await.unwrap(), lock.read().await.unwrap());
    let asked = asker.revoke_holders().await.unwrap();
    assert_eq!(asked.len(), 2, "both readers hold: {asked:?}");
    for reader in [&first, &second] {
        tokio::time::timeout(TIMEOUT, reader.revoke_requested())
            .await
            .expect("the reader asked");
    }
    first.unlock().await.unwrap();
    second.unlock().await.unwrap();
    let write = lock.write().await.unwrap();
    // A reader queued behind the writer holds nothing and is not asked.
    let waiting = tokio::spawn({
        let asker = DistRwLock::new(shared_session().await, &path).unwrap();
        async move { asker.read().await.map(|guard| guard.path().to_owned()) }
    });
    wait_for_children(lock.session(), &path, 2).await;
    assert_eq!(
        asker.revoke_holders().await.unwrap(),
        vec![write.path().to_owned()]
    );
    tokio::time::timeout(TIMEOUT, write.revoke_requested())
        .await
        .expect("the writer asked");
    write.unlock().await.unwrap();
    tokio::time::timeout(TIMEOUT, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let gone = format!("{path}/_c_00000000-0000-0000-0000-000000000000-__WRIT__0000000099");
    assert!(
        !zk_sync_core::contender::request_revocation(lock.session(), &gone)
            .await
            .unwrap()
    );
}
