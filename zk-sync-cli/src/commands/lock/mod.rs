//! `zk-sync lock PATH [--read | --write | --id ID] [-- COMMAND...]`.

mod lockable;

use super::runner::Runner;
use super::{Wait, Who};
use crate::cli::{Connection, Lock};
use crate::exit::{Failure, HOLD_LOST, INTERNAL};
use crate::say;
use crate::signals::StopSignals;
use crate::supervise::Held;
use lockable::Lockable;
use zk_sync_core::{Session, TryLockError};

pub(super) async fn run(connection: &Connection, lock: Lock) -> Result<u8, Failure> {
    Runner::for_recipe(connection, &lock.path, &lock.run.monitoring)?
        .with_session(|session, signals| locked(connection, &lock, session, signals))
        .await
}

async fn locked(
    connection: &Connection,
    lock: &Lock,
    session: Session,
    mut signals: StopSignals,
) -> Result<u8, Failure> {
    let lockable = Lockable::new(
        &session,
        &lock.path,
        lock.read,
        lock.write,
        lock.id.as_deref(),
    )
    .map_err(|e| Failure::zk("bad lock", &e))?;
    let what = lockable.what(&lock.path);
    let wait = Wait {
        what: &what,
        session: &session,
        path: &lock.path,
        who: Who::Holders,
        timeout: lock.timeout,
    };
    let locking = |error| Failure::zk(&format!("locking {}", lock.path), &error);
    let guard = if lock.timeout.is_some_and(|t| t.is_zero()) {
        match lockable.try_lock().await {
            Ok(guard) => guard,
            Err(TryLockError::WouldBlock) => return Err(wait.timed_out().await),
            Err(TryLockError::Error(error)) => return Err(locking(error)),
            Err(error) => return Err(Failure::new(INTERNAL, error.to_string())),
        }
    } else {
        let acquire = async { lockable.lock().await.map_err(locking) };
        wait.acquire(acquire, &mut signals).await?
    };
    let token = guard.fencing_token();
    super::say_holding(&what, token, &lock.run);
    let held = Held {
        hold: guard.hold(),
        what: &what,
        revocable: lock.revocable,
    };
    let env = [
        ("ZK_SYNC_LOCK_PATH", lock.path.clone()),
        ("ZK_SYNC_FENCING_TOKEN", token.to_string()),
    ];
    let code = super::run_while_held(connection, &lock.run, held, &env, &mut signals).await?;
    guard.unlock().await.map_err(|error| {
        Failure::new(
            HOLD_LOST,
            format!("{what} was lost before it was released ({error})"),
        )
    })?;
    say::detail(&format!("released {what}"));
    Ok(code)
}
