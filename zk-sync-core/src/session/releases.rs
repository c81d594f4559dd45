//! Releases waiting for their session's next request.
//!
//! A released hold's `delete` is not sent at once: it waits until the session sends anything
//! else, or until the releasing task yields, whichever comes first. When the next request is
//! a create (a process locking again, or another task queueing), the deletes travel inside it
//! as one transaction, which the server writes and syncs to disk once instead of twice. Any
//! other request sends them first, so a session's requests still reach the server in the order
//! they were made.

use super::cleanup::{Cleanup, Doomed};
use super::epoch::Epoch;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

const YIELDS: usize = 2;

/// The releases queued on one epoch.
#[derive(Debug)]
pub(crate) struct ReleaseQueue {
    epoch: Weak<Epoch>,
    cleanup: Cleanup,
    queued: Mutex<Batch>,
    // Lets every request check for queued releases without taking the lock.
    any: AtomicBool,
}

/// The releases queued since the queue was last emptied.
#[derive(Debug, Default)]
struct Batch {
    // Counts emptyings, so that a batch's flush task leaves later batches to their own.
    generation: u64,
    paths: Vec<String>,
}

impl ReleaseQueue {
    pub(crate) fn new(epoch: Weak<Epoch>, cleanup: Cleanup) -> ReleaseQueue {
        ReleaseQueue {
            epoch,
            cleanup,
            queued: Mutex::default(),
            any: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Batch> {
        self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues the delete of `path`, and makes sure it is sent once the calling task yields.
    pub(crate) fn push(&self, path: String) {
        self.cleanup.started(1);
        let new_batch = {
            let mut batch = self.lock();
            batch.paths.push(path);
            self.any.store(true, Ordering::Release);
            (batch.paths.len() == 1).then_some(batch.generation)
        };
        if let Some(generation) = new_batch {
            let epoch = self.epoch.clone();
            self.cleanup.spawn(async move {
                // On another worker this may run while the releasing task is still busy: let
                // it reach its next request first, if it is about to send one.
                for _ in 0..YIELDS {
                    tokio::task::yield_now().await;
                }
                if let Some(epoch) = epoch.upgrade() {
                    epoch.send_queued_releases(Some(generation));
                }
            });
        }
    }

    /// Empties the queue: all of it, or only batch `generation` if that is still the one
    /// queued.
    fn take(&self, generation: Option<u64>) -> Vec<String> {
        if !self.any.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut batch = self.lock();
        if generation.is_some_and(|g| g != batch.generation) {
            return Vec::new();
        }
        self.any.store(false, Ordering::Release);
        batch.generation += 1;
        std::mem::take(&mut batch.paths)
    }

    /// Sends the queued deletes now (all, or only batch `generation`), each followed up in
    /// the background.
    pub(crate) fn send(&self, generation: Option<u64>) {
        let paths = self.take(generation);
        if paths.is_empty() {
            return;
        }
        let Some(owner) = self.epoch.upgrade() else {
            self.cleanup.finished(paths.len());
            return;
        };
        for path in paths {
            let reply = owner.backend_unflushed().delete(&path, None);
            self.cleanup.follow_up(owner.clone(), path, reply);
        }
    }

    /// Takes the queued deletes to send inside a create.
    pub(crate) fn carry(&self) -> Carried {
        Carried {
            epoch: self.epoch.clone(),
            cleanup: self.cleanup.clone(),
            paths: self.take(None),
        }
    }
}

impl Drop for ReleaseQueue {
    fn drop(&mut self) {
        // The epoch is gone, and its ephemeral nodes with its session.
        let left = self.lock().paths.len();
        self.cleanup.finished(left);
    }
}

/// Deletes taken out of the queue to travel with a create. Until [`Carried::applied`] says the
/// transaction went through, dropping them sends them again in the background (a delete of a
/// node that is already gone is a no-op), so a failed or cancelled create loses no release.
#[derive(Debug)]
pub(crate) struct Carried {
    epoch: Weak<Epoch>,
    cleanup: Cleanup,
    paths: Vec<String>,
}

impl Carried {
    /// The nodes to delete.
    pub(crate) fn paths(&self) -> &[String] {
        &self.paths
    }

    /// The transaction carrying them was applied.
    pub(crate) fn applied(mut self) {
        self.cleanup.finished(std::mem::take(&mut self.paths).len());
    }

    /// Sends them now, one by one (for a backend that cannot carry them).
    pub(crate) fn send_now(mut self) {
        let paths = std::mem::take(&mut self.paths);
        match self.epoch.upgrade() {
            Some(epoch) => {
                for path in paths {
                    let reply = epoch.backend_unflushed().delete(&path, None);
                    self.cleanup.follow_up(epoch.clone(), path, reply);
                }
            }
            None => self.cleanup.finished(paths.len()),
        }
    }
}

impl Drop for Carried {
    fn drop(&mut self) {
        if self.paths.is_empty() {
            return;
        }
        let paths = std::mem::take(&mut self.paths);
        let count = paths.len();
        if let Some(epoch) = self.epoch.upgrade() {
            for path in paths {
                self.cleanup.delete(Arc::clone(&epoch), Doomed::Path(path));
            }
        }
        self.cleanup.finished(count);
    }
}
