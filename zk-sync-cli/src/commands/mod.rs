//! One module per subcommand.

mod elect;
mod inspect;
mod lock;
mod observe;
mod semaphore;

use crate::cli::{Cli, Command, Connection, RunOptions};
use crate::exit::{self, Failure, TIMED_OUT};
use crate::signals::{self, StopSignals};
use crate::supervise::{self, Held};
use std::future::Future;
use std::time::Duration;

/// Runs the parsed command line; returns the exit code.
pub(crate) async fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Lock(lock) => lock::run(&cli.connection, lock).await,
        Command::Elect(elect) if elect.observe => observe::run(&cli.connection, &elect.path).await,
        Command::Elect(elect) => elect::run(&cli.connection, elect).await,
        Command::Inspect(inspect) => inspect::run(&cli.connection, inspect).await,
        Command::Semaphore(semaphore) => semaphore::run(&cli.connection, semaphore).await,
    }
}

/// The grace period between SIGTERM and SIGKILL: as asked, or a quarter of the session
/// timeout, so that the command is gone well before the server can expire the session and
/// let someone else in.
fn grace(connection: &Connection, kill_after: Option<Duration>) -> Duration {
    kill_after.unwrap_or(connection.session_timeout / 4)
}

/// Runs `run`'s command with `env` while `held` is valid, or without a command holds until
/// a stop signal (exit 0); the caller then releases the hold.
async fn run_while_held(
    connection: &Connection,
    run: &RunOptions,
    held: Held<'_>,
    env: &[(&str, String)],
    signals: &mut StopSignals,
) -> Result<u8, Failure> {
    if run.command.is_empty() {
        supervise::hold_until_signal(held, signals).await?;
        return Ok(0);
    }
    let grace = grace(connection, run.kill_after);
    supervise::run_command(held, &run.command, env, grace, signals).await
}

/// Waits for `acquire` to finish, giving up after `timeout` (exit 124) or on a stop signal
/// (exit 128 + N). Dropping `acquire` withdraws from the queue.
async fn acquire<T>(
    acquire: impl Future<Output = Result<T, Failure>>,
    what: &str,
    timeout: Option<Duration>,
    signals: &mut StopSignals,
) -> Result<T, Failure> {
    let deadline = async {
        match timeout {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        acquired = acquire => acquired,
        () = deadline => Err(Failure::new(
            TIMED_OUT,
            format!("timed out after {:?} waiting for {what}", timeout.unwrap_or_default()),
        )),
        signal = signals.recv() => Err(Failure::new(
            exit::of_signal(signal),
            format!("{} while waiting for {what}: gave up", signals::name(signal)),
        )),
    }
}
