//! The task between a backend's handle and its `zookeeper-async` client.
//!
//! The client sends a request only when its future is first polled, and loses credentials and
//! watches when it reconnects. The dispatcher owns the client and takes requests in call
//! order from an unbounded channel: it polls each one once as it starts it (which queues it
//! for the socket behind the previous one), then drives them all. Around that it keeps the
//! connection honest: it holds requests back while the client reconnects, sends the session's
//! credentials again with nothing else in flight (the server answers them out of turn, and
//! the client pairs replies with requests by order), reads the root when the connection has
//! been quiet, and reports the connection dead when no answer came for the connection
//! timeout.

use super::convert::code_of;
use super::link::Link;
use crate::backend::BackendState;
use crate::session::lease::is_answer;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};
use zookeeper_async as zk;

/// One request: builds the client's future, which reports whether the server answered.
pub(super) type Job = Box<dyn FnOnce(&Arc<zk::ZooKeeper>) -> BoxFuture<'static, bool> + Send>;

/// Requests handed to the client and not yet answered, at most. The client's own channel
/// holds 64, and its task sends its pings into that channel itself: a full channel would
/// wedge it for good.
const IN_FLIGHT: usize = 32;

/// What finished among the futures the dispatcher drives.
enum Finished {
    /// A request (or the quiet-connection read); whether the server answered it.
    Request { answered: bool, probe: bool },
    /// The credentials sent again after a reconnect, with the server's verdict.
    Auth(Result<(), zk::ZkError>),
}

pub(super) struct Dispatcher {
    pub(super) client: Arc<zk::ZooKeeper>,
    pub(super) link: Arc<Link>,
    pub(super) auth: Vec<(String, Vec<u8>)>,
    /// No answer for this long: the connection is reported dead.
    pub(super) dead_after: Duration,
    /// Bounds how long closing the client may take.
    pub(super) session_timeout: Duration,
    /// The connection (counted by [`Link::connects`]) the credentials were taken on at connect.
    pub(super) credentials_taken_on: u64,
}

/// Where the credentials stand on the client's current connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Credentials {
    /// Taken on connection `n` (counted by [`Link::connects`]).
    TakenOn(u64),
    /// Sent on connection `n`; not all answered yet.
    SentOn(u64),
}

impl Dispatcher {
    pub(super) async fn run(
        self,
        mut jobs: mpsc::UnboundedReceiver<Job>,
        mut client_state: watch::Receiver<zk::ZkState>,
    ) {
        // As the default client does: a read after three eighths of the connection timeout
        // without an answer, and the connection is dead after all of it.
        let tick = (self.dead_after / 8).max(Duration::from_millis(1));
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut driven: FuturesUnordered<BoxFuture<'static, Finished>> = FuturesUnordered::new();
        let mut queued: VecDeque<Job> = VecDeque::new();
        let mut in_flight = 0;
        let mut auth_pending = 0;
        let mut credentials = Credentials::TakenOn(self.credentials_taken_on);
        let mut connection = self.link.connects();
        let mut last_answer = Instant::now();
        let mut probing = false;
        loop {
            tokio::select! {
                biased;
                changed = client_state.changed() => {
                    if changed.is_err() {
                        self.link.end(BackendState::Closed);
                    }
                }
                Some(finished) = driven.next(), if !driven.is_empty() => match finished {
                    Finished::Request { answered, probe } => {
                        in_flight -= 1;
                        probing &= !probe;
                        if answered {
                            last_answer = Instant::now();
                        }
                    }
                    Finished::Auth(verdict) => {
                        auth_pending -= 1;
                        match verdict {
                            Ok(()) => {
                                last_answer = Instant::now();
                                if let (0, Credentials::SentOn(n)) = (auth_pending, credentials) {
                                    credentials = Credentials::TakenOn(n);
                                }
                            }
                            Err(zk::ZkError::AuthFailed) => self.link.end(BackendState::AuthFailed),
                            // Lost with the connection: sent again on the next one.
                            Err(_) => {}
                        }
                    }
                },
                job = jobs.recv() => match job {
                    Some(job) => queued.push_back(job),
                    // The backend is gone.
                    None => self.link.end(BackendState::Closed),
                },
                _ = ticks.tick() => {}
            }
            if self.link.ended().is_some() {
                break;
            }
            let reconnecting = *client_state.borrow() == zk::ZkState::Connecting;
            let connects = self.link.connects();
            if connects != connection && !reconnecting {
                // A new connection (even if the dispatcher never saw the client reconnect).
                connection = connects;
                last_answer = Instant::now();
            }
            let needs_credentials =
                !self.auth.is_empty() && credentials != Credentials::TakenOn(connection);
            if needs_credentials && !reconnecting {
                if credentials != Credentials::SentOn(connection)
                    && in_flight == 0
                    && auth_pending == 0
                {
                    // Alone on the connection: the server answers credentials at once, and
                    // the client would hand that answer to whatever request came before.
                    credentials = Credentials::SentOn(connection);
                    // Nothing else goes out until they are taken, so they need not be sent
                    // at once: driving them sends them, each verdict counted as it comes.
                    for (scheme, secret) in &self.auth {
                        let client = self.client.clone();
                        let (scheme, secret) = (scheme.clone(), secret.clone());
                        auth_pending += 1;
                        driven.push(Box::pin(async move {
                            Finished::Auth(client.add_auth(scheme, secret).await)
                        }));
                    }
                }
            } else if !reconnecting {
                while in_flight < IN_FLIGHT {
                    let Some(job) = queued.pop_front() else { break };
                    let answered = job(&self.client);
                    let mut request: BoxFuture<'static, Finished> = Box::pin(async move {
                        Finished::Request {
                            answered: answered.await,
                            probe: false,
                        }
                    });
                    in_flight += 1;
                    // The first poll puts it in the client's queue, behind the one before.
                    if futures::poll!(&mut request).is_pending() {
                        driven.push(request);
                    } else {
                        in_flight -= 1;
                    }
                }
                if !probing && in_flight < IN_FLIGHT && last_answer.elapsed() >= tick * 3 {
                    probing = true;
                    in_flight += 1;
                    let client = self.client.clone();
                    driven.push(Box::pin(async move {
                        let reply = client.exists("/", false).await.map_err(code_of);
                        Finished::Request {
                            answered: is_answer(&reply),
                            probe: true,
                        }
                    }));
                }
            }
            let usable = !reconnecting && !needs_credentials;
            let state = if usable && last_answer.elapsed() < self.dead_after {
                BackendState::Connected
            } else {
                BackendState::Disconnected
            };
            self.link.state.send_if_modified(|now| {
                let changed = *now != state;
                *now = state;
                changed
            });
        }
        let end = self.link.ended().unwrap_or(BackendState::Closed);
        self.link.state.send_replace(end);
        // Whatever is queued or in flight fails with the end. The client must not outlive
        // us: after an expiry it is already opening a session of its own.
        drop((driven, queued, jobs));
        if *client_state.borrow() != zk::ZkState::Closed {
            close(&self.client, self.session_timeout).await;
        }
    }
}

/// Closes the client's session, trying again while it reconnects, for a bounded time.
///
/// Its task stops only once `CloseSession` is written: until then it keeps reconnecting.
pub(super) async fn close(client: &zk::ZooKeeper, session_timeout: Duration) {
    let deadline = Instant::now() + (session_timeout * 2).max(Duration::from_secs(10));
    while Instant::now() < deadline {
        match tokio::time::timeout(session_timeout, client.close()).await {
            Ok(Ok(())) => return,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    tracing::warn!("a zookeeper-async client could not close its session; it keeps reconnecting in the background");
}
