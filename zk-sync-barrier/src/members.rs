//! ZooKeeper steps shared by the barriers.

use crate::Error;
use zk_sync_core::backend::{NodeKind, WatchFuture};
use zk_sync_core::{Epoch, Error as CoreError, Session, ZkErrorCode};

/// Curator's name for the node that opens a double barrier.
pub(crate) const READY: &str = "ready";

/// Creates `path` (ephemeral or persistent), creating missing ancestors as containers.
/// Returns `false` when it already existed. A create whose reply was lost is recognised by the
/// node's owner, so an ephemeral node of ours is never mistaken for someone else's.
pub(crate) async fn create(
    session: &Session,
    epoch: &Epoch,
    dir: &str,
    path: &str,
    kind: NodeKind,
) -> Result<bool, Error> {
    let acl = session.default_acl();
    let mut retried = false;
    loop {
        let reply = epoch
            .call(epoch.backend().create(path, &[], kind, acl))
            .await?;
        match reply {
            Ok(_) => return Ok(true),
            Err(ZkErrorCode::NoNode) => epoch.create_containers(dir, acl).await?,
            Err(ZkErrorCode::ConnectionLoss) => retried = true,
            Err(ZkErrorCode::NodeExists) if retried && kind == NodeKind::Ephemeral => {
                match epoch.data(path).await? {
                    Some((_, stat)) => return Ok(stat.ephemeral_owner == epoch.session_id()),
                    None => continue,
                }
            }
            Err(ZkErrorCode::NodeExists) => return Ok(false),
            Err(code) => return Err(CoreError::zk("create", path, code).into()),
        }
    }
}

/// Deletes `path`; a missing node counts as deleted.
pub(crate) async fn delete(epoch: &Epoch, path: &str) -> Result<(), Error> {
    epoch.delete(path).await?;
    Ok(())
}

/// The children of `dir` (empty when it does not exist).
pub(crate) async fn children(epoch: &Epoch, dir: &str) -> Result<Vec<String>, Error> {
    Ok(epoch.children(dir).await?.unwrap_or_default())
}

/// Whether `path` exists, leaving a watch for its creation, change or deletion.
pub(crate) async fn exists_watch(epoch: &Epoch, path: &str) -> Result<(bool, WatchFuture), Error> {
    let reply = epoch
        .retry("exists", path, |b| b.exists_watch(path))
        .await?;
    match reply {
        Ok((stat, watch)) => Ok((stat.is_some(), watch)),
        Err(code) => Err(CoreError::zk("exists", path, code).into()),
    }
}

/// Waits for `watch`, or any session transition (so the caller re-checks from the server).
///
/// # Errors
///
/// The end of `epoch` (session lost or closed).
pub(crate) async fn wake(epoch: &Epoch, watch: WatchFuture) -> Result<(), Error> {
    let mut status = epoch.status_receiver();
    tokio::select! {
        biased;
        end = epoch.ended() => Err(end.into()),
        _ = watch => Ok(()),
        _ = status.changed() => Ok(()),
    }
}
