//! The `zk-sync` binary against a real ZooKeeper (one shared server for the whole binary).

mod acl;
mod barrier;
mod common;
mod completions;
mod connect;
mod documents;
mod elect;
mod errors;
mod exit_codes;
mod faults;
mod inspect;
mod lock;
mod metrics;
mod output;
mod revoke;
mod semaphore;
mod tls;
