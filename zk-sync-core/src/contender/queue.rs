//! [`ContenderQueue`]: acquire a position in a recipe directory.

use super::hold::Hold;
use super::naming::{sort_contenders, Contender};
use super::pending::{OwnNode, PendingNode};
use super::view::{Cover, Entry, Position, QueueView};
use super::{Decision, Recipe};
use crate::backend::{NodeEvent, NodeKind};
use crate::error::{Error, InvalidArgument, Result, ZkErrorCode};
use crate::metrics::{AcquireRecorder, WaiterGauge};
use crate::session::releases::sequence_of;
use crate::session::{Epoch, Session};
use crate::validate::validate_path;
use crate::watch_mux::{Wake, WatchKind};
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
    // Whether acquisitions are counted in the metrics: not for the node a local queue shares,
    // whose holders are counted one by one.
    counted: bool,
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
            counted: true,
        })
    }

    /// The same queue, with acquisitions and hold durations left out of the metrics: for a
    /// recipe whose nodes are steps of its own acquisitions (a semaphore's turn and leases,
    /// the node a local queue shares), which it counts itself.
    pub fn uncounted(&self) -> ContenderQueue {
        ContenderQueue {
            counted: false,
            ..self.clone()
        }
    }

    /// The label of the queue's metrics.
    pub(crate) fn primitive(&self) -> &'static str {
        self.primitive
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
    /// A waiter lists the directory only when it queues. Woken, it reads the next contender
    /// below it that could still block it (one `getData`), however long the queue: it lists
    /// again only after a session transition, an event it cannot explain, or for a recipe that
    /// does not walk ([`Recipe::blocks`]). Tasks of one session queueing at once share their
    /// listings.
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
        let children = epoch.children(&self.dir).await?.unwrap_or_default();
        Ok(sort_contenders(children, recipe.markers()))
    }

    /// Asks every contender that holds under `recipe` right now to let go (cooperative
    /// revocation: [`request_revocation`](super::request_revocation) on each holder's node,
    /// oldest first), and returns the nodes asked; a holder that let go before its request
    /// arrived is not among them.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] when the session is closed; the epoch's end or a server error.
    pub async fn revoke_holders(&self, recipe: &dyn Recipe) -> Result<Vec<String>> {
        let queue = self.contenders(recipe).await?;
        let mut asked = Vec::new();
        for (me, contender) in queue.iter().enumerate() {
            if recipe.decide(&queue, me) != Decision::Acquired {
                break;
            }
            let node = format!("{}/{}", self.dir, contender.name());
            if super::request_revocation(&self.session, &node).await? {
                asked.push(node);
            }
        }
        Ok(asked)
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
        let mut outcome = self.counted.then(|| AcquireRecorder::start(self.primitive));
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
                    let hold = if self.counted { hold } else { hold.untimed() };
                    break Ok(Some(hold));
                }
                Ok(None) => break Ok(None),
                Err(error) if error.is_session_lost() && mode == Mode::Wait => continue,
                Err(error) => break Err(error),
            }
        };
        if let Some(outcome) = outcome.as_mut() {
            outcome.finish(match &result {
                Ok(Some(_)) => "acquired",
                Ok(None) => "would_block",
                Err(_) => "error",
            });
        }
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
        let view = epoch.queue_view(&self.dir, recipe.markers());
        // The one-off steps are boxed so that the state kept while waiting stays small: it is
        // what thousands of waiters each hold.
        let (mut node, mut listed) = match Box::pin(pending.recover(epoch)).await? {
            Some(node) => (node, Listed::Not),
            None => Box::pin(self.create(epoch, &view, marker, data, pending)).await?,
        };
        loop {
            match listed {
                Listed::Alone => return Ok(Some((node, true))),
                Listed::Not => Box::pin(self.refresh(epoch, &view)).await?,
                Listed::Covered => {}
            }
            let me = view.position(node.name()).ok_or_else(|| {
                InvalidArgument::RecipeName(format!("{} is not one of {recipe:?}'s", node.path))
            })?;
            listed = match self.walk(epoch, &view, recipe, mode, &node, &me).await? {
                Walked::Holds { first_of_all } => return Ok(Some((node, first_of_all))),
                Walked::WouldBlock => return Ok(None),
                Walked::Relist => Listed::Not,
                Walked::OwnGone => {
                    // Someone deleted our node: queue again at the back.
                    tracing::warn!(path = node.path, "own contender node vanished; re-creating");
                    pending.forget();
                    let created = Box::pin(self.create(epoch, &view, marker, data, pending));
                    let listed;
                    (node, listed) = created.await?;
                    listed
                }
            };
        }
    }

    /// Walks the contenders below our node that the view names (see the `view` module), from
    /// a listing that named our node, until the recipe says we hold or the walk can no longer
    /// be trusted.
    async fn walk(
        &self,
        epoch: &Arc<Epoch>,
        view: &QueueView,
        recipe: &dyn Recipe,
        mode: Mode,
        node: &OwnNode,
        me: &Position,
    ) -> Result<Walked> {
        let mine = me.marker();
        let walks = (0..recipe.markers().len()).all(|older| recipe.blocks(mine, older).is_some());
        // Whether our node was seen since we last waited (by the listing that named it, or
        // by a read).
        let mut own_seen = true;
        loop {
            // Another waiter's listing may have shown our node gone.
            if !view.contains(me) {
                return Ok(Walked::OwnGone);
            }
            let candidates = if walks {
                let blocks = |older| recipe.blocks(mine, older) == Some(true);
                view.blockers(me, blocks, READ_AHEAD)
            } else {
                decide_over_view(view, recipe, node)?.into_iter().collect()
            };
            let Some((nearest, below)) = candidates.split_first() else {
                if !own_seen && Box::pin(epoch.data(&node.path)).await?.is_none() {
                    view.gone(me.entry());
                    return Ok(Walked::OwnGone);
                }
                let first_of_all = view.first_of_all(me);
                return Ok(Walked::Holds { first_of_all });
            };
            if mode == Mode::Try {
                return Ok(Walked::WouldBlock);
            }
            // In a short, busy queue a listing costs less than reading many nodes of other
            // sessions that went unseen: the walk reads at most a couple there, and in a long
            // queue as many as a listing is worth.
            let reads = candidates.len() + 1;
            if !own_seen && walks && reads > FREE_READS + view.len() / NAMES_PER_READ {
                return Ok(Walked::Relist);
            }
            // The nearest is read with a watch. Once we have waited, the ones below it (nodes
            // of other sessions we never saw go) and our own node, in case the walk ends here,
            // are read in the same round trip; right after a listing, they are known.
            let path = format!("{}/{}", self.dir, nearest.name());
            let _waiting = self.counted.then(|| WaiterGauge::new(self.primitive));
            let watch = self.session.watch(epoch, WatchKind::Data, &path);
            let (below, own) = match own_seen {
                true => (&[][..], None),
                false => (below, Some(node.path.as_str())),
            };
            let reads = self.read_ahead(epoch, view, below, own);
            let (watch, own) = Box::pin(futures::future::join(watch, reads)).await;
            drop(path);
            // Only the watched one is kept while waiting: thousands of waiters each hold it.
            let nearest = nearest.clone();
            drop(candidates);
            match own? {
                Some(false) => {
                    view.gone(me.entry());
                    return Ok(Walked::OwnGone);
                }
                Some(true) => own_seen = true,
                None => {}
            }
            let watch = match watch {
                Ok(watch) => watch,
                Err(Error::Zk {
                    code: ZkErrorCode::NoNode,
                    ..
                }) if walks => {
                    view.gone(&nearest);
                    continue;
                }
                Err(Error::Zk {
                    code: ZkErrorCode::NoNode,
                    ..
                }) => return Ok(Walked::Relist),
                Err(Error::Zk {
                    code: ZkErrorCode::ConnectionLoss,
                    ..
                }) => {
                    Box::pin(epoch.call(tokio::time::sleep(Duration::from_millis(20)))).await?;
                    return Ok(Walked::Relist);
                }
                Err(error) => return Err(error),
            };
            own_seen = false;
            match watch.changed().await {
                Wake::Node(NodeEvent::Deleted) => view.gone(&nearest),
                // A folded release touches its node before deleting it; anyone else's
                // change leaves it there. Either way, read it again.
                Wake::Node(NodeEvent::DataChanged) => {}
                // The watch could not be armed for everyone sharing it, the wire client lost
                // it in a reconnect, or the epoch ended.
                Wake::Node(NodeEvent::WatchLost) => {}
                Wake::Node(NodeEvent::SessionEnded) if !epoch.has_ended() => {}
                Wake::Node(NodeEvent::SessionEnded) => return Err(epoch.ended().await),
                Wake::Node(NodeEvent::Created | NodeEvent::ChildrenChanged) => {
                    tracing::debug!(
                        node = nearest.name(),
                        "unexpected event on a data watch; listing again"
                    );
                    return Ok(Walked::Relist);
                }
                Wake::Session(_) => return Ok(Walked::Relist),
            }
            if !walks {
                return Ok(Walked::Relist);
            }
        }
    }

    /// Reads the contenders of `below` (without watches) and our own node `own`, all at once;
    /// those gone leave the view. Whether our node exists, when it was read and answered.
    async fn read_ahead(
        &self,
        epoch: &Epoch,
        view: &QueueView,
        below: &[Entry],
        own: Option<&str>,
    ) -> Result<Option<bool>> {
        let paths: Vec<String> = below
            .iter()
            .map(|entry| format!("{}/{}", self.dir, entry.name()))
            .chain(own.map(str::to_owned))
            .collect();
        if paths.is_empty() {
            return Ok(None);
        }
        let backend = epoch.backend();
        let reads = paths.iter().map(|path| backend.get_data(path));
        let replies = epoch.call(futures::future::join_all(reads)).await?;
        let mut replies = replies.into_iter();
        for (entry, reply) in below.iter().zip(replies.by_ref()) {
            if reply == Err(ZkErrorCode::NoNode) {
                view.gone(entry);
            }
        }
        Ok(replies.next().and_then(|reply| match reply {
            Ok(_) => Some(true),
            Err(ZkErrorCode::NoNode) => Some(false),
            Err(_) => None,
        }))
    }

    /// A listing of the directory answered after every request sent so far, merged into the
    /// view: one of the session's, if one is about to go out, or our own.
    async fn refresh(&self, epoch: &Arc<Epoch>, view: &Arc<QueueView>) -> Result<()> {
        match view.cover(epoch) {
            Cover::Own(own) => {
                let children = epoch.children(&self.dir).await?;
                own.merge(children);
                Ok(())
            }
            Cover::Shared(generation) => epoch.call(view.covered(generation)).await?,
        }
    }

    /// Creates our node with a listing pipelined behind it (ours, or one the session is about
    /// to send), and merges it into the view.
    ///
    /// Releases queued on the epoch (a process locking again right after unlocking) travel
    /// inside the create as one transaction: one log write on the server instead of two. When
    /// one of them held first in this directory, the listing is not even asked for: if our new
    /// node's sequence number follows that one's, nobody was created in between and nobody came
    /// before it, so the queue is our node alone.
    async fn create(
        &self,
        epoch: &Arc<Epoch>,
        view: &Arc<QueueView>,
        marker: &str,
        data: &[u8],
        pending: &mut PendingNode<'_>,
    ) -> Result<(OwnNode, Listed)> {
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
            let cover = first_after.is_none().then(|| view.cover(epoch));
            let list =
                matches!(cover, Some(Cover::Own(_))).then(|| backend.get_children(&self.dir));
            let (created, listed) = epoch
                .call(futures::future::join(create, OptionFuture::from(list)))
                .await?;
            // A listing of ours that came to nothing must not hold up the session's next one.
            let cover = cover.filter(|_| created.is_ok());
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
                    let node = pending.created(epoch, &created);
                    let listed = match (cover, listed) {
                        (Some(Cover::Own(own)), Some(Ok(children))) => {
                            own.merge(Some(children));
                            Listed::Covered
                        }
                        (Some(Cover::Own(_)), _) => Listed::Not,
                        (Some(Cover::Shared(generation)), _) => {
                            match epoch.call(view.covered(generation)).await? {
                                Ok(()) => Listed::Covered,
                                Err(_) => Listed::Not,
                            }
                        }
                        (None, _)
                            if first_after.is_some_and(|previous| {
                                sequence_of(&created.path) == previous.checked_add(1)
                            }) =>
                        {
                            Listed::Alone
                        }
                        (None, _) => Listed::Not,
                    };
                    return Ok((node, listed));
                }
                Err(ZkErrorCode::ConnectionLoss) | Err(ZkErrorCode::Timeout) => {
                    if let Some(node) = pending.recover(epoch).await? {
                        return Ok((node, Listed::Not));
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
}

/// How many contenders below the one it watches a woken waiter reads in the same round trip:
/// the nodes of other sessions it never saw go.
const READ_AHEAD: usize = 16;

/// How many reads a woken waiter makes rather than list, however short the queue.
const FREE_READS: usize = 2;

/// How many names in a listing cost the server about as much as one more read. A woken waiter
/// that would read more nodes than a listing of the queue is worth lists it instead: in a
/// short queue where every session's nodes come and go, the walk would otherwise read the
/// several nodes of other sessions that left since its view was last listed (measured with 4
/// sessions × 8 tasks on one path: 7.1 requests per hand-off instead of 4.0).
const NAMES_PER_READ: usize = 32;

/// What is known of the queue right after our create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    /// A listing answered after the create is merged into the view.
    Covered,
    /// Our node followed the session's own released first node: nobody else is there.
    Alone,
    /// Nothing yet: the view must be refreshed.
    Not,
}

/// How a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walked {
    Holds { first_of_all: bool },
    WouldBlock,
    Relist,
    OwnGone,
}

/// The blocker of a recipe that decides over the whole queue, as the view knows it.
fn decide_over_view(
    view: &QueueView,
    recipe: &dyn Recipe,
    node: &OwnNode,
) -> Result<Option<Entry>> {
    let queue = view.contenders();
    let Some(me) = queue.iter().position(|c| c.name() == node.name()) else {
        return Ok(None);
    };
    match recipe.decide(&queue, me) {
        Decision::Acquired => Ok(None),
        Decision::WaitOn(index) if index < me => {
            Ok(view.position(queue[index].name()).map(Position::into_entry))
        }
        Decision::WaitOn(index) => Err(InvalidArgument::Other(format!(
            "recipe {recipe:?} waited on #{index}, not before #{me}"
        ))
        .into()),
    }
}
