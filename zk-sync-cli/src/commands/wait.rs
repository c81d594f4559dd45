//! Waiting to acquire: giving up after `--timeout` or on a stop signal, saying who holds once
//! the wait lasts, and the single try of `--timeout 0`.

use super::holders::{self, Who};
use crate::exit::{self, Failure, INTERNAL, TIMED_OUT};
use crate::moment::after_a_moment;
use crate::signals::{self, StopSignals};
use crate::{duration, say};
use std::future::Future;
use std::time::Duration;
use zk_sync_core::{Error, Session, TryLockError};
use zk_sync_semaphore::TryAcquireError;

/// What a command waits for, for the lines about the wait.
#[derive(Debug, Clone, Copy)]
pub(super) struct Wait<'a> {
    /// "the lock on /a", "the leadership of /e".
    pub(super) what: &'a str,
    /// Where its holders are.
    pub(super) session: &'a Session,
    pub(super) path: &'a str,
    /// Who to name while waiting.
    pub(super) who: Who,
    /// `--timeout`.
    pub(super) timeout: Option<Duration>,
}

/// Why a single try came back without the hold, whichever recipe tried.
#[derive(Debug)]
pub(super) enum NotTaken {
    /// Held by others, or others queue ahead.
    Busy,
    /// ZooKeeper could not be asked.
    Failed(Error),
    /// A reason this zk-sync does not know (the libraries' try errors are non-exhaustive).
    Unknown(String),
}

impl From<TryLockError> for NotTaken {
    fn from(error: TryLockError) -> NotTaken {
        match error {
            TryLockError::WouldBlock => NotTaken::Busy,
            TryLockError::Error(error) => NotTaken::Failed(error),
            other => NotTaken::Unknown(other.to_string()),
        }
    }
}

impl From<TryAcquireError> for NotTaken {
    fn from(error: TryAcquireError) -> NotTaken {
        match error {
            TryAcquireError::NoPermits => NotTaken::Busy,
            TryAcquireError::Error(error) => NotTaken::Failed(error),
            other => NotTaken::Unknown(other.to_string()),
        }
    }
}

impl Wait<'_> {
    /// The failure of a wait that ran out of `--timeout` (or of the try of `--timeout 0`),
    /// naming who holds.
    async fn timed_out(&self) -> Failure {
        let timeout = self.timeout.unwrap_or_default();
        let tried = if timeout.is_zero() {
            ": tried once, as --timeout 0 asks"
        } else {
            ""
        };
        Failure::new(
            TIMED_OUT,
            format!(
                "timed out after {} waiting for {}{}{tried}",
                duration::show(timeout),
                self.what,
                holders::describe(self.session, self.path, self.who).await
            ),
        )
    }

    /// Takes the hold as `--timeout` asks: `0` tries once (`try_once`) and fails at once with
    /// exit 124 when it is taken; anything else waits for `acquire` (see
    /// [`acquire`](Self::acquire)). ZooKeeper's errors are reported as met while `doing`.
    pub(super) async fn take<T, E: Into<NotTaken>>(
        &self,
        acquire: impl Future<Output = Result<T, Error>>,
        try_once: impl Future<Output = Result<T, E>>,
        doing: &str,
        signals: &mut StopSignals,
    ) -> Result<T, Failure> {
        if !self.timeout.is_some_and(|t| t.is_zero()) {
            let acquire = async { acquire.await.map_err(|e| Failure::zk(doing, &e)) };
            return self.acquire(acquire, signals).await;
        }
        match try_once.await.map_err(Into::into) {
            Ok(held) => Ok(held),
            Err(NotTaken::Busy) => Err(self.timed_out().await),
            Err(NotTaken::Failed(error)) => Err(Failure::zk(doing, &error)),
            Err(NotTaken::Unknown(why)) => Err(Failure::new(INTERNAL, format!("{doing}: {why}"))),
        }
    }

    /// Waits for `acquire` to finish, giving up after the timeout (exit 124) or on a stop
    /// signal (exit 128 + N). Says who holds once the wait lasts more than a moment.
    /// Dropping `acquire` withdraws from the queue.
    pub(super) async fn acquire<T>(
        &self,
        acquire: impl Future<Output = Result<T, Failure>>,
        signals: &mut StopSignals,
    ) -> Result<T, Failure> {
        // Pinned out here, so that it still holds its place while the timeout names who
        // holds (a barrier counts its own member node).
        tokio::pin!(acquire);
        let deadline = async {
            match self.timeout {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        let waited = async {
            tokio::select! {
                biased;
                acquired = &mut acquire => acquired,
                () = deadline => Err(self.timed_out().await),
                signal = signals.recv() => Err(Failure::new(
                    exit::of_signal(signal),
                    format!("{} while waiting for {}: gave up", signals::name(signal), self.what),
                )),
            }
        };
        let say = async {
            let state = holders::describe(self.session, self.path, self.who).await;
            say::note(&format!("waiting for {}{state}", self.what));
        };
        after_a_moment(waited, say).await
    }
}
