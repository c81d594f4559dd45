//! Background deletion of nodes that nobody waits for any more.
//!
//! Cancelled acquisitions, failed attempts and dropped guards hand their node here. A task
//! retries the delete until it succeeds or the node's session ends (an ephemeral node dies
//! with its session anyway), so nothing a caller gave up on keeps blocking others.

use super::epoch::Epoch;
use crate::backend::Reply;
use crate::error::ZkErrorCode;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::runtime::Handle;

/// Which node(s) to delete.
#[derive(Debug, Clone)]
pub(crate) enum Doomed {
    /// One known node.
    Path(String),
    /// Whatever children of `dir` start with `prefix`: a create whose reply never arrived.
    Prefixed { dir: String, prefix: String },
}

#[derive(Debug, Clone)]
pub(crate) struct Cleanup {
    runtime: Handle,
    pending: Arc<AtomicUsize>,
}

impl Cleanup {
    pub(crate) fn new(runtime: Handle) -> Cleanup {
        Cleanup {
            runtime,
            pending: Arc::default(),
        }
    }

    /// Number of deletions queued or still in progress.
    pub(crate) fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }

    /// `count` more deletions are queued.
    pub(crate) fn started(&self, count: usize) {
        self.pending.fetch_add(count, Ordering::AcqRel);
    }

    /// `count` queued deletions are done.
    pub(crate) fn finished(&self, count: usize) {
        self.pending.fetch_sub(count, Ordering::AcqRel);
    }

    /// Runs `task` on the session's runtime. Callable from `Drop`, inside or outside a runtime.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// Follows up a delete of `path` that has been sent (its reply is `reply`): retried
    /// through connection loss, in the background. Counts as one of the queued deletions
    /// until it is done.
    pub(crate) fn follow_up(&self, epoch: Arc<Epoch>, path: String, reply: Reply<'static, ()>) {
        let pending = self.pending.clone();
        self.runtime.spawn(async move {
            let retry = match epoch.call(reply).await {
                Ok(Ok(())) | Ok(Err(ZkErrorCode::NoNode)) => {
                    epoch.deleted(&path);
                    false
                }
                Err(_) => false,
                Ok(Err(_)) => true,
            };
            if retry {
                if let Err(error) = delete_now(&epoch, &Doomed::Path(path)).await {
                    tracing::debug!(%error, "node left to its session's end");
                }
            }
            pending.fetch_sub(1, Ordering::AcqRel);
        });
    }

    /// Deletes `doomed` in the background. Callable from `Drop`, inside or outside a runtime.
    pub(crate) fn delete(&self, epoch: Arc<Epoch>, doomed: Doomed) {
        if epoch.has_ended() {
            return;
        }
        let pending = self.pending.clone();
        pending.fetch_add(1, Ordering::AcqRel);
        self.runtime.spawn(async move {
            if let Err(error) = delete_now(&epoch, &doomed).await {
                tracing::debug!(?doomed, %error, "node left to its session's end");
            }
            pending.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

/// Deletes `doomed`, retrying through connection loss; a missing node counts as deleted.
pub(crate) async fn delete_now(epoch: &Epoch, doomed: &Doomed) -> crate::Result<()> {
    let paths = match doomed {
        Doomed::Path(path) => vec![path.clone()],
        Doomed::Prefixed { dir, prefix } => epoch
            .children(dir)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|child| child.starts_with(prefix.as_str()))
            .map(|child| format!("{dir}/{child}"))
            .collect(),
    };
    for path in paths {
        epoch.delete(&path).await?;
    }
    Ok(())
}
