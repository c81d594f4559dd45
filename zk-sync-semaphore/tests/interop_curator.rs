//! Apache Curator 5.4's `InterProcessSemaphoreV2` and `DistSemaphore` share one path with the
//! same maximum: together they never hold more leases than the maximum, each sees the
//! other's leases, and nobody starves.

mod common;

use common::{children, eventually, session_to, unique_path, Inside};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use zk_sync_core::backend::NodeKind;
use zk_sync_semaphore::{DistSemaphore, Session, TryAcquireError};
use zk_sync_testkit::{curator_program, ChildLines, ZkServer};

const SOURCE: &str = include_str!("java/CuratorSemaphore.java");
const TIMEOUT: Duration = Duration::from_secs(10);

fn curator(args: &[&str]) -> Command {
    let mut command = curator_program("CuratorSemaphore", SOURCE).expect("Curator 5.4 and a JDK");
    command.args(args);
    command
}

/// Registers a holder under `registry` and returns how many are registered, itself included.
async fn register(session: &Session, registry: &str) -> (String, usize) {
    let epoch = session.live_epoch().await.unwrap();
    let me = epoch
        .backend()
        .create(
            &format!("{registry}/holder-"),
            b"",
            NodeKind::EphemeralSequential,
            session.default_acl(),
        )
        .await
        .expect("register")
        .path;
    (me, children(session, registry).await.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curator_and_zk_sync_together_never_hold_more_leases_than_the_maximum() {
    const MAX: u32 = 3;
    const ROUNDS: usize = 30;
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-limit");
    // Every holder registers itself here while it holds.
    let registry = format!("{path}-holders");
    let setup = session_to(&connect, TIMEOUT).await;
    let epoch = setup.live_epoch().await.unwrap();
    // Persistent, not a container: it is empty at times.
    let parent = registry.rsplit_once('/').unwrap().0;
    epoch
        .create_containers(parent, setup.default_acl())
        .await
        .unwrap();
    epoch
        .backend()
        .create(&registry, b"", NodeKind::Persistent, setup.default_acl())
        .await
        .expect("the registry");

    let java: Vec<_> = (0..2)
        .map(|_| {
            let (connect, path, registry) = (connect.clone(), path.clone(), registry.clone());
            std::thread::spawn(move || {
                let output = curator(&[
                    "hammer",
                    &connect,
                    &path,
                    &MAX.to_string(),
                    &ROUNDS.to_string(),
                    &registry,
                    "2",
                ])
                .output()
                .unwrap();
                assert!(
                    output.status.success(),
                    "Curator helper failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                String::from_utf8(output.stdout).unwrap()
            })
        })
        .collect();
    let inside = Inside::default();
    let mut ours = Vec::new();
    for _ in 0..2 {
        let session = session_to(&connect, TIMEOUT).await;
        let semaphore = DistSemaphore::new(session.clone(), &path, MAX).unwrap();
        for _ in 0..2 {
            let (session, semaphore, registry, inside) = (
                session.clone(),
                semaphore.clone(),
                registry.clone(),
                inside.clone(),
            );
            ours.push(tokio::spawn(async move {
                for _ in 0..ROUNDS {
                    let permit = semaphore.acquire().await.unwrap();
                    inside.enter();
                    let (me, holders) = register(&session, &registry).await;
                    assert!(
                        holders <= MAX as usize,
                        "{holders} holders at once (max {MAX})"
                    );
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    let epoch = session.live_epoch().await.unwrap();
                    epoch.delete(&me).await.unwrap();
                    inside.leave();
                    permit.release().await.unwrap();
                }
            }));
        }
    }
    for task in ours {
        tokio::time::timeout(Duration::from_secs(120), task)
            .await
            .expect("every zk-sync holder got its rounds")
            .unwrap();
    }
    for process in java {
        let out = process.join().unwrap();
        assert!(out.starts_with("DONE"), "Curator: {out}");
    }
    eventually(TIMEOUT, "every lease returned", || {
        let (setup, path) = (setup.clone(), path.clone());
        async move { children(&setup, &format!("{path}/leases")).await.is_empty() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_side_sees_the_others_leases() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("curator-see");
    let session = session_to(&connect, TIMEOUT).await;
    let semaphore = DistSemaphore::new(session.clone(), &path, 2).unwrap();

    // A Curator lease and one of ours fill the two permits.
    let mut holder = curator(&["hold", &connect, &path, "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = ChildLines::of(&mut holder, "Curator");
    let leased = lines.next(Duration::from_secs(30)).await.unwrap();
    assert!(leased.starts_with("LEASED _c_"), "{leased}");
    assert_eq!(semaphore.available_permits().await.unwrap(), 1);
    let ours = semaphore.try_acquire().await.unwrap();
    assert!(matches!(
        semaphore.try_acquire().await,
        Err(TryAcquireError::NoPermits)
    ));
    let busy = String::from_utf8(
        curator(&["try", &connect, &path, "2"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(busy.trim(), "BUSY", "Curator counts our lease");

    // Curator's release lets our waiter in; ours lets Curator's in.
    let waiter = tokio::spawn({
        let semaphore = semaphore.clone();
        async move { semaphore.acquire().await.map(|permit| permit.num_permits()) }
    });
    eventually(TIMEOUT, "our waiter holds the turn", || {
        let (session, path) = (session.clone(), path.clone());
        async move { children(&session, &format!("{path}/leases")).await.len() == 3 }
    })
    .await;
    writeln!(holder.stdin.as_mut().unwrap()).unwrap();
    assert_eq!(lines.next(TIMEOUT).await.unwrap(), "RELEASED");
    holder.wait().unwrap();
    let got = tokio::time::timeout(TIMEOUT, waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(got, 1);
    drop(ours);
    eventually(TIMEOUT, "our lease returned", || {
        let (session, path) = (session.clone(), path.clone());
        async move {
            children(&session, &format!("{path}/leases"))
                .await
                .is_empty()
        }
    })
    .await;
    let free = String::from_utf8(
        curator(&["try", &connect, &path, "2"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(free.trim(), "ACQUIRED");
}
