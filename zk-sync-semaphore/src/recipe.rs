//! The two recipes of the semaphore's directories.

use zk_sync_core::contender::{Contender, Decision, Exclusive, Recipe};

/// The lock on `<path>/locks` that a contender holds while it takes its leases: Curator's
/// `InterProcessMutex` (`lock-` nodes).
pub(crate) static LOCK: Exclusive = Exclusive::LOCK;

/// A lease node in `<path>/leases` (`lease-`). Creating one never waits: whether it fits is
/// decided by counting the directory's children (see [`crate::DistSemaphore`]), as Curator
/// does, not by the order of the nodes.
#[derive(Debug)]
pub(crate) struct Lease;

pub(crate) static LEASE: Lease = Lease;

impl Recipe for Lease {
    fn markers(&self) -> &[&'static str] {
        &["lease-"]
    }

    fn decide(&self, _queue: &[Contender], _me: usize) -> Decision {
        Decision::Acquired
    }

    fn blocks(&self, _mine: usize, _older: usize) -> Option<bool> {
        Some(false)
    }
}
