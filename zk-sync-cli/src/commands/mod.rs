//! One module per subcommand, and the steps they share: waiting to acquire, running the
//! command while held.

mod barrier;
mod completions;
mod elect;
mod holders;
mod inspect;
mod lock;
mod observe;
mod revoke;
mod runner;
mod semaphore;

use crate::cli::{Cli, Command, Connection, RunOptions};
use crate::connect::MOMENT;
use crate::exit::{self, Failure, TIMED_OUT};
use crate::signals::{self, StopSignals};
use crate::supervise::{self, Held};
use crate::{duration, say};
use holders::Who;
use std::future::Future;
use std::time::Duration;
use zk_sync_core::Session;

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

/// The grace period between SIGTERM and SIGKILL: as asked, or a quarter of the session
/// timeout, so that the command is gone well before the server can expire the session and
/// let someone else in.
fn grace(connection: &Connection, kill_after: Option<Duration>) -> Duration {
    kill_after.unwrap_or(connection.session_timeout / 4)
}

/// Says that `what` is held, the same way for every recipe.
fn say_holding(what: &str, token: impl std::fmt::Display, run: &RunOptions) {
    let release = if run.command.is_empty() {
        "; SIGINT or SIGTERM releases it"
    } else {
        ""
    };
    say::note(&format!("holding {what} (fencing token {token}){release}"));
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

/// What a command waits for, for the lines about the wait.
#[derive(Debug, Clone, Copy)]
struct Wait<'a> {
    /// "the lock on /a", "the leadership of /e".
    what: &'a str,
    /// Where its holders are.
    session: &'a Session,
    path: &'a str,
    /// Who to name while waiting.
    who: Who,
    /// `--timeout`.
    timeout: Option<Duration>,
}

impl Wait<'_> {
    /// The failure of a wait that ran out of `--timeout` (or of a try, for `--timeout 0`),
    /// naming who holds.
    async fn timed_out(&self) -> Failure {
        Failure::new(
            TIMED_OUT,
            format!(
                "timed out after {} waiting for {}{}",
                duration::show(self.timeout.unwrap_or_default()),
                self.what,
                holders::describe(self.session, self.path, self.who).await
            ),
        )
    }

    /// Waits for `acquire` to finish, giving up after the timeout (exit 124) or on a stop
    /// signal (exit 128 + N). Says who holds once the wait lasts more than a moment.
    /// Dropping `acquire` withdraws from the queue.
    async fn acquire<T>(
        &self,
        acquire: impl Future<Output = Result<T, Failure>>,
        signals: &mut StopSignals,
    ) -> Result<T, Failure> {
        tokio::pin!(acquire);
        let deadline = async {
            match self.timeout {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(deadline);
        let moment = tokio::time::sleep(MOMENT);
        tokio::pin!(moment);
        let mut said = false;
        loop {
            tokio::select! {
                biased;
                acquired = &mut acquire => return acquired,
                () = &mut deadline => return Err(self.timed_out().await),
                signal = signals.recv() => return Err(Failure::new(
                    exit::of_signal(signal),
                    format!("{} while waiting for {}: gave up", signals::name(signal), self.what),
                )),
                () = &mut moment, if !said => {
                    said = true;
                    let state = holders::describe(self.session, self.path, self.who).await;
                    say::note(&format!("waiting for {}{state}", self.what));
                }
            }
        }
    }
}
