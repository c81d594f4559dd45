//! Helpers shared by the election tests.
#![allow(dead_code, unreachable_pub)]

#[allow(unused_imports)]
pub use zk_sync_core::test_util::*;

use std::time::Duration;
use tokio::sync::watch;
use zk_sync_election::{LeaderElection, LeaderInfo};

/// A participant `id` in its own session.
pub async fn participant(connect_string: &str, path: &str, id: &str) -> LeaderElection {
    let session = session_to(connect_string, Duration::from_secs(4)).await;
    LeaderElection::new(session, path, id).unwrap()
}

/// The next value an observer announces: the leader's participant id, or `None`.
pub async fn next_leader(observer: &mut watch::Receiver<Option<LeaderInfo>>) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(10), observer.changed())
        .await
        .expect("observer announced a change")
        .expect("observer channel open");
    let leader = observer.borrow_and_update();
    leader.as_ref().map(|l| l.participant_id().to_owned())
}
