//! The supervised command: spawned in its own process group, signalled, stopped.

use crate::exit::{Failure, CANNOT_EXECUTE, NOT_FOUND, OS_ERROR};
use std::io;
use std::os::unix::process::CommandExt as _;
use std::process::ExitStatus;
use std::time::Duration;

/// A running command.
///
/// Run from a script or a service, the command gets a process group of its own, so stopping it
/// stops everything it started too. Run from an interactive terminal, it stays in zk-sync's
/// process group (which the shell made the foreground job), so that it can read the terminal and
/// Ctrl-C and Ctrl-Z reach it as usual; then only the command's own process is signalled.
///
/// On Linux the command also gets SIGTERM if zk-sync itself dies.
#[derive(Debug)]
pub(crate) struct Child {
    process: tokio::process::Child,
    pid: libc::pid_t,
    own_group: bool,
}

/// How a stopped command ended.
#[derive(Debug)]
pub(crate) struct Stopped {
    /// Its exit status.
    pub(crate) status: ExitStatus,
    /// Whether it needed SIGKILL.
    pub(crate) killed: bool,
}

impl Child {
    /// Starts `argv` with `env` added to zk-sync's environment.
    pub(crate) fn spawn(argv: &[String], env: &[(&str, String)]) -> Result<Child, Failure> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| Failure::new(crate::exit::USAGE, "no command given"))?;
        let own_group = !in_foreground_of_a_terminal();
        let mut command = std::process::Command::new(program);
        command.args(args).envs(env.iter().map(|(k, v)| (k, v)));
        if own_group {
            command.process_group(0);
        }
        stop_with_parent(&mut command);
        let process = tokio::process::Command::from(command)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| spawn_failure(program, &error))?;
        let pid = process
            .id()
            .and_then(|id| libc::pid_t::try_from(id).ok())
            .ok_or_else(|| Failure::new(OS_ERROR, "the command exited before it was watched"))?;
        Ok(Child {
            process,
            pid,
            own_group,
        })
    }

    /// Waits for the command to exit.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub(crate) async fn wait(&mut self) -> Result<ExitStatus, Failure> {
        self.process
            .wait()
            .await
            .map_err(|e| Failure::new(OS_ERROR, format!("waiting for the command: {e}")))
    }

    /// Passes on a stop signal that zk-sync received. From a terminal, SIGINT already reached
    /// the command (same process group), so it is not sent twice.
    pub(crate) fn forward(&self, signal: i32) {
        if self.own_group || signal != libc::SIGINT {
            self.signal(signal);
        }
    }

    /// Sends `signal` to the command (its whole process group when it has one).
    fn signal(&self, signal: i32) {
        let target = if self.own_group { -self.pid } else { self.pid };
        // SAFETY: kill has no memory-safety preconditions. The pid is that of our child, which
        // has not been reaped while `self.process` is not known to have exited (and a process
        // group id stays reserved while any member lives).
        unsafe {
            libc::kill(target, signal);
        }
    }

    /// Stops the command: SIGTERM, then SIGKILL once `grace` has passed. Whatever else is left
    /// in its process group then is killed as well.
    pub(crate) async fn stop(&mut self, grace: Duration) -> Result<Stopped, Failure> {
        self.signal(libc::SIGTERM);
        let (status, killed) = match tokio::time::timeout(grace, self.wait()).await {
            Ok(status) => (status?, false),
            Err(_) => {
                self.signal(libc::SIGKILL);
                (self.wait().await?, true)
            }
        };
        if self.own_group {
            // Stragglers the command started; the group may well be empty (ESRCH).
            self.signal(libc::SIGKILL);
        }
        Ok(Stopped { status, killed })
    }
}

/// Makes the kernel send SIGTERM to the command if zk-sync dies (even by SIGKILL): nobody would
/// watch over its lock any more.
///
/// The signal is tied to the thread that spawns, so spawn only from the main thread (zk-sync
/// runs a current-thread runtime on it).
#[cfg(target_os = "linux")]
fn stop_with_parent(command: &mut std::process::Command) {
    // SAFETY: getpid before the fork; in the child only prctl, getppid and raise, which are
    // async-signal-safe, and no allocation.
    let parent = unsafe { libc::getpid() };
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            // zk-sync may have died before the prctl took effect.
            if libc::getppid() != parent {
                libc::raise(libc::SIGTERM);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn stop_with_parent(_command: &mut std::process::Command) {}

/// Whether zk-sync runs as the foreground job of a terminal (its stdin is that terminal).
fn in_foreground_of_a_terminal() -> bool {
    // SAFETY: isatty, tcgetpgrp and getpgrp only read process and terminal state.
    unsafe { libc::isatty(0) == 1 && libc::tcgetpgrp(0) == libc::getpgrp() }
}

fn spawn_failure(program: &str, error: &io::Error) -> Failure {
    match error.kind() {
        io::ErrorKind::NotFound => Failure::new(NOT_FOUND, format!("{program}: command not found")),
        io::ErrorKind::PermissionDenied => {
            Failure::new(CANNOT_EXECUTE, format!("{program}: permission denied"))
        }
        _ if error.raw_os_error() == Some(libc::ENOEXEC) => Failure::new(
            CANNOT_EXECUTE,
            format!("{program}: cannot execute: {error}"),
        ),
        _ => Failure::new(OS_ERROR, format!("cannot start {program}: {error}")),
    }
}
