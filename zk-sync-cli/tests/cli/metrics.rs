//! `--metrics-addr`: Prometheus metrics while a long-running command runs.

use crate::common::{
    assert_one_clear_line, run, session, unique_path, wait_for_children, zk_sync, Running,
};
use std::time::Duration;
use zk_sync_testkit::{free_address, get_metrics, ZkServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holding_lock_serves_its_metrics() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("metrics");
    let address = free_address();
    let mut holder = Running::spawn(zk_sync(&connect).args([
        "lock",
        &path,
        "--metrics-addr",
        &address.to_string(),
    ]));
    holder.stderr_line_containing("holding the lock").await;
    let body = get_metrics(address).await;
    assert!(
        body.contains(r#"zk_sync_acquisitions_total{primitive="mutex",outcome="acquired"} 1"#),
        "{body}"
    );
    assert!(body.contains("zk_sync_session_state"), "{body}");
    holder.signal(libc::SIGTERM);
    let (code, rest) = holder.finish().await;
    assert_eq!(code, 0, "{rest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_metrics_address_is_an_os_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let finished =
        run(zk_sync("127.0.0.1:9").args(["lock", "/a", "--metrics-addr", &address, "--", "true"]))
            .await;
    assert_eq!(finished.code, 71, "{finished:?}");
    assert_one_clear_line(&finished, &format!("cannot serve metrics on {address}"));
    let unparsable =
        run(zk_sync("127.0.0.1:9").args(["lock", "/a", "--metrics-addr", "nowhere"])).await;
    assert_eq!(unparsable.code, 64, "{unparsable:?}");
    let once =
        run(zk_sync("127.0.0.1:9").args(["inspect", "/a", "--metrics-addr", &address])).await;
    assert_eq!(once.code, 64, "{once:?}");
    assert_one_clear_line(&once, "--metrics-addr needs --watch");
    drop(taken);
}

/// What shows that a command is under way, so that SIGTERM finds it at work.
#[derive(Debug, Clone, Copy)]
enum Busy {
    /// A line on stderr containing this.
    Says(&'static str),
    /// A first line on stdout.
    Prints,
    /// This many nodes under its path.
    Nodes(usize),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_long_running_command_serves_metrics_stops_on_sigterm_and_leaves_no_node() {
    let connect = ZkServer::shared().connect_string();
    let observer = session(&connect, Duration::from_secs(10)).await;
    let cases: [(&[&str], Busy, i32); 6] = [
        (&["lock", "_"], Busy::Says("holding the lock"), 0),
        (
            &["elect", "_", "node-1"],
            Busy::Says("holding the leadership"),
            0,
        ),
        (
            &["semaphore", "_", "--permits", "1"],
            Busy::Says("holding a permit"),
            0,
        ),
        // Alone at a barrier of two: SIGTERM ends the wait (128 + 15).
        (&["barrier", "_", "--count", "2"], Busy::Nodes(1), 143),
        (&["elect", "_", "--observe"], Busy::Prints, 0),
        (&["inspect", "_", "--watch"], Busy::Prints, 0),
    ];
    for (args, busy, code) in cases {
        let path = unique_path("set-up");
        // The path goes where "_" stands.
        let argv: Vec<&str> = args
            .iter()
            .map(|a| if *a == "_" { path.as_str() } else { a })
            .collect();
        let address = free_address();
        let mut command = Running::spawn(
            zk_sync(&connect)
                .args(&argv)
                .args(["--metrics-addr", &address.to_string()]),
        );
        match busy {
            Busy::Says(text) => drop(command.stderr_line_containing(text).await),
            Busy::Prints => drop(command.stdout_line().await),
            Busy::Nodes(count) => wait_for_children(&observer, &path, count).await,
        }
        let body = get_metrics(address).await;
        assert!(body.contains("zk_sync_session_state"), "{argv:?}: {body}");
        command.signal(libc::SIGTERM);
        let (exit, rest) = command.finish().await;
        assert_eq!(exit, code, "{argv:?}: {rest}");
        // The session was closed: its nodes went with it, at once.
        wait_for_children(&observer, &path, 0).await;
    }
}
