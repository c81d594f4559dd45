//! The zk-sync fault torture suite: mutual exclusion, one leader at a time and no orphans,
//! checked under combined random faults with zk-sync, Curator and go-zookeeper clients on one
//! path.
//!
//! A run ([`run`]) starts clients as separate processes, each behind fault proxies of its own,
//! on one path of a 3-server ensemble with a short (4 s) session timeout. Every hold reads a
//! shared [fenced store](store), sleeps, and writes the value plus one with its fencing token;
//! the store rejects tokens lower than the last it accepted. Two fault lanes, one for the
//! servers and one for the clients, inject faults from the [menu](faults::Fault) at seeded
//! random times, so faults of both kinds overlap. Every process logs each step with a
//! `CLOCK_MONOTONIC` timestamp; afterwards the [checker](check) rebuilds every hold from the
//! logs and reports violations, token inversions, lost and stale writes, orphans, hangs and
//! recovery times ([`Figures`]). RELIABILITY.md at the repository root has the method and the
//! figures of 10-minute runs.
//!
//! ```no_run
//! use std::time::Duration;
//! use zk_sync_torture::{run, worker::Mode, Config};
//!
//! let ensemble = zk_sync_testkit::ZkEnsemble::start(3)?;
//! let exe = std::path::PathBuf::from("target/release/zk-sync-torture");
//! let config = Config::standard(Mode::Mutex, Duration::from_secs(60), 42, exe);
//! let report = run(&config, &ensemble)?;
//! assert!(report.findings.problems().is_empty(), "{:?}", report.findings.problems());
//! # Ok::<(), zk_sync_testkit::TestkitError>(())
//! ```

pub mod check;
pub mod client_kind;
pub mod clients;
pub mod clock;
pub mod events;
pub mod faults;
mod figures;
pub mod rng;
mod run;
pub mod store;
pub mod worker;

pub use figures::Figures;
pub use run::{run, Config, Population, Report};
