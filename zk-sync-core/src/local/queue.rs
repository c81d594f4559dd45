//! [`LocalQueue`]: one node per session and directory, held in turns by the process's tasks.

use super::hold::LocalHold;
use super::keeper;
use super::state::{GiveUp, Slot, State, Surrendered};
use super::LocalHandoff;
use crate::contender::{ContenderQueue, Hold, Recipe};
use crate::error::{InvalidArgument, Result};
use crate::metrics::{AcquireRecorder, WaiterGauge};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// The local queue of one session, directory and marker: its tasks take turns, FIFO, on one
/// contender node (see the [module docs](super)).
///
/// Every [`LocalQueue::shared`] call for the same session, directory and marker returns the
/// same queue while one is alive, so separate values (two `DistMutex`es on one path) share it.
pub struct LocalQueue {
    queue: ContenderQueue,
    recipe: &'static dyn Recipe,
    marker: usize,
    /// The local FIFO: one permit, handed to waiters in the order they asked.
    turn: Arc<Semaphore>,
    state: Mutex<State>,
    /// An acquisition of the node ended (held or failed).
    acquired: Notify,
    /// Tells the keeper that the node went idle.
    pub(super) idle: Arc<Notify>,
}

impl fmt::Debug for LocalQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalQueue")
            .field("dir", &self.queue.dir())
            .field("marker", &self.recipe.markers()[self.marker])
            .finish_non_exhaustive()
    }
}

impl LocalQueue {
    /// The session's local queue for `queue`'s directory and `recipe`'s marker `marker`,
    /// created on first use.
    ///
    /// The marker's holds must exclude every other contender (a mutex's `lock-`, a write
    /// lock's `__WRIT__`): local tasks take turns on the node one at a time.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](crate::Error::InvalidArgument) for a marker index the recipe does
    /// not have.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: zk_sync_core::ContenderQueue) -> zk_sync_core::Result<()> {
    /// use std::sync::Arc;
    /// use zk_sync_core::contender::Exclusive;
    /// use zk_sync_core::local::LocalQueue;
    ///
    /// static RECIPE: Exclusive = Exclusive::LOCK;
    /// let one = LocalQueue::shared(&queue, &RECIPE, 0)?;
    /// let two = LocalQueue::shared(&queue.clone(), &RECIPE, 0)?;
    /// assert!(Arc::ptr_eq(&one, &two));
    /// # Ok(()) }
    /// ```
    pub fn shared(
        queue: &ContenderQueue,
        recipe: &'static dyn Recipe,
        marker: usize,
    ) -> Result<Arc<LocalQueue>> {
        let Some(name) = recipe.markers().get(marker).copied() else {
            return Err(InvalidArgument::RecipeName(format!("no marker #{marker}")).into());
        };
        let registry = queue.session().local_queues();
        let key = (Arc::<str>::from(queue.dir()), name);
        let mut entry = registry.entry(key).or_default();
        if let Some(local) = entry.upgrade() {
            return Ok(local);
        }
        let local = Arc::new(LocalQueue {
            queue: queue.uncounted(),
            recipe,
            marker,
            turn: Arc::new(Semaphore::new(1)),
            state: Mutex::default(),
            acquired: Notify::new(),
            idle: Arc::new(Notify::new()),
        });
        *entry = Arc::downgrade(&local);
        Ok(local)
    }

    /// The directory.
    pub fn dir(&self) -> &str {
        self.queue.dir()
    }

    /// The contender queue the node is queued in.
    pub fn queue(&self) -> &ContenderQueue {
        &self.queue
    }

    pub(super) fn recipe(&self) -> &'static dyn Recipe {
        self.recipe
    }

    pub(super) fn primitive(&self) -> &'static str {
        self.queue.primitive()
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this task's turn and returns it holding the lock: on the node the process
    /// holds already (no request), or on one queued for the local waiters.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a task that gives up leaves its place in the local queue; when the last
    /// local waiter gives up, the node being queued for them is removed in the background.
    ///
    /// # Errors
    ///
    /// As [`ContenderQueue::acquire`]: the session closed, or a server error (`NoAuth`, …).
    pub async fn acquire(self: &Arc<Self>, handoff: LocalHandoff) -> Result<LocalHold> {
        let mut outcome = AcquireRecorder::start(self.primitive());
        let _gauge = WaiterGauge::new(self.primitive());
        let mut waiting = Waiting::enter(self);
        let turn = self
            .turn
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        let mut turn = Some(turn);
        loop {
            let acquired = self.acquired.notified();
            tokio::pin!(acquired);
            acquired.as_mut().enable();
            let given_up;
            {
                let mut state = self.lock();
                given_up = self.drop_unsafe_node(&mut state);
                match &mut state.slot {
                    Slot::Held(_) => {
                        waiting.leave(&mut state);
                        let turn = turn.take().expect("granted once");
                        let hold = self.grant(&mut state, turn, handoff);
                        outcome.finish("acquired");
                        return Ok(hold);
                    }
                    Slot::Failed(_) => {
                        let Slot::Failed(error) = std::mem::take(&mut state.slot) else {
                            unreachable!("matched above")
                        };
                        outcome.finish("error");
                        return Err(error);
                    }
                    Slot::Empty => self.start_acquiring(&mut state),
                    Slot::Acquiring { .. } => {}
                }
            }
            drop(given_up);
            acquired.await;
        }
    }

    /// Takes the turn and the lock if no local task holds or waits and the process holds the
    /// node (no request), or else if the queue at the server lets a new node hold at once.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Self::acquire).
    ///
    /// # Errors
    ///
    /// As [`ContenderQueue::try_acquire`].
    pub async fn try_acquire(self: &Arc<Self>, handoff: LocalHandoff) -> Result<Option<LocalHold>> {
        let mut outcome = AcquireRecorder::start(self.primitive());
        let Ok(turn) = self.turn.clone().try_acquire_owned() else {
            outcome.finish("would_block");
            return Ok(None);
        };
        let given_up;
        {
            let mut state = self.lock();
            given_up = self.drop_unsafe_node(&mut state);
            match &state.slot {
                Slot::Held(_) => {
                    outcome.finish("acquired");
                    return Ok(Some(self.grant(&mut state, turn, handoff)));
                }
                Slot::Acquiring { .. } => {
                    outcome.finish("would_block");
                    return Ok(None);
                }
                Slot::Failed(_) => state.slot = Slot::Empty,
                Slot::Empty => {}
            }
        }
        drop(given_up);
        // Nobody else can queue a node while this task has the turn.
        let result = self.queue.try_acquire(self.recipe, self.marker, b"").await;
        let node = match result {
            Ok(Some(node)) => node,
            Ok(None) => {
                outcome.finish("would_block");
                return Ok(None);
            }
            Err(error) => {
                outcome.finish("error");
                return Err(error);
            }
        };
        let mut state = self.lock();
        self.take_node(&mut state, node);
        outcome.finish("acquired");
        Ok(Some(self.grant(&mut state, turn, handoff)))
    }

    /// Hands the held node to the task with `turn`.
    fn grant(
        self: &Arc<Self>,
        state: &mut State,
        turn: tokio::sync::OwnedSemaphorePermit,
        handoff: LocalHandoff,
    ) -> LocalHold {
        let node = state.node().expect("granted a held node").clone();
        let local = state.holds_on_node;
        if local > 0 {
            crate::metrics::record_local_handoff(self.primitive());
        }
        state.holds_on_node += 1;
        if state.remote {
            state.since_remote = state.since_remote.saturating_add(1);
        }
        state.linger_until = None;
        state.holder = Some(turn);
        LocalHold::new(self.clone(), node, local, state.generation, handoff)
    }

    /// Gives up a held node that is lost or uncertain: it is never handed on.
    fn drop_unsafe_node(&self, state: &mut State) -> Option<Surrendered> {
        let node = state.node()?;
        if node.ensure_held().is_ok() && !node.is_uncertain() {
            return None;
        }
        Some(state.give_up(GiveUp::Unsafe, self.primitive()))
    }

    /// Queues the node for the local waiters in a task of its own, so that a waiter that gives
    /// up does not take the queue's place at the server with it.
    fn start_acquiring(self: &Arc<Self>, state: &mut State) {
        state.tickets += 1;
        let ticket = state.tickets;
        let local = Arc::downgrade(self);
        let queue = self.queue.clone();
        let (recipe, marker) = (self.recipe, self.marker);
        let task = tokio::spawn(async move {
            let result = queue.acquire(recipe, marker, b"").await;
            if let Some(local) = local.upgrade() {
                local.acquisition_ended(ticket, result);
            }
        });
        state.slot = Slot::Acquiring {
            ticket,
            task: task.abort_handle(),
        };
    }

    fn acquisition_ended(self: &Arc<Self>, ticket: u64, result: Result<Hold>) {
        let mut state = self.lock();
        if !matches!(state.slot, Slot::Acquiring { ticket: t, .. } if t == ticket) {
            // Given up meanwhile: the node goes (dropping it releases it).
            return;
        }
        match result {
            Ok(node) => {
                self.take_node(&mut state, node);
                if state.waiting == 0 {
                    let given_up = state.give_up(GiveUp::Idle, self.primitive());
                    drop(state);
                    drop(given_up);
                    return;
                }
            }
            Err(error) => state.slot = Slot::Failed(error),
        }
        drop(state);
        self.acquired.notify_waiters();
    }

    /// Makes `node` the shared node and starts watching the directory for other sessions.
    fn take_node(self: &Arc<Self>, state: &mut State, node: Hold) {
        let node = state.install(node);
        let generation = state.generation;
        state.keeper = keeper::spawn(self, node, generation);
    }

    /// The end of a local hold: hands the node to the next local task, keeps it idle for the
    /// linger, or gives it up.
    pub(super) fn released(&self, node: Arc<Hold>, generation: u64, handoff: LocalHandoff) {
        let mut state = self.lock();
        // The holder's share of the node goes before the turn (see `Surrendered`).
        drop(node);
        if state.generation != generation {
            // The node was given up under this holder (lost): its turn is gone already.
            return;
        }
        let Some(node) = state.node() else {
            return;
        };
        let why = if node.ensure_held().is_err() {
            Some(GiveUp::Unsafe)
        } else if state.remote
            && (state.waiting == 0 || state.since_remote >= handoff.max_local_handoffs)
        {
            Some(GiveUp::Remote)
        } else if state.waiting > 0 {
            None
        } else if handoff.linger.is_zero() {
            Some(GiveUp::Idle)
        } else {
            state.linger_until = Some(Instant::now() + handoff.linger);
            self.idle.notify_one();
            None
        };
        let surrendered = match why {
            Some(why) => state.give_up(why, self.primitive()),
            None => Surrendered::turn(state.holder.take()),
        };
        drop(state);
        drop(surrendered);
    }

    /// A waiter gave up: if it was the last, nobody needs the node being queued.
    fn left(&self) {
        let mut state = self.lock();
        state.waiting -= 1;
        if state.waiting > 0 || state.holder.is_some() {
            return;
        }
        if let Slot::Acquiring { task, .. } = &state.slot {
            task.abort();
            state.slot = Slot::Empty;
        }
    }
}

impl Drop for LocalQueue {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Slot::Acquiring { task, .. } = &state.slot {
            task.abort();
        }
        if let Some(keeper) = state.keeper.take() {
            keeper.abort();
        }
        let name = self.recipe.markers()[self.marker];
        let key = (Arc::<str>::from(self.queue.dir()), name);
        self.queue
            .session()
            .local_queues()
            .remove_if(&key, |_, local| local.strong_count() == 0);
    }
}

/// Counts a task in the local queue's `waiting` until it holds or gives up.
struct Waiting<'a> {
    local: &'a LocalQueue,
    counted: bool,
}

impl<'a> Waiting<'a> {
    fn enter(local: &'a LocalQueue) -> Waiting<'a> {
        local.lock().waiting += 1;
        Waiting {
            local,
            counted: true,
        }
    }

    /// The task holds now.
    fn leave(&mut self, state: &mut State) {
        state.waiting -= 1;
        self.counted = false;
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.counted {
            self.local.left();
        }
    }
}

/// The registry of local queues of one session.
pub(crate) type Registry = dashmap::DashMap<(Arc<str>, &'static str), Weak<LocalQueue>>;
