//! Long lock queues: `length` waiters on one path, half in each of two processes, queued behind
//! a first holder that the bench then releases, so the lock is handed along the whole queue.
//!
//! The workers timestamp each acquisition on the wall clock (microseconds), so the parent can
//! merge the two processes' acquisitions into one sequence and take the gaps between them. It
//! reads what the workers received from `ss` and what the server received from `mntr`, around
//! the hand-off phase only. Every wait has a deadline: a client that cannot queue or hand off a
//! length in time gets a missed row, and its workers are killed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zk_sync_mutex::{DistMutex, OwnedDistMutexGuard, Session};
use zk_sync_testkit::ZkServer;

use crate::counting_alloc;

/// How many processes each queue is spread over.
const PROCESSES: usize = 2;
/// Bound on a worker's start (a JVM, a session) and on the first holder's lock.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Session timeout of the bench's own session, which takes the first hold and watches the queue.
const FIRST_HOLDER_SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound on a worker's exit once it is done.
const FINISH_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the parent looks at the queue's length.
const POLL: Duration = Duration::from_millis(50);
/// The workers are at rest once, over a [`QUIET_SPELL`], they receive less than this...
const QUIET_BYTES: u64 = 4096;
/// ...and use less than this much CPU, in clock ticks (USER_HZ, 100 per second on Linux).
const QUIET_TICKS: u64 = 5;
const QUIET_SPELL: Duration = Duration::from_millis(500);

/// The clients compared.
#[derive(Debug, Clone, Copy)]
enum Client {
    ZkSync,
    Curator,
}

impl Client {
    const ALL: [Client; 2] = [Client::ZkSync, Client::Curator];

    fn name(self) -> &'static str {
        match self {
            Client::ZkSync => "**zk-sync `DistMutex`**",
            Client::Curator => "Curator 5.4 `InterProcessMutex`",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Client::ZkSync => "zk-sync",
            Client::Curator => "curator",
        }
    }

    /// One worker process queueing `count` waiters on `path`.
    fn worker(self, connect: &str, path: &str, count: usize) -> Command {
        let count = count.to_string();
        match self {
            Client::ZkSync => {
                let mut command = Command::new(std::env::current_exe().expect("bench binary"));
                command.args(["--queue-worker", connect, path, &count]);
                command
            }
            Client::Curator => crate::peers::curator_queue(&[connect, path, &count]),
        }
    }

    /// Only our workers count their heap exactly (a JVM's heap says little per waiter).
    fn reports_memory(self) -> bool {
        matches!(self, Client::ZkSync)
    }
}

/// What one client measured on one queue.
struct Measurement {
    queue_time: Duration,
    /// From all queued until the workers were at rest; `None` when they were not in time.
    settle_time: Option<Duration>,
    /// Gaps between consecutive acquisitions, µs, sorted.
    gaps: Vec<u64>,
    /// From the release of the first holder to the last acquisition, µs.
    handoff_time: u64,
    bytes_per_handoff: f64,
    requests_per_handoff: f64,
    memory: Option<MemoryPerWaiter>,
}

/// Client memory per queued waiter, bytes.
struct MemoryPerWaiter {
    heap: f64,
    rss: f64,
}

/// Runs the section: each length, each client, on `server`; `timeout` bounds each phase.
pub(crate) fn run(
    server: &ZkServer,
    rt: &tokio::runtime::Runtime,
    lengths: &[usize],
    timeout: Duration,
) {
    println!("## Long lock queues: waiters on one path over {PROCESSES} processes, handed the lock along the queue\n");
    println!("Queueing is timed from the go to both processes until the lock directory holds every waiter plus a first holder; the hand-offs start when the bench releases that holder, once the client processes are at rest (neither receiving nor computing). Gaps between consecutive acquisitions (wall-clock timestamps of both processes merged); TCP bytes the client processes received (`ss`) and requests the server received (`mntr`) during the hand-offs, per hand-off. Memory per waiter is zk-sync's only (counting allocator; RSS growth in brackets). Each phase may take {} s.\n", timeout.as_secs());
    println!("| waiters | client | all queued (ms) | at rest after (ms) | hand-off p50 (ms) | p99 (ms) | max (ms) | all handed off (ms) | bytes received per hand-off | requests per hand-off (server) | heap (RSS growth) per waiter, bytes |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for &length in lengths {
        let [ours, curator] = Client::ALL.map(|client| {
            let measured = measure(server, rt, client, length, timeout);
            print_row(length, client, &measured);
            measured
        });
        if let (Ok(ours), Ok(curator)) = (ours, curator) {
            ratios.push(format!(
                "{length}: queueing {:.2}, p50 hand-off {:.2}",
                ours.queue_time.as_secs_f64() / curator.queue_time.as_secs_f64(),
                median(&ours.gaps) as f64 / median(&curator.gaps) as f64
            ));
        }
    }
    if !ratios.is_empty() {
        println!("\nzk-sync / Curator, {}\n", ratios.join("; "));
    }
}

fn print_row(length: usize, client: Client, measured: &Result<Measurement, String>) {
    let name = client.name();
    let m = match measured {
        Ok(m) => m,
        Err(why) => {
            println!("| {length} | {name} | missed: {why} | – | – | – | – | – | – | – | – |");
            return;
        }
    };
    let ms = |micros: u64| micros as f64 / 1000.0;
    let gaps = &m.gaps;
    let memory = m.memory.as_ref().map_or("–".to_owned(), |memory| {
        format!("{:.0} ({:.0})", memory.heap, memory.rss)
    });
    let settled = m.settle_time.map_or("not in time".to_owned(), |settled| {
        format!("{:.0}", settled.as_secs_f64() * 1000.0)
    });
    println!(
        "| {length} | {name} | {:.1} | {settled} | {:.3} | {:.3} | {:.3} | {:.0} | {:.0} | {:.2} | {memory} |",
        m.queue_time.as_secs_f64() * 1000.0,
        ms(median(gaps)),
        ms(gaps[gaps.len() * 99 / 100]),
        ms(gaps[gaps.len() - 1]),
        ms(m.handoff_time),
        m.bytes_per_handoff,
        m.requests_per_handoff,
    );
}

fn median(sorted: &[u64]) -> u64 {
    sorted[sorted.len() / 2]
}

/// One client on one queue of `length`, on a path of its own.
fn measure(
    server: &ZkServer,
    rt: &tokio::runtime::Runtime,
    client: Client,
    length: usize,
    timeout: Duration,
) -> Result<Measurement, String> {
    assert!(
        length >= PROCESSES,
        "a queue of {length} cannot be spread over {PROCESSES} processes"
    );
    let connect = server.connect_string();
    let path = format!("/bench/queue/{}-{length}", client.slug());
    // The timers are made inside the runtime, which they need.
    let (session, first) = rt
        .block_on(async {
            tokio::time::timeout(START_TIMEOUT, first_holder(&connect, &path)).await
        })
        .map_err(|_| "the first holder did not get the lock".to_owned())?;
    let measured = queue_behind(server, rt, client, &path, length, timeout, &session, first);
    rt.block_on(session.close());
    measured
}

async fn first_holder(connect: &str, path: &str) -> (Session, OwnedDistMutexGuard) {
    // The server's longest: this session idles while a long queue saturates the server, whose
    // throttled reads can leave its pings unread for more than 10 s.
    let session = Session::builder(connect)
        .session_timeout(FIRST_HOLDER_SESSION_TIMEOUT)
        .connect()
        .await
        .expect("connect");
    let mutex = Arc::new(DistMutex::new(session.clone(), path).expect("lock path"));
    let first = mutex.lock_owned().await.expect("the first hold");
    (session, first)
}

/// Queues `length` waiters of `client` behind `first`, releases it and measures the hand-offs.
#[allow(clippy::too_many_arguments)]
fn queue_behind(
    server: &ZkServer,
    rt: &tokio::runtime::Runtime,
    client: Client,
    path: &str,
    length: usize,
    timeout: Duration,
    session: &Session,
    first: OwnedDistMutexGuard,
) -> Result<Measurement, String> {
    let counts = [length - length / 2, length / 2];
    let connect = server.connect_string();
    let mut workers = counts
        .iter()
        .map(|&count| Worker::start(client.worker(&connect, path, count)))
        .collect::<Result<Vec<_>, _>>()?;
    for worker in &workers {
        worker.reply("READY", Instant::now() + START_TIMEOUT)?;
    }

    let started = Instant::now();
    for worker in &mut workers {
        worker.send("GO")?;
    }
    wait_for_children(rt, session, path, length + 1, timeout, &mut workers)?;
    let queue_time = started.elapsed();
    // Every node can be there while waiters are still digesting their listings (Curator's
    // threads, seconds long at 10,000): the hand-offs start from a queue at rest.
    let settle_time = settle(server.addr().port(), &workers, Instant::now() + timeout)?;
    let memory = if client.reports_memory() {
        Some(memory_per_waiter(&mut workers, length)?)
    } else {
        None
    };

    let received_before = received(server.addr().port(), &workers)?;
    let packets_before = crate::packets_received(server);
    let released_at = micros_now();
    rt.block_on(first.unlock())
        .map_err(|e| format!("release of the first holder: {e}"))?;
    let deadline = Instant::now() + timeout;
    let mut acquired = Vec::with_capacity(length);
    for (worker, &count) in workers.iter().zip(&counts) {
        acquired.extend(worker.acquisitions(count, deadline, timeout)?);
    }
    // Saturating: a reconnection starts a new socket at 0.
    let bytes = received(server.addr().port(), &workers)?.saturating_sub(received_before);
    let requests = crate::packets_received(server) - packets_before;
    for worker in workers {
        worker.finish();
    }

    acquired.sort_unstable();
    let handoff_time = acquired[acquired.len() - 1].saturating_sub(released_at);
    Ok(Measurement {
        queue_time,
        settle_time,
        gaps: gaps(released_at, &acquired),
        handoff_time,
        bytes_per_handoff: bytes as f64 / length as f64,
        requests_per_handoff: requests as f64 / length as f64,
        memory,
    })
}

/// The sorted gaps between consecutive acquisitions (`acquired` sorted), the first one from
/// `released_at`.
fn gaps(released_at: u64, acquired: &[u64]) -> Vec<u64> {
    let mut previous = released_at;
    let mut gaps: Vec<u64> = acquired
        .iter()
        .map(|&at| {
            let gap = at.saturating_sub(previous);
            previous = at;
            gap
        })
        .collect();
    gaps.sort_unstable();
    gaps
}

/// Waits until `path` has `children` children (read from its stat, so polling costs the
/// server no listing of a long queue), failing early when a worker dies.
fn wait_for_children(
    rt: &tokio::runtime::Runtime,
    session: &Session,
    path: &str,
    children: usize,
    timeout: Duration,
    workers: &mut [Worker],
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut count = 0;
    let not_in_time = |count: usize| {
        format!(
            "not all queued in {} s ({} of {})",
            timeout.as_secs(),
            count.saturating_sub(1),
            children - 1
        )
    };
    loop {
        // The timer is made inside the runtime, which it needs.
        let reply = rt.block_on(async {
            tokio::time::timeout_at(deadline.into(), children_of(session, path)).await
        });
        match reply {
            Ok(children) => count = children?,
            Err(_) => return Err(not_in_time(count)),
        }
        if count >= children {
            return Ok(());
        }
        for worker in workers.iter_mut() {
            worker.ensure_running()?;
        }
        if Instant::now() >= deadline {
            return Err(not_in_time(count));
        }
        std::thread::sleep(POLL);
    }
}

async fn children_of(session: &Session, path: &str) -> Result<usize, String> {
    let epoch = session.live_epoch().await.map_err(|e| e.to_string())?;
    let (_, stat) = epoch
        .data(path)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{path} vanished"))?;
    Ok(stat.num_children as usize)
}

/// Waits until the workers are at rest (neither receiving nor computing), and returns how long
/// that took, or `None` when they were still busy at `deadline`.
fn settle(
    server_port: u16,
    workers: &[Worker],
    deadline: Instant,
) -> Result<Option<Duration>, String> {
    let started = Instant::now();
    let mut before = (received(server_port, workers)?, cpu_ticks(workers)?);
    while Instant::now() < deadline {
        std::thread::sleep(QUIET_SPELL);
        let now = (received(server_port, workers)?, cpu_ticks(workers)?);
        if now.0.saturating_sub(before.0) < QUIET_BYTES && now.1 - before.1 < QUIET_TICKS {
            return Ok(Some(started.elapsed()));
        }
        before = now;
    }
    Ok(None)
}

/// CPU time the workers have used so far, in clock ticks.
fn cpu_ticks(workers: &[Worker]) -> Result<u64, String> {
    workers.iter().map(Worker::cpu_ticks).sum()
}

/// Asks each worker for the memory its waiters hold now, and divides by the waiters.
fn memory_per_waiter(workers: &mut [Worker], length: usize) -> Result<MemoryPerWaiter, String> {
    let (mut heap, mut rss) = (0i64, 0i64);
    for worker in workers.iter_mut() {
        worker.send("MEMORY")?;
        let reply = worker.reply("memory", Instant::now() + START_TIMEOUT)?;
        let mut figures = reply.split_whitespace().map(str::parse::<i64>);
        match (figures.next(), figures.next()) {
            (Some(Ok(h)), Some(Ok(r))) => {
                heap += h;
                rss += r;
            }
            _ => return Err(format!("bad memory line: {reply}")),
        }
    }
    Ok(MemoryPerWaiter {
        heap: heap as f64 / length as f64,
        rss: rss as f64 / length as f64,
    })
}

/// TCP payload bytes the workers have received from the server so far: the `bytes_received` of
/// their connections to `server_port`, as `ss` reports them. (`rchar` of `/proc/<pid>/io` would
/// not do: it counts `read()`s, files included, and Rust's sockets `recv()`, which it misses.)
fn received(server_port: u16, workers: &[Worker]) -> Result<u64, String> {
    let output = Command::new("ss")
        .args(["-tinpH", "dport", "=", &format!(":{server_port}")])
        .output()
        .map_err(|e| format!("ss (iproute2): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "ss: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let owners: Vec<String> = workers
        .iter()
        .map(|worker| format!("pid={},", worker.child.id()))
        .collect();
    // Each socket is a line with its owner, then an indented line with its TCP info.
    let mut total = 0;
    let mut ours = false;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if !line.starts_with(char::is_whitespace) {
            ours = owners.iter().any(|owner| line.contains(owner.as_str()));
        } else if ours {
            total += line
                .split_whitespace()
                .find_map(|field| field.strip_prefix("bytes_received:")?.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Ok(total)
}

/// Microseconds since the Unix epoch (CLOCK_REALTIME, comparable across processes).
fn micros_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros() as u64
}

/// A worker process speaking the line protocol: it prints `READY`, queues on `GO`, answers
/// `MEMORY` (ours only), prints `acquired <µs>...` when its waiters are done, and exits at end
/// of input. Dropping it kills the process.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    fn start(mut command: Command) -> Result<Worker, String> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("worker did not start: {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines_in, lines) = mpsc::channel();
        // A reader thread, so the parent can wait for a line with a deadline.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_in.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Worker {
            stdin: child.stdin.take(),
            child,
            lines,
        })
    }

    fn send(&mut self, command: &str) -> Result<(), String> {
        let stdin = self.stdin.as_mut().expect("stdin is open until finish");
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("worker gone before {command}: {e}"))
    }

    /// The rest of the next line that starts with `key` (other lines are skipped).
    fn reply(&self, key: &str, deadline: Instant) -> Result<String, String> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(key) {
                        return Ok(rest.trim().to_owned());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("no `{key}` line in time"))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("a worker ended before its `{key}` line"))
                }
            }
        }
    }

    /// The acquisition timestamps of the worker's `count` waiters.
    fn acquisitions(
        &self,
        count: usize,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Vec<u64>, String> {
        let line = self.reply("acquired", deadline).map_err(|why| {
            if Instant::now() >= deadline {
                format!("hand-offs not done in {} s", timeout.as_secs())
            } else {
                why
            }
        })?;
        let acquired = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<Vec<u64>, _>>()
            .map_err(|e| format!("bad acquired line: {e}"))?;
        if acquired.len() != count {
            return Err(format!(
                "{} of {count} waiters of a worker acquired",
                acquired.len()
            ));
        }
        Ok(acquired)
    }

    fn ensure_running(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(format!("a worker exited ({status})")),
            _ => Ok(()),
        }
    }

    /// `utime + stime` of `/proc/<pid>/stat`, all threads together.
    fn cpu_ticks(&self) -> Result<u64, String> {
        let pid = self.child.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
        // The fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
        let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        match (tick(11), tick(12)) {
            (Some(user), Some(system)) => Ok(user + system),
            _ => Err(format!("/proc/{pid}/stat: no utime and stime")),
        }
    }

    /// Ends a worker that is done: end of input lets it close its session.
    fn finish(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + FINISH_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `--queue-worker` process: `count` waiters on `path` in one session, each a task that
/// takes the lock, records when, and releases at once.
pub(crate) fn worker(connect: &str, path: &str, count: usize) {
    let rt = crate::runtime();
    let session = rt.block_on(crate::connect(connect));
    let mutex = Arc::new(DistMutex::new(session.clone(), path).expect("lock path"));
    let mut commands = std::io::stdin().lines().map_while(Result::ok);
    println!("READY");
    expect_command(&mut commands, "GO");
    let heap_before = counting_alloc::live_bytes();
    let rss_before = crate::rss_kib();
    let (acquired_in, mut acquired) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..count {
        rt.spawn(wait_in_queue(mutex.clone(), acquired_in.clone()));
    }
    // A waiter that fails drops its sender: the count printed then falls short.
    drop(acquired_in);
    expect_command(&mut commands, "MEMORY");
    println!(
        "memory {} {}",
        counting_alloc::live_bytes() - heap_before,
        (crate::rss_kib() as i64 - rss_before as i64) * 1024
    );
    let times = rt.block_on(async {
        let mut times = Vec::with_capacity(count);
        while let Some(at) = acquired.recv().await {
            times.push(at.to_string());
        }
        times
    });
    println!("acquired {}", times.join(" "));
    commands.for_each(drop);
    rt.block_on(session.close());
}

async fn wait_in_queue(mutex: Arc<DistMutex>, acquired: tokio::sync::mpsc::UnboundedSender<u64>) {
    let guard = mutex.lock_owned().await.expect("lock");
    let _ = acquired.send(micros_now());
    guard.unlock().await.expect("unlock");
}

fn expect_command(commands: &mut impl Iterator<Item = String>, expected: &str) {
    match commands.next() {
        Some(command) if command == expected => {}
        other => panic!("expected {expected} from the bench, got {other:?}"),
    }
}
