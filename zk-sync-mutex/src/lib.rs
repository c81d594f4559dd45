//! Distributed mutex on ZooKeeper, wire compatible with Curator `InterProcessMutex`.
//!
//! This crate is being built on [`zk_sync_core`]'s contender queue.
