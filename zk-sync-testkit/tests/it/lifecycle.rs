//! The shared server's JVM must outlive the test thread that started it, and die with the process.

use std::process::Command;
use std::time::{Duration, Instant};

use zk_sync_testkit::ZkServer;

const CHILD_ENV: &str = "ZK_TESTKIT_LIFECYCLE_CHILD";

/// Run in a child copy of this test binary by `shared_server_dies_with_the_test_process`;
/// as a plain test (without the variable) it has nothing to do.
#[test]
fn lifecycle_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    // Start the shared server from a thread that then exits: the JVM must survive it.
    let pid = std::thread::spawn(|| ZkServer::shared().pid().unwrap())
        .join()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(ZkServer::shared().four_letter("ruok").unwrap(), "imok");
    assert_eq!(ZkServer::shared().pid(), Some(pid));
    println!("SHARED_PID={pid}");
}

fn alive(pid: u32) -> bool {
    // A zombie (state Z) waiting to be reaped counts as dead.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

#[test]
fn shared_server_dies_with_the_test_process() {
    let exe = std::env::current_exe().unwrap();
    let output = Command::new(exe)
        .args([
            "lifecycle::lifecycle_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The harness prints the test name on the same line, so search the whole output.
    let pid: u32 = stdout
        .split("SHARED_PID=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no SHARED_PID in child output:\n{stdout}"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !alive(pid),
        "the shared server JVM {pid} outlived its test process"
    );
}
