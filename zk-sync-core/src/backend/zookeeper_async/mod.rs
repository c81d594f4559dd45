//! [`Backend`] over the `zookeeper-async` crate, the second wire client (feature
//! `zookeeper-async`).
//!
//! Its differences from the default client, and how each is made up for, are listed on
//! [`ZookeeperAsyncConnector`].

mod convert;
mod dispatch;
mod link;

use self::convert::{acls_of, code_of, mode_of, stat_of};
use self::dispatch::{Dispatcher, Job};
use self::link::Link;
use super::{
    count_request, Acl, Backend, BackendState, ConnectConfig, Connector, Created, NodeKind, Reply,
    Stat, WatchFuture,
};
use crate::error::ZkErrorCode;
use crate::session::lease::is_answer;
use futures::FutureExt;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use zookeeper_async as zk;

/// The pause between two attempts of the client to reach a server.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);

/// Opens sessions with `zookeeper-async` (feature `zookeeper-async`), making up for each of
/// its differences from the default client (see below).
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> zk_sync_core::Result<()> {
/// use zk_sync_core::{backend::ZookeeperAsyncConnector, Session};
///
/// let session = Session::builder("127.0.0.1:2181")
///     .connector(ZookeeperAsyncConnector::new())
///     .connect()
///     .await?;
/// # drop(session); Ok(()) }
/// ```
///
/// A session can start on a client the application opened itself:
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use zk_sync_core::{backend::ZookeeperAsyncConnector, Session};
///
/// let timeout = Duration::from_secs(10);
/// let client = zookeeper_async::ZooKeeper::connect("127.0.0.1:2181", timeout, |_| {}).await?;
/// let session = Session::builder("127.0.0.1:2181")
///     .session_timeout(timeout)
///     .connector(ZookeeperAsyncConnector::adopting(client))
///     .connect()
///     .await?;
/// # drop(session); Ok(()) }
/// ```
///
/// # Differences from the default client
///
/// `zookeeper-async` 5 behaves differently from the default client in ways that matter to a
/// lock. Each is made up for here, so that a [`Session`](crate::Session) over it keeps every
/// promise it makes over the default client:
///
/// | `zookeeper-async` | what this backend does |
/// |---|---|
/// | A request is sent when its future is first polled, not when it is made. | Requests go to one task per session in call order, which polls each once as it takes it: they reach the server in call order, so a create and the listing behind it still share a round trip. |
/// | When the session expires, it reports `NotConnected` and opens a new session by itself. | The expiry ends the backend the moment the client reports it: every later request is refused, the [`Session`](crate::Session) starts a new epoch (every hold of the old one is lost, never carried over), and the client is closed, which also closes the session it opened on its own. An ephemeral node of an unexpected owner ends it too. |
/// | A watch set before a reconnect never fires after it (and the client keeps it for good). | Every watch resolves [`NodeEvent::WatchLost`](super::NodeEvent::WatchLost) once the connection it was set on is replaced; whoever waited re-checks the node and watches it again. The client's own leftover costs a few dozen bytes per watch and reconnect, until the session ends. |
/// | Credentials are not sent again after a reconnect (the server keeps them per connection), and the server answers credentials out of turn while the client pairs replies with requests by their order. | Requests are held back while the client reconnects; once it is back, the credentials go out alone (after the replies to whatever was still on its way), and requests follow once they are taken. A request that reached the new connection ahead of them and was refused `NoAuth` is reported as a lost connection, so the caller tries again. Credentials an application added to a client it handed over (see [`ZookeeperAsyncConnector::adopting`]) are not sent again: give them to the session builder. |
/// | No `multi`. | [`Backend::create_after_deletes`](super::Backend::create_after_deletes) is `None`: a release goes out as its own delete, before the next create, and an acquire always lists the queue (no release folding, no listing skip). |
/// | A dead connection is noticed after 4/3 of the session timeout, when the session is already gone. | The backend reads the root whenever the connection has been quiet for 3/8 of its connection timeout, and reports the connection dead once nothing was answered for the whole of it, as the default client does (the connection timeout is the session builder's, or 2/5 of the session timeout when that is more than 3/5 of it). Holds become uncertain then; the session is lost after a session timeout without an answer. The client cannot be told to drop the connection, so a session whose server went silent is lost even when other servers are healthy; and its connect has no timeout of its own, so an unreachable address can hold up its reconnects for the operating system's connect timeout. |
/// | Its read timeout is 2/3 of the session timeout rounded *down* to whole seconds, and zero below 1.5 s (it then reconnects without end). | Sessions ask for at least [`ZookeeperAsyncConnector::MIN_SESSION_TIMEOUT`]. |
/// | The session id and the negotiated session timeout are not exposed. | The session id is learned from the owner of the session's first ephemeral node ([`Backend::session_id`](super::Backend::session_id) is 0 before, so a create whose reply was lost before that is not adopted but created again). The requested timeout is taken as the session's: keep it within the servers' `minSessionTimeout` and `maxSessionTimeout`, or the local lease would outlast a server that shortened it. |
/// | No `createContainer` request; the server makes a create with the container flag a plain persistent node. | Nothing can make up for it: the directories (and missing parents) the recipes create over this client are persistent, and stay, empty, after their last contender (the default client and Curator create containers, which the server removes). An empty directory blocks nobody; create long-lived ones beforehand, or remove empty ones yourself. |
/// | No TLS and no SASL. | A session asking for either fails to connect, saying so. |
/// | Dropping the client does not end its task, which keeps reconnecting; its task sends its own pings into its 64-request channel and waits forever when that is full. | The backend closes the client's session when it is done with it (trying for twice the session timeout, at least 10 s, while no server answers), and hands it at most 32 unanswered requests at a time. |
/// | A data watch on a missing node is kept by the client forever, though the server sets none. | Nothing: each costs a few dozen bytes until the session ends. |
pub struct ZookeeperAsyncConnector {
    adopted: Mutex<Option<zk::ZooKeeper>>,
}

impl ZookeeperAsyncConnector {
    /// The shortest session timeout asked for: below it the client's own read timeout is
    /// zero, and it reconnects without end.
    pub const MIN_SESSION_TIMEOUT: Duration = Duration::from_millis(1500);

    /// A connector that opens a new client for every session.
    pub fn new() -> ZookeeperAsyncConnector {
        ZookeeperAsyncConnector {
            adopted: Mutex::new(None),
        }
    }

    /// A connector whose first session is `client`'s, an already connected client; later
    /// sessions (after a loss) get clients of their own.
    ///
    /// The [`Session`](crate::Session) owns the client from then on, and closes it when it
    /// gives the session up. That is what makes adopting it sound: after an expiry the client
    /// opens a new session by itself, and a request of ours still on its way could land in
    /// it, so that session must end with ours. The client does not tell its session timeout:
    /// build the session with the one the client was opened with.
    pub fn adopting(client: zk::ZooKeeper) -> ZookeeperAsyncConnector {
        ZookeeperAsyncConnector {
            adopted: Mutex::new(Some(client)),
        }
    }
}

impl Default for ZookeeperAsyncConnector {
    fn default() -> Self {
        ZookeeperAsyncConnector::new()
    }
}

impl fmt::Debug for ZookeeperAsyncConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let adopted = self.adopted.lock().map(|a| a.is_some()).unwrap_or(false);
        f.debug_struct("ZookeeperAsyncConnector")
            .field("adopted", &adopted)
            .finish()
    }
}

#[async_trait::async_trait]
impl Connector for ZookeeperAsyncConnector {
    async fn connect(&self, config: &ConnectConfig) -> Result<Arc<dyn Backend>, ZkErrorCode> {
        if config.tls.is_some() || config.sasl.is_some() {
            return Err(ZkErrorCode::Other(
                "zookeeper-async has no TLS and no SASL; use the default zookeeper-client backend"
                    .into(),
            ));
        }
        let session_timeout = config
            .session_timeout
            .max(ZookeeperAsyncConnector::MIN_SESSION_TIMEOUT);
        let adopted = self
            .adopted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let client = match adopted {
            Some(client) => client,
            None => zk::ZooKeeper::connect_with_retry_time(
                &rotated(&config.connect_string),
                session_timeout,
                |_: zk::WatchedEvent| {},
                RECONNECT_PAUSE,
            )
            .await
            .map_err(code_of)?,
        };
        let client = Arc::new(client);
        // Closed in the background if connecting fails or is given up from here on.
        let mut unfinished = CloseOnDrop(Some((client.clone(), session_timeout)));
        let link = Arc::new(Link::new());
        let (client_state, client_states) = watch::channel(zk::ZkState::Connecting);
        let client_state = Arc::new(client_state);
        let heard = Arc::new(AtomicBool::new(false));
        {
            let (link, client_state, heard) = (link.clone(), client_state.clone(), heard.clone());
            client.add_listener(move |state| {
                link.client_state_changed(state);
                heard.store(true, Ordering::Release);
                client_state.send_replace(state);
            });
        }
        // Credentials, then a read queued behind them and the handshake: its answer means the
        // session is established. Both again if the connection drops meanwhile.
        let credentials_taken_on = loop {
            if link.ended().is_some() {
                return Err(link.failure());
            }
            let connection = link.connects();
            let mut taken = Ok(());
            for (scheme, credentials) in &config.auth {
                taken = client
                    .add_auth(scheme, credentials.clone())
                    .await
                    .map_err(code_of);
                if taken.is_err() {
                    break;
                }
            }
            let reply = match taken {
                Ok(()) => client.exists("/", false).await.map_err(code_of),
                Err(code) => Err(code),
            };
            match reply {
                Err(ZkErrorCode::ConnectionLoss) => tokio::time::sleep(RECONNECT_PAUSE).await,
                reply if is_answer(&reply) => break connection,
                Err(code) => return Err(code),
                Ok(_) => break connection,
            }
        };
        if link.ended().is_some() {
            return Err(link.failure());
        }
        // The listener may have been added after the client reported the handshake.
        client_state.send_if_modified(|state| {
            let fill_in = !heard.load(Ordering::Acquire);
            if fill_in {
                *state = zk::ZkState::Connected;
            }
            fill_in
        });
        let connection_timeout = config.connection_timeout;
        let dead_after = if connection_timeout <= session_timeout * 3 / 5 {
            connection_timeout
        } else {
            session_timeout * 2 / 5
        };
        let (jobs, queued) = mpsc::unbounded_channel();
        let mut client_states = client_states;
        client_states.mark_unchanged();
        unfinished.0 = None;
        tokio::spawn(
            Dispatcher {
                client,
                link: link.clone(),
                auth: config.auth.clone(),
                dead_after,
                session_timeout,
                credentials_taken_on,
            }
            .run(queued, client_states),
        );
        Ok(Arc::new(ZookeeperAsyncBackend {
            jobs,
            link,
            session_timeout,
        }))
    }
}

/// The connect string with its servers rotated by a random offset, so that sessions spread
/// over the ensemble (the client always starts with the first).
fn rotated(connect_string: &str) -> String {
    let (servers, chroot) =
        connect_string.split_at(connect_string.find('/').unwrap_or(connect_string.len()));
    let mut servers: Vec<&str> = servers.split(',').collect();
    let by = (uuid::Uuid::new_v4().as_u128() % servers.len() as u128) as usize;
    servers.rotate_left(by);
    format!("{}{chroot}", servers.join(","))
}

/// Closes a client in the background unless defused.
struct CloseOnDrop(Option<(Arc<zk::ZooKeeper>, Duration)>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        if let (Some((client, timeout)), Ok(runtime)) =
            (self.0.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move { dispatch::close(&client, timeout).await });
        }
    }
}

/// One `zookeeper-async` session. Dropping it closes the session.
#[derive(Debug)]
struct ZookeeperAsyncBackend {
    jobs: mpsc::UnboundedSender<Job>,
    link: Arc<Link>,
    session_timeout: Duration,
}

impl ZookeeperAsyncBackend {
    /// Hands a request to the dispatcher, in call order. `request` runs on the client when
    /// the dispatcher starts it, with the connection it goes out on (as counted by
    /// [`Link::connection_now`]).
    fn send<T, F>(
        &self,
        op: &'static str,
        request: impl FnOnce(Arc<zk::ZooKeeper>, u64) -> F + Send + 'static,
    ) -> Reply<'static, T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, ZkErrorCode>> + Send + 'static,
    {
        count_request(op);
        let (reply_tx, reply_rx) = oneshot::channel();
        let link = self.link.clone();
        let job: Job = Box::new(move |client| {
            let client = client.clone();
            let on = link.connection_now();
            Box::pin(async move {
                let reply = match request(client, on).await {
                    // Sent before a reconnect, it reached the server ahead of the credentials:
                    // as if lost, and the caller tries again.
                    Err(ZkErrorCode::NoAuth) if link.connection_now() != on => {
                        Err(ZkErrorCode::ConnectionLoss)
                    }
                    Err(ZkErrorCode::SessionExpired) => {
                        link.end(BackendState::Expired);
                        Err(ZkErrorCode::SessionExpired)
                    }
                    reply => reply,
                };
                let answered = is_answer(&reply);
                let _ = reply_tx.send(reply);
                answered
            })
        });
        if self.link.ended().is_none() {
            let _ = self.jobs.send(job);
        }
        let link = self.link.clone();
        async move { reply_rx.await.unwrap_or_else(|_| Err(link.failure())) }.boxed()
    }

    /// A watch's callback, and what makes its future once the request went out on
    /// connection `on`.
    fn watcher(
        &self,
    ) -> (
        impl FnOnce(zk::WatchedEvent) + Send,
        impl FnOnce(u64) -> WatchFuture,
    ) {
        let (fired_tx, fired_rx) = oneshot::channel();
        let link = self.link.clone();
        (
            move |event| {
                let _ = fired_tx.send(event);
            },
            move |on| link.watch_future(fired_rx, on),
        )
    }
}

impl Backend for ZookeeperAsyncBackend {
    fn session_id(&self) -> i64 {
        self.link.session_id()
    }

    fn session_timeout(&self) -> Duration {
        self.session_timeout
    }

    fn state(&self) -> watch::Receiver<BackendState> {
        self.link.state.subscribe()
    }

    fn create<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Reply<'a, Created> {
        let (path, data, acl) = (path.to_owned(), data.to_vec(), acls_of(acl));
        let link = self.link.clone();
        let ephemeral = matches!(kind, NodeKind::Ephemeral | NodeKind::EphemeralSequential);
        self.send("create", move |client, _| async move {
            let (path, stat) = client
                .create2(&path, data, acl, mode_of(kind))
                .await
                .map_err(code_of)?;
            if ephemeral && !link.owns(stat.ephemeral_owner) {
                // Created in a session the client opened by itself, which is closed with it.
                return Err(ZkErrorCode::SessionExpired);
            }
            Ok(Created {
                path,
                stat: stat_of(&stat),
            })
        })
    }

    fn delete(&self, path: &str, version: Option<i32>) -> Reply<'static, ()> {
        let path = path.to_owned();
        self.send("delete", move |client, _| async move {
            client.delete(&path, version).await.map_err(code_of)
        })
    }

    fn set_data<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        version: Option<i32>,
    ) -> Reply<'a, Stat> {
        let (path, data) = (path.to_owned(), data.to_vec());
        self.send("set_data", move |client, _| async move {
            let stat = client
                .set_data(&path, data, version)
                .await
                .map_err(code_of)?;
            Ok(stat_of(&stat))
        })
    }

    fn get_data<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat)> {
        let path = path.to_owned();
        self.send("get_data", move |client, _| async move {
            let (data, stat) = client.get_data(&path, false).await.map_err(code_of)?;
            Ok((data, stat_of(&stat)))
        })
    }

    fn get_data_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat, WatchFuture)> {
        let path = path.to_owned();
        let (callback, watch) = self.watcher();
        self.send("get_data", move |client, on| async move {
            let (data, stat) = client.get_data_w(&path, callback).await.map_err(code_of)?;
            Ok((data, stat_of(&stat), watch(on)))
        })
    }

    fn exists_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Option<Stat>, WatchFuture)> {
        let path = path.to_owned();
        let (callback, watch) = self.watcher();
        self.send("exists", move |client, on| async move {
            let stat = client.exists_w(&path, callback).await.map_err(code_of)?;
            Ok((stat.as_ref().map(stat_of), watch(on)))
        })
    }

    fn get_children<'a>(&'a self, path: &'a str) -> Reply<'a, Vec<String>> {
        let path = path.to_owned();
        self.send("get_children", move |client, _| async move {
            client.get_children(&path, false).await.map_err(code_of)
        })
    }

    fn get_children_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<String>, WatchFuture)> {
        let path = path.to_owned();
        let (callback, watch) = self.watcher();
        self.send("get_children", move |client, on| async move {
            let children = client
                .get_children_w(&path, callback)
                .await
                .map_err(code_of)?;
            Ok((children, watch(on)))
        })
    }
}
