//! Real ZooKeeper servers and fault injection for tests.
//!
//! * [`ZkServer`]: one standalone server on a free loopback port ([`ZkServer::shared`] gives
//!   every test of a test binary the same one), with stop / kill / restart / pause / resume.
//! * [`ZkEnsemble`]: a quorum of several servers, with per-server faults and leader lookup.
//! * [`FaultProxy`]: a TCP proxy that can cut or blackhole a client's connection.
//! * [`expire_session`], [`expire_session_with_password`] and
//!   [`FaultProxy::expire_newest_session`]: expire a live session on the server.
//! * [`curator_classpath`], [`compile_java`], [`java_command`]: run small Apache Curator
//!   programs against the servers to check interoperability with Java clients, and
//!   [`go_zookeeper_program`] to build go-zookeeper programs for Go clients.
//! * [`free_address`] and [`get_metrics`]: a port for a test's own server, and a scrape of a
//!   Prometheus exporter.
//!
//! Servers run Debian's ZooKeeper (`apt-get install -y zookeeper`, which brings Java too) or the
//! jars in `$ZOOKEEPER_CLASSPATH`, with `java` from `$JAVA_HOME` or `$PATH`. Each server is a JVM
//! in its own temp directory (`zoo.cfg`, `data/`, `server.log`) configured for fast tests
//! (`tickTime=200`, sessions of 400 ms to 60 s, all four-letter words enabled, no fsync).
//!
//! Server JVMs never outlive the test process: handles kill them on drop, and each JVM is spawned
//! with `PR_SET_PDEATHSIG = SIGKILL` from one long-lived thread, so the kernel kills it when the
//! test process exits, even for the never-dropped shared server.
//!
//! The blocking API is plain sync code (fine inside `#[tokio::test]`); only the session expiry
//! and [`get_metrics`] are async.
//!
//! Debugging: a failed start reports the tail of the server log; [`ZkServer::log_path`] and
//! [`ZkEnsemble::log_path`] give the whole file while the handle lives. Extra JVM flags for every
//! server can be passed in `$ZK_TESTKIT_JVM_FLAGS`, e.g.
//! `-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server=debug`. Directories of the
//! never-dropped shared server (and of compiled Java classes) are removed by the next test process
//! that uses the testkit, once their owner has exited.

mod child;
mod ensemble;
mod error;
mod expire;
mod go;
mod java;
mod lines;
mod metrics;
mod node;
mod ports;
mod proxy;
mod scratch;
mod server;
mod spawner;
mod tls;
mod wire;

pub use child::{pause_process, resume_process, TestChild};
pub use ensemble::ZkEnsemble;
pub use error::TestkitError;
pub use expire::{expire_session, expire_session_with_password};
pub use go::go_zookeeper_program;
pub use java::{
    compile_java, curator_classpath, curator_program, java_command, java_path, javac_path,
};
pub use lines::ChildLines;
pub use metrics::get_metrics;
pub use ports::free_address;
pub use proxy::{FaultProxy, ProxiedSession, ProxyMode};
pub use server::ZkServer;
pub use tls::TlsMaterial;
