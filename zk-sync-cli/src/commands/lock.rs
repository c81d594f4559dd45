//! `zk-sync lock PATH [-- COMMAND...]`.

use crate::cli::{Connection, Lock};
use crate::connect;
use crate::exit::{Failure, HOLD_LOST, TIMED_OUT};
use crate::signals::StopSignals;
use crate::supervise::Held;
use zk_sync_mutex::{DistMutex, DistMutexGuard, TryLockError};

pub(super) async fn run(connection: &Connection, lock: Lock) -> Result<u8, Failure> {
    connect::check_path(&lock.path)?;
    let mut signals = StopSignals::install()?;
    let session = connect::session(connection).await?;
    let result = locked(connection, &lock, &session, &mut signals).await;
    connect::close(&session).await;
    result
}

async fn locked(
    connection: &Connection,
    lock: &Lock,
    session: &zk_sync_mutex::Session,
    signals: &mut StopSignals,
) -> Result<u8, Failure> {
    let what = format!("the lock on {}", lock.path);
    let mutex =
        DistMutex::new(session.clone(), &lock.path).map_err(|e| Failure::zk("bad path", &e))?;
    let guard = if lock.run.timeout.is_some_and(|t| t.is_zero()) {
        try_lock(&mutex, &what).await?
    } else {
        let locking = async {
            mutex
                .lock()
                .await
                .map_err(|e| Failure::zk(&format!("locking {}", lock.path), &e))
        };
        super::acquire(locking, &what, lock.run.timeout, signals).await?
    };
    let token = guard.fencing_token();
    let held = Held {
        hold: guard.hold(),
        what: &what,
    };
    if lock.run.command.is_empty() {
        eprintln!("zk-sync: holding {what} (fencing token {token}); SIGINT or SIGTERM releases it");
    }
    let env = [
        ("ZK_SYNC_LOCK_PATH", lock.path.clone()),
        ("ZK_SYNC_FENCING_TOKEN", token.to_string()),
    ];
    let code = super::run_while_held(connection, &lock.run, held, &env, signals).await?;
    guard.unlock().await.map_err(|error| {
        Failure::new(
            HOLD_LOST,
            format!("{what} was lost before it was released ({error})"),
        )
    })?;
    Ok(code)
}

async fn try_lock<'a>(mutex: &'a DistMutex, what: &str) -> Result<DistMutexGuard<'a>, Failure> {
    match mutex.try_lock().await {
        Ok(guard) => Ok(guard),
        Err(TryLockError::WouldBlock) => {
            Err(Failure::new(TIMED_OUT, format!("{what} is held elsewhere")))
        }
        Err(TryLockError::Error(error)) => {
            Err(Failure::zk(&format!("locking {}", mutex.path()), &error))
        }
        Err(error) => Err(Failure::new(crate::exit::INTERNAL, error.to_string())),
    }
}
