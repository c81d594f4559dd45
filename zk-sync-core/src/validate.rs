//! Argument checks: every bad input becomes a typed [`InvalidArgument`], never a panic.

use crate::error::InvalidArgument;
use std::time::Duration;

/// Checks that `path` is an absolute ZooKeeper path that a recipe may use as its directory.
///
/// Rejected: empty, relative, trailing `/`, empty segments, `.`/`..` segments, NUL and other
/// control characters, and the root itself.
///
/// # Examples
///
/// ```
/// use zk_sync_core::{validate_path, InvalidArgument};
///
/// assert!(validate_path("/locks/orders").is_ok());
/// assert!(matches!(validate_path("locks"), Err(InvalidArgument::RelativePath(_))));
/// ```
///
/// # Errors
///
/// The [`InvalidArgument`] variant naming the first problem found.
pub fn validate_path(path: &str) -> Result<(), InvalidArgument> {
    if path.is_empty() {
        return Err(InvalidArgument::EmptyPath);
    }
    if path == "/" {
        return Err(InvalidArgument::RootPath);
    }
    if !path.starts_with('/') {
        return Err(InvalidArgument::RelativePath(path.to_owned()));
    }
    if path.ends_with('/') {
        return Err(InvalidArgument::TrailingSlash(path.to_owned()));
    }
    if path.chars().any(is_forbidden_char) {
        return Err(InvalidArgument::ForbiddenCharacter(path.to_owned()));
    }
    for segment in path[1..].split('/') {
        if segment.is_empty() {
            return Err(InvalidArgument::EmptySegment(path.to_owned()));
        }
        if segment == "." || segment == ".." {
            return Err(InvalidArgument::RelativeSegment(path.to_owned()));
        }
    }
    Ok(())
}

// The characters ZooKeeper's PathUtils refuses.
fn is_forbidden_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{e000}'..='\u{f8ff}' | '\u{fff0}'..='\u{ffff}')
}

/// A parsed connect string: `host:port[,host:port…][/chroot]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectString {
    pub(crate) hosts: Vec<(String, u16)>,
    pub(crate) chroot: Option<String>,
}

impl ConnectString {
    pub(crate) fn parse(text: &str) -> Result<ConnectString, InvalidArgument> {
        let bad = |why: &str| InvalidArgument::ConnectString(format!("{text:?}: {why}"));
        let (host_list, chroot) = match text.find('/') {
            Some(at) => (&text[..at], Some(&text[at..])),
            None => (text, None),
        };
        let chroot = match chroot {
            None => None,
            Some("/") => None,
            Some(path) => {
                validate_path(path).map_err(|why| bad(&format!("chroot: {why}")))?;
                Some(path.to_owned())
            }
        };
        if host_list.trim().is_empty() {
            return Err(bad("no host"));
        }
        let mut hosts = Vec::new();
        for entry in host_list.split(',') {
            let entry = entry.trim();
            let (host, port) = match entry.rsplit_once(':') {
                Some((host, port)) => {
                    let port = port
                        .parse::<u16>()
                        .ok()
                        .filter(|p| *p != 0)
                        .ok_or_else(|| bad(&format!("bad port in {entry:?}")))?;
                    (host, port)
                }
                None => (entry, 2181),
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad(&format!("bad host in {entry:?}")));
            }
            hosts.push((host.to_owned(), port));
        }
        Ok(ConnectString { hosts, chroot })
    }

    /// The form the wire client takes.
    pub(crate) fn to_client_string(&self) -> String {
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|(h, p)| {
                if h.contains(':') {
                    format!("[{h}]:{p}")
                } else {
                    format!("{h}:{p}")
                }
            })
            .collect();
        format!(
            "{}{}",
            hosts.join(","),
            self.chroot.as_deref().unwrap_or("")
        )
    }
}

pub(crate) fn positive(what: &'static str, d: Duration) -> Result<Duration, InvalidArgument> {
    if d.is_zero() {
        Err(InvalidArgument::ZeroDuration(what))
    } else {
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expect = Option<fn(&InvalidArgument) -> bool>;

    #[test]
    fn paths() {
        let table: &[(&str, Expect)] = &[
            ("/a", None),
            ("/a/b-c_d.e", None),
            ("", Some(|e| matches!(e, InvalidArgument::EmptyPath))),
            ("/", Some(|e| matches!(e, InvalidArgument::RootPath))),
            (
                "a/b",
                Some(|e| matches!(e, InvalidArgument::RelativePath(_))),
            ),
            (
                "/a/",
                Some(|e| matches!(e, InvalidArgument::TrailingSlash(_))),
            ),
            (
                "/a//b",
                Some(|e| matches!(e, InvalidArgument::EmptySegment(_))),
            ),
            (
                "/a/./b",
                Some(|e| matches!(e, InvalidArgument::RelativeSegment(_))),
            ),
            (
                "/a/..",
                Some(|e| matches!(e, InvalidArgument::RelativeSegment(_))),
            ),
            (
                "/a\0b",
                Some(|e| matches!(e, InvalidArgument::ForbiddenCharacter(_))),
            ),
            (
                "/a\nb",
                Some(|e| matches!(e, InvalidArgument::ForbiddenCharacter(_))),
            ),
        ];
        for (path, expected) in table {
            match (validate_path(path), expected) {
                (Ok(()), None) => {}
                (Err(e), Some(check)) => assert!(check(&e), "{path:?} gave {e:?}"),
                (got, _) => panic!("{path:?} gave {got:?}"),
            }
        }
    }

    #[test]
    fn connect_strings() {
        let c = ConnectString::parse("127.0.0.1:2181,[::1]:2182/app/x").unwrap();
        assert_eq!(
            c.hosts,
            vec![("127.0.0.1".into(), 2181), ("::1".into(), 2182)]
        );
        assert_eq!(c.chroot.as_deref(), Some("/app/x"));
        assert_eq!(c.to_client_string(), "127.0.0.1:2181,[::1]:2182/app/x");
        assert_eq!(
            ConnectString::parse("zk").unwrap().hosts,
            vec![("zk".into(), 2181)]
        );
        for bad in [
            "", "/chroot", "h:0", "h:x", "h:99999", "h:1,", "h:1/a/", "h:1//a", "a b:1",
        ] {
            assert!(
                matches!(
                    ConnectString::parse(bad),
                    Err(InvalidArgument::ConnectString(_))
                ),
                "{bad:?} accepted"
            );
        }
    }
}
