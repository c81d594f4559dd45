//! Releases waiting for their session's next request.
//!
//! A released hold's `delete` is not sent at once: it waits until the session sends anything
//! else, or until the releasing task yields, whichever comes first. When the next request is
//! a create (a process locking again, or another task queueing), the deletes travel inside it
//! as one transaction, which the server writes and syncs to disk once instead of twice; and
//! what is known about the released nodes can spare that acquire its listing
//! ([`Carried::first_held_sequence_in`]). Any other request sends them first, so a session's
//! requests still reach the server in the order they were made.

use super::cleanup::{Cleanup, Doomed};
use super::epoch::Epoch;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

const YIELDS: usize = 2;

/// A released node, waiting for its delete to be sent.
#[derive(Debug, Clone)]
pub(crate) struct Released {
    pub(crate) path: String,
    /// When it was acquired, it was the first contender of its queue, and no child of its
    /// directory (of any recipe) had a lower sequence number.
    pub(crate) held_first: bool,
    /// Its data may be overwritten in the transaction that deletes it: everyone watching it
    /// re-checks on any event.
    pub(crate) touchable: bool,
}

impl Released {
    /// A node with nothing known about it.
    pub(crate) fn plain(path: String) -> Released {
        Released {
            path,
            held_first: false,
            touchable: false,
        }
    }
}

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
    released: Vec<Released>,
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

    /// Queues the delete of a released node, and makes sure it is sent once the calling task
    /// yields.
    pub(crate) fn push(&self, released: Released) {
        self.cleanup.started(1);
        let new_batch = {
            let mut batch = self.lock();
            batch.released.push(released);
            self.any.store(true, Ordering::Release);
            (batch.released.len() == 1).then_some(batch.generation)
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

    /// Empties the queue (all of it, or only batch `generation` if that is still the one
    /// queued) and hands the deletes to `then` before anyone else may look at the queue.
    fn take<T>(&self, generation: Option<u64>, then: impl FnOnce(Vec<Released>) -> T) -> T {
        if !self.any.load(Ordering::Acquire) {
            return then(Vec::new());
        }
        let mut batch = self.lock();
        if generation.is_some_and(|g| g != batch.generation) {
            return then(Vec::new());
        }
        batch.generation += 1;
        let taken = then(std::mem::take(&mut batch.released));
        self.any.store(false, Ordering::Release);
        taken
    }

    /// Sends the queued deletes now (all, or only batch `generation`), each followed up in
    /// the background.
    ///
    /// They are sent before the queue is seen empty: a create of this session that finds
    /// nothing to carry must not overtake deletes that were taken but not yet sent.
    pub(crate) fn send(&self, generation: Option<u64>) {
        self.take(generation, |released| {
            send_alone(&self.epoch, &self.cleanup, released)
        });
    }

    /// Takes the queued deletes to send inside a create.
    pub(crate) fn carry(&self) -> Carried {
        Carried {
            epoch: self.epoch.clone(),
            cleanup: self.cleanup.clone(),
            released: self.take(None, |released| released),
        }
    }
}

/// Sends the deletes of `released` now, one by one, each followed up in the background; they
/// count as queued until done.
fn send_alone(epoch: &Weak<Epoch>, cleanup: &Cleanup, released: Vec<Released>) {
    if released.is_empty() {
        return;
    }
    let Some(epoch) = epoch.upgrade() else {
        cleanup.finished(released.len());
        return;
    };
    for Released { path, .. } in released {
        let reply = epoch.backend_unflushed().delete(&path, None);
        cleanup.follow_up(epoch.clone(), path, reply);
    }
}

impl Drop for ReleaseQueue {
    fn drop(&mut self) {
        // The epoch is gone, and its ephemeral nodes with its session.
        let left = self.lock().released.len();
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
    released: Vec<Released>,
}

impl Carried {
    /// The nodes to delete.
    pub(crate) fn paths(&self) -> Vec<&str> {
        self.released.iter().map(|r| r.path.as_str()).collect()
    }

    /// A node among them that may be touched before it is deleted.
    pub(crate) fn touchable(&self) -> Option<&str> {
        self.released
            .iter()
            .find(|r| r.touchable)
            .map(|r| r.path.as_str())
    }

    /// The highest sequence number among those of them in `dir` that were the oldest child
    /// there when they were acquired. A node created in `dir` with the next number has nobody
    /// before it: sequence numbers only grow, so nothing was created in between, and nothing
    /// older than that one was left.
    ///
    /// Only touchable nodes count: a transaction without one creates a scratch node, which
    /// takes a number too, so the next create after it never gets the next number.
    pub(crate) fn first_held_sequence_in(&self, dir: &str) -> Option<i32> {
        self.released
            .iter()
            .filter(|r| r.held_first && r.touchable)
            .filter(|r| r.path.rsplit_once('/').map(|(parent, _)| parent) == Some(dir))
            .filter_map(|r| sequence_of(&r.path))
            .max()
    }

    /// The transaction carrying them was applied.
    pub(crate) fn applied(mut self) {
        let released = std::mem::take(&mut self.released);
        if let Some(epoch) = self.epoch.upgrade() {
            for Released { path, .. } in &released {
                epoch.deleted(path);
            }
        }
        self.cleanup.finished(released.len());
    }

    /// Sends them now, one by one (for a backend that cannot carry them, or after a
    /// transaction that failed or may have).
    pub(crate) fn send_now(mut self) {
        send_alone(
            &self.epoch,
            &self.cleanup,
            std::mem::take(&mut self.released),
        );
    }
}

/// The sequence number ZooKeeper appended to a sequential node's path (its last ten
/// characters, `%010d`).
pub(crate) fn sequence_of(path: &str) -> Option<i32> {
    let start = path.len().checked_sub(10)?;
    path.get(start..)?.parse().ok()
}

impl Drop for Carried {
    fn drop(&mut self) {
        if self.released.is_empty() {
            return;
        }
        let released = std::mem::take(&mut self.released);
        let count = released.len();
        if let Some(epoch) = self.epoch.upgrade() {
            for Released { path, .. } in released {
                self.cleanup.delete(Arc::clone(&epoch), Doomed::Path(path));
            }
        }
        self.cleanup.finished(count);
    }
}

#[cfg(test)]
mod tests {
    use super::sequence_of;

    #[test]
    fn sequence_numbers_are_read_from_the_last_ten_characters() {
        let cases = [
            ("/locks/a/_c_x-lock-0000000042", Some(42)),
            ("/locks/a/_c_x-__WRIT__0000000000", Some(0)),
            ("/locks/a/_c_x-lock-2147483647", Some(i32::MAX)),
            // Past the wrap ZooKeeper prints negative numbers, also in ten characters.
            ("/locks/a/_c_x-lock--000000001", Some(-1)),
            ("/locks/a/_c_x-lock-00000001", None),
            ("/locks/a/readme", None),
            ("short", None),
        ];
        for (path, expected) in cases {
            assert_eq!(sequence_of(path), expected, "{path}");
        }
    }
}
