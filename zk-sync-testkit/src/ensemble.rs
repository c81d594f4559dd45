//! A ZooKeeper ensemble (quorum) of several servers on loopback.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::error::TestkitError;
use crate::node::{Node, START_TIMEOUT};
use crate::ports::free_ports;
use crate::server::{port_was_taken, PORT_ATTEMPTS};

/// `n` ZooKeeper servers forming one quorum on loopback ports.
///
/// Servers are addressed by index `0..len()` (their ZooKeeper `myid` is `index + 1`). Each has
/// its own temp directory and log file. Every server is killed when the ensemble is dropped, and
/// dies with the test process in any case.
///
/// All methods are plain blocking calls.
#[derive(Debug)]
pub struct ZkEnsemble {
    nodes: Vec<Node>,
}

impl ZkEnsemble {
    /// Starts `n` servers (3 is the usual choice) and returns once a leader is elected and every
    /// server answers `ruok` and accepts a session. Bounded by 30 s.
    pub fn start(n: usize) -> Result<ZkEnsemble, TestkitError> {
        ZkEnsemble::start_with(n, "")
    }

    /// Like [`ZkEnsemble::start`], but every server fsyncs its transaction log before
    /// acknowledging a write (`forceSync=yes`), as production ensembles do. For benchmarks;
    /// tests use the faster [`ZkEnsemble::start`].
    pub fn start_durable(n: usize) -> Result<ZkEnsemble, TestkitError> {
        ZkEnsemble::start_with(n, "forceSync=yes\n")
    }

    fn start_with(n: usize, extra_config: &str) -> Result<ZkEnsemble, TestkitError> {
        if n == 0 {
            return Err(TestkitError::Start {
                what: "ZooKeeper ensemble".into(),
                reason: "an ensemble needs at least one server".into(),
                log_tail: String::new(),
            });
        }
        let mut attempt = 1;
        loop {
            let ensemble = ZkEnsemble::create(n, extra_config)?;
            match ensemble.start_all() {
                Ok(()) => return Ok(ensemble),
                Err(_) if attempt < PORT_ATTEMPTS && ensemble.nodes.iter().any(port_was_taken) => {
                    attempt += 1
                }
                Err(err) => return Err(err),
            }
        }
    }

    fn create(n: usize, extra_config: &str) -> Result<ZkEnsemble, TestkitError> {
        // Per server: client port, quorum port, election port.
        let ports = free_ports(3 * n)?;
        let mut servers = format!("standaloneEnabled=false\n{extra_config}");
        for i in 0..n {
            servers.push_str(&format!(
                "server.{}=127.0.0.1:{}:{}\n",
                i + 1,
                ports[3 * i + 1],
                ports[3 * i + 2]
            ));
        }
        let nodes = (0..n)
            .map(|i| {
                let name = format!("ZooKeeper ensemble server {i} (myid {})", i + 1);
                Node::create(name, ports[3 * i], &servers, Some(i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ZkEnsemble { nodes })
    }

    fn start_all(&self) -> Result<(), TestkitError> {
        let started = Instant::now();
        let deadline = started + START_TIMEOUT;
        for node in &self.nodes {
            node.spawn()?;
        }
        for node in &self.nodes {
            node.wait_serving(deadline, started)?;
        }
        self.wait_for_leader(deadline.saturating_duration_since(Instant::now()))
            .map(|_| ())
    }

    fn node(&self, i: usize) -> &Node {
        assert!(
            i < self.nodes.len(),
            "server index {i} out of range: the ensemble has {} servers",
            self.nodes.len()
        );
        &self.nodes[i]
    }

    /// Connect string listing every server: `"127.0.0.1:a,127.0.0.1:b,127.0.0.1:c"`.
    pub fn connect_string(&self) -> String {
        self.nodes
            .iter()
            .map(|n| n.client_addr().to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Client address of server `i`.
    ///
    /// # Panics
    /// If `i >= len()` (as do all methods taking an index).
    pub fn server_addr(&self, i: usize) -> SocketAddr {
        self.node(i).client_addr()
    }

    /// Number of servers.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: an ensemble has at least one server.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Index of the server whose `srvr` reply says `Mode: leader`, if any answers so now.
    ///
    /// Asks each server in turn; a paused server costs up to the four-letter timeout (3 s).
    pub fn leader(&self) -> Option<usize> {
        self.nodes.iter().position(|node| {
            crate::wire::four_letter(node.client_addr(), "srvr")
                .is_ok_and(|reply| reply.contains("Mode: leader"))
        })
    }

    /// Polls [`leader`](Self::leader) until one is elected; fails with
    /// [`TestkitError::Timeout`] after `timeout`.
    pub fn wait_for_leader(&self, timeout: Duration) -> Result<usize, TestkitError> {
        let started = Instant::now();
        loop {
            if let Some(leader) = self.leader() {
                return Ok(leader);
            }
            if started.elapsed() >= timeout {
                return Err(TestkitError::Timeout {
                    what: "the ensemble to elect a leader".into(),
                    after: started.elapsed(),
                    log_tail: self.log_tails(15),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops server `i` gracefully (SIGTERM + wait). No-op when already stopped.
    pub fn stop(&self, i: usize) {
        self.node(i).stop();
    }

    /// Kills server `i` (SIGKILL + wait). No-op when already stopped.
    pub fn kill(&self, i: usize) {
        self.node(i).kill();
    }

    /// Stops server `i` if it runs, starts it again with the same ports and data, and waits (at
    /// most 30 s) until it serves, which needs a quorum of the other servers to be up.
    pub fn restart(&self, i: usize) -> Result<(), TestkitError> {
        let node = self.node(i);
        node.stop();
        let started = Instant::now();
        node.spawn()?;
        node.wait_serving(started + START_TIMEOUT, started)
    }

    /// Freezes server `i` (SIGSTOP) and returns once every JVM thread has stopped.
    pub fn pause(&self, i: usize) {
        self.node(i).pause();
    }

    /// Continues server `i` (SIGCONT).
    pub fn resume(&self, i: usize) {
        self.node(i).resume();
    }

    /// Sends a four-letter word to server `i` and returns the reply (2 s to connect, 3 s to answer).
    pub fn four_letter(&self, i: usize, cmd: &str) -> std::io::Result<String> {
        crate::wire::four_letter(self.node(i).client_addr(), cmd)
    }

    /// Process id of server `i`'s JVM, or `None` while it is stopped.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.node(i).pid()
    }

    /// Log file of server `i`.
    pub fn log_path(&self, i: usize) -> &std::path::Path {
        self.node(i).log_path()
    }

    fn log_tails(&self, lines: usize) -> String {
        self.nodes
            .iter()
            .map(|n| format!("== {}:\n{}", n.name(), n.log_tail(lines)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
