//! [`SessionBuilder`]: connect options.

use super::{Session, Tls};
use crate::backend::{
    Acl, ConnectConfig, Connector, Sasl, SaslDigestMd5, ZookeeperClientConnector,
};
use crate::error::{InvalidArgument, Result};
use crate::validate::{positive, ConnectString};
use std::sync::Arc;
use std::time::Duration;

/// Options for [`Session::connect`]; start from [`Session::builder`].
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> zk_sync_core::Result<()> {
/// use std::time::Duration;
/// use zk_sync_core::{backend::Acl, Session};
///
/// let session = Session::builder("zk1:2181,zk2:2181,zk3:2181/my-app")
///     .session_timeout(Duration::from_secs(10))
///     .connection_timeout(Duration::from_secs(3))
///     .digest_auth("svc", "secret")
///     .default_acl(vec![Acl::creator_all()])
///     .connect()
///     .await?;
/// # drop(session); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    connect_string: String,
    session_timeout: Duration,
    connection_timeout: Duration,
    auth: Vec<(String, Vec<u8>)>,
    default_acl: Vec<Acl>,
    connector: Arc<dyn Connector>,
    tls: Option<Tls>,
    sasl: Option<Sasl>,
}

impl SessionBuilder {
    /// Default requested session timeout.
    pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default time allowed to establish a session.
    pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

    pub(super) fn new(connect_string: &str) -> SessionBuilder {
        SessionBuilder {
            connect_string: connect_string.to_owned(),
            session_timeout: Self::DEFAULT_SESSION_TIMEOUT,
            connection_timeout: Self::DEFAULT_CONNECTION_TIMEOUT,
            auth: Vec::new(),
            default_acl: vec![Acl::anyone_all()],
            connector: Arc::new(ZookeeperClientConnector::default()),
            tls: None,
            sasl: None,
        }
    }

    /// The session timeout to request (the server clamps it to its configured bounds).
    /// After this long without a connection every hold is reported lost.
    pub fn session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// How long [`connect`](Self::connect) (and each later reconnect attempt) may take.
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// Authenticates with ZooKeeper's `digest` scheme as `user:password`.
    pub fn digest_auth(self, user: &str, password: &str) -> Self {
        self.auth("digest", format!("{user}:{password}").as_bytes())
    }

    /// Authenticates with any scheme the server supports.
    pub fn auth(mut self, scheme: &str, credentials: &[u8]) -> Self {
        self.auth.push((scheme.to_owned(), credentials.to_vec()));
        self
    }

    /// The ACL given to every node the recipes create (default: [`Acl::anyone_all`]).
    pub fn default_acl(mut self, acl: Vec<Acl>) -> Self {
        self.default_acl = acl;
        self
    }

    /// Locks the recipes' directories and nodes down: every node the recipes create (lock
    /// directories, contender nodes) gets [`Acl::locked_down`], so only the identities this
    /// session authenticates as (with [`digest_auth`](Self::digest_auth), say) may create or
    /// delete in them, and everyone else may only read. A foreign session's delete of a
    /// holder's node, or a create in its directory, then fails with `NoAuth`, while
    /// `zk-sync inspect` and monitoring still read.
    ///
    /// Every process of the application must authenticate as the same identity (the same
    /// digest user and password): the `auth` entry grants the creator's identity, so another
    /// identity could not queue in a directory this one created. Curator clients sharing the
    /// path need the same credentials (`CuratorFrameworkFactory.builder().authorization(
    /// "digest", "user:password".getBytes())`); their own nodes get their `ACLProvider`'s
    /// ACL, but they can only queue in a directory they may create in. Only nodes created
    /// from here on are locked down: directories that already exist keep their ACL, and the
    /// missing parents a recipe creates are locked down with its directory (so that nobody
    /// else can remove and re-create them open); create shared parents such as `/locks`
    /// beforehand if other identities need them.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> zk_sync_core::Result<()> {
    /// use zk_sync_core::Session;
    ///
    /// let session = Session::builder("zk1:2181")
    ///     .digest_auth("orders-service", "secret")
    ///     .locked_down()
    ///     .connect()
    ///     .await?;
    /// # drop(session); Ok(()) }
    /// ```
    pub fn locked_down(self) -> Self {
        self.default_acl(Acl::locked_down())
    }

    /// The wire client to use (default: [`ZookeeperClientConnector`]).
    pub fn connector(mut self, connector: impl Connector) -> Self {
        self.connector = Arc::new(connector);
        self
    }

    /// Connects over TLS only, to the servers' `secureClientPort`s, trusting `tls`'s CA
    /// bundle (and presenting its client certificate, for mutual TLS). Needs the `tls` feature.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> zk_sync_core::Result<()> {
    /// use zk_sync_core::{Session, Tls};
    ///
    /// let session = Session::builder("10.0.0.5:2281")
    ///     .tls(Tls::new("/etc/zk/ca.pem"))
    ///     .connect()
    ///     .await?;
    /// # drop(session); Ok(()) }
    /// ```
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Authenticates with SASL DIGEST-MD5 as `user` (a `user_<name>` of the server's JAAS
    /// `Server` section). Needs the `sasl` feature. A wrong password fails
    /// [`connect`](Self::connect) with [`Error::Connect`](crate::Error::Connect) and reason
    /// `AuthFailed`, once: the credentials are not tried again.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> zk_sync_core::Result<()> {
    /// use zk_sync_core::Session;
    ///
    /// let session = Session::builder("zk1:2181")
    ///     .sasl_digest_md5("orders-service", "secret")
    ///     .connect()
    ///     .await?;
    /// # drop(session); Ok(()) }
    /// ```
    pub fn sasl_digest_md5(mut self, user: &str, password: &str) -> Self {
        self.sasl = Some(Sasl::DigestMd5(SaslDigestMd5 {
            user: user.to_owned(),
            password: password.to_owned(),
        }));
        self
    }

    /// Authenticates with SASL GSSAPI (Kerberos), with the process's own Kerberos
    /// credentials (its ticket cache, or the keytab `KRB5_CLIENT_KTNAME` names), to the
    /// servers' principal `<service>/<server host>` (`zookeeper` is ZooKeeper's default
    /// `service`). Needs the `sasl-gssapi` feature, which builds against the system's MIT
    /// Kerberos (`libkrb5-dev`, and `libclang-dev` for its bindings). Without credentials, or
    /// without a KDC, [`connect`](Self::connect) fails with
    /// [`Error::Connect`](crate::Error::Connect).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo() -> zk_sync_core::Result<()> {
    /// use zk_sync_core::Session;
    ///
    /// let session = Session::builder("zk1.internal:2181")
    ///     .sasl_gssapi("zookeeper")
    ///     .connect()
    ///     .await?;
    /// # drop(session); Ok(()) }
    /// ```
    pub fn sasl_gssapi(mut self, service: &str) -> Self {
        self.sasl = Some(Sasl::Gssapi {
            service: service.to_owned(),
        });
        self
    }

    /// Establishes the first ZooKeeper session.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a malformed connect
    ///   string, a zero timeout, an empty ACL, or a TLS file that cannot be read (its path in
    ///   the message), before anything is sent;
    /// - [`Error::Connect`](crate::Error::Connect) when no session could be established
    ///   within the connection timeout (no server, authentication failed, …).
    pub async fn connect(self) -> Result<Session> {
        let parsed = ConnectString::parse(&self.connect_string)?;
        let config = ConnectConfig {
            connect_string: parsed.to_client_string(),
            session_timeout: positive("session timeout", self.session_timeout)?,
            connection_timeout: positive("connection timeout", self.connection_timeout)?,
            auth: self.auth,
            tls: match &self.tls {
                Some(tls) if cfg!(feature = "tls") => Some(tls.load()?),
                Some(_) => {
                    return Err(InvalidArgument::Other(
                        "TLS needs zk-sync-core's `tls` feature".into(),
                    )
                    .into())
                }
                None => None,
            },
            sasl: match self.sasl {
                Some(sasl) => match sasl.feature() {
                    (_, true) => Some(sasl),
                    (feature, false) => {
                        return Err(InvalidArgument::Other(format!(
                            "this SASL mechanism needs zk-sync-core's `{feature}` feature"
                        ))
                        .into())
                    }
                },
                None => None,
            },
        };
        for (scheme, _) in &config.auth {
            if scheme.is_empty() {
                return Err(InvalidArgument::Other("auth scheme is empty".into()).into());
            }
        }
        if self.default_acl.is_empty() {
            return Err(InvalidArgument::Other("default ACL is empty".into()).into());
        }
        // An `auth` entry grants the session's identities: with none, nobody could write.
        let grants_creator = self.default_acl.iter().any(|acl| acl.scheme == "auth");
        if grants_creator && config.auth.is_empty() && config.sasl.is_none() {
            return Err(InvalidArgument::Other(
                "an ACL that grants the creator (locked down) needs credentials (digest_auth)"
                    .into(),
            )
            .into());
        }
        Session::start(config, self.default_acl, self.connector).await
    }
}
