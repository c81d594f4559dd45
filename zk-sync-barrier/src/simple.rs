//! [`Barrier`]: set by one party, waited on by others until removed.

use crate::members;
use crate::Error;
use zk_sync_core::backend::NodeKind;
use zk_sync_core::{validate_path, Session};

/// A distributed barrier (Curator's `DistributedBarrier`): while the node at `path` exists,
/// [`wait`](Self::wait) blocks; [`remove`](Self::remove) lets every waiter through.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(session: zk_sync_barrier::Session) -> Result<(), zk_sync_barrier::Error> {
/// use zk_sync_barrier::Barrier;
///
/// let gate = Barrier::new(session, "/barriers/deploy")?;
/// gate.set().await?;
/// // elsewhere: gate.wait().await? returns once someone calls gate.remove()
/// gate.remove().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Barrier {
    session: Session,
    path: String,
}

impl Barrier {
    /// A barrier at `path`.
    ///
    /// # Errors
    ///
    /// An invalid-argument error for a path that is not absolute and clean.
    pub fn new(session: Session, path: &str) -> Result<Barrier, Error> {
        validate_path(path).map_err(zk_sync_core::Error::from)?;
        Ok(Barrier {
            session,
            path: path.to_owned(),
        })
    }

    /// The barrier's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Sets the barrier (creates its persistent node, and missing ancestors as containers).
    /// Setting a set barrier is not an error.
    ///
    /// # Errors
    ///
    /// Session closed or lost, server errors such as missing permission.
    pub async fn set(&self) -> Result<(), Error> {
        let epoch = self.session.live_epoch().await?;
        // A top-level barrier's parent is the root, which always exists.
        let parent = match self.path.rfind('/') {
            Some(at) if at > 0 => &self.path[..at],
            _ => "/",
        };
        members::create(
            &self.session,
            &epoch,
            parent,
            &self.path,
            NodeKind::Persistent,
        )
        .await?;
        Ok(())
    }

    /// Removes the barrier, releasing every waiter. Removing a removed barrier is not an error.
    ///
    /// # Errors
    ///
    /// Session closed or lost, server errors.
    pub async fn remove(&self) -> Result<(), Error> {
        let epoch = self.session.live_epoch().await?;
        members::delete(&epoch, &self.path).await
    }

    /// Waits until the barrier is removed (returns at once if it is not set). Survives
    /// disconnections and session loss: it re-checks from the server after each.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it creates nothing.
    ///
    /// # Errors
    ///
    /// Session closed; server errors.
    pub async fn wait(&self) -> Result<(), Error> {
        loop {
            let epoch = self.session.live_epoch().await?;
            let (exists, watch) = match members::exists_watch(&epoch, &self.path).await {
                Err(error) if error.is_session_lost() => continue,
                other => other?,
            };
            if !exists {
                return Ok(());
            }
            match members::wake(&epoch, watch).await {
                Err(error) if error.is_session_lost() => continue,
                other => other?,
            }
        }
    }
}
