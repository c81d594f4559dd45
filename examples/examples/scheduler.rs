//! Scheduler: a periodic job that runs on exactly one node, the leader of a `LeaderElection`.
//! Kill the leader and another copy takes over; a leader that loses its connection to
//! ZooKeeper stops the job before anyone else can start it.
//!
//! Run three copies against one ZooKeeper (each would be a separate machine in production):
//!
//! ```text
//! cargo run -p examples --example scheduler -- --connect 127.0.0.1:2181 --id node-1
//! cargo run -p examples --example scheduler -- --connect 127.0.0.1:2181 --id node-2
//! cargo run -p examples --example scheduler -- --connect 127.0.0.1:2181 --id node-3
//! ```
//!
//! One of them prints a tick every second. Press Ctrl-C in it: it resigns and the next copy
//! ticks at once. `kill -9` it instead: the next copy takes over when the dead copy's session
//! expires (3 s). `ZK_SYNC_CONNECT=host:port` works in place of `--connect`.
//!
//! Without a connect string it runs that whole story by itself: it starts a local ZooKeeper
//! (like the quick start), three copies of itself as child processes, kills the leader after a
//! few ticks, and reports how long the hand-over took.
//!
//! ```text
//! cargo run -p examples --example scheduler
//! ```

use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use zk_sync_election::{FencingToken, LeaderElection, Session};

const ELECTION_PATH: &str = "/zk-sync/examples/scheduler";
const PERIOD: Duration = Duration::from_secs(1);
const SESSION_TIMEOUT: Duration = Duration::from_secs(3);
const COPIES: usize = 3;
const USAGE: &str = "usage: scheduler [--connect HOST:PORT[,HOST:PORT...]] [--id NAME]
  with a connect string (or ZK_SYNC_CONNECT): run one scheduler copy named NAME
  without one: start a local ZooKeeper and run a three-copy hand-over demo";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let mut connect = std::env::var("ZK_SYNC_CONNECT").ok();
    let mut id = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--connect" => connect = Some(args.next().ok_or(USAGE)?),
            "--id" => id = Some(args.next().ok_or(USAGE)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument {arg:?}\n{USAGE}").into()),
        }
    }
    match (connect, id) {
        (Some(connect), id) => {
            let id = id.unwrap_or_else(|| format!("scheduler-{}", std::process::id()));
            run_copy(&connect, &id).await
        }
        (None, None) => demo().await,
        (None, Some(_)) => Err(format!("--id needs --connect or ZK_SYNC_CONNECT\n{USAGE}").into()),
    }
}

/// One scheduler copy: runs the job whenever it leads, until Ctrl-C.
async fn run_copy(connect: &str, id: &str) -> Result<()> {
    let session = Session::builder(connect)
        .session_timeout(SESSION_TIMEOUT)
        .connect()
        .await?;
    let election = LeaderElection::new(session.clone(), ELECTION_PATH, id)?;
    println!("[{id}] joined the election at {ELECTION_PATH}");
    report_leader_changes(&election);

    // The job runs only while this copy leads, and is stopped (dropped) the moment the
    // leadership becomes uncertain; `run_as_leader` restarts it after a reconnection within the
    // session, or campaigns again after a loss.
    let scheduler = election.run_as_leader(|token| periodic_job(id.to_owned(), token));
    tokio::select! {
        result = scheduler => result?,
        _ = tokio::signal::ctrl_c() => println!("[{id}] shutting down"),
    }
    // Closing the session removes our node at once, so a successor need not wait for the
    // session to expire.
    session.close().await;
    Ok(())
}

/// Prints every change of leader, as any node (leading or not) sees it.
fn report_leader_changes(election: &LeaderElection) {
    let mut leader = election.observe();
    let id = election.participant_id().to_owned();
    tokio::spawn(async move {
        while leader.changed().await.is_ok() {
            let now = match leader.borrow_and_update().as_ref() {
                Some(info) => info.participant_id().to_owned(),
                None => "nobody".to_owned(),
            };
            println!("[{id}] the leader is now {now}");
        }
    });
}

/// The work only the leader may do. `token` grows with every new leadership: pass it to
/// whatever the job writes to, so that a deposed leader's late writes can be refused.
async fn periodic_job(id: String, token: FencingToken) {
    let _stopped = JobStopped(id.clone());
    println!("[{id}] leading (fencing token {token}): job started");
    let mut interval = tokio::time::interval(PERIOD);
    for tick in 1.. {
        interval.tick().await;
        println!("[{id}] tick {tick}: running the periodic job as leader {token}");
    }
}

/// Says so when the job is stopped (its future dropped).
struct JobStopped(String);

impl Drop for JobStopped {
    fn drop(&mut self) {
        println!("[{}] job stopped", self.0);
    }
}

/// The self-contained demo: a local ZooKeeper, three copies, the leader killed.
async fn demo() -> Result<()> {
    let server = zk_sync_testkit::ZkServer::start()?;
    let connect = server.connect_string();
    println!("started a local ZooKeeper on {connect}");
    let (lines_tx, mut lines) = mpsc::unbounded_channel();
    let mut copies = Vec::new();
    for i in 1..=COPIES {
        copies.push(spawn_copy(
            &connect,
            &format!("node-{i}"),
            lines_tx.clone(),
        )?);
    }

    // Wait for a leader, let it tick a few times, then kill it without warning.
    let first = wait_for_leader(&mut lines, Duration::from_secs(30)).await?;
    println!("demo: {first} leads; killing it after three ticks");
    while let Some(line) = next_line(&mut lines, Duration::from_secs(10)).await? {
        if line.starts_with(&format!("[{first}] tick 3:")) {
            break;
        }
    }
    let victim = index_of(&first)?;
    copies[victim].kill().await?;
    let killed_at = Instant::now();
    println!("demo: killed {first} (SIGKILL, no chance to resign)");

    let next = wait_for_leader(&mut lines, SESSION_TIMEOUT + Duration::from_secs(10)).await?;
    println!(
        "demo: {next} took over {:.1?} after the kill (session timeout {SESSION_TIMEOUT:?})",
        killed_at.elapsed()
    );
    while let Some(line) = next_line(&mut lines, Duration::from_secs(10)).await? {
        if line.starts_with(&format!("[{next}] tick 2:")) {
            break;
        }
    }
    for (i, copy) in copies.iter_mut().enumerate() {
        if i != victim {
            copy.kill().await?;
        }
    }
    println!("demo: done");
    Ok(())
}

fn spawn_copy(connect: &str, id: &str, lines: mpsc::UnboundedSender<String>) -> Result<Child> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--connect", connect, "--id", id])
        .env_remove("ZK_SYNC_CONNECT")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = stdout.next_line().await {
            println!("{line}");
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    Ok(child)
}

/// The next line any copy prints; `None` when every copy has exited.
async fn next_line(
    lines: &mut mpsc::UnboundedReceiver<String>,
    limit: Duration,
) -> Result<Option<String>> {
    tokio::time::timeout(limit, lines.recv())
        .await
        .map_err(|_| format!("no output from the copies for {limit:?}").into())
}

/// Waits for a copy to say it leads; returns its id.
async fn wait_for_leader(
    lines: &mut mpsc::UnboundedReceiver<String>,
    limit: Duration,
) -> Result<String> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = next_line(lines, left).await?.ok_or("every copy exited")?;
        if let Some((id, _)) = line
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("] leading"))
        {
            return Ok(id.to_owned());
        }
    }
}

fn index_of(id: &str) -> Result<usize> {
    let n: usize = id.trim_start_matches("node-").parse()?;
    Ok(n - 1)
}
