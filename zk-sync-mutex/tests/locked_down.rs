//! Locked-down lock directories (`SessionBuilder::locked_down`): a foreign session can read
//! but not break the lock, the application's own sessions and Curator with the same
//! credentials queue as usual.

mod common;

use common::{children, session_to, unique_path};
use std::time::Duration;
use zk_sync_core::backend::{Acl, NodeKind};
use zk_sync_core::{Session, ZkErrorCode};
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::{curator_program, ZkServer};

const TIMEOUT: Duration = Duration::from_secs(10);
const CURATOR: &str = include_str!("java/CuratorLockedDown.java");

async fn alice() -> Session {
    zk_sync_core::test_util::builder(&ZkServer::shared().connect_string())
        .digest_auth("alice", "secret")
        .locked_down()
        .connect()
        .await
        .expect("alice's session")
}

fn curator(path: &str, credentials: Option<&str>) -> String {
    let mut command = curator_program("CuratorLockedDown", CURATOR).expect("Curator 5.4 and a JDK");
    command.args(["lock", &ZkServer::shared().connect_string(), path]);
    command.args(credentials);
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_session_cannot_delete_the_holders_node_or_queue_but_can_read() {
    let path = unique_path("locked-down");
    let mutex = DistMutex::new(alice().await, &path).unwrap();
    let guard = mutex.lock().await.unwrap();

    let stranger = session_to(&ZkServer::shared().connect_string(), TIMEOUT).await;
    let epoch = stranger.live_epoch().await.unwrap();
    let deleted = epoch.backend().delete(guard.path(), None).await;
    assert_eq!(
        deleted,
        Err(ZkErrorCode::NoAuth),
        "a foreign delete of the holder's node"
    );
    let created = epoch
        .backend()
        .create(
            &format!("{path}/_c_x-lock-"),
            b"",
            NodeKind::EphemeralSequential,
            &[Acl::anyone_all()],
        )
        .await;
    assert_eq!(
        created.map(|_| ()),
        Err(ZkErrorCode::NoAuth),
        "a foreign create in the directory"
    );
    let foreign = DistMutex::new(stranger.clone(), &path).unwrap();
    let refused = foreign.try_lock().await.unwrap_err();
    assert!(
        refused.to_string().contains("permission") || format!("{refused:?}").contains("NoAuth"),
        "{refused:?}"
    );
    // Reading still works: inspect and monitoring see the holder.
    assert_eq!(children(&stranger, &path).await.len(), 1);
    assert!(!guard.is_lost(), "the holder keeps the lock");

    // Another session of the application, with the same credentials, queues and acquires.
    let colleague = DistMutex::new(alice().await, &path).unwrap();
    let waiting = tokio::spawn(async move { colleague.lock().await.map(|g| g.fencing_token()) });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let token = guard.fencing_token();
    guard.unlock().await.unwrap();
    let next = tokio::time::timeout(TIMEOUT, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(next > token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curator_with_the_same_credentials_shares_a_locked_down_path_and_without_them_cannot() {
    let path = unique_path("locked-down-curator");
    let session = alice().await;
    let mutex = DistMutex::new(session.clone(), &path).unwrap();
    // Held throughout, so that the directory is ours (a container goes once it is empty).
    let guard = mutex.lock().await.unwrap();
    assert_eq!(curator(&path, None), "NOAUTH");
    assert_eq!(curator(&path, Some("mallory:guess")), "NOAUTH");
    let colleague = {
        let path = path.clone();
        std::thread::spawn(move || curator(&path, Some("alice:secret")))
    };
    common::eventually(TIMEOUT, "Curator queues behind the holder", || {
        let (session, path) = (session.clone(), path.clone());
        async move { children(&session, &path).await.len() == 2 }
    })
    .await;
    guard.unlock().await.unwrap();
    assert_eq!(colleague.join().unwrap(), "LOCKED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_down_session_without_credentials_is_refused_at_connect() {
    let error = zk_sync_core::test_util::builder(&ZkServer::shared().connect_string())
        .locked_down()
        .connect()
        .await
        .unwrap_err();
    assert!(error.is_invalid_argument(), "{error}");
}
