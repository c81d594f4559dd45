//! `zk-sync completions SHELL`: a completion script on stdout.

use crate::cli::{Cli, Completions};
use clap::CommandFactory;

/// Prints the script; returns the exit code.
pub(super) fn run(completions: &Completions) -> u8 {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(completions.shell, &mut command, name, &mut script);
    // A reader that stops early (`| head`) is not an error of ours.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), &script);
    0
}
