//! Forcing a live ZooKeeper session to expire.

use std::time::{Duration, Instant};

use zookeeper_client::{Client, Error as ZkError, SessionInfo, SessionState};

use crate::error::TestkitError;

/// Overall bound for [`expire_session`].
const EXPIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Ends the live session `session` on the server, so that its own client observes
/// [`SessionState::Expired`] when it next talks to the server.
///
/// How: a second client attaches to the same session (`Connector::with_session`). The server
/// moves the session to that new connection (dropping the original client's connection), and the
/// second client is then dropped. `zookeeper-client` has no explicit close: dropping the last
/// `Client` of a (non-detached) session makes its background task send `CloseSession` and wait
/// for the server's reply before reporting [`SessionState::Closed`], which this function awaits.
/// The server then deletes the session's ephemeral nodes, fires watches and rejects the original
/// client's reconnect with "session expired".
///
/// Then it checks: it tries to attach to the session once more, which must fail with
/// `SessionExpired`. If it does not (the original client won a reconnect race and took the
/// session back), it closes the session again and repeats, for at most 30 s.
///
/// `connect_string` may list several servers (an ensemble). Needs a tokio runtime (the client
/// spawns its session task on it).
pub async fn expire_session(
    connect_string: &str,
    session: SessionInfo,
) -> Result<(), TestkitError> {
    let started = Instant::now();
    let deadline = started + EXPIRE_TIMEOUT;
    let timed_out = |what: String| TestkitError::Timeout {
        what,
        after: started.elapsed(),
        log_tail: String::new(),
    };
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(timed_out(format!("session {} to expire", session.id())));
        }
        let attach = Client::connector()
            .with_session(session.clone())
            .connect(connect_string);
        let client = match tokio::time::timeout(remaining, attach).await {
            Err(_) => return Err(timed_out(format!("attaching to session {}", session.id()))),
            // The session is gone: done.
            Ok(Err(ZkError::SessionExpired)) => return Ok(()),
            Ok(Err(ZkError::NoHosts | ZkError::ConnectionLoss | ZkError::Timeout)) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Ok(Err(err)) => {
                return Err(TestkitError::Io(std::io::Error::other(format!(
                    "cannot attach to session {}: {err}",
                    session.id()
                ))))
            }
            Ok(Ok(client)) => client,
        };
        let mut states = client.state_watcher();
        // Last handle: the session task sends CloseSession and waits for its reply.
        drop(client);
        let closed = async {
            loop {
                match states.changed().await {
                    SessionState::Closed | SessionState::Expired | SessionState::AuthFailed => {
                        break
                    }
                    _ => continue,
                }
            }
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        if tokio::time::timeout(remaining, closed).await.is_err() {
            return Err(timed_out(format!(
                "CloseSession of session {} to be answered",
                session.id()
            )));
        }
    }
}
