//! Distributed reader-writer lock on ZooKeeper, wire compatible with Curator `InterProcessReadWriteLock`.
//!
//! This crate is being built on [`zk_sync_core`]'s contender queue.
