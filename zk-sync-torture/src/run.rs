//! One torture run: clients of every kind on one path of a 3-server ensemble, two fault lanes,
//! then a quiet end (heal, settle, stop, look for orphans) and the checker.

use crate::check::{check, Evidence, FaultWindow, Findings, ProcessLog};
use crate::client_kind::ClientKind;
use crate::clients::{ClientProcess, ClientSettings};
use crate::clock::mono_ns;
use crate::events::{read_log, EventLog};
use crate::faults::{Fault, Injector};
use crate::rng::Rng;
use crate::store::FencedStore;
use crate::worker::{Broken, Mode};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zk_sync_testkit::{TestkitError, ZkEnsemble};

/// How many client processes of each kind, and how many contender tasks in each.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    /// zk-sync processes and tasks per process.
    pub zk_sync: (usize, usize),
    /// zk-sync processes with local hand-off, and tasks per process (mutex and rwlock runs).
    pub zk_sync_local: (usize, usize),
    /// zk-sync processes over the `zookeeper-async` wire client, and tasks per process.
    pub zk_sync_async: (usize, usize),
    /// Curator processes and tasks per process.
    pub curator: (usize, usize),
    /// go-zookeeper processes and tasks per process (mutex runs only).
    pub go: (usize, usize),
}

impl Population {
    /// Tasks per process of `kind`.
    pub fn tasks(&self, kind: ClientKind) -> usize {
        match kind {
            ClientKind::ZkSync => self.zk_sync.1,
            ClientKind::ZkSyncLocal => self.zk_sync_local.1,
            ClientKind::ZkSyncAsync => self.zk_sync_async.1,
            ClientKind::Curator => self.curator.1,
            ClientKind::Go => self.go.1,
        }
    }

    fn processes(&self) -> Vec<ClientKind> {
        let mut kinds = Vec::new();
        kinds.extend(vec![ClientKind::ZkSync; self.zk_sync.0]);
        kinds.extend(vec![ClientKind::ZkSyncLocal; self.zk_sync_local.0]);
        kinds.extend(vec![ClientKind::ZkSyncAsync; self.zk_sync_async.0]);
        kinds.extend(vec![ClientKind::Curator; self.curator.0]);
        kinds.extend(vec![ClientKind::Go; self.go.0]);
        kinds
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The recipe.
    pub primitive: Mode,
    /// How long faults are injected.
    pub duration: Duration,
    /// The seed of every random choice (printed; a run repeats from it).
    pub seed: u64,
    /// The clients.
    pub population: Population,
    /// The session timeout every client asks for.
    pub session_timeout: Duration,
    /// Longest sleep inside a hold, milliseconds.
    pub sleep_ms: u64,
    /// rwlock: percent of holds that write.
    pub writers_pct: u64,
    /// election: work cycles per term.
    pub term_writes: u32,
    /// semaphore: the permits every client uses.
    pub permits: u32,
    /// Faults the server lane picks from (empty: no server faults).
    pub server_faults: Vec<Fault>,
    /// Faults the client lane picks from (empty: no client faults).
    pub client_faults: Vec<Fault>,
    /// Break the zk-sync clients on purpose (the checker's own tests).
    pub broken: Broken,
    /// The `zk-sync-torture` binary, run as `worker` for zk-sync clients.
    pub worker_exe: PathBuf,
    /// Print progress lines.
    pub progress: bool,
}

impl Config {
    /// The standard run of `primitive`: 3 zk-sync processes, one more over the
    /// `zookeeper-async` wire client, 2 Curator processes, for the mutex and the rwlock one
    /// zk-sync process of 4 tasks with local hand-off, for the mutex 2 go-zookeeper
    /// processes, a 4 s session timeout, the whole fault menu.
    pub fn standard(primitive: Mode, duration: Duration, seed: u64, worker_exe: PathBuf) -> Config {
        let go = match primitive {
            Mode::Mutex => (2, 2),
            _ => (0, 0),
        };
        let zk_sync_local = match primitive {
            Mode::Mutex | Mode::Rwlock => (1, 4),
            Mode::Leader | Mode::Semaphore => (0, 0),
        };
        Config {
            primitive,
            duration,
            seed,
            population: Population {
                zk_sync: (3, 3),
                zk_sync_local,
                zk_sync_async: (1, 3),
                curator: (2, 2),
                go,
            },
            session_timeout: Duration::from_secs(4),
            sleep_ms: 5,
            writers_pct: 40,
            term_writes: 3,
            permits: 3,
            server_faults: Fault::SERVER.to_vec(),
            client_faults: Fault::CLIENT.to_vec(),
            broken: Broken::None,
            worker_exe,
            progress: true,
        }
    }
}

/// What a run found, and where its logs are.
#[derive(Debug)]
pub struct Report {
    /// The checker's findings.
    pub findings: Findings,
    /// The run's directory (event logs, fault log, store), kept.
    pub dir: PathBuf,
}

/// Healthy waiting time after which an acquire counts as hung.
const HANG_LIMIT: Duration = Duration::from_secs(30);

/// Runs `config` on `ensemble` (every server up) and checks it.
///
/// # Errors
///
/// When a client cannot be built or started; violations are findings, not errors.
pub fn run(config: &Config, ensemble: &ZkEnsemble) -> Result<Report, TestkitError> {
    let dir = tempfile::Builder::new()
        .prefix("zk-sync-torture-")
        .tempdir()?
        .keep();
    let store_path = dir.join("store");
    let store = FencedStore::create(&store_path)?;
    let primitive = format!("{:?}", config.primitive).to_lowercase();
    let settings = ClientSettings {
        worker_exe: config.worker_exe.clone(),
        servers: ensemble.connect_string(),
        path: format!("/torture/{primitive}-{}-{}", config.seed, mono_ns()),
        store: store_path,
        dir: dir.clone(),
        mode: config.primitive,
        session_timeout_ms: config.session_timeout.as_millis() as u64,
        sleep_ms: config.sleep_ms,
        writers_pct: config.writers_pct,
        term_writes: config.term_writes,
        permits: config.permits,
        broken: config.broken,
    };
    let say = |line: String| {
        if config.progress {
            println!("{line}");
        }
    };
    say(format!(
        "torture: {primitive}, seed {}, {} s of faults, logs in {}",
        config.seed,
        config.duration.as_secs(),
        dir.display()
    ));

    let mut seeds = Rng::new(config.seed);
    let mut started = Vec::new();
    for (index, kind) in config.population.processes().into_iter().enumerate() {
        started.push(ClientProcess::start(
            &settings,
            ensemble,
            kind,
            format!("{kind}-{}", index + 1),
            config.population.tasks(kind),
            seeds.next_u64(),
        )?);
    }
    let clients = Mutex::new(started);
    let faults: Mutex<Vec<FaultWindow>> = Mutex::new(Vec::new());
    let fault_log = EventLog::open(&dir.join("faults.log"))?;
    let began = Instant::now();
    let injector = Injector {
        ensemble,
        clients: &clients,
        settings: &settings,
        population: &config.population,
        faults: &faults,
        log: &fault_log,
        session_timeout: config.session_timeout,
        deadline: began + config.duration,
    };
    let (server_seed, client_seed) = (seeds.next_u64(), seeds.next_u64());
    std::thread::scope(|scope| {
        if !config.server_faults.is_empty() {
            scope.spawn(|| injector.lane(server_seed, &config.server_faults));
        }
        if !config.client_faults.is_empty() {
            scope.spawn(|| injector.lane(client_seed, &config.client_faults));
        }
        while began.elapsed() < config.duration {
            std::thread::sleep(Duration::from_secs(10).min(config.duration));
            let done = faults.lock().map_or(0, |f| f.len());
            let value = store.read().unwrap_or(-1);
            say(format!(
                "[{:>4} s] {done} faults, store value {value}",
                began.elapsed().as_secs()
            ));
        }
    });

    // The quiet end: everything healed, a while to settle (sessions that expired are
    // replaced, waiters re-queue), then stop and look for what was left behind.
    {
        let clients = clients.lock().unwrap_or_else(|e| e.into_inner());
        for client in clients.iter().filter(|c| !c.killed) {
            client.link.restore();
            client.resume();
        }
    }
    std::thread::sleep(config.session_timeout * 2);
    let stop_sent_at = mono_ns();
    let mut clients = clients.into_inner().unwrap_or_else(|e| e.into_inner());
    for client in clients.iter_mut().filter(|c| !c.killed) {
        client.send("stop");
    }
    let stop_deadline = Instant::now() + HANG_LIMIT + Duration::from_secs(5);
    while Instant::now() < stop_deadline
        && !clients
            .iter()
            .filter(|c| !c.killed)
            .all(ClientProcess::is_idle)
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Background deletes of released nodes leave within a round trip or two.
    std::thread::sleep(Duration::from_secs(1));
    // The contender nodes left: a semaphore's are in its `locks` and `leases` directories.
    let queues = match config.primitive {
        Mode::Semaphore => vec![
            format!("{}/locks", settings.path),
            format!("{}/leases", settings.path),
        ],
        Mode::Mutex | Mode::Rwlock | Mode::Leader => vec![settings.path.clone()],
    };
    let servers = ensemble.connect_string();
    let orphans = list_children(&servers, &queues);
    for client in clients.iter_mut() {
        client.close_stdin();
    }
    for client in clients.iter_mut().filter(|c| !c.killed) {
        client.wait_exit(Duration::from_secs(15));
    }

    let processes = clients
        .iter()
        .map(|client| {
            Ok(ProcessLog {
                id: client.id.clone(),
                kind: client.kind,
                events: read_log(client.log_path())?,
                killed: client.killed,
            })
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let evidence = Evidence {
        processes,
        faults: faults.into_inner().unwrap_or_else(|e| e.into_inner()),
        orphans,
        final_value: store.read()?,
        stop_sent_at: Some(stop_sent_at),
        hang_limit_ns: HANG_LIMIT.as_nanos() as u64,
        fault_grace_ns: (config.session_timeout * 3).as_nanos() as u64,
        permits: (config.primitive == Mode::Semaphore).then_some(config.permits as usize),
    };
    Ok(Report {
        findings: check(&evidence),
        dir,
    })
}

/// The children of each of `dirs`, by name, straight from the servers (no proxy), over one
/// session.
fn list_children(servers: &str, dirs: &[String]) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let session = match zk_sync_core::Session::connect(servers).await {
            Ok(session) => session,
            Err(error) => return vec![format!("(could not list {dirs:?}: {error})")],
        };
        let mut children = Vec::new();
        for dir in dirs {
            let listed = match session.live_epoch().await {
                Ok(epoch) => epoch.children(dir).await,
                Err(error) => Err(error),
            };
            match listed {
                Ok(listed) => children.extend(listed.unwrap_or_default()),
                Err(error) => children.push(format!("(could not list {dir}: {error})")),
            }
        }
        session.close().await;
        children
    })
}
