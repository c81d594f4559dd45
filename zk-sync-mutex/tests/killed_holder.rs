//! A process killed while holding the lock: the next contender acquires once its session
//! expires (within the session timeout plus a second).
//!
//! The holder is this test binary run again as a child (`ZK_SYNC_HOLDER_CHILD` set), so it
//! is a real, separate process with its own session.

mod common;

use common::{session_to, unique_path};
use std::time::{Duration, Instant};
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::{TestChild, ZkServer};

const CHILD_ENV: &str = "ZK_SYNC_HOLDER_CHILD";
const SESSION_TIMEOUT: Duration = Duration::from_secs(2);

/// Entry point of the child process: takes the lock, says so, and holds it until killed.
/// Run as a plain test (without the variable) it has nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holder_child_entry_point() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (connect, path) = spec.split_once('|').expect("connect|path");
    let session = session_to(connect, SESSION_TIMEOUT).await;
    let mutex = DistMutex::new(session, path).unwrap();
    let guard = mutex.lock().await.unwrap();
    println!("LOCKED {}", guard.fencing_token());
    // Hold until killed, or until the parent goes away (our stdin closes).
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
    std::process::exit(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_contender_acquires_within_session_timeout_after_the_holder_is_killed() {
    let server = ZkServer::shared();
    let path = unique_path("killed");
    let mut child = TestChild::spawn(
        "holder_child_entry_point",
        CHILD_ENV,
        &format!("{}|{path}", server.connect_string()),
    )
    .unwrap();
    let child_token: i64 = child
        .wait_for_marker("LOCKED ", Duration::from_secs(30))
        .expect("child locks")
        .parse()
        .unwrap();

    let session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let mutex = DistMutex::new(session, &path).unwrap();
    assert!(
        mutex.try_lock().await.unwrap_err().is_would_block(),
        "child holds the lock"
    );
    let waiting = tokio::spawn(async move {
        let guard = mutex.lock().await.unwrap();
        (Instant::now(), guard.fencing_token().as_i64())
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
