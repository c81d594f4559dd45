//! The set-up every command that works in a session until it is done or stopped shares
//! (lock, elect, semaphore, barrier, elect --observe, inspect --watch): the path checked
//! first, then stop signals caught, metrics served, the session opened, the work done in it,
//! and the session closed whatever the work returned.

use crate::cli::{Connection, Monitoring};
use crate::exit::Failure;
use crate::signals::StopSignals;
use crate::{connect, metrics};
use std::future::Future;
use zk_sync_core::Session;

/// A command, its path checked, ready to work in a session.
#[derive(Debug)]
pub(super) struct Runner<'a> {
    connection: &'a Connection,
    monitoring: &'a Monitoring,
    /// Whether the command creates nodes (which get the ACL of `--acl`).
    creates_nodes: bool,
}

impl<'a> Runner<'a> {
    /// For a command that takes part in the recipe at `path`, creating its nodes there (not
    /// in ZooKeeper's reserved subtree).
    pub(super) fn taking_part(
        connection: &'a Connection,
        path: &str,
        monitoring: &'a Monitoring,
    ) -> Result<Runner<'a>, Failure> {
        Runner::new(connection, path, monitoring, true)
    }

    /// For a command that follows the recipe at `path` without taking part.
    pub(super) fn observing(
        connection: &'a Connection,
        path: &str,
        monitoring: &'a Monitoring,
    ) -> Result<Runner<'a>, Failure> {
        Runner::new(connection, path, monitoring, false)
    }

    fn new(
        connection: &'a Connection,
        path: &str,
        monitoring: &'a Monitoring,
        creates_nodes: bool,
    ) -> Result<Runner<'a>, Failure> {
        connect::check_recipe_path(connection, path)?;
        Ok(Runner {
            connection,
            monitoring,
            creates_nodes,
        })
    }

    /// For a command that reads `path`, whatever it holds.
    pub(super) fn reading(
        connection: &'a Connection,
        path: &str,
        monitoring: &'a Monitoring,
    ) -> Result<Runner<'a>, Failure> {
        connect::check_path(path)?;
        Ok(Runner {
            connection,
            monitoring,
            creates_nodes: false,
        })
    }

    /// Runs `work` in a new session, with the stop signals caught from before it opened;
    /// closes the session afterwards, so that its nodes vanish at once.
    pub(super) async fn with_session<Work, Done>(self, work: Work) -> Result<u8, Failure>
    where
        Work: FnOnce(Session, StopSignals) -> Done,
        Done: Future<Output = Result<u8, Failure>>,
    {
        let signals = StopSignals::install()?;
        metrics::serve(self.monitoring)?;
        if self.creates_nodes {
            connect::warn_if_nodes_are_open(self.connection);
        }
        let session = connect::session(self.connection).await?;
        let result = work(session.clone(), signals).await;
        connect::close(&session).await;
        result
    }
}
