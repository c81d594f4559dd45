//! `zk-sync revoke` and `lock --revocable`: Curator's cooperative revocation, between our
//! command, our library and Curator.

use crate::common::{
    eventually, read, run, scratch, session, unique_path, wait_for_children, zk_sync, Running,
    LIVENESS,
};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use zk_sync_mutex::{DistMutex, TryLockError};
use zk_sync_testkit::{curator_program, ChildLines, ZkServer};

const CURATOR_REVOCATION: &str =
    include_str!("../../../zk-sync-mutex/tests/java/CuratorRevocation.java");

/// Records SIGTERM in `dir/term`, says it started in `dir/started`, then works forever.
fn polite_command(dir: &Path) -> String {
    format!(
        r#"trap 'echo TERM > {dir}/term; exit 0' TERM; echo $$ > {dir}/started; while :; do sleep 0.05; done"#,
        dir = dir.display()
    )
}

/// `zk-sync lock PATH --revocable` running [`polite_command`], once the command has started.
async fn revocable_polite_lock(connect: &str, path: &str, dir: &Path) -> Running {
    let holder = Running::spawn(zk_sync(connect).args([
        "lock",
        path,
        "--revocable",
        "--",
        "sh",
        "-c",
        &polite_command(dir),
    ]));
    started(dir).await;
    holder
}

async fn started(dir: &Path) {
    let started = dir.join("started");
    eventually(LIVENESS, "the command to start", || async {
        !read(&started).is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_stops_a_revocable_lock_command_and_frees_the_lock() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("revoke-command");
    let dir = scratch();
    let holder = revocable_polite_lock(&connect, &path, dir.path()).await;

    let asked = run(zk_sync(&connect).args(["revoke", &path])).await;
    assert_eq!(asked.code, 0, "{asked:?}");
    assert!(
        asked
            .stderr
            .contains(&format!("asked the holder of the lock on {path} to let go")),
        "{asked:?}"
    );
    let (code, stderr) = holder.finish().await;
    assert_eq!(code, 75, "{stderr}");
    assert!(
        stderr.contains(&format!("the lock on {path} was revoked")) && stderr.contains("SIGTERM"),
        "{stderr}"
    );
    assert_eq!(read(&dir.path().join("term")).trim(), "TERM");
    let observer = session(&connect, Duration::from_secs(10)).await;
    wait_for_children(&observer, &path, 0).await;

    let nobody = run(zk_sync(&connect).args(["revoke", &path])).await;
    assert_eq!(nobody.code, 0, "{nobody:?}");
    assert!(
        nobody.stderr.contains("nobody holds the lock"),
        "{nobody:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_command_a_revocable_lock_is_released_and_others_keep_theirs() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("revoke-hold");
    let mut revocable = Running::spawn(zk_sync(&connect).args(["lock", &path, "--revocable"]));
    revocable.stderr_line_containing("holding the lock").await;
    // Our library asks, as the command does.
    let asker = DistMutex::new(session(&connect, Duration::from_secs(10)).await, &path).unwrap();
    assert!(asker.revoke_holder().await.unwrap().is_some());
    let said = revocable.stderr_line_containing("asked to let go").await;
    assert!(
        said.last()
            .unwrap()
            .contains(&format!("releasing the lock on {path}")),
        "{said:?}"
    );
    let (code, rest) = revocable.finish().await;
    assert_eq!(code, 0, "{rest}");

    // A holder that is not revocable does not notice.
    let mut stubborn = Running::spawn(zk_sync(&connect).args(["lock", &path]));
    stubborn.stderr_line_containing("holding the lock").await;
    let asked = run(zk_sync(&connect).args(["revoke", &path])).await;
    assert_eq!(asked.code, 0, "{asked:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        stubborn.child.try_wait().unwrap().is_none(),
        "still holding"
    );
    assert!(matches!(
        asker.try_lock().await,
        Err(TryLockError::WouldBlock)
    ));
    stubborn.signal(libc::SIGTERM);
    assert_eq!(stubborn.finish().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_and_curator_ask_each_others_holders() {
    let connect = ZkServer::shared().connect_string();
    let curator = |args: &[&str]| {
        let mut command = curator_program("CuratorRevocation", CURATOR_REVOCATION)
            .expect("Curator 5.4 and a JDK");
        command.args(args);
        command
    };

    // A revocable Curator holder lets go when `zk-sync revoke` asks.
    let path = unique_path("revoke-curator-holder");
    let mut holder = curator(&["revocable", &connect, &path])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = ChildLines::of(&mut holder, "Curator");
    let line = lines.next(LIVENESS).await.unwrap();
    assert!(line.starts_with("LOCKED "), "{line}");
    let asked = run(zk_sync(&connect).args(["revoke", &path])).await;
    assert_eq!(asked.code, 0, "{asked:?}");
    assert_eq!(lines.next(LIVENESS).await.unwrap(), "RELEASED");
    assert!(holder.wait().unwrap().success());

    // Curator's Revoker stops a `zk-sync lock --revocable` command.
    let path = unique_path("revoke-by-curator");
    let dir = scratch();
    let ours = revocable_polite_lock(&connect, &path, dir.path()).await;
    let observer = session(&connect, Duration::from_secs(10)).await;
    let node = zk_sync_core::test_util::children(&observer, &path)
        .await
        .pop()
        .expect("our node");
    let node = format!("{path}/{node}");
    let revoker = tokio::task::spawn_blocking(move || {
        curator(&["revoke", &connect, &node]).output().unwrap()
    });
    let (code, stderr) = ours.finish().await;
    assert_eq!(code, 75, "{stderr}");
    assert!(stderr.contains("was revoked"), "{stderr}");
    let output = tokio::time::timeout(LIVENESS, revoker)
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("ASKED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_asks_the_holders_of_a_reader_writer_lock() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("revoke-rwlock");
    let lock =
        zk_sync_rwlock::DistRwLock::new(session(&connect, Duration::from_secs(10)).await, &path)
            .unwrap();
    let (first, second) = (lock.read().await.unwrap(), lock.read().await.unwrap());
    let asked = run(zk_sync(&connect).args(["revoke", &path])).await;
    assert_eq!(asked.code, 0, "{asked:?}");
    assert_eq!(
        asked.stderr.matches("asked the holder").count(),
        2,
        "both readers: {asked:?}"
    );
    for reader in [&first, &second] {
        tokio::time::timeout(LIVENESS, reader.revoke_requested())
            .await
            .expect("the reader asked");
    }
}
