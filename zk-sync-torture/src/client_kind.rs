//! The kinds of client process that share a path in a run.

use std::fmt;

/// Which library a client process uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientKind {
    /// zk-sync (this repository), as `zk-sync-torture worker`.
    ZkSync,
    /// zk-sync with local hand-off: the process's tasks share one node on the path
    /// (`zk-sync-torture worker --local-handoff`).
    ZkSyncLocal,
    /// zk-sync over the `zookeeper-async` wire client
    /// (`zk-sync-torture worker --wire-client zookeeper-async`).
    ZkSyncAsync,
    /// Apache Curator 5.4 (`InterProcessMutex`, `InterProcessReadWriteLock`, `LeaderLatch`).
    Curator,
    /// go-zookeeper's `zk.NewLock`.
    Go,
}

impl ClientKind {
    /// Whether the process runs zk-sync (with or without local hand-off, over either wire
    /// client).
    pub fn is_zk_sync(self) -> bool {
        matches!(
            self,
            ClientKind::ZkSync | ClientKind::ZkSyncLocal | ClientKind::ZkSyncAsync
        )
    }

    /// The name used in logs and tables.
    pub fn label(self) -> &'static str {
        match self {
            ClientKind::ZkSync => "zk-sync",
            ClientKind::ZkSyncLocal => "zk-sync-local",
            ClientKind::ZkSyncAsync => "zk-sync-async",
            ClientKind::Curator => "curator",
            ClientKind::Go => "go",
        }
    }
}

impl fmt::Display for ClientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
