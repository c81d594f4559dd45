//! The task behind [`LeaderElection::observe`](crate::LeaderElection::observe): one per
//! election, shared by every receiver, running while any receiver is left.
//!
//! Leadership only changes when the leader's node goes away (a new node always sorts after the
//! existing ones), so while there is a leader the task watches that one node, and while there is
//! none it watches the directory for the first participant to arrive.

use crate::info::LeaderInfo;
use crate::read;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use zk_sync_core::{Epoch, Error, NodeWatch, Session, WatchKind, ZkErrorCode};

type LeaderSender = watch::Sender<Option<LeaderInfo>>;

/// Where receivers find the running task's channel.
#[derive(Debug, Default)]
pub(crate) struct Observer {
    running: Mutex<Option<Arc<LeaderSender>>>,
}

impl Observer {
    /// A receiver of the running task, starting the task if none runs.
    pub(crate) fn subscribe(
        self: &Arc<Self>,
        session: &Session,
        dir: &Arc<str>,
    ) -> watch::Receiver<Option<LeaderInfo>> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = running.as_ref() {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(None);
        let sender = Arc::new(sender);
        *running = Some(sender.clone());
        tokio::spawn(follow(self.clone(), session.clone(), dir.clone(), sender));
        receiver
    }

    /// Whether the task of `sender` may stop: no receiver is left. Decided under the lock that
    /// [`subscribe`](Self::subscribe) takes, so no receiver can join a stopping task.
    fn retire_if_unobserved(&self, sender: &Arc<LeaderSender>) -> bool {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if sender.receiver_count() > 0 {
            return false;
        }
        if running.as_ref().is_some_and(|r| Arc::ptr_eq(r, sender)) {
            *running = None;
        }
        true
    }

    /// The task of `sender` stops (its session is closed); its receivers see the channel close.
    fn retire(&self, sender: &Arc<LeaderSender>) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.as_ref().is_some_and(|r| Arc::ptr_eq(r, sender)) {
            *running = None;
        }
    }
}

async fn follow(
    observer: Arc<Observer>,
    session: Session,
    dir: Arc<str>,
    sender: Arc<LeaderSender>,
) {
    let mut first = true;
    loop {
        tokio::select! {
            biased;
            () = sender.closed() => if observer.retire_if_unobserved(&sender) {
                return;
            },
            closed = step(&session, &dir, &sender, &mut first) => if closed {
                observer.retire(&sender);
                return;
            },
        }
    }
}

/// Reads and publishes the leader, then waits until it may have changed. Returns `true` once
/// the session is closed.
async fn step(session: &Session, dir: &str, sender: &LeaderSender, first: &mut bool) -> bool {
    let Ok(epoch) = session.live_epoch().await else {
        return true;
    };
    match read_and_watch(session, &epoch, dir).await {
        Ok((leader, watch)) => {
            publish(sender, leader, first);
            // Only status receivers while waiting: a lost epoch's wire session must be free to close.
            drop(epoch);
            watch.changed().await;
        }
        Err(error) if error.is_closed() => return true,
        // The next epoch's reading follows at once.
        Err(error) if error.is_session_lost() => {}
        Err(error) => {
            let pause = if error.is_connection() {
                Duration::from_millis(50)
            } else {
                tracing::warn!(%error, dir, "observing the leader; retrying");
                Duration::from_secs(1)
            };
            tokio::time::sleep(pause).await;
        }
    }
    false
}

/// The first reading is always announced (even "no leader"), later ones only when they differ.
fn publish(sender: &LeaderSender, leader: Option<LeaderInfo>, first: &mut bool) {
    if std::mem::take(first) {
        sender.send_replace(leader);
    } else {
        sender.send_if_modified(|current| {
            let changed = *current != leader;
            *current = leader;
            changed
        });
    }
}

/// The current leader, and a watch armed *before* the reading that fires when it may change.
async fn read_and_watch(
    session: &Session,
    epoch: &Arc<Epoch>,
    dir: &str,
) -> Result<(Option<LeaderInfo>, NodeWatch), Error> {
    loop {
        let Some(queue) = read::queue(epoch, dir).await? else {
            // No directory yet: wait for it. An exists watch never fails with NoNode; if the
            // directory appeared meanwhile, start over to watch its children instead.
            let watch = session.watch(epoch, WatchKind::Exists, dir).await?;
            if read::queue(epoch, dir).await?.is_none() {
                return Ok((None, watch));
            }
            continue;
        };
        let Some(first) = queue.first() else {
            let watch = match session.watch(epoch, WatchKind::Children, dir).await {
                Err(error) if is_no_node(&error) => continue,
                watch => watch?,
            };
            // Someone may have joined between the listing and the watch.
            match read::queue(epoch, dir).await? {
                Some(queue) if queue.is_empty() => return Ok((None, watch)),
                _ => continue,
            }
        };
        let path = format!("{dir}/{first}");
        let watch = match session.watch(epoch, WatchKind::Data, &path).await {
            Err(error) if is_no_node(&error) => continue,
            watch => watch?,
        };
        if let Some((data, stat)) = read::node(epoch, &path).await? {
            return Ok((Some(LeaderInfo::new(path, &data, &stat)), watch));
        }
    }
}

fn is_no_node(error: &Error) -> bool {
    matches!(
        error,
        Error::Zk {
            code: ZkErrorCode::NoNode,
            ..
        }
    )
}
