use std::time::Duration;

use zk_sync_testkit::{expire_session, ZkEnsemble};
use zookeeper_client::SessionState;

use crate::{connect, ephemeral, persistent, retry, unique_path, wait_state};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ensemble_elects_a_new_leader_and_keeps_serving() {
    let ensemble = ZkEnsemble::start(3).unwrap();
    assert_eq!(ensemble.len(), 3);
    let addrs: Vec<String> = (0..3)
        .map(|i| ensemble.server_addr(i).to_string())
        .collect();
    assert_eq!(ensemble.connect_string(), addrs.join(","));

    let leader = ensemble.leader().expect("a leader after start");
    let modes: Vec<String> = (0..3)
        .map(|i| {
            let srvr = ensemble.four_letter(i, "srvr").unwrap();
            srvr.lines()
                .find(|l| l.starts_with("Mode:"))
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        modes.iter().filter(|m| *m == "Mode: leader").count(),
        1,
        "{modes:?}"
    );
    assert_eq!(
        modes.iter().filter(|m| *m == "Mode: follower").count(),
        2,
        "{modes:?}"
    );

    let client = connect(&ensemble.connect_string(), Duration::from_secs(10)).await;
    let path = unique_path("ensemble");
    client
        .create(&path, b"before", &persistent())
        .await
        .unwrap();

    ensemble.kill(leader);
    assert!(ensemble.pid(leader).is_none());
    let new_leader = ensemble.wait_for_leader(Duration::from_secs(20)).unwrap();
    assert_ne!(new_leader, leader);

    // The client (connected to all three) keeps working through the election.
    retry(Duration::from_secs(20), || {
        client.set_data(&path, b"after", None)
    })
    .await;
    let (data, _) = retry(Duration::from_secs(5), || client.get_data(&path)).await;
    assert_eq!(data, b"after");

    // The old leader comes back as a follower with the latest data.
    ensemble.restart(leader).unwrap();
    assert!(ensemble
        .four_letter(leader, "srvr")
        .unwrap()
        .contains("Mode: follower"));
    let direct = connect(
        &ensemble.server_addr(leader).to_string(),
        Duration::from_secs(10),
    )
    .await;
    retry(Duration::from_secs(5), || direct.sync(&path)).await;
    let (data, _) = direct.get_data(&path).await.unwrap();
    assert_eq!(data, b"after");

    // Sessions on an ensemble can be expired too.
    let mine = unique_path("ensemble-ephemeral");
    let mut states = client.state_watcher();
    retry(Duration::from_secs(5), || {
        client.create(&mine, b"", &ephemeral())
    })
    .await;
    expire_session(&ensemble.connect_string(), client.session().clone())
        .await
        .unwrap();
    wait_state(&mut states, SessionState::Expired, Duration::from_secs(10)).await;
    retry(Duration::from_secs(5), || direct.sync(&mine)).await;
    assert!(direct.check_stat(&mine).await.unwrap().is_none());
}
