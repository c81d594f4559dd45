//! Batch: workers that start a job together and finish it together, with a `DoubleBarrier`.
//!
//! Each worker arrives at its own time, waits in `enter()` until all of them are there, does
//! its share of the work (some take longer than others), and waits in `leave()` until all of
//! them are done. The example checks both promises from the times it recorded: nobody started
//! before the last one arrived, and nobody left before the last one finished.
//!
//! ```text
//! cargo run -p examples --example batch            # starts a local ZooKeeper itself
//! ZK_SYNC_CONNECT=127.0.0.1:2181 cargo run -p examples --example batch
//! ```
//!
//! Or one worker per terminal (or machine), three of them:
//!
//! ```text
//! ZK_SYNC_CONNECT=127.0.0.1:2181 cargo run -p examples --example batch -- --join worker-1 --of 3
//! ```

use std::time::{Duration, Instant};
use zk_sync_barrier::{DoubleBarrier, Session};

const BARRIER_PATH: &str = "/zk-sync/examples/batch";
const WORKERS: usize = 3;
const USAGE: &str = "usage: batch [--join NAME --of N]
  without arguments: run a batch of 3 workers (a local ZooKeeper unless ZK_SYNC_CONNECT is set)
  --join NAME --of N: be one worker of N, against ZK_SYNC_CONNECT";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let connect = std::env::var("ZK_SYNC_CONNECT").ok();
    match (args.as_slice(), connect) {
        ([], Some(connect)) => run_batch(&connect, BARRIER_PATH, WORKERS).await.map(drop),
        ([], None) => {
            // Keep the server alive until the end of main.
            let server = zk_sync_testkit::ZkServer::start()?;
            println!("started a local ZooKeeper on {}", server.connect_string());
            run_batch(&server.connect_string(), BARRIER_PATH, WORKERS)
                .await
                .map(drop)
        }
        ([join, name, of, n], Some(connect)) if join == "--join" && of == "--of" => {
            let size = n.parse().map_err(|_| USAGE)?;
            let started = Instant::now();
            let work = Duration::from_millis(500);
            worker(
                &connect,
                BARRIER_PATH,
                name,
                size,
                Duration::ZERO,
                work,
                started,
            )
            .await
            .map(drop)
        }
        ([join, ..], None) if join == "--join" => Err("--join needs ZK_SYNC_CONNECT".into()),
        _ => Err(USAGE.into()),
    }
}

/// When one worker did what, measured from the start of the batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    pub(crate) arrived: Duration,
    pub(crate) entered: Duration,
    pub(crate) finished: Duration,
    pub(crate) left: Duration,
}

/// Runs `workers` workers at `path`, each with its own session (as separate machines would),
/// and checks that they entered and left together. Returns every worker's timeline.
pub(crate) async fn run_batch(connect: &str, path: &str, workers: usize) -> Result<Vec<Timeline>> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..workers {
        let (connect, path) = (connect.to_owned(), path.to_owned());
        // Staggered arrivals, and unequal shares of work: the first to arrive works longest.
        let arrive_after = Duration::from_millis(200 * i as u64);
        let work = Duration::from_millis(100 + 200 * (workers - i) as u64);
        tasks.push(tokio::spawn(async move {
            let name = format!("worker-{}", i + 1);
            worker(&connect, &path, &name, workers, arrive_after, work, started).await
        }));
    }
    let mut timelines = Vec::new();
    for task in tasks {
        timelines.push(task.await??);
    }
    check(&timelines)?;
    println!(
        "batch: all {workers} workers started after the last arrived and left after the last finished ({:.2?} in all)",
        started.elapsed()
    );
    Ok(timelines)
}

/// One worker: arrive, enter with the others, work, leave with the others.
async fn worker(
    connect: &str,
    path: &str,
    name: &str,
    workers: usize,
    arrive_after: Duration,
    work: Duration,
    started: Instant,
) -> Result<Timeline> {
    let session = Session::connect(connect).await?;
    let barrier = DoubleBarrier::new(session.clone(), path, workers)?;
    tokio::time::sleep(arrive_after).await;
    let arrived = started.elapsed();
    println!("[{name}] at the barrier (t={arrived:.2?}), waiting for {workers} workers");
    let entered = barrier.enter().await?;
    let entered_at = started.elapsed();
    let completed = if entered.is_leader() {
        ", the one that completed the group"
    } else {
        ""
    };
    println!("[{name}] entered (t={entered_at:.2?}){completed}; working for {work:.1?}");
    tokio::time::sleep(work).await;
    let finished = started.elapsed();
    println!("[{name}] done (t={finished:.2?}), waiting for the others to finish");
    barrier.leave().await?;
    let left = started.elapsed();
    println!("[{name}] left (t={left:.2?})");
    session.close().await;
    Ok(Timeline {
        arrived,
        entered: entered_at,
        finished,
        left,
    })
}

/// The double barrier's two promises, checked on the recorded times.
fn check(timelines: &[Timeline]) -> Result<()> {
    let last_arrival = timelines
        .iter()
        .map(|t| t.arrived)
        .max()
        .unwrap_or_default();
    let first_entry = timelines
        .iter()
        .map(|t| t.entered)
        .min()
        .unwrap_or_default();
    let last_finish = timelines
        .iter()
        .map(|t| t.finished)
        .max()
        .unwrap_or_default();
    let first_leave = timelines.iter().map(|t| t.left).min().unwrap_or_default();
    if first_entry < last_arrival {
        return Err(format!(
            "a worker entered at {first_entry:?}, before the last arrived at {last_arrival:?}"
        )
        .into());
    }
    if first_leave < last_finish {
        return Err(format!(
            "a worker left at {first_leave:?}, before the last finished at {last_finish:?}"
        )
        .into());
    }
    Ok(())
}
