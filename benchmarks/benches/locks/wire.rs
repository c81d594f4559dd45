//! The two wire clients side by side, with Curator as the peer: the uncontended `DistMutex`
//! cycle, contended hand-offs, and the client's CPU time per cycle.

use crate::uncontended::{self, median, Contestant};
use crate::{
    curator_mutex, handoffs_of_processes, packets_received, peers, print_outcomes,
    zk_sync_mutex_cycle_on,
};
use std::time::{Duration, Instant};
use zk_sync_core::test_util::WireClient;
use zk_sync_core::Session;
use zk_sync_testkit::ZkServer;

/// CPU samples per wire client, alternating between them.
const CPU_RUNS: usize = 3;

/// Cycles a CPU worker runs before it measures.
const CPU_WARM_UP: usize = 500;

/// The wire clients side by side, the default first.
const WIRE_CLIENTS: [WireClient; 2] = [WireClient::ZookeeperClient, WireClient::ZookeeperAsync];

/// A session over `wire`.
pub(crate) async fn connect_over(connect: &str, wire: WireClient) -> Session {
    Session::builder(connect)
        .session_timeout(Duration::from_secs(10))
        .connector(wire.connector())
        .connect()
        .await
        .expect("connect")
}

pub(crate) fn run(
    server: &ZkServer,
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    per_round: usize,
    seconds: usize,
) {
    let connect = server.connect_string();
    println!("## Wire clients: zookeeper-client (default) next to zookeeper-async\n");
    let mut contestants = Vec::new();
    for (wire, name) in WIRE_CLIENTS.iter().zip([
        "**zk-sync `DistMutex` over zookeeper-client**",
        "**zk-sync `DistMutex` over zookeeper-async**",
    ]) {
        let session = rt.block_on(connect_over(&connect, *wire));
        let cycle = rt.block_on(zk_sync_mutex_cycle_on(
            session,
            &format!("/bench/wire-{}", wire.name()),
        ));
        contestants.push(Contestant::task(name, rt, cycle));
    }
    contestants.push(curator_mutex(&connect, "/bench/wire-curator", per_round));
    let outcomes =
        uncontended::compare(|| packets_received(server), contestants, rounds, per_round);
    print_outcomes(&outcomes);
    println!(
        "\nzookeeper-async / zookeeper-client time per cycle: {:.2}; over Curator: {:.2} and {:.2}\n",
        outcomes[1].ratio_to(&outcomes[0]),
        outcomes[0].ratio_to(&outcomes[2]),
        outcomes[1].ratio_to(&outcomes[2]),
    );

    println!(
        "Contended: {} processes x {} tasks on one path, {seconds} s each\n",
        crate::PROCESSES,
        crate::TASKS
    );
    println!("| wire client | hand-offs per second | requests per hand-off (server) |");
    println!("|---|---:|---:|");
    for wire in WIRE_CLIENTS.map(WireClient::name) {
        let before = packets_received(server);
        let handoffs = handoffs_of_processes(|| {
            let mut command = std::process::Command::new(std::env::current_exe().unwrap());
            command.args([
                "--worker",
                &connect,
                &format!("/bench/wire-contended-{wire}"),
                &seconds.to_string(),
                wire,
            ]);
            command
        });
        let requests = (packets_received(server) - before) as f64 / handoffs;
        println!(
            "| {wire} | {:.0} | {requests:.2} |",
            handoffs / seconds as f64
        );
    }

    let cycles = per_round * rounds;
    println!("\nClient CPU per uncontended cycle: one process per run, {cycles} cycles after a warm-up, user + system time of all its threads ({CPU_RUNS} runs each, alternating)\n");
    let mut samples: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new(); WIRE_CLIENTS.len()];
    for _ in 0..CPU_RUNS {
        for (wire, samples) in WIRE_CLIENTS.map(WireClient::name).iter().zip(&mut samples) {
            let mut command = std::process::Command::new(std::env::current_exe().unwrap());
            command.args([
                "--cpu-worker",
                &connect,
                &format!("/bench/wire-cpu-{wire}"),
                &cycles.to_string(),
                wire,
            ]);
            let before = packets_received(server);
            let values = peers::run_to_end_all(command, &["cpu_us_per_cycle", "cycle_ms"]);
            let requests =
                (packets_received(server) - before) as f64 / (cycles + CPU_WARM_UP) as f64;
            samples.push((values[0], values[1], requests));
        }
    }
    println!("| wire client | CPU µs per cycle (median; runs) | ms per cycle (median) | requests per cycle (server) | CPU µs per request |");
    println!("|---|---:|---:|---:|---:|");
    let mut medians = Vec::new();
    for (wire, samples) in WIRE_CLIENTS.map(WireClient::name).iter().zip(&samples) {
        let cpu = median(&samples.iter().map(|s| s.0).collect::<Vec<_>>());
        let wall = median(&samples.iter().map(|s| s.1).collect::<Vec<_>>());
        let requests = median(&samples.iter().map(|s| s.2).collect::<Vec<_>>());
        let runs: Vec<String> = samples.iter().map(|s| format!("{:.1}", s.0)).collect();
        println!(
            "| {wire} | {cpu:.1} ({}) | {wall:.3} | {requests:.2} | {:.1} |",
            runs.join(", "),
            cpu / requests
        );
        medians.push((cpu, cpu / requests));
    }
    println!(
        "\nzookeeper-async / zookeeper-client CPU per cycle: {:.2}; per request: {:.2}\n",
        medians[1].0 / medians[0].0,
        medians[1].1 / medians[0].1
    );
}

/// One process of the CPU run over `wire`: the CPU time (all threads) and wall time per
/// uncontended cycle, after a warm-up.
pub(crate) async fn cpu_worker(
    connect: &str,
    path: &str,
    cycles: usize,
    wire: WireClient,
) -> (f64, f64) {
    let session = connect_over(connect, wire).await;
    let cycle = zk_sync_mutex_cycle_on(session, path).await;
    // As a runtime task, the way a service runs its work (and the uncontended rounds do).
    tokio::spawn(async move {
        for _ in 0..CPU_WARM_UP {
            cycle().await;
        }
        let (cpu_before, wall_before) = (cpu_time(), Instant::now());
        for _ in 0..cycles {
            cycle().await;
        }
        let cpu = cpu_time() - cpu_before;
        let wall = wall_before.elapsed();
        (
            cpu.as_secs_f64() * 1e6 / cycles as f64,
            wall.as_secs_f64() * 1e3 / cycles as f64,
        )
    })
    .await
    .expect("the measured task")
}

/// User plus system time of every thread of this process so far.
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF always succeeds.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let of = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    of(usage.ru_utime) + of(usage.ru_stime)
}
