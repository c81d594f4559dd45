//! The READMEs' Rust examples, compiled as doc tests of this crate so that they keep
//! compiling. Only in the repository (`zk_sync_repository`, set by the build script): the
//! packaged crate has none of the other READMEs.

#[doc = include_str!("../../README.md")]
mod repository {}

#[doc = include_str!("../README.md")]
mod facade {}

#[doc = include_str!("../../zk-sync-core/README.md")]
mod core_crate {}

#[doc = include_str!("../../zk-sync-mutex/README.md")]
mod mutex {}

#[doc = include_str!("../../zk-sync-rwlock/README.md")]
mod rwlock {}

#[doc = include_str!("../../zk-sync-election/README.md")]
mod election {}

#[doc = include_str!("../../zk-sync-barrier/README.md")]
mod barrier {}

#[doc = include_str!("../../zk-sync-semaphore/README.md")]
mod semaphore {}
