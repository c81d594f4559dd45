//! Helpers shared by the reader-writer lock tests.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::{Duration, Instant};
use zk_sync_core::backend::NodeKind;
use zk_sync_core::{Session, SessionState};
use zk_sync_rwlock::{
    DistRwLock, DistRwLockReadGuard, DistRwLockWriteGuard, Error, FencingToken, LossReason,
    TryLockError,
};

/// A path no other test uses.
pub fn unique_path(name: &str) -> String {
    format!(
        "/zk-sync-test/rwlock/{name}-{}",
        uuid::Uuid::new_v4().simple()
    )
}

/// A session with short timeouts, so fault tests run fast.
pub async fn session_to(connect_string: &str, session_timeout: Duration) -> Session {
    Session::builder(connect_string)
        .session_timeout(session_timeout)
        .connection_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect")
}

/// The children of `dir` (empty when missing).
pub async fn children(session: &Session, dir: &str) -> Vec<String> {
    let epoch = session.live_epoch().await.expect("live session");
    match epoch.backend().get_children(dir).await {
        Ok(children) => children,
        Err(zk_sync_core::ZkErrorCode::NoNode) => Vec::new(),
        Err(code) => panic!("listing {dir}: {code}"),
    }
}

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

/// Polls `check` until it is true, failing after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `dir` has `n` children.
pub async fn wait_for_children(session: &Session, dir: &str, n: usize) {
    eventually(
        Duration::from_secs(10),
        &format!("{n} nodes in {dir}"),
        || async { children(session, dir).await.len() == n },
    )
    .await
}

/// Waits until the session reaches `state`.
pub async fn wait_for_state(session: &Session, state: SessionState, limit: Duration) {
    let mut status = session.watch_status();
    tokio::time::timeout(limit, status.wait_for(|s| s.state == state))
        .await
        .unwrap_or_else(|_| panic!("not {state} within {limit:?}: {:?}", session.status()))
        .expect("status channel");
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
