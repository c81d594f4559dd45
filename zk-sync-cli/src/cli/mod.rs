//! The command line, as clap sees it.

mod connection;
mod recipes;
mod tools;

pub(crate) use connection::Connection;
pub(crate) use recipes::{Barrier, Elect, Lock, Monitoring, Revoke, RunOptions, Semaphore};
pub(crate) use tools::{Completions, Inspect};

use crate::exit;
use clap::{Args, Parser, Subcommand};

/// Distributed locks, leader election, semaphores and barriers on Apache ZooKeeper, for shell
/// commands.
///
/// Speaks Apache Curator's protocol: a lock taken here excludes Curator's InterProcessMutex
/// and go-zookeeper's Lock on the same path.
#[derive(Debug, Parser)]
#[command(name = "zk-sync", version, after_help = exit::codes_help())]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) connection: Connection,
    #[command(flatten)]
    pub(crate) output: Output,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How much zk-sync says on stderr (errors and warnings are always said).
#[derive(Debug, Args)]
pub(crate) struct Output {
    /// Print nothing but errors and warnings (such as a lock that may be lost)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Also say when connected and when released
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a command while holding a lock (Curator InterProcessMutex protocol)
    ///
    /// Waits for the lock at PATH, runs the command with ZK_SYNC_LOCK_PATH and
    /// ZK_SYNC_FENCING_TOKEN in its environment, releases the lock and exits with the command's
    /// status. If the lock becomes uncertain (connection to ZooKeeper suspended) or is lost
    /// while the command runs, the command's process group gets SIGTERM, then SIGKILL after
    /// --kill-after, and zk-sync exits with 75. SIGINT, SIGTERM and SIGHUP sent to zk-sync are
    /// passed on to the command. Without a command, holds the lock until SIGINT or SIGTERM.
    ///
    /// With --read or --write, takes a side of the reader-writer lock at PATH instead (Curator
    /// InterProcessReadWriteLock): `lock --read` and `lock --write` pair with each other, not
    /// with plain `lock`, whose nodes they do not see (different recipes, different node
    /// names), so use one or the other on a path.
    #[command(after_help = exit::codes_help())]
    Lock(Lock),

    /// Ask the holder of a lock to let go (Curator's Revoker convention)
    ///
    /// Writes `__REVOKE__` into the node of the lock's holder at PATH, as Curator's Revoker
    /// does. Only a holder that listens lets go: `zk-sync lock --revocable`, a library guard's
    /// revoke_requested(), Curator's makeRevocable; any other holder keeps the lock and never
    /// learns of the request. The request replaces what the holder wrote into its node (its
    /// --id, Curator's address). On a plain `lock` (InterProcessMutex) path it asks the holder;
    /// on a `lock --read`/`--write` path, every holder (the readers holding together, or the
    /// writer). It exits 0 whether there was a holder to ask or not (it says which).
    #[command(after_help = exit::codes_help())]
    Revoke(Revoke),

    /// Run a command only while leading an election (Curator LeaderLatch protocol)
    ///
    /// Joins the election at PATH as ID, waits to lead, then runs the command with
    /// ZK_SYNC_ELECTION_PATH, ZK_SYNC_PARTICIPANT_ID and ZK_SYNC_FENCING_TOKEN in its
    /// environment, resigns and exits with the command's status. Loss of leadership is handled
    /// as a lost lock. Without a command, leads until SIGINT or SIGTERM. With --observe, prints
    /// every change of leader (including "no leader") instead of taking part; with --json
    /// too, one JSON object per line, with the time of the change.
    #[command(after_help = exit::codes_help())]
    Elect(Elect),

    /// Run a command while holding one of N permits (Curator InterProcessSemaphoreV2 protocol)
    ///
    /// Waits for a permit of the semaphore at PATH (at most --permits holders at once, across
    /// every process using the same maximum), runs the command with ZK_SYNC_SEMAPHORE_PATH,
    /// ZK_SYNC_PERMITS and ZK_SYNC_FENCING_TOKEN in its environment, gives the permit back and
    /// exits with the command's status. Supervision, signals and exit codes are those of
    /// `lock`. Without a command, holds the permit until SIGINT or SIGTERM.
    #[command(after_help = exit::codes_help())]
    Semaphore(Semaphore),

    /// Run a command between entering and leaving a double barrier (Curator
    /// DistributedDoubleBarrier protocol)
    ///
    /// Enters the barrier at PATH and waits until --count participants have entered, runs the
    /// command with ZK_SYNC_BARRIER_PATH and ZK_SYNC_BARRIER_COUNT in its environment, then
    /// leaves and waits until every participant has left, and exits with the command's status.
    /// Without a command, enters and leaves at once: a meeting point for --count processes.
    /// SIGINT, SIGTERM and SIGHUP sent to zk-sync are passed on to the command.
    #[command(after_help = exit::codes_help())]
    Barrier(Barrier),

    /// Show who holds and who waits under a lock, election, semaphore or barrier path
    ///
    /// Understands Curator's and go-zookeeper's protected node names (`_c_<id>-lock-N`,
    /// `__READ__N`, `__WRIT__N`, `latch-N`), a semaphore's `leases` and `locks`, and plain
    /// children such as a double barrier's members and its `ready` node. DATA is what the
    /// holder wrote into its node: Curator's host address, `lock --id`, an election's
    /// participant id. With --watch, prints again on every change until interrupted.
    #[command(after_help = exit::codes_help())]
    Inspect(Inspect),

    /// Print a shell completion script
    ///
    /// For example `zk-sync completions bash > /etc/bash_completion.d/zk-sync`, or
    /// `source <(zk-sync completions bash)` in ~/.bashrc.
    Completions(Completions),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_duration_option_says_the_format_in_the_same_words() {
        let mut commands = vec![Cli::command()];
        let mut durations = Vec::new();
        while let Some(command) = commands.pop() {
            for arg in command.get_arguments() {
                if arg.get_value_names() == Some(&["DURATION".into()][..]) {
                    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                    assert!(
                        help.contains(duration::FORMAT_HELP),
                        "{} {}: {help}",
                        command.get_name(),
                        arg.get_id()
                    );
                    durations.push(arg.get_id().to_string());
                }
            }
            commands.extend(command.get_subcommands().cloned());
        }
        for option in [
            "timeout",
            "kill_after",
            "session_timeout",
            "connect_timeout",
        ] {
            assert!(
                durations.iter().any(|d| d == option),
                "{option}: {durations:?}"
            );
        }
    }

    #[test]
    fn a_command_follows_the_double_dash() {
        let cli = Cli::try_parse_from(["zk-sync", "lock", "/a", "--", "echo", "-n", "hi"]).unwrap();
        let Command::Lock(lock) = cli.command else {
            panic!("not lock")
        };
        assert_eq!(lock.run.command, ["echo", "-n", "hi"]);
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "echo"]).is_err());
    }

    #[test]
    fn observe_needs_no_id_and_takes_no_command() {
        assert!(Cli::try_parse_from(["zk-sync", "elect", "/e", "--observe"]).is_ok());
        assert!(Cli::try_parse_from(["zk-sync", "elect", "/e", "--observe", "--json"]).is_ok());
        assert!(Cli::try_parse_from(["zk-sync", "elect", "/e"]).is_err());
        assert!(
            Cli::try_parse_from(["zk-sync", "elect", "/e", "--observe", "--", "true"]).is_err()
        );
    }

    #[test]
    fn read_write_and_id_exclude_each_other() {
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "--read"]).is_ok());
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "--write"]).is_ok());
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "--read", "--write"]).is_err());
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "--read", "--id", "x"]).is_err());
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "--id", "x"]).is_ok());
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "--revocable"]).is_ok());
        assert!(Cli::try_parse_from(["zk-sync", "lock", "/a", "--write", "--revocable"]).is_err());
    }

    #[test]
    fn negative_durations_are_values_not_flags() {
        for args in [
            &["zk-sync", "lock", "/a", "--timeout", "-1s"][..],
            &["zk-sync", "--session-timeout", "-1s", "lock", "/a"],
            &["zk-sync", "lock", "/a", "--kill-after", "-5"],
        ] {
            let error = Cli::try_parse_from(args).unwrap_err().to_string();
            assert!(error.contains("must not be negative"), "{args:?}: {error}");
            assert!(!error.contains("tip"), "{args:?}: {error}");
        }
    }

    #[test]
    fn zero_timeouts_are_refused_where_they_mean_nothing_in_the_same_words() {
        for args in [
            &["zk-sync", "elect", "/e", "x", "--timeout", "0"][..],
            &[
                "zk-sync",
                "barrier",
                "/b",
                "--count",
                "2",
                "--timeout",
                "0s",
            ],
            &["zk-sync", "--connect-timeout", "0", "lock", "/a"],
        ] {
            let error = Cli::try_parse_from(args).unwrap_err().to_string();
            assert!(
                error.contains("must be greater than zero"),
                "{args:?}: {error}"
            );
        }
        for args in [
            &["zk-sync", "lock", "/a", "--timeout", "0"][..],
            &[
                "zk-sync",
                "semaphore",
                "/s",
                "--permits",
                "1",
                "--timeout",
                "0",
            ],
        ] {
            assert!(
                Cli::try_parse_from(args).is_ok(),
                "{args:?}: 0 means try once"
            );
        }
    }
}
