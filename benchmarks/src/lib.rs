//! Benchmarks of zk-sync against its peers: run `cargo bench -p zk-sync-benchmarks`.
