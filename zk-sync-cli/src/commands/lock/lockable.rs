//! The three locks `zk-sync lock` can take, behind one face: the mutex, and the read and
//! write sides of the reader-writer lock.

use zk_sync_core::{Error, FencingToken, Hold, Session, TryLockError};
use zk_sync_mutex::{DistMutex, DistMutexGuard};
use zk_sync_rwlock::{DistRwLock, DistRwLockReadGuard, DistRwLockWriteGuard};

/// A lock on a path.
#[derive(Debug)]
pub(super) enum Lockable {
    /// `lock` (Curator InterProcessMutex).
    Mutex(DistMutex),
    /// `lock --read` (Curator InterProcessReadWriteLock, read side).
    Read(DistRwLock),
    /// `lock --write` (Curator InterProcessReadWriteLock, write side).
    Write(DistRwLock),
}

/// A lock held.
#[derive(Debug)]
pub(super) enum Locked<'a> {
    Mutex(DistMutexGuard<'a>),
    Read(DistRwLockReadGuard<'a>),
    Write(DistRwLockWriteGuard<'a>),
}

impl Lockable {
    /// The lock at `path`: a mutex storing `id` in its node, or a side of a reader-writer lock.
    pub(super) fn new(
        session: &Session,
        path: &str,
        read: bool,
        write: bool,
        id: Option<&str>,
    ) -> Result<Lockable, Error> {
        Ok(match (read, write) {
            (true, _) => Lockable::Read(DistRwLock::new(session.clone(), path)?),
            (_, true) => Lockable::Write(DistRwLock::new(session.clone(), path)?),
            _ => Lockable::Mutex(
                DistMutex::builder(session.clone(), path)
                    .node_data(id.unwrap_or_default())
                    .build()?,
            ),
        })
    }

    /// "the lock on /a", "the read lock on /a", "the write lock on /a".
    pub(super) fn what(&self, path: &str) -> String {
        let side = match self {
            Lockable::Mutex(_) => "",
            Lockable::Read(_) => "read ",
            Lockable::Write(_) => "write ",
        };
        format!("the {side}lock on {path}")
    }

    /// Waits for the lock.
    pub(super) async fn lock(&self) -> Result<Locked<'_>, Error> {
        Ok(match self {
            Lockable::Mutex(mutex) => Locked::Mutex(mutex.lock().await?),
            Lockable::Read(rwlock) => Locked::Read(rwlock.read().await?),
            Lockable::Write(rwlock) => Locked::Write(rwlock.write().await?),
        })
    }

    /// Takes the lock if it is free, without waiting.
    pub(super) async fn try_lock(&self) -> Result<Locked<'_>, TryLockError> {
        Ok(match self {
            Lockable::Mutex(mutex) => Locked::Mutex(mutex.try_lock().await?),
            Lockable::Read(rwlock) => Locked::Read(rwlock.try_read().await?),
            Lockable::Write(rwlock) => Locked::Write(rwlock.try_write().await?),
        })
    }
}

impl Locked<'_> {
    /// The hold behind the guard.
    pub(super) fn hold(&self) -> &Hold {
        match self {
            Locked::Mutex(guard) => guard.hold(),
            Locked::Read(guard) => guard.hold(),
            Locked::Write(guard) => guard.hold(),
        }
    }

    pub(super) fn fencing_token(&self) -> FencingToken {
        match self {
            Locked::Mutex(guard) => guard.fencing_token(),
            Locked::Read(guard) => guard.fencing_token(),
            Locked::Write(guard) => guard.fencing_token(),
        }
    }

    pub(super) async fn unlock(self) -> Result<(), Error> {
        match self {
            Locked::Mutex(guard) => guard.unlock().await,
            Locked::Read(guard) => guard.unlock().await,
            Locked::Write(guard) => guard.unlock().await,
        }
    }
}
