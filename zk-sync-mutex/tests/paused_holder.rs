//! A holder paused (SIGSTOP) for longer than its session timeout: meanwhile its session expires
//! and a rival takes the lock. When it wakes, its first check says the hold is gone, before it
//! has heard anything from the server, and `unlock()` reports the loss instead of `Ok`.
//!
//! The holder is this test binary run again as a child (`ZK_SYNC_PAUSED_CHILD` set).

mod common;

use common::{session_to, unique_path};
use std::time::{Duration, Instant};
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::{TestChild, ZkServer};

const CHILD_ENV: &str = "ZK_SYNC_PAUSED_CHILD";
const SESSION_TIMEOUT: Duration = Duration::from_secs(2);

/// Entry point of the child: takes the lock, then checks `ensure_held()` every 2 ms. After a
/// gap of more than a second between two checks (it was paused), it prints what the first
/// check after waking said and what `unlock()` returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_child_entry_point() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (connect, path) = spec.split_once('|').expect("connect|path");
    let session = session_to(connect, SESSION_TIMEOUT).await;
    let mutex = DistMutex::new(session, path).unwrap();
    let guard = mutex.lock().await.unwrap();
    println!("LOCKED {}", guard.fencing_token());
    let mut previous = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(2)).await;
        // The gap first: a pause landing between the two shows as a failed check.
        let gap = previous.elapsed();
        let held = guard.ensure_held();
        previous = Instant::now();
        if gap > Duration::from_secs(1) || held.is_err() {
            let first = match &held {
                Ok(()) => "ok".to_owned(),
                Err(error) => format!("err session_lost={}", error.is_session_lost()),
            };
            println!("WOKE after {}ms: {first}", gap.as_millis());
            break;
        }
    }
    match guard.unlock().await {
        Ok(()) => println!("UNLOCK ok"),
        Err(error) => println!("UNLOCK err session_lost={}", error.is_session_lost()),
    }
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
    std::process::exit(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_paused_past_its_session_is_told_on_waking_and_unlock_reports_the_loss() {
    let server = ZkServer::shared();
    let path = unique_path("paused");
    let mut child = TestChild::spawn(
        "paused_child_entry_point",
        CHILD_ENV,
        &format!("{}|{path}", server.connect_string()),
    )
    .unwrap();
    let child_token: i64 = child
        .wait_for_marker("LOCKED ", Duration::from_secs(30))
        .expect("child locks")
        .parse()
        .unwrap();

    child.pause();
    let session = session_to(&server.connect_string(), Duration::from_secs(4)).await;
    let mutex = DistMutex::new(session, &path).unwrap();
    let guard = tokio::time::timeout(SESSION_TIMEOUT * 5, mutex.lock())
        .await
        .expect("the paused holder's session expires")
        .unwrap();
    assert!(guard.fencing_token().as_i64() > child_token);
    child.resume();

    let woke = child
        .wait_for_marker("WOKE ", Duration::from_secs(30))
        .expect("child wakes");
    assert!(
        woke.ends_with("err session_lost=true"),
        "the first check after waking fails: {woke}"
    );
    let unlock = child
        .wait_for_marker("UNLOCK ", Duration::from_secs(30))
        .expect("child unlocks");
    assert_eq!(
        unlock, "err session_lost=true",
        "a lost hold is not released as Ok"
    );
    guard.unlock().await.unwrap();
}
