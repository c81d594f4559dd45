//! The arguments of the commands that take part in a recipe: lock, elect, semaphore, barrier.

use crate::duration;
use clap::Args;
use std::net::SocketAddr;
use std::time::Duration;

/// `zk-sync lock`.
#[derive(Debug, Args)]
pub(crate) struct Lock {
    /// The lock's ZooKeeper path (a directory of contender nodes)
    pub(crate) path: String,

    /// Take the read side of the reader-writer lock at PATH: shared with other readers,
    /// excluded by a writer. Pairs with `lock --write`, not with plain `lock`
    #[arg(long, conflicts_with = "write")]
    pub(crate) read: bool,

    /// Take the write side of the reader-writer lock at PATH: excludes readers and writers.
    /// Pairs with `lock --read`, not with plain `lock`
    #[arg(long)]
    pub(crate) write: bool,

    /// Store ID in the lock node (as Curator stores its host address), for `inspect` and for
    /// those waiting behind this holder
    #[arg(long, value_name = "ID", conflicts_with_all = ["read", "write"])]
    pub(crate) id: Option<String>,

    /// Let go when asked (`zk-sync revoke PATH`, Curator's Revoker): the command is stopped as
    /// for a lost lock (exit 75); without a command, the lock is released (exit 0)
    #[arg(long, conflicts_with_all = ["read", "write"])]
    pub(crate) revocable: bool,

    #[arg(long, value_name = "DURATION", help = duration::help(TIMEOUT_OR_TRY_ONCE), value_parser = duration::parse, allow_hyphen_values = true)]
    pub(crate) timeout: Option<Duration>,

    #[command(flatten)]
    pub(crate) run: RunOptions,
}

/// `--timeout` of `lock` and `semaphore`, which can take without waiting.
const TIMEOUT_OR_TRY_ONCE: &str =
    "Give up waiting after this long (exit 124); 0 means try once without waiting";

/// `zk-sync revoke`.
#[derive(Debug, Args)]
pub(crate) struct Revoke {
    /// The lock's ZooKeeper path, as given to `zk-sync lock`
    pub(crate) path: String,
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

    /// With --observe: one JSON object per line, with the time of the change
    #[arg(long, requires = "observe")]
    pub(crate) json: bool,

    #[arg(long, value_name = "DURATION", help = duration::help("Give up waiting to lead after this long (exit 124)"), value_parser = duration::parse_positive, allow_hyphen_values = true)]
    pub(crate) timeout: Option<Duration>,

    #[command(flatten)]
    pub(crate) run: RunOptions,
}

/// `zk-sync semaphore`.
#[derive(Debug, Args)]
pub(crate) struct Semaphore {
    /// The semaphore's ZooKeeper path (holds its `locks` and `leases` directories)
    pub(crate) path: String,

    /// How many holders at once; every participant must use the same number
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) permits: u32,

    #[arg(long, value_name = "DURATION", help = duration::help(TIMEOUT_OR_TRY_ONCE), value_parser = duration::parse, allow_hyphen_values = true)]
    pub(crate) timeout: Option<Duration>,

    #[command(flatten)]
    pub(crate) run: RunOptions,
}

/// `zk-sync barrier`.
#[derive(Debug, Args)]
pub(crate) struct Barrier {
    /// The barrier's ZooKeeper path
    pub(crate) path: String,

    /// How many participants enter together; every participant must use the same number
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) count: u32,

    #[arg(long, value_name = "DURATION", help = duration::help("Give up waiting for the others, to enter or to leave, after this long (exit 124)"), value_parser = duration::parse_positive, allow_hyphen_values = true)]
    pub(crate) timeout: Option<Duration>,

    #[command(flatten)]
    pub(crate) monitoring: Monitoring,

    /// The command and its arguments, after `--`
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

/// What `lock`, `elect` and `semaphore` share: the command and how to stop it.
#[derive(Debug, Args)]
pub(crate) struct RunOptions {
    #[arg(long, value_name = "DURATION", help = format!("{} [default: a quarter of the session timeout]", duration::help("After SIGTERM, how long the command may take to exit before SIGKILL")), value_parser = duration::parse, allow_hyphen_values = true)]
    pub(crate) kill_after: Option<Duration>,

    #[command(flatten)]
    pub(crate) monitoring: Monitoring,

    /// The command and its arguments, after `--`
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

/// Metrics for the commands that run for long.
#[derive(Debug, Args)]
pub(crate) struct Monitoring {
    /// Serve Prometheus metrics (zk_sync_*) on http://HOST:PORT/metrics while running
    #[arg(long, value_name = "HOST:PORT", value_parser = crate::metrics::parse_address)]
    pub(crate) metrics_addr: Option<SocketAddr>,
}
