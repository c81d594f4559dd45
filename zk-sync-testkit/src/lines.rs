//! A child process's output, line by line, read on a thread of its own so that neither a
//! blocking test nor an async one stalls on it.

use std::io::{BufRead, BufReader, Read};
use std::process::Child;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use crate::error::TestkitError;

/// The lines a child process prints on its standard output, as they come.
///
/// # Examples
///
/// ```no_run
/// use std::process::{Command, Stdio};
/// use std::time::Duration;
/// use zk_sync_testkit::ChildLines;
///
/// # async fn example() -> Result<(), zk_sync_testkit::TestkitError> {
/// let mut child = Command::new("echo").arg("LOCKED /a").stdout(Stdio::piped()).spawn()?;
/// let mut lines = ChildLines::of(&mut child, "echo");
/// assert_eq!(lines.next(Duration::from_secs(5)).await?, "LOCKED /a");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ChildLines {
    lines: Arc<Mutex<mpsc::Receiver<String>>>,
    what: String,
}

impl ChildLines {
    /// Takes `child`'s piped standard output; `what` names the child in errors.
    ///
    /// # Panics
    ///
    /// When the child's standard output was not piped.
    pub fn of(child: &mut Child, what: &str) -> ChildLines {
        let stdout = child.stdout.take().expect("the child's stdout piped");
        ChildLines::from_reader(stdout, what)
    }

    fn from_reader(output: impl Read + Send + 'static, what: &str) -> ChildLines {
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        ChildLines {
            lines: Arc::new(Mutex::new(lines)),
            what: what.to_owned(),
        }
    }

    /// The next line, waiting at most `limit` for it, without blocking the runtime.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Timeout`] when no line comes within `limit`, or the output ends.
    pub async fn next(&mut self, limit: Duration) -> Result<String, TestkitError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.next_blocking(limit))
            .await
            .expect("the reading task")
    }

    /// The next line, blocking the calling thread at most `limit` for it.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Timeout`] when no line comes within `limit`, or the output ends.
    pub fn next_blocking(&self, limit: Duration) -> Result<String, TestkitError> {
        let lines = self
            .lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        lines
            .recv_timeout(limit)
            .map_err(|_| TestkitError::Timeout {
                what: format!("a line from {}", self.what),
                after: limit,
                log_tail: String::new(),
            })
    }
}
