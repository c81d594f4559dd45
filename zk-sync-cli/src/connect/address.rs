//! `--connect` as written: the servers to reach and the chroot, with any `zk://` or `tcp://`
//! before a host removed.

use crate::exit::{Failure, BAD_INPUT};

/// The schemes people write before a ZooKeeper address; both mean the plain protocol.
const ACCEPTED_SCHEMES: [&str; 2] = ["zk://", "tcp://"];

/// The servers of `--connect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Servers {
    /// The connect string for the session, without schemes (still checked by the core).
    pub(crate) connect_string: String,
    /// The hosts and ports, as far as they can be read (for diagnosing an unreachable server;
    /// the core rejects a malformed entry).
    pub(crate) hosts: Vec<(String, u16)>,
    /// The chroot, if any (not `/`).
    pub(crate) chroot: Option<String>,
}

impl Servers {
    /// The servers without the chroot, for messages.
    pub(crate) fn host_list(&self) -> &str {
        match self.connect_string.find('/') {
            Some(at) => &self.connect_string[..at],
            None => &self.connect_string,
        }
    }
}

/// Reads `--connect`.
///
/// # Errors
///
/// [`BAD_INPUT`] for a scheme other than `zk://` or `tcp://`.
pub(crate) fn parse(text: &str) -> Result<Servers, Failure> {
    let entries: Vec<&str> = text
        .split(',')
        .map(|entry| strip_scheme(entry.trim()))
        .collect();
    if let Some(entry) = entries.iter().find(|entry| entry.contains("://")) {
        let scheme = &entry[..entry.find("://").unwrap_or_default() + 3];
        return Err(Failure::new(
            BAD_INPUT,
            format!(
                "bad connect string {text:?}: unknown scheme {scheme:?} (write host:port[,host:port...][/chroot]; zk:// and tcp:// are accepted)"
            ),
        ));
    }
    let connect_string = entries.join(",");
    let (host_list, chroot) = match connect_string.find('/') {
        Some(at) => (&connect_string[..at], Some(&connect_string[at..])),
        None => (connect_string.as_str(), None),
    };
    let hosts = host_list.split(',').filter_map(host_and_port).collect();
    let chroot = chroot.filter(|c| *c != "/").map(str::to_owned);
    Ok(Servers {
        connect_string,
        hosts,
        chroot,
    })
}

fn strip_scheme(entry: &str) -> &str {
    for scheme in ACCEPTED_SCHEMES {
        if entry.len() >= scheme.len() && entry[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return &entry[scheme.len()..];
        }
    }
    entry
}

/// `host:port` (port 2181 when left out; `[v6]:port`); `None` when it cannot be read.
fn host_and_port(entry: &str) -> Option<(String, u16)> {
    let entry = entry.trim();
    let (host, port) = match entry.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok().filter(|p| *p != 0)?),
        None => (entry, 2181),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(text: &str) -> Servers {
        parse(text).unwrap()
    }

    #[test]
    fn plain_strings_pass_through() {
        let s = servers("zk1:2181,zk2:2182/app/x");
        assert_eq!(s.connect_string, "zk1:2181,zk2:2182/app/x");
        assert_eq!(
            s.hosts,
            [("zk1".to_owned(), 2181), ("zk2".to_owned(), 2182)]
        );
        assert_eq!(s.chroot.as_deref(), Some("/app/x"));
        assert_eq!(s.host_list(), "zk1:2181,zk2:2182");
        assert_eq!(servers("zk1").hosts, [("zk1".to_owned(), 2181)]);
        assert_eq!(servers("[::1]:2181/").chroot, None);
        assert_eq!(servers("[::1]:2181/").hosts, [("::1".to_owned(), 2181)]);
    }

    #[test]
    fn zk_and_tcp_schemes_are_dropped() {
        let s = servers("zk://127.0.0.1:2181,TCP://127.0.0.2:2181/app");
        assert_eq!(s.connect_string, "127.0.0.1:2181,127.0.0.2:2181/app");
        assert_eq!(s.chroot.as_deref(), Some("/app"));
    }

    #[test]
    fn other_schemes_are_refused() {
        let failure = parse("http://zk1:2181").unwrap_err();
        assert_eq!(failure.code(), BAD_INPUT);
        assert!(
            failure.to_string().contains("unknown scheme \"http://\""),
            "{failure}"
        );
    }

    #[test]
    fn unreadable_hosts_are_left_to_the_core() {
        assert!(servers("zk:0").hosts.is_empty());
        assert_eq!(servers("zk:1,").hosts, [("zk".to_owned(), 1)]);
    }
}
