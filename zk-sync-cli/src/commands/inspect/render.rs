//! The two outputs of `inspect`: a table for people, JSON for scripts.

use super::classify::{printable, Entry, Kind, Role};
use serde::Serialize;
use std::fmt::Write as _;

/// Longest data shown in the table; JSON has all of it.
const TABLE_DATA_CHARS: usize = 40;

/// The age of a node whose creation time is not known.
const UNKNOWN: &str = "unknown";

/// A table, one row per node, or a line saying there is nothing.
pub(crate) fn table(path: &str, entries: Option<&[Entry]>, now_ms: i64) -> String {
    let entries = match entries {
        None => return format!("{path} does not exist"),
        Some([]) => return format!("{path} has no children"),
        Some(entries) => entries,
    };
    let header = ["NODE", "KIND", "ROLE", "SESSION", "AGE", "DATA"].map(str::to_owned);
    let rows: Vec<[String; 6]> = entries
        .iter()
        .map(|e| {
            [
                e.name.clone(),
                e.kind.as_str().to_owned(),
                e.role.map_or("-", Role::as_str).to_owned(),
                session(e.stat.ephemeral_owner).unwrap_or_else(|| "-".into()),
                age_of(e.stat.ctime, now_ms).map_or_else(|| UNKNOWN.to_owned(), age),
                table_data(&e.data),
            ]
        })
        .collect();
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.pop();
    out
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    path: &'a str,
    exists: bool,
    nodes: Vec<Node<'a>>,
}

#[derive(Debug, Serialize)]
struct Node<'a> {
    node: &'a str,
    kind: Kind,
    role: Option<Role>,
    sequence: Option<&'a str>,
    /// `ephemeralOwner` in hex (`0x…`); `None` for persistent nodes.
    session_id: Option<String>,
    ephemeral: bool,
    /// The node's `czxid`, for a holder or leader: its fencing token. Left out for waiters
    /// and other nodes, which hold nothing a token could stand for.
    #[serde(skip_serializing_if = "Option::is_none")]
    fencing_token: Option<i64>,
    /// `null` when ZooKeeper does not know (its own nodes, created at time 0).
    created_ms: Option<i64>,
    age_ms: Option<i64>,
    /// The data as text when it is printable UTF-8…
    data: Option<&'a str>,
    /// …and in hex otherwise.
    data_hex: Option<String>,
}

/// The same as JSON: `{"path", "exists", "nodes": [...]}`, pretty or on one line.
pub(crate) fn json(path: &str, entries: Option<&[Entry]>, now_ms: i64, compact: bool) -> String {
    let nodes = entries
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let text = printable(&e.data);
            Node {
                node: &e.name,
                kind: e.kind,
                role: e.role,
                sequence: e.sequence.as_deref(),
                session_id: session(e.stat.ephemeral_owner),
                ephemeral: e.stat.ephemeral_owner != 0,
                fencing_token: e.holds().then_some(e.stat.czxid),
                created_ms: known_ctime(e.stat.ctime),
                age_ms: age_of(e.stat.ctime, now_ms),
                data: text,
                data_hex: text.is_none().then(|| hex(&e.data)),
            }
        })
        .collect();
    let report = Report {
        path,
        exists: entries.is_some(),
        nodes,
    };
    let text = if compact {
        serde_json::to_string(&report)
    } else {
        serde_json::to_string_pretty(&report)
    };
    text.unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The creation time, unless it is ZooKeeper's "unknown" 0 (its own `/zookeeper` nodes).
fn known_ctime(ctime: i64) -> Option<i64> {
    (ctime > 0).then_some(ctime)
}

/// How old a node created at `ctime` is at `now_ms`, when known.
fn age_of(ctime: i64, now_ms: i64) -> Option<i64> {
    known_ctime(ctime).map(|ctime| now_ms.saturating_sub(ctime).max(0))
}

fn session(owner: i64) -> Option<String> {
    (owner != 0).then(|| format!("{owner:#x}"))
}

fn table_data(data: &[u8]) -> String {
    match printable(data) {
        Some("") => "-".to_owned(),
        Some(text) if text.chars().count() > TABLE_DATA_CHARS => {
            let cut: String = text.chars().take(TABLE_DATA_CHARS - 1).collect();
            format!("{cut}…")
        }
        Some(text) => text.to_owned(),
        None if data.len() > 16 => format!("0x{}… ({} bytes)", hex(&data[..16]), data.len()),
        None => format!("0x{}", hex(data)),
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// `850ms`, `12s`, `3m04s`, `2h05m`, `3d04h`.
fn age(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    match s {
        0 => format!("{ms}ms"),
        1..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86399 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(age(-5), "0ms");
        assert_eq!(age(850), "850ms");
        assert_eq!(age(12_400), "12s");
        assert_eq!(age(184_000), "3m04s");
        assert_eq!(age(7_500_000), "2h05m");
        assert_eq!(age(273_600_000), "3d04h");
    }

    #[test]
    fn an_unknown_creation_time_has_an_unknown_age() {
        assert_eq!(age_of(0, 1_000_000), None);
        assert_eq!(age_of(999_000, 1_000_000), Some(1000));
        assert_eq!(
            age_of(1_000_500, 1_000_000),
            Some(0),
            "clock skew is no age"
        );
    }

    #[test]
    fn data_cells() {
        assert_eq!(table_data(b""), "-");
        assert_eq!(table_data(b"127.0.0.1"), "127.0.0.1");
        assert_eq!(table_data(&[0, 1, 0xfe]), "0x0001fe");
        assert_eq!(table_data(&[b'x'; 50]).chars().count(), TABLE_DATA_CHARS);
    }
}
