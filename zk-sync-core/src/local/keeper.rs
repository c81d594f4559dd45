//! The keeper of a shared node: while the process holds it, a children watch on the directory
//! tells it that a contender of another session arrived, and a timer ends the linger.
//!
//! It costs one listing when the node is taken and one more per change of the directory; a
//! local hold costs it nothing.

use super::queue::LocalQueue;
use super::state::{GiveUp, State};
use crate::contender::{sort_contenders, Hold};
use crate::error::ZkErrorCode;
use crate::session::Epoch;
use futures::future::OptionFuture;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// How long the keeper waits before listing again after the server could not answer.
const RETRY: Duration = Duration::from_millis(50);

/// Starts keeping `node`, the shared node of `local` since `generation`. `None` when the
/// node's session is already gone: the next local task finds the node lost.
pub(super) fn spawn(
    local: &Arc<LocalQueue>,
    node: Arc<Hold>,
    generation: u64,
) -> Option<AbortHandle> {
    let epoch = node
        .session()
        .current_epoch()
        .filter(|epoch| epoch.number() == node.epoch())?;
    let keeper = Keeper {
        local: Arc::downgrade(local),
        idle: local.idle.clone(),
        dir: local.dir().into(),
        own: node.name().into(),
        generation,
    };
    // Only the name is kept: the node itself is released as soon as the local queue gives it up.
    drop(node);
    Some(tokio::spawn(keeper.run(epoch)).abort_handle())
}

struct Keeper {
    // Weak, so that dropping the last handle of the local queue releases the node.
    local: Weak<LocalQueue>,
    idle: Arc<tokio::sync::Notify>,
    dir: Arc<str>,
    own: Box<str>,
    generation: u64,
}

/// What the keeper should do after looking at the local queue.
enum Next {
    Go,
    Stop,
}

impl Keeper {
    async fn run(self, epoch: Arc<Epoch>) {
        let mut status = epoch.status_receiver();
        loop {
            let listing = tokio::select! {
                listing = epoch.call(epoch.backend().get_children_watch(&self.dir)) => listing,
                _ = epoch.lease().run_out() => return self.give_up(GiveUp::Unsafe),
            };
            let (children, mut watch) = match listing {
                Ok(Ok(found)) => found,
                // The directory is gone, and our node with it.
                Ok(Err(ZkErrorCode::NoNode)) => return self.give_up(GiveUp::Unsafe),
                Ok(Err(_)) => {
                    tokio::select! {
                        _ = status.changed() => {}
                        _ = tokio::time::sleep(RETRY) => {}
                    }
                    if epoch.has_ended() {
                        return self.give_up(GiveUp::Unsafe);
                    }
                    continue;
                }
                Err(_ended) => return self.give_up(GiveUp::Unsafe),
            };
            if let Next::Stop = self.listed(children) {
                return;
            }
            loop {
                let Some(linger) = self.linger() else {
                    return;
                };
                let linger = OptionFuture::from(linger.map(tokio::time::sleep_until));
                tokio::select! {
                    _ = &mut watch => {
                        // Assume the worst until the listing tells.
                        if let Next::Stop = self.another_session_may_wait() {
                            return;
                        }
                        break;
                    }
                    Some(()) = linger => {
                        if let Next::Stop = self.linger_over() {
                            return;
                        }
                    }
                    _ = self.idle.notified() => {}
                    changed = status.changed() => {
                        if changed.is_err() || epoch.has_ended() {
                            return self.give_up(GiveUp::Unsafe);
                        }
                        // Suspended or back: list again, with a new watch.
                        break;
                    }
                    _ = epoch.lease().run_out() => return self.give_up(GiveUp::Unsafe),
                }
            }
        }
    }

    /// Takes in a listing of the directory.
    fn listed(&self, children: Vec<String>) -> Next {
        self.decide(|local, state| {
            let present = children.iter().any(|child| **child == *self.own);
            if !present {
                // Someone deleted it: the holder finds out through its hold.
                return Some(GiveUp::Unsafe);
            }
            let contenders = sort_contenders(children, local.recipe().markers());
            let others = contenders.iter().any(|c| *c.name() != *self.own);
            state.set_remote(others);
            (others && state.is_idle()).then_some(GiveUp::Remote)
        })
    }

    /// The directory changed: another session's contender may wait.
    fn another_session_may_wait(&self) -> Next {
        self.decide(|_, state| {
            state.set_remote(true);
            state.is_idle().then_some(GiveUp::Remote)
        })
    }

    /// When an idle node's linger ends, if it is idle; `None` once the keeper should stop.
    fn linger(&self) -> Option<Option<Instant>> {
        let local = self.local.upgrade()?;
        let state = local.lock();
        if state.generation != self.generation {
            return None;
        }
        Some(state.linger_until.filter(|_| state.is_idle()))
    }

    fn linger_over(&self) -> Next {
        self.decide(|_, state| {
            let over = state
                .linger_until
                .is_some_and(|until| until <= Instant::now());
            (over && state.is_idle()).then_some(GiveUp::Idle)
        })
    }

    fn give_up(&self, why: GiveUp) {
        self.decide(|_, _| Some(why));
    }

    /// Runs `decision` on the state of a node still kept by this keeper, and gives the node
    /// up if it says so: `Stop` then, or when the node is no longer this keeper's.
    fn decide(&self, decision: impl FnOnce(&LocalQueue, &mut State) -> Option<GiveUp>) -> Next {
        let Some(local) = self.local.upgrade() else {
            return Next::Stop;
        };
        let mut state = local.lock();
        if state.generation != self.generation {
            return Next::Stop;
        }
        let Some(why) = decision(&local, &mut state) else {
            return Next::Go;
        };
        let surrendered = state.give_up(why, local.primitive());
        drop(state);
        drop(surrendered);
        Next::Stop
    }
}
