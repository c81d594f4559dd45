//! Helpers shared by the mutex tests: the core's test utilities.
#![allow(unused_imports, unreachable_pub)]

pub use zk_sync_core::test_util::*;
