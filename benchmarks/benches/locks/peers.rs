//! Running the peers (Curator in Java, go-zookeeper in Go) as separate processes.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use zk_sync_testkit::{compile_java, curator_classpath, go_zookeeper_program, java_command};

const CURATOR_SOURCE: &str = include_str!("../../peers/CuratorLockBench.java");
const CURATOR_QUEUE_SOURCE: &str = include_str!("../../peers/CuratorQueueBench.java");
const GO_SOURCE: &str = include_str!("../../peers/gozk_lock_bench.go");

/// The Curator benchmark program, ready for arguments.
pub(crate) fn curator(args: &[&str]) -> Command {
    curator_program("CuratorLockBench", CURATOR_SOURCE, args)
}

/// One process of the long-queue benchmark on Curator, ready for arguments.
pub(crate) fn curator_queue(args: &[&str]) -> Command {
    curator_program("CuratorQueueBench", CURATOR_QUEUE_SOURCE, args)
}

fn curator_program(class_name: &str, source: &str, args: &[&str]) -> Command {
    let classpath = curator_classpath().expect(
        "Curator jars: apt-get install -y libcurator-recipes-java libcurator-framework-java",
    );
    let classes: PathBuf = compile_java(class_name, source, &classpath).expect("javac");
    let mut command =
        java_command(&format!("{}:{classpath}", classes.display()), class_name).unwrap();
    command.args(args);
    command
}

/// The go-zookeeper benchmark, built with Debian's Go packages, or why it cannot be.
pub(crate) fn go_zookeeper(args: &[&str]) -> Result<Command, String> {
    let mut command =
        go_zookeeper_program("gozk_lock_bench", GO_SOURCE).map_err(|e| e.to_string())?;
    command.args(args);
    Ok(command)
}

/// A peer that warms up, prints `READY`, then runs one timed round per stdin line and prints
/// its result.
pub(crate) struct Phased {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Phased {
    pub(crate) fn start(mut command: Command) -> Phased {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("peer starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.next().and_then(Result::ok);
        assert_eq!(ready.as_deref(), Some("READY"), "peer did not get ready");
        Phased { child, lines }
    }

    /// Runs one timed round and returns the value of the `key <value>` line it prints.
    pub(crate) fn round(&mut self, key: &str) -> f64 {
        let stdin = self.child.stdin.as_mut().expect("peer still running");
        writeln!(stdin).unwrap();
        stdin.flush().unwrap();
        self.lines
            .find_map(|line| line.ok()?.strip_prefix(key)?.trim().parse().ok())
            .expect("peer printed its result")
    }
}

impl Drop for Phased {
    fn drop(&mut self) {
        // End of input ends the peer.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Runs a peer to completion and returns the values of its `key <value>` lines, one per key.
pub(crate) fn run_to_end_all(mut command: Command, keys: &[&str]) -> Vec<f64> {
    let output = command.output().expect("peer runs");
    assert!(
        output.status.success(),
        "peer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    keys.iter()
        .map(|key| {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(key)?.trim().parse().ok())
                .expect("peer printed its result")
        })
        .collect()
}

/// Runs a peer to completion and returns the value of its `key <value>` line.
pub(crate) fn run_to_end(command: Command, key: &str) -> f64 {
    run_to_end_all(command, &[key])[0]
}
