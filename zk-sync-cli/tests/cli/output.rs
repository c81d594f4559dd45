//! What `lock` and `elect` say: the same lines, as loud as -q / -v ask, and who holds when the
//! wait lasts.

use crate::common::{
    inspect_json, lines_past_connecting, run, session, unique_path, zk_sync, Running,
};
use std::time::Duration;
use zk_sync_election::LeaderElection;
use zk_sync_testkit::ZkServer;

/// The fencing token in "... (fencing token N)".
fn token_in(line: &str) -> &str {
    line.rsplit_once("(fencing token ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no fencing token in {line:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_and_elect_say_the_same_at_every_level() {
    let connect = ZkServer::shared().connect_string();
    let lock_path = unique_path("say-lock");
    let elect_path = unique_path("say-elect");
    let lock = |level: Option<&str>| {
        let mut command = zk_sync(&connect);
        command.args(level).args(["lock", &lock_path, "--", "true"]);
        command
    };
    let elect = |level: Option<&str>| {
        let mut command = zk_sync(&connect);
        command
            .args(level)
            .args(["elect", &elect_path, "n1", "--", "true"]);
        command
    };

    for (mut command, what) in [
        (lock(None), format!("the lock on {lock_path}")),
        (elect(None), format!("the leadership of {elect_path} as n1")),
    ] {
        let finished = run(&mut command).await;
        assert_eq!(finished.code, 0, "{finished:?}");
        let lines = lines_past_connecting(&finished.stderr);
        assert_eq!(lines.len(), 1, "{finished:?}");
        let line = lines[0];
        let token = token_in(line);
        assert_eq!(
            line,
            format!("zk-sync: holding {what} (fencing token {token})")
        );
    }

    for mut command in [lock(Some("-q")), elect(Some("--quiet"))] {
        let finished = run(&mut command).await;
        assert_eq!(finished.code, 0, "{finished:?}");
        assert_eq!(finished.stderr, "", "quiet, even about a slow connection");
    }

    for (mut command, what) in [
        (lock(Some("-v")), format!("the lock on {lock_path}")),
        (
            elect(Some("--verbose")),
            format!("the leadership of {elect_path}"),
        ),
    ] {
        let finished = run(&mut command).await;
        assert_eq!(finished.code, 0, "{finished:?}");
        let lines = lines_past_connecting(&finished.stderr);
        assert_eq!(lines.len(), 3, "{finished:?}");
        assert!(
            lines[0].starts_with(&format!(
                "zk-sync: connected to ZooKeeper at {connect} (session 0x"
            )),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with(&format!("zk-sync: holding {what}")),
            "{lines:?}"
        );
        assert_eq!(lines[2], format!("zk-sync: released {what}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_wait_for_a_lock_names_the_holder_and_its_id() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("say-holder");
    let mut holder = Running::spawn(zk_sync(&connect).args(["lock", &path, "--id", "worker-7"]));
    holder.stderr_line_containing("holding the lock").await;
    let report = inspect_json(&connect, &path).await;
    let holder_session = report["nodes"][0]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut waiter = Running::spawn(zk_sync(&connect).args(["lock", &path, "--", "true"]));
    let said = waiter.stderr_line_containing("waiting for the lock").await;
    assert_eq!(
        said.last().unwrap(),
        &format!("zk-sync: waiting for the lock on {path}, held by session {holder_session} (id worker-7)")
    );
    holder.signal(libc::SIGTERM);
    let (code, _) = holder.finish().await;
    assert_eq!(code, 0);
    waiter.stderr_line_containing("holding the lock").await;
    let (code, rest) = waiter.finish().await;
    assert_eq!(code, 0, "{rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_wait_for_leadership_names_the_leader() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("say-leader");
    let leader_session = session(&connect, Duration::from_secs(10)).await;
    let election = LeaderElection::new(leader_session.clone(), &path, "node-1").unwrap();
    let leadership = election.campaign().await.unwrap();

    let mut waiter =
        Running::spawn(zk_sync(&connect).args(["elect", &path, "node-2", "--", "true"]));
    let said = waiter
        .stderr_line_containing("waiting for the leadership")
        .await;
    assert_eq!(
        said.last().unwrap(),
        &format!(
            "zk-sync: waiting for the leadership of {path}, held by session {:#x} (id node-1)",
            leadership.session_id()
        )
    );
    leadership.resign().await.unwrap();
    waiter
        .stderr_line_containing("holding the leadership")
        .await;
    let (code, rest) = waiter.finish().await;
    assert_eq!(code, 0, "{rest}");

    // -q keeps the waiting line back, not the timeout.
    let leadership = election.campaign().await.unwrap();
    let quiet =
        run(zk_sync(&connect).args(["-q", "elect", &path, "node-3", "--timeout", "1500ms"])).await;
    assert_eq!(quiet.code, 124, "{quiet:?}");
    crate::common::assert_one_clear_line(
        &quiet,
        &format!(
            "timed out after 1s 500ms waiting for the leadership of {path}, held by session {:#x} (id node-1)",
            leadership.session_id()
        ),
    );
    leadership.resign().await.unwrap();
}
