//! `zk-sync semaphore PATH --permits N [-- COMMAND...]`.

use super::holders::Who;
use super::holding::{give_back, run_while_held, say_holding};
use super::runner::Runner;
use super::wait::Wait;
use crate::cli::{Connection, Semaphore};
use crate::exit::{Failure, INTERNAL};
use crate::signals::StopSignals;
use crate::supervise::Held;
use zk_sync_semaphore::{DistSemaphore, Session};

pub(super) async fn run(connection: &Connection, semaphore: Semaphore) -> Result<u8, Failure> {
    Runner::taking_part(connection, &semaphore.path, &semaphore.run.monitoring)?
        .with_session(|session, signals| leased(connection, &semaphore, session, signals))
        .await
}

async fn leased(
    connection: &Connection,
    args: &Semaphore,
    session: Session,
    mut signals: StopSignals,
) -> Result<u8, Failure> {
    let what = format!("a permit of {} (of {})", args.path, args.permits);
    let semaphore = DistSemaphore::new(session.clone(), &args.path, args.permits)
        .map_err(|e| Failure::zk("bad semaphore", &e))?;
    let wait = Wait {
        what: &what,
        session: &session,
        path: &args.path,
        who: Who::Holders,
        timeout: args.timeout,
    };
    let acquiring = format!("acquiring {what}");
    let permit = wait
        .take(
            semaphore.acquire(),
            semaphore.try_acquire(),
            &acquiring,
            &mut signals,
        )
        .await?;
    let token = permit.fencing_token();
    say_holding(&what, token, &args.run);
    let hold = permit
        .leases()
        .first()
        .ok_or_else(|| Failure::new(INTERNAL, format!("{what} came without a lease")))?;
    let held = Held {
        hold,
        what: &what,
        revocable: false,
    };
    let env = [
        ("ZK_SYNC_SEMAPHORE_PATH", args.path.clone()),
        ("ZK_SYNC_PERMITS", args.permits.to_string()),
        ("ZK_SYNC_FENCING_TOKEN", token.to_string()),
    ];
    let code = run_while_held(connection, &args.run, held, &env, &mut signals).await?;
    give_back(&what, permit.release()).await?;
    Ok(code)
}
