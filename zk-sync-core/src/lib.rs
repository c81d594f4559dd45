//! zk-sync core.
