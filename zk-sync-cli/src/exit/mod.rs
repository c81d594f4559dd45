//! Exit codes and the one-line failures that carry them.

mod table;

pub(crate) use table::help as codes_help;

use std::fmt;
use std::process::ExitStatus;
use zk_sync_core::{Error, InvalidArgument, ZkErrorCode};

/// Bad command-line usage: unknown option, malformed value, missing argument.
pub(crate) const USAGE: u8 = 64;
/// An invalid ZooKeeper path (or one in ZooKeeper's reserved `/zookeeper` subtree) or connect
/// string, rejected before anything is sent.
pub(crate) const BAD_INPUT: u8 = 65;
/// The path to inspect, or the chroot of `--connect`, does not exist.
pub(crate) const NO_SUCH_PATH: u8 = 66;
/// ZooKeeper unavailable: no session within the connect timeout, or the session was lost
/// before the command could start.
pub(crate) const UNAVAILABLE: u8 = 69;
/// A bug in zk-sync.
pub(crate) const INTERNAL: u8 = 70;
/// The operating system refused something (spawning, signals, the metrics listener).
pub(crate) const OS_ERROR: u8 = 71;
/// The lock or leadership became uncertain, was lost, or was revoked (`lock --revocable`)
/// while the command ran; the command was stopped.
pub(crate) const HOLD_LOST: u8 = 75;
/// ZooKeeper refused a request for another reason.
pub(crate) const ZOOKEEPER: u8 = 76;
/// Permission denied: authentication failed, or an ACL forbids the request.
pub(crate) const NO_PERMISSION: u8 = 77;
/// `--timeout` elapsed while waiting for a lock, leadership, a permit or a barrier's other
/// participants (as `timeout(1)`).
pub(crate) const TIMED_OUT: u8 = 124;
/// The command was found but could not be executed.
pub(crate) const CANNOT_EXECUTE: u8 = 126;
/// The command was not found.
pub(crate) const NOT_FOUND: u8 = 127;

/// Something went wrong: one line for stderr, and the exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// The exit code.
    pub(crate) fn code(&self) -> u8 {
        self.code
    }

    /// A failure from a ZooKeeper error met while doing `what` (e.g. "locking /a").
    pub(crate) fn zk(what: &str, error: &Error) -> Failure {
        Failure::new(code_of(error), format!("{what}: {}", describe(error)))
    }

    /// A failure from a ZooKeeper error that says enough by itself.
    pub(crate) fn from_zk(error: &Error) -> Failure {
        Failure::new(code_of(error), describe(error))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever the message holds.
        let line = self.message.replace('\n', " ");
        f.write_str(&line)
    }
}

/// An error's text, without the "invalid argument" preamble.
fn describe(error: &Error) -> String {
    match error {
        Error::InvalidArgument(why) => why.to_string(),
        other => other.to_string(),
    }
}

/// The exit code for a ZooKeeper error.
fn code_of(error: &Error) -> u8 {
    if error.is_no_auth() {
        return NO_PERMISSION;
    }
    match error {
        Error::InvalidArgument(
            InvalidArgument::ConnectString(_)
            | InvalidArgument::EmptyPath
            | InvalidArgument::RelativePath(_)
            | InvalidArgument::TrailingSlash(_)
            | InvalidArgument::EmptySegment(_)
            | InvalidArgument::RelativeSegment(_)
            | InvalidArgument::ForbiddenCharacter(_)
            | InvalidArgument::RootPath,
        ) => BAD_INPUT,
        Error::InvalidArgument(_) => USAGE,
        Error::Connect { .. } | Error::SessionLost | Error::Closed => UNAVAILABLE,
        Error::Zk {
            code: ZkErrorCode::ConnectionLoss | ZkErrorCode::Timeout,
            ..
        } => UNAVAILABLE,
        _ => ZOOKEEPER,
    }
}

/// The exit code that reports a command's status: its own code, or 128 + the signal that
/// killed it (as shells do).
pub(crate) fn of_status(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(signal)) => 128u8.saturating_add(signal as u8),
        (None, None) => INTERNAL,
    }
}

/// The exit code for zk-sync itself being stopped by `signal` (128 + N).
pub(crate) fn of_signal(signal: i32) -> u8 {
    128u8.saturating_add(signal as u8)
}
