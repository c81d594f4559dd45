use std::time::Duration;

use zk_sync_testkit::{expire_session, ZkServer};
use zookeeper_client::SessionState;

use crate::{connect, ephemeral, unique_path, wait_state};

#[tokio::test]
async fn expire_session_expires_the_original_client() {
    let zk = ZkServer::shared();
    let client = connect(&zk.connect_string(), Duration::from_secs(20)).await;
    let mut states = client.state_watcher();
    let path = unique_path("expire");
    client.create(&path, b"", &ephemeral()).await.unwrap();
    let session = client.session_id();

    expire_session(&zk.connect_string(), client.session().clone())
        .await
        .unwrap();

    // The server already dropped the session: its ephemeral node is gone ...
    let other = connect(&zk.connect_string(), Duration::from_secs(10)).await;
    assert!(other.check_stat(&path).await.unwrap().is_none());
    // The original client's reconnect attempt may show up in `cons` until the server refuses it.
    let listed = format!("sid={session},");
    let mut cons = zk.four_letter("cons").unwrap();
    for _ in 0..100 {
        if !cons.contains(&listed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        cons = zk.four_letter("cons").unwrap();
    }
    assert!(!cons.contains(&listed), "session still connected:\n{cons}");
    // ... and the original client learns it when it reconnects.
    wait_state(&mut states, SessionState::Expired, Duration::from_secs(10)).await;
    assert!(client.check_stat("/").await.is_err());
}
