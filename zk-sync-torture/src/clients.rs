//! The client processes of a run, each behind fault proxies of its own.

use crate::client_kind::ClientKind;
use crate::events::Event;
use crate::worker::{Broken, Mode};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use zk_sync_testkit::{FaultProxy, TestkitError, ZkEnsemble};

const CURATOR_SOURCE: &str = include_str!("../peers/TortureCurator.java");
const GO_SOURCE: &str = include_str!("../peers/torture_gozk.go");

/// How many local holds a local hand-off client's node may carry once another contender
/// waits: small, so that its node changes hands often in a run.
const LOCAL_HANDOFFS: u32 = 8;

/// How much of the end of a client's log its current state is read from.
const TAIL_BYTES: u64 = 8192;

/// How long a client may take to connect and start its tasks.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// One fault proxy per server, so that a client's whole path to the ensemble can be cut.
#[derive(Debug)]
pub struct ClientLink {
    proxies: Vec<FaultProxy>,
}

impl ClientLink {
    /// Proxies in front of every server of `ensemble`.
    pub fn new(ensemble: &ZkEnsemble) -> std::io::Result<ClientLink> {
        let proxies = (0..ensemble.len())
            .map(|i| FaultProxy::start(ensemble.server_addr(i)))
            .collect::<std::io::Result<_>>()?;
        Ok(ClientLink { proxies })
    }

    /// The connect string through the proxies.
    pub fn connect_string(&self) -> String {
        let addrs: Vec<String> = self.proxies.iter().map(|p| p.connect_string()).collect();
        addrs.join(",")
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.proxies.iter().for_each(FaultProxy::cut);
    }

    /// Forwards nothing, keeping connections open.
    pub fn blackhole(&self) {
        self.proxies.iter().for_each(FaultProxy::blackhole);
    }

    /// Forwards again.
    pub fn restore(&self) {
        self.proxies.iter().for_each(FaultProxy::restore);
    }

    /// Expires, in the background, every session whose handshake went through this link
    /// (those already gone are passed over at once), with `servers` the ensemble's own
    /// connect string: whatever the client, its proxies saw the session's id and password.
    pub fn expire_sessions(&self, servers: &str) {
        let sessions: Vec<_> = self.proxies.iter().flat_map(FaultProxy::sessions).collect();
        let servers = servers.to_owned();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            for session in sessions {
                let expired = runtime.block_on(zk_sync_testkit::expire_session_with_password(
                    &servers,
                    session.id,
                    &session.password,
                ));
                if let Err(error) = expired {
                    eprintln!("torture: expiring session {:#x}: {error}", session.id);
                }
            }
        });
    }
}

/// What every client of a run shares.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The `zk-sync-torture` binary (run as `worker`).
    pub worker_exe: PathBuf,
    /// The servers' own connect string (for session expiry).
    pub servers: String,
    /// The path contended for.
    pub path: String,
    /// The fenced store.
    pub store: PathBuf,
    /// Where logs go.
    pub dir: PathBuf,
    /// The recipe.
    pub mode: Mode,
    /// Session timeout, milliseconds.
    pub session_timeout_ms: u64,
    /// Longest sleep inside a hold, milliseconds.
    pub sleep_ms: u64,
    /// rwlock: percent of writes.
    pub writers_pct: u64,
    /// election: work cycles per term.
    pub term_writes: u32,
    /// semaphore: the permits.
    pub permits: u32,
    /// How zk-sync clients are broken, if at all.
    pub broken: Broken,
}

/// A running client process.
#[derive(Debug)]
pub struct ClientProcess {
    /// Its name in the run (`zk-sync-1`, …).
    pub id: String,
    /// Its library.
    pub kind: ClientKind,
    /// Its path to the servers.
    pub link: ClientLink,
    /// Its event log.
    pub log: PathBuf,
    /// Whether the fault injector killed it.
    pub killed: bool,
    child: Child,
    stdin: Option<ChildStdin>,
}

impl ClientProcess {
    /// Starts client `id` of `kind` with `tasks` contenders and waits until it says `READY`.
    ///
    /// # Errors
    ///
    /// When the peer cannot be built or started, or does not get ready in time.
    pub fn start(
        settings: &ClientSettings,
        ensemble: &ZkEnsemble,
        kind: ClientKind,
        id: String,
        tasks: usize,
        seed: u64,
    ) -> Result<ClientProcess, TestkitError> {
        let link = ClientLink::new(ensemble)?;
        let log = settings.dir.join(format!("{id}.log"));
        let mut command = match kind {
            ClientKind::ZkSync | ClientKind::ZkSyncLocal | ClientKind::ZkSyncAsync => {
                let mut command = Command::new(&settings.worker_exe);
                command
                    .arg("worker")
                    .args(["--broken", broken_flag(settings.broken)]);
                if kind == ClientKind::ZkSyncLocal {
                    command.args(["--local-handoff", &LOCAL_HANDOFFS.to_string()]);
                }
                if kind == ClientKind::ZkSyncAsync {
                    command.args(["--wire-client", "zookeeper-async"]);
                }
                command
            }
            ClientKind::Curator => {
                zk_sync_testkit::curator_program("TortureCurator", CURATOR_SOURCE)?
            }
            ClientKind::Go => zk_sync_testkit::go_zookeeper_program("torture_gozk", GO_SOURCE)?,
        };
        command
            .args([
                "--connect",
                &link.connect_string(),
                "--path",
                &settings.path,
            ])
            .arg("--store")
            .arg(&settings.store)
            .arg("--log")
            .arg(&log)
            .args(["--mode", mode_flag(settings.mode)])
            .args(["--tasks", &tasks.to_string()])
            .args([
                "--session-timeout-ms",
                &settings.session_timeout_ms.to_string(),
            ])
            .args(["--sleep-ms", &settings.sleep_ms.to_string()])
            .args(["--writers-pct", &settings.writers_pct.to_string()])
            .args(["--term-writes", &settings.term_writes.to_string()]);
        if settings.mode == Mode::Semaphore {
            command.args(["--permits", &settings.permits.to_string()]);
        }
        command
            // Every peer takes a signed 64-bit seed.
            .args(["--seed", &(seed >> 1).to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(
                settings.dir.join(format!("{id}.stderr")),
            )?));
        let mut child = command.spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "READY" {
                    let _ = ready_tx.send(());
                }
            }
        });
        let mut client = ClientProcess {
            id,
            kind,
            link,
            log,
            killed: false,
            child,
            stdin,
        };
        if ready_rx.recv_timeout(READY_TIMEOUT).is_err() {
            client.kill();
            return Err(TestkitError::Timeout {
                what: format!("client {} to get ready", client.id),
                after: READY_TIMEOUT,
                log_tail: std::fs::read_to_string(
                    settings.dir.join(format!("{}.stderr", client.id)),
                )
                .unwrap_or_default(),
            });
        }
        Ok(client)
    }

    /// Sends one line to the client's standard input (`stop`).
    pub fn send(&mut self, line: &str) {
        if let Some(stdin) = &mut self.stdin {
            let _ = writeln!(stdin, "{line}");
            let _ = stdin.flush();
        }
    }

    /// Closes standard input: the client exits once idle.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// SIGKILL, reaped.
    pub fn kill(&mut self) {
        self.resume();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGSTOP.
    pub fn pause(&self) {
        zk_sync_testkit::pause_process(self.child.id());
    }

    /// SIGCONT.
    pub fn resume(&self) {
        zk_sync_testkit::resume_process(self.child.id());
    }

    /// Whether the client logged that all its tasks stopped.
    pub fn is_idle(&self) -> bool {
        self.recent_events()
            .iter()
            .any(|e| e.task.is_none() && e.name == "idle")
    }

    /// Whether one of the client's tasks is inside a hold right now, going by the tail of its
    /// log (its last event is `acquired` or `read`).
    pub fn is_holding(&self) -> bool {
        let mut last: BTreeMap<u32, String> = BTreeMap::new();
        for event in self.recent_events() {
            if let Some(task) = event.task {
                last.insert(task, event.name);
            }
        }
        last.values()
            .any(|name| name == "acquired" || name == "read")
    }

    /// The events at the end of the client's log (its last [`TAIL_BYTES`]), read without going through
    /// the whole log, which grows by megabytes over a long run.
    fn recent_events(&self) -> Vec<Event> {
        let Ok(mut file) = std::fs::File::open(&self.log) else {
            return Vec::new();
        };
        let length = file.metadata().map_or(0, |m| m.len());
        let from = length.saturating_sub(TAIL_BYTES);
        let _ = file.seek(SeekFrom::Start(from));
        let mut tail = String::new();
        if file.read_to_string(&mut tail).is_err() {
            return Vec::new();
        }
        // Past the start of the log, the first line read is cut: leave it out.
        let cut = usize::from(from > 0);
        tail.lines().skip(cut).filter_map(Event::parse).collect()
    }

    /// Waits at most `limit` for the process to exit, then kills it.
    pub fn wait_exit(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }

    /// The log's path.
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for ClientProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn mode_flag(mode: Mode) -> &'static str {
    match mode {
        Mode::Mutex => "mutex",
        Mode::Rwlock => "rwlock",
        Mode::Leader => "leader",
        Mode::Semaphore => "semaphore",
    }
}

fn broken_flag(broken: Broken) -> &'static str {
    match broken {
        Broken::None => "none",
        Broken::EveryoneIn => "everyone-in",
        Broken::IgnoreUncertain => "ignore-uncertain",
    }
}
