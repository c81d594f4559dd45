//! Many local waiters on one path share one server-side watch.
//!
//! The first waiter on a `(epoch, kind, path)` arms a one-shot watch from a background task;
//! later waiters subscribe to the same entry. The event wakes all of them and removes the
//! entry, so the next waiter arms a fresh watch. Waiters also wake on every session
//! transition, so correctness never depends on a watch surviving a reconnect.

use crate::backend::{NodeEvent, WatchFuture};
use crate::error::Error;
use crate::session::{Epoch, SessionStatus};
use dashmap::DashMap;
use std::sync::Arc;
use tokio::sync::{oneshot, watch};

/// What a watch is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    /// Data changes and deletion of an existing node (`getData` watch).
    Data,
    /// Creation, data change or deletion (`exists` watch); arming never fails with `NoNode`.
    Exists,
    /// Changes to the list of children (`getChildren` watch).
    Children,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct WatchKey {
    epoch: u64,
    kind: WatchKind,
    // Shared by the map's key and the arming task: one copy of the path per watch.
    path: Arc<str>,
}

type Fired = watch::Sender<Option<NodeEvent>>;

#[derive(Debug, Default)]
pub(crate) struct WatchMux {
    entries: Arc<DashMap<WatchKey, Arc<Fired>>>,
}

/// Why a [`NodeWatch`] woke up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The server reported an event on the node.
    Node(NodeEvent),
    /// The session changed state (suspended, reconnected, lost or closed): re-check.
    Session(SessionStatus),
}

/// A pending wake-up for one path: resolve it with [`NodeWatch::changed`].
#[derive(Debug)]
pub struct NodeWatch {
    fired: watch::Receiver<Option<NodeEvent>>,
    status: watch::Receiver<SessionStatus>,
}

impl NodeWatch {
    /// Waits for the watched node's event or the next session transition, whichever is first.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it only drops this waiter's interest.
    pub async fn changed(mut self) -> Wake {
        tokio::select! {
            fired = self.fired.wait_for(Option::is_some) => match fired {
                Ok(event) => Wake::Node(event.expect("waited for an event")),
                Err(_) => Wake::Node(NodeEvent::SessionEnded),
            },
            changed = self.status.changed() => {
                let _ = changed;
                Wake::Session(*self.status.borrow_and_update())
            }
        }
    }
}

impl WatchMux {
    /// Number of distinct watches armed or being armed.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Registers interest in the next change of `path`.
    ///
    /// Returns `Err(Zk { code: NoNode })` when this call armed the watch and the node does not
    /// exist (for [`WatchKind::Data`] and [`WatchKind::Children`]): the caller should re-list.
    pub(crate) async fn watch(
        &self,
        epoch: &Arc<Epoch>,
        kind: WatchKind,
        path: &str,
    ) -> Result<NodeWatch, Error> {
        let status = epoch.status_receiver();
        let key = WatchKey {
            epoch: epoch.number(),
            kind,
            path: Arc::from(path),
        };
        let (fired, armed) = {
            // The shard lock is held while we subscribe, so the arming task can never see
            // "no receivers" and retire an entry that a waiter has just joined.
            let entry = self.entries.entry(key.clone());
            match entry {
                dashmap::Entry::Occupied(shared) => (shared.get().subscribe(), None),
                dashmap::Entry::Vacant(vacant) => {
                    let (sender, receiver) = watch::channel(None);
                    let sender = Arc::new(sender);
                    vacant.insert(sender.clone());
                    (receiver, Some(sender))
                }
            }
        };
        let watch = NodeWatch { fired, status };
        let Some(sender) = armed else {
            return Ok(watch);
        };
        let (armed_tx, armed_rx) = oneshot::channel();
        tokio::spawn(arm(
            self.entries.clone(),
            epoch.clone(),
            key,
            sender,
            armed_tx,
        ));
        match armed_rx.await {
            Ok(Ok(())) => Ok(watch),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(epoch.ended().await),
        }
    }
}

async fn arm(
    entries: Arc<DashMap<WatchKey, Arc<Fired>>>,
    epoch: Arc<Epoch>,
    key: WatchKey,
    sender: Arc<Fired>,
    armed: oneshot::Sender<Result<(), Error>>,
) {
    let path = &*key.path;
    let armed_result: Result<WatchFuture, Error> = {
        let backend = epoch.backend();
        let reply = epoch.call(async {
            match key.kind {
                WatchKind::Data => backend
                    .get_data_watch(path)
                    .await
                    .map(|(_, _, watch)| watch),
                WatchKind::Exists => backend.exists_watch(path).await.map(|(_, watch)| watch),
                WatchKind::Children => backend
                    .get_children_watch(path)
                    .await
                    .map(|(_, watch)| watch),
            }
        });
        // Boxed: the task lives as long as the watch, so keep its long-lived state small.
        match Box::pin(reply).await {
            Ok(Ok(watch)) => Ok(watch),
            Ok(Err(code)) => Err(Error::zk("watch", path, code)),
            Err(ended) => Err(ended),
        }
    };
    let mut server_watch = match armed_result {
        Ok(watch) => {
            let _ = armed.send(Ok(()));
            watch
        }
        Err(error) => {
            // Waiters that joined meanwhile wake up and re-check for themselves.
            retire(&entries, &key, &sender);
            let _ = sender.send(Some(NodeEvent::SessionEnded));
            let _ = armed.send(Err(error));
            return;
        }
    };
    // From here on only the status is kept: a lost epoch's wire session must be free to close.
    let number = epoch.number();
    let mut status = epoch.status_receiver();
    drop(epoch);
    let event = loop {
        if status.borrow_and_update().has_ended(number) {
            break NodeEvent::SessionEnded;
        }
        tokio::select! {
            event = &mut server_watch => break event,
            changed = status.changed() => if changed.is_err() { break NodeEvent::SessionEnded },
            _ = sender.closed() => {
                // Every waiter gave up: drop the watch unless someone joined in the meantime.
                if entries.remove_if(&key, |_, v| Arc::ptr_eq(v, &sender) && v.receiver_count() == 0).is_some() {
                    return;
                }
            }
        }
    };
    if !matches!(event, NodeEvent::SessionEnded | NodeEvent::WatchLost) {
        metrics::counter!(crate::metrics::WATCH_EVENTS_TOTAL).increment(1);
    }
    retire(&entries, &key, &sender);
    let _ = sender.send(Some(event));
}

fn retire(entries: &DashMap<WatchKey, Arc<Fired>>, key: &WatchKey, sender: &Arc<Fired>) {
    entries.remove_if(key, |_, v| Arc::ptr_eq(v, sender));
}
