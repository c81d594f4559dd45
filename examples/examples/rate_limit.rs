//! Rate limit: at most 3 calls at once to a partner's API, across every worker, with a
//! `DistSemaphore`.
//!
//! Four workers (each with its own session, as separate machines would have) make calls that
//! each take a while; every call runs under a permit. The example counts the calls in flight
//! and checks that no more than 3 ever were.
//!
//! ```text
//! cargo run -p examples --example rate_limit            # starts a local ZooKeeper itself
//! ZK_SYNC_CONNECT=127.0.0.1:2181 cargo run -p examples --example rate_limit
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_semaphore::{DistSemaphore, Session};

const SEMAPHORE_PATH: &str = "/zk-sync/examples/partner-api";
const PERMITS: u32 = 3;
const WORKERS: usize = 4;
const CALLS_PER_WORKER: usize = 5;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let most = match std::env::var("ZK_SYNC_CONNECT") {
        Ok(connect) => run(&connect, SEMAPHORE_PATH).await?,
        Err(_) => {
            // Keep the server alive until the end of main.
            let server = zk_sync_testkit::ZkServer::start()?;
            println!("started a local ZooKeeper on {}", server.connect_string());
            run(&server.connect_string(), SEMAPHORE_PATH).await?
        }
    };
    println!("at most {most} calls were in flight at once (permits: {PERMITS})");
    Ok(())
}

/// Runs the workers against `path`; returns the most calls seen in flight at once.
pub(crate) async fn run(connect: &str, path: &str) -> Result<usize> {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let session = Session::connect(connect).await?;
        let semaphore = DistSemaphore::new(session, path, PERMITS)?;
        let (in_flight, most) = (in_flight.clone(), most.clone());
        workers.push(tokio::spawn(async move {
            for call in 0..CALLS_PER_WORKER {
                let permit = semaphore.acquire().await?;
                let now = in_flight.fetch_add(1, Ordering::AcqRel) + 1;
                most.fetch_max(now, Ordering::AcqRel);
                println!(
                    "worker {worker} call {call}: {now} in flight (token {})",
                    permit.fencing_token()
                );
                // Stop calling the moment the permit may be gone.
                tokio::select! {
                    () = permit.uncertain() => eprintln!("worker {worker}: permit uncertain"),
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
                in_flight.fetch_sub(1, Ordering::AcqRel);
                permit.release().await?;
            }
            Ok::<_, zk_sync_semaphore::Error>(())
        }));
    }
    for worker in workers {
        worker.await??;
    }
    let most = most.load(Ordering::Acquire);
    if most > PERMITS as usize {
        return Err(format!("{most} calls in flight with {PERMITS} permits").into());
    }
    Ok(most)
}
