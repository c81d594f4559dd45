//! One module per subcommand, and the steps they share: the set-up around a session,
//! waiting to acquire, holding.

mod barrier;
mod completions;
mod elect;
mod holders;
mod holding;
mod inspect;
mod lock;
mod observe;
mod revoke;
mod runner;
mod semaphore;
mod wait;

use crate::cli::{Cli, Command};
use crate::exit::Failure;

/// Runs the parsed command line; returns the exit code.
pub(crate) async fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Lock(lock) => lock::run(&cli.connection, lock).await,
        Command::Revoke(revoke) => revoke::run(&cli.connection, &revoke).await,
        Command::Elect(elect) if elect.observe => observe::run(&cli.connection, &elect).await,
        Command::Elect(elect) => elect::run(&cli.connection, elect).await,
        Command::Semaphore(semaphore) => semaphore::run(&cli.connection, semaphore).await,
        Command::Barrier(barrier) => barrier::run(&cli.connection, barrier).await,
        Command::Inspect(inspect) => inspect::run(&cli.connection, inspect).await,
        Command::Completions(completions) => Ok(completions::run(&completions)),
    }
}
