//! Tokio-native distributed synchronization on Apache ZooKeeper: a [mutex](DistMutex), a
//! [reader-writer lock](DistRwLock), [leader election](LeaderElection),
//! [barriers](DoubleBarrier) and a [semaphore](DistSemaphore), shaped like [`tokio::sync`] and
//! speaking Apache Curator's wire protocol, so Rust, Java and Go services can share one lock
//! path.
//!
//! This crate is the one to depend on: it re-exports every primitive behind a cargo feature,
//! the [`Session`] they share, and one [`Error`] that every primitive's errors convert into.
//!
//! ```toml
//! [dependencies]
//! zk-sync = { version = "0.1", features = ["full"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! ```no_run
//! use zk_sync::{DistMutex, Session};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), zk_sync::Error> {
//!     let session = Session::connect("zk1:2181,zk2:2181,zk3:2181").await?;
//!     let mutex = DistMutex::new(session, "/locks/orders")?;
//!
//!     let guard = mutex.lock().await?;
//!     println!("holding the lock with fencing token {}", guard.fencing_token());
//!     guard.unlock().await?;
//!     Ok(())
//! }
//! ```
//!
//! [`tokio::sync`]: https://docs.rs/tokio/1/tokio/sync/index.html
//!
//! # Which primitive for which job
//!
//! | the job | use | Curator's name | feature |
//! |---|---|---|---|
//! | one holder at a time of a shared resource: a database migration, a file, an external API | [`DistMutex`] | `InterProcessMutex` | `mutex` |
//! | many readers at once or one writer: configuration read often, changed rarely | [`DistRwLock`] | `InterProcessReadWriteLock` | `rwlock` |
//! | one process runs a job (a scheduler, a compaction) while the others stand by | [`LeaderElection`], or simply [`LeaderElection::run_as_leader`] | `LeaderLatch` | `election` |
//! | a fixed number of workers start together and finish together | [`DoubleBarrier`] | `DistributedDoubleBarrier` | `barrier` |
//! | everyone waits until one party says go | [`Barrier`] | `DistributedBarrier` | `barrier` |
//! | at most N at once across every machine: a rate-limited API, a connection cap | [`DistSemaphore`] | `InterProcessSemaphoreV2` | `semaphore` |
//!
//! Every lock-like hold ([`DistMutexGuard`], the rwlock's guards, [`Leadership`],
//! [`DistSemaphorePermit`]) carries a [`FencingToken`] and reports its loss the same way
//! (see [below](#sessions-and-the-loss-of-a-hold)).
//!
//! # Features
//!
//! No primitive is compiled by default, as in tokio: name the ones you use, or `full` for
//! all. A default feature cannot be turned off by a crate further down the dependency graph,
//! so with none, a library built on zk-sync pulls in only the primitives it names.
//!
//! | feature | what it adds |
//! |---|---|
//! | `mutex` | [`DistMutex`] and its guards |
//! | `rwlock` | [`DistRwLock`] and its guards |
//! | `election` | [`LeaderElection`], [`Leadership`], [`LeaderInfo`], [`Interrupted`] |
//! | `barrier` | [`DoubleBarrier`], [`Barrier`], [`BarrierError`] |
//! | `semaphore` | [`DistSemaphore`], its permits, [`TryAcquireError`] |
//! | `full` | all five |
//! | `tls` | TLS to the servers' `secureClientPort` ([`SessionBuilder::tls`]) |
//! | `sasl` | SASL DIGEST-MD5 ([`SessionBuilder::sasl_digest_md5`]) |
//! | `sasl-gssapi` | SASL GSSAPI, Kerberos ([`SessionBuilder::sasl_gssapi`]); builds against the system's MIT Kerberos |
//! | `zookeeper-async` | the second wire client, [`backend::ZookeeperAsyncConnector`] |
//!
//! The session, fencing tokens, [`Error`] and the [`backend`] and [`metrics`] modules are
//! always there.
//!
//! # Sessions and the loss of a hold
//!
//! One [`Session`] is one ZooKeeper session at a time, shared by every primitive of the
//! process: connect once and clone it (a clone is a reference). Its state follows Curator's
//! model, published on a [`watch`](Session::watch_status) channel as [`SessionState`]:
//!
//! ```text
//! Connected ──► Suspended ──► Reconnected ──► Suspended …
//!                   │
//!                   └──► Lost ──► Connected (next epoch) …
//! any ──► Closed (terminal)
//! ```
//!
//! - **Connected**: a ZooKeeper session is established.
//! - **Suspended**: the connection is gone; the server may still keep the session alive, so
//!   every hold is *uncertain*: nobody else can take it yet, but it may be lost any moment.
//! - **Reconnected**: the connection is back within the same session; holds are valid again.
//! - **Lost**: the session expired, or stayed suspended longer than its timeout; every hold
//!   taken in it is gone. The `Session` then opens a new ZooKeeper session by itself.
//! - **Closed**: [`Session::close`] was called, or the last clone dropped. Terminal.
//!
//! Each ZooKeeper session is an *epoch*, numbered from 1 ([`SessionStatus::epoch`]). Every hold
//! remembers the epoch it was taken in and is never treated as held in a later one: a hold
//! never silently survives into a new session.
//!
//! Each hold answers three questions:
//!
//! - `uncertain().await` resolves as soon as the hold *may* be lost (the connection is
//!   suspended, or ZooKeeper has not answered for two thirds of the session timeout). The
//!   client notices this well before the server can expire the session and hand the hold to
//!   someone else, so a holder that stops here stops first. If the connection comes back
//!   within the session, the hold is still valid.
//! - `lost().await` resolves when the hold is certainly gone, with a [`LossReason`]: the
//!   session expired or was closed, someone deleted the node, or the local lease ran out.
//! - `ensure_held()` checks at once, without a request, right before touching the resource.
//!   Besides a known loss, it fails once ZooKeeper has not answered for a whole session
//!   timeout, measured from the send time of the last request it answered: a process that
//!   was paused (a long GC, a stopped VM) learns on waking that the server may have given its
//!   hold away, before it writes anything. A hold lost that way is never released as `Ok`.
//!
//! ```no_run
//! use zk_sync::{DistMutex, FencingToken, Session};
//!
//! async fn migrate(session: Session) -> Result<(), zk_sync::Error> {
//!     let mutex = DistMutex::new(session, "/locks/migrations")?;
//!     let guard = mutex.lock().await?;
//!     tokio::select! {
//!         // The hold may be lost: stop before anyone else can take the lock.
//!         () = guard.uncertain() => {
//!             eprintln!("migration stopped: the lock may be lost");
//!             return Ok(());
//!         }
//!         () = run_migration(guard.fencing_token()) => {}
//!     }
//!     guard.ensure_held()?; // no request: fails if the hold is known to be, or may be, gone
//!     guard.unlock().await?;
//!     Ok(())
//! }
//! # async fn run_migration(_: FencingToken) {}
//! ```
//!
//! Leaders have the same three, and [`Leadership::run_while_leader`] runs a future only while
//! leadership is certain. A barrier member whose node vanished gets
//! [`BarrierError::MemberLost`].
//!
//! # Fencing tokens
//!
//! No client check can close the gap completely: a write sent just before a hold is lost can
//! still reach the resource after someone else took the lock (a long pause between
//! `ensure_held()` and the write, a slow network). So every hold carries a [`FencingToken`],
//! greater than the token of every earlier hold of the same lock (the `czxid` of its node,
//! which ZooKeeper never reuses). Pass it along with each write, and let the resource refuse a
//! write whose token is lower than the highest it has accepted: a deposed holder's late write
//! is then refused instead of overwriting its successor's. Equal tokens are the same hold
//! writing again, and are accepted. A resource that stores one integer stores
//! [`FencingToken::as_u128`], which orders the same way.
//!
//! A store that does this, and the holder's side of it:
//!
//! ```
//! use std::sync::Mutex;
//! use zk_sync::{DistMutex, FencingToken};
//!
//! /// A resource that refuses writes from superseded holders: it remembers the highest
//! /// fencing token it accepted and rejects any lower one.
//! #[derive(Default)]
//! struct FencedStore {
//!     state: Mutex<Stored>,
//! }
//!
//! #[derive(Default)]
//! struct Stored {
//!     highest: Option<FencingToken>,
//!     value: String,
//! }
//!
//! #[derive(Debug)]
//! struct StaleToken {
//!     offered: FencingToken,
//!     highest: FencingToken,
//! }
//!
//! impl FencedStore {
//!     fn write(&self, token: FencingToken, value: &str) -> Result<(), StaleToken> {
//!         let mut stored = self.state.lock().unwrap();
//!         if let Some(highest) = stored.highest.filter(|&highest| token < highest) {
//!             return Err(StaleToken { offered: token, highest });
//!         }
//!         stored.highest = Some(token);
//!         stored.value = value.to_owned();
//!         Ok(())
//!     }
//! }
//!
//! /// The holder's side: check the hold, then write with its token.
//! async fn save(mutex: &DistMutex, store: &FencedStore, value: &str) -> Result<(), zk_sync::Error> {
//!     let guard = mutex.lock().await?;
//!     guard.ensure_held()?;
//!     if let Err(stale) = store.write(guard.fencing_token(), value) {
//!         eprintln!("refused: token {} is older than {}", stale.offered, stale.highest);
//!     }
//!     guard.unlock().await?;
//!     Ok(())
//! }
//!
//! // Two holds of one lock, one after the other: the later node has the greater czxid.
//! let paused_holder = FencingToken::from_czxid(0x1_0000_0007);
//! let next_holder = FencingToken::from_czxid(0x1_0000_0009);
//!
//! let store = FencedStore::default();
//! store.write(paused_holder, "written while holding").unwrap();
//! store.write(next_holder, "written by the next holder").unwrap();
//! // The first holder wakes from a pause and writes late: refused.
//! let refused = store.write(paused_holder, "a late write").unwrap_err();
//! assert_eq!(refused.highest, next_holder);
//! assert_eq!(store.state.lock().unwrap().value, "written by the next holder");
//! // The current holder may write as often as it likes.
//! store.write(next_holder, "written again").unwrap();
//! ```
//!
//! # One error type
//!
//! The mutex, rwlock, election and semaphore report ZooKeeper trouble with [`ZkError`]; the
//! barrier, the `try_` calls and a leader's interrupted job have errors of their own. All of
//! them convert into [`Error`], so one function can use every primitive with `?`, and ask the
//! error what happened ([`is_would_block`](Error::is_would_block),
//! [`is_session_lost`](Error::is_session_lost), [`is_hold_lost`](Error::is_hold_lost), …):
//!
//! ```no_run
//! use zk_sync::{DistMutex, DoubleBarrier, LeaderElection, Session};
//!
//! async fn nightly(session: Session) -> Result<(), zk_sync::Error> {
//!     let election = LeaderElection::new(session.clone(), "/election/nightly", "node-1")?;
//!     let leadership = election.campaign().await?;
//!     leadership
//!         .run_while_leader(async {
//!             let mutex = DistMutex::new(session.clone(), "/locks/reports")?;
//!             match mutex.try_lock().await {
//!                 Ok(guard) => guard.unlock().await?,
//!                 Err(busy) if busy.is_would_block() => println!("reports are being written"),
//!                 Err(error) => return Err(error.into()),
//!             }
//!             let barrier = DoubleBarrier::new(session.clone(), "/barriers/nightly", 3)?;
//!             barrier.enter().await?;
//!             barrier.leave().await?;
//!             Ok::<_, zk_sync::Error>(())
//!         })
//!         .await??; // leadership interrupted, then the job's own error
//!     leadership.resign().await?;
//!     Ok(())
//! }
//! ```
//!
//! # Wire clients, security and metrics
//!
//! The [`backend`] module has the two wire clients a session can run on:
//! [`zookeeper-client`](backend::ZookeeperClientConnector) (the default) and
//! `zookeeper-async` (feature `zookeeper-async`), either of them opened by the session or
//! adopted from the application. [`SessionBuilder`] sets timeouts, credentials, ACLs
//! ([`locked_down`](SessionBuilder::locked_down)), TLS and SASL. Every primitive records
//! Prometheus-style metrics through the `metrics` facade; [`metrics`] lists their names.
//!
//! # The crates behind it
//!
//! Each primitive is a crate of its own (`zk-sync-mutex`, `zk-sync-rwlock`,
//! `zk-sync-election`, `zk-sync-barrier`, `zk-sync-semaphore`) on top of `zk-sync-core`, which
//! also has what only a new recipe needs (the contender queue, the watch multiplexer). Depend on
//! them directly if you prefer; the types are the same.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without every primitive and the second wire client, the guide above links to items that
// are not compiled in.
#![cfg_attr(
    not(all(
        feature = "mutex",
        feature = "rwlock",
        feature = "election",
        feature = "barrier",
        feature = "semaphore",
        feature = "zookeeper-async"
    )),
    allow(rustdoc::broken_intra_doc_links)
)]

mod error;
#[cfg(all(doctest, zk_sync_repository))]
mod readmes;

pub use error::{Error, Result};
pub use zk_sync_core::contender::{request_revocation, LossReason, REVOKE_MESSAGE};
pub use zk_sync_core::{
    backend, metrics, Epoch, FencingToken, Hold, InvalidArgument, Session, SessionBuilder,
    SessionState, SessionStatus, Tls, TlsPem, TryLockError, ZkErrorCode,
};

/// The error the mutex, rwlock, election and semaphore (and the [`Session`]) report
/// ZooKeeper trouble with; it converts into [`Error`].
pub use zk_sync_core::Error as ZkError;

#[cfg(feature = "mutex")]
pub use zk_sync_mutex::{DistMutex, DistMutexBuilder, DistMutexGuard, OwnedDistMutexGuard};

#[cfg(feature = "rwlock")]
pub use zk_sync_rwlock::{
    DistRwLock, DistRwLockBuilder, DistRwLockReadGuard, DistRwLockWriteGuard,
    OwnedDistRwLockReadGuard, OwnedDistRwLockWriteGuard,
};

#[cfg(feature = "election")]
pub use zk_sync_election::{Interrupted, LeaderElection, LeaderInfo, Leadership, Participant};

#[cfg(feature = "barrier")]
pub use zk_sync_barrier::{Barrier, BarrierWaitResult, DoubleBarrier};

/// The barrier's error; it converts into [`Error`].
#[cfg(feature = "barrier")]
pub use zk_sync_barrier::Error as BarrierError;

#[cfg(feature = "semaphore")]
pub use zk_sync_semaphore::{
    DistSemaphore, DistSemaphorePermit, OwnedDistSemaphorePermit, TryAcquireError,
};
