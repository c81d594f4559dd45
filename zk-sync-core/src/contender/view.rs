//! What one session's waiters know of one recipe directory, and the walk that spares them a
//! listing each time they wake.
//!
//! # The walk
//!
//! A waiter lists the directory once, right after its create, and keeps what it saw below
//! its own node. When the node it watches changes, it does not list again: it moves to the
//! nearest contender below it that blocks it and is still believed to be there, and reads
//! that one's data with a watch (one `getData`). When none is left, it holds.
//!
//! It is safe because of how ZooKeeper names sequential nodes. A node's sequence is the
//! directory's child version at its create, which only grows, so every node that sorts below
//! ours was created before ours. A listing answered after our create therefore names every
//! contender below us that still exists, and none created later can ever sort below us. A
//! node missing from that listing, or later answered `NoNode`, or reported deleted by a
//! watch, is gone for good (names are never reused: each carries a random id and its
//! sequence). So the set *listed, less seen gone* always contains every contender below us
//! that truly exists, and a predicate that says "holds" over that set says so over the truth,
//! for every recipe that walks ([`Recipe::blocks`](super::Recipe::blocks)):
//!
//! - mutex and election: nothing below is left;
//! - rwlock writer: nothing below is left; rwlock reader: no writer below is left.
//!
//! Who created the nodes below does not matter: Curator's and go-zookeeper's contenders are
//! ephemeral-sequential nodes in the same directory, listed and walked like ours, and they
//! too only ever delete their nodes. A release of ours that is folded into the next create's
//! transaction may touch the node before deleting it: a watcher then sees a data change, not
//! a deletion, and reads the node again (`NoNode`), which is why every data change makes the
//! walk look again rather than move on. Someone else's data change (a revocation request,
//! say) leaves the node in place and the waiter watching it again.
//!
//! A woken waiter also reads, in the same round trip, the few contenders below the one it
//! watched that it never saw go (other sessions' nodes), and its own node. Where that would
//! be more reads than a listing of the queue is worth (a short queue that every session
//! churns through), it lists instead: the walk is what makes long queues cheap, and a listing
//! of a short one is cheap already.
//!
//! The walk is not trusted, and the directory is listed again, after any session transition
//! (suspended, reconnected: events may have been missed; a lost session starts over with a
//! new node), after an event a data watch cannot explain, and for recipes whose predicate
//! needs more than the nearest blocker below ([`Recipe::blocks`](super::Recipe::blocks) is `None`: they list on every
//! wake). A waiter about to hold after a walk reads its own node first: someone may have
//! deleted it while it waited, and it then queues again rather than hold without a node.
//!
//! The one assumption is the one Curator's recipes make too: contenders are created as
//! sequential nodes. A node created later with a name that happens to sort below ours would
//! be seen by no walker.
//!
//! # Shared by the waiters of a session
//!
//! What is known is kept once per session and directory, not per waiter: every waiter of the
//! session adds to it and reads from it, so memory grows with the queue, not with its square,
//! and a deletion one waiter saw spares the others the read. A waiter may use any listing
//! the server answered after its own create; listings of one directory go out one at a time,
//! and creates sent while one is on its way share the next, so thousands queueing at once
//! cause a few listings rather than thousands.

use super::naming::Contender;
use crate::error::{Error, ZkErrorCode};
use crate::session::releases::sequence_of;
use crate::session::{missing_is_none, Epoch};
use dashmap::DashMap;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::watch;

/// A contender, ordered as the recipe sorts them: by the text after its marker, then by name.
/// Waiters share the view's copy of a name rather than keep their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    name: Arc<str>,
    key_at: u32,
}

impl Entry {
    fn sort_key(&self) -> &str {
        &self.name[self.key_at as usize..]
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key()
            .cmp(other.sort_key())
            .then_with(|| self.name.cmp(&other.name))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Our own node's place in the view.
#[derive(Debug, Clone)]
pub(super) struct Position {
    entry: Entry,
    marker: usize,
}

impl Position {
    /// The entry, taken out.
    pub(super) fn into_entry(self) -> Entry {
        self.entry
    }

    /// Our node's entry.
    pub(super) fn entry(&self) -> &Entry {
        &self.entry
    }

    /// The index of our node's marker.
    pub(super) fn marker(&self) -> usize {
        self.marker
    }
}

type ViewKey = (Arc<str>, Box<[&'static str]>);

/// The views of one epoch, one per directory and recipe, kept while some waiter uses them.
#[derive(Debug, Default)]
pub(crate) struct Views {
    entries: Arc<DashMap<ViewKey, Weak<QueueView>>>,
}

impl Views {
    /// The view of `dir` for `markers`, shared with every waiter using it.
    pub(crate) fn get(&self, dir: &str, markers: &[&'static str]) -> Arc<QueueView> {
        let key: ViewKey = (Arc::from(dir), markers.into());
        let mut slot = self.entries.entry(key.clone()).or_default();
        if let Some(view) = slot.upgrade() {
            return view;
        }
        let view = Arc::new(QueueView {
            key,
            registry: Arc::downgrade(&self.entries),
            state: Mutex::new(State::new(markers.len())),
            merged: watch::channel(Merged::default()).0,
        });
        *slot = Arc::downgrade(&view);
        view
    }

    /// The server deleted `path` for us: every view of its directory forgets it.
    pub(crate) fn deleted(&self, path: &str) {
        let Some((dir, name)) = path.rsplit_once('/') else {
            return;
        };
        // Collected first: a view dropped while the map is being read would deadlock on it.
        let views: Vec<Arc<QueueView>> = self
            .entries
            .iter()
            .filter(|entry| &*entry.key().0 == dir)
            .filter_map(|entry| entry.value().upgrade())
            .collect();
        for view in views {
            view.forget(name);
        }
    }
}

/// What one epoch's waiters know of one recipe directory.
#[derive(Debug)]
pub(crate) struct QueueView {
    key: ViewKey,
    registry: Weak<DashMap<ViewKey, Weak<QueueView>>>,
    state: Mutex<State>,
    merged: watch::Sender<Merged>,
}

#[derive(Debug)]
struct State {
    /// The contenders believed to exist, one set per marker.
    by_marker: Vec<BTreeSet<Entry>>,
    /// Sequence numbers of the other children (other recipes' nodes), believed to exist.
    others: BTreeSet<i32>,
    /// Listings go out one at a time: whether one is on its way, and the number of the next
    /// one if waiters are already waiting for it.
    in_flight: bool,
    pending: Option<u64>,
    next: u64,
}

impl State {
    fn new(markers: usize) -> State {
        State {
            by_marker: vec![BTreeSet::new(); markers],
            others: BTreeSet::new(),
            in_flight: false,
            pending: None,
            next: 1,
        }
    }
}

/// Which listings have been merged, and the last one that failed.
#[derive(Debug, Clone, Default)]
struct Merged {
    done: u64,
    failed: Option<(u64, Error)>,
}

/// A listing to wait for, sent after the call that asked for it.
pub(super) enum Cover {
    /// Nothing is on its way: the caller sends the listing itself, now.
    Own(OwnListing),
    /// A listing not sent yet, shared with other waiters: wait for it with
    /// [`QueueView::covered`].
    Shared(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Own(u64),
    Shared(u64),
}

/// The right, and the duty, to send the view's next listing. Dropping it unsent or unmerged
/// lets the next listing go.
pub(super) struct OwnListing {
    view: Arc<QueueView>,
    epoch: Arc<Epoch>,
    generation: u64,
}

impl OwnListing {
    /// Merges the children the listing returned (`None`: the directory does not exist).
    pub(super) fn merge(self, children: Option<Vec<String>>) {
        self.view
            .merge(self.generation, Ok(children.unwrap_or_default()));
    }
}

impl Drop for OwnListing {
    fn drop(&mut self) {
        self.view.listing_done(&self.epoch);
    }
}

impl QueueView {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn dir(&self) -> &str {
        &self.key.0
    }

    fn markers(&self) -> &[&'static str] {
        &self.key.1
    }

    /// Asks for a listing that the server answers after every request the caller has sent so
    /// far.
    pub(super) fn cover(self: &Arc<Self>, epoch: &Arc<Epoch>) -> Cover {
        match self.ask() {
            Asked::Own(generation) => Cover::Own(OwnListing {
                view: self.clone(),
                epoch: epoch.clone(),
                generation,
            }),
            Asked::Shared(generation) => Cover::Shared(generation),
        }
    }

    fn ask(&self) -> Asked {
        let mut state = self.lock();
        if let Some(generation) = state.pending {
            return Asked::Shared(generation);
        }
        let generation = state.next;
        state.next += 1;
        if state.in_flight {
            state.pending = Some(generation);
            return Asked::Shared(generation);
        }
        state.in_flight = true;
        Asked::Own(generation)
    }

    /// Resolves once listing `generation` (or a later one) is merged.
    ///
    /// # Errors
    ///
    /// The listing's error, or the epoch's end.
    pub(super) async fn covered(&self, generation: u64) -> Result<(), Error> {
        let mut merged = self.merged.subscribe();
        let merged = merged
            .wait_for(|m| m.done >= generation)
            .await
            .map_err(|_| Error::SessionLost)?;
        match &merged.failed {
            Some((failed, error)) if *failed == generation => Err(error.clone()),
            _ => Ok(()),
        }
    }

    /// A listing has been merged or given up: let the next one go.
    fn listing_done(self: &Arc<Self>, epoch: &Arc<Epoch>) {
        let mut state = self.lock();
        state.in_flight = false;
        if state.pending.is_some() {
            state.in_flight = true;
            tokio::spawn(self.clone().send_pending(epoch.clone()));
        }
    }

    /// Sends the pending listings, one after the other, until none is asked for.
    async fn send_pending(self: Arc<Self>, epoch: Arc<Epoch>) {
        loop {
            let (generation, first) = {
                let mut state = self.lock();
                let Some(generation) = state.pending.take() else {
                    state.in_flight = false;
                    return;
                };
                // Sent while the view is locked: nobody joins a listing already on its way.
                (generation, epoch.backend().get_children(self.dir()))
            };
            let listed = match epoch.call(first).await {
                Ok(Err(ZkErrorCode::ConnectionLoss | ZkErrorCode::Timeout)) => {
                    epoch.children(self.dir()).await
                }
                Ok(reply) => missing_is_none("get_children", self.dir(), reply),
                Err(ended) => Err(ended),
            };
            self.merge(generation, listed.map(Option::unwrap_or_default));
        }
    }

    /// Replaces what is believed with a listing: listings go out one at a time, so each is
    /// newer than every one merged before it.
    fn merge(&self, generation: u64, listed: Result<Vec<String>, Error>) {
        let failed = match listed {
            Ok(children) => {
                let mut by_marker = vec![Vec::new(); self.markers().len()];
                let mut others = Vec::new();
                for name in children {
                    let sequence = sequence_of(&name);
                    match Contender::parse(name, self.markers()) {
                        Some(contender) => by_marker[contender.marker()].push(entry_of(contender)),
                        None => others.extend(sequence),
                    }
                }
                let by_marker = by_marker.into_iter().map(BTreeSet::from_iter).collect();
                let mut state = self.lock();
                state.by_marker = by_marker;
                state.others = BTreeSet::from_iter(others);
                None
            }
            Err(error) => Some((generation, error)),
        };
        self.merged.send_modify(|merged| {
            merged.done = merged.done.max(generation);
            if failed.is_some() {
                merged.failed = failed;
            }
        });
    }

    /// Our node's place, or `None` for a name that is not one of the recipe's.
    pub(super) fn position(&self, name: &str) -> Option<Position> {
        let contender = Contender::parse(name.to_owned(), self.markers())?;
        let marker = contender.marker();
        let probe = entry_of(contender);
        let shared = self.lock().by_marker[marker].get(&probe).cloned();
        Some(Position {
            entry: shared.unwrap_or(probe),
            marker,
        })
    }

    /// Whether our node is still believed to exist.
    pub(super) fn contains(&self, me: &Position) -> bool {
        self.lock().by_marker[me.marker].contains(&me.entry)
    }

    /// The contenders below `me` that block it and are believed to exist, nearest first, at
    /// most `limit` of them.
    pub(super) fn blockers(
        &self,
        me: &Position,
        blocks: impl Fn(usize) -> bool,
        limit: usize,
    ) -> Vec<Entry> {
        let state = self.lock();
        let mut found: Vec<Entry> = state
            .by_marker
            .iter()
            .enumerate()
            .filter(|(marker, _)| blocks(*marker))
            .flat_map(|(_, set)| set.range(..&me.entry).rev().take(limit))
            .cloned()
            .collect();
        found.sort_unstable_by(|a, b| b.cmp(a));
        found.truncate(limit);
        found
    }

    /// How many contenders are believed to exist.
    pub(super) fn len(&self) -> usize {
        self.lock().by_marker.iter().map(BTreeSet::len).sum()
    }

    /// Whether nothing at all (no contender, no other child) is believed to sort below `me`.
    pub(super) fn first_of_all(&self, me: &Position) -> bool {
        let state = self.lock();
        let none_below = state
            .by_marker
            .iter()
            .all(|set| set.range(..&me.entry).next().is_none());
        none_below
            && sequence_of(me.entry.name())
                .is_some_and(|mine| state.others.range(..mine).next().is_none())
    }

    /// Every contender believed to exist, sorted, for a recipe that decides over the queue.
    pub(super) fn contenders(&self) -> Vec<Contender> {
        let names = self
            .lock()
            .by_marker
            .iter()
            .flatten()
            .map(|e| e.name.to_string())
            .collect();
        super::sort_contenders(names, self.markers())
    }

    /// A contender is known to be gone.
    pub(super) fn gone(&self, entry: &Entry) {
        let mut state = self.lock();
        for set in &mut state.by_marker {
            if set.remove(entry) {
                return;
            }
        }
    }

    /// A child of the directory, of any kind, is known to be gone.
    fn forget(&self, name: &str) {
        match Contender::parse(name.to_owned(), self.markers()) {
            Some(contender) => self.gone(&entry_of(contender)),
            None => {
                if let Some(sequence) = sequence_of(name) {
                    self.lock().others.remove(&sequence);
                }
            }
        }
    }
}

impl Drop for QueueView {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            registry.remove_if(&self.key, |_, view| view.strong_count() == 0);
        }
    }
}

fn entry_of(contender: Contender) -> Entry {
    let key_at = contender.sort_key_at() as u32;
    Entry {
        name: contender.into_name().into(),
        key_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(Entry::name).collect()
    }

    fn position(view: &QueueView, name: &str) -> Position {
        view.position(name).expect("a contender")
    }

    fn view(markers: &[&'static str], children: &[&str]) -> Arc<QueueView> {
        let views = Views::default();
        let view = views.get("/d", markers);
        view.merge(1, Ok(children.iter().map(|c| c.to_string()).collect()));
        view
    }

    #[test]
    fn the_blocker_is_the_nearest_one_below_that_blocks() {
        let view = view(
            &["__READ__", "__WRIT__"],
            &[
                "_c_a-__WRIT__0000000001",
                "_c_b-__READ__0000000002",
                "_c_c-__READ__0000000003",
                "other-0000000004",
            ],
        );
        let reader = position(&view, "_c_c-__READ__0000000003");
        let writer_only = |marker: usize| marker == 1;
        let blockers = view.blockers(&reader, writer_only, 8);
        assert_eq!(names(&blockers), ["_c_a-__WRIT__0000000001"]);
        assert_eq!(
            names(&view.blockers(&reader, |_| true, 8)),
            ["_c_b-__READ__0000000002", "_c_a-__WRIT__0000000001"]
        );
        assert_eq!(
            names(&view.blockers(&reader, |_| true, 1)),
            ["_c_b-__READ__0000000002"]
        );
        view.gone(&blockers[0]);
        assert!(view.blockers(&reader, writer_only, 8).is_empty());
        assert!(!view.first_of_all(&reader), "a reader is still below");
    }

    #[test]
    fn other_children_below_keep_a_node_from_being_first_of_all() {
        let view = view(&["lock-"], &["x-0000000001", "_c_a-lock-0000000002"]);
        let me = position(&view, "_c_a-lock-0000000002");
        assert!(view.blockers(&me, |_| true, 8).is_empty());
        assert!(!view.first_of_all(&me));
        view.merge(2, Ok(vec!["_c_a-lock-0000000002".into()]));
        assert!(view.first_of_all(&me));
    }

    #[test]
    fn a_newer_listing_replaces_what_was_believed() {
        let view = view(
            &["lock-"],
            &["_c_a-lock-0000000001", "_c_b-lock-0000000002"],
        );
        let me = position(&view, "_c_b-lock-0000000002");
        view.merge(2, Ok(vec!["_c_b-lock-0000000002".into()]));
        assert!(view.blockers(&me, |_| true, 8).is_empty());
        view.gone(me.entry());
        assert!(!view.contains(&me));
    }

    #[test]
    fn views_are_shared_while_used_and_forgotten_after() {
        let views = Views::default();
        let one = views.get("/d", &["lock-"]);
        let two = views.get("/d", &["lock-"]);
        assert!(Arc::ptr_eq(&one, &two));
        assert!(!Arc::ptr_eq(&one, &views.get("/e", &["lock-"])));
        let entry = one.position("_c_a-lock-0000000001").unwrap().into_entry();
        one.merge(1, Ok(vec![entry.name().to_owned()]));
        views.deleted("/d/_c_a-lock-0000000001");
        let later = two.position("_c_b-lock-0000000002").unwrap();
        assert!(two.blockers(&later, |_| true, 8).is_empty());
        drop((one, two));
        assert!(views.entries.is_empty());
    }

    #[tokio::test]
    async fn creates_sent_while_a_listing_is_on_its_way_share_the_next() {
        let view = Views::default().get("/d", &["lock-"]);
        assert_eq!(view.ask(), Asked::Own(1));
        assert_eq!(view.ask(), Asked::Shared(2));
        assert_eq!(view.ask(), Asked::Shared(2));
        view.merge(2, Ok(vec!["_c_a-lock-0000000001".into()]));
        view.covered(2).await.unwrap();
        let me = position(&view, "_c_a-lock-0000000001");
        assert!(view.contains(&me));
    }

    #[tokio::test]
    async fn a_failed_listing_fails_its_waiters_only() {
        let view = Views::default().get("/d", &["lock-"]);
        view.merge(1, Ok(vec![]));
        view.merge(2, Err(Error::SessionLost));
        assert!(view.covered(1).await.is_ok());
        assert!(view.covered(2).await.is_err());
    }
}
