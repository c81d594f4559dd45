//! A lock or leadership that becomes uncertain or is lost stops the command it guards.

use crate::common::{read, scratch, session, unique_path, zk_sync, Running, LIVENESS};
use std::path::Path;
use std::time::Duration;
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::{FaultProxy, ZkServer};

/// A command that records SIGTERM in `dir/term` and says it started in `dir/started`.
fn polite_command(dir: &Path) -> String {
    format!(
        r#"trap 'echo TERM > {dir}/term; exit 0' TERM; echo $$ > {dir}/started; while :; do sleep 0.05; done"#,
        dir = dir.display()
    )
}

async fn wait_for_file(path: &Path) {
    crate::common::eventually(LIVENESS, "the command to start", || async {
        !read(path).is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_lock_stops_the_command_with_sigterm_before_anyone_else_gets_the_lock() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let path = unique_path("lost");
    let dir = scratch();
    let cli = Running::spawn(zk_sync(&proxy.connect_string()).args([
        "--session-timeout",
        "2s",
        "lock",
        &path,
        "--",
        "sh",
        "-c",
        &polite_command(dir.path()),
    ]));
    wait_for_file(&dir.path().join("started")).await;

    // A rival queues behind the CLI over a healthy connection.
    let rival = DistMutex::new(
        session(&server.connect_string(), Duration::from_secs(10)).await,
        &path,
    )
    .unwrap();
    let rival_waits = tokio::spawn(async move {
        let guard = rival.lock().await.unwrap();
        guard.unlock().await.unwrap();
    });

    // A network partition: the CLI's session expires on the server after 2 s.
    proxy.blackhole();
    let term = dir.path().join("term");
    tokio::time::timeout(LIVENESS, async {
        while !rival_waits.is_finished() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the rival gets the lock once the session expired");
    assert_eq!(
        read(&term).trim(),
        "TERM",
        "the command was stopped before the rival got the lock"
    );

    let (code, stderr) = cli.finish().await;
    assert_eq!(code, 75, "{stderr}");
    assert!(
        stderr.contains("may be lost") && stderr.contains("SIGTERM"),
        "{stderr}"
    );
    // (The shell may add its own "Terminated" for the interrupted sleep.)
    let ours: Vec<&str> = crate::common::lines_past_connecting(&stderr)
        .into_iter()
        .filter(|l| l.starts_with("zk-sync:") && !l.starts_with("zk-sync: holding"))
        .collect();
    assert_eq!(ours.len(), 1, "{stderr}");
    proxy.restore();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_ignores_sigterm_is_killed_after_kill_after() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let path = unique_path("stubborn");
    let dir = scratch();
    let stubborn = format!(
        r#"trap '' TERM; echo $$ > {dir}/started; while :; do sleep 0.05; done"#,
        dir = dir.path().display()
    );
    let cli = Running::spawn(zk_sync(&proxy.connect_string()).args([
        "lock",
        &path,
        "--kill-after",
        "300ms",
        "--",
        "sh",
        "-c",
        &stubborn,
    ]));
    let started = dir.path().join("started");
    wait_for_file(&started).await;
    let pid: libc::pid_t = read(&started).trim().parse().unwrap();

    // A cut connection: uncertain at once.
    proxy.cut();
    let (code, stderr) = cli.finish().await;
    assert_eq!(code, 75, "{stderr}");
    assert!(stderr.contains("SIGKILL"), "{stderr}");
    // SAFETY: kill with signal 0 only checks for the process.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    assert!(!alive, "the command is gone");
    proxy.restore();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_connection_is_cut_stops_its_command() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let path = unique_path("lost-leader");
    let dir = scratch();
    let cli = Running::spawn(zk_sync(&proxy.connect_string()).args([
        "elect",
        &path,
        "node-1",
        "--",
        "sh",
        "-c",
        &polite_command(dir.path()),
    ]));
    wait_for_file(&dir.path().join("started")).await;
    proxy.cut();
    let (code, stderr) = cli.finish().await;
    assert_eq!(code, 75, "{stderr}");
    assert!(stderr.contains("the leadership of"), "{stderr}");
    assert_eq!(read(&dir.path().join("term")).trim(), "TERM");
    proxy.restore();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_gets_sigterm_when_zk_sync_itself_is_killed() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("orphan");
    let dir = scratch();
    let cli = Running::spawn(zk_sync(&connect).args([
        "lock",
        &path,
        "--",
        "sh",
        "-c",
        &polite_command(dir.path()),
    ]));
    wait_for_file(&dir.path().join("started")).await;
    cli.signal(libc::SIGKILL);
    cli.reap().await;
    let term = dir.path().join("term");
    crate::common::eventually(LIVENESS, "SIGTERM for the orphaned command", || async {
        read(&term).trim() == "TERM"
    })
    .await;
}
