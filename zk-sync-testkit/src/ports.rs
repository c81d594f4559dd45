//! Free loopback ports for servers.

use std::io;
use std::net::{Ipv4Addr, TcpListener};

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
