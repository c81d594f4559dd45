//! Forcing a live ZooKeeper session to expire.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use zookeeper_client::{Client, SessionInfo};

use crate::error::TestkitError;
use crate::wire::{self, Attach};

/// Overall bound for [`expire_session`].
const EXPIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Ends the live session `session` on the server, so that its own client observes
/// [`SessionState::Expired`](zookeeper_client::SessionState::Expired) when it next talks to the
/// server (in practice at once: the server drops its connection, and its reconnect is refused).
///
/// When this returns `Ok`, the server has confirmed that the session no longer exists (its
/// ephemeral nodes are deleted and its watches fired) and no server keeps a connection for it,
/// so the original client is disconnected and will see `Expired` as soon as it reconnects.
///
/// How: like Curator's `KillSession`, a second connection attaches to the same session and
/// closes it. Doing that with a second `zookeeper-client` [`Client`] (`Connector::with_session`,
/// then drop it, which makes its task send `CloseSession`) turned out to be unreliable: the
/// server hands the session to the newest connection and drops the others, the original client
/// reconnects within about a millisecond, and the second client needs one more round trip (it
/// pings after the handshake) before it would send `CloseSession`, so it lost that race over and
/// over. Instead:
///
/// 1. a `Client` with the session connects to a throwaway local listener, which reads the session
///    password from its `ConnectRequest` (`SessionInfo` keeps the password private);
/// 2. a raw connection to the server sends `ConnectRequest` and `CloseSession` in one write, so
///    the close is already queued when the server moves the session over;
/// 3. this repeats until the server answers a `ConnectRequest` for the session with "no such
///    session", which is the confirmation;
/// 4. then it polls `cons` on every server until none lists a connection for the session. The
///    original client may reconnect while the session is being closed, and ZooKeeper 3.8 can then
///    leave its new connection attached to the dead session (a follower even keeps answering its
///    pings, so the client would never learn); attaching once more makes the server drop it.
///    This step needs the `cons` four-letter word, which the testkit's servers allow.
///
/// All of this is bounded by 30 s.
///
/// `connect_string` may list several servers (an ensemble); a chroot suffix is ignored. Needs a
/// tokio runtime (the capturing client spawns its task on it).
pub async fn expire_session(
    connect_string: &str,
    session: SessionInfo,
) -> Result<(), TestkitError> {
    let started = Instant::now();
    let servers = parse_connect_string(connect_string)?;
    let (session_id, password) = session_password(&session, started + EXPIRE_TIMEOUT).await?;
    if session_id != session.id().0 {
        return Err(TestkitError::Io(io::Error::other(format!(
            "the client asked for session {session_id:#x} instead of {}",
            session.id()
        ))));
    }
    expire_with_password(servers, session_id, password).await
}

/// [`expire_session`] for a session known by its id and password, whatever client opened it
/// (a [`FaultProxy`](crate::FaultProxy) reads them off the handshakes it forwards:
/// [`FaultProxy::sessions`](crate::FaultProxy::sessions)). A session that is already gone
/// returns `Ok` at once.
///
/// # Errors
///
/// As [`expire_session`].
pub async fn expire_session_with_password(
    connect_string: &str,
    session_id: i64,
    password: &[u8],
) -> Result<(), TestkitError> {
    let servers = parse_connect_string(connect_string)?;
    expire_with_password(servers, session_id, password.to_vec()).await
}

/// Steps 2 to 4 of [`expire_session`], for a session whose password is known.
pub(crate) async fn expire_with_password(
    servers: Vec<SocketAddr>,
    session_id: i64,
    password: Vec<u8>,
) -> Result<(), TestkitError> {
    let started = Instant::now();
    let deadline = started + EXPIRE_TIMEOUT;
    let attacks = tokio::task::spawn_blocking(move || {
        close_until_gone(&servers, session_id, &password, deadline)
    });
    match attacks.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(last)) => Err(TestkitError::Timeout {
            what: format!("session {session_id:#x} to be closed (last error: {last})"),
            after: started.elapsed(),
            log_tail: String::new(),
        }),
        Err(join) => Err(TestkitError::Io(io::Error::other(join.to_string()))),
    }
}

/// Attaches to the session and closes it on each server in turn until one says it is gone, then
/// makes sure no server still holds a connection for it.
fn close_until_gone(
    servers: &[SocketAddr],
    session_id: i64,
    password: &[u8],
    deadline: Instant,
) -> Result<(), String> {
    let mut last = String::from("no attempt");
    'close: loop {
        if Instant::now() >= deadline {
            return Err(last);
        }
        for &server in servers {
            match wire::attach_and_close(server, session_id, password) {
                Ok(Attach::Gone) => break 'close,
                // Closed: check again (the next attempt must find it gone).
                Ok(Attach::Closed) => last = format!("{server}: closed, not yet confirmed"),
                Err(err) => last = format!("{server}: {err}"),
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // The session's own client may have reconnected while the session was being closed: its
    // revalidation succeeded, but the server registered the connection only after the close and
    // left it attached to a session that no longer exists (a follower even answers its pings).
    // Attaching once more makes the server drop that connection; `cons` shows when none is left.
    let listed = format!("sid={session_id:#x},");
    loop {
        let holders: Vec<SocketAddr> = servers
            .iter()
            .copied()
            .filter(|&server| {
                wire::four_letter(server, "cons").is_ok_and(|cons| cons.contains(&listed))
            })
            .collect();
        if holders.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the session is closed, but {holders:?} still keep a connection for it"
            ));
        }
        for server in holders {
            let _ = wire::attach_and_close(server, session_id, password);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Lets a client with `session` connect to a local listener and reads the session id and
/// password from its `ConnectRequest`.
async fn session_password(
    session: &SessionInfo,
    deadline: Instant,
) -> Result<(i64, Vec<u8>), TestkitError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("zk-expire-capture".into())
        .spawn(move || {
            let (captured, stream) = capture(&listener, deadline);
            let _ = tx.send(captured);
            // Only now let the client see its connection close (and give up).
            drop(stream);
        })?;
    let target = addr.to_string();
    let connect = Client::connector()
        .with_session(session.clone())
        .with_session_timeout(Duration::from_secs(10))
        .with_fail_eagerly()
        .connect(&target);
    tokio::pin!(connect);
    let mut rx = rx;
    let failure = tokio::select! {
        biased;
        captured = &mut rx => {
            return captured.map_err(|_| io::Error::other("capture thread died"))?.map_err(TestkitError::Io);
        },
        result = &mut connect => result.err().map(|e| e.to_string()).unwrap_or_else(|| "unexpected handshake".into()),
    };
    // The client may notice the closed connection in the same poll in which the capture finished.
    match tokio::time::timeout(Duration::from_secs(5), rx).await {
        Ok(Ok(captured)) => captured.map_err(TestkitError::Io),
        _ => Err(TestkitError::Io(io::Error::other(format!(
            "cannot reuse session {}: {failure}",
            session.id()
        )))),
    }
}

fn capture(
    listener: &TcpListener,
    deadline: Instant,
) -> (io::Result<(i64, Vec<u8>)>, Option<TcpStream>) {
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let captured = stream
                    .set_nonblocking(false)
                    .and_then(|()| wire::read_connect_request(&mut stream));
                return (captured, Some(stream));
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(err) => return (Err(err), None),
        }
    }
}

/// `host:port[,host:port...][/chroot]`, hosts optionally prefixed with `tcp://`.
fn parse_connect_string(connect_string: &str) -> Result<Vec<SocketAddr>, TestkitError> {
    let mut servers = Vec::new();
    for host in connect_string.split(',').map(str::trim) {
        let host = host.strip_prefix("tcp://").unwrap_or(host);
        // A chroot follows the last host.
        let host = host.split('/').next().unwrap_or_default();
        if !host.is_empty() {
            servers.extend(host.to_socket_addrs()?);
        }
    }
    if servers.is_empty() {
        return Err(TestkitError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no server in connect string {connect_string:?}"),
        )));
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_strings() {
        let one: SocketAddr = "127.0.0.1:2181".parse().unwrap();
        let two: SocketAddr = "127.0.0.1:2182".parse().unwrap();
        assert_eq!(parse_connect_string("127.0.0.1:2181").unwrap(), vec![one]);
        assert_eq!(
            parse_connect_string("127.0.0.1:2181,127.0.0.1:2182/chroot/x").unwrap(),
            vec![one, two]
        );
        assert_eq!(
            parse_connect_string("tcp://127.0.0.1:2181,tcp://127.0.0.1:2182/c").unwrap(),
            vec![one, two]
        );
        assert!(parse_connect_string("").is_err());
    }
}
