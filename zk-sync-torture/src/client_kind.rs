//! The kinds of client process that share a path in a run.

use std::fmt;

/// Which library a client process uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientKind {
    /// zk-sync (this repository), as `zk-sync-torture worker`.
    ZkSync,
    /// Apache Curator 5.4 (`InterProcessMutex`, `InterProcessReadWriteLock`, `LeaderLatch`).
    Curator,
    /// go-zookeeper's `zk.NewLock`.
    Go,
}

impl ClientKind {
    /// The name used in logs and tables.
    pub fn label(self) -> &'static str {
        match self {
            ClientKind::ZkSync => "zk-sync",
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
