//! Opening the ZooKeeper session from the command-line options.

use crate::cli::Connection;
use crate::exit::Failure;
use std::time::Duration;
use zk_sync_core::{validate_path, Error, Session, Tls};

/// Checks `path` before connecting, so that a typo is reported as such even without a server.
pub(crate) fn check_path(path: &str) -> Result<(), Failure> {
    validate_path(path).map_err(|why| Failure::from_zk(&Error::InvalidArgument(why)))
}

/// Connects with the options given.
pub(crate) async fn session(options: &Connection) -> Result<Session, Failure> {
    let mut builder = Session::builder(&options.connect)
        .session_timeout(options.session_timeout)
        .connection_timeout(options.connect_timeout);
    if let Some((scheme, credentials)) = &options.auth {
        builder = builder.auth(scheme, credentials.as_bytes());
    }
    if let Some(ca) = &options.tls_ca {
        let mut tls = Tls::new(ca);
        if let (Some(cert), Some(key)) = (&options.tls_cert, &options.tls_key) {
            tls = tls.identity(cert, key);
        }
        builder = builder.tls(tls);
    }
    builder.connect().await.map_err(|error| match error {
        Error::InvalidArgument(ref why) if why.to_string().starts_with("TLS ") => {
            Failure::zk("bad --tls-*", &error)
        }
        Error::InvalidArgument(_) => Failure::zk("bad --connect", &error),
        _ => Failure::from_zk(&error),
    })
}

/// Closes the session so that our nodes vanish at once rather than when it expires; bounded,
/// since a server that went away cannot confirm.
pub(crate) async fn close(session: &Session) {
    let _ = tokio::time::timeout(Duration::from_secs(2), session.close()).await;
}
