//! A distributed counting semaphore on Apache ZooKeeper, shaped like
//! [`tokio::sync::Semaphore`](https://docs.rs/tokio/1/tokio/sync/struct.Semaphore.html) and wire
//! compatible with Apache Curator's `InterProcessSemaphoreV2`: Rust and Java services can cap
//! their concurrency on one path together.
//!
//! ```no_run
//! # async fn demo() -> Result<(), zk_sync_semaphore::Error> {
//! use zk_sync_semaphore::{DistSemaphore, Session};
//!
//! let session = Session::connect("127.0.0.1:2181").await?;
//! // At most 4 workers, across every machine, call the partner's API at once.
//! let semaphore = DistSemaphore::new(session, "/semaphores/partner-api", 4)?;
//!
//! let permit = semaphore.acquire().await?;
//! println!("calling under fencing token {}", permit.fencing_token());
//! // … call the API …
//! permit.release().await?;
//! # Ok(()) }
//! ```
//!
//! # Protocol
//!
//! Curator's layout, step for step. A contender first takes a turn on `<path>/locks`, a
//! Curator `InterProcessMutex` (`_c_<uuid>-lock-<sequence>` nodes, each waiter watching only
//! its predecessor). Holding the turn, it creates one ephemeral-sequential
//! `<path>/leases/_c_<uuid>-lease-<sequence>` node per permit, then lists `<path>/leases`:
//! while it has more children than the maximum, it waits for a children event and lists
//! again. Once they fit, it gives the turn back and holds its leases; releasing deletes them.
//!
//! Only the turn's holder watches `leases`, so a release wakes one contender, not every
//! waiter. Where zk-sync does better than Curator without changing what a Curator participant
//! sees:
//!
//! - the first count is sent right behind the lease creates, in their round trip, so an
//!   uncontended acquisition takes two round trips (the turn, then the lease and its count);
//! - `acquire_many(n)` takes the turn once and creates its `n` lease nodes together (Curator
//!   takes the turn once per lease, one after another);
//! - an uncontended count sets no watch, so none is left behind to fire at the next release;
//! - giving the turn back, and releasing, usually send no request of their own: the deletes
//!   travel inside the session's next create.
//!
//! Every participant must use the same maximum: it is not stored in ZooKeeper. Keep the
//! `leases` directory for leases only, since every child counts.

mod error;
mod permit;
mod recipe;
mod semaphore;

pub use error::TryAcquireError;
pub use permit::{DistSemaphorePermit, OwnedDistSemaphorePermit};
pub use semaphore::DistSemaphore;
pub use zk_sync_core::contender::LossReason;
pub use zk_sync_core::{Error, FencingToken, Session};
