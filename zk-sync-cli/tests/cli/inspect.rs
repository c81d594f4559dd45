//! `zk-sync inspect`: who holds and who waits, for our recipes and Curator's.

use crate::common::{
    create_dir, inspect_json, inspect_table, run, session, unique_path, wait_for_children, zk_sync,
    Running, LIVENESS,
};
use serde_json::Value;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;
use zk_sync_barrier::DoubleBarrier;
use zk_sync_core::backend::NodeKind;
use zk_sync_election::LeaderElection;
use zk_sync_mutex::DistMutex;
use zk_sync_rwlock::DistRwLock;
use zk_sync_semaphore::DistSemaphore;
use zk_sync_testkit::{curator_program, ChildLines, ZkServer};

const CURATOR_HOLD: &str = include_str!("../java/CuratorHold.java");

fn roles(rows: &[Vec<String>]) -> Vec<(String, String)> {
    rows.iter().map(|r| (r[1].clone(), r[2].clone())).collect()
}

fn pair(kind: &str, role: &str) -> (String, String) {
    (kind.to_owned(), role.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_shows_our_holder_and_waiters() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("inspect-ours");
    let holder = session(&connect, Duration::from_secs(10)).await;
    let mutex = DistMutex::new(holder.clone(), &path).unwrap();
    let guard = mutex.lock().await.unwrap();
    let waiter = session(&connect, Duration::from_secs(10)).await;
    let mut waiting = Vec::new();
    for _ in 0..2 {
        let mutex = DistMutex::new(waiter.clone(), &path).unwrap();
        waiting.push(tokio::spawn(async move {
            drop(mutex.lock().await.unwrap());
        }));
    }
    wait_for_children(&holder, &path, 3).await;

    let rows = inspect_table(&connect, &path).await;
    assert_eq!(
        roles(&rows),
        [
            pair("lock", "holds"),
            pair("lock", "waits"),
            pair("lock", "waits")
        ]
    );
    let holder_id = format!("{:#x}", holder.status().session_id);
    let waiter_id = format!("{:#x}", waiter.status().session_id);
    assert_eq!(rows[0][0], guard.path().rsplit('/').next().unwrap());
    assert_eq!(rows[0][3], holder_id);
    assert_eq!(
        (rows[1][3].as_str(), rows[2][3].as_str()),
        (waiter_id.as_str(), waiter_id.as_str())
    );
    assert_eq!(rows[0][5], "-", "our lock nodes carry no data");

    let report = inspect_json(&connect, &path).await;
    assert_eq!(report["path"], path.as_str());
    assert_eq!(report["exists"], true);
    let nodes = report["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[0]["kind"], "lock");
    assert_eq!(nodes[0]["role"], "holds");
    assert_eq!(nodes[0]["session_id"], holder_id.as_str());
    assert_eq!(nodes[0]["ephemeral"], true);
    assert_eq!(nodes[0]["fencing_token"], guard.fencing_token().as_i64());
    assert_eq!(nodes[1]["role"], "waits");
    for waiter in &nodes[1..] {
        let fields = waiter.as_object().unwrap();
        assert!(
            !fields.contains_key("fencing_token"),
            "a waiter has no token yet: {waiter}"
        );
    }
    assert!(nodes[0]["age_ms"].as_i64().unwrap() >= 0);

    guard.unlock().await.unwrap();
    for task in waiting {
        tokio::time::timeout(LIVENESS, task).await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_path_has_its_own_exit_code() {
    let connect = ZkServer::shared().connect_string();
    let missing = unique_path("inspect-missing");
    let table = run(zk_sync(&connect).args(["inspect", &missing])).await;
    assert_eq!(table.code, 66, "{table:?}");
    assert_eq!(table.stdout.trim(), format!("{missing} does not exist"));
    let report = run(zk_sync(&connect).args(["inspect", &missing, "--json"])).await;
    assert_eq!(report.code, 66, "{report:?}");
    let report: Value = serde_json::from_str(&report.stdout).expect("valid JSON");
    assert_eq!(report["exists"], false);
    assert_eq!(report["nodes"].as_array().unwrap().len(), 0);

    // An empty directory exists: 0.
    let empty = unique_path("inspect-empty");
    create_dir(&connect, &empty).await;
    let finished = run(zk_sync(&connect).args(["inspect", &empty])).await;
    assert_eq!(finished.code, 0, "{finished:?}");
    assert!(finished.stdout.contains("has no children"), "{finished:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_shows_a_lock_held_by_curator() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("inspect-curator");
    let mut curator = curator_program("CuratorHold", CURATOR_HOLD)
        .expect("Curator 5.4 and a JDK")
        .args([&connect, &path])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = ChildLines::of(&mut curator, "Curator");
    let line = lines.next(LIVENESS).await.expect("Curator locked");
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(words[0], "LOCKED", "{line}");
    let curator_node = words[1].rsplit('/').next().unwrap().to_owned();
    let curator_session = words[2].to_owned();

    // One of ours queues behind Curator.
    let ours = session(&connect, Duration::from_secs(10)).await;
    let mutex = DistMutex::new(ours.clone(), &path).unwrap();
    let waiting = tokio::spawn(async move { mutex.lock().await.unwrap().unlock().await });
    wait_for_children(&ours, &path, 2).await;

    let rows = inspect_table(&connect, &path).await;
    assert_eq!(roles(&rows), [pair("lock", "holds"), pair("lock", "waits")]);
    assert_eq!(rows[0][0], curator_node);
    assert_eq!(rows[0][3], curator_session);
    assert_ne!(
        rows[0][5], "-",
        "Curator stores its host address in the node"
    );
    assert_eq!(rows[1][3], format!("{:#x}", ours.status().session_id));

    let report = inspect_json(&connect, &path).await;
    let nodes = report["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["node"], curator_node.as_str());
    assert_eq!(nodes[0]["role"], "holds");
    assert!(nodes[0]["data"].is_string(), "{report}");
    assert_eq!(nodes[1]["role"], "waits");

    writeln!(curator.stdin.take().unwrap()).unwrap();
    tokio::time::timeout(LIVENESS, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(lines.next(LIVENESS).await.unwrap(), "RELEASED");
    curator.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_reads_rwlocks_elections_and_barriers() {
    let connect = ZkServer::shared().connect_string();
    let s = session(&connect, Duration::from_secs(10)).await;

    // Reader-writer lock: a reader holds, a writer queues, a reader queues behind the writer.
    let rw_path = unique_path("inspect-rw");
    let rw = DistRwLock::new(s.clone(), &rw_path).unwrap();
    let read = rw.read().await.unwrap();
    let writer = {
        let rw = rw.clone();
        tokio::spawn(async move { drop(rw.write().await.unwrap()) })
    };
    wait_for_children(&s, &rw_path, 2).await;
    let late_reader = {
        let rw = rw.clone();
        tokio::spawn(async move { drop(rw.read().await.unwrap()) })
    };
    wait_for_children(&s, &rw_path, 3).await;
    assert_eq!(
        roles(&inspect_table(&connect, &rw_path).await),
        [
            pair("read", "holds"),
            pair("write", "waits"),
            pair("read", "waits")
        ]
    );
    drop(read);
    for task in [writer, late_reader] {
        tokio::time::timeout(LIVENESS, task).await.unwrap().unwrap();
    }

    // Election: the first participant leads; the data column shows the ids.
    let election_path = unique_path("inspect-election");
    let first = LeaderElection::new(s.clone(), &election_path, "alpha").unwrap();
    let leadership = first.campaign().await.unwrap();
    let second = LeaderElection::new(s.clone(), &election_path, "beta").unwrap();
    let campaign = tokio::spawn(async move { drop(second.campaign().await.unwrap()) });
    wait_for_children(&s, &election_path, 2).await;
    let rows = inspect_table(&connect, &election_path).await;
    assert_eq!(
        roles(&rows),
        [pair("latch", "leads"), pair("latch", "waits")]
    );
    assert_eq!(
        (rows[0][5].as_str(), rows[1][5].as_str()),
        ("alpha", "beta")
    );
    leadership.resign().await.unwrap();
    tokio::time::timeout(LIVENESS, campaign)
        .await
        .unwrap()
        .unwrap();

    // Double barrier of two, both inside: two members and the `ready` node.
    let barrier_path = unique_path("inspect-barrier");
    let a = DoubleBarrier::new(s.clone(), &barrier_path, 2).unwrap();
    let b = DoubleBarrier::new(s.clone(), &barrier_path, 2).unwrap();
    let (entered_a, entered_b) = tokio::join!(a.enter(), b.enter());
    entered_a.unwrap();
    entered_b.unwrap();
    let rows = inspect_table(&connect, &barrier_path).await;
    let mut kinds: Vec<(String, String)> = roles(&rows);
    kinds.sort();
    assert_eq!(
        kinds,
        [pair("member", "-"), pair("member", "-"), pair("ready", "-")]
    );
    let (left_a, left_b) = tokio::join!(a.leave(), b.leave());
    left_a.unwrap();
    left_b.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_created_at_time_zero_has_an_unknown_age() {
    let connect = ZkServer::shared().connect_string();
    // ZooKeeper creates its own /zookeeper/quota with ctime 0.
    let rows = inspect_table(&connect, "/zookeeper").await;
    let quota = rows.iter().find(|r| r[0] == "quota").expect("a quota row");
    assert_eq!(quota[4], "unknown", "{rows:?}");
    let report = inspect_json(&connect, "/zookeeper").await;
    let nodes = report["nodes"].as_array().unwrap();
    let quota = nodes.iter().find(|n| n["node"] == "quota").unwrap();
    assert!(quota["created_ms"].is_null(), "{quota}");
    assert!(quota["age_ms"].is_null(), "{quota}");
    assert!(!quota.as_object().unwrap().contains_key("fencing_token"));

    // A node of ours has a known age.
    let path = unique_path("inspect-age");
    let s = session(&connect, Duration::from_secs(10)).await;
    let mutex = DistMutex::new(s, &path).unwrap();
    let guard = mutex.lock().await.unwrap();
    let rows = inspect_table(&connect, &path).await;
    assert_ne!(rows[0][4], "unknown", "{rows:?}");
    guard.unlock().await.unwrap();
}

/// The next report `inspect --watch --json` prints that satisfies `wanted`.
async fn next_report(watcher: &mut Running, wanted: impl Fn(&Value) -> bool) -> Value {
    loop {
        let line = watcher.stdout_line().await;
        let report: Value = serde_json::from_str(&line).expect("one JSON object per line");
        if wanted(&report) {
            return report;
        }
    }
}

fn node_count(report: &Value) -> usize {
    report["nodes"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_watch_prints_again_on_every_change_until_interrupted() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("inspect-watch");
    let mut watcher =
        Running::spawn(zk_sync(&connect).args(["inspect", &path, "--watch", "--json"]));
    let first = next_report(&mut watcher, |_| true).await;
    assert_eq!(first["exists"], false, "{first}");

    let s = session(&connect, Duration::from_secs(10)).await;
    let mutex = DistMutex::new(s.clone(), &path).unwrap();
    let guard = mutex.lock().await.unwrap();
    let held = next_report(&mut watcher, |r| node_count(r) == 1).await;
    assert_eq!(held["nodes"][0]["role"], "holds", "{held}");
    assert_eq!(
        held["nodes"][0]["fencing_token"],
        guard.fencing_token().as_i64()
    );

    let other = DistMutex::new(s.clone(), &path).unwrap();
    let waiting = tokio::spawn(async move { other.lock().await.unwrap().unlock().await });
    let queued = next_report(&mut watcher, |r| node_count(r) == 2).await;
    assert_eq!(queued["nodes"][1]["role"], "waits", "{queued}");

    guard.unlock().await.unwrap();
    tokio::time::timeout(LIVENESS, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    next_report(&mut watcher, |r| node_count(r) == 0).await;

    watcher.signal(libc::SIGINT);
    let (code, stderr) = watcher.finish().await;
    assert_eq!(code, 0, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_watch_follows_a_semaphore_that_has_no_lease_yet() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("inspect-watch-semaphore");
    // An idle semaphore whose directories stay (persistent, as a client without container
    // nodes leaves them): nothing below them yet.
    create_dir(&connect, &path).await;
    let s = session(&connect, Duration::from_secs(10)).await;
    let epoch = s.live_epoch().await.unwrap();
    for dir in ["leases", "locks"] {
        epoch
            .backend()
            .create(
                &format!("{path}/{dir}"),
                &[],
                NodeKind::Persistent,
                s.default_acl(),
            )
            .await
            .unwrap();
    }
    let mut watcher =
        Running::spawn(zk_sync(&connect).args(["inspect", &path, "--watch", "--json"]));
    let idle = next_report(&mut watcher, |_| true).await;
    assert_eq!(idle["exists"], true, "{idle}");
    assert_eq!(node_count(&idle), 0, "{idle}");

    let semaphore = DistSemaphore::new(s.clone(), &path, 2).unwrap();
    let permit = semaphore.acquire().await.unwrap();
    let leased = next_report(&mut watcher, |r| node_count(r) == 1).await;
    assert_eq!(leased["nodes"][0]["role"], "holds", "{leased}");
    drop(permit);

    watcher.signal(libc::SIGINT);
    let (code, stderr) = watcher.finish().await;
    assert_eq!(code, 0, "{stderr}");
}
