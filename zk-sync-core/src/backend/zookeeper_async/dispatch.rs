//! The task between a backend's handle and its `zookeeper-async` client.
//!
//! The client sends a request only when its future is first polled, and loses auth and
//! watches when it reconnects. The dispatcher owns the client and takes requests in call
//! order from an unbounded channel: it polls each one once as it takes it (which queues it
//! for the socket behind the previous one), then drives them all. Around that it keeps the
//! connection honest: it holds requests back while the client reconnects and sends the
//! session's credentials again first, counts reconnects (a watch set before one is gone),
//! reads the root when the connection has been quiet, and reports the connection dead when
//! no answer came for the connection timeout.

use super::convert::code_of;
use super::link::Link;
use crate::backend::BackendState;
use crate::session::lease::is_answer;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};
use zookeeper_async as zk;

/// One request: builds the client's future, which reports whether the server answered.
pub(super) type Job = Box<dyn FnOnce(&Arc<zk::ZooKeeper>) -> BoxFuture<'static, bool> + Send>;

/// What finished among the futures the dispatcher drives.
enum Finished {
    /// A request; whether the server answered it.
    Request(bool),
    /// The quiet-connection read; whether the server answered it.
    Probe(bool),
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
        let mut last_answer = Instant::now();
        let mut probing = false;
        let mut reconnecting = false;
        loop {
            tokio::select! {
                biased;
                changed = client_state.changed() => {
                    if changed.is_err() {
                        self.link.end(BackendState::Closed);
                        break;
                    }
                    let now = *client_state.borrow_and_update();
                    match now {
                        zk::ZkState::Connecting if !reconnecting => {
                            reconnecting = true;
                            // Every watch set so far died with the connection.
                            self.link.connection.send_modify(|n| *n += 1);
                        }
                        zk::ZkState::Connected | zk::ZkState::ConnectedReadOnly if reconnecting => {
                            reconnecting = false;
                            last_answer = Instant::now();
                            // The server keeps credentials per connection: send them first.
                            for (scheme, credentials) in &self.auth {
                                let client = self.client.clone();
                                let (scheme, credentials) = (scheme.clone(), credentials.clone());
                                let mut auth: BoxFuture<'static, Finished> = Box::pin(async move {
                                    Finished::Auth(client.add_auth(scheme, credentials).await)
                                });
                                if futures::poll!(&mut auth).is_pending() {
                                    driven.push(auth);
                                }
                            }
                        }
                        #[allow(deprecated)]
                        zk::ZkState::NotConnected => self.link.end(BackendState::Expired),
                        zk::ZkState::AuthFailed => self.link.end(BackendState::AuthFailed),
                        zk::ZkState::Closed => self.link.end(BackendState::Closed),
                        _ => {}
                    }
                }
                Some(finished) = driven.next(), if !driven.is_empty() => match finished {
                    Finished::Request(answered) | Finished::Probe(answered) => {
                        if matches!(finished, Finished::Probe(_)) {
                            probing = false;
                        }
                        if answered {
                            last_answer = Instant::now();
                        }
                    }
                    Finished::Auth(Ok(())) => last_answer = Instant::now(),
                    Finished::Auth(Err(zk::ZkError::AuthFailed)) => {
                        self.link.end(BackendState::AuthFailed)
                    }
                    // Lost with the connection: the next reconnect sends it again.
                    Finished::Auth(Err(_)) => {}
                },
                job = jobs.recv(), if !reconnecting => {
                    let Some(job) = job else { break };
                    if self.link.ended().is_some() {
                        continue;
                    }
                    let answered = job(&self.client);
                    let mut request: BoxFuture<'static, Finished> =
                        Box::pin(async move { Finished::Request(answered.await) });
                    // The first poll puts it in the client's queue, behind the one before.
                    if futures::poll!(&mut request).is_pending() {
                        driven.push(request);
                    }
                }
                _ = ticks.tick() => {
                    if !reconnecting && !probing && last_answer.elapsed() >= tick * 3 {
                        probing = true;
                        let client = self.client.clone();
                        driven.push(Box::pin(async move {
                            let reply = client.exists("/", false).await.map_err(code_of);
                            Finished::Probe(is_answer(&reply))
                        }));
                    }
                }
            }
            if self.link.ended().is_some() {
                break;
            }
            let state = if reconnecting || last_answer.elapsed() >= self.dead_after {
                BackendState::Disconnected
            } else {
                BackendState::Connected
            };
            self.link.state.send_if_modified(|now| {
                let changed = *now != state;
                *now = state;
                changed
            });
        }
        self.link.end(BackendState::Closed);
        let end = self.link.ended().unwrap_or(BackendState::Closed);
        self.link.state.send_replace(end);
        // Whatever is still in flight fails with the end. The client must not outlive us:
        // after an expiry it is already opening a session of its own.
        drop(driven);
        drop(jobs);
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
