//! Helpers shared by the CLI tests: running the real binary, sessions, paths.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStderr, ChildStdout, Command};

/// Longest any single CLI run may take before the test calls it hung.
pub(crate) const LIVENESS: Duration = Duration::from_secs(60);

pub(crate) use zk_sync_core::test_util::{eventually, session_to as session, wait_for_children};

/// A path no other test uses.
pub(crate) fn unique_path(name: &str) -> String {
    zk_sync_core::test_util::unique_path(&format!("cli/{name}"))
}

/// The `zk-sync` binary connecting to `connect`.
pub(crate) fn zk_sync(connect: &str) -> Command {
    let mut command = zk_sync_bare();
    command.args(["--connect", connect]);
    command
}

/// The `zk-sync` binary, with none of its environment variables set.
pub(crate) fn zk_sync_bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zk-sync"));
    command
        .env_remove("ZK_SYNC_CONNECT")
        .env_remove("ZK_SYNC_AUTH")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// What a finished run left behind.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs to completion (within [`LIVENESS`]).
pub(crate) async fn run(command: &mut Command) -> Finished {
    let output = tokio::time::timeout(LIVENESS, command.output())
        .await
        .expect("zk-sync finished")
        .expect("zk-sync started");
    Finished {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The lines of `stderr` but the one saying zk-sync waits for ZooKeeper, which a loaded
/// machine can make appear (it comes after a second without a session).
pub(crate) fn lines_past_connecting(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| !line.starts_with("zk-sync: waiting for ZooKeeper at "))
        .collect()
}

/// Asserts that a failed run explained itself in one line, with no panic or backtrace.
pub(crate) fn assert_one_clear_line(finished: &Finished, mentions: &str) {
    let lines = lines_past_connecting(&finished.stderr);
    assert_eq!(lines.len(), 1, "one line on stderr: {:?}", finished.stderr);
    assert!(lines[0].starts_with("zk-sync: "), "{:?}", lines[0]);
    assert!(
        lines[0].contains(mentions),
        "{:?} mentions {mentions:?}",
        lines[0]
    );
    for word in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!finished.stderr.contains(word), "{:?}", finished.stderr);
    }
}

/// A running `zk-sync` whose output is read line by line.
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) child: tokio::process::Child,
    pub(crate) stdout: Lines<BufReader<ChildStdout>>,
    pub(crate) stderr: Lines<BufReader<ChildStderr>>,
}

impl Running {
    pub(crate) fn spawn(command: &mut Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("zk-sync started");
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        Running {
            child,
            stdout,
            stderr,
        }
    }

    pub(crate) async fn stdout_line(&mut self) -> String {
        tokio::time::timeout(LIVENESS, self.stdout.next_line())
            .await
            .expect("a line on stdout")
            .unwrap()
            .expect("stdout still open")
    }

    pub(crate) async fn stderr_line(&mut self) -> String {
        tokio::time::timeout(LIVENESS, self.stderr.next_line())
            .await
            .expect("a line on stderr")
            .unwrap()
            .expect("stderr still open")
    }

    /// Reads stderr up to the first line that contains `text` (earlier lines, such as one
    /// about waiting, are passed over); returns the lines read, that one last.
    pub(crate) async fn stderr_line_containing(&mut self, text: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.stderr_line().await;
            let found = line.contains(text);
            lines.push(line);
            if found {
                return lines;
            }
        }
    }

    pub(crate) fn signal(&self, signal: i32) {
        let pid = self.child.id().expect("still running") as libc::pid_t;
        // SAFETY: kill has no memory-safety preconditions; the pid is our unreaped child.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    /// Waits for the exit; returns the code and the rest of stderr.
    pub(crate) async fn finish(mut self) -> (i32, String) {
        let status = tokio::time::timeout(LIVENESS, self.child.wait())
            .await
            .expect("zk-sync exited")
            .unwrap();
        let mut rest = String::new();
        while let Ok(Some(line)) = self.stderr.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        (status.code().expect("exited, not killed"), rest)
    }

    /// Waits for the process to end however it ends.
    pub(crate) async fn reap(mut self) {
        tokio::time::timeout(LIVENESS, self.child.wait())
            .await
            .expect("zk-sync ended")
            .unwrap();
    }
}

/// The subcommands `zk-sync --help` lists, but clap's `help`.
pub(crate) async fn subcommands() -> Vec<String> {
    let help = run(zk_sync_bare().arg("--help")).await;
    assert_eq!(help.code, 0, "{help:?}");
    let names: Vec<String> = help
        .stdout
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    for known in ["lock", "revoke", "completions"] {
        assert!(names.iter().any(|n| n == known), "{known} in {names:?}");
    }
    names
}

/// A scratch directory removed at the end of the test.
pub(crate) fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A file's content, or "" while it does not exist.
pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Creates the open directory `path` (and its parents) with a session of its own.
pub(crate) async fn create_dir(connect: &str, path: &str) {
    let s = session(connect, Duration::from_secs(10)).await;
    s.live_epoch()
        .await
        .unwrap()
        .create_containers(path, s.default_acl())
        .await
        .unwrap();
}

/// `zk-sync inspect PATH`, which must succeed: the table's rows (after the header), as cells.
pub(crate) async fn inspect_table(connect: &str, path: &str) -> Vec<Vec<String>> {
    let finished = run(zk_sync(connect).args(["inspect", path])).await;
    assert_eq!(finished.code, 0, "{finished:?}");
    let mut lines = finished.stdout.lines();
    let header = lines.next().expect("a header");
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["NODE", "KIND", "ROLE", "SESSION", "AGE", "DATA"]
    );
    // Every column but the last (data) is one word.
    lines
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let mut row: Vec<String> = words[..5].iter().map(|w| (*w).to_owned()).collect();
            row.push(words[5..].join(" "));
            row
        })
        .collect()
}

/// `zk-sync inspect PATH --json`, which must succeed: the report.
pub(crate) async fn inspect_json(connect: &str, path: &str) -> serde_json::Value {
    let finished = run(zk_sync(connect).args(["inspect", path, "--json"])).await;
    assert_eq!(finished.code, 0, "{finished:?}");
    serde_json::from_str(&finished.stdout).expect("valid JSON")
}
