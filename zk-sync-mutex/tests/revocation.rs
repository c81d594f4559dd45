//! Cooperative revocation by Apache Curator's convention (`__REVOKE__` written into the
//! holder's node): a holder that listens is asked to let go, by zk-sync or by Curator's
//! `Revoker`, and a Curator holder made revocable lets go when zk-sync asks.

mod common;

use common::{children, session_to, unique_path};
use std::process::{Command, Stdio};
use std::time::Duration;
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::{curator_program, ChildLines, ZkServer};

const SOURCE: &str = include_str!("java/CuratorRevocation.java");
const TIMEOUT: Duration = Duration::from_secs(30);

fn curator(args: &[&str]) -> Command {
    let mut command = curator_program("CuratorRevocation", SOURCE).expect("Curator 5.4 and a JDK");
    command.args(args);
    command
}

async fn mutex(path: &str) -> DistMutex {
    let session = session_to(
        &ZkServer::shared().connect_string(),
        Duration::from_secs(10),
    )
    .await;
    DistMutex::new(session, path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listening_holder_is_asked_to_let_go_and_the_asker_gets_the_lock() {
    let path = unique_path("revoke/ours");
    let (holder, asker) = (mutex(&path).await, mutex(&path).await);
    assert_eq!(asker.revoke_holder().await.unwrap(), None, "nobody holds");
    let guard = holder.lock().await.unwrap();
    // Asked before it listens: the request stands.
    let asked = asker.revoke_holder().await.unwrap();
    assert_eq!(asked.as_deref(), Some(guard.path()));
    tokio::time::timeout(TIMEOUT, guard.revoke_requested())
        .await
        .expect("revocation seen");
    assert!(!guard.is_lost(), "a request, not a loss");
    guard.unlock().await.unwrap();
    let next = tokio::time::timeout(TIMEOUT, asker.lock())
        .await
        .unwrap()
        .unwrap();
    // The next holder has not been asked.
    tokio::select! {
        _ = next.revoke_requested() => panic!("a new hold is not revoked"),
        _ = tokio::time::sleep(Duration::from_millis(300)) => {}
    }
    next.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_listening_first_hears_a_later_request() {
    let path = unique_path("revoke/later");
    let (holder, asker) = (mutex(&path).await, mutex(&path).await);
    let guard = holder.lock().await.unwrap();
    {
        let listening = guard.revoke_requested();
        tokio::pin!(listening);
        assert!(futures::poll!(&mut listening).is_pending());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            futures::poll!(&mut listening).is_pending(),
            "nobody asked yet"
        );
        asker.revoke_holder().await.unwrap().expect("a holder");
        tokio::time::timeout(TIMEOUT, listening)
            .await
            .expect("revocation seen");
    }
    guard.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curators_revoker_asks_a_zk_sync_holder() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("revoke/by-curator");
    let holder = mutex(&path).await;
    let guard = holder.lock().await.unwrap();
    let node = guard.path().to_owned();
    let revoker = tokio::task::spawn_blocking(move || {
        curator(&["revoke", &connect, &node]).output().unwrap()
    });
    tokio::time::timeout(TIMEOUT, guard.revoke_requested())
        .await
        .expect("Curator's request seen");
    let output = revoker.await.unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ASKED"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    guard.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocable_curator_holder_lets_go_when_zk_sync_asks() {
    let connect = ZkServer::shared().connect_string();
    let path = unique_path("revoke/curator-holder");
    let mut holder = curator(&["revocable", &connect, &path])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = ChildLines::of(&mut holder, "Curator");
    let line = lines.next(TIMEOUT).await.unwrap();
    let node = line
        .strip_prefix("LOCKED ")
        .expect("Curator locked")
        .to_owned();
    let ours = mutex(&path).await;
    assert_eq!(ours.revoke_holder().await.unwrap().as_deref(), Some(&*node));
    let guard = tokio::time::timeout(TIMEOUT, ours.lock())
        .await
        .expect("Curator let go")
        .unwrap();
    assert_eq!(lines.next(TIMEOUT).await.unwrap(), "RELEASED");
    assert!(holder.wait().unwrap().success());
    assert_eq!(children(ours.session(), &path).await.len(), 1);
    guard.unlock().await.unwrap();
}
