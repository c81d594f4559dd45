//! `zk-sync inspect PATH [--json] [--watch]`.

pub(crate) mod classify;
pub(crate) mod read;
mod render;
mod watch;

use crate::cli::{Connection, Inspect};
use crate::connect;
use crate::exit::{Failure, NO_SUCH_PATH, USAGE};
use read::Node;

pub(super) async fn run(connection: &Connection, inspect: Inspect) -> Result<u8, Failure> {
    if inspect.watch {
        return watch::run(connection, &inspect).await;
    }
    connect::check_path(&inspect.path)?;
    if inspect.monitoring.metrics_addr.is_some() {
        return Err(Failure::new(
            USAGE,
            "--metrics-addr needs --watch (inspect alone ends at once)",
        ));
    }
    let session = connect::session(connection).await?;
    let listing = read::listing(&session, &inspect.path).await;
    connect::close(&session).await;
    let nodes = listing?.nodes;
    let exists = nodes.is_some();
    println!("{}", show(&inspect, nodes, false));
    Ok(if exists { 0 } else { NO_SUCH_PATH })
}

/// The nodes as a table or JSON (compact: one line).
fn show(inspect: &Inspect, nodes: Option<Vec<Node>>, compact: bool) -> String {
    let entries = nodes.map(classify::classify);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    if inspect.json {
        render::json(&inspect.path, entries.as_deref(), now_ms, compact)
    } else {
        render::table(&inspect.path, entries.as_deref(), now_ms)
    }
}
