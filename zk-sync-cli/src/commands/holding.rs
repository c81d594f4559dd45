//! Holding a lock, leadership or permit: saying so, running the command meanwhile, and giving
//! the hold back.

use crate::cli::{Connection, RunOptions};
use crate::exit::Failure;
use crate::say;
use crate::signals::StopSignals;
use crate::supervise::{self, Held};
use std::future::Future;
use std::time::Duration;
use zk_sync_core::Error;

/// Says that `what` is held, the same way for every recipe.
pub(super) fn say_holding(what: &str, token: impl std::fmt::Display, run: &RunOptions) {
    let release = if run.command.is_empty() {
        "; SIGINT or SIGTERM releases it"
    } else {
        ""
    };
    say::note(&format!("holding {what} (fencing token {token}){release}"));
}

/// Runs `run`'s command with `env` while `held` is valid, or without a command holds until
/// a stop signal (exit 0); the caller then gives the hold back.
pub(super) async fn run_while_held(
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

/// Gives `what` back once the run is over; `release` is the guard's unlock, resign or
/// release. A hold found lost by then fails the run (see [`Failure::giving_back`]), whatever
/// the command's own status was.
pub(super) async fn give_back(
    what: &str,
    release: impl Future<Output = Result<(), Error>>,
) -> Result<(), Failure> {
    release
        .await
        .map_err(|error| Failure::giving_back(what, &error))?;
    say::detail(&format!("released {what}"));
    Ok(())
}

/// The grace period between SIGTERM and SIGKILL: as asked, or a quarter of the session
/// timeout, so that the command is gone well before the server can expire the session and
/// let someone else in.
fn grace(connection: &Connection, kill_after: Option<Duration>) -> Duration {
    kill_after.unwrap_or(connection.session_timeout / 4)
}
