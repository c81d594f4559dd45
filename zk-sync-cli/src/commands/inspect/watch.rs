//! `zk-sync inspect PATH --watch`: the same report again on every change, until a signal.

use super::{read, show};
use crate::cli::{Connection, Inspect};
use crate::commands::runner::Runner;
use crate::exit::Failure;
use crate::signals::StopSignals;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::io::Write;
use std::sync::Arc;
use zk_sync_core::{Epoch, Error, Session, WatchKind, ZkErrorCode};

pub(super) async fn run(connection: &Connection, inspect: &Inspect) -> Result<u8, Failure> {
    Runner::reading(connection, &inspect.path, &inspect.monitoring)?
        .with_session(|session, signals| watch(session, inspect, signals))
        .await
}

async fn watch(
    session: Session,
    inspect: &Inspect,
    mut signals: StopSignals,
) -> Result<u8, Failure> {
    let failed = |error: Error| Failure::zk(&format!("watching {}", inspect.path), &error);
    let mut semaphore = false;
    let mut printed = false;
    loop {
        // Armed before reading, so that no change between the read and the watch is missed.
        let epoch = session.live_epoch().await.map_err(failed)?;
        let mut changes = vec![arm(&session, &epoch, inspect.path.clone())
            .await
            .map_err(failed)?];
        if semaphore {
            for dir in super::classify::SEMAPHORE_DIRS {
                let dir = read::child_path(&inspect.path, dir);
                changes.push(arm(&session, &epoch, dir).await.map_err(failed)?);
            }
        }
        let listing = read::listing(&session, &inspect.path).await?;
        if listing.semaphore && !semaphore {
            // Its directories were not watched yet: watch them, then read again.
            semaphore = true;
            continue;
        }
        semaphore = listing.semaphore;
        let text = show(inspect, listing.nodes, true);
        let mut stdout = std::io::stdout().lock();
        let separator = if printed && !inspect.json { "\n" } else { "" };
        // A closed stdout (`| head`) ends the watch quietly.
        if writeln!(stdout, "{separator}{text}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return Ok(0);
        }
        printed = true;
        tokio::select! {
            _ = futures::future::select_all(changes) => {}
            _ = signals.recv() => return Ok(0),
        }
    }
}

/// Resolves on the next change of `path`'s children (or its creation, while it is missing),
/// and on any session transition.
async fn arm(
    session: &Session,
    epoch: &Arc<Epoch>,
    path: String,
) -> Result<BoxFuture<'static, ()>, Error> {
    let watch = match session.watch(epoch, WatchKind::Children, &path).await {
        Err(Error::Zk {
            code: ZkErrorCode::NoNode,
            ..
        }) => session.watch(epoch, WatchKind::Exists, &path).await?,
        other => other?,
    };
    Ok(watch.changed().map(drop).boxed())
}
