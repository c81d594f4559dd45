//! Credentials, from files or the environment: never from an argument, where `ps` shows it.

use super::acl::{self, Identity};
use crate::cli::Connection;
use crate::exit::{Failure, USAGE};

/// Whether credentials are given (`--auth-file`, `ZK_SYNC_AUTH`, `--sasl-user`), read or not.
pub(super) fn given(options: &Connection) -> bool {
    options.auth_file.is_some()
        || options.sasl_user.is_some()
        || std::env::var_os("ZK_SYNC_AUTH").is_some_and(|text| !text.is_empty())
}

/// `SCHEME:CREDENTIALS` from `--auth-file` or `ZK_SYNC_AUTH`.
pub(super) fn credentials(options: &Connection) -> Result<Option<(String, String)>, Failure> {
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

/// Who the session will be with `credentials` (from [`credentials`]) and the other options.
pub(super) fn identity(options: &Connection, credentials: Option<&(String, String)>) -> Identity {
    Identity {
        authenticated: credentials.is_some() || options.sasl_user.is_some(),
        digest: credentials.and_then(|(scheme, secret)| {
            let (user, password) = secret.split_once(':')?;
            (scheme == "digest").then(|| acl::digest_id(user, password))
        }),
        sasl: options.sasl_user.clone(),
        certificate: options.tls_cert.is_some(),
    }
}

/// The SASL password from `--sasl-password-file` or `ZK_SYNC_SASL_PASSWORD`.
pub(super) fn sasl_password(options: &Connection) -> Result<String, Failure> {
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
