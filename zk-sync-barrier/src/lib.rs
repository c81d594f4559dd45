//! Double barrier on ZooKeeper, wire compatible with Curator `DistributedDoubleBarrier`.
//!
//! This crate is being built on [`zk_sync_core`]'s session.
