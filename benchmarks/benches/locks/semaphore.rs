//! `DistSemaphore` next to Curator's `InterProcessSemaphoreV2`, in the same run: the
//! uncontended acquire + release cycle, and 4 processes × 8 tasks on 4 permits.

use crate::uncontended::{self, Contestant};
use crate::{
    connect, handoffs_of_processes, packets_received, peers, print_outcomes, PROCESSES, TASKS,
};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zk_sync_semaphore::DistSemaphore;
use zk_sync_testkit::ZkServer;

/// The permits of both runs (the Curator peer uses the same for its uncontended cycle).
const PERMITS: u32 = 4;

pub(crate) fn run(
    server: &ZkServer,
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    per_round: usize,
    seconds: usize,
) {
    let connect = server.connect_string();
    println!("## Semaphore ({PERMITS} permits): uncontended acquire + release\n");
    let contestants = vec![
        Contestant::task(
            "**zk-sync `DistSemaphore`**",
            rt,
            rt.block_on(cycle(&connect)),
        ),
        Contestant::peer(
            "Curator 5.4 `InterProcessSemaphoreV2`",
            peers::Phased::start(peers::curator(&[
                "uncontended",
                &connect,
                "/bench/curator-semaphore",
                &per_round.to_string(),
                "semaphore",
            ])),
        ),
    ];
    let outcomes =
        uncontended::compare(|| packets_received(server), contestants, rounds, per_round);
    print_outcomes(&outcomes);
    println!(
        "\nzk-sync / Curator time per cycle: {:.2}\n",
        outcomes[0].ratio_to(&outcomes[1])
    );

    println!("## Semaphore ({PERMITS} permits): {PROCESSES} processes x {TASKS} tasks/threads, {seconds} s\n");
    let counted = |f: &dyn Fn() -> f64| {
        let before = packets_received(server);
        let acquisitions = f();
        let requests = (packets_received(server) - before) as f64 / acquisitions;
        (acquisitions / seconds as f64, requests)
    };
    let (ours, our_requests) = counted(&|| contended_ours(&connect, seconds));
    let (curator, curator_requests) = counted(&|| contended_curator(&connect, seconds));
    println!("| client | acquisitions per second | requests per acquisition (server) |");
    println!("|---|---:|---:|");
    println!("| **zk-sync `DistSemaphore`** | **{ours:.0}** | {our_requests:.2} |");
    println!("| Curator 5.4 `InterProcessSemaphoreV2` | {curator:.0} | {curator_requests:.2} |");
    println!("\nzk-sync / Curator acquisitions: {:.2}\n", ours / curator);
}

/// One acquire + release of a permit.
async fn cycle(connect_string: &str) -> impl Fn() -> BoxFuture<'static, ()> + Clone {
    let session = connect(connect_string).await;
    let semaphore = DistSemaphore::new(session, "/bench/zk-sync-semaphore", PERMITS).unwrap();
    let semaphore = Arc::new(semaphore);
    move || {
        let semaphore = semaphore.clone();
        async move { semaphore.acquire().await.unwrap().release().await.unwrap() }.boxed()
    }
}

/// One process of the contended run (`--worker … semaphore`): its acquisitions.
pub(crate) async fn worker(connect_string: &str, path: &str, seconds: f64) -> u64 {
    let session = connect(connect_string).await;
    let semaphore = DistSemaphore::new(session, path, PERMITS).unwrap();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let semaphore = semaphore.clone();
            tokio::spawn(async move {
                let mut acquisitions = 0u64;
                while Instant::now() < deadline {
                    let permit = semaphore.acquire().await.unwrap();
                    acquisitions += 1;
                    permit.release().await.unwrap();
                }
                acquisitions
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total
}

fn contended_ours(connect: &str, seconds: usize) -> f64 {
    let exe = std::env::current_exe().unwrap();
    handoffs_of_processes(|| {
        let mut command = std::process::Command::new(&exe);
        command.args([
            "--worker",
            connect,
            "/bench/zk-sync-semaphore-contended",
            &seconds.to_string(),
            "semaphore",
        ]);
        command
    })
}

fn contended_curator(connect: &str, seconds: usize) -> f64 {
    handoffs_of_processes(|| {
        peers::curator(&[
            "contended",
            connect,
            "/bench/curator-semaphore-contended",
            &TASKS.to_string(),
            &seconds.to_string(),
            &PERMITS.to_string(),
        ])
    })
}
