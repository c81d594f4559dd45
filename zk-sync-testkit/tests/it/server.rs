use std::time::Duration;

use zk_sync_testkit::ZkServer;

use crate::{connect, ephemeral, persistent, retry, unique_path, wait_state};
use zookeeper_client::SessionState;

#[tokio::test]
async fn shared_server_answers_four_letter_words_and_clients() {
    let zk = ZkServer::shared();
    assert_eq!(zk.four_letter("ruok").unwrap(), "imok");
    assert!(zk.four_letter("srvr").unwrap().contains("Mode: standalone"));
    assert!(zk
        .four_letter("mntr")
        .unwrap()
        .contains("zk_server_state\tstandalone"));
    assert_eq!(zk.connect_string(), zk.addr().to_string());
    assert!(zk.addr().ip().is_loopback());
    assert!(
        std::ptr::eq(zk, ZkServer::shared()),
        "shared() must hand out one server"
    );

    let client = connect(&zk.connect_string(), Duration::from_secs(10)).await;
    let path = unique_path("basic");
    client.create(&path, b"hello", &persistent()).await.unwrap();
    let (data, _) = client.get_data(&path).await.unwrap();
    assert_eq!(data, b"hello");
    let session = format!("0x{:x}", client.session_id().0);
    let cons = zk.four_letter("cons").unwrap();
    assert!(
        cons.contains(&format!("sid={session},")),
        "cons does not list {session}:\n{cons}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_data_and_live_sessions() {
    let zk = ZkServer::start().unwrap();
    let client = connect(&zk.connect_string(), Duration::from_secs(20)).await;
    let durable = unique_path("durable");
    let mine = unique_path("ephemeral");
    client
        .create(&durable, b"kept", &persistent())
        .await
        .unwrap();
    client.create(&mine, b"", &ephemeral()).await.unwrap();
    let session = client.session_id();
    let pid = zk.pid().unwrap();

    zk.restart().unwrap();
    assert_ne!(zk.pid().unwrap(), pid, "restart must run a new JVM");
    assert_eq!(zk.four_letter("ruok").unwrap(), "imok");

    // The old client reconnects to the same session: its ephemeral node is still there.
    let (data, _) = retry(Duration::from_secs(15), || client.get_data(&durable)).await;
    assert_eq!(data, b"kept");
    assert_eq!(client.session_id(), session);
    assert_eq!(client.state(), SessionState::SyncConnected);
    let other = connect(&zk.connect_string(), Duration::from_secs(10)).await;
    let stat = other
        .check_stat(&mine)
        .await
        .unwrap()
        .expect("ephemeral node survived the restart");
    assert_eq!(stat.ephemeral_owner, session.0);

    // kill + restart also works, and a stopped server refuses connections.
    zk.kill();
    assert!(zk.pid().is_none());
    assert!(zk.four_letter("ruok").is_err());
    zk.restart().unwrap();
    let (data, _) = retry(Duration::from_secs(15), || other.get_data(&durable)).await;
    assert_eq!(data, b"kept");
    zk.stop();
    assert!(zk.four_letter("ruok").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_freezes_and_resume_continues() {
    let zk = ZkServer::start().unwrap();
    let client = connect(&zk.connect_string(), Duration::from_secs(10)).await;
    let mut states = client.state_watcher();
    let path = unique_path("pause");
    client.create(&path, b"", &persistent()).await.unwrap();

    zk.pause();
    let started = std::time::Instant::now();
    let frozen = zk.four_letter("ruok");
    assert!(frozen.is_err(), "a paused server answered: {frozen:?}");
    // Connection timeout is 2/5 of the 10 s session timeout.
    wait_state(
        &mut states,
        SessionState::Disconnected,
        Duration::from_secs(8),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(9));

    zk.resume();
    wait_state(
        &mut states,
        SessionState::SyncConnected,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(zk.four_letter("ruok").unwrap(), "imok");
    retry(Duration::from_secs(5), || client.check_stat(&path))
        .await
        .expect("node still there");
}
