//! zk-sync's `DistMutex` and `DistRwLock` side by side with Apache Curator's
//! `InterProcessMutex` / `InterProcessReadWriteLock` and go-zookeeper's `Lock`, on one ZooKeeper
//! server that fsyncs each write (as production does).
//!
//! ```text
//! cargo bench -p zk-sync-benchmarks --bench locks
//! ```
//!
//! Environment: `ZK_SYNC_BENCH_CYCLES` (uncontended cycles per client, default 2000),
//! `ZK_SYNC_BENCH_ROUNDS` (interleaved rounds the cycles are split into, default 5),
//! `ZK_SYNC_BENCH_SECONDS` (contended run, default 10), `ZK_SYNC_BENCH_WAITERS` (default 10000),
//! `ZK_SYNC_BENCH_QUEUES` (lengths of the long queues, default `100,1000,10000`),
//! `ZK_SYNC_BENCH_QUEUE_TIMEOUT` (seconds each phase of a long queue may take, default 300),
//! `ZK_SYNC_BENCH_SECTIONS` (which parts to run, default
//! `mutex,rwlock,ensemble,contended,semaphore,tls,wire,waiters,queue`).

mod counting_alloc;
mod peers;
mod queue;
mod semaphore;
mod tls;
mod uncontended;
mod wire;

#[global_allocator]
static ALLOCATOR: counting_alloc::Counting = counting_alloc::Counting;

use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uncontended::Contestant;
use zk_sync_core::backend::NodeKind;
use zk_sync_core::test_util::WireClient;
use zk_sync_core::Session;
use zk_sync_mutex::DistMutex;
use zk_sync_rwlock::DistRwLock;
use zk_sync_testkit::{ZkEnsemble, ZkServer};

const PROCESSES: usize = 4;
const TASKS: usize = 8;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--worker")
        && args.get(5).map(String::as_str) == Some("semaphore")
    {
        let acquisitions = runtime().block_on(semaphore::worker(
            &args[2],
            &args[3],
            args[4].parse().unwrap(),
        ));
        println!("handoffs {acquisitions}");
        return;
    }
    if args.get(1).map(String::as_str) == Some("--cpu-worker") {
        let (cpu, wall) = runtime().block_on(wire::cpu_worker(
            &args[2],
            &args[3],
            args[4].parse().unwrap(),
            WireClient::named(&args[5]).expect("a wire client"),
        ));
        println!("cpu_us_per_cycle {cpu:.3}");
        println!("cycle_ms {wall:.4}");
        return;
    }
    if args.get(1).map(String::as_str) == Some("--worker") {
        // `local` for local hand-off, or the wire client's name; the default client else.
        let mode = args.get(5).map_or("", String::as_str);
        let local = mode == "local";
        let wire_client = WireClient::named(mode).unwrap_or(WireClient::ZookeeperClient);
        let runtime = runtime();
        let session = runtime.block_on(wire::connect_over(&args[2], wire_client));
        let (handoffs, longest_wait) = runtime.block_on(contended_worker(
            session,
            &args[3],
            args[4].parse().unwrap(),
            local,
        ));
        println!("handoffs {handoffs}");
        println!("longest_wait_ms {:.3}", longest_wait.as_secs_f64() * 1e3);
        return;
    }
    if args.get(1).map(String::as_str) == Some("--queue-worker") {
        let count = args[4]
            .parse()
            .expect("--queue-worker <connect> <path> <count>");
        queue::worker(&args[2], &args[3], count);
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        println!(
            "lock benchmarks: run them with `cargo bench -p zk-sync-benchmarks --bench locks`"
        );
        return;
    }
    let cycles = env_or("ZK_SYNC_BENCH_CYCLES", 2000);
    let rounds = env_or("ZK_SYNC_BENCH_ROUNDS", 5).max(1);
    let per_round = (cycles / rounds).max(1);
    let seconds = env_or("ZK_SYNC_BENCH_SECONDS", 10);
    let waiters = env_or("ZK_SYNC_BENCH_WAITERS", 10_000);
    let queues = queue_lengths();
    let queue_timeout = Duration::from_secs(env_or("ZK_SYNC_BENCH_QUEUE_TIMEOUT", 300) as u64);
    let sections: Vec<String> = std::env::var("ZK_SYNC_BENCH_SECTIONS")
        .unwrap_or_else(|_| {
            "mutex,rwlock,ensemble,contended,semaphore,tls,wire,waiters,queue".into()
        })
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect();
    let server = ZkServer::start_durable().expect("ZooKeeper");
    let connect = server.connect_string();
    println!("ZooKeeper {connect} (standalone, forceSync=yes); {cycles} uncontended cycles per client in {rounds} rounds, {seconds} s contended, {waiters} waiters\n");

    let rt = runtime();
    let run = |section: &str| sections.iter().any(|s| s == section);
    if run("mutex") {
        mutex_uncontended(&server, &rt, rounds, per_round);
    }
    if run("rwlock") {
        rwlock_uncontended(&server, &rt, rounds, per_round);
    }
    if run("ensemble") {
        ensemble_uncontended(&rt, rounds, per_round);
    }
    if run("contended") {
        contended(&server, seconds);
    }
    if run("semaphore") {
        semaphore::run(&server, &rt, rounds, per_round, seconds);
    }
    if run("tls") {
        tls::run(&rt, rounds, per_round);
    }
    if run("wire") {
        wire::run(&server, &rt, rounds, per_round, seconds);
    }
    if run("waiters") {
        println!("## {waiters} concurrent waiters in one process\n");
        rt.block_on(many_waiters(&connect, waiters, false));
        rt.block_on(many_waiters(&connect, waiters, true));
    }
    if run("queue") {
        queue::run(&server, &rt, &queues, queue_timeout);
    }
}

/// `ZK_SYNC_BENCH_QUEUES`, a comma-separated list of queue lengths.
fn queue_lengths() -> Vec<usize> {
    std::env::var("ZK_SYNC_BENCH_QUEUES")
        .unwrap_or_else(|_| "100,1000,10000".into())
        .split(',')
        .map(|length| {
            length
                .trim()
                .parse()
                .expect("ZK_SYNC_BENCH_QUEUES: comma-separated queue lengths")
        })
        .collect()
}

fn mutex_uncontended(
    server: &ZkServer,
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    per_round: usize,
) {
    let connect = server.connect_string();
    println!("## Uncontended acquire + release (one client, one path)\n");
    println!("{rounds} interleaved rounds of {per_round} cycles per client; median ms per cycle (fastest and slowest round).\n");
    let mut contestants = vec![Contestant::task(
        "raw create‖getChildren + delete (zookeeper-client, awaited)",
        rt,
        rt.block_on(classic_recipe(&connect)),
    )];
    contestants.extend(floor_ours_curator(rt, &connect, per_round));
    let go = peers::go_zookeeper(&[&connect, "/bench/go-uncontended", &per_round.to_string()]);
    match go {
        Ok(command) => contestants.push(Contestant::peer(
            "go-zookeeper `Lock`",
            peers::Phased::start(command),
        )),
        Err(ref why) => println!("(go-zookeeper not run: {why})\n"),
    }
    contestants.push(Contestant::task(
        "**zk-sync `DistMutex`, local hand-off: re-lock, nobody else queued**",
        rt,
        rt.block_on(zk_sync_local_relock(&connect)),
    ));
    let outcomes =
        uncontended::compare(|| packets_received(server), contestants, rounds, per_round);
    print_outcomes(&outcomes);
    print_mutex_ratios(&outcomes[1..4]);
    let local = outcomes.last().expect("the local hand-off outcome");
    println!(
        "zk-sync local re-lock / Curator time per cycle: {:.4}\n",
        local.ratio_to(&outcomes[3])
    );
}

/// A mutex with local hand-off whose node stays with the process between cycles: a cycle is
/// a re-lock in memory.
async fn zk_sync_local_relock(connect_string: &str) -> impl Fn() -> BoxFuture<'static, ()> + Clone {
    let session = connect(connect_string).await;
    let mutex = DistMutex::builder(session, "/bench/zk-sync-local-relock")
        .local_handoff(true)
        .linger(Duration::from_secs(3600))
        .build()
        .unwrap();
    let mutex = Arc::new(mutex);
    move || {
        let mutex = mutex.clone();
        async move { mutex.lock().await.unwrap().unlock().await.unwrap() }.boxed()
    }
}

fn rwlock_uncontended(
    server: &ZkServer,
    rt: &tokio::runtime::Runtime,
    rounds: usize,
    per_round: usize,
) {
    let connect = server.connect_string();
    println!("## Uncontended reader-writer lock cycles (one client, one path)\n");
    let mut contestants = Vec::new();
    for (kind, write) in [("read", false), ("write", true)] {
        contestants.push(Contestant::task(
            if write {
                "**zk-sync `DistRwLock` write**"
            } else {
                "**zk-sync `DistRwLock` read**"
            },
            rt,
            rt.block_on(zk_sync_rwlock_cycle(&connect, write)),
        ));
        contestants.push(Contestant::peer(
            if write {
                "Curator 5.4 `InterProcessReadWriteLock` write"
            } else {
                "Curator 5.4 `InterProcessReadWriteLock` read"
            },
            peers::Phased::start(peers::curator(&[
                "uncontended",
                &connect,
                &format!("/bench/curator-rwlock-{kind}"),
                &per_round.to_string(),
                kind,
            ])),
        ));
    }
    let outcomes =
        uncontended::compare(|| packets_received(server), contestants, rounds, per_round);
    print_outcomes(&outcomes);
    println!(
        "\nzk-sync / Curator time per cycle: read {:.2}, write {:.2}\n",
        outcomes[0].ratio_to(&outcomes[1]),
        outcomes[2].ratio_to(&outcomes[3])
    );
}

fn contended(server: &ZkServer, seconds: usize) {
    println!(
        "## Contended: {PROCESSES} processes x {TASKS} tasks/threads on one path, {seconds} s\n"
    );
    let connect = server.connect_string();
    let run = |f: fn(&str, usize) -> f64| {
        let before = packets_received(server);
        let handoffs = f(&connect, seconds);
        let requests = (packets_received(server) - before) as f64 / handoffs;
        (handoffs / seconds as f64, requests)
    };
    let strict_wait = std::cell::Cell::new(0.0);
    let local_wait = std::cell::Cell::new(0.0);
    let (ours, our_requests) = run_timed(server, &connect, seconds, false, &strict_wait);
    let (local, local_requests) = run_timed(server, &connect, seconds, true, &local_wait);
    let (curator, curator_requests) = run(contended_curator);
    println!("| client | hand-offs per second | requests per hand-off (server) | longest wait of one lock() (ms) |");
    println!("|---|---:|---:|---:|");
    println!(
        "| **zk-sync `DistMutex`** | **{ours:.0}** | {our_requests:.2} | {:.1} |",
        strict_wait.get()
    );
    println!(
        "| **zk-sync `DistMutex`, local hand-off** (max 64, linger 20 ms) | **{local:.0}** | {local_requests:.3} | {:.1} |",
        local_wait.get()
    );
    println!("| Curator 5.4 `InterProcessMutex` | {curator:.0} | {curator_requests:.2} | |");
    println!(
        "\nzk-sync / Curator hand-offs: {:.2}; with local hand-off: {:.1}\n",
        ours / curator,
        local / curator
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn packets_received(server: &ZkServer) -> u64 {
    packets_in(&server.four_letter("mntr").expect("mntr"))
}

/// `zk_packets_received` of a `mntr` reply.
fn packets_in(mntr: &str) -> u64 {
    mntr.lines()
        .find_map(|line| {
            line.strip_prefix("zk_packets_received")?
                .trim()
                .parse()
                .ok()
        })
        .expect("zk_packets_received in mntr")
}

async fn connect(connect: &str) -> Session {
    wire::connect_over(connect, WireClient::ZookeeperClient).await
}

/// The mutex comparison again on a 3-server ensemble, every client on the same follower (as
/// two thirds of a production ensemble's clients are): a write is now a quorum round.
fn ensemble_uncontended(rt: &tokio::runtime::Runtime, rounds: usize, per_round: usize) {
    let ensemble = ZkEnsemble::start_durable(3).expect("ZooKeeper ensemble");
    let leader = ensemble
        .wait_for_leader(Duration::from_secs(30))
        .expect("a leader");
    let follower = (leader + 1) % ensemble.len();
    let connect = ensemble.server_addr(follower).to_string();
    println!("## Uncontended acquire + release on a 3-server ensemble (clients on one follower)\n");
    let contestants = floor_ours_curator(rt, &connect, per_round).into();
    let packets = || packets_in(&ensemble.four_letter(follower, "mntr").expect("mntr"));
    let outcomes = uncontended::compare(packets, contestants, rounds, per_round);
    print_outcomes(&outcomes);
    print_mutex_ratios(&outcomes);
}

/// The one-transaction floor, zk-sync's `DistMutex` and Curator's `InterProcessMutex` on
/// `connect`, in that order (what [`print_mutex_ratios`] expects).
fn floor_ours_curator<'a>(
    rt: &'a tokio::runtime::Runtime,
    connect: &str,
    per_round: usize,
) -> [Contestant<'a>; 3] {
    [
        Contestant::task(
            "floor, one write per cycle: `multi(delete, create)` alone (zookeeper-client)",
            rt,
            rt.block_on(one_transaction_floor(connect)),
        ),
        Contestant::task(
            "**zk-sync `DistMutex`**",
            rt,
            rt.block_on(zk_sync_mutex_cycle(connect)),
        ),
        curator_mutex(connect, "/bench/curator-uncontended", per_round),
    ]
}

/// Curator's `InterProcessMutex` on `path`, `per_round` uncontended cycles a round.
fn curator_mutex<'a>(connect: &str, path: &str, per_round: usize) -> Contestant<'a> {
    Contestant::peer(
        "Curator 5.4 `InterProcessMutex`",
        peers::Phased::start(peers::curator(&[
            "uncontended",
            connect,
            path,
            &per_round.to_string(),
        ])),
    )
}

/// The ratios of the outcomes of [`floor_ours_curator`]'s contestants.
fn print_mutex_ratios(outcomes: &[uncontended::Outcome]) {
    let [floor, ours, curator] = outcomes else {
        panic!("floor, zk-sync and Curator outcomes expected");
    };
    println!(
        "\nzk-sync / Curator time per cycle (median of the per-round ratios): {:.2}; floor / Curator: {:.2}\n",
        ours.ratio_to(curator),
        floor.ratio_to(curator)
    );
}

fn print_outcomes(outcomes: &[uncontended::Outcome]) {
    println!("| client | ms per cycle | fastest – slowest round | requests per cycle (server) |");
    println!("|---|---:|---:|---:|");
    for outcome in outcomes {
        println!(
            "| {} | {:.3} | {:.3} – {:.3} | {:.2} |",
            outcome.name,
            outcome.median(),
            outcome.min(),
            outcome.max(),
            outcome.requests
        );
    }
}

/// The classic recipe with every reply awaited: create (ephemeral sequential) pipelined with getChildren,
/// then delete, each reply awaited.
async fn classic_recipe(connect_string: &str) -> impl Fn() -> BoxFuture<'static, ()> + Clone {
    let session = connect(connect_string).await;
    let epoch = session.live_epoch().await.unwrap();
    let acl = session.default_acl();
    let dir = "/bench/raw";
    let _ = epoch
        .backend()
        .create("/bench", b"", NodeKind::Persistent, acl)
        .await;
    let _ = epoch
        .backend()
        .create(dir, b"", NodeKind::Persistent, acl)
        .await;
    let prefix: Arc<str> = format!("{dir}/_c_00000000-0000-0000-0000-000000000000-lock-").into();
    move || {
        let (session, epoch, prefix) = (session.clone(), epoch.clone(), prefix.clone());
        async move {
            let backend = epoch.backend();
            let acl = session.default_acl();
            let create = backend.create(&prefix, b"", NodeKind::EphemeralSequential, acl);
            let list = backend.get_children(dir);
            let (created, listed) = tokio::join!(create, list);
            listed.unwrap();
            backend.delete(&created.unwrap().path, None).await.unwrap();
        }
        .boxed()
    }
}

/// The floor of one write per cycle: the previous cycle's node deleted and the next one created
/// in one transaction, and nothing else (no listing, no czxid).
async fn one_transaction_floor(
    connect_string: &str,
) -> impl Fn() -> BoxFuture<'static, ()> + Clone {
    use zookeeper_client as zk;
    let client = zk::Client::connect(connect_string).await.expect("connect");
    let dir = "/bench/one-transaction";
    let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    let _ = client.create("/bench", b"", &persistent).await;
    let _ = client.create(dir, b"", &persistent).await;
    let previous = Arc::new(std::sync::Mutex::new(None::<String>));
    move || {
        let (client, previous) = (client.clone(), previous.clone());
        async move {
            let mode = zk::CreateMode::EphemeralSequential.with_acls(zk::Acls::anyone_all());
            let mut writer = client.new_multi_writer();
            if let Some(path) = previous.lock().unwrap().take() {
                writer.add_delete(&path, None).unwrap();
            }
            let prefix = format!("{dir}/_c_00000000-0000-0000-0000-000000000000-lock-");
            writer.add_create(&prefix, b"", &mode).unwrap();
            if let Some(zk::MultiWriteResult::Create { path, .. }) =
                writer.commit().await.unwrap().pop()
            {
                *previous.lock().unwrap() = Some(path);
            }
        }
        .boxed()
    }
}

async fn zk_sync_mutex_cycle(connect_string: &str) -> impl Fn() -> BoxFuture<'static, ()> + Clone {
    let session = connect(connect_string).await;
    zk_sync_mutex_cycle_on(session, "/bench/zk-sync-uncontended").await
}

/// One `DistMutex` lock + unlock on `path` through `session`.
async fn zk_sync_mutex_cycle_on(
    session: Session,
    path: &str,
) -> impl Fn() -> BoxFuture<'static, ()> + Clone {
    let mutex = Arc::new(DistMutex::new(session, path).unwrap());
    move || {
        let mutex = mutex.clone();
        async move { mutex.lock().await.unwrap().unlock().await.unwrap() }.boxed()
    }
}

async fn zk_sync_rwlock_cycle(
    connect_string: &str,
    write: bool,
) -> impl Fn() -> BoxFuture<'static, ()> + Clone {
    let session = connect(connect_string).await;
    let path = if write {
        "/bench/zk-sync-rwlock-write"
    } else {
        "/bench/zk-sync-rwlock-read"
    };
    let lock = Arc::new(DistRwLock::new(session, path).unwrap());
    move || {
        let lock = lock.clone();
        async move {
            if write {
                lock.write().await.unwrap().unlock().await.unwrap();
            } else {
                lock.read().await.unwrap().unlock().await.unwrap();
            }
        }
        .boxed()
    }
}

/// One contended process: `TASKS` tasks, each with its own `DistMutex` on one path (so they
/// are separate contenders), locking and unlocking until the deadline.
/// One process of the contended run: its hand-offs and the longest a `lock()` waited.
async fn contended_worker(
    session: Session,
    path: &str,
    seconds: f64,
    local: bool,
) -> (u64, Duration) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let mutex = DistMutex::builder(session.clone(), path)
            .local_handoff(local)
            .build()
            .unwrap();
        tasks.push(tokio::spawn(async move {
            let mut handoffs = 0u64;
            let mut longest = Duration::ZERO;
            while Instant::now() < deadline {
                let asked = Instant::now();
                let guard = mutex.lock().await.unwrap();
                longest = longest.max(asked.elapsed());
                handoffs += 1;
                guard.unlock().await.unwrap();
            }
            (handoffs, longest)
        }));
    }
    let mut total = (0, Duration::ZERO);
    for task in tasks {
        let (handoffs, longest) = task.await.unwrap();
        total = (total.0 + handoffs, total.1.max(longest));
    }
    total
}

/// Our contended run, with or without local hand-off: hand-offs per second, requests per
/// hand-off, and (into `longest_wait`) the longest wait in ms of any process.
fn run_timed(
    server: &ZkServer,
    connect: &str,
    seconds: usize,
    local: bool,
    longest_wait: &std::cell::Cell<f64>,
) -> (f64, f64) {
    let before = packets_received(server);
    let exe = std::env::current_exe().unwrap();
    let path = match local {
        true => "/bench/zk-sync-contended-local",
        false => "/bench/zk-sync-contended",
    };
    let workers: Vec<_> = (0..PROCESSES)
        .map(|_| {
            let mut command = std::process::Command::new(&exe);
            command.args(["--worker", connect, path, &seconds.to_string()]);
            if local {
                command.arg("local");
            }
            std::thread::spawn(move || {
                peers::run_to_end_all(command, &["handoffs", "longest_wait_ms"])
            })
        })
        .collect();
    let mut handoffs = 0.0;
    for worker in workers {
        let values = worker.join().unwrap();
        handoffs += values[0];
        longest_wait.set(longest_wait.get().max(values[1]));
    }
    let requests = (packets_received(server) - before) as f64 / handoffs;
    (handoffs / seconds as f64, requests)
}

fn contended_curator(connect: &str, seconds: usize) -> f64 {
    handoffs_of_processes(|| {
        peers::curator(&[
            "contended",
            connect,
            "/bench/curator-contended",
            &TASKS.to_string(),
            &seconds.to_string(),
        ])
    })
}

/// Runs `PROCESSES` copies of `command` at once; the sum of the `handoffs` they print.
fn handoffs_of_processes(command: impl Fn() -> std::process::Command) -> f64 {
    let workers: Vec<_> = (0..PROCESSES)
        .map(|_| {
            let command = command();
            std::thread::spawn(move || peers::run_to_end(command, "handoffs"))
        })
        .collect();
    workers.into_iter().map(|w| w.join().unwrap()).sum()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| {
            line.strip_prefix("VmRSS:")?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}

/// Memory per waiter, and hand-off latency along a queue of `waiters`: each waiter a node of
/// its own (strict FIFO), or all of them on the one node of a local hand-off mutex.
async fn many_waiters(connect_string: &str, waiters: usize, local: bool) {
    let session = connect(connect_string).await;
    let path = match local {
        false => "/bench/zk-sync-waiters",
        true => "/bench/zk-sync-local-waiters",
    };
    let mutex = DistMutex::builder(session.clone(), path)
        .local_handoff(local)
        .build()
        .unwrap();
    let mutex = Arc::new(mutex);
    println!(
        "{}: size of a `lock()` future: {} bytes",
        mode_label(local),
        std::mem::size_of_val(&mutex.lock())
    );
    let first = mutex.lock().await.unwrap();
    let before = rss_kib();
    let heap_before = counting_alloc::live_bytes();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..waiters {
        let (mutex, tx, started) = (mutex.clone(), tx.clone(), started.clone());
        tokio::spawn(async move {
            started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let guard = mutex.lock_owned().await.unwrap();
            tx.send(Instant::now()).unwrap();
            guard.unlock().await.unwrap();
        });
    }
    let epoch = session.live_epoch().await.unwrap();
    let queued = Instant::now();
    // Local waiters queue in memory; a strict waiter is queued once its node is listed.
    let expected_nodes = if local { 1 } else { waiters + 1 };
    while started.load(std::sync::atomic::Ordering::Relaxed) < waiters
        || epoch.backend().get_children(path).await.unwrap().len() < expected_nodes
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let queue_time = queued.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heap = (counting_alloc::live_bytes() - heap_before) as f64 / waiters as f64;
    let rss = (rss_kib().saturating_sub(before)) as f64 * 1024.0 / waiters as f64;
    println!("{}: client memory per waiter: {heap:.0} bytes of live heap ({rss:.0} bytes of RSS growth); all queued in {queue_time:.2?}", mode_label(local));
    let released = Instant::now();
    first.unlock().await.unwrap();
    let mut previous = released;
    let mut gaps = Vec::with_capacity(waiters);
    for _ in 0..waiters {
        let at = rx.recv().await.unwrap();
        gaps.push(at - previous);
        previous = at;
    }
    gaps.sort();
    let mean = released.elapsed() / waiters as u32;
    println!(
        "{}: hand-off latency along the queue: mean {mean:.2?}, median {:.2?}, p99 {:.2?}, max {:.2?}\n",
        mode_label(local),
        gaps[gaps.len() / 2],
        gaps[gaps.len() * 99 / 100],
        gaps[gaps.len() - 1]
    );
}

fn mode_label(local: bool) -> &'static str {
    match local {
        false => "strict FIFO (a node per waiter)",
        true => "local hand-off (one node)",
    }
}
