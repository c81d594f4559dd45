//! `zk-sync elect PATH --observe [--json]`: one line per change of leader.

use super::runner::Runner;
use crate::cli::{Connection, Elect};
use crate::exit::{Failure, UNAVAILABLE};
use crate::signals::StopSignals;
use serde::Serialize;
use std::io::Write;
use std::time::SystemTime;
use zk_sync_election::{LeaderElection, LeaderInfo, Session};

/// Observers never campaign; the id only satisfies the constructor.
const OBSERVER_ID: &str = "zk-sync-observer";

pub(super) async fn run(connection: &Connection, elect: &Elect) -> Result<u8, Failure> {
    Runner::observing(connection, &elect.path, &elect.run.monitoring)?
        .with_session(|session, signals| observe(elect, session, signals))
        .await
}

/// Prints the leader now and at every change, until a stop signal or a closed stdout.
async fn observe(elect: &Elect, session: Session, mut signals: StopSignals) -> Result<u8, Failure> {
    let election = LeaderElection::new(session, &elect.path, OBSERVER_ID)
        .map_err(|e| Failure::zk("bad election", &e))?;
    let mut leader = election.observe();
    loop {
        tokio::select! {
            changed = leader.changed() => {
                if changed.is_err() {
                    return Err(Failure::new(UNAVAILABLE, "the ZooKeeper session closed"));
                }
                let now = SystemTime::now();
                let info = leader.borrow_and_update().clone();
                let line = if elect.json {
                    json(info.as_ref(), now)
                } else {
                    describe(info.as_ref())
                };
                let mut stdout = std::io::stdout().lock();
                // A closed stdout (`| head -1`) ends the observation quietly.
                if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
                    return Ok(0);
                }
            }
            _ = signals.recv() => return Ok(0),
        }
    }
}

fn describe(leader: Option<&LeaderInfo>) -> String {
    match leader {
        None => "no leader".to_owned(),
        Some(info) => format!(
            "leader {} (node {}, session {:#x}, fencing token {})",
            info.participant_id(),
            node_name(info),
            info.session_id(),
            info.fencing_token(),
        ),
    }
}

/// One change of leader, as a JSON line.
#[derive(Debug, Serialize)]
struct Change<'a> {
    /// When this observer saw the change, RFC 3339 in UTC with milliseconds…
    time: String,
    /// …and as milliseconds since the Unix epoch.
    time_ms: u128,
    /// The new leader; `null` for none.
    leader: Option<Leader<'a>>,
}

#[derive(Debug, Serialize)]
struct Leader<'a> {
    id: &'a str,
    node: &'a str,
    session_id: String,
    /// The leader node's `czxid`, as `inspect --json` gives it.
    fencing_token: i64,
}

fn json(leader: Option<&LeaderInfo>, now: SystemTime) -> String {
    let change = Change {
        time: humantime::format_rfc3339_millis(now).to_string(),
        time_ms: now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
        leader: leader.map(|info| Leader {
            id: info.participant_id(),
            node: node_name(info),
            session_id: format!("{:#x}", info.session_id()),
            fencing_token: info.fencing_token().as_i64(),
        }),
    };
    serde_json::to_string(&change).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn node_name(info: &LeaderInfo) -> &str {
    info.path().rsplit('/').next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn no_leader_is_null_with_the_time() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(
            json(None, at),
            r#"{"time":"2023-11-14T22:13:20.123Z","time_ms":1700000000123,"leader":null}"#
        );
    }
}
