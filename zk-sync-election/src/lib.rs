//! Leader election on ZooKeeper, wire compatible with Curator `LeaderLatch`.
//!
//! This crate is being built on [`zk_sync_core`]'s contender queue.
