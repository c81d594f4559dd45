//! Free loopback ports for servers.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

/// Returns `n` distinct ports that were free on 127.0.0.1 a moment ago.
///
/// All listeners are held until every port is chosen, so the ports differ from each other. They
/// are released before returning, so another process could still grab one in between; the kernel
/// hands out ephemeral ports round-robin, which makes that unlikely.
pub(crate) fn free_ports(n: usize) -> io::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

/// A loopback address nothing listened on a moment ago, for a server the test starts next
/// (a metrics exporter, say) or for a connection that should be refused.
///
/// # Examples
///
/// ```
/// let address = zk_sync_testkit::free_address();
/// assert!(address.ip().is_loopback());
/// ```
pub fn free_address() -> SocketAddr {
    let port = free_ports(1).expect("a free loopback port")[0];
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}
