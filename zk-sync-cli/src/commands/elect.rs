//! `zk-sync elect PATH ID [-- COMMAND...]`.

use crate::cli::{Connection, Elect};
use crate::connect;
use crate::exit::{Failure, HOLD_LOST, USAGE};
use crate::signals::StopSignals;
use crate::supervise::Held;
use zk_sync_election::{LeaderElection, Session};

pub(super) async fn run(connection: &Connection, elect: Elect) -> Result<u8, Failure> {
    connect::check_path(&elect.path)?;
    let id = elect
        .id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Failure::new(USAGE, "the participant ID must not be empty"))?;
    let mut signals = StopSignals::install()?;
    let session = connect::session(connection).await?;
    let result = leading(connection, &elect, &id, &session, &mut signals).await;
    connect::close(&session).await;
    result
}

async fn leading(
    connection: &Connection,
    elect: &Elect,
    id: &str,
    session: &Session,
    signals: &mut StopSignals,
) -> Result<u8, Failure> {
    let what = format!("the leadership of {}", elect.path);
    let election = LeaderElection::new(session.clone(), &elect.path, id)
        .map_err(|e| Failure::zk("bad election", &e))?;
    let campaign = async {
        election
            .campaign()
            .await
            .map_err(|e| Failure::zk(&format!("campaigning in {}", elect.path), &e))
    };
    let leadership = super::acquire(campaign, &what, elect.run.timeout, signals).await?;
    let token = leadership.fencing_token();
    eprintln!(
        "zk-sync: leading {} as {id} (fencing token {token})",
        elect.path
    );
    let held = Held {
        hold: leadership.hold(),
        what: &what,
    };
    let env = [
        ("ZK_SYNC_ELECTION_PATH", elect.path.clone()),
        ("ZK_SYNC_PARTICIPANT_ID", id.to_owned()),
        ("ZK_SYNC_FENCING_TOKEN", token.to_string()),
    ];
    let code = super::run_while_held(connection, &elect.run, held, &env, signals).await?;
    leadership.resign().await.map_err(|error| {
        Failure::new(
            HOLD_LOST,
            format!("{what} was lost before resigning ({error})"),
        )
    })?;
    Ok(code)
}
