//! Re-running the current test binary as a separate process: a real second client (with its
//! own ZooKeeper session) that a test can kill at a chosen moment.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::error::TestkitError;
use crate::lines::ChildLines;

/// A copy of the current test binary running one test (its *entry point*) as a child process.
///
/// The entry point is an ordinary `#[test]` that does its work only when the variable given to
/// [`TestChild::spawn`] is set (and returns at once otherwise), prints a marker line such as
/// `LOCKED <token>`, and then holds until it is killed or its standard input closes, so it never
/// outlives the parent. Dropping a `TestChild` kills it.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use zk_sync_testkit::TestChild;
///
/// let mut child = TestChild::spawn("holder_child_entry_point", "MY_CHILD", "127.0.0.1:2181|/locks/a")?;
/// let token = child.wait_for_marker("LOCKED ", Duration::from_secs(30))?;
/// child.kill();
/// # let _ = token; Ok::<(), zk_sync_testkit::TestkitError>(())
/// ```
#[derive(Debug)]
pub struct TestChild {
    child: Child,
    lines: ChildLines,
}

impl TestChild {
    /// Runs test `entry` of the current test binary with `variable=value` in its environment,
    /// standard input and output piped.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Io`] when the process cannot be started.
    pub fn spawn(entry: &str, variable: &str, value: &str) -> Result<TestChild, TestkitError> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--exact", entry, "--nocapture", "--test-threads=1"])
            .env(variable, value)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let lines = ChildLines::of(&mut child, &format!("child process {entry}"));
        Ok(TestChild { child, lines })
    }

    /// Waits for the first output line containing `marker` and returns the rest of that line
    /// after it, trimmed. (libtest prints `test <name> ... ` without a newline before the entry
    /// point's own output, so the marker may not start its line.)
    ///
    /// # Errors
    ///
    /// [`TestkitError::Timeout`] when no such line comes within `limit`, or the child exits.
    pub fn wait_for_marker(
        &mut self,
        marker: &str,
        limit: Duration,
    ) -> Result<String, TestkitError> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self
                .lines
                .next_blocking(left)
                .map_err(|_| TestkitError::Timeout {
                    what: format!("child process to print {marker:?}"),
                    after: limit,
                    log_tail: String::new(),
                })?;
            if let Some(rest) = line.split(marker).nth(1) {
                return Ok(rest.trim().to_owned());
            }
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the child with SIGSTOP, as a stalled process: it runs no code (and answers no
    /// server) until [`resume`](Self::resume).
    pub fn pause(&self) {
        pause_process(self.child.id());
    }

    /// Lets a [paused](Self::pause) child run again (SIGCONT).
    pub fn resume(&self) {
        resume_process(self.child.id());
    }

    /// Kills the child (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Stops process `pid` (one of ours) with SIGSTOP, as a stalled process.
pub fn pause_process(pid: u32) {
    signal(pid, libc::SIGSTOP);
}

/// Lets a process stopped by [`pause_process`] run again (SIGCONT).
pub fn resume_process(pid: u32) {
    signal(pid, libc::SIGCONT);
}

fn signal(pid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) on a child of ours; one that already exited is ignored.
        unsafe { libc::kill(pid, signal) };
    }
}
