//! Leader election on Apache ZooKeeper, wire compatible with Apache Curator's `LeaderLatch`:
//! Rust and Java services can take part in one election.
//!
//! Exactly one participant leads at a time. A leader learns the moment its leadership becomes
//! *uncertain* (the connection to ZooKeeper is suspended, so its session may be about to
//! expire) and stops its work then, well before its session can expire and so before any other
//! participant can be elected: there is no moment with two leaders at work.
//!
//! ```no_run
//! # async fn demo() -> Result<(), zk_sync_election::Error> {
//! use zk_sync_election::{LeaderElection, Session};
//!
//! let session = Session::connect("127.0.0.1:2181").await?;
//! let election = LeaderElection::new(session, "/election/scheduler", "node-1")?;
//!
//! let leadership = election.campaign().await?;
//! println!("leading with fencing token {}", leadership.fencing_token());
//! match leadership.run_while_leader(run_scheduler()).await {
//!     Ok(()) => leadership.resign().await?,
//!     Err(interrupted) => eprintln!("stopped: {interrupted}"),
//! }
//! # Ok(()) }
//! # async fn run_scheduler() {}
//! ```
//!
//! Most schedulers want [`LeaderElection::run_as_leader`], which campaigns, runs a job while
//! leading, pauses it while leadership is uncertain and campaigns again after a loss.
//!
//! # Protocol
//!
//! Each participant creates an ephemeral-sequential node
//! `<path>/_c_<uuid>-latch-<sequence>` whose data is its participant id (UTF-8), exactly as
//! Curator's `LeaderLatch` does. The lowest sequence leads, once the node is confirmed to belong
//! to our own session; every other participant watches only its immediate predecessor, so a
//! leader's departure wakes exactly one participant. Like Curator with its default connection
//! state policy, a leader stops leading while its connection is suspended and leads again if the
//! connection comes back within the same session (its node never went away).

mod election;
mod error;
mod gauge;
mod info;
mod leadership;
mod observe;
mod read;

pub use election::LeaderElection;
pub use error::Interrupted;
pub use info::{LeaderInfo, Participant};
pub use leadership::Leadership;
pub use zk_sync_core::contender::LossReason;
pub use zk_sync_core::{Error, FencingToken, Session};
