//! `zk-sync elect`: the command runs only on the leader; `--observe` follows the leader.

use crate::common::{
    assert_one_clear_line, eventually, read, run, scratch, session, unique_path, wait_for_children,
    zk_sync, Running,
};
use std::path::Path;
use std::time::Duration;
use zk_sync_election::LeaderElection;
use zk_sync_testkit::ZkServer;

/// Logs that it runs, with its environment, then runs until `release-<id>` appears.
fn leader_command(dir: &Path) -> String {
    format!(
        r#"echo "$ZK_SYNC_PARTICIPANT_ID $ZK_SYNC_ELECTION_PATH $ZK_SYNC_FENCING_TOKEN" >> {dir}/log; while [ ! -e {dir}/release-$ZK_SYNC_PARTICIPANT_ID ]; do sleep 0.05; done"#,
        dir = dir.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_runs_the_command() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("elect");
    let dir = scratch();
    let log = dir.path().join("log");
    let command = leader_command(dir.path());
    let start = |id: &str| {
        Running::spawn(zk_sync(&connect).args(["elect", &path, id, "--", "sh", "-c", &command]))
    };
    let mut a = start("a");
    a.stderr_line_containing("holding the leadership of").await;
    eventually(Duration::from_secs(10), "a's command", || async {
        read(&log).lines().count() == 1
    })
    .await;
    let b = start("b");
    let observer = session(&connect, Duration::from_secs(10)).await;
    wait_for_children(&observer, &path, 2).await;
    // b has joined the election but does not lead: its command must not run.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(read(&log).lines().count(), 1, "{}", read(&log));

    std::fs::write(dir.path().join("release-a"), "").unwrap();
    let (code, _) = a.finish().await;
    assert_eq!(code, 0);
    eventually(Duration::from_secs(10), "b's command", || async {
        read(&log).lines().count() == 2
    })
    .await;
    std::fs::write(dir.path().join("release-b"), "").unwrap();
    let (code, _) = b.finish().await;
    assert_eq!(code, 0);

    let lines: Vec<Vec<String>> = read(&log)
        .lines()
        .map(|l| l.split(' ').map(str::to_owned).collect())
        .collect();
    assert_eq!(lines[0][..2], ["a".to_owned(), path.clone()]);
    assert_eq!(lines[1][..2], ["b".to_owned(), path.clone()]);
    let tokens: Vec<i64> = lines.iter().map(|l| l[2].parse().unwrap()).collect();
    assert!(tokens[1] > tokens[0], "{tokens:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_prints_every_change_of_leader() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("observe");
    let mut observer = Running::spawn(zk_sync(&connect).args(["elect", &path, "--observe"]));
    assert_eq!(observer.stdout_line().await, "no leader");

    let participant = session(&connect, Duration::from_secs(10)).await;
    let election = LeaderElection::new(participant.clone(), &path, "node-7").unwrap();
    let leadership = election.campaign().await.unwrap();
    let line = observer.stdout_line().await;
    let expected = format!(
        "leader node-7 (node {}, session {:#x}, fencing token {})",
        leadership.path().rsplit('/').next().unwrap(),
        leadership.session_id(),
        leadership.fencing_token()
    );
    assert_eq!(line, expected);

    leadership.resign().await.unwrap();
    assert_eq!(observer.stdout_line().await, "no leader");
    observer.signal(libc::SIGINT);
    let (code, stderr) = observer.finish().await;
    assert_eq!(code, 0, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_json_gives_one_timestamped_object_per_change() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("observe-json");
    let mut observer =
        Running::spawn(zk_sync(&connect).args(["elect", &path, "--observe", "--json"]));
    let parse = |line: String| -> serde_json::Value {
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    };
    let none = parse(observer.stdout_line().await);
    assert!(none["leader"].is_null(), "{none}");

    let participant = session(&connect, Duration::from_secs(10)).await;
    let election = LeaderElection::new(participant, &path, "node-7").unwrap();
    let leadership = election.campaign().await.unwrap();
    let led = parse(observer.stdout_line().await);
    assert_eq!(led["leader"]["id"], "node-7", "{led}");
    assert_eq!(
        led["leader"]["node"],
        leadership.path().rsplit('/').next().unwrap()
    );
    assert_eq!(
        led["leader"]["session_id"],
        format!("{:#x}", leadership.session_id())
    );
    assert_eq!(
        led["leader"]["fencing_token"],
        leadership.fencing_token().as_i64()
    );
    leadership.resign().await.unwrap();
    let gone = parse(observer.stdout_line().await);
    assert!(gone["leader"].is_null(), "{gone}");

    // Every change carries its time, as RFC 3339 and as milliseconds, in order.
    let mut last = 0;
    for change in [&none, &led, &gone] {
        let text = change["time"].as_str().expect("a time");
        let time = humantime::parse_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let ms = change["time_ms"].as_u64().expect("time_ms");
        let since_epoch = time.duration_since(std::time::UNIX_EPOCH).unwrap();
        assert_eq!(since_epoch.as_millis(), u128::from(ms), "{change}");
        assert!(ms >= last, "in order: {change}");
        last = ms;
    }
    observer.signal(libc::SIGINT);
    let (code, stderr) = observer.finish().await;
    assert_eq!(code, 0, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_without_observe_is_a_usage_error_before_connecting() {
    // Nothing listens here: the refusal comes first.
    let nowhere = "127.0.0.1:9";
    let with_id = run(zk_sync(nowhere).args(["elect", "/e", "x", "--json"])).await;
    assert_eq!(with_id.code, 64, "{with_id:?}");
    assert_one_clear_line(&with_id, "--json goes with --observe");
    let without = run(zk_sync(nowhere).args(["elect", "/e", "--json"])).await;
    assert_eq!(without.code, 64, "{without:?}");
    assert_one_clear_line(&without, "--observe");
}
