//! A distributed mutex on Apache ZooKeeper, shaped like [`tokio::sync::Mutex`](https://docs.rs/tokio/1/tokio/sync/struct.Mutex.html) and wire
//! compatible with Apache Curator's `InterProcessMutex` and go-zookeeper's `Lock`: Rust, Java
//! and Go services can share one lock path.
//!
//! ```no_run
//! # async fn demo() -> Result<(), zk_sync_mutex::Error> {
//! use zk_sync_mutex::{DistMutex, Session};
//!
//! let session = Session::connect("127.0.0.1:2181").await?;
//! let mutex = DistMutex::new(session, "/locks/orders")?;
//!
//! let guard = mutex.lock().await?;
//! println!("fencing token {}", guard.fencing_token());
//! // … touch the shared resource, passing the token along …
//! guard.unlock().await?;
//! # Ok(()) }
//! ```
//!
//! # Protocol
//!
//! Each contender creates an ephemeral-sequential node `<path>/_c_<uuid>-lock-<sequence>`; the
//! lowest sequence holds the lock, every other contender watches only its immediate
//! predecessor, so a release wakes exactly one waiter.
//!
//! With [local hand-off](DistMutexBuilder), the tasks of one process share one such node and
//! pass the lock among themselves in memory.

mod builder;
mod guard;
mod mutex;

pub use builder::DistMutexBuilder;
pub use guard::{DistMutexGuard, OwnedDistMutexGuard};
pub use mutex::DistMutex;
pub use zk_sync_core::contender::LossReason;
pub use zk_sync_core::{Error, FencingToken, Session, TryLockError};
