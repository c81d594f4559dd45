//! `zk-sync lock`: environment, exit codes, mutual exclusion, timeouts, holding without a command.

use crate::common::{
    eventually, inspect_json, inspect_table, read, run, scratch, session, unique_path,
    wait_for_children, zk_sync, Running,
};
use std::time::Duration;
use zk_sync_mutex::{DistMutex, TryLockError};
use zk_sync_testkit::ZkServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_sees_the_lock_and_its_exit_status_is_passed_on() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("env");
    let script = r#"echo "$ZK_SYNC_LOCK_PATH $ZK_SYNC_FENCING_TOKEN"; exit 7"#;
    let first = run(zk_sync(&connect).args(["-q", "lock", &path, "--", "sh", "-c", script])).await;
    assert_eq!(first.code, 7, "{first:?}");
    assert_eq!(first.stderr, "", "-q: nothing to say when all went well");
    let (printed_path, token) = first.stdout.trim().split_once(' ').expect("two words");
    assert_eq!(printed_path, path);
    let token: i64 = token.parse().expect("a numeric fencing token");

    let second = run(zk_sync(&connect).args([
        "lock",
        &path,
        "--",
        "sh",
        "-c",
        "echo $ZK_SYNC_FENCING_TOKEN",
    ]))
    .await;
    assert_eq!(second.code, 0, "{second:?}");
    let next: i64 = second.stdout.trim().parse().unwrap();
    assert!(next > token, "fencing tokens grow: {token} then {next}");

    // A command killed by a signal: 128 + N, as shells report it.
    let killed = run(zk_sync(&connect).args(["lock", &path, "--", "sh", "-c", "kill -9 $$"])).await;
    assert_eq!(killed.code, 128 + 9, "{killed:?}");

    let observer = session(&connect, Duration::from_secs(10)).await;
    wait_for_children(&observer, &path, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_lock_runs_exclude_each_other() {
    const RUNS: usize = 3;
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("exclusion");
    let dir = scratch();
    let counter = dir.path().join("counter");
    let log = dir.path().join("log");
    std::fs::write(&counter, "0").unwrap();
    // Read, pause, write: racy on purpose; the lock alone keeps it correct.
    let script = format!(
        r#"echo "start $1" >> {log}; v=$(cat {counter}); sleep 0.2; echo $((v + 1)) > {counter}; echo "end $1" >> {log}"#,
        log = log.display(),
        counter = counter.display()
    );
    let runs: Vec<_> = (0..RUNS)
        .map(|i| {
            let mut command = zk_sync(&connect);
            command.args([
                "lock",
                &path,
                "--",
                "sh",
                "-c",
                &script,
                "sh",
                &i.to_string(),
            ]);
            tokio::spawn(async move { run(&mut command).await })
        })
        .collect();
    for finished in runs {
        let finished = finished.await.unwrap();
        assert_eq!(finished.code, 0, "{finished:?}");
    }
    assert_eq!(read(&counter).trim(), RUNS.to_string(), "no increment lost");
    let lines: Vec<String> = read(&log).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2 * RUNS);
    for pair in lines.chunks(2) {
        let who = pair[0].strip_prefix("start ").expect("a start");
        assert_eq!(pair[1], format!("end {who}"), "no overlap: {lines:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_gives_up_with_124_without_running_the_command_or_leaving_a_node() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("timeout");
    let holder = session(&connect, Duration::from_secs(10)).await;
    let mutex = DistMutex::new(holder.clone(), &path).unwrap();
    let guard = mutex.lock().await.unwrap();
    let dir = scratch();
    let marker = dir.path().join("ran");
    let touch = ["touch", marker.to_str().unwrap()];

    let waited = run(zk_sync(&connect)
        .args(["lock", &path, "--timeout", "300ms", "--"])
        .args(touch))
    .await;
    assert_eq!(waited.code, 124, "{waited:?}");
    crate::common::assert_one_clear_line(&waited, "timed out after 300ms waiting for the lock on");

    let tried = run(zk_sync(&connect)
        .args(["lock", &path, "--timeout", "0", "--"])
        .args(touch))
    .await;
    assert_eq!(tried.code, 124, "{tried:?}");
    crate::common::assert_one_clear_line(
        &tried,
        &format!(
            "timed out after 0s waiting for the lock on {path}, held by session {:#x}: tried once, as --timeout 0 asks",
            holder.status().session_id
        ),
    );

    assert!(!marker.exists(), "the command never ran");
    wait_for_children(&holder, &path, 1).await;
    guard.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_command_the_lock_is_held_until_sigterm() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("hold");
    let mut holder = Running::spawn(zk_sync(&connect).args(["lock", &path]));
    holder.stderr_line_containing("holding the lock on").await;

    let other = session(&connect, Duration::from_secs(10)).await;
    let mutex = DistMutex::new(other, &path).unwrap();
    assert!(matches!(
        mutex.try_lock().await,
        Err(TryLockError::WouldBlock)
    ));
    holder.signal(libc::SIGTERM);
    let (code, rest) = holder.finish().await;
    assert_eq!(code, 0, "released on SIGTERM: {rest}");
    let guard = tokio::time::timeout(Duration::from_secs(10), mutex.lock())
        .await
        .expect("free after the release")
        .unwrap();
    guard.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unrunnable_command_has_its_own_exit_code() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("no-command");
    let missing =
        run(zk_sync(&connect).args(["-q", "lock", &path, "--", "no-such-command-zk-sync"])).await;
    assert_eq!(missing.code, 127, "{missing:?}");
    crate::common::assert_one_clear_line(&missing, "command not found");

    let dir = scratch();
    let not_executable = dir.path().join("script");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    let refused =
        run(zk_sync(&connect).args(["-q", "lock", &path, "--", not_executable.to_str().unwrap()]))
            .await;
    assert_eq!(refused.code, 126, "{refused:?}");
    crate::common::assert_one_clear_line(&refused, "permission denied");

    let observer = session(&connect, Duration::from_secs(10)).await;
    wait_for_children(&observer, &path, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_zk_sync_is_passed_on_to_the_command() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("forward");
    let dir = scratch();
    let started = dir.path().join("started");
    let script = format!(
        r#"trap 'exit 3' TERM; touch {started}; while :; do sleep 0.05; done"#,
        started = started.display()
    );
    let cli = Running::spawn(zk_sync(&connect).args(["lock", &path, "--", "sh", "-c", &script]));
    eventually(Duration::from_secs(30), "the command to start", || async {
        started.exists()
    })
    .await;
    cli.signal(libc::SIGTERM);
    let (code, stderr) = cli.finish().await;
    assert_eq!(code, 3, "the command's own exit status: {stderr}");
    let observer = session(&connect, Duration::from_secs(10)).await;
    wait_for_children(&observer, &path, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_id_is_stored_in_the_node_and_inspect_shows_it() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("id");
    let mut holder = Running::spawn(zk_sync(&connect).args(["lock", &path, "--id", "batch-3"]));
    holder.stderr_line_containing("holding the lock").await;
    let rows = inspect_table(&connect, &path).await;
    assert_eq!(
        (
            rows[0][1].as_str(),
            rows[0][2].as_str(),
            rows[0][5].as_str()
        ),
        ("lock", "holds", "batch-3"),
        "{rows:?}"
    );
    let report = inspect_json(&connect, &path).await;
    assert_eq!(report["nodes"][0]["data"], "batch-3");
    holder.signal(libc::SIGTERM);
    let (code, rest) = holder.finish().await;
    assert_eq!(code, 0, "{rest}");
}

/// `zk-sync lock PATH [flags] --timeout 0 -- true`: whether it got the lock at once.
async fn takes_at_once(connect: &str, path: &str, flags: &[&str]) -> bool {
    let finished = run(zk_sync(connect)
        .args(["-q", "lock", path])
        .args(flags)
        .args(["--timeout", "0", "--", "true"]))
    .await;
    match finished.code {
        0 => true,
        124 => false,
        _ => panic!("{flags:?}: {finished:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_read_and_write_are_the_two_sides_of_a_rwlock() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("rw");
    let mut reader = Running::spawn(zk_sync(&connect).args(["lock", &path, "--read"]));
    let said = reader.stderr_line_containing("holding").await;
    assert!(
        said.last()
            .unwrap()
            .contains(&format!("holding the read lock on {path}")),
        "{said:?}"
    );
    assert!(
        takes_at_once(&connect, &path, &["--read"]).await,
        "readers share"
    );
    assert!(
        !takes_at_once(&connect, &path, &["--write"]).await,
        "a writer waits"
    );
    // Plain `lock` is the mutex, another recipe: it does not see the rwlock's nodes.
    assert!(
        takes_at_once(&connect, &path, &[]).await,
        "a mutex does not pair with --read"
    );
    let report = inspect_json(&connect, &path).await;
    let nodes = report["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{report}");
    assert_eq!(
        (&nodes[0]["kind"], &nodes[0]["role"]),
        (&"read".into(), &"holds".into())
    );
    reader.signal(libc::SIGTERM);
    assert_eq!(reader.finish().await.0, 0);
    assert!(
        takes_at_once(&connect, &path, &["--write"]).await,
        "free again"
    );

    // And against the library's DistRwLock (Curator's protocol).
    let s = session(&connect, Duration::from_secs(10)).await;
    let rwlock = zk_sync_rwlock::DistRwLock::new(s, &path).unwrap();
    let writer = rwlock.write().await.unwrap();
    assert!(
        !takes_at_once(&connect, &path, &["--read"]).await,
        "a reader waits for a writer"
    );
    let waited =
        run(zk_sync(&connect).args(["lock", &path, "--read", "--timeout", "300ms", "--", "true"]))
            .await;
    assert_eq!(waited.code, 124, "{waited:?}");
    crate::common::assert_one_clear_line(
        &waited,
        &format!("timed out after 300ms waiting for the read lock on {path}, held by session"),
    );
    writer.unlock().await.unwrap();
    let read = rwlock.read().await.unwrap();
    assert!(takes_at_once(&connect, &path, &["--read"]).await);
    read.unlock().await.unwrap();

    // --help says which pairs with which.
    let help = run(crate::common::zk_sync_bare().args(["lock", "--help"])).await;
    for says in [
        "Pairs with `lock --write`, not with plain `lock`",
        "Pairs with `lock --read`, not with plain `lock`",
    ] {
        assert!(help.stdout.contains(says), "{}", help.stdout);
    }
}
