//! `zk-sync semaphore PATH --permits N [-- COMMAND...]`.

use super::runner::Runner;
use super::{Wait, Who};
use crate::cli::{Connection, Semaphore};
use crate::exit::{Failure, HOLD_LOST, INTERNAL};
use crate::say;
use crate::signals::StopSignals;
use crate::supervise::Held;
use zk_sync_semaphore::{DistSemaphore, Session, TryAcquireError};

pub(super) async fn run(connection: &Connection, semaphore: Semaphore) -> Result<u8, Failure> {
    Runner::for_recipe(connection, &semaphore.path, &semaphore.run.monitoring)?
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
    let acquiring = |error| Failure::zk(&format!("acquiring {what}"), &error);
    let permit = if args.timeout.is_some_and(|t| t.is_zero()) {
        match semaphore.try_acquire().await {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => return Err(wait.timed_out().await),
            Err(TryAcquireError::Error(error)) => return Err(acquiring(error)),
            Err(error) => return Err(Failure::new(INTERNAL, error.to_string())),
        }
    } else {
        let acquire = async { semaphore.acquire().await.map_err(acquiring) };
        wait.acquire(acquire, &mut signals).await?
    };
    let token = permit.fencing_token();
    super::say_holding(&what, token, &args.run);
    let held = Held {
        hold: &permit.leases()[0],
        what: &what,
        revocable: false,
    };
    let env = [
        ("ZK_SYNC_SEMAPHORE_PATH", args.path.clone()),
        ("ZK_SYNC_PERMITS", args.permits.to_string()),
        ("ZK_SYNC_FENCING_TOKEN", token.to_string()),
    ];
    let code = super::run_while_held(connection, &args.run, held, &env, &mut signals).await?;
    permit.release().await.map_err(|error| {
        Failure::new(
            HOLD_LOST,
            format!("{what} was lost before it was given back ({error})"),
        )
    })?;
    say::detail(&format!("released {what}"));
    Ok(code)
}
