//! A standalone ZooKeeper server.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use crate::error::TestkitError;
use crate::node::{Node, START_TIMEOUT};
use crate::ports::free_ports;
use crate::tls::TlsMaterial;

/// How many times to pick new ports when a freshly chosen one turned out to be taken.
pub(crate) const PORT_ATTEMPTS: usize = 3;

/// One standalone ZooKeeper server (JVM) on a free loopback port, with its own temp directory.
///
/// The server is killed (SIGKILL) and its directory removed when the handle is dropped; the JVM
/// also dies with the test process, even for [`ZkServer::shared`], which is never dropped.
///
/// Its log (ZooKeeper's own output) goes to [`ZkServer::log_path`], not to the test output; start
/// errors carry its last lines.
///
/// All methods block and are plain sync calls, so they are fine inside `#[tokio::test]` (they
/// sleep the calling thread for at most the documented bounds).
#[derive(Debug)]
pub struct ZkServer {
    node: Node,
    // The secure client port and its certificates, for a TLS server.
    secure: Option<(SocketAddr, TlsMaterial)>,
    // The JAAS file's directory, for a SASL server.
    jaas: Option<tempfile::TempDir>,
}

impl ZkServer {
    /// Starts a new server and returns once it answers `ruok` with `imok` and accepts a session.
    ///
    /// Gives up after 30 s with [`TestkitError::Timeout`]; fails with
    /// [`TestkitError::JavaNotFound`] / [`TestkitError::ZooKeeperNotFound`] (whose messages say
    /// how to install them) when Java or ZooKeeper are missing.
    pub fn start() -> Result<ZkServer, TestkitError> {
        ZkServer::start_with("")
    }

    /// Like [`ZkServer::start`], but the server fsyncs its transaction log before acknowledging
    /// each write (`forceSync=yes`), as production servers do. Use it for benchmarks, where the
    /// cost of durable writes is part of what is measured; tests use the faster [`ZkServer::start`].
    pub fn start_durable() -> Result<ZkServer, TestkitError> {
        ZkServer::start_with("forceSync=yes\n")
    }

    /// Like [`ZkServer::start`], with a TLS `secureClientPort` as well (ZooKeeper's Netty
    /// connection factory), its certificates made for it ([`TlsMaterial`]). With
    /// `need_client_auth`, clients must show a certificate of its CA (mutual TLS). The plain
    /// port stays open for the testkit's own checks.
    ///
    /// # Errors
    ///
    /// As [`ZkServer::start`], and [`TestkitError::Tool`] when the certificates cannot be made.
    pub fn start_tls(need_client_auth: bool) -> Result<ZkServer, TestkitError> {
        ZkServer::start_tls_with(need_client_auth, "")
    }

    /// Like [`ZkServer::start_tls`] (no client certificates asked), fsyncing each write as
    /// [`ZkServer::start_durable`] does: for benchmarks of TLS next to plain text, which
    /// can use both ports of the one server.
    ///
    /// # Errors
    ///
    /// As [`ZkServer::start_tls`].
    pub fn start_tls_durable() -> Result<ZkServer, TestkitError> {
        ZkServer::start_tls_with(false, "forceSync=yes\n")
    }

    fn start_tls_with(need_client_auth: bool, extra: &str) -> Result<ZkServer, TestkitError> {
        let material = TlsMaterial::create()?;
        let secure_port = free_ports(1)?[0];
        let config = material.server_config(secure_port, need_client_auth) + extra;
        let mut server = ZkServer::start_with(&config)?;
        server.secure = Some((
            SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, secure_port)),
            material,
        ));
        Ok(server)
    }

    /// The connect string of the secure client port (`"127.0.0.1:PORT"`), for a server from
    /// [`ZkServer::start_tls`].
    pub fn secure_connect_string(&self) -> Option<String> {
        self.secure.as_ref().map(|(addr, _)| addr.to_string())
    }

    /// The certificates of a server from [`ZkServer::start_tls`].
    pub fn tls(&self) -> Option<&TlsMaterial> {
        self.secure.as_ref().map(|(_, material)| material)
    }

    /// Like [`ZkServer::start`], with SASL DIGEST-MD5 authentication for `users` (`(name,
    /// password)` pairs of a JAAS `Server` section). Clients without SASL still connect, as
    /// ZooKeeper allows by default.
    ///
    /// # Errors
    ///
    /// As [`ZkServer::start`].
    pub fn start_sasl(users: &[(&str, &str)]) -> Result<ZkServer, TestkitError> {
        let dir = crate::scratch::new_dir("jaas")?;
        let jaas = dir.path().join("jaas.conf");
        let entries: String = users
            .iter()
            .map(|(user, password)| format!("\n    user_{user}=\"{password}\""))
            .collect();
        std::fs::write(
            &jaas,
            format!(
                "Server {{\n    org.apache.zookeeper.server.auth.DigestLoginModule required{entries};\n}};\n"
            ),
        )?;
        let config = "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n";
        let flags = [format!(
            "-Djava.security.auth.login.config={}",
            jaas.display()
        )];
        let mut server = ZkServer::start_configured(config, &flags)?;
        server.jaas = Some(dir);
        Ok(server)
    }

    fn start_with(extra_config: &str) -> Result<ZkServer, TestkitError> {
        ZkServer::start_configured(extra_config, &[])
    }

    fn start_configured(
        extra_config: &str,
        jvm_flags: &[String],
    ) -> Result<ZkServer, TestkitError> {
        let mut attempt = 1;
        loop {
            let port = free_ports(1)?[0];
            let mut node = Node::create(
                "ZooKeeper standalone server".into(),
                port,
                &format!("standaloneEnabled=true\n{extra_config}"),
                None,
            )?;
            for flag in jvm_flags {
                node.add_jvm_flag(flag.clone());
            }
            let started = Instant::now();
            node.spawn()?;
            match node.wait_serving(started + START_TIMEOUT, started) {
                Ok(()) => {
                    return Ok(ZkServer {
                        node,
                        secure: None,
                        jaas: None,
                    })
                }
                Err(_) if attempt < PORT_ATTEMPTS && port_was_taken(&node) => attempt += 1,
                Err(err) => return Err(err),
            }
        }
    }

    /// A server shared by every test of this test binary, started on first use.
    ///
    /// It is never stopped explicitly: it dies with the test process. Tests using it must not
    /// stop, kill, pause or restart it (start their own [`ZkServer`] for that) and should use
    /// unique paths so they do not see each other's nodes.
    ///
    /// # Panics
    /// If the server cannot start, with the error message (which says how to install ZooKeeper
    /// and Java when they are missing).
    pub fn shared() -> &'static ZkServer {
        static SHARED: OnceLock<ZkServer> = OnceLock::new();
        SHARED.get_or_init(|| {
            ZkServer::start().unwrap_or_else(|err| {
                panic!("cannot start the shared ZooKeeper test server: {err}")
            })
        })
    }

    /// Connect string for clients: `"127.0.0.1:PORT"`.
    pub fn connect_string(&self) -> String {
        self.node.client_addr().to_string()
    }

    /// The client address.
    pub fn addr(&self) -> SocketAddr {
        self.node.client_addr()
    }

    /// Stops the server gracefully: SIGTERM, then waits for the JVM to exit (SIGKILL after 10 s).
    ///
    /// Sessions stay in the data directory, so a [`restart`](Self::restart) soon after keeps them.
    /// No-op when already stopped.
    pub fn stop(&self) {
        self.node.stop();
    }

    /// Kills the server (SIGKILL) and waits for the JVM to exit. No-op when already stopped.
    pub fn kill(&self) {
        self.node.kill();
    }

    /// Stops the server if it runs (SIGTERM + wait), then starts it again on the same port with
    /// the same data directory and waits (at most 30 s) until it serves.
    ///
    /// Sessions whose timeout has not passed survive, and their clients reconnect.
    pub fn restart(&self) -> Result<(), TestkitError> {
        self.node.stop();
        let started = Instant::now();
        self.node.spawn()?;
        self.node.wait_serving(started + START_TIMEOUT, started)
    }

    /// Freezes the server (SIGSTOP) and returns once every JVM thread has stopped: connections
    /// stay open (the kernel even accepts new ones) but nothing is answered.
    ///
    /// Clients see their connection time out. Call [`resume`](Self::resume) to continue.
    pub fn pause(&self) {
        self.node.pause();
    }

    /// Continues a paused server (SIGCONT).
    pub fn resume(&self) {
        self.node.resume();
    }

    /// Sends a four-letter word (`ruok`, `mntr`, `srvr`, `cons`, `wchc`, `wchp`, `dump`, ...) and
    /// returns the reply. Bounded: 2 s to connect, 3 s to answer.
    pub fn four_letter(&self, cmd: &str) -> std::io::Result<String> {
        crate::wire::four_letter(self.node.client_addr(), cmd)
    }

    /// Process id of the server JVM, or `None` while stopped.
    pub fn pid(&self) -> Option<u32> {
        self.node.pid()
    }

    /// The server's log file (ZooKeeper's output).
    pub fn log_path(&self) -> &Path {
        self.node.log_path()
    }

    /// The server's directory, holding `zoo.cfg`, `data/` and the log.
    pub fn dir(&self) -> &Path {
        self.node.dir()
    }
}

/// True if the server died because its port was taken in the meantime.
pub(crate) fn port_was_taken(node: &Node) -> bool {
    node.log_tail(200).contains("Address already in use")
}
