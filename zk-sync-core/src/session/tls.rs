//! [`Tls`]: the certificates a session's TLS connections are made with.

use crate::error::InvalidArgument;
use std::fmt;
use std::path::{Path, PathBuf};

/// TLS for a session's connections (ZooKeeper's `secureClientPort`): the CA bundle the
/// servers' certificates must chain to, and for mutual TLS a client certificate and key, all
/// PEM files. Give it to [`SessionBuilder::tls`](crate::SessionBuilder::tls).
///
/// The servers' names are checked against their certificates: a host name in the connect
/// string against the certificate's DNS names, an IP address against its IP addresses, so a
/// server reached as `10.0.0.5:2281` needs `10.0.0.5` among its subject alternative names.
///
/// The files are read once, at [`connect`](crate::SessionBuilder::connect); a missing or
/// unreadable file is an [`InvalidArgument`](crate::InvalidArgument) naming its path.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> zk_sync_core::Result<()> {
/// use zk_sync_core::{Session, Tls};
///
/// let session = Session::builder("zk1.internal:2281,zk2.internal:2281")
///     .tls(Tls::new("/etc/zk/ca.pem").identity("/etc/zk/client.pem", "/etc/zk/client-key.pem"))
///     .connect()
///     .await?;
/// # drop(session); Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    ca: PathBuf,
    identity: Option<(PathBuf, PathBuf)>,
}

impl Tls {
    /// TLS that trusts the CA certificates of the PEM file `ca`.
    pub fn new(ca: impl Into<PathBuf>) -> Tls {
        Tls {
            ca: ca.into(),
            identity: None,
        }
    }

    /// Mutual TLS: presents the certificate (chain) of the PEM file `cert`, whose private key
    /// is the PEM file `key`.
    pub fn identity(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Tls {
        self.identity = Some((cert.into(), key.into()));
        self
    }

    /// Reads the files.
    pub(crate) fn load(&self) -> Result<TlsPem, InvalidArgument> {
        let read = |what: &'static str, path: &Path| {
            let bad = |reason: String| InvalidArgument::TlsFile {
                what,
                path: path.to_owned(),
                reason,
            };
            let text = std::fs::read_to_string(path).map_err(|error| bad(error.to_string()))?;
            match text.contains("-----BEGIN ") {
                true => Ok(text),
                false => Err(bad("not a PEM file".into())),
            }
        };
        let identity = match &self.identity {
            Some((cert, key)) => Some((read("certificate", cert)?, read("key", key)?)),
            None => None,
        };
        Ok(TlsPem {
            ca: read("CA bundle", &self.ca)?,
            identity,
        })
    }
}

/// The PEM text of a [`Tls`], as a [`Connector`](crate::backend::Connector) receives it.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsPem {
    /// The CA certificates.
    pub ca: String,
    /// The client certificate (chain) and its private key, for mutual TLS.
    pub identity: Option<(String, String)>,
}

impl fmt::Debug for TlsPem {
    // Never prints the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsPem")
            .field("ca", &format_args!("{} bytes", self.ca.len()))
            .field("identity", &self.identity.as_ref().map(|_| "…"))
            .finish()
    }
}
