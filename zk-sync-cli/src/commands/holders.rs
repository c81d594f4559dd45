//! Who holds what a waiter waits for (or, at a barrier, how many are in), for the line said
//! when the wait lasts, and for the message when it times out.

use super::inspect::classify::{self, printable, Entry, Kind};
use super::inspect::read;
use std::time::Duration;
use zk_sync_core::Session;

/// How long naming the holders may take: it is only a courtesy.
const WITHIN: Duration = Duration::from_secs(1);

/// Who to name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Who {
    /// The holders (or leader) of a lock, election or semaphore.
    Holders,
    /// How many of `count` participants are inside a barrier.
    Participants { count: u32 },
}

/// `, held by session 0x1f (id worker-7), session 0x20` for the holders (or leader) of the
/// recipe at `path`, or `, 2 of 3 inside` for a barrier; empty when there is nothing to say,
/// or it cannot be read in time.
pub(crate) async fn describe(session: &Session, path: &str, who: Who) -> String {
    let nodes = match tokio::time::timeout(WITHIN, read::listing(session, path)).await {
        Ok(Ok(read::Listing {
            nodes: Some(nodes), ..
        })) => nodes,
        _ => return String::new(),
    };
    let entries = classify::classify(nodes);
    match who {
        Who::Holders => holders(&entries),
        Who::Participants { count } => {
            let inside = entries.iter().filter(|e| e.kind == Kind::Member).count();
            format!(", {inside} of {count} inside")
        }
    }
}

fn holders(entries: &[Entry]) -> String {
    let holders: Vec<String> = entries
        .iter()
        .filter(|e| e.holds())
        .map(|e| {
            let session = format!("session {:#x}", e.stat.ephemeral_owner);
            match printable(&e.data) {
                Some(id) if !id.is_empty() => format!("{session} (id {id})"),
                _ => session,
            }
        })
        .collect();
    if holders.is_empty() {
        String::new()
    } else {
        format!(", held by {}", holders.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zk_sync_core::backend::Stat;

    fn node(name: &str, owner: i64, data: &str) -> read::Node {
        let stat = Stat {
            ephemeral_owner: owner,
            ..Stat::default()
        };
        (name.to_owned(), data.as_bytes().to_vec(), stat)
    }

    #[test]
    fn names_the_holders_and_their_ids_not_the_waiters() {
        let mutex = classify::classify(vec![
            node("_c_a-lock-0000000001", 0x1f, "worker-7"),
            node("_c_b-lock-0000000002", 0x20, "worker-8"),
        ]);
        assert_eq!(holders(&mutex), ", held by session 0x1f (id worker-7)");
        let readers = classify::classify(vec![
            node("_c_a-__READ__0000000001", 0x1, ""),
            node("_c_b-__READ__0000000002", 0x2, ""),
            node("_c_c-__WRIT__0000000003", 0x3, ""),
        ]);
        assert_eq!(holders(&readers), ", held by session 0x1, session 0x2");
        assert_eq!(holders(&[]), "");
    }
}
