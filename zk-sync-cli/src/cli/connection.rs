//! The options every command shares: how to reach ZooKeeper, as whom, and with which ACL.

use crate::connect::acl::{self, AclList};
use crate::duration;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach ZooKeeper.
#[derive(Debug, Args)]
pub(crate) struct Connection {
    /// ZooKeeper servers: `host:port[,host:port...][/chroot]`; a `zk://` or `tcp://` before a
    /// host is accepted and ignored. A chroot must exist already
    #[arg(
        long,
        env = "ZK_SYNC_CONNECT",
        default_value = "127.0.0.1:2181",
        global = true
    )]
    pub(crate) connect: String,

    #[arg(long, value_name = "DURATION", help = duration::help("Session timeout: after this long without a connection, locks are lost"), default_value = "10s", value_parser = duration::parse_positive, allow_hyphen_values = true, global = true)]
    pub(crate) session_timeout: Duration,

    #[arg(long, value_name = "DURATION", help = duration::help("Time allowed to establish a session"), default_value = "5s", value_parser = duration::parse_positive, allow_hyphen_values = true, global = true)]
    pub(crate) connect_timeout: Duration,

    /// Authenticate with the SCHEME:CREDENTIALS in this file (e.g. digest:user:password), or
    /// set ZK_SYNC_AUTH to them; never an argument, where `ps` would show it
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) auth_file: Option<PathBuf>,

    /// SASL DIGEST-MD5 user; the password comes from --sasl-password-file or ZK_SYNC_SASL_PASSWORD
    #[arg(long, value_name = "USER", env = "ZK_SYNC_SASL_USER", global = true)]
    pub(crate) sasl_user: Option<String>,

    /// The SASL password, in this file (first line)
    #[arg(long, value_name = "FILE", requires = "sasl_user", global = true)]
    pub(crate) sasl_password_file: Option<PathBuf>,

    #[arg(long, value_name = "ACL", value_parser = acl::parse, help = acl::HELP, global = true)]
    pub(crate) acl: Option<AclList>,

    /// The same as --acl locked-down: only this identity creates and deletes in the
    /// directories and nodes zk-sync creates, everyone may read (needs credentials)
    #[arg(long, conflicts_with = "acl", global = true)]
    pub(crate) locked_down: bool,

    /// Connect over TLS (the servers' secureClientPort), trusting the CA certificates of this PEM file
    #[arg(long, value_name = "FILE", env = "ZK_SYNC_TLS_CA", global = true)]
    pub(crate) tls_ca: Option<PathBuf>,

    /// Mutual TLS: the client certificate (PEM) to present; needs --tls-key and --tls-ca
    #[arg(long, value_name = "FILE", env = "ZK_SYNC_TLS_CERT", requires_all = ["tls_key", "tls_ca"], global = true)]
    pub(crate) tls_cert: Option<PathBuf>,

    /// Mutual TLS: the client certificate's private key (PEM); needs --tls-cert
    #[arg(
        long,
        value_name = "FILE",
        env = "ZK_SYNC_TLS_KEY",
        requires = "tls_cert",
        global = true
    )]
    pub(crate) tls_key: Option<PathBuf>,
}
