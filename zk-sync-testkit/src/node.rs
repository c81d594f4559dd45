//! One ZooKeeper server JVM: its directory, config, log file and process.

use std::fs::OpenOptions;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::error::TestkitError;
use crate::{java, spawner, wire};

/// How long starting (or restarting) servers may take before giving up.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a SIGTERM-ed server gets to exit before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings shared by standalone servers and ensemble members, tuned for fast tests.
///
/// Keys ZooKeeper does not know as config options (`forceSync`, `preAllocSize`) become
/// `zookeeper.*` system properties.
const COMMON_CONFIG: &str = "\
tickTime=200
initLimit=10
syncLimit=5
minSessionTimeout=400
maxSessionTimeout=60000
4lw.commands.whitelist=*
admin.enableServer=false
reconfigEnabled=false
forceSync=no
preAllocSize=4096
";

/// JVM system properties for every server, on top of [`java::LIGHT_JVM_FLAGS`].
const SERVER_PROPERTIES: &[&str] = &[
    "-Dzookeeper.admin.enableServer=false",
    "-Dzookeeper.jmx.log4j.disable=true",
    // Give up on unreachable quorum peers after 1 s instead of 5 s.
    "-Dzookeeper.cnxTimeout=1000",
    // Reap empty CONTAINER nodes every second instead of every minute.
    "-Dznode.container.checkIntervalMs=1000",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
    // Every reconnect to a live session logs two stack traces about a JMX bean name clash.
    "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.jmx.MBeanRegistry=error",
    "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.ServerCnxnFactory=error",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
];

/// A server directory plus (while running) its JVM.
#[derive(Debug)]
pub(crate) struct Node {
    name: String,
    client_addr: SocketAddr,
    cfg: PathBuf,
    log: PathBuf,
    child: Mutex<Option<Child>>,
    // JVM flags of this server only (a JAAS file, say).
    jvm_flags: Vec<String>,
    // Last field: removed after the process is gone (see Drop).
    dir: TempDir,
}

impl Node {
    /// Creates the directory with `zoo.cfg` (common settings + `extra_config`), `data/` and, for
    /// quorum members, `data/myid`. Does not start anything.
    pub(crate) fn create(
        name: String,
        client_port: u16,
        extra_config: &str,
        myid: Option<usize>,
    ) -> Result<Node, TestkitError> {
        let dir = crate::scratch::new_dir("server")?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data)?;
        if let Some(id) = myid {
            std::fs::write(data.join("myid"), format!("{id}\n"))?;
        }
        let cfg = dir.path().join("zoo.cfg");
        let text = format!(
            "{COMMON_CONFIG}dataDir={}\nclientPort={client_port}\nclientPortAddress=127.0.0.1\n{extra_config}",
            data.display()
        );
        std::fs::write(&cfg, text)?;
        Ok(Node {
            name,
            client_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, client_port)),
            cfg,
            log: dir.path().join("server.log"),
            child: Mutex::new(None),
            jvm_flags: Vec::new(),
            dir,
        })
    }

    /// Adds a JVM flag for this server's next start.
    pub(crate) fn add_jvm_flag(&mut self, flag: String) {
        self.jvm_flags.push(flag);
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn client_addr(&self) -> SocketAddr {
        self.client_addr
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.log
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn child(&self) -> MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the JVM unless it is already running. Does not wait for it to serve.
    pub(crate) fn spawn(&self) -> Result<(), TestkitError> {
        let mut child = self.child();
        if let Some(running) = child.as_mut() {
            if running.try_wait()?.is_none() {
                return Ok(());
            }
        }
        let java = java::java_path()?;
        let classpath = java::zookeeper_server_classpath()?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut cmd = Command::new(java);
        cmd.args(java::LIGHT_JVM_FLAGS)
            .args(SERVER_PROPERTIES)
            .arg(format!("-Dzookeeper.log.dir={}", self.dir.path().display()))
            .arg("-Dzookeeper.root.logger=INFO,CONSOLE")
            .args(extra_jvm_flags())
            .args(&self.jvm_flags)
            .arg("-cp")
            .arg(classpath)
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(&self.cfg)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log));
        let spawned = spawner::spawn(cmd).map_err(|e| TestkitError::Start {
            what: self.name.clone(),
            reason: format!("cannot spawn java: {e}"),
            log_tail: String::new(),
        })?;
        *child = Some(spawned);
        Ok(())
    }

    /// Waits until the server answers `ruok` with `imok` and accepts a session, or `deadline`.
    pub(crate) fn wait_serving(
        &self,
        deadline: Instant,
        started: Instant,
    ) -> Result<(), TestkitError> {
        loop {
            if let Some(status) = self.exit_status()? {
                return Err(TestkitError::Start {
                    what: self.name.clone(),
                    reason: format!("the JVM exited with {status}"),
                    log_tail: self.log_tail(40),
                });
            }
            if self.is_serving() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(TestkitError::Timeout {
                    what: format!("{} to serve clients on {}", self.name, self.client_addr),
                    after: started.elapsed(),
                    log_tail: self.log_tail(40),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `Some(status)` if the JVM was started and has exited; `None` if running or never started.
    fn exit_status(&self) -> Result<Option<std::process::ExitStatus>, TestkitError> {
        match self.child().as_mut() {
            Some(child) => Ok(child.try_wait()?),
            None => Err(TestkitError::Start {
                what: self.name.clone(),
                reason: "it is stopped".into(),
                log_tail: String::new(),
            }),
        }
    }

    /// True when `ruok` says `imok` and a session handshake succeeds.
    pub(crate) fn is_serving(&self) -> bool {
        matches!(
            wire::four_letter(self.client_addr, "ruok").as_deref(),
            Ok("imok")
        ) && wire::probe_session(self.client_addr).is_ok()
    }

    /// Process id of the JVM while it runs (also while paused).
    pub(crate) fn pid(&self) -> Option<u32> {
        let mut child = self.child();
        let child = child.as_mut()?;
        matches!(child.try_wait(), Ok(None)).then(|| child.id())
    }

    /// SIGTERM, wait (SIGKILL after 10 s). No-op when not running.
    pub(crate) fn stop(&self) {
        let mut guard = self.child();
        let Some(mut child) = guard.take() else {
            return;
        };
        if matches!(child.try_wait(), Ok(None)) {
            signal(&child, libc::SIGTERM);
            // A paused JVM handles SIGTERM only once continued.
            signal(&child, libc::SIGCONT);
            let deadline = Instant::now() + STOP_TIMEOUT;
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGKILL, wait. No-op when not running.
    pub(crate) fn kill(&self) {
        if let Some(mut child) = self.child().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `sig` to the JVM if it is running.
    pub(crate) fn signal(&self, sig: libc::c_int) {
        if let Some(child) = self.child().as_mut() {
            if matches!(child.try_wait(), Ok(None)) {
                signal(child, sig);
            }
        }
    }

    /// SIGSTOP, then waits (at most 2 s) until every thread of the JVM is actually stopped:
    /// `kill` returns before threads running on other CPUs have stopped.
    pub(crate) fn pause(&self) {
        self.signal(libc::SIGSTOP);
        if let Some(pid) = self.pid() {
            wait_for_threads(pid, true);
        }
    }

    /// SIGCONT, then waits (at most 2 s) until no thread of the JVM is stopped.
    pub(crate) fn resume(&self) {
        self.signal(libc::SIGCONT);
        if let Some(pid) = self.pid() {
            wait_for_threads(pid, false);
        }
    }

    /// The last `lines` lines of the server log.
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read(&self.log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `/proc/<pid>/task/*/stat` until all threads are (or none is) in state `T` (stopped).
fn wait_for_threads(pid: u32, stopped: bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return;
        };
        let settled = tasks.flatten().all(|task| {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            // The state follows the parenthesised command name, which may contain spaces.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            match state {
                None => true,
                Some(state) => matches!(state, 'T' | 't') == stopped,
            }
        });
        if settled {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Extra JVM flags for every server from `$ZK_TESTKIT_JVM_FLAGS` (whitespace separated), e.g.
/// `-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server=debug` to debug a test.
fn extra_jvm_flags() -> Vec<String> {
    std::env::var("ZK_TESTKIT_JVM_FLAGS")
        .map(|f| f.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn signal(child: &Child, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: plain kill(2) on a child we have not reaped yet, so the pid is still ours.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}
