//! Temporary directories for servers and compiled classes.
//!
//! Every directory is named `zk-testkit-<pid>-<kind>-<random>` under the system temp dir. Handles
//! remove their directory on drop, but the process-wide ones (the shared server, the javac cache)
//! live in statics that are never dropped; so the first call in a process sweeps directories left
//! behind by test processes that no longer exist.

use std::io;
use std::path::Path;
use std::sync::Once;

use tempfile::TempDir;

const PREFIX: &str = "zk-testkit-";

/// Creates a fresh directory for `kind` (e.g. `server`, `javac`).
pub(crate) fn new_dir(kind: &str) -> io::Result<TempDir> {
    static SWEEP: Once = Once::new();
    SWEEP.call_once(|| sweep(&std::env::temp_dir()));
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-{kind}-", std::process::id()))
        .tempdir()
}

/// Removes `zk-testkit-<pid>-*` directories whose process is gone. Best effort.
fn sweep(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let Some(pid) = rest
            .split('-')
            .next()
            .and_then(|p| p.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if pid > 0 && !process_alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn process_alive(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists; nothing is delivered.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_removes_only_dead_owners() {
        let root = tempfile::tempdir().unwrap();
        let live = root
            .path()
            .join(format!("{PREFIX}{}-server-abc", std::process::id()));
        // pid_max is at most 2^22 on Linux, so this pid cannot exist.
        let dead = root
            .path()
            .join(format!("{PREFIX}{}-server-abc", 99_999_999));
        let other = root.path().join("unrelated-1-dir");
        for d in [&live, &dead, &other] {
            std::fs::create_dir(d).unwrap();
        }
        sweep(root.path());
        assert!(live.exists());
        assert!(!dead.exists());
        assert!(other.exists());
    }
}
