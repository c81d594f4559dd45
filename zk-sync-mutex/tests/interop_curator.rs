//! Apache Curator 5.4's `InterProcessMutex` and `DistMutex` share one lock path: each sees the
//! other's nodes as contenders, and neither ever enters while the other holds.

mod common;

use common::{children, session_to, unique_path};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use zk_sync_core::backend::fault::{FaultPlan, Op};
use zk_sync_mutex::{DistMutex, TryLockError};
use zk_sync_testkit::{curator_program, ChildLines, ZkServer};

const SOURCE: &str = include_str!("java/CuratorMutex.java");

fn curator(args: &[&str]) -> Command {
    let mut command = curator_program("CuratorMutex", SOURCE).expect("Curator 5.4 and a JDK");
    command.args(args);
    command
}

fn run_curator(args: &[&str]) -> String {
    let output = curator(args).output().unwrap();
    assert!(
        output.status.success(),
        "Curator helper failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curator_and_zk_sync_increment_a_shared_counter_without_losing_one() {
    const ROUNDS: usize = 25;
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-counter");
    let counter =
        std::env::temp_dir().join(format!("zk-sync-interop-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&counter, "0").unwrap();

    let java: Vec<_> = (0..2)
        .map(|_| {
            let (connect, path, counter) =
                (connect.clone(), path.clone(), counter.display().to_string());
            std::thread::spawn(move || {
                run_curator(&["increment", &connect, &path, &counter, &ROUNDS.to_string()])
            })
        })
        .collect();
    let mut ours = Vec::new();
    for _ in 0..2 {
        let (connect, path, counter) = (connect.clone(), path.clone(), counter.clone());
        ours.push(tokio::spawn(async move {
            let mutex =
                DistMutex::new(session_to(&connect, Duration::from_secs(10)).await, &path).unwrap();
            for _ in 0..ROUNDS {
                let guard = mutex.lock().await.unwrap();
                let value: usize = tokio::fs::read_to_string(&counter)
                    .await
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
                tokio::fs::write(&counter, (value + 1).to_string())
                    .await
                    .unwrap();
                guard.unlock().await.unwrap();
            }
        }));
    }
    for task in ours {
        task.await.unwrap();
    }
    for thread in java {
        assert!(thread.join().unwrap().contains("DONE"));
    }
    let total: usize = std::fs::read_to_string(&counter)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _ = std::fs::remove_file(&counter);
    assert_eq!(total, 4 * ROUNDS, "no increment lost");
    let observer = session_to(&connect, Duration::from_secs(10)).await;
    common::eventually(Duration::from_secs(2), "no lock node left", || async {
        children(&observer, &path).await.is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_side_sees_the_others_hold() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-hold");
    let session = session_to(&connect, Duration::from_secs(10)).await;
    let mutex = DistMutex::new(session.clone(), &path).unwrap();

    // We hold: Curator is refused and lists our node as a participant.
    let guard = mutex.lock().await.unwrap();
    let ours = guard.path().rsplit('/').next().unwrap().to_owned();
    let answer = run_curator(&["try", &connect, &path]);
    assert!(
        answer.starts_with("BUSY") && answer.contains(&ours),
        "{answer}"
    );
    guard.unlock().await.unwrap();
    assert!(run_curator(&["try", &connect, &path]).starts_with("ACQUIRED"));

    // Curator holds: we are refused, then get it once Curator releases.
    let mut holder = curator(&["hold", &connect, &path])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = ChildLines::of(&mut holder, "Curator");
    let line = lines.next(Duration::from_secs(30)).await.unwrap();
    // Curator names its node exactly as we name ours.
    assert!(
        line.starts_with(&format!("LOCKED {path}/_c_")) && line.contains("-lock-"),
        "{line}"
    );
    assert!(matches!(
        mutex.try_lock().await,
        Err(TryLockError::WouldBlock)
    ));
    let waiting = {
        let mutex = mutex.clone();
        tokio::spawn(async move { mutex.lock().await.map(|g| g.fencing_token()) })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "must wait for Curator's release");
    writeln!(holder.stdin.take().unwrap()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("acquired after Curator released")
        .unwrap()
        .unwrap();
    assert_eq!(
        lines.next(Duration::from_secs(30)).await.unwrap(),
        "RELEASED"
    );
    holder.wait().unwrap();
}

/// A Curator waiter watches our node; we unlock and lock again at once, so our release travels
/// inside our next create and touches the node as it deletes it. Curator must wake, take the
/// lock before us, and hand it back.
// One thread: the release is then certain to travel inside the next create.
#[tokio::test(flavor = "current_thread")]
async fn a_curator_waiter_wakes_when_our_release_travels_inside_our_next_create() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-folded");
    let plan = FaultPlan::new();
    let session = common::session_following(&connect, Duration::from_secs(10), &plan).await;
    let mutex = DistMutex::new(session.clone(), &path).unwrap();
    let guard = mutex.lock().await.unwrap();

    let mut waiter = curator(&["hold", &connect, &path])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = ChildLines::of(&mut waiter, "Curator");
    common::eventually(Duration::from_secs(30), "Curator queued behind us", || {
        let (session, path) = (session.clone(), path.clone());
        async move { children(&session, &path).await.len() == 2 }
    })
    .await;

    let (creates, deletes) = (plan.calls(Op::Create), plan.calls(Op::Delete));
    guard.unlock().await.unwrap();
    let again = mutex.lock();
    tokio::pin!(again);
    // Our next create is sent on the first poll, with the release inside it.
    assert!(
        futures::poll!(&mut again).is_pending(),
        "Curator is ahead of us now"
    );
    assert_eq!(plan.calls(Op::Create) - creates, 1);
    assert_eq!(
        plan.calls(Op::Delete) - deletes,
        0,
        "the release went inside the create"
    );

    let line = tokio::select! {
        locked = lines.next(Duration::from_secs(10)) => locked.expect("Curator woke"),
        _ = &mut again => panic!("we acquired before the Curator waiter"),
    };
    assert!(line.starts_with("LOCKED"), "{line}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        futures::poll!(&mut again).is_pending(),
        "we wait while Curator holds"
    );
    writeln!(waiter.stdin.take().unwrap()).unwrap();
    let guard = tokio::time::timeout(Duration::from_secs(10), again)
        .await
        .expect("ours after Curator's release")
        .unwrap();
    assert_eq!(
        lines.next(Duration::from_secs(30)).await.unwrap(),
        "RELEASED"
    );
    waiter.wait().unwrap();
    guard.unlock().await.unwrap();
}
