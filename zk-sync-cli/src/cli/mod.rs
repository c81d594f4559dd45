//! The command line, as clap sees it.

use crate::duration;
use crate::exit::EXIT_CODES_HELP;
use clap::{Args, Parser, Subcommand};
use std::time::Duration;

/// Distributed locks and leader election on Apache ZooKeeper, for shell commands.
///
/// Speaks Apache Curator's protocol: a lock taken here excludes Curator's InterProcessMutex
/// and go-zookeeper's Lock on the same path.
#[derive(Debug, Parser)]
#[command(name = "zk-sync", version, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) connection: Connection,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How to reach ZooKeeper.
#[derive(Debug, Args)]
pub(crate) struct Connection {
    /// ZooKeeper servers: `host:port[,host:port...][/chroot]`
    #[arg(
        long,
        env = "ZK_SYNC_CONNECT",
        default_value = "127.0.0.1:2181",
        global = true
    )]
    pub(crate) connect: String,

    /// Session timeout: after this long without a connection, locks are lost
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration::parse_positive, global = true)]
    pub(crate) session_timeout: Duration,

    /// Time allowed to establish a session
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration::parse_positive, global = true)]
    pub(crate) connect_timeout: Duration,

    /// Authenticate with the SCHEME:CREDENTIALS in this file (e.g. digest:user:password), or
    /// set ZK_SYNC_AUTH to them; never an argument, where `ps` would show it
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) auth_file: Option<std::path::PathBuf>,

    /// SASL DIGEST-MD5 user; the password comes from --sasl-password-file or ZK_SYNC_SASL_PASSWORD
    #[arg(long, value_name = "USER", env = "ZK_SYNC_SASL_USER", global = true)]
    pub(crate) sasl_user: Option<String>,

    /// The SASL password, in this file (first line)
    #[arg(long, value_name = "FILE", requires = "sasl_user", global = true)]
    pub(crate) sasl_password_file: Option<std::path::PathBuf>,

    /// Create lock directories and nodes so that only this identity can create and delete in
    /// them, and everyone may read (needs credentials). Without it, new nodes are world-writable
    #[arg(long, global = true)]
    pub(crate) locked_down: bool,

    /// Connect over TLS (the servers' secureClientPort), trusting the CA certificates of this PEM file
    #[arg(long, value_name = "FILE", env = "ZK_SYNC_TLS_CA", global = true)]
    pub(crate) tls_ca: Option<std::path::PathBuf>,

    /// Mutual TLS: the client certificate (PEM) to present; needs --tls-key and --tls-ca
    #[arg(long, value_name = "FILE", env = "ZK_SYNC_TLS_CERT", requires_all = ["tls_key", "tls_ca"], global = true)]
    pub(crate) tls_cert: Option<std::path::PathBuf>,

    /// Mutual TLS: the client certificate's private key (PEM); needs --tls-cert
    #[arg(
        long,
        value_name = "FILE",
        env = "ZK_SYNC_TLS_KEY",
        requires = "tls_cert",
        global = true
    )]
    pub(crate) tls_key: Option<std::path::PathBuf>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a command while holding a lock (Curator InterProcessMutex protocol)
    ///
    /// Waits for the lock at PATH, runs the command with ZK_SYNC_LOCK_PATH and
    /// ZK_SYNC_FENCING_TOKEN in its environment, releases the lock and exits with the command's
    /// status. If the lock becomes uncertain (connection to ZooKeeper suspended) or is lost
    /// while the command runs, the command's process group gets SIGTERM, then SIGKILL after
    /// --kill-after, and zk-sync exits with 75. SIGINT, SIGTERM and SIGHUP sent to zk-sync are
    /// passed on to the command. Without a command, holds the lock until SIGINT or SIGTERM.
    #[command(after_help = EXIT_CODES_HELP)]
    Lock(Lock),

    /// Run a command only while leading an election (Curator LeaderLatch protocol)
    ///
    /// Joins the election at PATH as ID, waits to lead, then runs the command with
    /// ZK_SYNC_ELECTION_PATH, ZK_SYNC_PARTICIPANT_ID and ZK_SYNC_FENCING_TOKEN in its
    /// environment, resigns and exits with the command's status. Loss of leadership is handled
    /// as a lost lock. Without a command, leads until SIGINT or SIGTERM. With --observe, prints
    /// every change of leader (including "no leader") instead of taking part.
    #[command(after_help = EXIT_CODES_HELP)]
    Elect(Elect),

    /// Show who holds and who waits under a lock, election or barrier path
    ///
    /// Understands Curator's and go-zookeeper's protected node names (`_c_<id>-lock-N`,
    /// `__READ__N`, `__WRIT__N`, `latch-N`) and plain children such as a double barrier's
    /// members and its `ready` node.
    #[command(after_help = EXIT_CODES_HELP)]
    Inspect(Inspect),

    /// Run a command while holding one of N permits (Curator InterProcessSemaphoreV2 protocol)
    ///
    /// Waits for a permit of the semaphore at PATH (at most --permits holders at once, across
    /// every process using the same maximum), runs the command with ZK_SYNC_SEMAPHORE_PATH,
    /// ZK_SYNC_PERMITS and ZK_SYNC_FENCING_TOKEN in its environment, gives the permit back and
    /// exits with the command's status. Supervision, signals and exit codes are those of
    /// `lock`. Without a command, holds the permit until SIGINT or SIGTERM.
    #[command(after_help = EXIT_CODES_HELP)]
    Semaphore(Semaphore),
}

/// `zk-sync semaphore`.
#[derive(Debug, Args)]
pub(crate) struct Semaphore {
    /// The semaphore's ZooKeeper path (holds its `locks` and `leases` directories)
    pub(crate) path: String,

    /// How many holders at once; every participant must use the same number
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) permits: u32,

    #[command(flatten)]
    pub(crate) run: RunOptions,
}

/// `zk-sync lock`.
#[derive(Debug, Args)]
pub(crate) struct Lock {
    /// The lock's ZooKeeper path (a directory of contender nodes)
    pub(crate) path: String,

    #[command(flatten)]
    pub(crate) run: RunOptions,
}

/// `zk-sync elect`.
#[derive(Debug, Args)]
pub(crate) struct Elect {
    /// The election's ZooKeeper path
    pub(crate) path: String,

    /// This participant's id, stored in its node (what observers and Curator see)
    #[arg(required_unless_present = "observe")]
    pub(crate) id: Option<String>,

    /// Print every change of leader instead of campaigning
    #[arg(long, conflicts_with_all = ["id", "command", "timeout"])]
    pub(crate) observe: bool,

    #[command(flatten)]
    pub(crate) run: RunOptions,
}

/// What `lock`, `elect` and `semaphore` share: the wait, the command and how to stop it.
#[derive(Debug, Args)]
pub(crate) struct RunOptions {
    /// Give up waiting after this long (exit 124); 0 means do not wait at all
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub(crate) timeout: Option<Duration>,

    /// After SIGTERM, how long the command may take to exit before SIGKILL
    /// [default: a quarter of the session timeout]
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub(crate) kill_after: Option<Duration>,

    /// The command and its arguments, after `--`
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

/// `zk-sync inspect`.
#[derive(Debug, Args)]
pub(crate) struct Inspect {
    /// The ZooKeeper path to look into
    pub(crate) path: String,

    /// Print JSON instead of a table
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_command_follows_the_double_dash() {
        let cli = Cli::try_parse_from(["zk-sync", "lock", "/a", "--", "echo", "-n", "hi"]).unwrap();
        let Command::Lock(lock) = cli.command else {
            panic!("not lock")
        };
        assert_eq!(lock.run.command, ["echo", "-n", "hi"]);
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "echo"]).is_err());
    }

    #[test]
    fn observe_needs_no_id_and_takes_no_command() {
        assert!(Cli::try_parse_from(["zk-sync", "elect", "/e", "--observe"]).is_ok());
        assert!(Cli::try_parse_from(["zk-sync", "elect", "/e"]).is_err());
        assert!(
            Cli::try_parse_from(["zk-sync", "elect", "/e", "--observe", "--", "true"]).is_err()
        );
    }
}
