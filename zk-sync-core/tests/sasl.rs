//! SASL DIGEST-MD5 against a real ZooKeeper with a JAAS `Server` section: the right password
//! authenticates (and a locked-down directory grants that identity), a wrong one is a typed
//! error at connect, tried once.

mod common;

use std::sync::OnceLock;
use std::time::Duration;
use zk_sync_core::backend::{Acl, NodeKind};
use zk_sync_core::contender::Exclusive;
use zk_sync_core::{ContenderQueue, Error, Session, ZkErrorCode};
use zk_sync_testkit::ZkServer;

fn server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| ZkServer::start_sasl(&[("alice", "secret")]).expect("a SASL ZooKeeper"))
}

async fn sasl(password: &str) -> Result<Session, Error> {
    Session::builder(&server().connect_string())
        .connection_timeout(Duration::from_secs(5))
        .sasl_digest_md5("alice", password)
        .locked_down()
        .connect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_password_authenticates_and_owns_a_locked_down_directory() {
    let session = sasl("secret").await.expect("authenticated");
    let dir = common::unique_path("sasl");
    let queue = ContenderQueue::new(session, &dir, "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    // The directory grants alice (`sasl:alice`), not the world.
    let stranger = common::session_to(&server().connect_string()).await;
    let epoch = stranger.live_epoch().await.unwrap();
    let denied = epoch
        .backend()
        .create(
            &format!("{dir}/x"),
            b"",
            NodeKind::Persistent,
            &[Acl::anyone_all()],
        )
        .await;
    assert_eq!(denied.map(|_| ()), Err(ZkErrorCode::NoAuth));
    assert_eq!(
        epoch.backend().delete(hold.path(), None).await,
        Err(ZkErrorCode::NoAuth)
    );
    hold.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_an_auth_failure_at_connect_tried_once() {
    let before = server_logins();
    let error = sasl("guess").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Connect {
                reason: ZkErrorCode::AuthFailed,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_no_auth(), "{error}");
    assert_eq!(server_logins() - before, 1, "one attempt, not a retry loop");
}

/// The failed SASL logins the server has logged so far.
fn server_logins() -> usize {
    std::fs::read_to_string(server().log_path())
        .unwrap_or_default()
        .matches("failed to SASL authenticate")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gssapi_without_kerberos_credentials_is_a_connect_error_not_a_hang() {
    // No KDC and no ticket here: the mechanism builds, and refuses cleanly.
    let error = Session::builder(&server().connect_string())
        .connection_timeout(Duration::from_secs(3))
        .sasl_gssapi("zookeeper")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
}
