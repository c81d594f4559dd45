//! Errors of the core: one enum, with predicates so callers ask questions instead of matching.

use std::fmt;

/// A ZooKeeper result code, as returned by the server or the wire client.
///
/// Only the codes the recipes act upon have their own variant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ZkErrorCode {
    /// The node does not exist.
    NoNode,
    /// The node already exists.
    NodeExists,
    /// The node has children.
    NotEmpty,
    /// The expected version did not match.
    BadVersion,
    /// The session's credentials do not allow the operation.
    NoAuth,
    /// Ephemeral nodes may not have children.
    NoChildrenForEphemerals,
    /// The connection to the server was lost; the request may or may not have been applied.
    ConnectionLoss,
    /// The session expired.
    SessionExpired,
    /// Authentication failed.
    AuthFailed,
    /// The wire client was closed.
    Closed,
    /// The request timed out.
    Timeout,
    /// Any other code or client failure, described.
    Other(String),
}

impl fmt::Display for ZkErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ZkErrorCode::NoNode => "node does not exist",
            ZkErrorCode::NodeExists => "node already exists",
            ZkErrorCode::NotEmpty => "node has children",
            ZkErrorCode::BadVersion => "version mismatch",
            ZkErrorCode::NoAuth => "not authorized",
            ZkErrorCode::NoChildrenForEphemerals => "ephemeral nodes cannot have children",
            ZkErrorCode::ConnectionLoss => "connection lost",
            ZkErrorCode::SessionExpired => "session expired",
            ZkErrorCode::AuthFailed => "authentication failed",
            ZkErrorCode::Closed => "client closed",
            ZkErrorCode::Timeout => "timed out",
            ZkErrorCode::Other(text) => text,
        };
        f.write_str(text)
    }
}

impl std::error::Error for ZkErrorCode {}

/// What was wrong with an argument.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidArgument {
    /// The path is empty.
    EmptyPath,
    /// The path does not start with `/`.
    RelativePath(String),
    /// The path ends with `/` (only the root may).
    TrailingSlash(String),
    /// The path has an empty segment (`//`).
    EmptySegment(String),
    /// The path has a `.` or `..` segment.
    RelativeSegment(String),
    /// The path contains a NUL or another control character.
    ForbiddenCharacter(String),
    /// The root `/` cannot be used here.
    RootPath,
    /// The connect string is malformed.
    ConnectString(String),
    /// A duration that must be positive is zero.
    ZeroDuration(&'static str),
    /// A recipe name is unusable.
    RecipeName(String),
    /// A TLS file ([`Tls`](crate::Tls)) cannot be read or is not PEM.
    TlsFile {
        /// What the file was to hold: `CA bundle`, `certificate` or `key`.
        what: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// Any other argument, described.
    Other(String),
}

impl fmt::Display for InvalidArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidArgument::EmptyPath => write!(f, "path is empty"),
            InvalidArgument::RelativePath(p) => write!(f, "path {p:?} must start with '/'"),
            InvalidArgument::TrailingSlash(p) => write!(f, "path {p:?} must not end with '/'"),
            InvalidArgument::EmptySegment(p) => write!(f, "path {p:?} has an empty segment"),
            InvalidArgument::RelativeSegment(p) => {
                write!(f, "path {p:?} has a '.' or '..' segment")
            }
            InvalidArgument::ForbiddenCharacter(p) => {
                write!(f, "path {p:?} contains a NUL or control character")
            }
            InvalidArgument::RootPath => write!(f, "the root path '/' cannot be used here"),
            InvalidArgument::ConnectString(why) => write!(f, "bad connect string: {why}"),
            InvalidArgument::ZeroDuration(what) => write!(f, "{what} must be greater than zero"),
            InvalidArgument::RecipeName(why) => write!(f, "bad recipe name: {why}"),
            InvalidArgument::TlsFile { what, path, reason } => {
                write!(f, "TLS {what} {}: {reason}", path.display())
            }
            InvalidArgument::Other(why) => f.write_str(why),
        }
    }
}

/// The error type of `zk-sync-core`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(InvalidArgument),
    /// The ZooKeeper session this operation (or hold) belonged to is gone.
    #[error("ZooKeeper session lost")]
    SessionLost,
    /// The hold's local lease ran out: ZooKeeper had not answered for a whole session timeout,
    /// so it may have expired the session and handed the hold to someone else. Counted as a
    /// lost session by [`Error::is_session_lost`].
    #[error("ZooKeeper session may have expired: no reply within the session timeout")]
    LeaseExpired,
    /// The [`Session`](crate::Session) was closed.
    #[error("session closed")]
    Closed,
    /// A held node was deleted by someone else: the hold had been lost.
    #[error("node {path:?} was deleted by someone else")]
    NodeDeleted {
        /// The node.
        path: String,
    },
    /// No session could be established within the connection timeout.
    #[error("could not connect to ZooKeeper at {connect_string}: {reason}")]
    Connect {
        /// The connect string that was tried.
        connect_string: String,
        /// Why it failed.
        reason: ZkErrorCode,
    },
    /// The server answered with an error the recipe cannot handle.
    #[error("ZooKeeper {op} on {path:?} failed: {code}")]
    Zk {
        /// The request (`create`, `delete`, …).
        op: &'static str,
        /// The path it was about.
        path: String,
        /// The result code.
        code: ZkErrorCode,
    },
}

impl Error {
    /// Returns `true` when the session (and so every hold taken in it) is gone.
    pub fn is_session_lost(&self) -> bool {
        matches!(self, Error::SessionLost | Error::LeaseExpired)
            || matches!(
                self,
                Error::Zk {
                    code: ZkErrorCode::SessionExpired,
                    ..
                }
            )
    }

    /// Returns `true` when the error ends a hold: its session ended or was closed, or its node
    /// was deleted by someone else. From a release, the hold was lost before it was released;
    /// from an acquisition, the attempt ended with its session.
    pub fn is_hold_lost(&self) -> bool {
        self.is_session_lost() || self.is_closed() || matches!(self, Error::NodeDeleted { .. })
    }

    /// Returns `true` when the session was closed by its owner.
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed)
    }

    /// Returns `true` when an argument was rejected.
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Error::InvalidArgument(_))
    }

    /// Returns `true` for a connection that could not be established or was lost mid-request.
    pub fn is_connection(&self) -> bool {
        matches!(self, Error::Connect { .. })
            || matches!(
                self,
                Error::Zk {
                    code: ZkErrorCode::ConnectionLoss,
                    ..
                }
            )
    }

    /// Returns `true` when the server refused the request for lack of permission.
    pub fn is_no_auth(&self) -> bool {
        matches!(
            self,
            Error::Zk {
                code: ZkErrorCode::NoAuth | ZkErrorCode::AuthFailed,
                ..
            } | Error::Connect {
                reason: ZkErrorCode::AuthFailed,
                ..
            }
        )
    }

    /// The argument problem, when this is an invalid-argument error.
    pub fn invalid_argument(&self) -> Option<&InvalidArgument> {
        match self {
            Error::InvalidArgument(why) => Some(why),
            _ => None,
        }
    }

    /// The error for request `op` on `path` answered with `code`. An expired or closed session
    /// becomes [`Error::SessionLost`], so `is_session_lost()` sees it.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync_core::{Error, ZkErrorCode};
    ///
    /// assert!(Error::zk("create", "/a", ZkErrorCode::NoAuth).is_no_auth());
    /// assert!(Error::zk("delete", "/a", ZkErrorCode::SessionExpired).is_session_lost());
    /// ```
    pub fn zk(op: &'static str, path: &str, code: ZkErrorCode) -> Error {
        match code {
            ZkErrorCode::SessionExpired => Error::SessionLost,
            ZkErrorCode::Closed => Error::SessionLost,
            code => Error::Zk {
                op,
                path: path.to_owned(),
                code,
            },
        }
    }
}

impl From<InvalidArgument> for Error {
    fn from(why: InvalidArgument) -> Self {
        Error::InvalidArgument(why)
    }
}

/// Why a `try_lock`-style acquisition (`DistMutex::try_lock`, `DistRwLock::try_read`, …) did
/// not return a guard, like `tokio::sync::TryLockError`.
///
/// # Examples
///
/// ```
/// use zk_sync_core::TryLockError;
///
/// let busy = TryLockError::WouldBlock;
/// assert!(busy.is_would_block());
/// assert_eq!(busy.to_string(), "lock is held elsewhere");
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TryLockError {
    /// The lock is held (or queued for) by contenders this one would have to wait for.
    #[error("lock is held elsewhere")]
    WouldBlock,
    /// ZooKeeper could not be asked (session closed or lost, no permission, …).
    #[error(transparent)]
    Error(#[from] Error),
}

impl TryLockError {
    /// Whether the lock was simply taken (as opposed to ZooKeeper trouble).
    pub fn is_would_block(&self) -> bool {
        matches!(self, TryLockError::WouldBlock)
    }
}

/// A `Result` with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
