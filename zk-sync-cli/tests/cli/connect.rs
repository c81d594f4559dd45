//! Reaching ZooKeeper: what an unreachable server, a refused port and an unknown host are
//! called, the line said while waiting, chroots and `zk://` prefixes.

use crate::common::{assert_one_clear_line, create_dir, run, unique_path, zk_sync, Running};
use zk_sync_testkit::{free_address, ZkServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_port_is_called_refused() {
    let connect = free_address().to_string();
    for args in [
        &["lock", "/a", "--", "true"][..],
        &["elect", "/e", "x"],
        &["inspect", "/a"],
    ] {
        let finished = run(zk_sync(&connect)
            .args(["--connect-timeout", "500ms"])
            .args(args))
        .await;
        assert_eq!(finished.code, 69, "{args:?}: {finished:?}");
        assert_one_clear_line(
            &finished,
            &format!(
                "could not connect to ZooKeeper at {connect}: connection refused by {connect}"
            ),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_host_is_called_so_without_waiting_for_the_timeout() {
    // `.invalid` never resolves (RFC 2606). With a connect timeout far longer than any test,
    // only giving up at once lets this finish.
    let finished = run(zk_sync("no-such-host.invalid:2181").args([
        "--connect-timeout",
        "1h",
        "lock",
        "/a",
        "--",
        "true",
    ]))
    .await;
    assert_eq!(finished.code, 69, "{finished:?}");
    assert_one_clear_line(&finished, "no such host \"no-such-host.invalid\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_after_saying_it_waits() {
    // Accepts TCP connections (the kernel completes them) and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let connect = silent.local_addr().unwrap().to_string();
    let mut cli =
        Running::spawn(zk_sync(&connect).args(["--connect-timeout", "3s", "inspect", "/a"]));
    let waiting = cli.stderr_line().await;
    assert_eq!(
        waiting,
        format!("zk-sync: waiting for ZooKeeper at {connect} (up to 3s): {connect} accepts TCP connections but has given no ZooKeeper session (not ZooKeeper, not serving, or a TLS mismatch?)")
    );
    let (code, rest) = cli.finish().await;
    assert_eq!(code, 69, "{rest}");
    assert!(
        rest.starts_with(&format!(
            "zk-sync: could not connect to ZooKeeper at {connect}: timed out after 3s"
        )),
        "{rest}"
    );
    assert_eq!(rest.lines().count(), 1, "{rest}");
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_waiting_line_names_a_refused_port_and_quiet_keeps_it_back() {
    let connect = free_address().to_string();
    let mut cli =
        Running::spawn(zk_sync(&connect).args(["--connect-timeout", "3s", "inspect", "/a"]));
    assert_eq!(
        cli.stderr_line().await,
        format!("zk-sync: waiting for ZooKeeper at {connect} (up to 3s): connection refused by {connect}")
    );
    let (code, _) = cli.finish().await;
    assert_eq!(code, 69);

    let quiet =
        run(zk_sync(&connect).args(["-q", "--connect-timeout", "3s", "inspect", "/a"])).await;
    assert_eq!(quiet.code, 69, "{quiet:?}");
    assert_one_clear_line(&quiet, "connection refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_chroot_is_named() {
    let server = ZkServer::shared().connect_string();
    let chroot = unique_path("chroot");
    let connect = format!("{server}{chroot}");
    let missing = run(zk_sync(&connect).args(["lock", "/x", "--", "true"])).await;
    assert_eq!(missing.code, 66, "{missing:?}");
    assert_one_clear_line(
        &missing,
        &format!("the chroot {chroot} of --connect does not exist"),
    );

    create_dir(&server, &chroot).await;
    let inside = run(zk_sync(&connect).args(["lock", "/x", "--", "true"])).await;
    assert_eq!(inside.code, 0, "{inside:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zk_and_tcp_prefixes_are_accepted_and_others_refused() {
    let server = ZkServer::shared().connect_string();
    for prefix in ["zk://", "tcp://"] {
        let path = unique_path("prefix");
        let finished =
            run(zk_sync(&format!("{prefix}{server}")).args(["lock", &path, "--", "true"])).await;
        assert_eq!(finished.code, 0, "{prefix}: {finished:?}");
    }
    let refused = run(zk_sync(&format!("http://{server}")).args(["inspect", "/a"])).await;
    assert_eq!(refused.code, 65, "{refused:?}");
    assert_one_clear_line(&refused, "unknown scheme \"http://\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipes_refuse_zookeepers_own_subtree() {
    let server = ZkServer::shared().connect_string();
    for args in [
        &["lock", "/zookeeper", "--", "true"][..],
        &["lock", "/zookeeper/quota/x", "--read", "--", "true"],
        &["elect", "/zookeeper/e", "x", "--", "true"],
        &["semaphore", "/zookeeper/s", "--permits", "1", "--", "true"],
        &["barrier", "/zookeeper/b", "--count", "1", "--", "true"],
    ] {
        let finished = run(zk_sync(&server).args(args)).await;
        assert_eq!(finished.code, 65, "{args:?}: {finished:?}");
        assert_one_clear_line(&finished, "reserved /zookeeper subtree");
    }
    // Through a chroot of /zookeeper, too.
    let through =
        run(zk_sync(&format!("{server}/zookeeper")).args(["lock", "/x", "--", "true"])).await;
    assert_eq!(through.code, 65, "{through:?}");
    // A path that merely starts with the same letters is fine.
    let path = format!("/zookeeper-not-{}", std::process::id());
    let fine = run(zk_sync(&server).args(["lock", &path, "--", "true"])).await;
    assert_eq!(fine.code, 0, "{fine:?}");
}
