//! `zk-sync lock PATH [--read | --write | --id ID] [-- COMMAND...]`.

mod lockable;

use super::holders::Who;
use super::holding::{give_back, run_while_held, say_holding};
use super::runner::Runner;
use super::wait::Wait;
use crate::cli::{Connection, Lock};
use crate::exit::Failure;
use crate::signals::StopSignals;
use crate::supervise::Held;
use lockable::Lockable;
use zk_sync_core::Session;

pub(super) async fn run(connection: &Connection, lock: Lock) -> Result<u8, Failure> {
    Runner::taking_part(connection, &lock.path, &lock.run.monitoring)?
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
    let locking = format!("locking {}", lock.path);
    let guard = wait
        .take(lockable.lock(), lockable.try_lock(), &locking, &mut signals)
        .await?;
    let token = guard.fencing_token();
    say_holding(&what, token, &lock.run);
    let held = Held {
        hold: guard.hold(),
        what: &what,
        revocable: lock.revocable,
    };
    let env = [
        ("ZK_SYNC_LOCK_PATH", lock.path.clone()),
        ("ZK_SYNC_FENCING_TOKEN", token.to_string()),
    ];
    let code = run_while_held(connection, &lock.run, held, &env, &mut signals).await?;
    give_back(&what, guard.unlock()).await?;
    Ok(code)
}
