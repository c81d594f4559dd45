//! The signals that ask zk-sync to stop: SIGINT, SIGTERM, SIGHUP.

use crate::exit::{Failure, OS_ERROR};
use tokio::signal::unix::{signal, Signal, SignalKind};

/// Receives stop signals from the moment it is created (replacing the default action, which
/// would kill zk-sync without releasing anything).
#[derive(Debug)]
pub(crate) struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    pub(crate) fn install() -> Result<StopSignals, Failure> {
        let listen = |kind: SignalKind| {
            signal(kind).map_err(|e| Failure::new(OS_ERROR, format!("cannot handle signals: {e}")))
        };
        Ok(StopSignals {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    /// The next stop signal's number.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a signal that arrives meanwhile is kept for the next call.
    pub(crate) async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => libc::SIGINT,
            _ = self.terminate.recv() => libc::SIGTERM,
            _ = self.hangup.recv() => libc::SIGHUP,
        }
    }
}

/// A signal's name, for messages.
pub(crate) fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGKILL => "SIGKILL",
        _ => "a signal",
    }
}
