//! [`Backend`] over the `zookeeper-client` crate (the default wire client).
//!
//! It keeps watches across reconnects (re-sent with `SetWatches`), reports session expiry,
//! and sends each request when the method is called, which is what pipelining needs.

mod transaction;

use self::transaction::MultiSupport;
use super::{
    count_request as count, Acl, Backend, BackendState, ConnectConfig, Connector, Created,
    NodeEvent, NodeKind, Perms, Reply, Stat, WatchFuture,
};
use crate::error::ZkErrorCode;
use futures::FutureExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use zookeeper_client as zk;

/// Opens sessions with `zookeeper-client`.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> zk_sync_core::Result<()> {
/// use zk_sync_core::{backend::ZookeeperClientConnector, Session};
///
/// let session = Session::builder("127.0.0.1:2181")
///     .connector(ZookeeperClientConnector::default())
///     .connect()
///     .await?;
/// # drop(session); Ok(()) }
/// ```
///
/// A session can start on a client the application opened itself:
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use zk_sync_core::{backend::ZookeeperClientConnector, Session};
///
/// let client = zookeeper_client::Client::connect("127.0.0.1:2181").await?;
/// let session = Session::builder("127.0.0.1:2181")
///     .connector(ZookeeperClientConnector::adopting(client))
///     .connect()
///     .await?;
/// # drop(session); Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ZookeeperClientConnector {
    // Clones share it: whichever connects first takes it.
    adopted: Arc<Mutex<Option<zk::Client>>>,
}

impl ZookeeperClientConnector {
    /// A connector whose first session is `client`'s, an already connected client; later
    /// sessions (after a loss) get clients of their own, with the
    /// [`SessionBuilder`](crate::SessionBuilder)'s options.
    ///
    /// The [`Session`](crate::Session) takes the ZooKeeper session over: pass the client's
    /// last clone. A clone kept elsewhere keeps the ZooKeeper session open after the
    /// `Session` has given it up (after a long suspension, say), and with it every node the
    /// recipes created in it, which would then block the lock for everyone. Over a client
    /// nobody else holds, that cannot happen: the session ends when the `Session` lets go of
    /// it, as with a client the `Session` opened itself. The client's own options (its
    /// session timeout, credentials, TLS) stay as they are.
    pub fn adopting(client: zk::Client) -> ZookeeperClientConnector {
        ZookeeperClientConnector {
            adopted: Arc::new(Mutex::new(Some(client))),
        }
    }
}

#[async_trait::async_trait]
impl Connector for ZookeeperClientConnector {
    async fn connect(&self, config: &ConnectConfig) -> Result<Arc<dyn Backend>, ZkErrorCode> {
        let adopted = self
            .adopted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(client) = adopted {
            return match state_of(client.state()) {
                BackendState::Connected | BackendState::Disconnected => {
                    Ok(Arc::new(ZookeeperClientBackend::new(client)))
                }
                BackendState::Expired => Err(ZkErrorCode::SessionExpired),
                BackendState::AuthFailed => Err(ZkErrorCode::AuthFailed),
                BackendState::Closed => Err(ZkErrorCode::Closed),
            };
        }
        let mut connector = zk::Client::connector()
            .with_session_timeout(config.session_timeout)
            .with_connection_timeout(config.connection_timeout);
        for (scheme, credentials) in &config.auth {
            connector = connector.with_auth(scheme, credentials);
        }
        match &config.sasl {
            #[cfg(feature = "sasl")]
            Some(super::Sasl::DigestMd5(sasl)) => {
                let options = zk::SaslOptions::digest_md5(sasl.user.clone(), sasl.password.clone());
                connector = connector.with_sasl(options);
            }
            #[cfg(feature = "sasl-gssapi")]
            Some(super::Sasl::Gssapi { service }) => {
                let options = zk::SaslOptions::gssapi().with_username(service.clone());
                connector = connector.with_sasl(options);
            }
            #[allow(unreachable_patterns)]
            Some(sasl) => {
                let (feature, _) = sasl.feature();
                return Err(ZkErrorCode::Other(format!(
                    "SASL needs the `{feature}` feature"
                )));
            }
            None => {}
        }
        let connected = match &config.tls {
            #[cfg(feature = "tls")]
            Some(tls) => {
                connector = connector.with_tls(tls_options(tls)?);
                connector.secure_connect(&config.connect_string).await
            }
            #[cfg(not(feature = "tls"))]
            Some(_) => return Err(ZkErrorCode::Other("TLS needs the `tls` feature".into())),
            None => connector.connect(&config.connect_string).await,
        };
        let client = connected.map_err(|error| match error {
            // Keep the detail ("connection refused", …) for the connect error message.
            zk::Error::Custom(detail) => ZkErrorCode::Other(detail.to_string()),
            other => code_of(other),
        })?;
        Ok(Arc::new(ZookeeperClientBackend::new(client)))
    }
}

/// The client's TLS options from PEM text.
#[cfg(feature = "tls")]
fn tls_options(tls: &crate::TlsPem) -> Result<zk::TlsOptions, ZkErrorCode> {
    let bad = |what: &str, error: zk::Error| ZkErrorCode::Other(format!("TLS {what}: {error}"));
    let options = zk::TlsOptions::new()
        .with_pem_ca(&tls.ca)
        .map_err(|e| bad("CA bundle", e))?;
    match &tls.identity {
        Some((cert, key)) => options
            .with_pem_identity(cert, key)
            .map_err(|e| bad("certificate or key", e)),
        None => Ok(options),
    }
}

/// One `zookeeper-client` session. Dropping it closes the session.
#[derive(Debug)]
pub(crate) struct ZookeeperClientBackend {
    client: zk::Client,
    state: watch::Receiver<BackendState>,
    multi: MultiSupport,
}

impl ZookeeperClientBackend {
    fn new(client: zk::Client) -> Self {
        let (sender, state) = watch::channel(state_of(client.state()));
        let mut states = client.state_watcher();
        // Forwards the client's state changes; holds no `Client`, so it never keeps the session open.
        tokio::spawn(async move {
            loop {
                let state = state_of(states.changed().await);
                if sender.send(state).is_err() || state.is_terminal() {
                    break;
                }
            }
        });
        ZookeeperClientBackend {
            client,
            state,
            multi: MultiSupport::default(),
        }
    }
}

impl Backend for ZookeeperClientBackend {
    fn session_id(&self) -> i64 {
        self.client.session_id().0
    }

    fn session_timeout(&self) -> Duration {
        self.client.session_timeout()
    }

    fn state(&self) -> watch::Receiver<BackendState> {
        self.state.clone()
    }

    fn zookeeper_client_session(&self) -> Option<zk::SessionInfo> {
        Some(self.client.session().clone())
    }

    fn create<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Reply<'a, Created> {
        count("create");
        let acls = acls_of(acl);
        let reply = self
            .client
            .create(path, data, &mode_of(kind).with_acls(zk::Acls::new(&acls)));
        async move {
            let (stat, sequence) = reply.await.map_err(code_of)?;
            let path = if kind == NodeKind::EphemeralSequential {
                format!("{path}{sequence}")
            } else {
                path.to_owned()
            };
            Ok(Created {
                path,
                stat: stat_of(&stat),
            })
        }
        .boxed()
    }

    fn create_after_deletes<'a>(
        &'a self,
        deletes: &[&str],
        touchable: Option<&str>,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Option<Reply<'a, Created>> {
        transaction::create_after_deletes(self, deletes, touchable, path, data, kind, acl)
    }

    fn delete(&self, path: &str, version: Option<i32>) -> Reply<'static, ()> {
        count("delete");
        let reply = self.client.delete(path, version);
        async move { reply.await.map_err(code_of) }.boxed()
    }

    fn set_data<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        version: Option<i32>,
    ) -> Reply<'a, Stat> {
        count("set_data");
        let reply = self.client.set_data(path, data, version);
        async move { reply.await.map(|stat| stat_of(&stat)).map_err(code_of) }.boxed()
    }

    fn get_data<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat)> {
        count("get_data");
        let reply = self.client.get_data(path);
        async move {
            let (data, stat) = reply.await.map_err(code_of)?;
            Ok((data, stat_of(&stat)))
        }
        .boxed()
    }

    fn get_data_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat, WatchFuture)> {
        count("get_data");
        let reply = self.client.get_and_watch_data(path);
        async move {
            let (data, stat, watcher) = reply.await.map_err(code_of)?;
            Ok((data, stat_of(&stat), watch_future(watcher)))
        }
        .boxed()
    }

    fn exists_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Option<Stat>, WatchFuture)> {
        count("exists");
        let reply = self.client.check_and_watch_stat(path);
        async move {
            let (stat, watcher) = reply.await.map_err(code_of)?;
            Ok((stat.as_ref().map(stat_of), watch_future(watcher)))
        }
        .boxed()
    }

    fn get_children<'a>(&'a self, path: &'a str) -> Reply<'a, Vec<String>> {
        count("get_children");
        let reply = self.client.list_children(path);
        async move { reply.await.map_err(code_of) }.boxed()
    }

    fn get_children_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<String>, WatchFuture)> {
        count("get_children");
        let reply = self.client.list_and_watch_children(path);
        async move {
            let (children, watcher) = reply.await.map_err(code_of)?;
            Ok((children, watch_future(watcher)))
        }
        .boxed()
    }
}

fn watch_future(watcher: zk::OneshotWatcher) -> WatchFuture {
    async move {
        let event = watcher.changed().await;
        match event.event_type {
            zk::EventType::NodeCreated => NodeEvent::Created,
            zk::EventType::NodeDeleted => NodeEvent::Deleted,
            zk::EventType::NodeDataChanged => NodeEvent::DataChanged,
            zk::EventType::NodeChildrenChanged => NodeEvent::ChildrenChanged,
            zk::EventType::Session => NodeEvent::SessionEnded,
        }
    }
    .boxed()
}

fn state_of(state: zk::SessionState) -> BackendState {
    match state {
        zk::SessionState::SyncConnected | zk::SessionState::ConnectedReadOnly => {
            BackendState::Connected
        }
        zk::SessionState::Disconnected => BackendState::Disconnected,
        zk::SessionState::Expired => BackendState::Expired,
        zk::SessionState::AuthFailed => BackendState::AuthFailed,
        zk::SessionState::Closed => BackendState::Closed,
    }
}

fn stat_of(stat: &zk::Stat) -> Stat {
    Stat {
        czxid: stat.czxid,
        mzxid: stat.mzxid,
        ctime: stat.ctime,
        version: stat.version,
        ephemeral_owner: stat.ephemeral_owner,
        num_children: stat.num_children,
    }
}

fn mode_of(kind: NodeKind) -> zk::CreateMode {
    match kind {
        NodeKind::Persistent => zk::CreateMode::Persistent,
        NodeKind::Ephemeral => zk::CreateMode::Ephemeral,
        NodeKind::EphemeralSequential => zk::CreateMode::EphemeralSequential,
        NodeKind::Container => zk::CreateMode::Container,
    }
}

fn acls_of(acl: &[Acl]) -> Vec<zk::Acl> {
    acl.iter().map(acl_of).collect()
}

fn acl_of(acl: &Acl) -> zk::Acl {
    let permission = acl.perms.each().fold(zk::Permission::NONE, |all, one| {
        all | match one {
            Perms::READ => zk::Permission::READ,
            Perms::WRITE => zk::Permission::WRITE,
            Perms::CREATE => zk::Permission::CREATE,
            Perms::DELETE => zk::Permission::DELETE,
            _ => zk::Permission::ADMIN,
        }
    });
    zk::Acl::new(permission, zk::AuthId::new(&acl.scheme, &acl.id))
}

fn code_of(error: zk::Error) -> ZkErrorCode {
    match error {
        zk::Error::NoNode => ZkErrorCode::NoNode,
        zk::Error::NodeExists => ZkErrorCode::NodeExists,
        zk::Error::NotEmpty => ZkErrorCode::NotEmpty,
        zk::Error::BadVersion => ZkErrorCode::BadVersion,
        zk::Error::NoAuth => ZkErrorCode::NoAuth,
        zk::Error::NoChildrenForEphemerals => ZkErrorCode::NoChildrenForEphemerals,
        zk::Error::ConnectionLoss => ZkErrorCode::ConnectionLoss,
        zk::Error::SessionExpired | zk::Error::SessionMoved => ZkErrorCode::SessionExpired,
        zk::Error::AuthFailed => ZkErrorCode::AuthFailed,
        zk::Error::ClientClosed => ZkErrorCode::Closed,
        zk::Error::Timeout => ZkErrorCode::Timeout,
        // The wire client hands a connection failure ("no response from connection in …", an
        // I/O error) to every request in flight as a custom error: for the caller that is a
        // lost connection, with the request's outcome unknown.
        zk::Error::Custom(_) => ZkErrorCode::ConnectionLoss,
        other => ZkErrorCode::Other(other.to_string()),
    }
}
