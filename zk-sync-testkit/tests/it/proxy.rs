use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use zk_sync_testkit::{FaultProxy, ProxyMode, ZkServer};
use zookeeper_client::SessionState;

use crate::{connect, persistent, retry, unique_path, wait_state};

#[tokio::test]
async fn cut_disconnects_and_restore_reconnects() {
    let proxy = FaultProxy::start(ZkServer::shared().addr()).unwrap();
    assert_eq!(proxy.mode(), ProxyMode::Pass);
    assert_eq!(proxy.connect_string(), proxy.addr().to_string());
    let client = connect(&proxy.connect_string(), Duration::from_secs(10)).await;
    let mut states = client.state_watcher();
    let path = unique_path("cut");
    client.create(&path, b"", &persistent()).await.unwrap();

    proxy.cut();
    assert_eq!(proxy.mode(), ProxyMode::Cut);
    wait_state(
        &mut states,
        SessionState::Disconnected,
        Duration::from_secs(3),
    )
    .await;
    // New connections are accepted and closed at once.
    let mut raw = TcpStream::connect(proxy.addr()).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = raw.write_all(b"ruok");
    let mut reply = Vec::new();
    assert!(
        matches!(raw.read_to_end(&mut reply), Ok(0) | Err(_)),
        "cut proxy forwarded {reply:?}"
    );

    proxy.restore();
    assert_eq!(proxy.mode(), ProxyMode::Pass);
    wait_state(
        &mut states,
        SessionState::SyncConnected,
        Duration::from_secs(8),
    )
    .await;
    retry(Duration::from_secs(5), || client.check_stat(&path))
        .await
        .expect("node still there");
}

#[tokio::test]
async fn blackhole_stalls_and_restore_resumes() {
    let proxy = FaultProxy::start(ZkServer::shared().addr()).unwrap();

    // Raw connection: a request sent while blackholed is held back, then delivered on restore.
    proxy.blackhole();
    assert_eq!(proxy.mode(), ProxyMode::Blackhole);
    let mut raw = TcpStream::connect(proxy.addr()).unwrap();
    raw.write_all(b"ruok").unwrap();
    raw.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        raw.read(&mut buf).is_err(),
        "a blackholed connection must stall"
    );
    proxy.restore();
    raw.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut reply = String::new();
    raw.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "imok");

    // A client notices only by its own timeout (2/5 of the 5 s session timeout).
    let client = connect(&proxy.connect_string(), Duration::from_secs(5)).await;
    let mut states = client.state_watcher();
    proxy.blackhole();
    wait_state(
        &mut states,
        SessionState::Disconnected,
        Duration::from_secs(5),
    )
    .await;
    proxy.restore();
    wait_state(
        &mut states,
        SessionState::SyncConnected,
        Duration::from_secs(5),
    )
    .await;
    retry(Duration::from_secs(5), || client.check_stat("/"))
        .await
        .expect("root exists");
}

#[tokio::test]
async fn blackhole_longer_than_the_session_timeout_expires_it() {
    let proxy = FaultProxy::start(ZkServer::shared().addr()).unwrap();
    let client = connect(&proxy.connect_string(), Duration::from_secs(2)).await;
    let mut states = client.state_watcher();
    proxy.blackhole();
    tokio::time::sleep(Duration::from_secs(4)).await;
    proxy.restore();
    wait_state(&mut states, SessionState::Expired, Duration::from_secs(5)).await;
}
