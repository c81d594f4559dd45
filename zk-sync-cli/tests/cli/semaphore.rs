//! `zk-sync semaphore`: environment, the limit across runs, timeouts, and `inspect` of a
//! semaphore's path.

use crate::common::{inspect_json, read, run, scratch, session, unique_path, zk_sync, Running};
use std::time::Duration;
use zk_sync_semaphore::DistSemaphore;
use zk_sync_testkit::ZkServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_n_runs_at_once_each_seeing_its_permit() {
    const RUNS: usize = 5;
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("semaphore");
    let dir = scratch();
    let log = dir.path().join("log");
    // Each run logs its start and end; a run lasts long enough for the others to queue.
    let script = format!(
        r#"echo "start $ZK_SYNC_SEMAPHORE_PATH $ZK_SYNC_PERMITS $ZK_SYNC_FENCING_TOKEN" >> {log}; sleep 0.3; echo end >> {log}"#,
        log = log.display()
    );
    let runs: Vec<_> = (0..RUNS)
        .map(|_| {
            let mut command = zk_sync(&connect);
            command.args([
                "-q",
                "semaphore",
                &path,
                "--permits",
                "2",
                "--",
                "sh",
                "-c",
                &script,
            ]);
            tokio::spawn(async move { run(&mut command).await })
        })
        .collect();
    for finished in runs {
        let finished = finished.await.unwrap();
        assert_eq!(finished.code, 0, "{finished:?}");
        assert_eq!(finished.stderr, "", "{finished:?}");
    }
    let mut inside = 0;
    let mut most = 0;
    for line in read(&log).lines() {
        if let Some(rest) = line.strip_prefix("start ") {
            let words: Vec<&str> = rest.split(' ').collect();
            assert_eq!(words[..2], [path.as_str(), "2"], "{line}");
            assert!(words[2].parse::<i64>().is_ok(), "a numeric token: {line}");
            inside += 1;
            most = most.max(inside);
        } else {
            inside -= 1;
        }
    }
    assert!(most <= 2, "{most} runs at once with 2 permits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_semaphore_times_out_with_124_and_inspect_shows_its_leases() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("semaphore-full");
    let holder = session(&connect, Duration::from_secs(10)).await;
    let semaphore = DistSemaphore::new(holder.clone(), &path, 1).unwrap();
    let permit = semaphore.acquire().await.unwrap();

    let tried = run(zk_sync(&connect).args([
        "semaphore",
        &path,
        "--permits",
        "1",
        "--timeout",
        "0",
        "--",
        "true",
    ]))
    .await;
    assert_eq!(tried.code, 124, "{tried:?}");
    crate::common::assert_one_clear_line(
        &tried,
        &format!(
            "timed out after 0s waiting for a permit of {path} (of 1), held by session {:#x}: tried once, as --timeout 0 asks",
            holder.status().session_id
        ),
    );
    let waited = run(zk_sync(&connect).args([
        "semaphore",
        &path,
        "--permits",
        "1",
        "--timeout",
        "300ms",
        "--",
        "true",
    ]))
    .await;
    assert_eq!(waited.code, 124, "{waited:?}");
    crate::common::assert_one_clear_line(&waited, "timed out");
    let refused =
        run(zk_sync(&connect).args(["semaphore", &path, "--permits", "0", "--", "true"])).await;
    assert_eq!(refused.code, 64, "0 permits is a usage error: {refused:?}");

    // A waiter holds the turn and counts; inspect shows the lease and the turn.
    let mut waiter = Running::spawn(zk_sync(&connect).args(["semaphore", &path, "--permits", "1"]));
    let observer = session(&connect, Duration::from_secs(10)).await;
    crate::common::eventually(Duration::from_secs(10), "the waiter counts", || {
        let (observer, locks) = (observer.clone(), format!("{path}/locks"));
        async move {
            zk_sync_core::test_util::children(&observer, &locks)
                .await
                .len()
                == 1
        }
    })
    .await;
    let text = inspect_json(&connect, &path).await.to_string();
    assert!(
        text.contains("\"lease\"") && text.contains("\"holds\""),
        "{text}"
    );
    assert!(
        text.contains("\"turn\"") && text.contains("\"counts\""),
        "{text}"
    );
    permit.release().await.unwrap();
    waiter.stderr_line_containing("holding a permit of").await;
    waiter.signal(libc::SIGTERM);
    let (code, rest) = waiter.finish().await;
    assert_eq!(code, 0, "{rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permit_whose_lease_goes_is_a_lost_hold_75() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("semaphore-lost");
    let mut holder = Running::spawn(zk_sync(&connect).args(["semaphore", &path, "--permits", "1"]));
    holder.stderr_line_containing("holding a permit of").await;
    let observer = session(&connect, Duration::from_secs(10)).await;
    let leases = format!("{path}/leases");
    let lease = zk_sync_core::test_util::children(&observer, &leases)
        .await
        .remove(0);
    let epoch = observer.live_epoch().await.unwrap();
    assert!(epoch.delete(&format!("{leases}/{lease}")).await.unwrap());
    let (code, rest) = holder.finish().await;
    assert_eq!(code, 75, "{rest}");
    assert!(
        rest.contains(&format!("a permit of {path} (of 1) was lost")),
        "{rest}"
    );
}
