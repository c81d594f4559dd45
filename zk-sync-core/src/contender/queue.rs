//! [`ContenderQueue`]: acquire a position in a recipe directory.

use super::hold::Hold;
use super::naming::{sort_contenders, Contender};
use super::pending::{OwnNode, PendingNode};
use super::{Decision, Recipe};
use crate::backend::NodeKind;
use crate::error::{Error, InvalidArgument, Result, ZkErrorCode};
use crate::metrics::{AcquireRecorder, WaiterGauge};
use crate::session::releases::sequence_of;
use crate::session::{Epoch, Session};
use crate::validate::validate_path;
use crate::watch_mux::WatchKind;
use futures::future::OptionFuture;
use std::sync::Arc;
use std::time::Duration;

/// A recipe directory in which contenders queue by sequence number.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> zk_sync_core::Result<()> {
/// use zk_sync_core::{contender::Exclusive, ContenderQueue, Session};
///
/// let session = Session::connect("127.0.0.1:2181").await?;
/// let queue = ContenderQueue::new(session, "/locks/report", "mutex")?;
/// if let Some(hold) = queue.try_acquire(&Exclusive::LOCK, 0, b"").await? {
///     println!("got it: token {}", hold.fencing_token());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ContenderQueue {
    session: Session,
    dir: Arc<str>,
    primitive: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Wait,
    Try,
}

impl ContenderQueue {
    /// A queue in directory `dir`. `primitive` labels its metrics (`mutex`, `rwlock`, …).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a path that is not absolute and clean.
    pub fn new(session: Session, dir: &str, primitive: &'static str) -> Result<ContenderQueue> {
        validate_path(dir)?;
        Ok(ContenderQueue {
            session,
            dir: dir.into(),
            primitive,
        })
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The directory.
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// Queues a node with marker `recipe.markers()[marker]` and waits until `recipe` says it
    /// holds. An uncontended acquire costs one pipelined round trip (create + list); right
    /// after this session released the directory's oldest node, one request (the create,
    /// carrying that release; see [`Hold::release_queued`]).
    ///
    /// A session lost while waiting (before the hold) is survived: the wait resumes in the
    /// next session with a new node.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future at any point removes its node in the background
    /// (even one whose create reply has not arrived yet), so it never blocks others.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad marker index, [`Error::Closed`] when the session is
    /// closed, and server errors such as `NoAuth`.
    pub async fn acquire(&self, recipe: &dyn Recipe, marker: usize, data: &[u8]) -> Result<Hold> {
        let hold = self.run(recipe, marker, data, Mode::Wait).await?;
        Ok(hold.expect("a waiting acquire ends with a hold"))
    }

    /// Like [`acquire`](Self::acquire) but never waits: `Ok(None)` when the recipe says wait.
    /// Costs one round trip plus a background delete when it does not hold.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire).
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire), plus [`Error::SessionLost`] if the session is lost
    /// during the attempt.
    pub async fn try_acquire(
        &self,
        recipe: &dyn Recipe,
        marker: usize,
        data: &[u8],
    ) -> Result<Option<Hold>> {
        self.run(recipe, marker, data, Mode::Try).await
    }

    /// The current contenders, sorted by sequence.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when the session is closed; the epoch's end or a server error.
    pub async fn contenders(&self, recipe: &dyn Recipe) -> Result<Vec<Contender>> {
        let epoch = self.session.live_epoch().await?;
        Ok(sort_contenders(self.list(&epoch).await?, recipe.markers()))
    }

    async fn run(
        &self,
        recipe: &dyn Recipe,
        marker: usize,
        data: &[u8],
        mode: Mode,
    ) -> Result<Option<Hold>> {
        let Some(marker) = recipe.markers().get(marker).copied() else {
            return Err(InvalidArgument::RecipeName(format!("no marker #{marker}")).into());
        };
        let mut outcome = AcquireRecorder::start(self.primitive);
        let mut pending = PendingNode::new(&self.session, &self.dir, uuid::Uuid::new_v4());
        let result = loop {
            let epoch = match self.session.live_epoch().await {
                Ok(epoch) => epoch,
                Err(error) => break Err(error),
            };
            match self
                .contend(&epoch, recipe, marker, data, mode, &mut pending)
                .await
            {
                Ok(Some((node, held_first))) => {
                    pending.disarm();
                    let hold = Hold::new(
                        self.session.clone(),
                        &epoch,
                        node.path,
                        node.stat,
                        held_first,
                        recipe.waiters_recheck_on_any_event(),
                        self.primitive,
                    );
                    break Ok(Some(hold));
                }
                Ok(None) => break Ok(None),
                Err(error) if error.is_session_lost() && mode == Mode::Wait => continue,
                Err(error) => break Err(error),
            }
        };
        outcome.finish(match &result {
            Ok(Some(_)) => "acquired",
            Ok(None) => "would_block",
            Err(_) => "error",
        });
        result
    }

    /// One epoch's worth of contending: our node once it holds, and whether it was then the
    /// first contender and the oldest child of the directory; `Ok(None)` only in `Try` mode.
    async fn contend(
        &self,
        epoch: &Arc<Epoch>,
        recipe: &dyn Recipe,
        marker: &str,
        data: &[u8],
        mode: Mode,
        pending: &mut PendingNode<'_>,
    ) -> Result<Option<(OwnNode, bool)>> {
        // The one-off steps are boxed so that the state kept while waiting stays small: it is
        // what thousands of waiters each hold.
        let (mut node, mut listing) = match Box::pin(pending.recover(epoch)).await? {
            Some(node) => (node, None),
            None => Box::pin(self.create(epoch, marker, data, pending)).await?,
        };
        loop {
            let children = match listing.take() {
                Some(children) => children,
                None => Box::pin(self.list(epoch)).await?,
            };
            // Whether no child at all, of any recipe, was created before ours (with `me == 0`:
            // and no contender sorts before ours). A waiter far back stops at the first older
            // child it meets.
            let first_of_all = sequence_of(node.name()).is_some_and(|mine| {
                children
                    .iter()
                    .all(|child| sequence_of(child).map_or(true, |seq| seq >= mine))
            });
            let queue = sort_contenders(children, recipe.markers());
            let Some(me) = queue.iter().position(|c| c.name() == node.name()) else {
                // Someone deleted our node: queue again at the back.
                tracing::warn!(path = node.path, "own contender node vanished; re-creating");
                pending.forget();
                (node, listing) = Box::pin(self.create(epoch, marker, data, pending)).await?;
                continue;
            };
            let wait_on = match recipe.decide(&queue, me) {
                Decision::Acquired => return Ok(Some((node, me == 0 && first_of_all))),
                Decision::WaitOn(_) if mode == Mode::Try => return Ok(None),
                Decision::WaitOn(index) if index < me => &queue[index],
                Decision::WaitOn(index) => {
                    return Err(InvalidArgument::Other(format!(
                        "recipe {recipe:?} waited on #{index}, not before #{me}"
                    ))
                    .into())
                }
            };
            let path = format!("{}/{}", self.dir, wait_on.name());
            // A waiter keeps only its predecessor's path, not the whole listing: with thousands
            // of waiters the listings would dominate memory.
            drop(queue);
            let _waiting = WaiterGauge::new(self.primitive);
            let watch = Box::pin(self.session.watch(epoch, WatchKind::Data, &path)).await;
            drop(path);
            match watch {
                Ok(watch) => {
                    // Every session transition wakes the watch too, and the next listing fails
                    // if the epoch has ended: no separate end-of-epoch future in the waiting state.
                    watch.changed().await;
                }
                Err(Error::Zk {
                    code: ZkErrorCode::NoNode,
                    ..
                }) => {}
                Err(Error::Zk {
                    code: ZkErrorCode::ConnectionLoss,
                    ..
                }) => {
                    Box::pin(epoch.call(tokio::time::sleep(Duration::from_millis(20)))).await?;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Creates our node with the listing pipelined behind it. The listing is `None` when it
    /// failed or the node was recovered after a lost reply.
    ///
    /// Releases queued on the epoch (a process locking again right after unlocking) travel
    /// inside the create as one transaction: one log write on the server instead of two. When
    /// one of them held first in this directory, the listing is not even asked for: if our new
    /// node's sequence number follows that one's, nobody was created in between and nobody came
    /// before it, so the queue is our node alone.
    async fn create(
        &self,
        epoch: &Arc<Epoch>,
        marker: &str,
        data: &[u8],
        pending: &mut PendingNode<'_>,
    ) -> Result<(OwnNode, Option<Vec<String>>)> {
        let prefix = format!("{}/{}{}", self.dir, pending.protected(), marker);
        let acl = self.session.default_acl();
        let kind = NodeKind::EphemeralSequential;
        loop {
            let carried = epoch.carry_releases();
            let backend = epoch.backend();
            pending.creating(epoch);
            // The requests leave now, in this order; the server answers them in the same order.
            let paths = carried.paths();
            let folded = if paths.is_empty() {
                None
            } else {
                backend.create_after_deletes(&paths, carried.touchable(), &prefix, data, kind, acl)
            };
            let (create, first_after, carried) = match folded {
                Some(create) => (
                    create,
                    carried.first_held_sequence_in(&self.dir),
                    Some(carried),
                ),
                None => {
                    carried.send_now();
                    (backend.create(&prefix, data, kind, acl), None, None)
                }
            };
            let list = first_after
                .is_none()
                .then(|| backend.get_children(&self.dir));
            let (created, listed) = epoch
                .call(futures::future::join(create, OptionFuture::from(list)))
                .await?;
            let folded = carried.is_some();
            if let Some(carried) = carried {
                match &created {
                    Ok(_) => carried.applied(),
                    // The session is gone, and its nodes with it.
                    Err(ZkErrorCode::SessionExpired | ZkErrorCode::Closed) => drop(carried),
                    // Whether or not the transaction was applied, its deletes are sent again
                    // on their own (deleting a node that is gone already is a no-op).
                    Err(_) => carried.send_now(),
                }
            }
            match created {
                Ok(created) => {
                    let listing = match (listed, first_after) {
                        (Some(listed), _) => listed.ok(),
                        (None, Some(previous))
                            if sequence_of(&created.path) == previous.checked_add(1) =>
                        {
                            let name = created.path.rsplit('/').next().unwrap_or_default();
                            Some(vec![name.to_owned()])
                        }
                        (None, _) => None,
                    };
                    return Ok((pending.created(epoch, &created), listing));
                }
                Err(ZkErrorCode::ConnectionLoss) | Err(ZkErrorCode::Timeout) => {
                    if let Some(node) = pending.recover(epoch).await? {
                        return Ok((node, None));
                    }
                }
                Err(ZkErrorCode::SessionExpired) | Err(ZkErrorCode::Closed) => {
                    return Err(epoch.ended().await)
                }
                Err(_) if folded => {
                    // Nothing of the transaction was applied, and the failure may be one of
                    // the deletes (a node someone else removed): they went on their own
                    // above, and the create is tried again alone.
                    pending.forget();
                }
                Err(ZkErrorCode::NoNode) => {
                    pending.forget();
                    epoch.create_containers(&self.dir, acl).await?;
                }
                Err(code) => {
                    pending.forget();
                    return Err(Error::zk("create", &prefix, code));
                }
            }
        }
    }

    async fn list(&self, epoch: &Epoch) -> Result<Vec<String>> {
        Ok(epoch.children(&self.dir).await?.unwrap_or_default())
    }
}
