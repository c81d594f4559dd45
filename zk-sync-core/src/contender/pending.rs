//! The node of an acquisition in progress, and what to do with it if the caller gives up.

use super::naming::protected_prefix;
use crate::backend::{Created, Stat};
use crate::error::Error;
use crate::session::cleanup::Doomed;
use crate::session::{Epoch, Session};
use std::sync::Arc;

/// Our node, once we know it.
#[derive(Debug, Clone)]
pub(super) struct OwnNode {
    pub(super) path: String,
    pub(super) stat: Stat,
}

impl OwnNode {
    pub(super) fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// Tracks whether a node of this acquisition may exist, so that dropping the acquisition at
/// any await point (or failing) deletes it in the background.
#[derive(Debug)]
pub(super) struct PendingNode<'a> {
    session: &'a Session,
    dir: &'a str,
    // Kept as the id, not the text: thousands of waiters each hold one.
    id: uuid::Uuid,
    // The epoch a create was sent in, and the path once the reply named it.
    sent: Option<(Arc<Epoch>, Option<String>)>,
}

impl<'a> PendingNode<'a> {
    pub(super) fn new(session: &'a Session, dir: &'a str, id: uuid::Uuid) -> Self {
        PendingNode {
            session,
            dir,
            id,
            sent: None,
        }
    }

    /// `_c_<uuid>-`: every node this acquisition ever creates starts with it.
    pub(super) fn protected(&self) -> String {
        protected_prefix(&self.id)
    }

    /// A create is about to be sent in `epoch`.
    pub(super) fn creating(&mut self, epoch: &Arc<Epoch>) {
        self.sent = Some((epoch.clone(), None));
    }

    /// The create succeeded.
    pub(super) fn created(&mut self, epoch: &Arc<Epoch>, created: &Created) -> OwnNode {
        self.sent = Some((epoch.clone(), Some(created.path.clone())));
        OwnNode {
            path: created.path.clone(),
            stat: created.stat,
        }
    }

    /// Our node is known to be gone.
    pub(super) fn forget(&mut self) {
        self.sent = None;
    }

    /// The node now belongs to a hold: nothing to clean up.
    pub(super) fn disarm(mut self) {
        self.sent = None;
    }

    /// After a create whose outcome is unknown (lost reply, or sent in an earlier epoch):
    /// finds our node by its protected prefix. A node owned by this epoch's session is adopted;
    /// any other (left by an earlier session) is deleted, never adopted.
    pub(super) async fn recover(&mut self, epoch: &Arc<Epoch>) -> Result<Option<OwnNode>, Error> {
        if self.sent.is_none() {
            return Ok(None);
        }
        let dir = self.dir;
        let children = epoch.children(dir).await?.unwrap_or_default();
        let protected = self.protected();
        let mut adopted = None;
        for name in children
            .into_iter()
            .filter(|c| c.starts_with(protected.as_str()))
        {
            let path = format!("{dir}/{name}");
            let Some((_, stat)) = epoch.data(&path).await? else {
                continue;
            };
            if adopted.is_none() && stat.ephemeral_owner == epoch.session_id() {
                adopted = Some(OwnNode { path, stat });
                continue;
            }
            tracing::debug!(
                path,
                owner = stat.ephemeral_owner,
                "deleting a node of ours from another session"
            );
            epoch.delete(&path).await?;
        }
        self.sent = adopted
            .as_ref()
            .map(|node| (epoch.clone(), Some(node.path.clone())));
        Ok(adopted)
    }
}

impl Drop for PendingNode<'_> {
    fn drop(&mut self) {
        let Some((epoch, path)) = self.sent.take() else {
            return;
        };
        let doomed = match path {
            Some(path) => Doomed::Path(path),
            None => Doomed::Prefixed {
                dir: self.dir.to_owned(),
                prefix: self.protected(),
            },
        };
        // A node of an ended epoch may outlive it briefly on the server (its session is not
        // expired there yet): remove it through the current epoch instead.
        let epoch = if epoch.has_ended() {
            match self.session.current_epoch() {
                Some(current) => current,
                None => return,
            }
        } else {
            epoch
        };
        self.session.delete_in_background(epoch, doomed);
    }
}
