//! `--acl`: the ACL of the nodes zk-sync creates, and the default said in `--help`.

use crate::common::{
    assert_one_clear_line, create_dir, lines_past_connecting, run, scratch, unique_path, zk_sync,
    zk_sync_bare,
};
use zk_sync_testkit::ZkServer;
use zookeeper_client::{Acl, Permission};

/// A fresh open directory, so that the locked-down nodes of a test stay below it (a lock
/// gives its ACL to every parent it creates).
async fn open_parent(connect: &str) -> String {
    let parent = unique_path("acl");
    create_dir(connect, &parent).await;
    parent
}

/// `(scheme, id, permissions)` of `path`'s ACL, read by a client of its own, as alice.
async fn acl_of(connect: &str, path: &str) -> Vec<(String, String, Permission)> {
    let client = zookeeper_client::Client::connector()
        .with_auth("digest", b"alice:secret")
        .connect(connect)
        .await
        .unwrap();
    let (acl, _) = client.get_acl(path).await.unwrap();
    acl.iter()
        .map(|entry: &Acl| {
            (
                entry.scheme().to_owned(),
                entry.id().to_owned(),
                entry.permission(),
            )
        })
        .collect()
}

fn entry(scheme: &str, id: &str, permission: Permission) -> (String, String, Permission) {
    (scheme.to_owned(), id.to_owned(), permission)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_acl_nodes_are_open_as_help_says() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("acl-default");
    let finished = run(zk_sync(&connect).args(["lock", &path, "--", "true"])).await;
    assert_eq!(finished.code, 0, "{finished:?}");
    assert_eq!(
        acl_of(&connect, &path).await,
        [entry("world", "anyone", Permission::ALL)]
    );
    let help = run(zk_sync_bare().arg("--help")).await;
    assert!(
        help.stdout
            .contains("Default: open, anyone may do anything"),
        "{}",
        help.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_entries_are_given_to_the_directories_created_and_enforced() {
    let connect = ZkServer::shared().connect_string();
    let dir = scratch();
    let alice = alice_file(&dir);
    let alice = ["--auth-file", alice.to_str().unwrap()];
    let parent = open_parent(&connect).await;
    let path = format!("{parent}/entries");
    let finished = run(zk_sync(&connect).args(alice).args([
        "--acl",
        "world:anyone:r,auth::cdrwa",
        "lock",
        &path,
        "--",
        "true",
    ]))
    .await;
    assert_eq!(finished.code, 0, "{finished:?}");
    let acl = acl_of(&connect, &path).await;
    assert_eq!(acl.len(), 2, "{acl:?}");
    assert_eq!(acl[0], entry("world", "anyone", Permission::READ));
    // The server writes `auth` as the identity the session authenticated as.
    assert_eq!(
        (acl[1].0.as_str(), acl[1].2),
        ("digest", Permission::ALL),
        "{acl:?}"
    );
    assert!(acl[1].1.starts_with("alice:"), "{acl:?}");

    // Anyone may look; nobody else may queue.
    let shown = run(zk_sync(&connect).args(["inspect", &path])).await;
    assert_eq!(shown.code, 0, "{shown:?}");
    let refused = run(zk_sync(&connect).args(["lock", &path, "--", "true"])).await;
    assert_eq!(refused.code, 77, "{refused:?}");
    let again = run(zk_sync(&connect)
        .args(alice)
        .args(["lock", &path, "--", "true"]))
    .await;
    assert_eq!(again.code, 0, "alice still may: {again:?}");

    // The preset names.
    let creator = format!("{parent}/creator/lock");
    let finished = run(zk_sync(&connect)
        .args(alice)
        .args(["--acl", "creator", "lock", &creator, "--", "true"]))
    .await;
    assert_eq!(finished.code, 0, "{finished:?}");
    // The missing parent it created, too.
    for path in [creator.clone(), format!("{parent}/creator")] {
        let acl = acl_of(&connect, &path).await;
        assert_eq!(acl.len(), 1, "{path}: {acl:?}");
        assert_eq!(
            (acl[0].0.as_str(), acl[0].2),
            ("digest", Permission::ALL),
            "{acl:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_acls_are_usage_errors() {
    let nowhere = "127.0.0.1:9";
    for (acl, says) in [
        ("world:anyone:rx", "'x' is not a permission"),
        ("everyone", "neither a preset"),
        ("creator", "needs credentials"),
    ] {
        let finished = run(zk_sync(nowhere).args(["--acl", acl, "lock", "/a", "--", "true"])).await;
        assert_eq!(finished.code, 64, "{acl}: {finished:?}");
        assert_one_clear_line(&finished, says);
    }
    let both = run(zk_sync(nowhere).args(["--acl", "open", "--locked-down", "lock", "/a"])).await;
    assert_eq!(both.code, 64, "{both:?}");
}

/// alice's digest id for password `secret`: `echo -n alice:secret | openssl sha1 -binary | base64`.
const ALICE: &str = "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=";
/// bob's, for password `pw`.
const BOB: &str = "bob:ikIaKsbtGweaHnb/jKn7OHqbunM=";

/// `--auth-file` with `digest:alice:secret`, in `dir`.
fn alice_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let file = dir.path().join("alice");
    std::fs::write(&file, "digest:alice:secret\n").unwrap();
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acls_the_session_could_not_work_under_are_refused_before_connecting() {
    // Nothing listens here: a refusal must come before connecting.
    let nowhere = "127.0.0.1:9";
    let dir = scratch();
    let alice = alice_file(&dir);
    let cannot = "this session could not list, create and delete its own nodes";
    let cases: [(&str, bool, &str); 6] = [
        ("world:anyone:r", true, cannot),
        ("world:anyone:r", false, cannot),
        (&format!("world:anyone:r,digest:{BOB}:cdrwa"), true, cannot),
        ("kerberos:alice:cdrwa", true, "unknown scheme \"kerberos\""),
        (
            "digest:alice:secret:cdrwa",
            true,
            "a digest id is USER:HASH, HASH the base64 SHA-1 of USER:PASSWORD, not the password",
        ),
        (
            "world:alice:cdrwa",
            false,
            "the world scheme's only id is anyone",
        ),
    ];
    for (acl, as_alice, says) in cases {
        let mut command = zk_sync(nowhere);
        if as_alice {
            command.arg("--auth-file").arg(&alice);
        }
        let finished = run(command.args(["--acl", acl, "lock", "/a", "--", "true"])).await;
        assert_eq!(finished.code, 64, "{acl}: {finished:?}");
        assert_one_clear_line(&finished, says);
    }
    // A password where the hash goes: the message says what to write.
    let finished =
        run(zk_sync(nowhere).args(["--acl", "digest:alice:secret:cdrwa", "lock", "/a"])).await;
    assert_one_clear_line(&finished, &format!("write digest:{ALICE}:cdrwa"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_entry_naming_the_session_lets_it_lock_and_keeps_others_out() {
    let connect = ZkServer::shared().connect_string();
    let dir = scratch();
    let alice = alice_file(&dir);
    let path = format!("{}/digest", open_parent(&connect).await);
    let acl = format!("world:anyone:r,digest:{ALICE}:cdrwa");
    let locked = run(zk_sync(&connect)
        .arg("--auth-file")
        .arg(&alice)
        .args(["--acl", &acl, "lock", &path, "--", "true"]))
    .await;
    assert_eq!(locked.code, 0, "{locked:?}");
    assert_eq!(
        acl_of(&connect, &path).await,
        [
            entry("world", "anyone", Permission::READ),
            entry("digest", ALICE, Permission::ALL)
        ]
    );
    let refused = run(zk_sync(&connect).args(["lock", &path, "--", "true"])).await;
    assert_eq!(refused.code, 77, "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_without_an_acl_warn_that_the_nodes_are_open_unless_quiet() {
    let connect = ZkServer::shared().connect_string();
    let dir = scratch();
    let alice = alice_file(&dir);
    let warning = "zk-sync: credentials given without --acl or --locked-down: the nodes zk-sync creates are open to everyone (world:anyone:cdrwa), so other or wrong credentials can take the lock too";
    let open = run(zk_sync(&connect).arg("--auth-file").arg(&alice).args([
        "lock",
        &unique_path("acl-warn"),
        "--",
        "true",
    ]))
    .await;
    assert_eq!(open.code, 0, "{open:?}");
    let said: Vec<&str> = lines_past_connecting(&open.stderr)
        .into_iter()
        .filter(|line| *line == warning)
        .collect();
    assert_eq!(said.len(), 1, "{open:?}");

    let quiet = run(zk_sync(&connect).arg("--auth-file").arg(&alice).args([
        "-q",
        "lock",
        &unique_path("acl-warn"),
        "--",
        "true",
    ]))
    .await;
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""), "{quiet:?}");
    for acl in [&["--locked-down"][..], &["--acl", "open"]] {
        let chosen = run(zk_sync(&connect)
            .arg("--auth-file")
            .arg(&alice)
            .args(acl)
            .args(["lock", &unique_path("acl-warn"), "--", "true"]))
        .await;
        assert_eq!(chosen.code, 0, "{chosen:?}");
        assert!(
            !chosen.stderr.contains("open to everyone"),
            "{acl:?}: {chosen:?}"
        );
    }
    // Nothing is created by looking.
    let looked = run(zk_sync(&connect)
        .arg("--auth-file")
        .arg(&alice)
        .args(["inspect", &unique_path("acl-warn")]))
    .await;
    assert!(!looked.stderr.contains("open to everyone"), "{looked:?}");
}
