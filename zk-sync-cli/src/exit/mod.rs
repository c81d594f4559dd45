//! Exit codes and the one-line failures that carry them.

mod cause;
mod table;

pub(crate) use table::help as codes_help;

use cause::{code_of, describe, Cause, When};
use std::fmt;
use std::process::ExitStatus;
use zk_sync_core::Error;

/// Bad command-line usage: unknown option, malformed value, missing argument.
pub(crate) const USAGE: u8 = 64;
/// An invalid ZooKeeper path (or one in ZooKeeper's reserved `/zookeeper` subtree) or connect
/// string, rejected before anything is sent.
pub(crate) const BAD_INPUT: u8 = 65;
/// The path to inspect, or the chroot of `--connect`, does not exist.
pub(crate) const NO_SUCH_PATH: u8 = 66;
/// ZooKeeper unavailable: no session within the connect timeout, or the session lost while
/// waiting, before anything was held.
pub(crate) const UNAVAILABLE: u8 = 69;
/// A bug in zk-sync.
pub(crate) const INTERNAL: u8 = 70;
/// The operating system refused something (spawning, signals, the metrics listener).
pub(crate) const OS_ERROR: u8 = 71;
/// A hold (lock, leadership, semaphore permit, place in a barrier) was lost: before the
/// command started; while it ran, or became uncertain, or was revoked (`lock --revocable`),
/// and the command was stopped; while held without a command; or when given back after the
/// command finished normally, whose status is then not reported.
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

    /// A failure from a library error met while doing `what` (e.g. "locking /a").
    pub(crate) fn zk<'e>(what: &str, error: impl Into<Cause<'e>>) -> Failure {
        let cause = error.into();
        Failure::new(
            code_of(cause, When::NothingHeld),
            format!("{what}: {}", describe(cause)),
        )
    }

    /// A failure from a library error that says enough by itself.
    pub(crate) fn from_zk<'e>(error: impl Into<Cause<'e>>) -> Failure {
        let cause = error.into();
        Failure::new(code_of(cause, When::NothingHeld), describe(cause))
    }

    /// A failure from giving `what` back after the run (unlock, resign, release): a hold
    /// lost by then is reported as lost ([`HOLD_LOST`]), whatever the command's status was.
    pub(crate) fn giving_back(what: &str, error: &Error) -> Failure {
        let cause = Cause::Core(error);
        let code = code_of(cause, When::GivingBack);
        let message = if code == HOLD_LOST {
            format!(
                "{what} was lost before it was released ({})",
                describe(cause)
            )
        } else {
            format!("releasing {what}: {}", describe(cause))
        };
        Failure::new(code, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever the message holds.
        let line = self.message.replace('\n', " ");
        f.write_str(&line)
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

#[cfg(test)]
mod tests {
    use super::*;
    use zk_sync_core::ZkErrorCode;

    #[test]
    fn a_hold_found_lost_when_given_back_is_75_and_other_trouble_keeps_its_code() {
        let lost = Failure::giving_back("the lock on /a", &Error::SessionLost);
        assert_eq!(lost.code(), HOLD_LOST);
        assert_eq!(
            lost.to_string(),
            "the lock on /a was lost before it was released (ZooKeeper session lost)"
        );
        let refused = Error::zk("delete", "/a/n", ZkErrorCode::NoAuth);
        let refused = Failure::giving_back("the lock on /a", &refused);
        assert_eq!(refused.code(), NO_PERMISSION);
        assert!(
            refused
                .to_string()
                .starts_with("releasing the lock on /a: "),
            "{refused}"
        );
    }
}
