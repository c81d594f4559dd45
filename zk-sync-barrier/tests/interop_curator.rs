//! Apache Curator 5.4's `DistributedDoubleBarrier` and ours, mixed in one barrier.

mod common;

use common::{children, session_to, unique_path, wait_for_children};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;
use zk_sync_barrier::DoubleBarrier;
use zk_sync_testkit::{curator_program, ChildLines, ZkServer};

const SOURCE: &str = include_str!("java/CuratorDoubleBarrier.java");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curator_and_zk_sync_participants_enter_and_leave_together() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator");
    let observer = session_to(&connect, Duration::from_secs(10)).await;
    let ours: Vec<_> = {
        let mut v = Vec::new();
        for _ in 0..2 {
            v.push(std::sync::Arc::new(
                DoubleBarrier::new(
                    session_to(&connect, Duration::from_secs(10)).await,
                    &path,
                    3,
                )
                .unwrap(),
            ));
        }
        v
    };

    // Our two arrive first and must wait for Curator.
    let entering: Vec<_> = ours
        .iter()
        .map(|b| {
            let b = b.clone();
            tokio::spawn(async move { b.enter().await.unwrap().is_leader() })
        })
        .collect();
    wait_for_children(&observer, &path, 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        entering.iter().all(|t| !t.is_finished()),
        "nobody enters before the third arrives"
    );

    let mut curator = curator_program("CuratorDoubleBarrier", SOURCE)
        .expect("Curator 5.4 and a JDK")
        .args([&connect, &path, "3"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = curator.stdin.take().unwrap();
    let mut lines = ChildLines::of(&mut curator, "Curator");
    assert_eq!(
        lines.next(Duration::from_secs(30)).await.unwrap(),
        "ARRIVING"
    );
    let mut leaders = 0;
    for task in entering {
        if tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("ours enter with Curator")
            .unwrap()
        {
            leaders += 1;
        }
    }
    assert_eq!(
        lines.next(Duration::from_secs(10)).await.unwrap(),
        "ENTERED"
    );
    assert!(leaders <= 1, "at most one of ours completed the group");

    // Ours start leaving; nobody passes until Curator leaves too.
    let leaving: Vec<_> = ours
        .iter()
        .map(|b| {
            let b = b.clone();
            tokio::spawn(async move { b.leave().await.unwrap() })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        leaving.iter().all(|t| !t.is_finished()),
        "nobody leaves before Curator starts leaving"
    );
    writeln!(stdin).unwrap();
    for task in leaving {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("ours leave with Curator")
            .unwrap();
    }
    assert_eq!(lines.next(Duration::from_secs(10)).await.unwrap(), "LEFT");
    curator.wait().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while !children(&observer, &path).await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "nodes left behind: {:?}",
            children(&observer, &path).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
