//! Reads of the election directory, shared by `leader()`, `participants()` and the observer.

use crate::info::{LeaderInfo, Participant};
use zk_sync_core::backend::Stat;
use zk_sync_core::contender::{sort_contenders, Exclusive, Recipe};
use zk_sync_core::{Epoch, Error};

/// Curator `LeaderLatch` nodes: `_c_<uuid>-latch-<sequence>`; the lowest leads.
pub(crate) const RECIPE: Exclusive = Exclusive::LATCH;

/// The participants' node names in queue order; `None` when the directory does not exist.
pub(crate) async fn queue(epoch: &Epoch, dir: &str) -> Result<Option<Vec<String>>, Error> {
    Ok(epoch.children(dir).await?.map(|children| {
        sort_contenders(children, RECIPE.markers())
            .into_iter()
            .map(|c| c.name().to_owned())
            .collect()
    }))
}

/// A node's data and stat; `None` when it does not exist.
pub(crate) async fn node(epoch: &Epoch, path: &str) -> Result<Option<(Vec<u8>, Stat)>, Error> {
    epoch.data(path).await
}

/// The leader: the first participant whose node still exists (Curator's `getLeader` rule; a
/// node vanishing between the listing and the read is skipped).
pub(crate) async fn leader(epoch: &Epoch, dir: &str) -> Result<Option<LeaderInfo>, Error> {
    for name in queue(epoch, dir).await?.unwrap_or_default() {
        let path = format!("{dir}/{name}");
        if let Some((data, stat)) = node(epoch, &path).await? {
            return Ok(Some(LeaderInfo::new(path, &data, &stat)));
        }
    }
    Ok(None)
}

/// Every participant in queue order, the first existing one marked leader. The reads are
/// pipelined: one round trip for the listing, one for all the ids.
pub(crate) async fn participants(epoch: &Epoch, dir: &str) -> Result<Vec<Participant>, Error> {
    let paths: Vec<String> = queue(epoch, dir)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(|name| format!("{dir}/{name}"))
        .collect();
    let nodes = futures::future::join_all(paths.iter().map(|path| node(epoch, path))).await;
    let mut participants = Vec::with_capacity(paths.len());
    for (path, node) in paths.into_iter().zip(nodes) {
        if let Some((data, _)) = node? {
            let is_leader = participants.is_empty();
            participants.push(Participant::new(path, &data, is_leader));
        }
    }
    Ok(participants)
}
