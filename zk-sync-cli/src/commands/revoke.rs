//! `zk-sync revoke PATH`: ask the holder of a lock to let go, by Curator's convention.

use crate::cli::{Connection, Revoke};
use crate::exit::Failure;
use crate::{connect, say};
use zk_sync_core::Session;
use zk_sync_mutex::DistMutex;
use zk_sync_rwlock::DistRwLock;

pub(super) async fn run(connection: &Connection, revoke: &Revoke) -> Result<u8, Failure> {
    connect::check_recipe_path(connection, &revoke.path)?;
    let session = connect::session(connection).await?;
    let result = ask(&session, &revoke.path).await;
    connect::close(&session).await;
    result
}

async fn ask(session: &Session, path: &str) -> Result<u8, Failure> {
    let failed = |e: zk_sync_core::Error| Failure::zk(&format!("revoking the lock on {path}"), &e);
    let mutex = DistMutex::new(session.clone(), path).map_err(|e| Failure::zk("bad lock", &e))?;
    // A mutex's holder, or else the holders of the reader-writer lock on the same path.
    let mut asked: Vec<String> = mutex
        .revoke_holder()
        .await
        .map_err(failed)?
        .into_iter()
        .collect();
    if asked.is_empty() {
        let rwlock =
            DistRwLock::new(session.clone(), path).map_err(|e| Failure::zk("bad lock", &e))?;
        asked = rwlock.revoke_holders().await.map_err(failed)?;
    }
    if asked.is_empty() {
        say::note(&format!("nobody holds the lock on {path}: nobody to ask"));
    }
    for node in asked {
        say::note(&format!(
            "asked the holder of the lock on {path} to let go (node {})",
            node.rsplit('/').next().unwrap_or_default()
        ));
    }
    Ok(0)
}
