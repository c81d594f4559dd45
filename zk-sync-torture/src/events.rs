//! The event log every client process (and the fault injector) writes, and its parser.
//!
//! One event a line, `<mono_ns> <task> <event> [key=value …]`: `mono_ns` is
//! [`mono_ns`], `task` the contender's number in its process or `-` for
//! the process itself, and values never contain spaces. Each line is one `write(2)` on a file
//! opened for appending, so a process killed with SIGKILL loses nothing it logged.

use crate::clock::mono_ns;
use std::fmt::{Display, Write as _};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

/// An append-only event log.
#[derive(Debug)]
pub struct EventLog {
    file: Mutex<File>,
}

impl EventLog {
    /// Opens (creating it if needed) the log at `path` for appending.
    pub fn open(path: &Path) -> io::Result<EventLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(EventLog {
            file: Mutex::new(file),
        })
    }

    /// Logs `event` of `task` (`None`: the process) now, with `fields`.
    pub fn emit(&self, task: Option<usize>, event: &str, fields: &[(&str, &dyn Display)]) {
        let mut line = format!("{} ", mono_ns());
        match task {
            Some(task) => write!(line, "{task}"),
            None => write!(line, "-"),
        }
        .ok();
        write!(line, " {event}").ok();
        for (key, value) in fields {
            let value = value.to_string().replace([' ', '\n'], "_");
            write!(line, " {key}={value}").ok();
        }
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // A lost log line would hide a hold from the checker: worth a loud failure.
        file.write_all(line.as_bytes()).expect("event log write");
    }
}

/// One parsed line of an event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `CLOCK_MONOTONIC` nanoseconds.
    pub at: u64,
    /// The contender's number within its process; `None` for process-level events.
    pub task: Option<u32>,
    /// The event name (`acquired`, `write`, …).
    pub name: String,
    /// The `key=value` fields, in order.
    pub fields: Vec<(String, String)>,
}

impl Event {
    /// Parses one line; `None` for a line that is not an event (say, cut short by a kill).
    pub fn parse(line: &str) -> Option<Event> {
        let mut words = line.split_ascii_whitespace();
        let at = words.next()?.parse().ok()?;
        let task = match words.next()? {
            "-" => None,
            task => Some(task.parse().ok()?),
        };
        let name = words.next()?.to_owned();
        let fields = words
            .map(|word| {
                let (key, value) = word.split_once('=')?;
                Some((key.to_owned(), value.to_owned()))
            })
            .collect::<Option<_>>()?;
        Some(Event {
            at,
            task,
            name,
            fields,
        })
    }

    /// The value of field `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of field `key` as a number.
    pub fn number(&self, key: &str) -> Option<i64> {
        self.get(key)?.parse().ok()
    }
}

/// Every event of the log at `path`, in file order. Unparseable lines (a line cut short by a
/// kill) are skipped.
pub fn read_log(path: &Path) -> io::Result<Vec<Event>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter_map(Event::parse)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = EventLog::open(&path).unwrap();
        log.emit(Some(3), "write", &[("token", &42), ("result", &"accepted")]);
        log.emit(None, "acquire_error", &[("err", &"connection lost")]);
        let events = read_log(&path).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].task, Some(3));
        assert_eq!(events[0].number("token"), Some(42));
        assert_eq!(events[0].get("result"), Some("accepted"));
        assert_eq!(events[1].task, None);
        assert_eq!(events[1].get("err"), Some("connection_lost"));
        assert!(events[0].at <= events[1].at);
        assert_eq!(
            Event::parse("123 0 wri"),
            Some(Event {
                at: 123,
                task: Some(0),
                name: "wri".into(),
                fields: vec![]
            })
        );
        assert_eq!(Event::parse("12"), None);
    }
}
