//! [`Error`]: one error type for every primitive, so `?` works across all of them.

use zk_sync_core::contender::LossReason;
use zk_sync_core::{InvalidArgument, TryLockError};

/// Any error of a zk-sync primitive or of the [`Session`](crate::Session) they share.
///
/// Every primitive's error converts into it, so one function can `?` a mutex, an election and
/// a barrier alike:
///
/// | from | becomes |
/// |---|---|
/// | [`ZkError`](crate::ZkError) (sessions, paths, the server: what the mutex, rwlock, election and semaphore return) | [`Error::Zk`] |
/// | [`InvalidArgument`] | [`Error::Zk`] |
/// | [`TryLockError`] (`try_lock`, `try_read`, `try_write`) | [`Error::TryLock`], or [`Error::Zk`] for ZooKeeper trouble |
/// | `TryAcquireError` (`DistSemaphore::try_acquire`) | [`Error::TryAcquire`], or [`Error::Zk`] for ZooKeeper trouble |
/// | `BarrierError` (`DoubleBarrier`, `Barrier`) | [`Error::Barrier`], or [`Error::Zk`] for ZooKeeper trouble |
/// | `Interrupted` (`Leadership::run_while_leader`) | [`Error::Interrupted`] |
/// | [`LossReason`] (`Leadership::certain`, a guard's `lost()`) | [`Error::HoldLost`] |
///
/// ZooKeeper trouble always ends up in [`Error::Zk`], whichever primitive met it. Rather than
/// matching variants, ask the error what happened, as with hyper's errors:
/// [`is_session_lost`](Self::is_session_lost), [`is_hold_lost`](Self::is_hold_lost),
/// [`is_would_block`](Self::is_would_block), [`is_invalid_argument`](Self::is_invalid_argument)
/// and the others below.
///
/// # Examples
///
/// ```
/// use zk_sync::{Error, InvalidArgument, LossReason, TryLockError};
///
/// let busy = Error::from(TryLockError::WouldBlock);
/// assert!(busy.is_would_block());
/// assert_eq!(busy.to_string(), "lock is held elsewhere");
///
/// let gone = Error::from(LossReason::SessionLost);
/// assert!(gone.is_session_lost() && gone.is_hold_lost());
///
/// let bad = Error::from(InvalidArgument::RootPath);
/// assert!(bad.is_invalid_argument());
/// assert_eq!(bad.invalid_argument(), Some(&InvalidArgument::RootPath));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Sessions, paths and the server: the error every primitive meets ZooKeeper with (an
    /// invalid path, a lost or closed session, a refused request, …).
    #[error(transparent)]
    Zk(zk_sync_core::Error),
    /// A `try_lock`, `try_read` or `try_write` found the lock held elsewhere. Never
    /// [`TryLockError::Error`]: that is [`Error::Zk`].
    #[error(transparent)]
    TryLock(TryLockError),
    /// A semaphore's `try_acquire` found no permits free. Never `TryAcquireError::Error`: that
    /// is [`Error::Zk`].
    #[cfg(feature = "semaphore")]
    #[error(transparent)]
    TryAcquire(zk_sync_semaphore::TryAcquireError),
    /// A barrier was misused (entered twice, left without entering, zero participants) or
    /// lost its member node. Never `BarrierError::Zk`: that is [`Error::Zk`].
    #[cfg(feature = "barrier")]
    #[error(transparent)]
    Barrier(zk_sync_barrier::Error),
    /// A leader's job was stopped because its leadership became uncertain or was lost.
    #[cfg(feature = "election")]
    #[error(transparent)]
    Interrupted(zk_sync_election::Interrupted),
    /// A hold (a guard, a permit, a leadership) was lost before it was released.
    #[error("hold lost: {0}")]
    HoldLost(LossReason),
}

impl Error {
    /// Whether the ZooKeeper session (and so every hold taken in it) is gone: it expired, or
    /// ZooKeeper had not answered for a whole session timeout (the local lease ran out). A
    /// barrier's `MemberLost` counts too: our member node vanished while we waited, which is
    /// what a session expiring on the server looks like (a node deleted by someone else looks
    /// the same, and is treated the same).
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, LossReason, ZkError};
    ///
    /// assert!(Error::from(ZkError::SessionLost).is_session_lost());
    /// assert!(Error::from(LossReason::LeaseExpired).is_session_lost());
    /// assert!(!Error::from(LossReason::NodeDeleted).is_session_lost());
    /// ```
    pub fn is_session_lost(&self) -> bool {
        match self {
            Error::Zk(error) => error.is_session_lost(),
            #[cfg(feature = "barrier")]
            Error::Barrier(error) => error.is_session_lost(),
            #[cfg(feature = "election")]
            Error::Interrupted(interrupted) => interrupted.loss_reason().is_some_and(session_ended),
            Error::HoldLost(reason) => session_ended(*reason),
            _ => false,
        }
    }

    /// Whether the error ends a hold (a guard, a permit, a leadership, a barrier membership):
    /// its session ended or was closed, or its node was deleted by someone else. From a
    /// guard's `lost()`, a leadership or a release, the hold was lost before it was released;
    /// from an acquisition (`lock`, `campaign`, `enter`, …), the attempt ended with its
    /// session, and nothing taken in that session is held any more.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, LossReason, ZkError};
    ///
    /// assert!(Error::from(LossReason::NodeDeleted).is_hold_lost());
    /// assert!(Error::from(ZkError::Closed).is_hold_lost());
    /// assert!(!Error::from(zk_sync::TryLockError::WouldBlock).is_hold_lost());
    /// ```
    pub fn is_hold_lost(&self) -> bool {
        match self {
            Error::Zk(error) => error.is_hold_lost(),
            #[cfg(feature = "barrier")]
            Error::Barrier(error) => matches!(error, zk_sync_barrier::Error::MemberLost { .. }),
            #[cfg(feature = "election")]
            Error::Interrupted(interrupted) => interrupted.is_lost(),
            Error::HoldLost(_) => true,
            _ => false,
        }
    }

    /// Whether a leadership became uncertain (the connection to ZooKeeper is suspended): it
    /// may already be gone, though nobody else can lead yet. Such a leadership is not
    /// [lost](Self::is_hold_lost).
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, Interrupted};
    ///
    /// assert!(Error::from(Interrupted::Uncertain).is_uncertain());
    /// ```
    pub fn is_uncertain(&self) -> bool {
        #[cfg(feature = "election")]
        if let Error::Interrupted(interrupted) = self {
            return !interrupted.is_lost();
        }
        false
    }

    /// Whether the [`Session`](crate::Session) was closed by its owner.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, LossReason, ZkError};
    ///
    /// assert!(Error::from(ZkError::Closed).is_closed());
    /// assert!(Error::from(LossReason::Closed).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        match self {
            Error::Zk(error) => error.is_closed(),
            #[cfg(feature = "election")]
            Error::Interrupted(interrupted) => {
                interrupted.loss_reason() == Some(LossReason::Closed)
            }
            Error::HoldLost(reason) => *reason == LossReason::Closed,
            _ => false,
        }
    }

    /// Whether a `try_` call (`try_lock`, `try_read`, `try_write`, `try_acquire`) would have
    /// had to wait: the lock is held elsewhere, or no permits are free.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, TryLockError};
    ///
    /// assert!(Error::from(TryLockError::WouldBlock).is_would_block());
    /// assert!(Error::from(zk_sync::TryAcquireError::NoPermits).is_would_block());
    /// ```
    pub fn is_would_block(&self) -> bool {
        match self {
            Error::TryLock(error) => error.is_would_block(),
            #[cfg(feature = "semaphore")]
            Error::TryAcquire(error) => error.is_no_permits(),
            _ => false,
        }
    }

    /// Whether an argument was rejected before anything was sent (a bad path or connect
    /// string, a zero timeout, a barrier of zero participants, …);
    /// [`invalid_argument`](Self::invalid_argument) says which, where the core rejected it.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, InvalidArgument};
    ///
    /// let error = Error::from(InvalidArgument::RelativePath("locks/orders".into()));
    /// assert!(error.is_invalid_argument());
    /// ```
    pub fn is_invalid_argument(&self) -> bool {
        match self {
            Error::Zk(error) => error.is_invalid_argument(),
            #[cfg(feature = "barrier")]
            Error::Barrier(error) => error.is_invalid_argument(),
            _ => false,
        }
    }

    /// The argument problem, when the core rejected one.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, InvalidArgument};
    ///
    /// let error = Error::from(InvalidArgument::EmptyPath);
    /// assert_eq!(error.invalid_argument(), Some(&InvalidArgument::EmptyPath));
    /// ```
    pub fn invalid_argument(&self) -> Option<&InvalidArgument> {
        match self {
            Error::Zk(error) => error.invalid_argument(),
            _ => None,
        }
    }

    /// Whether no session could be established, or the connection was lost in the middle of
    /// a request.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, ZkError, ZkErrorCode};
    ///
    /// let error = Error::from(ZkError::zk("create", "/locks", ZkErrorCode::ConnectionLoss));
    /// assert!(error.is_connection());
    /// ```
    pub fn is_connection(&self) -> bool {
        matches!(self, Error::Zk(error) if error.is_connection())
    }

    /// Whether the server refused for lack of permission, or the credentials were refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync::{Error, ZkError, ZkErrorCode};
    ///
    /// let error = Error::from(ZkError::zk("delete", "/locks/x", ZkErrorCode::NoAuth));
    /// assert!(error.is_no_auth());
    /// ```
    pub fn is_no_auth(&self) -> bool {
        matches!(self, Error::Zk(error) if error.is_no_auth())
    }
}

/// The session ended (rather than being closed, or the node deleted).
fn session_ended(reason: LossReason) -> bool {
    matches!(reason, LossReason::SessionLost | LossReason::LeaseExpired)
}

impl From<zk_sync_core::Error> for Error {
    fn from(error: zk_sync_core::Error) -> Self {
        Error::Zk(error)
    }
}

impl From<InvalidArgument> for Error {
    fn from(why: InvalidArgument) -> Self {
        Error::Zk(why.into())
    }
}

impl From<TryLockError> for Error {
    fn from(error: TryLockError) -> Self {
        match error {
            TryLockError::Error(error) => Error::Zk(error),
            would_block => Error::TryLock(would_block),
        }
    }
}

#[cfg(feature = "semaphore")]
impl From<zk_sync_semaphore::TryAcquireError> for Error {
    fn from(error: zk_sync_semaphore::TryAcquireError) -> Self {
        match error {
            zk_sync_semaphore::TryAcquireError::Error(error) => Error::Zk(error),
            no_permits => Error::TryAcquire(no_permits),
        }
    }
}

#[cfg(feature = "barrier")]
impl From<zk_sync_barrier::Error> for Error {
    fn from(error: zk_sync_barrier::Error) -> Self {
        match error {
            zk_sync_barrier::Error::Zk(error) => Error::Zk(error),
            barrier => Error::Barrier(barrier),
        }
    }
}

#[cfg(feature = "election")]
impl From<zk_sync_election::Interrupted> for Error {
    fn from(interrupted: zk_sync_election::Interrupted) -> Self {
        Error::Interrupted(interrupted)
    }
}

impl From<LossReason> for Error {
    fn from(reason: LossReason) -> Self {
        Error::HoldLost(reason)
    }
}

/// A `Result` with zk-sync's [`Error`].
///
/// # Examples
///
/// ```no_run
/// use zk_sync::{DistMutex, Session};
///
/// async fn lock_once(session: Session) -> zk_sync::Result<()> {
///     let mutex = DistMutex::new(session, "/locks/orders")?;
///     mutex.lock().await?.unlock().await?;
///     Ok(())
/// }
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
