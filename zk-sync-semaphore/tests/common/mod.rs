//! Helpers shared by the semaphore tests.
#![allow(dead_code, unreachable_pub)]

#[allow(unused_imports)]
pub use zk_sync_core::test_util::*;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts the holders inside a semaphore and remembers the most seen at once.
#[derive(Debug, Clone, Default)]
pub struct Inside {
    now: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Inside {
    /// One more holder inside; returns how many are inside now.
    pub fn enter(&self) -> usize {
        let now = self.now.fetch_add(1, Ordering::AcqRel) + 1;
        self.most.fetch_max(now, Ordering::AcqRel);
        now
    }

    /// One holder fewer.
    pub fn leave(&self) {
        self.now.fetch_sub(1, Ordering::AcqRel);
    }

    /// The most holders seen inside at once.
    pub fn most(&self) -> usize {
        self.most.load(Ordering::Acquire)
    }
}
