//! Helpers shared by the reader-writer lock tests.
#![allow(dead_code, unreachable_pub)]

#[allow(unused_imports)]
pub use zk_sync_core::test_util::*;

use zk_sync_core::backend::NodeKind;
use zk_sync_core::Session;
use zk_sync_rwlock::{
    DistRwLock, DistRwLockReadGuard, DistRwLockWriteGuard, Error, FencingToken, LossReason,
    TryLockError,
};

/// Creates `path` and its missing ancestors as persistent nodes.
pub async fn create_dir_all(session: &Session, path: &str) {
    let epoch = session.live_epoch().await.expect("live session");
    let ends = path.match_indices('/').skip(1).map(|(at, _)| at);
    for end in ends.chain([path.len()]) {
        match epoch
            .backend()
            .create(
                &path[..end],
                b"",
                NodeKind::Persistent,
                session.default_acl(),
            )
            .await
        {
            Ok(_) | Err(zk_sync_core::ZkErrorCode::NodeExists) => {}
            Err(code) => panic!("creating {}: {code}", &path[..end]),
        }
    }
}

/// Which side of the lock a test takes, so one test body covers both guard kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Read,
    Write,
}

impl Side {
    /// The side that excludes this one's holder.
    pub fn rival(self) -> Side {
        match self {
            Side::Read => Side::Write,
            Side::Write => Side::Read,
        }
    }

    /// Waits for the lock on this side.
    pub async fn lock(self, lock: &DistRwLock) -> Result<Held<'_>, Error> {
        Ok(match self {
            Side::Read => Held::Read(lock.read().await?),
            Side::Write => Held::Write(lock.write().await?),
        })
    }

    /// Tries the lock on this side.
    pub async fn try_lock(self, lock: &DistRwLock) -> Result<Held<'_>, TryLockError> {
        Ok(match self {
            Side::Read => Held::Read(lock.try_read().await?),
            Side::Write => Held::Write(lock.try_write().await?),
        })
    }
}

/// A guard of either kind.
#[derive(Debug)]
pub enum Held<'a> {
    Read(DistRwLockReadGuard<'a>),
    Write(DistRwLockWriteGuard<'a>),
}

impl Held<'_> {
    pub fn fencing_token(&self) -> FencingToken {
        match self {
            Held::Read(g) => g.fencing_token(),
            Held::Write(g) => g.fencing_token(),
        }
    }

    pub fn path(&self) -> &str {
        match self {
            Held::Read(g) => g.path(),
            Held::Write(g) => g.path(),
        }
    }

    pub fn epoch(&self) -> u64 {
        match self {
            Held::Read(g) => g.hold().epoch(),
            Held::Write(g) => g.hold().epoch(),
        }
    }

    pub fn is_lost(&self) -> bool {
        match self {
            Held::Read(g) => g.is_lost(),
            Held::Write(g) => g.is_lost(),
        }
    }

    pub async fn uncertain(&self) {
        match self {
            Held::Read(g) => g.uncertain().await,
            Held::Write(g) => g.uncertain().await,
        }
    }

    pub async fn lost(&self) -> LossReason {
        match self {
            Held::Read(g) => g.lost().await,
            Held::Write(g) => g.lost().await,
        }
    }

    pub async fn unlock(self) -> Result<(), Error> {
        match self {
            Held::Read(g) => g.unlock().await,
            Held::Write(g) => g.unlock().await,
        }
    }
}
