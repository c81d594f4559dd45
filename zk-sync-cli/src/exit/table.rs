//! The exit-code table: `--help` prints it, and the README carries the same rows (a test
//! compares them), so the two cannot drift apart.

/// One exit code and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    /// The code as written: `64`, or `128+N`.
    pub(crate) code: &'static str,
    /// What it means, in plain text (no markup: `--help` prints it as it is).
    pub(crate) meaning: &'static str,
}

const fn row(code: &'static str, meaning: &'static str) -> Row {
    Row { code, meaning }
}

/// Every exit code zk-sync itself chooses.
pub(crate) const TABLE: &[Row] = &[
    row("0", "success"),
    row("64", "bad usage (unknown option, malformed value, missing argument)"),
    row("65", "invalid ZooKeeper path (or one under the reserved /zookeeper) or connect string"),
    row("66", "the path to inspect, or the chroot of --connect, does not exist"),
    row("69", "ZooKeeper unavailable: no session within --connect-timeout (connection refused, no such host, no answer), or the session lost while waiting, before anything was held"),
    row("70", "internal error in zk-sync"),
    row("71", "operating system error (cannot spawn, handle signals or serve --metrics-addr)"),
    row("75", "a hold (lock, leadership, semaphore permit, place in a barrier) was lost: before the command started; while it ran, or became uncertain, or was revoked (lock --revocable), and the command was stopped; while held without a command; or when given back after the command finished normally"),
    row("76", "ZooKeeper refused the request"),
    row("77", "permission denied (authentication failed, or an ACL forbids it)"),
    row("124", "--timeout elapsed while waiting for a lock, leadership, a permit or the other participants of a barrier"),
    row("126", "the command cannot be executed"),
    row("127", "the command was not found"),
    row("128+N", "zk-sync was stopped by signal N before the command started"),
];

/// The table for `--help`.
pub(crate) fn help() -> String {
    let mut text = String::from(
        "Exit codes:\n  With a command, zk-sync exits with the command's own status (128+N when signal N killed\n  it), unless zk-sync itself ends the run:\n",
    );
    for row in TABLE {
        text.push_str(&format!("  {:<6} {}\n", row.code, row.meaning));
    }
    text.pop();
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit;

    #[test]
    fn every_code_is_in_the_table() {
        let codes = [
            exit::USAGE,
            exit::BAD_INPUT,
            exit::NO_SUCH_PATH,
            exit::UNAVAILABLE,
            exit::INTERNAL,
            exit::OS_ERROR,
            exit::HOLD_LOST,
            exit::ZOOKEEPER,
            exit::NO_PERMISSION,
            exit::TIMED_OUT,
            exit::CANNOT_EXECUTE,
            exit::NOT_FOUND,
        ];
        for code in codes {
            assert!(
                TABLE.iter().any(|row| row.code == code.to_string()),
                "{code} is missing from the table"
            );
        }
        assert_eq!(TABLE.len(), codes.len() + 2, "0 and 128+N besides");
    }

    #[test]
    fn help_has_one_line_per_code() {
        let help = help();
        for row in TABLE {
            assert!(
                help.contains(&format!("  {:<6} {}\n", row.code, row.meaning))
                    || help.ends_with(row.meaning)
            );
        }
    }
}
