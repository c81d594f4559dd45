//! Who holds and who waits: the recipes' rules applied to a directory listing.

use serde::Serialize;
use zk_sync_core::backend::Stat;
use zk_sync_core::contender::sort_contenders;

/// What a node is, judged by its name (and, for plain names, whether it is ephemeral).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// A mutex contender (`…lock-N`: Curator `InterProcessMutex`, go-zookeeper `Lock`, ours).
    Lock,
    /// A reader of a reader-writer lock (`…__READ__N`).
    Read,
    /// A writer of a reader-writer lock (`…__WRIT__N`).
    Write,
    /// A leader-latch participant (`…latch-N`: Curator `LeaderLatch`, our election).
    Latch,
    /// A semaphore's lease (`leases/…lease-N`: Curator `InterProcessSemaphoreV2`, ours).
    Lease,
    /// A semaphore contender waiting for its turn to count the leases (`locks/…lock-N`).
    Turn,
    /// Any other ephemeral node, e.g. a double barrier's member.
    Member,
    /// A double barrier's `ready` node.
    Ready,
    /// Any other persistent node.
    Node,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Lock => "lock",
            Kind::Read => "read",
            Kind::Write => "write",
            Kind::Latch => "latch",
            Kind::Lease => "lease",
            Kind::Turn => "turn",
            Kind::Member => "member",
            Kind::Ready => "ready",
            Kind::Node => "node",
        }
    }
}

/// A contender's place in its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    /// Holds the lock (a mutex's first; a rwlock's readers before the first writer, or the
    /// writer that comes first).
    Holds,
    /// Leads the election (the latch's first).
    Leads,
    /// Waits behind a holder.
    Waits,
    /// Counts a semaphore's leases, waiting for one to be given back (the first turn).
    Counts,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Holds => "holds",
            Role::Leads => "leads",
            Role::Waits => "waits",
            Role::Counts => "counts",
        }
    }
}

/// One child of the inspected path.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) role: Option<Role>,
    pub(crate) sequence: Option<String>,
    pub(crate) stat: Stat,
    pub(crate) data: Vec<u8>,
}

impl Entry {
    /// Whether it holds the recipe (a lock's holder, an election's leader): the one a
    /// waiting command names, and the one a fencing token is shown for.
    pub(crate) fn holds(&self) -> bool {
        matches!(self.role, Some(Role::Holds | Role::Leads))
    }
}

const MUTEX: &[&str] = &["lock-"];
const RWLOCK: &[&str] = &["__READ__", "__WRIT__"];
const LATCH: &[&str] = &["latch-"];
const LEASE: &[&str] = &["lease-"];

/// The directories a semaphore's path holds.
pub(crate) const SEMAPHORE_DIRS: [&str; 2] = ["leases", "locks"];

/// Orders and labels the children: each recipe's contenders in queue order (mutex, then
/// reader-writer lock, then latch), then every other node by name.
pub(crate) fn classify(nodes: Vec<(String, Vec<u8>, Stat)>) -> Vec<Entry> {
    let mut families: [Vec<String>; 5] = Default::default();
    let mut others = Vec::new();
    let mut details = std::collections::HashMap::new();
    for (name, data, stat) in nodes {
        // A semaphore's nodes, named by their directory (see `SEMAPHORE_DIRS`).
        let family = if name.starts_with("leases/") {
            Some(3)
        } else if name.starts_with("locks/") {
            Some(4)
        } else if RWLOCK.iter().any(|m| name.contains(m)) {
            Some(1)
        } else if name.contains(LATCH[0]) {
            Some(2)
        } else if name.contains(MUTEX[0]) {
            Some(0)
        } else {
            None
        };
        match family {
            Some(f) => families[f].push(name.clone()),
            None => {
                let kind = match name.as_str() {
                    "ready" => Kind::Ready,
                    _ if stat.ephemeral_owner != 0 => Kind::Member,
                    _ => Kind::Node,
                };
                others.push((name.clone(), kind));
            }
        }
        details.insert(name, (data, stat));
    }
    let mut entries = Vec::new();
    let [mutex, rwlock, latch, leases, turns] = families;
    let mut take = |name: &str, kind, role, sequence: Option<&str>| {
        let (data, stat) = details.remove(name).unwrap_or_default();
        entries.push(Entry {
            name: name.to_owned(),
            kind,
            role,
            sequence: sequence.map(str::to_owned),
            stat,
            data,
        });
    };
    for (i, c) in sort_contenders(mutex, MUTEX).iter().enumerate() {
        let role = if i == 0 { Role::Holds } else { Role::Waits };
        take(c.name(), Kind::Lock, Some(role), Some(c.sequence()));
    }
    let mut writer_seen = false;
    for (i, c) in sort_contenders(rwlock, RWLOCK).iter().enumerate() {
        let (kind, holds) = if c.marker() == 1 {
            let first = i == 0;
            writer_seen = true;
            (Kind::Write, first)
        } else {
            (Kind::Read, !writer_seen)
        };
        let role = if holds { Role::Holds } else { Role::Waits };
        take(c.name(), kind, Some(role), Some(c.sequence()));
    }
    for (i, c) in sort_contenders(latch, LATCH).iter().enumerate() {
        let role = if i == 0 { Role::Leads } else { Role::Waits };
        take(c.name(), Kind::Latch, Some(role), Some(c.sequence()));
    }
    for c in sort_contenders(leases, LEASE) {
        take(c.name(), Kind::Lease, Some(Role::Holds), Some(c.sequence()));
    }
    for (i, c) in sort_contenders(turns, MUTEX).iter().enumerate() {
        let role = if i == 0 { Role::Counts } else { Role::Waits };
        take(c.name(), Kind::Turn, Some(role), Some(c.sequence()));
    }
    others.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in &others {
        take(name, *kind, None, None);
    }
    entries
}

/// The data as text when it is printable UTF-8.
pub(crate) fn printable(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data)
        .ok()
        .filter(|text| !text.chars().any(char::is_control))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, owner: i64) -> (String, Vec<u8>, Stat) {
        let stat = Stat {
            ephemeral_owner: owner,
            ..Stat::default()
        };
        (name.to_owned(), Vec::new(), stat)
    }

    fn roles(entries: &[Entry]) -> Vec<(&str, &str, &str)> {
        entries
            .iter()
            .map(|e| {
                let role = e.role.map_or("-", Role::as_str);
                (e.name.as_str(), e.kind.as_str(), role)
            })
            .collect()
    }

    #[test]
    fn a_semaphores_leases_hold_and_its_first_turn_counts() {
        let entries = classify(vec![
            node("locks/_c_b-lock-0000000004", 1),
            node("leases/_c_x-lease-0000000002", 2),
            node("locks/_c_a-lock-0000000003", 2),
            node("leases/_c_y-lease-0000000001", 1),
        ]);
        assert_eq!(
            roles(&entries),
            [
                ("leases/_c_y-lease-0000000001", "lease", "holds"),
                ("leases/_c_x-lease-0000000002", "lease", "holds"),
                ("locks/_c_a-lock-0000000003", "turn", "counts"),
                ("locks/_c_b-lock-0000000004", "turn", "waits"),
            ]
        );
    }

    #[test]
    fn mutex_lowest_holds() {
        let entries = classify(vec![
            node("_c_b-lock-0000000002", 1),
            node("_c_a-lock-0000000001", 2),
        ]);
        assert_eq!(
            roles(&entries),
            [
                ("_c_a-lock-0000000001", "lock", "holds"),
                ("_c_b-lock-0000000002", "lock", "waits")
            ]
        );
    }

    #[test]
    fn rwlock_readers_before_the_first_writer_hold() {
        let entries = classify(vec![
            node("_c_4-__READ__0000000004", 1),
            node("_c_1-__READ__0000000001", 1),
            node("_c_3-__WRIT__0000000003", 1),
            node("_c_2-__READ__0000000002", 1),
            node("_c_5-__WRIT__0000000005", 1),
        ]);
        assert_eq!(
            roles(&entries),
            [
                ("_c_1-__READ__0000000001", "read", "holds"),
                ("_c_2-__READ__0000000002", "read", "holds"),
                ("_c_3-__WRIT__0000000003", "write", "waits"),
                ("_c_4-__READ__0000000004", "read", "waits"),
                ("_c_5-__WRIT__0000000005", "write", "waits"),
            ]
        );
        let first_writer = classify(vec![
            node("_c_1-__WRIT__0000000001", 1),
            node("_c_2-__READ__0000000002", 1),
        ]);
        assert_eq!(
            roles(&first_writer),
            [
                ("_c_1-__WRIT__0000000001", "write", "holds"),
                ("_c_2-__READ__0000000002", "read", "waits")
            ]
        );
    }

    #[test]
    fn latch_lowest_leads_and_plain_nodes_follow() {
        let entries = classify(vec![
            node("ready", 0),
            node("_c_x-latch-0000000007", 1),
            node("0f3e", 5),
            node("_c_y-latch-0000000003", 1),
            node("config", 0),
        ]);
        assert_eq!(
            roles(&entries),
            [
                ("_c_y-latch-0000000003", "latch", "leads"),
                ("_c_x-latch-0000000007", "latch", "waits"),
                ("0f3e", "member", "-"),
                ("config", "node", "-"),
                ("ready", "ready", "-"),
            ]
        );
    }

    #[test]
    fn printable_data_only() {
        assert_eq!(printable(b"node-1"), Some("node-1"));
        assert_eq!(printable(b"a\nb"), None);
        assert_eq!(printable(&[0xff, 0x00]), None);
    }
}
