//! Errors: one clear line on stderr and a documented exit code, never a panic.

use crate::common::{assert_one_clear_line, run, session, unique_path, zk_sync, zk_sync_bare};
use std::time::Duration;
use zk_sync_core::backend::{Acl, NodeKind, Perms};
use zk_sync_testkit::ZkServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_usage_paths_and_connect_strings_have_their_own_exit_codes() {
    // None of these reaches a server.
    let nowhere = "127.0.0.1:9";
    let cases: &[(&[&str], i32, &str)] = &[
        (&["lock"], 64, "PATH"),
        (&["lock", "/a", "--frobnicate"], 64, "--frobnicate"),
        (&["lock", "/a", "echo"], 64, "echo"),
        (&["lock", "/a", "--timeout", "soon"], 64, "--timeout"),
        (
            &["--session-timeout", "0s", "lock", "/a"],
            64,
            "--session-timeout",
        ),
        (&["elect", "/e"], 64, "ID"),
        (
            &["lock", "relative/path", "--", "true"],
            65,
            "must start with '/'",
        ),
        (
            &["lock", "/trailing/", "--", "true"],
            65,
            "must not end with '/'",
        ),
        (&["inspect", "/a//b"], 65, "empty segment"),
    ];
    for (args, code, mentions) in cases {
        let finished = run(zk_sync(nowhere).args(*args)).await;
        assert_eq!(finished.code, *code, "{args:?}: {finished:?}");
        assert_one_clear_line(&finished, mentions);
    }

    let flag = run(zk_sync("zk:0").args(["lock", "/a", "--", "true"])).await;
    assert_eq!(flag.code, 65, "{flag:?}");
    assert_one_clear_line(&flag, "bad connect string");
    // ZK_SYNC_CONNECT stands in for --connect.
    let env = run(zk_sync_bare()
        .env("ZK_SYNC_CONNECT", "zk:1,")
        .args(["inspect", "/a"]))
    .await;
    assert_eq!(env.code, 65, "{env:?}");
    assert_one_clear_line(&env, "bad connect string");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_denied_is_77() {
    let connect = ZkServer::shared().connect_string();
    let s = session(&connect, Duration::from_secs(10)).await;
    let epoch = s.live_epoch().await.unwrap();
    let parent = unique_path("acl");
    epoch
        .create_containers(&parent, s.default_acl())
        .await
        .unwrap();
    // Anyone may read this node, nobody may create children under it.
    let read_only = format!("{parent}/read-only");
    let acl = [Acl::new(Perms::READ, "world", "anyone")];
    epoch
        .backend()
        .create(&read_only, &[], NodeKind::Persistent, &acl)
        .await
        .unwrap();
    let locked =
        run(zk_sync(&connect).args(["lock", &format!("{read_only}/lock"), "--", "true"])).await;
    assert_eq!(locked.code, 77, "{locked:?}");
    assert_one_clear_line(&locked, "not authorized");

    // Nobody may list this one.
    let hidden = format!("{parent}/hidden");
    let acl = [Acl::new(Perms::CREATE, "world", "anyone")];
    epoch
        .backend()
        .create(&hidden, &[], NodeKind::Persistent, &acl)
        .await
        .unwrap();
    let inspected = run(zk_sync(&connect).args(["inspect", &hidden])).await;
    assert_eq!(inspected.code, 77, "{inspected:?}");
    assert_one_clear_line(&inspected, "not authorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durations_are_humantime_and_bad_ones_get_one_message() {
    let nowhere = "127.0.0.1:9";
    let negative =
        run(zk_sync(nowhere).args(["lock", "/a", "--timeout", "-1s", "--", "true"])).await;
    assert_eq!(negative.code, 64, "{negative:?}");
    assert_one_clear_line(
        &negative,
        "invalid value '-1s' for '--timeout <DURATION>': must not be negative",
    );
    assert!(!negative.stderr.contains("tip"), "{negative:?}");

    // Zero where it means nothing: the same words for every command and option.
    for args in [
        &["elect", "/e", "x", "--timeout", "0"][..],
        &["barrier", "/b", "--count", "2", "--timeout", "0s"],
        &["--session-timeout", "0", "lock", "/a"],
    ] {
        let zero = run(zk_sync(nowhere).args(args)).await;
        assert_eq!(zero.code, 64, "{args:?}: {zero:?}");
        assert_one_clear_line(&zero, "must be greater than zero");
    }

    let connect = ZkServer::shared().connect_string();
    for timeout in ["1m30s", "30", "2.5"] {
        let path = unique_path("duration");
        let ok =
            run(zk_sync(&connect).args(["lock", &path, "--timeout", timeout, "--", "true"])).await;
        assert_eq!(ok.code, 0, "--timeout {timeout}: {ok:?}");
    }

    let help = run(zk_sync_bare().args(["lock", "--help"])).await;
    assert_eq!(help.code, 0);
    let timeout_help = help
        .stdout
        .split("--timeout")
        .nth(1)
        .expect("--timeout in help");
    assert!(
        timeout_help.contains("a bare number is seconds"),
        "{}",
        help.stdout
    );
}
