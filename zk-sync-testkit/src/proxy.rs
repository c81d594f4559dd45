//! A TCP proxy in front of one server that can cut or blackhole traffic on demand.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What a [`FaultProxy`] currently does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyMode {
    /// Forward bytes both ways.
    Pass,
    /// Every connection was closed; new ones are accepted and closed at once.
    Cut,
    /// Connections stay open but no byte is forwarded either way; new connections are accepted
    /// and held without reaching the upstream.
    Blackhole,
}

/// A TCP proxy on `127.0.0.1:<free port>` in front of one upstream address, for injecting
/// network faults between a client and a ZooKeeper server.
///
/// Point the client at [`connect_string`](Self::connect_string), then switch modes:
///
/// * [`cut`](Self::cut): closes every open connection now (both sides see EOF) and closes new
///   connections right after accepting them, until [`restore`](Self::restore). A ZooKeeper client
///   sees `Disconnected` at once.
/// * [`blackhole`](Self::blackhole): every connection stays open but nothing is forwarded either
///   way, so reads stall (bytes already read are held back); new connections are accepted and
///   held without connecting upstream. Like a network partition: a ZooKeeper client notices
///   only by its own timeouts, and the server expires the session after its timeout.
/// * [`restore`](Self::restore): forwards normally again. Connections that were blackholed are
///   *not* closed: they resume and deliver the bytes held back, as after a healed partition
///   (peers that gave up on them meanwhile simply close them). Held new connections connect to
///   the upstream now. To drop them instead, call `cut()` before `restore()`.
///
/// The proxy runs on plain threads (one acceptor, two per connection), so it works from any
/// tokio runtime or none. Dropping it closes the listener and every connection.
#[derive(Debug)]
pub struct FaultProxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug)]
struct State {
    mode: ProxyMode,
    closing: bool,
    next_id: u64,
    /// Sockets of every open connection, to shut them down on cut.
    conns: HashMap<u64, Vec<TcpStream>>,
    /// Every session a server granted through the proxy, in order, without repeats.
    sessions: Vec<ProxiedSession>,
}

/// A ZooKeeper session whose handshake went through a [`FaultProxy`]: what it takes to
/// attach to it, whatever client opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxiedSession {
    /// The session id.
    pub id: i64,
    /// The session password the server handed out.
    pub password: Vec<u8>,
}

impl FaultProxy {
    /// Starts a proxy in [`ProxyMode::Pass`] in front of `upstream`.
    pub fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            state: Mutex::new(State {
                mode: ProxyMode::Pass,
                closing: false,
                next_id: 0,
                conns: HashMap::new(),
                sessions: Vec::new(),
            }),
            changed: Condvar::new(),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("zk-proxy-{}", addr.port()))
                .spawn(move || accept_loop(listener, shared))?
        };
        Ok(FaultProxy {
            shared,
            addr,
            acceptor: Some(acceptor),
        })
    }

    /// The proxy's own address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connect string for clients: `"127.0.0.1:PORT"` of the proxy.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// Closes every open connection now and refuses (accepts and closes) new ones until
    /// [`restore`](Self::restore).
    pub fn cut(&self) {
        let mut state = self.shared.lock();
        state.mode = ProxyMode::Cut;
        close_all(&mut state);
        self.shared.changed.notify_all();
    }

    /// Stops forwarding in both directions while keeping connections open.
    pub fn blackhole(&self) {
        self.set_mode(ProxyMode::Blackhole);
    }

    /// Back to normal forwarding; blackholed connections resume (see the type docs).
    pub fn restore(&self) {
        self.set_mode(ProxyMode::Pass);
    }

    /// The current mode.
    pub fn mode(&self) -> ProxyMode {
        self.shared.lock().mode
    }

    /// Every session a server granted through the proxy so far, oldest first: read off the
    /// handshakes, so it works for any client.
    pub fn sessions(&self) -> Vec<ProxiedSession> {
        self.shared.lock().sessions.clone()
    }

    /// Expires, on the upstream server, the newest session granted through the proxy (see
    /// [`expire_session`](crate::expire_session) for how and what `Ok` promises). Call
    /// [`cut`](Self::cut) first to keep the client from winning the session back meanwhile.
    ///
    /// # Errors
    ///
    /// When no session went through the proxy, or it could not be expired in 30 s.
    pub async fn expire_newest_session(&self) -> Result<(), crate::TestkitError> {
        let newest = self.sessions().pop().ok_or_else(|| {
            crate::TestkitError::Io(io::Error::other("no session went through the proxy"))
        })?;
        crate::expire::expire_with_password(vec![self.shared.upstream], newest.id, newest.password)
            .await
    }

    fn set_mode(&self, mode: ProxyMode) {
        self.shared.lock().mode = mode;
        self.shared.changed.notify_all();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        {
            let mut state = self.shared.lock();
            state.closing = true;
            close_all(&mut state);
            self.shared.changed.notify_all();
        }
        // Wake the acceptor blocked in accept().
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks while blackholed; true if traffic may flow, false if the connection must close.
    fn wait_passable(&self) -> bool {
        let mut state = self.lock();
        while state.mode == ProxyMode::Blackhole && !state.closing {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.mode == ProxyMode::Pass && !state.closing
    }

    /// Registers a connection's socket; `None` (and the socket shut down) if cut or closing.
    fn register(&self, id: Option<u64>, socket: &TcpStream) -> Option<u64> {
        let mut state = self.lock();
        let clone = socket.try_clone().ok();
        if state.mode == ProxyMode::Cut || state.closing || clone.is_none() {
            let _ = socket.shutdown(Shutdown::Both);
            return None;
        }
        let id = id.unwrap_or_else(|| {
            state.next_id += 1;
            state.next_id
        });
        state.conns.entry(id).or_default().extend(clone);
        Some(id)
    }

    fn unregister(&self, id: u64) {
        if let Some(sockets) = self.lock().conns.remove(&id) {
            shutdown_all(&sockets);
        }
    }
}

fn close_all(state: &mut State) {
    for (_, sockets) in state.conns.drain() {
        shutdown_all(&sockets);
    }
}

fn shutdown_all(sockets: &[TcpStream]) {
    for socket in sockets {
        let _ = socket.shutdown(Shutdown::Both);
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for client in listener.incoming() {
        let (mode, closing) = {
            let state = shared.lock();
            (state.mode, state.closing)
        };
        if closing {
            break;
        }
        let Ok(client) = client else {
            // E.g. out of file descriptors: do not spin.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        if mode == ProxyMode::Cut {
            drop(client);
            continue;
        }
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("zk-proxy-conn".into())
            .spawn(move || serve(client, shared));
        if spawned.is_err() {
            // Out of threads: the dropped closure closed the client socket.
            continue;
        }
    }
}

/// Runs one proxied connection until either side closes or the proxy cuts it.
fn serve(client: TcpStream, shared: Arc<Shared>) {
    let Some(id) = shared.register(None, &client) else {
        return;
    };
    // Connections accepted while blackholed wait here, before reaching the upstream.
    if !shared.wait_passable() {
        shared.unregister(id);
        return;
    }
    let upstream = match TcpStream::connect_timeout(&shared.upstream, UPSTREAM_CONNECT_TIMEOUT) {
        Ok(upstream) => upstream,
        Err(_) => {
            shared.unregister(id);
            return;
        }
    };
    if shared.register(Some(id), &upstream).is_none() {
        shared.unregister(id);
        return;
    }
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (Ok(client_w), Ok(upstream_r)) = (client.try_clone(), upstream.try_clone()) else {
        shared.unregister(id);
        return;
    };
    let back = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("zk-proxy-pump".into())
            .spawn(move || pump(upstream_r, client_w, &shared, true))
    };
    pump(client, upstream, &shared, false);
    shared.unregister(id);
    if let Ok(back) = back {
        let _ = back.join();
    }
}

/// Copies `from` to `to`, holding bytes back while blackholed. Shuts both down when done.
/// From the server (`handshake`), the first frame is the ConnectResponse: the session it
/// grants is recorded.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Shared, handshake: bool) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut first_frame = handshake.then(Vec::new);
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(seen) = &mut first_frame {
            seen.extend_from_slice(&buf[..n]);
            if let Some(body) = whole_frame(seen) {
                if let Some((id, password)) = crate::wire::granted_session(body) {
                    let mut state = shared.lock();
                    if !state.sessions.iter().any(|s| s.id == id) {
                        state.sessions.push(ProxiedSession { id, password });
                    }
                }
                first_frame = None;
            }
        }
        if !shared.wait_passable() || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// The body of the length-prefixed frame at the start of `bytes`, once all of it is there.
fn whole_frame(bytes: &[u8]) -> Option<&[u8]> {
    let len = usize::try_from(i32::from_be_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
    bytes.get(4..4 + len)
}
