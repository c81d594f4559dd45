//! Every future a user awaits is `Send` (checked at compile time, like tokio's own test).
#![allow(dead_code, clippy::diverging_sub_expression, unreachable_code)]

use std::sync::Arc;
use zk_sync_core::contender::Exclusive;
use zk_sync_core::{ContenderQueue, Epoch, Hold, NodeWatch, Session, SessionBuilder, WatchKind};

fn require_send<T: Send>(_: &T) {}
fn require_sync<T: Sync>(_: &T) {}

fn futures_are_send(
    session: Session,
    queue: ContenderQueue,
    hold: Hold,
    epoch: Arc<Epoch>,
    watch: NodeWatch,
    builder: SessionBuilder,
) {
    require_send(&Session::connect("127.0.0.1:2181"));
    require_send(&builder.connect());
    require_send(&session.live_epoch());
    require_send(&session.close());
    require_send(&session.watch(&epoch, WatchKind::Data, "/a"));
    require_send(&queue.acquire(&Exclusive::LOCK, 0, b""));
    require_send(&queue.try_acquire(&Exclusive::LOCK, 0, b""));
    require_send(&queue.contenders(&Exclusive::LOCK));
    require_send(&hold.uncertain());
    require_send(&hold.lost());
    require_send(&epoch.ended());
    require_send(&watch.changed());
    require_send(&hold.release());
}

fn types_are_send_and_sync(session: Session, queue: ContenderQueue, hold: Hold) {
    require_send(&session);
    require_sync(&session);
    require_send(&queue);
    require_sync(&queue);
    require_send(&hold);
    require_sync(&hold);
}

#[test]
fn compiles() {}
