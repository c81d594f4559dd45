//! The core of **zk-sync**: Tokio-native distributed synchronization on Apache ZooKeeper.
//!
//! Every recipe (mutex, reader-writer lock, leader election, …) stands on three pieces:
//!
//! - [`Session`]: one ZooKeeper session shared by the whole process, with Curator's state model
//!   ([`SessionState`]) and automatic replacement of a lost session (a new *epoch*).
//! - The watch multiplexer ([`Session::watch`]): local waiters on one path share one
//!   server-side watch, and every session transition wakes them all to re-check.
//! - The contender queue ([`ContenderQueue`]): Curator-compatible ephemeral-sequential nodes,
//!   acquired in one pipelined round trip, cancel safe, fenced by the node's `czxid`. A
//!   woken waiter reads one node, not the whole directory, so a hand-off costs the same in a
//!   queue of any length.
//! - Local hand-off ([`local`]): the tasks of one process may take turns on one node, so a
//!   hand-off between them costs no request.
//!
//! ```no_run
//! # async fn demo() -> zk_sync_core::Result<()> {
//! use zk_sync_core::{ContenderQueue, Session, contender::Exclusive};
//!
//! let session = Session::connect("127.0.0.1:2181").await?;
//! let queue = ContenderQueue::new(session.clone(), "/locks/orders", "mutex")?;
//! let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await?;
//! println!("holding {} with fencing token {}", hold.path(), hold.fencing_token());
//! hold.release().await?;
//! # Ok(()) }
//! ```

pub mod backend;
pub mod contender;
mod error;
pub mod local;
pub mod metrics;
mod session;
#[cfg(feature = "test-util")]
pub mod test_util;
mod validate;
mod watch_mux;

pub use contender::{ContenderQueue, FencingToken, Hold};
pub use error::{Error, InvalidArgument, Result, TryLockError, ZkErrorCode};
pub use session::{Epoch, Session, SessionBuilder, SessionState, SessionStatus, Tls, TlsPem};
pub use validate::validate_path;
pub use watch_mux::{NodeWatch, Wake, WatchKind};
