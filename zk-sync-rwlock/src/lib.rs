//! A distributed reader-writer lock on Apache ZooKeeper, shaped like
//! [`tokio::sync::RwLock`](https://docs.rs/tokio/1/tokio/sync/struct.RwLock.html) and wire
//! compatible with Apache Curator's `InterProcessReadWriteLock`: Rust and Java services can
//! share one lock path.
//!
//! ```no_run
//! # async fn demo() -> Result<(), zk_sync_rwlock::Error> {
//! use zk_sync_rwlock::{DistRwLock, Session};
//!
//! let session = Session::connect("127.0.0.1:2181").await?;
//! let lock = DistRwLock::new(session, "/locks/config")?;
//!
//! let reader = lock.read().await?; // any number of readers at once
//! println!("reading under fencing token {}", reader.fencing_token());
//! reader.unlock().await?;
//!
//! let writer = lock.write().await?; // alone
//! // … change the shared resource, passing writer.fencing_token() along …
//! writer.unlock().await?;
//! # Ok(()) }
//! ```
//!
//! # Protocol
//!
//! Readers create ephemeral-sequential nodes `<path>/_c_<uuid>-__READ__<sequence>`, writers
//! `<path>/_c_<uuid>-__WRIT__<sequence>`, in one directory, sorted together by the text after
//! the marker (ties broken by node name). A writer holds when it is first of all contenders
//! and watches only its immediate predecessor; a reader holds when no writer sorts before it
//! and watches only the nearest earlier writer. Nobody ever waits on a later contender, and a
//! writer's release wakes exactly the readers queued right behind it (or the next writer).
//! Keep the directory for this lock only: other children are not contenders.

mod builder;
mod guard;
mod recipe;
mod rwlock;

pub use builder::DistRwLockBuilder;
pub use guard::{
    DistRwLockReadGuard, DistRwLockWriteGuard, OwnedDistRwLockReadGuard, OwnedDistRwLockWriteGuard,
};
pub use rwlock::DistRwLock;
pub use zk_sync_core::contender::LossReason;
pub use zk_sync_core::{Error, FencingToken, Session, TryLockError};
