//! Running a command while a hold (lock or leadership) is valid, and stopping it when not.

use crate::child::Child;
use crate::exit::{self, Failure, HOLD_LOST};
use crate::say;
use crate::signals::{self, StopSignals};
use std::time::Duration;
use zk_sync_core::{Hold, SessionState};

/// What is held, for messages: "the lock on /a", "the leadership of /e".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held<'a> {
    pub(crate) hold: &'a Hold,
    pub(crate) what: &'a str,
    /// Whether to let go when someone asks (`lock --revocable`, Curator's `makeRevocable`).
    pub(crate) revocable: bool,
}

impl Held<'_> {
    /// Resolves once someone asked to revoke the hold, if it lets itself be revoked; pends
    /// otherwise.
    async fn revoked(&self) {
        if self.revocable {
            self.hold.revoke_requested().await;
        } else {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs `argv` while `held` is valid; returns the exit code to leave with once the command
/// exited by itself (the caller then releases the hold).
///
/// Stop signals zk-sync receives are passed on to the command. If the hold becomes uncertain
/// or is lost, or is revoked while revocable, the command is stopped (SIGTERM, SIGKILL after
/// `grace`) and this fails with [`HOLD_LOST`].
pub(crate) async fn run_command(
    held: Held<'_>,
    argv: &[String],
    env: &[(&str, String)],
    grace: Duration,
    signals: &mut StopSignals,
) -> Result<u8, Failure> {
    let mut child = Child::spawn(argv, env)?;
    let why = loop {
        tokio::select! {
            biased;
            () = held.hold.uncertain() => break trouble(held.hold),
            reason = held.hold.lost() => break format!("was lost ({reason})"),
            () = held.revoked() => break "was revoked (someone asked it to let go)".to_owned(),
            signal = signals.recv() => child.forward(signal),
            status = child.wait() => return Ok(exit::of_status(status?)),
        }
    };
    let stopped = child.stop(grace).await?;
    let how = if stopped.killed {
        format!(
            "killed the command with SIGKILL after {}",
            crate::duration::show(grace)
        )
    } else {
        format!(
            "stopped the command with SIGTERM ({})",
            describe(stopped.status)
        )
    };
    Err(Failure::new(
        HOLD_LOST,
        format!("{} {why}: {how}", held.what),
    ))
}

/// Runs `argv` with nothing to guard (a barrier's work): stop signals zk-sync receives are
/// passed on; returns the exit code that reports the command's status.
pub(crate) async fn run_unguarded(
    argv: &[String],
    env: &[(&str, String)],
    signals: &mut StopSignals,
) -> Result<u8, Failure> {
    let mut child = Child::spawn(argv, env)?;
    loop {
        tokio::select! {
            signal = signals.recv() => child.forward(signal),
            status = child.wait() => return Ok(exit::of_status(status?)),
        }
    }
}

/// Holds until a stop signal, or a revocation while revocable; fails with [`HOLD_LOST`] if
/// the hold is lost first. Reports suspensions and reconnections on stderr meanwhile.
pub(crate) async fn hold_until_signal(
    held: Held<'_>,
    signals: &mut StopSignals,
) -> Result<(), Failure> {
    let mut status = held.hold.session().watch_status();
    loop {
        tokio::select! {
            biased;
            reason = held.hold.lost() => {
                return Err(Failure::new(HOLD_LOST, format!("{} was lost ({reason})", held.what)));
            }
            signal = signals.recv() => {
                say::note(&format!("{}: releasing {}", signals::name(signal), held.what));
                return Ok(());
            }
            () = held.revoked() => {
                say::note(&format!("asked to let go: releasing {}", held.what));
                return Ok(());
            }
            () = held.hold.uncertain() => {
                say::warning(&format!("{} {}", held.what, trouble(held.hold)));
                // Until the connection returns (or the hold's end is seen by `lost`).
                let epoch = held.hold.epoch();
                let connected = status.wait_for(|s| s.has_ended(epoch) || (s.epoch == epoch && s.state.is_connected()));
                // Connected again is not enough: the server must have answered (the hold's
                // lease is young again).
                let back = async {
                    let _ = connected.await;
                    while held.hold.is_uncertain() && !held.hold.is_lost() {
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                };
                tokio::select! {
                    _ = back => {}
                    reason = held.hold.lost() => {
                        return Err(Failure::new(HOLD_LOST, format!("{} was lost ({reason})", held.what)));
                    }
                }
                if !held.hold.is_lost() {
                    say::note(&format!("connection to ZooKeeper restored: still holding {}", held.what));
                }
            }
        }
    }
}

/// Why an uncertain hold can no longer be trusted.
fn trouble(hold: &Hold) -> String {
    if hold.is_lost() {
        let state = hold.session().status().state;
        let reason = if state == SessionState::Closed {
            "session closed"
        } else {
            "ZooKeeper session lost"
        };
        format!("was lost ({reason})")
    } else if hold.session().status().state == SessionState::Suspended {
        "may be lost (connection to ZooKeeper suspended)".to_owned()
    } else {
        "may be lost (no reply from ZooKeeper for two thirds of the session timeout)".to_owned()
    }
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("it exited with {code}"),
        (None, Some(signal)) => format!("it ended by {}", signals::name(signal)),
        _ => "it ended".to_owned(),
    }
}
