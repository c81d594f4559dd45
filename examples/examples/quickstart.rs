//! Quick start: several tasks in this process and two more processes contend on one
//! `DistMutex`, each incrementing a shared counter file non-atomically under the lock, and
//! printing the fencing token of every hold. No increment is lost.
//!
//! ```text
//! cargo run -p examples --example quickstart            # starts a local ZooKeeper itself
//! ZK_SYNC_CONNECT=127.0.0.1:2181 cargo run -p examples --example quickstart
//! ```

use std::path::Path;
use std::time::{Duration, Instant};
use zk_sync_mutex::{DistMutex, Session};

const TASKS: usize = 3;
const PROCESSES: usize = 2;
const ROUNDS: usize = 5;
const LOCK_PATH: &str = "/zk-sync/quickstart";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--worker") {
        return worker(&args[2], Path::new(&args[3]), &args[4]).await;
    }
    // Keep a server we started alive until the end of main.
    let (connect, _server) = match std::env::var("ZK_SYNC_CONNECT") {
        Ok(connect) => (connect, None),
        Err(_) => {
            let server = zk_sync_testkit::ZkServer::start()?;
            println!("started a local ZooKeeper on {}", server.connect_string());
            (server.connect_string(), Some(server))
        }
    };
    let counter = std::env::temp_dir().join(format!("zk-sync-quickstart-{}", std::process::id()));
    std::fs::write(&counter, "0")?;
    let started = Instant::now();

    let mut children = Vec::new();
    for p in 0..PROCESSES {
        children.push(
            tokio::process::Command::new(std::env::current_exe()?)
                .args([
                    "--worker",
                    &connect,
                    &counter.display().to_string(),
                    &format!("process-{p}"),
                ])
                .kill_on_drop(true)
                .spawn()?,
        );
    }
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (connect, counter) = (connect.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            worker(&connect, &counter, &format!("task-{t}")).await
        }));
    }
    for task in tasks {
        task.await??;
    }
    for mut child in children {
        let status = child.wait().await?;
        if !status.success() {
            return Err(format!("a worker process failed: {status}").into());
        }
    }
    let total: usize = std::fs::read_to_string(&counter)?.trim().parse()?;
    let expected = (TASKS + PROCESSES) * ROUNDS;
    let _ = std::fs::remove_file(&counter);
    println!(
        "counter = {total} (expected {expected}) after {} contenders x {ROUNDS} rounds in {:.2?}: {}",
        TASKS + PROCESSES,
        started.elapsed(),
        if total == expected { "no increment lost" } else { "INCREMENTS LOST" }
    );
    if total != expected {
        return Err("mutual exclusion violated".into());
    }
    Ok(())
}

/// One contender: its own session (as a separate service would have), `ROUNDS` increments.
async fn worker(connect: &str, counter: &Path, name: &str) -> Result<()> {
    let session = Session::connect(connect).await?;
    let mutex = DistMutex::new(session.clone(), LOCK_PATH)?;
    for _ in 0..ROUNDS {
        let guard = mutex.lock().await?;
        let value = increment_slowly(counter).await?;
        println!(
            "{name:>10} holds the lock: fencing token {:>12}, counter -> {value}",
            guard.fencing_token()
        );
        guard.unlock().await?;
    }
    session.close().await;
    Ok(())
}

/// Read, pause, write: racy on purpose, so only the lock keeps it correct.
async fn increment_slowly(counter: &Path) -> Result<usize> {
    let value: usize = tokio::fs::read_to_string(counter).await?.trim().parse()?;
    tokio::time::sleep(Duration::from_millis(2)).await;
    tokio::fs::write(counter, (value + 1).to_string()).await?;
    Ok(value + 1)
}
