//! `zk-sync elect PATH --observe`: one line per change of leader.

use crate::cli::Connection;
use crate::connect;
use crate::exit::{Failure, UNAVAILABLE};
use crate::signals::StopSignals;
use std::io::Write;
use zk_sync_election::{LeaderElection, LeaderInfo};

/// Observers never campaign; the id only satisfies the constructor.
const OBSERVER_ID: &str = "zk-sync-observer";

pub(super) async fn run(connection: &Connection, path: &str) -> Result<u8, Failure> {
    connect::check_path(path)?;
    let mut signals = StopSignals::install()?;
    let session = connect::session(connection).await?;
    let election = LeaderElection::new(session.clone(), path, OBSERVER_ID)
        .map_err(|e| Failure::zk("bad election", &e))?;
    let mut leader = election.observe();
    let result = loop {
        tokio::select! {
            changed = leader.changed() => {
                if changed.is_err() {
                    break Err(Failure::new(UNAVAILABLE, "the ZooKeeper session closed"));
                }
                let line = describe(leader.borrow_and_update().as_ref());
                let mut stdout = std::io::stdout().lock();
                // A closed stdout (`| head -1`) ends the observation quietly.
                if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
                    break Ok(0);
                }
            }
            _ = signals.recv() => break Ok(0),
        }
    };
    drop(leader);
    connect::close(&session).await;
    result
}

fn describe(leader: Option<&LeaderInfo>) -> String {
    match leader {
        None => "no leader".to_owned(),
        Some(info) => format!(
            "leader {} (node {}, session {:#x}, fencing token {})",
            info.participant_id(),
            info.path().rsplit('/').next().unwrap_or_default(),
            info.session_id(),
            info.fencing_token(),
        ),
    }
}
