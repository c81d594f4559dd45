//! `zk-sync completions SHELL`: a completion script on stdout.

use crate::cli::{Cli, Completions};
use clap::CommandFactory;

/// Prints the script; returns the exit code.
pub(super) fn run(completions: &Completions) -> u8 {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    clap_complete::generate(
        completions.shell,
        &mut command,
        name,
        &mut std::io::stdout(),
    );
    0
}
