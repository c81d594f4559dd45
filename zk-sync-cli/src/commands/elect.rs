//! `zk-sync elect PATH ID [-- COMMAND...]`.

use super::holders::Who;
use super::holding::{give_back, run_while_held, say_holding};
use super::runner::Runner;
use super::wait::Wait;
use crate::cli::{Connection, Elect};
use crate::exit::{Failure, USAGE};
use crate::signals::StopSignals;
use crate::supervise::Held;
use zk_sync_election::{LeaderElection, Session};

pub(super) async fn run(connection: &Connection, elect: Elect) -> Result<u8, Failure> {
    let runner = Runner::taking_part(connection, &elect.path, &elect.run.monitoring)?;
    if elect.json {
        // clap waives `requires = "observe"` when --observe conflicts with an argument given,
        // as it does with the ID: `elect /e x --json` comes this far.
        return Err(Failure::new(USAGE, "--json goes with --observe"));
    }
    let id = elect
        .id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Failure::new(USAGE, "the participant ID must not be empty"))?;
    runner
        .with_session(|session, signals| leading(connection, &elect, &id, session, signals))
        .await
}

async fn leading(
    connection: &Connection,
    elect: &Elect,
    id: &str,
    session: Session,
    mut signals: StopSignals,
) -> Result<u8, Failure> {
    let what = format!("the leadership of {}", elect.path);
    let election = LeaderElection::new(session.clone(), &elect.path, id)
        .map_err(|e| Failure::zk("bad election", &e))?;
    let wait = Wait {
        what: &what,
        session: &session,
        path: &elect.path,
        who: Who::Holders,
        timeout: elect.timeout,
    };
    let campaign = async {
        election
            .campaign()
            .await
            .map_err(|e| Failure::zk(&format!("campaigning in {}", elect.path), &e))
    };
    let leadership = wait.acquire(campaign, &mut signals).await?;
    let token = leadership.fencing_token();
    say_holding(&format!("{what} as {id}"), token, &elect.run);
    let held = Held {
        hold: leadership.hold(),
        what: &what,
        revocable: false,
    };
    let env = [
        ("ZK_SYNC_ELECTION_PATH", elect.path.clone()),
        ("ZK_SYNC_PARTICIPANT_ID", id.to_owned()),
        ("ZK_SYNC_FENCING_TOKEN", token.to_string()),
    ];
    let code = run_while_held(connection, &elect.run, held, &env, &mut signals).await?;
    give_back(&what, leadership.resign()).await?;
    Ok(code)
}
