//! Reading a path's children with their data and stat (a semaphore's two directories as one).

use super::classify;
use crate::exit::Failure;
use zk_sync_core::backend::Stat;
use zk_sync_core::{Error, Session};

/// One child: its name (`leases/…` for a semaphore's), data and stat.
pub(crate) type Node = (String, Vec<u8>, Stat);

/// What a path holds.
pub(crate) struct Listing {
    /// Its children, a semaphore's leases and turns in place of its two directories; `None`
    /// when the path does not exist.
    pub(crate) nodes: Option<Vec<Node>>,
    /// Whether the path is a semaphore's, even one with no lease or turn now.
    pub(crate) semaphore: bool,
}

/// What `path` holds.
pub(crate) async fn listing(session: &Session, path: &str) -> Result<Listing, Failure> {
    match children(session, path).await? {
        Some(nodes) if is_semaphore(&nodes) => Ok(Listing {
            nodes: Some(semaphore(session, path).await?),
            semaphore: true,
        }),
        nodes => Ok(Listing {
            nodes,
            semaphore: false,
        }),
    }
}

/// The children of `path` with their data and stat; `None` when `path` does not exist.
async fn children(session: &Session, path: &str) -> Result<Option<Vec<Node>>, Failure> {
    let failed = |error: Error| Failure::zk(&format!("reading {path}"), &error);
    let epoch = session.live_epoch().await.map_err(failed)?;
    let Some(children) = epoch.children(path).await.map_err(failed)? else {
        return Ok(None);
    };
    // Sent together, answered in one round trip.
    let paths: Vec<String> = children.iter().map(|name| child_path(path, name)).collect();
    let reads = futures::future::join_all(paths.iter().map(|p| epoch.data(p))).await;
    let mut nodes = Vec::with_capacity(children.len());
    for (name, read) in children.into_iter().zip(reads) {
        // A node that vanished since the listing is simply gone.
        if let Some((bytes, stat)) = read.map_err(failed)? {
            nodes.push((name, bytes, stat));
        }
    }
    Ok(Some(nodes))
}

/// Whether `nodes` are a semaphore's directories: persistent, named as its are, its leases
/// among them.
fn is_semaphore(nodes: &[Node]) -> bool {
    nodes.iter().any(|(name, _, _)| name == "leases")
        && nodes.iter().all(|(name, _, stat)| {
            classify::SEMAPHORE_DIRS.contains(&name.as_str()) && stat.ephemeral_owner == 0
        })
}

/// The nodes of a semaphore's directories, named `leases/…` and `locks/…`.
async fn semaphore(session: &Session, path: &str) -> Result<Vec<Node>, Failure> {
    let mut nodes = Vec::new();
    for dir in classify::SEMAPHORE_DIRS {
        let children = children(session, &child_path(path, dir))
            .await?
            .unwrap_or_default();
        nodes.extend(
            children
                .into_iter()
                .map(|(name, data, stat)| (format!("{dir}/{name}"), data, stat)),
        );
    }
    Ok(nodes)
}

/// `dir/name`.
pub(crate) fn child_path(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}
