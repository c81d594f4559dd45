//! `zk-sync semaphore PATH --permits N [-- COMMAND...]`.

use crate::cli::{Connection, Semaphore};
use crate::connect;
use crate::exit::{Failure, HOLD_LOST, TIMED_OUT};
use crate::signals::StopSignals;
use crate::supervise::Held;
use zk_sync_semaphore::{DistSemaphore, DistSemaphorePermit, TryAcquireError};

pub(super) async fn run(connection: &Connection, semaphore: Semaphore) -> Result<u8, Failure> {
    connect::check_path(&semaphore.path)?;
    let mut signals = StopSignals::install()?;
    let session = connect::session(connection).await?;
    let result = leased(connection, &semaphore, &session, &mut signals).await;
    connect::close(&session).await;
    result
}

async fn leased(
    connection: &Connection,
    args: &Semaphore,
    session: &zk_sync_core::Session,
    signals: &mut StopSignals,
) -> Result<u8, Failure> {
    let what = format!("a permit of {} (of {})", args.path, args.permits);
    let semaphore = DistSemaphore::new(session.clone(), &args.path, args.permits)
        .map_err(|e| Failure::zk("bad semaphore", &e))?;
    let permit = if args.run.timeout.is_some_and(|t| t.is_zero()) {
        try_acquire(&semaphore, &what).await?
    } else {
        let acquiring = async {
            semaphore
                .acquire()
                .await
                .map_err(|e| Failure::zk(&format!("acquiring {what}"), &e))
        };
        super::acquire(acquiring, &what, args.run.timeout, signals).await?
    };
    let token = permit.fencing_token();
    let held = Held {
        hold: &permit.leases()[0],
        what: &what,
    };
    if args.run.command.is_empty() {
        eprintln!("zk-sync: holding {what} (fencing token {token}); SIGINT or SIGTERM releases it");
    }
    let env = [
        ("ZK_SYNC_SEMAPHORE_PATH", args.path.clone()),
        ("ZK_SYNC_PERMITS", args.permits.to_string()),
        ("ZK_SYNC_FENCING_TOKEN", token.to_string()),
    ];
    let code = super::run_while_held(connection, &args.run, held, &env, signals).await?;
    permit.release().await.map_err(|error| {
        Failure::new(
            HOLD_LOST,
            format!("{what} was lost before it was given back ({error})"),
        )
    })?;
    Ok(code)
}

async fn try_acquire<'a>(
    semaphore: &'a DistSemaphore,
    what: &str,
) -> Result<DistSemaphorePermit<'a>, Failure> {
    match semaphore.try_acquire().await {
        Ok(permit) => Ok(permit),
        Err(TryAcquireError::NoPermits) => Err(Failure::new(
            TIMED_OUT,
            format!("no permit free for {what}"),
        )),
        Err(TryAcquireError::Error(error)) => {
            Err(Failure::zk(&format!("acquiring {what}"), &error))
        }
        Err(error) => Err(Failure::new(crate::exit::INTERNAL, error.to_string())),
    }
}
