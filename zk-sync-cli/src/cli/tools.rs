//! The arguments of the commands that only look: inspect, completions.

use crate::cli::Monitoring;
use clap::Args;

/// `zk-sync inspect`.
#[derive(Debug, Args)]
pub(crate) struct Inspect {
    /// The ZooKeeper path to look into
    pub(crate) path: String,

    /// Print JSON instead of a table (with --watch, one JSON object per line)
    #[arg(long)]
    pub(crate) json: bool,

    /// Print again on every change of the path's children, until SIGINT or SIGTERM
    #[arg(long)]
    pub(crate) watch: bool,

    #[command(flatten)]
    pub(crate) monitoring: Monitoring,
}

/// `zk-sync completions`.
#[derive(Debug, Args)]
pub(crate) struct Completions {
    /// The shell to complete for
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}
