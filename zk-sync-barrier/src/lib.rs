//! Barriers on Apache ZooKeeper, wire compatible with Apache Curator.
//!
//! - [`DoubleBarrier`] (Curator's `DistributedDoubleBarrier`): a fixed number of participants
//!   [`enter`](DoubleBarrier::enter) together and [`leave`](DoubleBarrier::leave) together,
//!   shaped like [`tokio::sync::Barrier`](https://docs.rs/tokio/1/tokio/sync/struct.Barrier.html).
//! - [`Barrier`] (Curator's `DistributedBarrier`): one party sets it, others wait until it is
//!   removed.
//!
//! ```no_run
//! # async fn demo() -> Result<(), zk_sync_barrier::Error> {
//! use zk_sync_barrier::{DoubleBarrier, Session};
//!
//! let session = Session::connect("127.0.0.1:2181").await?;
//! let barrier = DoubleBarrier::new(session, "/barriers/job-42", 3)?;
//! let entered = barrier.enter().await?;        // all three are in
//! if entered.is_leader() {
//!     println!("one of the three gets to say so");
//! }
//! // … the batch work …
//! barrier.leave().await?;                      // all three are done
//! # Ok(()) }
//! ```

mod double;
mod error;
mod members;
mod simple;

pub use double::{BarrierWaitResult, DoubleBarrier};
pub use error::Error;
pub use simple::Barrier;
pub use zk_sync_core::Session;
