//! `zk-sync`: run a shell command under a distributed lock or leadership on Apache ZooKeeper,
//! and inspect who holds what.
//!
//! ```text
//! zk-sync lock /locks/nightly -- ./nightly-job.sh
//! zk-sync elect /election/cron node-1 -- ./scheduler
//! zk-sync lock /locks/config --read -- ./read-config.sh
//! zk-sync elect /election/cron --observe --json
//! zk-sync barrier /barriers/job-42 --count 3 -- ./step.sh
//! zk-sync inspect /locks/nightly --watch
//! ```
//!
//! Exit codes are listed in `zk-sync --help`.

mod child;
mod cli;
mod commands;
mod connect;
mod duration;
mod exit;
mod metrics;
mod moment;
mod say;
mod signals;
mod supervise;

use clap::error::ErrorKind;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("zk-sync: internal error: {info}");
        std::process::exit(exit::INTERNAL.into());
    }));
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    say::set_level(match (cli.output.quiet, cli.output.verbose) {
        (true, _) => say::Level::Quiet,
        (_, true) => say::Level::Verbose,
        _ => say::Level::Normal,
    });
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("zk-sync: cannot start: {error}");
            return ExitCode::from(exit::OS_ERROR);
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // Without waiting for blocking tasks: a host lookup still in the resolver must not hold
    // the exit back (the session is closed by then).
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("zk-sync: {failure}");
            ExitCode::from(failure.code())
        }
    }
}

/// Help and version go to stdout as clap prints them; a usage error becomes one line.
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "zk-sync: {} (see zk-sync --help)",
                one_line(&error.to_string())
            );
            ExitCode::from(exit::USAGE)
        }
    }
}

/// clap's message up to its usage section, on one line.
fn one_line(message: &str) -> String {
    let mut line = String::new();
    let parts = message
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty());
    for part in parts {
        let part = part.strip_prefix("error: ").unwrap_or(part);
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    if line.is_empty() {
        line.push_str("bad usage");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn clap_messages_fit_on_one_line() {
        let missing = "error: the following required arguments were not provided:\n  <PATH>\n\nUsage: zk-sync lock <PATH>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(missing),
            "the following required arguments were not provided: <PATH>"
        );
        let tip = "error: unexpected argument 'echo' found\n\n  tip: to pass 'echo' as a value, use '-- echo'\n\nUsage: x\n";
        assert_eq!(
            one_line(tip),
            "unexpected argument 'echo' found; tip: to pass 'echo' as a value, use '-- echo'"
        );
    }
}
