//! A queue mixing our waiters with Curator's and go-zookeeper's: ours walk past the foreign
//! nodes without listing the directory again, and everyone gets the lock in queue order.

mod common;

use common::{children, eventually, session_following, session_to, unique_path};
use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;
use zk_sync_core::backend::fault::{FaultPlan, Op};
use zk_sync_core::Session;
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::{curator_program, go_zookeeper_program, ChildLines, ZkServer};

const CURATOR: &str = include_str!("java/CuratorMutex.java");
const GO: &str = include_str!("go/hold_lock.go");

/// A foreign contender holding the lock until told to release it.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: ChildLines,
}

impl Peer {
    fn start(mut command: Command) -> Peer {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("peer starts");
        let stdin = child.stdin.take();
        let lines = ChildLines::of(&mut child, "peer");
        Peer {
            child,
            stdin,
            lines,
        }
    }

    async fn expect(&mut self, prefix: &str) {
        let line = self
            .lines
            .next(Duration::from_secs(30))
            .await
            .unwrap_or_else(|error| panic!("peer never printed {prefix}: {error}"));
        assert!(line.starts_with(prefix), "{line}");
    }

    async fn release(&mut self) {
        let mut stdin = self.stdin.take().expect("still holding");
        writeln!(stdin).unwrap();
        stdin.flush().unwrap();
        self.expect("RELEASED").await;
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The session timeout of a session whose requests are counted: long enough to keep
/// keep-alive reads out of the counts.
const COUNTED: Duration = Duration::from_secs(30);

/// Waits until the directory has `n` children.
async fn queued(observer: &Session, path: &str, n: usize) {
    let (observer, path) = (observer.clone(), path.to_owned());
    eventually(Duration::from_secs(30), "contender queued", move || {
        let (observer, path) = (observer.clone(), path.clone());
        async move { children(&observer, &path).await.len() == n }
    })
    .await;
}

/// Queues one of our waiters, which reports once it holds and releases when told.
fn our_waiter(
    mutex: &DistMutex,
    name: &'static str,
    acquired: &mpsc::UnboundedSender<&'static str>,
) -> tokio::sync::oneshot::Sender<()> {
    let (release, released) = tokio::sync::oneshot::channel();
    let (mutex, acquired) = (mutex.clone(), acquired.clone());
    tokio::spawn(async move {
        let guard = mutex.lock().await.unwrap();
        acquired.send(name).unwrap();
        let _ = released.await;
        guard.unlock().await.unwrap();
    });
    release
}

async fn assert_nobody_acquires(acquired: &mut mpsc::UnboundedReceiver<&'static str>) {
    let next = tokio::time::timeout(Duration::from_millis(300), acquired.recv()).await;
    assert!(next.is_err(), "acquired out of turn: {next:?}");
}

async fn next(acquired: &mut mpsc::UnboundedReceiver<&'static str>) -> &'static str {
    tokio::time::timeout(Duration::from_secs(20), acquired.recv())
        .await
        .expect("next holder")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_waiters_walk_past_curator_and_go_zookeeper_contenders_in_queue_order() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let path = unique_path("walk-interop");
    let plans = [FaultPlan::new(), FaultPlan::new()];
    let a = DistMutex::new(session_following(&connect, COUNTED, &plans[0]).await, &path).unwrap();
    let b = DistMutex::new(session_following(&connect, COUNTED, &plans[1]).await, &path).unwrap();
    let observer = session_to(&connect, Duration::from_secs(10)).await;
    let (tx, mut acquired) = mpsc::unbounded_channel();

    // ours (a, holds) ← Curator ← ours (b) ← go-zookeeper ← ours (b)
    let first = a.lock().await.unwrap();
    let mut curator = Peer::start({
        let mut command = curator_program("CuratorMutex", CURATOR).expect("Curator and a JDK");
        command.args(["hold", &connect, &path]);
        command
    });
    queued(&observer, &path, 2).await;
    let release_b = our_waiter(&b, "b", &tx);
    queued(&observer, &path, 3).await;
    let mut go = Peer::start({
        let mut command = go_zookeeper_program("hold_lock", GO).expect("Go and go-zookeeper");
        command.args([connect.as_str(), path.as_str()]);
        command
    });
    queued(&observer, &path, 4).await;
    let release_b2 = our_waiter(&b, "b2", &tx);
    queued(&observer, &path, 5).await;
    let listings = || {
        plans
            .iter()
            .map(|p| p.calls(Op::GetChildren))
            .sum::<usize>()
    };
    let listed = listings();

    first.unlock().await.unwrap();
    curator.expect("LOCKED").await;
    assert_nobody_acquires(&mut acquired).await;
    curator.release().await;
    assert_eq!(next(&mut acquired).await, "b");
    release_b.send(()).unwrap();
    go.expect("LOCKED").await;
    assert_nobody_acquires(&mut acquired).await;
    go.release().await;
    assert_eq!(next(&mut acquired).await, "b2");
    release_b2.send(()).unwrap();

    assert_eq!(
        listings(),
        listed,
        "our waiters walked past the foreign nodes without listing"
    );
    queued(&observer, &path, 0).await;
}
