//! Sessions over TLS against a real ZooKeeper with a `secureClientPort`: a hold taken and
//! released over TLS, mutual TLS, and the refusals (a plain-text client on the secure port, a
//! server certificate of another CA, a client certificate of another CA, unreadable files).

mod common;

use std::sync::OnceLock;
use std::time::Duration;
use zk_sync_core::contender::Exclusive;
use zk_sync_core::{ContenderQueue, Error, Session, Tls};
use zk_sync_testkit::ZkServer;

const TIMEOUT: Duration = Duration::from_secs(5);

/// One TLS server (no client certificates asked) for the binary.
fn server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| ZkServer::start_tls(false).expect("a TLS ZooKeeper"))
}

/// One mutual-TLS server for the binary.
fn mutual() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| ZkServer::start_tls(true).expect("a mutual-TLS ZooKeeper"))
}

async fn connect(server: &ZkServer, tls: Tls) -> Result<Session, Error> {
    Session::builder(&server.secure_connect_string().unwrap())
        .connection_timeout(TIMEOUT)
        .tls(tls)
        .connect()
        .await
}

async fn hold_and_release(session: Session) {
    let dir = common::unique_path("tls");
    let queue = ContenderQueue::new(session, &dir, "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert!(hold.fencing_token().as_i64() > 0);
    hold.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_is_taken_and_released_over_tls() {
    let server = server();
    let session = connect(server, Tls::new(server.tls().unwrap().ca_pem()))
        .await
        .expect("a TLS session");
    hold_and_release(session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_takes_a_client_certificate_of_the_servers_ca_only() {
    let server = mutual();
    let tls = server.tls().unwrap();
    let (cert, key) = tls.client_pem();
    let session = connect(server, Tls::new(tls.ca_pem()).identity(&cert, &key))
        .await
        .expect("a mutual-TLS session");
    hold_and_release(session).await;

    let (other_cert, other_key) = tls.other_client_pem();
    let refused = connect(
        server,
        Tls::new(tls.ca_pem()).identity(other_cert, other_key),
    )
    .await;
    assert!(
        matches!(refused, Err(Error::Connect { .. })),
        "a certificate of another CA: {refused:?}"
    );
    let anonymous = connect(server, Tls::new(tls.ca_pem())).await;
    assert!(
        matches!(anonymous, Err(Error::Connect { .. })),
        "no certificate at all: {anonymous:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_and_a_server_of_another_ca_are_refused() {
    let server = server();
    let plain = Session::builder(&server.secure_connect_string().unwrap())
        .connection_timeout(TIMEOUT)
        .connect()
        .await;
    assert!(
        matches!(plain, Err(Error::Connect { .. })),
        "plain text on the secure port: {plain:?}"
    );
    let untrusted = connect(server, Tls::new(server.tls().unwrap().other_ca_pem())).await;
    assert!(
        matches!(untrusted, Err(Error::Connect { .. })),
        "a server certificate of another CA: {untrusted:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_tls_file_is_a_typed_error_naming_its_path() {
    let server = server();
    let missing = std::env::temp_dir().join("zk-sync-no-such-ca.pem");
    let error = connect(server, Tls::new(&missing)).await.unwrap_err();
    assert!(error.is_invalid_argument(), "{error}");
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );
    let (cert, _) = server.tls().unwrap().client_pem();
    let error = connect(
        server,
        Tls::new(server.tls().unwrap().ca_pem()).identity(cert, &missing),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("TLS key"), "{error}");
}
