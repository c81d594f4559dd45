//! A process killed while holding a read or a write lock: the next contender of the other kind
//! acquires once the dead process's session expires (within the session timeout plus a second).
//!
//! The holder is this test binary run again as a child (`ZK_SYNC_RW_HOLDER_CHILD` set).

mod common;

use common::{session_to, unique_path, Side};
use std::time::{Duration, Instant};
use zk_sync_rwlock::DistRwLock;
use zk_sync_testkit::{TestChild, ZkServer};

const CHILD_ENV: &str = "ZK_SYNC_RW_HOLDER_CHILD";
const SESSION_TIMEOUT: Duration = Duration::from_secs(2);

/// Entry point of the child process: takes the lock of the requested kind, says so, and holds it
/// until killed (or until its stdin closes). As a plain test it has nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holder_child_entry_point() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, '|');
    let (kind, connect, path) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let lock = DistRwLock::new(session_to(connect, SESSION_TIMEOUT).await, path).unwrap();
    let side = if kind == "read" {
        Side::Read
    } else {
        Side::Write
    };
    let held = side.lock(&lock).await.unwrap();
    println!("LOCKED {}", held.fencing_token());
    // Hold until killed, or until the parent goes away (our stdin closes).
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
    std::process::exit(0);
}

async fn next_contender_acquires_after_kill(child_kind: &str, waiter: Side) {
    let server = ZkServer::shared();
    let path = unique_path(&format!("rwlock/killed-{child_kind}"));
    let mut child = TestChild::spawn(
        "holder_child_entry_point",
        CHILD_ENV,
        &format!("{child_kind}|{}|{path}", server.connect_string()),
    )
    .unwrap();
    let child_token: i64 = child
        .wait_for_marker("LOCKED ", Duration::from_secs(30))
        .expect("child locks")
        .parse()
        .unwrap();

    let lock = DistRwLock::new(
        session_to(&server.connect_string(), Duration::from_secs(4)).await,
        &path,
    )
    .unwrap();
    assert!(
        waiter.try_lock(&lock).await.is_err(),
        "the child's hold excludes us"
    );
    let waiting = tokio::spawn(async move {
        let held = waiter.lock(&lock).await.unwrap();
        let token = held.fencing_token().as_i64();
        (Instant::now(), token)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let killed_at = Instant::now();
    child.kill();
    let (acquired_at, token) =
        tokio::time::timeout(SESSION_TIMEOUT + Duration::from_secs(5), waiting)
            .await
            .expect("acquired after the holder died")
            .unwrap();
    let took = acquired_at - killed_at;
    assert!(
        took <= SESSION_TIMEOUT + Duration::from_secs(1),
        "took {took:?}"
    );
    assert!(token > child_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_acquires_after_a_killed_reader_expires() {
    next_contender_acquires_after_kill("read", Side::Write).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_acquires_after_a_killed_writer_expires() {
    next_contender_acquires_after_kill("write", Side::Read).await;
}
