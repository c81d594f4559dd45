//! The zk-sync client process of a run (`zk-sync-torture worker …`): one [`Session`] shared by
//! several contender tasks, each looping acquire → read → sleep → write → release on the fenced
//! store, logging every step. The Curator and Go peers (`peers/`) take the same flags and log
//! the same events.
//!
//! Before each touch of the store a task checks its guard (`ensure_held()` and
//! `is_uncertain()`); the last check happens under the store's lock, right before the write.

use crate::client_kind::ClientKind;
use crate::events::EventLog;
use crate::rng::Rng;
use crate::store::FencedStore;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use zk_sync_core::test_util::WireClient;
use zk_sync_core::{Session, SessionState};
use zk_sync_election::LeaderElection;
use zk_sync_mutex::DistMutex;
use zk_sync_rwlock::DistRwLock;
use zk_sync_semaphore::DistSemaphore;

/// Which recipe a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `DistMutex` (Curator `InterProcessMutex`, go-zookeeper `zk.NewLock`).
    Mutex,
    /// `DistRwLock` readers and writers (Curator `InterProcessReadWriteLock`).
    Rwlock,
    /// `LeaderElection` terms (Curator `LeaderLatch`).
    Leader,
    /// `DistSemaphore` permits (Curator `InterProcessSemaphoreV2`); holders only read.
    Semaphore,
}

/// A deliberately broken client, for testing that the checker catches what it must.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Broken {
    /// A correct client.
    None,
    /// Takes no lock at all: every task touches the store whenever it likes.
    EveryoneIn,
    /// Holds the lock but never checks its guard before touching the store.
    IgnoreUncertain,
}

/// The flags of `zk-sync-torture worker`, shared with the Curator and Go peers.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// ZooKeeper connect string (through this client's fault proxies).
    #[arg(long)]
    pub connect: String,
    /// The lock or election path.
    #[arg(long)]
    pub path: String,
    /// The fenced store file.
    #[arg(long)]
    pub store: PathBuf,
    /// The event log to append to.
    #[arg(long)]
    pub log: PathBuf,
    /// The recipe.
    #[arg(long, value_enum)]
    pub mode: Mode,
    /// Contender tasks in this process.
    #[arg(long, default_value_t = 3)]
    pub tasks: usize,
    /// Session timeout to request, in milliseconds.
    #[arg(long, default_value_t = 4000)]
    pub session_timeout_ms: u64,
    /// Longest sleep between a hold's read and its write, in milliseconds.
    #[arg(long, default_value_t = 5)]
    pub sleep_ms: u64,
    /// rwlock: percent of holds that are writes.
    #[arg(long, default_value_t = 50)]
    pub writers_pct: u64,
    /// leader: work cycles per leadership term.
    #[arg(long, default_value_t = 3)]
    pub term_writes: u32,
    /// semaphore: the permits every participant uses.
    #[arg(long, default_value_t = 2)]
    pub permits: u32,
    /// Seed of this process's random choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Break the client on purpose (for the checker's own tests).
    #[arg(long, value_enum, default_value = "none")]
    pub broken: Broken,
    /// mutex and rwlock writers: the tasks share one node (local hand-off), handing it on
    /// at most this many times once another contender waits.
    #[arg(long)]
    pub local_handoff: Option<u32>,
    /// The wire client the session goes through.
    #[arg(long, value_parser = wire_client, default_value = "zookeeper-client")]
    pub wire_client: WireClient,
}

fn wire_client(name: &str) -> Result<WireClient, String> {
    WireClient::named(name).ok_or_else(|| "zookeeper-client or zookeeper-async".to_owned())
}

/// How long after standard input ends the process may take to finish its holds and exit.
const EXIT_GRACE: Duration = Duration::from_secs(20);

/// What the parent asks over standard input.
enum Command {
    Stop,
    Eof,
}

/// Runs the worker process; returns its exit code.
pub fn main(args: WorkerArgs) -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(args))
}

/// Everything a task needs.
struct Context {
    args: WorkerArgs,
    session: Session,
    log: EventLog,
    store: FencedStore,
    stopping: AtomicBool,
}

async fn run(args: WorkerArgs) -> i32 {
    let log = match EventLog::open(&args.log) {
        Ok(log) => log,
        Err(error) => {
            eprintln!("worker: cannot open log {}: {error}", args.log.display());
            return 2;
        }
    };
    let kind = match (args.local_handoff, args.wire_client) {
        (Some(_), _) => ClientKind::ZkSyncLocal,
        (None, WireClient::ZookeeperAsync) => ClientKind::ZkSyncAsync,
        (None, WireClient::ZookeeperClient) => ClientKind::ZkSync,
    };
    log.emit(
        None,
        "start",
        &[("kind", &kind.label()), ("pid", &std::process::id())],
    );
    let session = loop {
        let connected = Session::builder(&args.connect)
            .session_timeout(Duration::from_millis(args.session_timeout_ms))
            .connection_timeout(Duration::from_millis(args.session_timeout_ms))
            .connector(args.wire_client.connector())
            .connect()
            .await;
        match connected {
            Ok(session) => break session,
            Err(error) => {
                log.emit(None, "connect_error", &[("err", &error)]);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let context = Arc::new(Context {
        store: FencedStore::open(&args.store),
        args,
        session,
        log,
        stopping: AtomicBool::new(false),
    });
    tokio::spawn(log_session_states(context.clone()));
    let mut commands = read_commands();

    let tasks: Vec<_> = (0..context.args.tasks)
        .map(|task| tokio::spawn(contend(context.clone(), task)))
        .collect();
    println!("READY");
    let (idle_tx, mut idle_rx) = watch::channel(false);
    tokio::spawn(async move {
        for task in tasks {
            let _ = task.await;
        }
        let _ = idle_tx.send(true);
    });
    let mut eof = false;
    loop {
        tokio::select! {
            command = commands.recv() => match command.unwrap_or(Command::Eof) {
                Command::Stop => context.stopping.store(true, Ordering::Release),
                Command::Eof => {
                    context.stopping.store(true, Ordering::Release);
                    eof = true;
                }
            },
            _ = idle_rx.wait_for(|idle| *idle) => break,
        }
    }
    context.log.emit(None, "idle", &[]);
    while !eof {
        eof = matches!(commands.recv().await, None | Some(Command::Eof));
    }
    context.session.close().await;
    0
}

/// Standard input, line by line, on a thread of its own.
fn read_commands() -> mpsc::UnboundedReceiver<Command> {
    let (sender, receiver) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        loop {
            line.clear();
            let command = match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => Command::Eof,
                Ok(_) if line.trim() == "stop" => Command::Stop,
                Ok(_) => continue,
            };
            let eof = matches!(command, Command::Eof);
            if sender.send(command).is_err() || eof {
                // The parent is gone (or done): tasks stuck behind a dead cluster must not keep
                // this process alive.
                std::thread::sleep(EXIT_GRACE);
                std::process::exit(0);
            }
        }
    });
    receiver
}

async fn log_session_states(context: Arc<Context>) {
    let mut states = context.session.watch_status();
    loop {
        let status = *states.borrow_and_update();
        let session = format!("{:x}", status.session_id);
        match status.state {
            SessionState::Connected => {
                context
                    .log
                    .emit(None, "connected", &[("session", &session)])
            }
            SessionState::Suspended => context.log.emit(None, "uncertain", &[]),
            SessionState::Reconnected => context.log.emit(None, "reconnected", &[]),
            SessionState::Lost => context.log.emit(None, "lost", &[]),
            SessionState::Closed => return,
        }
        if states.changed().await.is_err() {
            return;
        }
    }
}

/// One contender: holds again and again until asked to stop.
async fn contend(context: Arc<Context>, task: usize) {
    let args = &context.args;
    let mut rng = Rng::new(args.seed ^ (task as u64).wrapping_mul(0x9e37_79b9));
    let path = args.path.as_str();
    let session = context.session.clone();
    let mutex = DistMutex::builder(session.clone(), path)
        .local_handoff(args.local_handoff.is_some())
        .max_local_handoffs(args.local_handoff.unwrap_or_default())
        .build()
        .expect("valid path");
    let rwlock = DistRwLock::builder(session, path)
        .local_handoff(args.local_handoff.is_some())
        .max_local_handoffs(args.local_handoff.unwrap_or_default())
        .build()
        .expect("valid path");
    let semaphore =
        DistSemaphore::new(context.session.clone(), path, args.permits.max(1)).expect("valid path");
    let election = LeaderElection::new(
        context.session.clone(),
        path,
        &format!("{}-{task}", std::process::id()),
    )
    .expect("valid path");
    while !context.stopping.load(Ordering::Acquire) {
        let writer = match args.mode {
            Mode::Rwlock => rng.percent(args.writers_pct),
            Mode::Semaphore => false,
            Mode::Mutex | Mode::Leader => true,
        };
        let kind = match args.mode {
            Mode::Mutex => "x",
            Mode::Rwlock if writer => "w",
            Mode::Rwlock => "r",
            Mode::Leader => "l",
            Mode::Semaphore => "s",
        };
        let log = &context.log;
        log.emit(Some(task), "acquire", &[("kind", &kind)]);
        if args.broken == Broken::EveryoneIn {
            acquired(&context, task, kind, (0, 0), "-", &|| true);
            touch(&context, task, &mut rng, 0, !writer, &|| true).await;
            log.emit(Some(task), "released", &[("ok", &true)]);
            continue;
        }
        // One hold of a lock guard: acquire, log, touch the store, unlock.
        macro_rules! hold_guard {
            ($acquire:expr, $reader:expr) => {
                match $acquire.await {
                    Ok(guard) => {
                        let fencing = guard.fencing_token();
                        let token = fencing.as_i64();
                        let held = || guard.ensure_held().is_ok() && !guard.is_uncertain();
                        let logged = (token, fencing.local_count());
                        if acquired(&context, task, kind, logged, guard.path(), &held) {
                            touch(&context, task, &mut rng, token, $reader, &held).await;
                        }
                        Some(guard.unlock().await.map_err(|e| e.to_string()))
                    }
                    Err(error) => failed(log, task, error.to_string()).await,
                }
            };
        }
        let released = match (args.mode, writer) {
            (Mode::Mutex, _) => hold_guard!(mutex.lock(), false),
            (Mode::Rwlock, true) => hold_guard!(rwlock.write(), false),
            (Mode::Rwlock, false) => hold_guard!(rwlock.read(), true),
            (Mode::Semaphore, _) => match semaphore.acquire().await {
                Ok(permit) => {
                    let fencing = permit.fencing_token();
                    let held = || permit.ensure_held().is_ok() && !permit.is_uncertain();
                    let node = permit.lease_paths().next().unwrap_or("-").to_owned();
                    let logged = (fencing.as_i64(), 0);
                    if acquired(&context, task, kind, logged, &node, &held) {
                        touch(&context, task, &mut rng, logged.0, true, &held).await;
                    }
                    Some(permit.release().await.map_err(|e| e.to_string()))
                }
                Err(error) => failed(log, task, error.to_string()).await,
            },
            (Mode::Leader, _) => match election.campaign().await {
                Ok(leadership) => {
                    let token = leadership.fencing_token().as_i64();
                    let held = || leadership.ensure_held().is_ok() && !leadership.is_uncertain();
                    let path = leadership.path();
                    let leading = acquired(&context, task, kind, (token, 0), path, &held);
                    let term = leadership.run_while_leader(async {
                        if !leading {
                            return;
                        }
                        for _ in 0..args.term_writes {
                            if !touch(&context, task, &mut rng, token, false, &held).await {
                                break;
                            }
                        }
                    });
                    if term.await.is_err() {
                        log.emit(Some(task), "skip", &[("reason", &"told")]);
                    }
                    Some(leadership.resign().await.map_err(|e| e.to_string()))
                }
                Err(error) => failed(log, task, error.to_string()).await,
            },
        };
        match released {
            Some(Ok(())) => log.emit(Some(task), "released", &[("ok", &true)]),
            Some(Err(error)) => {
                log.emit(Some(task), "released", &[("ok", &false), ("err", &error)])
            }
            None => {}
        }
    }
    context.log.emit(Some(task), "idle", &[]);
}

/// Logs an acquisition, if the hold is still certain now: a grant whose reply was read only
/// after a pause may already be lost, and is logged as given up instead. `token` is the
/// fencing token's `czxid` and local count (see [`zk_sync_core::FencingToken`]). Returns
/// whether to go on with the hold.
fn acquired(
    context: &Context,
    task: usize,
    kind: &str,
    (token, local): (i64, u64),
    node: &str,
    held: &(dyn Fn() -> bool + Sync),
) -> bool {
    if context.args.broken == Broken::None && !held() {
        context.log.emit(Some(task), "skip", &[("reason", &"told")]);
        return false;
    }
    context.log.emit(
        Some(task),
        "acquired",
        &[
            ("token", &token),
            ("local", &local),
            ("node", &node),
            ("kind", &kind),
        ],
    );
    true
}

async fn failed(log: &EventLog, task: usize, error: String) -> Option<Result<(), String>> {
    log.emit(Some(task), "acquire_error", &[("err", &error)]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    None
}

/// One read-sleep-write cycle on the store. `held` is the guard's check (ignored by a
/// [`Broken::IgnoreUncertain`] client). Returns whether the hold may go on.
async fn touch(
    context: &Context,
    task: usize,
    rng: &mut Rng,
    token: i64,
    reader: bool,
    held: &(dyn Fn() -> bool + Sync),
) -> bool {
    let log = &context.log;
    let ignore = context.args.broken != Broken::None;
    let check = || ignore || held();
    let (value, at) = match context.store.read_if(check) {
        Ok(Some(read)) => read,
        Ok(None) => {
            log.emit(Some(task), "skip", &[("reason", &"told")]);
            return false;
        }
        Err(error) => panic!("fenced store: {error}"),
    };
    log.emit(Some(task), "read", &[("value", &value), ("at", &at)]);
    let pause = rng.between(1, context.args.sleep_ms.max(1));
    tokio::time::sleep(Duration::from_millis(pause)).await;
    if reader {
        return true;
    }
    match context.store.write_if(token, value + 1, check) {
        Ok(Some((result, found, at))) => {
            log.emit(
                Some(task),
                "write",
                &[
                    ("token", &token),
                    ("read", &value),
                    ("cur", &found),
                    ("result", &result.as_str()),
                    ("at", &at),
                ],
            );
            true
        }
        Ok(None) => {
            log.emit(Some(task), "skip", &[("reason", &"told")]);
            false
        }
        Err(error) => panic!("fenced store: {error}"),
    }
}
