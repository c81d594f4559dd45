//! The narrow interface between the recipes and a ZooKeeper wire client.
//!
//! One [`Backend`] is one ZooKeeper session. Its request methods **send the request when they
//! are called** and return a future that only awaits the reply. ZooKeeper executes one
//! session's requests in order, so calling `create` and then `get_children` before awaiting
//! either gives a pipelined round trip whose listing already contains the new node.

mod types;
#[cfg(feature = "zookeeper-async")]
mod zookeeper_async;
mod zookeeper_client;

#[cfg(feature = "test-util")]
pub mod fault;

pub use self::types::{Acl, BackendState, Created, NodeEvent, NodeKind, Perms, Stat};
#[cfg(feature = "zookeeper-async")]
pub use self::zookeeper_async::ZookeeperAsyncConnector;
pub use self::zookeeper_client::ZookeeperClientConnector;

use crate::error::ZkErrorCode;
use futures::future::BoxFuture;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Counts one request sent to ZooKeeper, by operation.
fn count_request(op: &'static str) {
    metrics::counter!(crate::metrics::REQUESTS_TOTAL, "op" => op).increment(1);
}

/// The future of one request: the request is already on its way when you hold it.
pub type Reply<'a, T> = BoxFuture<'a, Result<T, ZkErrorCode>>;

/// Resolves once when a one-shot server watch fires (or the session it belongs to ends).
pub type WatchFuture = BoxFuture<'static, NodeEvent>;

/// One ZooKeeper session of a wire client.
///
/// Implementations must send each request when the method is called (not when the future is
/// first polled), so that requests reach the server in call order.
pub trait Backend: Send + Sync + fmt::Debug + 'static {
    /// The server-assigned session id.
    fn session_id(&self) -> i64;

    /// The negotiated session timeout.
    fn session_timeout(&self) -> Duration;

    /// A receiver of the connection state of this session.
    fn state(&self) -> tokio::sync::watch::Receiver<BackendState>;

    /// Creates a node; sequential modes append the server's counter to `path`.
    fn create<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Reply<'a, Created>;

    /// Deletes each node of `deletes`, then creates a node, as one transaction (a ZooKeeper
    /// `multi`): all of it is applied or none of it, and the server writes it to its log (and
    /// syncs it to disk) once. The reply carries the created node with its real `czxid`.
    ///
    /// Releases use it to leave with the next create of their session at no extra cost.
    /// `touchable`, one of `deletes`, is a node whose data may be overwritten just before it
    /// is deleted (whoever watches it re-checks on any event): a backend may use it to learn
    /// the transaction's zxid.
    ///
    /// `None` when the backend cannot: the caller then sends the deletes and the create one
    /// by one. That is the default.
    fn create_after_deletes<'a>(
        &'a self,
        deletes: &[&str],
        touchable: Option<&str>,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Option<Reply<'a, Created>> {
        let _ = (deletes, touchable, path, data, kind, acl);
        None
    }

    /// Deletes a node, optionally only at `version`.
    ///
    /// The reply borrows nothing, so a release can be sent now and awaited by another task.
    fn delete(&self, path: &str, version: Option<i32>) -> Reply<'static, ()>;

    /// Replaces a node's data, optionally only at `version`; returns the new stat.
    fn set_data<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        version: Option<i32>,
    ) -> Reply<'a, Stat>;

    /// Reads a node's data and stat.
    fn get_data<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat)>;

    /// Reads a node's data and stat and leaves a one-shot data watch on it.
    fn get_data_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat, WatchFuture)>;

    /// Reads a node's stat, if it exists, and leaves a one-shot watch for its creation, change or deletion.
    fn exists_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Option<Stat>, WatchFuture)>;

    /// Lists a node's children (names, not paths).
    fn get_children<'a>(&'a self, path: &'a str) -> Reply<'a, Vec<String>>;

    /// Lists a node's children and leaves a one-shot child watch on it.
    fn get_children_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<String>, WatchFuture)>;

    /// The `zookeeper-client` session credentials, when this backend is (or wraps) one. Tests
    /// use them to expire the session from a second client.
    fn zookeeper_client_session(&self) -> Option<::zookeeper_client::SessionInfo> {
        None
    }
}

/// Configuration a [`Connector`] needs to open a session.
#[derive(Debug, Clone)]
pub struct ConnectConfig {
    /// `host:port[,host:port…][/chroot]`, already validated.
    pub connect_string: String,
    /// Requested session timeout.
    pub session_timeout: Duration,
    /// Time allowed to establish the session.
    pub connection_timeout: Duration,
    /// `(scheme, credentials)` pairs to authenticate with, e.g. `("digest", b"user:password")`.
    pub auth: Vec<(String, Vec<u8>)>,
    /// TLS for every connection, if asked for ([`SessionBuilder::tls`](crate::SessionBuilder::tls)).
    pub tls: Option<crate::TlsPem>,
    /// SASL authentication, if asked for
    /// ([`SessionBuilder::sasl_digest_md5`](crate::SessionBuilder::sasl_digest_md5),
    /// [`SessionBuilder::sasl_gssapi`](crate::SessionBuilder::sasl_gssapi)).
    pub sasl: Option<Sasl>,
}

/// A SASL mechanism and what it authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sasl {
    /// DIGEST-MD5 with a user and password.
    DigestMd5(SaslDigestMd5),
    /// GSSAPI (Kerberos) with the process's own Kerberos credentials, to the servers'
    /// principal `<service>/<server host>`.
    Gssapi {
        /// The servers' principal's primary part (`zookeeper` by default on the servers).
        service: String,
    },
}

impl Sasl {
    /// The cargo feature the mechanism needs.
    pub(crate) fn feature(&self) -> (&'static str, bool) {
        match self {
            Sasl::DigestMd5(_) => ("sasl", cfg!(feature = "sasl")),
            Sasl::Gssapi { .. } => ("sasl-gssapi", cfg!(feature = "sasl-gssapi")),
        }
    }
}

/// A SASL DIGEST-MD5 user and password (the password never shows in `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct SaslDigestMd5 {
    /// The user, as the server's JAAS `Server` section names it (`user_<name>`).
    pub user: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for SaslDigestMd5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslDigestMd5")
            .field("user", &self.user)
            .field("password", &"…")
            .finish()
    }
}

/// Opens ZooKeeper sessions. A [`Session`](crate::Session) calls it again after each session loss.
#[async_trait::async_trait]
pub trait Connector: Send + Sync + fmt::Debug + 'static {
    /// Opens a new session.
    async fn connect(&self, config: &ConnectConfig) -> Result<Arc<dyn Backend>, ZkErrorCode>;
}

#[async_trait::async_trait]
impl<C: Connector + ?Sized> Connector for Arc<C> {
    async fn connect(&self, config: &ConnectConfig) -> Result<Arc<dyn Backend>, ZkErrorCode> {
        (**self).connect(config).await
    }
}
