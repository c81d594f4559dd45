//! `zk-sync barrier`: nobody's command runs before all have entered, nobody leaves before
//! all are done.

use crate::common::{
    assert_one_clear_line, eventually, read, run, scratch, session, unique_path, wait_for_children,
    zk_sync, Running,
};
use std::path::Path;
use std::time::Duration;
use zk_sync_testkit::ZkServer;

/// Logs "in <id> <path> <count>", then works until `release-<id>` appears.
fn participant(dir: &Path) -> String {
    format!(
        r#"echo "in $1 $ZK_SYNC_BARRIER_PATH $ZK_SYNC_BARRIER_COUNT" >> {dir}/log; while [ ! -e {dir}/release-$1 ]; do sleep 0.05; done"#,
        dir = dir.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_start_together_and_their_runs_end_together() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("barrier");
    let dir = scratch();
    let log = dir.path().join("log");
    let script = participant(dir.path());
    let start = |id: &str| {
        Running::spawn(zk_sync(&connect).args([
            "-q", "barrier", &path, "--count", "3", "--", "sh", "-c", &script, "sh", id,
        ]))
    };
    let a = start("a");
    let b = start("b");
    let observer = session(&connect, Duration::from_secs(10)).await;
    wait_for_children(&observer, &path, 2).await;
    // Two of three are in: neither command may run yet.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(read(&log), "", "nobody starts before all three entered");

    let mut c = start("c");
    eventually(Duration::from_secs(30), "all three commands", || async {
        read(&log).lines().count() == 3
    })
    .await;
    let mut ids: Vec<String> = read(&log)
        .lines()
        .map(|line| {
            let words: Vec<&str> = line.split(' ').collect();
            assert_eq!(words[2..], [path.as_str(), "3"], "{line}");
            words[1].to_owned()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["a", "b", "c"]);

    // c's command ends first, but c leaves only when a and b are done too.
    std::fs::write(dir.path().join("release-c"), "").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        c.child.try_wait().unwrap().is_none(),
        "c waits for the others to leave"
    );
    std::fs::write(dir.path().join("release-a"), "").unwrap();
    std::fs::write(dir.path().join("release-b"), "").unwrap();
    for (name, participant) in [("a", a), ("b", b), ("c", c)] {
        let (code, rest) = participant.finish().await;
        assert_eq!(code, 0, "{name}: {rest}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_command_it_is_a_meeting_point_and_the_exit_status_is_the_commands() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("barrier-meet");
    let first = Running::spawn(zk_sync(&connect).args(["barrier", &path, "--count", "2"]));
    let second =
        run(zk_sync(&connect).args(["barrier", &path, "--count", "2", "--", "sh", "-c", "exit 3"]))
            .await;
    assert_eq!(second.code, 3, "the command's status: {second:?}");
    assert!(
        second
            .stderr
            .contains(&format!("entered the barrier {path} of 2")),
        "{second:?}"
    );
    let (code, rest) = first.finish().await;
    assert_eq!(code, 0, "{rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_barrier_nobody_else_enters_times_out_saying_how_many_are_inside() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("barrier-alone");
    let dir = scratch();
    let marker = dir.path().join("ran");
    // Long enough for our member node to be in whatever the load (-q: no waiting line).
    let alone = run(zk_sync(&connect).args([
        "-q",
        "barrier",
        &path,
        "--count",
        "2",
        "--timeout",
        "2s",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(alone.code, 124, "{alone:?}");
    assert_one_clear_line(
        &alone,
        &format!("timed out after 2s waiting for the others to enter the barrier {path} of 2, 1 of 2 inside"),
    );
    assert!(!marker.exists(), "the command never ran");
    let observer = session(&connect, Duration::from_secs(10)).await;
    wait_for_children(&observer, &path, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_whose_member_node_goes_has_lost_its_place_75() {
    let server = ZkServer::shared();
    let proxy = zk_sync_testkit::FaultProxy::start(server.addr()).unwrap();
    let path = unique_path("barrier-member-lost");
    let dir = scratch();
    let marker = dir.path().join("ran");
    let participant = Running::spawn(zk_sync(&proxy.connect_string()).args([
        "-q",
        "barrier",
        &path,
        "--count",
        "2",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]));
    let observer = session(&server.connect_string(), Duration::from_secs(10)).await;
    wait_for_children(&observer, &path, 1).await;
    let member = zk_sync_core::test_util::children(&observer, &path)
        .await
        .remove(0);
    let epoch = observer.live_epoch().await.unwrap();
    assert!(epoch.delete(&format!("{path}/{member}")).await.unwrap());
    // The barrier counts again on any change of its connection: cut it (it reconnects).
    proxy.cut();
    proxy.restore();
    let (code, stderr) = participant.finish().await;
    assert_eq!(code, 75, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "entering the barrier {path} of 2: our member node"
        )),
        "{stderr}"
    );
    assert!(!marker.exists(), "the command never ran");
}
