//! Opening the ZooKeeper session from the command-line options, and saying why when it cannot
//! be opened.

pub(crate) mod acl;
mod address;
mod credentials;
mod probe;

use crate::cli::Connection;
use crate::exit::{Failure, BAD_INPUT, NO_SUCH_PATH, UNAVAILABLE, USAGE};
use crate::moment::{after_a_moment, MOMENT};
use crate::{duration, say};
use address::Servers;
use futures::FutureExt;
use std::time::Duration;
use zk_sync_core::backend::Acl;
use zk_sync_core::{validate_path, Error, InvalidArgument, Session, SessionBuilder, Tls};

/// How long the probe behind the waiting line may take: the line should not wait for it.
const QUICK_PROBE: Duration = Duration::from_millis(250);

/// ZooKeeper's own subtree (quotas, configuration): no place for a recipe's nodes.
const RESERVED: &str = "/zookeeper";

/// Checks `path` before connecting, so that a typo is reported as such even without a server.
pub(crate) fn check_path(path: &str) -> Result<(), Failure> {
    validate_path(path).map_err(|why| Failure::from_zk(&Error::InvalidArgument(why)))
}

/// Checks the path a recipe will create its nodes under: [`check_path`], and not within
/// ZooKeeper's reserved `/zookeeper` (counting the chroot of `--connect`).
pub(crate) fn check_recipe_path(options: &Connection, path: &str) -> Result<(), Failure> {
    check_path(path)?;
    let servers = address::parse(&options.connect)?;
    let full = format!("{}{path}", servers.chroot.as_deref().unwrap_or(""));
    if full == RESERVED || full.starts_with(&format!("{RESERVED}/")) {
        return Err(Failure::new(
            BAD_INPUT,
            format!("path {full:?} is in ZooKeeper's reserved {RESERVED} subtree: choose another"),
        ));
    }
    Ok(())
}

/// Connects with the options given. Says so when it takes longer than a [`MOMENT`]; fails at
/// once when no host resolves, and otherwise after `--connect-timeout`, saying what the
/// servers answered (refused, no such host, timed out).
pub(crate) async fn session(options: &Connection) -> Result<Session, Failure> {
    let servers = address::parse(&options.connect)?;
    let builder = builder(options, &servers)?;
    let session = establish(builder, &servers, options.connect_timeout).await?;
    if let Err(failure) = check_chroot(&session, &servers).await {
        close(&session).await;
        return Err(failure);
    }
    say::detail(&format!(
        "connected to ZooKeeper at {} (session {:#x})",
        servers.connect_string,
        session.status().session_id
    ));
    Ok(session)
}

fn builder(options: &Connection, servers: &Servers) -> Result<SessionBuilder, Failure> {
    let mut builder = Session::builder(&servers.connect_string)
        .session_timeout(options.session_timeout)
        .connection_timeout(options.connect_timeout);
    let credentials = credentials::credentials(options)?;
    let identity = credentials::identity(options, credentials.as_ref());
    if let Some((scheme, credentials)) = credentials {
        builder = builder.auth(&scheme, credentials.as_bytes());
    }
    if let Some(user) = &options.sasl_user {
        builder = builder.sasl_digest_md5(user, &credentials::sasl_password(options)?);
    }
    let acl = match (&options.acl, options.locked_down) {
        (Some(acl), _) => Some(acl.0.clone()),
        (None, true) => Some(Acl::locked_down()),
        (None, false) => None,
    };
    if let Some(acl) = acl {
        acl::check_usable(&acl, &identity).map_err(|why| Failure::new(USAGE, why))?;
        builder = builder.default_acl(acl);
    }
    if let Some(ca) = &options.tls_ca {
        let mut tls = Tls::new(ca);
        if let (Some(cert), Some(key)) = (&options.tls_cert, &options.tls_key) {
            tls = tls.identity(cert, key);
        }
        builder = builder.tls(tls);
    }
    Ok(builder)
}

/// Runs `builder.connect()`, resolving the hosts meanwhile and trying them with TCP once
/// the connect takes more than a moment or fails.
async fn establish(
    builder: SessionBuilder,
    servers: &Servers,
    connect_timeout: Duration,
) -> Result<Session, Failure> {
    let unavailable = |why: String| {
        Failure::new(
            UNAVAILABLE,
            format!(
                "could not connect to ZooKeeper at {}: {why}",
                servers.host_list()
            ),
        )
    };
    // A probe that does not answer within this long counts as timed out.
    let probe_within = connect_timeout.clamp(Duration::from_millis(100), MOMENT);
    // One resolution for three uses: failing at once when no host resolves, the line said
    // after a moment, and the diagnosis of a failed connect.
    let resolving = probe::resolve(&servers.hosts, connect_timeout).shared();
    let nobody_resolves = async {
        let found = resolving.clone().await;
        if found.nobody_resolves() {
            found
        } else {
            std::future::pending().await
        }
    };
    let connecting = async {
        tokio::select! {
            biased;
            connected = builder.connect() => Ok(connected),
            found = nobody_resolves => Err(unavailable(found.unresolved().describe())),
        }
    };
    let say = async {
        // Probed only when resolved by now: the line should not wait for the resolver.
        let why = match resolving.clone().now_or_never() {
            Some(found) => found.probe(probe_within.min(QUICK_PROBE)).await.describe(),
            None => String::new(),
        };
        let why = if why.is_empty() {
            why
        } else {
            format!(": {why}")
        };
        say::note(&format!(
            "waiting for ZooKeeper at {} (up to {}){why}",
            servers.host_list(),
            duration::show(connect_timeout)
        ));
    };
    let error = match after_a_moment(connecting, say).await? {
        Ok(session) => return Ok(session),
        Err(error) => error,
    };
    match &error {
        Error::InvalidArgument(InvalidArgument::TlsFile { .. }) => {
            Err(Failure::zk("bad --tls-*", &error))
        }
        Error::InvalidArgument(_) => Err(Failure::zk("bad --connect", &error)),
        Error::Connect { .. } if !error.is_no_auth() => {
            let diagnosis = resolving.await.probe(probe_within).await;
            match diagnosis.describe() {
                why if why.is_empty() => Err(Failure::from_zk(&error)),
                why if diagnosis.someone_listens() => Err(unavailable(format!(
                    "timed out after {}: {why}",
                    duration::show(connect_timeout)
                ))),
                why => Err(unavailable(why)),
            }
        }
        _ => Err(Failure::from_zk(&error)),
    }
}

/// Fails with [`NO_SUCH_PATH`] when the chroot of `--connect` does not exist: every path
/// would be missing its first part.
async fn check_chroot(session: &Session, servers: &Servers) -> Result<(), Failure> {
    let Some(chroot) = &servers.chroot else {
        return Ok(());
    };
    let reading = |error: Error| Failure::zk(&format!("reading the chroot {chroot}"), &error);
    let epoch = session.live_epoch().await.map_err(reading)?;
    // With a chroot, "/" is the chroot itself.
    match epoch.data("/").await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(Failure::new(
            NO_SUCH_PATH,
            format!(
                "the chroot {chroot} of --connect does not exist on ZooKeeper at {}: create it first",
                servers.host_list()
            ),
        )),
        // It exists; reading it is merely forbidden.
        Err(error) if error.is_no_auth() => Ok(()),
        Err(error) => Err(reading(error)),
    }
}

/// Warns (unless `-q`) when credentials are given but the nodes zk-sync creates stay open:
/// anyone could take the lock, whatever their credentials (a wrong digest password is
/// merely another identity).
pub(crate) fn warn_if_nodes_are_open(options: &Connection) {
    if options.acl.is_none() && !options.locked_down && credentials::given(options) {
        say::note("credentials given without --acl or --locked-down: the nodes zk-sync creates are open to everyone (world:anyone:cdrwa), so other or wrong credentials can take the lock too");
    }
}

/// Closes the session so that our nodes vanish at once rather than when it expires; bounded,
/// since a server that went away cannot confirm.
pub(crate) async fn close(session: &Session) {
    let _ = tokio::time::timeout(Duration::from_secs(2), session.close()).await;
}
