//! `zk-sync inspect PATH [--json]`.

mod classify;
mod render;

use crate::cli::{Connection, Inspect};
use crate::connect;
use crate::exit::Failure;
use zk_sync_core::backend::Stat;
use zk_sync_core::{Error, Session};

pub(super) async fn run(connection: &Connection, inspect: Inspect) -> Result<u8, Failure> {
    connect::check_path(&inspect.path)?;
    let session = connect::session(connection).await?;
    let nodes = match read(&session, &inspect.path).await {
        // A semaphore's path holds its `leases` and `locks` directories: show their nodes.
        Ok(Some(nodes)) if is_semaphore(&nodes) => semaphore(&session, &inspect.path).await,
        other => other,
    };
    connect::close(&session).await;
    let entries = nodes?.map(classify::classify);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let text = if inspect.json {
        render::json(&inspect.path, entries.as_deref(), now_ms)
    } else {
        render::table(&inspect.path, entries.as_deref(), now_ms)
    };
    println!("{text}");
    Ok(0)
}

/// The children of `path` with their data and stat; `None` when `path` does not exist.
async fn read(
    session: &Session,
    path: &str,
) -> Result<Option<Vec<(String, Vec<u8>, Stat)>>, Failure> {
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
fn is_semaphore(nodes: &[(String, Vec<u8>, Stat)]) -> bool {
    nodes.iter().any(|(name, _, _)| name == "leases")
        && nodes.iter().all(|(name, _, stat)| {
            classify::SEMAPHORE_DIRS.contains(&name.as_str()) && stat.ephemeral_owner == 0
        })
}

/// The nodes of a semaphore's directories, named `leases/…` and `locks/…`.
async fn semaphore(
    session: &Session,
    path: &str,
) -> Result<Option<Vec<(String, Vec<u8>, Stat)>>, Failure> {
    let mut nodes = Vec::new();
    for dir in classify::SEMAPHORE_DIRS {
        let children = read(session, &child_path(path, dir))
            .await?
            .unwrap_or_default();
        nodes.extend(
            children
                .into_iter()
                .map(|(name, data, stat)| (format!("{dir}/{name}"), data, stat)),
        );
    }
    Ok(Some(nodes))
}

fn child_path(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}
