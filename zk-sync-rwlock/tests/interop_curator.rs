//! Apache Curator 5.4's `InterProcessReadWriteLock` and `DistRwLock` share one lock path:
//! readers of both hold together, a writer of either excludes everyone else, and a counter
//! incremented under both sides' write locks loses nothing.

mod common;

use common::{children, session_to, unique_path};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use zk_sync_rwlock::{DistRwLock, TryLockError};
use zk_sync_testkit::{curator_program, ChildLines, ZkServer};

const SOURCE: &str = include_str!("java/CuratorRwLock.java");

fn curator(args: &[&str]) -> Command {
    let mut command = curator_program("CuratorRwLock", SOURCE).expect("Curator 5.4 and a JDK");
    command.args(args);
    command
}

fn run_curator(args: &[&str]) -> String {
    let output = curator(args).output().unwrap();
    assert!(
        output.status.success(),
        "Curator helper failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A Curator process holding one side of the lock until told to release.
struct CuratorHolder {
    child: Child,
    lines: ChildLines,
}

impl CuratorHolder {
    /// Starts `hold-read` or `hold-write` and waits until it holds; returns the `LOCKED` line.
    async fn start(mode: &str, connect: &str, path: &str) -> (CuratorHolder, String) {
        let mut child = curator(&[mode, connect, path])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = ChildLines::of(&mut child, "Curator");
        let line = lines
            .next(Duration::from_secs(30))
            .await
            .expect("Curator locked");
        assert!(line.starts_with("LOCKED "), "{line}");
        (CuratorHolder { child, lines }, line)
    }

    /// Tells it to release and waits until it has.
    fn release(mut self) {
        writeln!(self.child.stdin.take().unwrap()).unwrap();
        let released = self.lines.next_blocking(Duration::from_secs(30));
        assert_eq!(released.unwrap(), "RELEASED");
        self.child.wait().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curator_and_zk_sync_count_under_write_locks_and_read_under_read_locks() {
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
    let read_counter = |counter: PathBuf| async move {
        tokio::fs::read_to_string(&counter)
            .await
            .unwrap()
            .trim()
            .parse::<usize>()
            .unwrap()
    };
    // Start ours once Curator contends (its JVMs take a while to start), so the two interleave.
    let observer = session_to(&connect, Duration::from_secs(10)).await;
    common::eventually(Duration::from_secs(30), "Curator contending", || async {
        !children(&observer, &path).await.is_empty()
    })
    .await;
    let mut ours = Vec::new();
    for _ in 0..2 {
        let (connect, path, counter) = (connect.clone(), path.clone(), counter.clone());
        ours.push(tokio::spawn(async move {
            let lock = DistRwLock::new(session_to(&connect, Duration::from_secs(10)).await, &path)
                .unwrap();
            for _ in 0..ROUNDS {
                let guard = lock.write().await.unwrap();
                let value = read_counter(counter.clone()).await;
                tokio::time::sleep(Duration::from_millis(2)).await;
                tokio::fs::write(&counter, (value + 1).to_string())
                    .await
                    .unwrap();
                guard.unlock().await.unwrap();

                let guard = lock.read().await.unwrap();
                let before = read_counter(counter.clone()).await;
                tokio::time::sleep(Duration::from_millis(2)).await;
                let after = read_counter(counter.clone()).await;
                assert_eq!(before, after, "the counter moved under a read lock");
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
    let total: usize = read_counter(counter.clone()).await;
    let _ = std::fs::remove_file(&counter);
    assert_eq!(total, 4 * ROUNDS, "no increment lost");
    common::eventually(Duration::from_secs(2), "no lock node left", || async {
        children(&observer, &path).await.is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_of_both_hold_together_and_hold_off_the_others_writers() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-readers");
    let lock = DistRwLock::new(session_to(&connect, Duration::from_secs(10)).await, &path).unwrap();

    // A Curator reader holds: ours joins it, our writer is refused and then waits.
    let (curator_reader, line) = CuratorHolder::start("hold-read", &connect, &path).await;
    // Curator names its node exactly as we name ours.
    assert!(line.contains("_c_") && line.contains("-__READ__"), "{line}");
    let ours = lock.try_read().await.expect("readers share");
    assert!(matches!(
        lock.try_write().await,
        Err(TryLockError::WouldBlock)
    ));
    // Both readers hold: Curator's writer is refused too.
    let answer = run_curator(&["try-write", &connect, &path]);
    let our_name = ours.path().rsplit('/').next().unwrap().to_owned();
    assert!(
        answer.starts_with("BUSY") && answer.contains(&our_name),
        "{answer}"
    );
    let writing = {
        let lock = lock.clone();
        tokio::spawn(async move { lock.write().await.map(|g| g.fencing_token()) })
    };
    ours.unlock().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !writing.is_finished(),
        "our writer waits for Curator's reader"
    );
    curator_reader.release();
    tokio::time::timeout(Duration::from_secs(10), writing)
        .await
        .expect("our writer acquires after Curator's reader left")
        .unwrap()
        .unwrap();

    // Our reader holds: Curator's reader joins it.
    let ours = lock.read().await.unwrap();
    assert_eq!(
        run_curator(&["try-read", &connect, &path]).trim(),
        "ACQUIRED"
    );
    ours.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_of_either_side_excludes_the_others_readers() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-writers");
    let lock = DistRwLock::new(session_to(&connect, Duration::from_secs(10)).await, &path).unwrap();

    // Our writer holds: Curator's reader is refused.
    let ours = lock.write().await.unwrap();
    let our_name = ours.path().rsplit('/').next().unwrap().to_owned();
    let answer = run_curator(&["try-read", &connect, &path]);
    assert!(
        answer.starts_with("BUSY") && answer.contains(&our_name),
        "{answer}"
    );
    ours.unlock().await.unwrap();

    // Curator's writer holds: our reader is refused, then waits until Curator releases.
    let (curator_writer, line) = CuratorHolder::start("hold-write", &connect, &path).await;
    assert!(line.contains("_c_") && line.contains("-__WRIT__"), "{line}");
    assert!(lock.try_read().await.unwrap_err().is_would_block());
    let reading = {
        let lock = lock.clone();
        tokio::spawn(async move { lock.read().await.map(|g| g.fencing_token()) })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !reading.is_finished(),
        "our reader waits for Curator's writer"
    );
    curator_writer.release();
    tokio::time::timeout(Duration::from_secs(10), reading)
        .await
        .expect("our reader acquires after Curator's writer left")
        .unwrap()
        .unwrap();
}
