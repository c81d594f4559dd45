//! Why ZooKeeper cannot be reached: each host resolved, each address tried with a plain TCP
//! connect. The session's own attempts only say "no session within the timeout"; this says
//! which of no such host, connection refused or no answer it was.

use std::fmt::Write as _;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;
use tokio::net::TcpStream;

/// The hosts of `--connect`, resolved.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    hosts: Vec<(String, Result<Vec<SocketAddr>, String>)>,
}

/// What the servers' addresses answered to a TCP connect.
#[derive(Debug, Clone, Default)]
pub(crate) struct Diagnosis {
    unresolved: Vec<(String, String)>,
    refused: Vec<SocketAddr>,
    silent: Vec<SocketAddr>,
    accepted: Vec<SocketAddr>,
    failed: Vec<(SocketAddr, String)>,
}

/// Resolves every host (in the blocking pool: the system resolver blocks), each within
/// `within`.
pub(crate) async fn resolve(hosts: &[(String, u16)], within: Duration) -> Resolved {
    let lookups = hosts.iter().cloned().map(|(host, port)| async move {
        let name = host.clone();
        let lookup = tokio::task::spawn_blocking(move || {
            (host.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>)
        });
        let addresses = match tokio::time::timeout(within, lookup).await {
            Ok(Ok(Ok(addresses))) if !addresses.is_empty() => Ok(addresses),
            Ok(Ok(Ok(_))) => Err("no address".to_owned()),
            Ok(Ok(Err(error))) => Err(error.to_string()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!(
                "no answer from the resolver within {}",
                crate::duration::show(within)
            )),
        };
        (name, addresses)
    });
    Resolved {
        hosts: futures::future::join_all(lookups).await,
    }
}

impl Resolved {
    /// Whether no host has an address at all (nothing to wait for).
    pub(crate) fn nobody_resolves(&self) -> bool {
        !self.hosts.is_empty() && self.hosts.iter().all(|(_, found)| found.is_err())
    }

    /// Tries a TCP connect to every address, each given `within` to answer.
    pub(crate) async fn probe(&self, within: Duration) -> Diagnosis {
        let mut diagnosis = Diagnosis::default();
        let mut addresses = Vec::new();
        for (host, found) in &self.hosts {
            match found {
                Ok(found) => addresses.extend(found.iter().copied()),
                Err(why) => diagnosis.unresolved.push((host.clone(), why.clone())),
            }
        }
        let tries = addresses.into_iter().map(|address| async move {
            let answer = tokio::time::timeout(within, TcpStream::connect(address)).await;
            (address, answer)
        });
        for (address, answer) in futures::future::join_all(tries).await {
            match answer {
                Ok(Ok(_)) => diagnosis.accepted.push(address),
                Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionRefused => {
                    diagnosis.refused.push(address);
                }
                Ok(Err(error)) => diagnosis.failed.push((address, error.to_string())),
                Err(_) => diagnosis.silent.push(address),
            }
        }
        diagnosis
    }

    /// The diagnosis of hosts that did not resolve, without trying any connection.
    pub(crate) fn unresolved(&self) -> Diagnosis {
        Diagnosis {
            unresolved: self
                .hosts
                .iter()
                .filter_map(|(host, found)| Some((host.clone(), found.clone().err()?)))
                .collect(),
            ..Diagnosis::default()
        }
    }
}

impl Diagnosis {
    /// Whether some server accepts connections (then the trouble is past TCP).
    pub(crate) fn someone_listens(&self) -> bool {
        !self.accepted.is_empty()
    }

    /// One phrase per kind of answer: `connection refused by 127.0.0.1:9`, …
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (host, why) in &self.unresolved {
            parts.push(format!("no such host {host:?} ({why})"));
        }
        if !self.refused.is_empty() {
            parts.push(format!("connection refused by {}", list(&self.refused)));
        }
        if !self.silent.is_empty() {
            parts.push(format!("timed out: no answer from {}", list(&self.silent)));
        }
        for (address, why) in &self.failed {
            parts.push(format!("cannot connect to {address} ({why})"));
        }
        if !self.accepted.is_empty() {
            parts.push(format!(
                "{} accepts TCP connections but has given no ZooKeeper session (not ZooKeeper, not serving, or a TLS mismatch?)",
                list(&self.accepted)
            ));
        }
        parts.join("; ")
    }
}

fn list(addresses: &[SocketAddr]) -> String {
    let mut text = String::new();
    for (i, address) in addresses.iter().enumerate() {
        let _ = write!(text, "{}{address}", if i == 0 { "" } else { ", " });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_closed_port_is_refused_and_a_listening_one_accepts() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open_port = open.local_addr().unwrap().port();
        let hosts = [
            ("127.0.0.1".to_owned(), closed_port),
            ("127.0.0.1".to_owned(), open_port),
        ];
        let resolved = resolve(&hosts, QUICK).await;
        assert!(!resolved.nobody_resolves());
        let diagnosis = resolved.probe(QUICK).await;
        assert!(diagnosis.someone_listens());
        let said = diagnosis.describe();
        assert!(
            said.contains(&format!("connection refused by 127.0.0.1:{closed_port}")),
            "{said}"
        );
        assert!(
            said.contains(&format!("127.0.0.1:{open_port} accepts")),
            "{said}"
        );
    }

    #[tokio::test]
    async fn an_unknown_host_does_not_resolve() {
        let resolved = resolve(&[("no-such-host.invalid".to_owned(), 2181)], QUICK).await;
        assert!(resolved.nobody_resolves());
        let said = resolved.unresolved().describe();
        assert!(
            said.starts_with("no such host \"no-such-host.invalid\""),
            "{said}"
        );
    }
}
