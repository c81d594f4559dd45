//! Opening the ZooKeeper session from the command-line options.

use crate::cli::Connection;
use crate::exit::{Failure, USAGE};
use std::time::Duration;
use zk_sync_core::{validate_path, Error, InvalidArgument, Session, Tls};

/// Checks `path` before connecting, so that a typo is reported as such even without a server.
pub(crate) fn check_path(path: &str) -> Result<(), Failure> {
    validate_path(path).map_err(|why| Failure::from_zk(&Error::InvalidArgument(why)))
}

/// Connects with the options given.
pub(crate) async fn session(options: &Connection) -> Result<Session, Failure> {
    let mut builder = Session::builder(&options.connect)
        .session_timeout(options.session_timeout)
        .connection_timeout(options.connect_timeout);
    if let Some((scheme, credentials)) = credentials(options)? {
        builder = builder.auth(&scheme, credentials.as_bytes());
    }
    if let Some(user) = &options.sasl_user {
        builder = builder.sasl_digest_md5(user, &sasl_password(options)?);
    }
    if options.locked_down {
        builder = builder.locked_down();
    }
    if let Some(ca) = &options.tls_ca {
        let mut tls = Tls::new(ca);
        if let (Some(cert), Some(key)) = (&options.tls_cert, &options.tls_key) {
            tls = tls.identity(cert, key);
        }
        builder = builder.tls(tls);
    }
    builder.connect().await.map_err(|error| match error {
        Error::InvalidArgument(InvalidArgument::TlsFile { .. }) => {
            Failure::zk("bad --tls-*", &error)
        }
        Error::InvalidArgument(_) => Failure::zk("bad --connect", &error),
        _ => Failure::from_zk(&error),
    })
}

/// `SCHEME:CREDENTIALS` from `--auth-file` or `ZK_SYNC_AUTH`.
fn credentials(options: &Connection) -> Result<Option<(String, String)>, Failure> {
    let text = match &options.auth_file {
        Some(file) => read_secret(file, "--auth-file")?,
        None => match std::env::var("ZK_SYNC_AUTH") {
            Ok(text) if !text.is_empty() => text,
            _ => return Ok(None),
        },
    };
    match text.split_once(':') {
        Some((scheme, credentials)) if !scheme.is_empty() => {
            Ok(Some((scheme.to_owned(), credentials.to_owned())))
        }
        _ => Err(Failure::new(
            USAGE,
            "credentials must read SCHEME:CREDENTIALS, e.g. digest:user:password",
        )),
    }
}

/// The SASL password from `--sasl-password-file` or `ZK_SYNC_SASL_PASSWORD`.
fn sasl_password(options: &Connection) -> Result<String, Failure> {
    match &options.sasl_password_file {
        Some(file) => read_secret(file, "--sasl-password-file"),
        None => std::env::var("ZK_SYNC_SASL_PASSWORD").map_err(|_| {
            Failure::new(
                USAGE,
                "--sasl-user needs --sasl-password-file or ZK_SYNC_SASL_PASSWORD",
            )
        }),
    }
}

/// The first line of a file of secrets.
fn read_secret(file: &std::path::Path, flag: &str) -> Result<String, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| Failure::new(USAGE, format!("{flag} {}: {error}", file.display())))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// Closes the session so that our nodes vanish at once rather than when it expires; bounded,
/// since a server that went away cannot confirm.
pub(crate) async fn close(session: &Session) {
    let _ = tokio::time::timeout(Duration::from_secs(2), session.close()).await;
}
