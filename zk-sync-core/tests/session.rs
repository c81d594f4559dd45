//! The session state model against a real ZooKeeper, through a fault proxy.

mod common;

use common::{server, session_to, unique_path, wait_for_state};
use std::time::Duration;
use zk_sync_core::contender::{Exclusive, LossReason};
use zk_sync_core::{ContenderQueue, Error, InvalidArgument, SessionState};
use zk_sync_testkit::FaultProxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_suspends_and_restore_reconnects_the_same_session() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = session_to(&proxy.connect_string()).await;
    let queue = ContenderQueue::new(session.clone(), &unique_path("cut"), "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let before = session.status();
    assert_eq!(before.state, SessionState::Connected);
    assert_eq!(before.epoch, 1);
    assert_eq!(before.session_id, hold.session_id());

    proxy.cut();
    wait_for_state(&session, SessionState::Suspended, Duration::from_secs(3)).await;
    tokio::time::timeout(Duration::from_millis(100), hold.uncertain())
        .await
        .expect("hold uncertain");
    proxy.restore();
    wait_for_state(&session, SessionState::Reconnected, Duration::from_secs(5)).await;
    let after = session.status();
    assert_eq!(
        after.session_id, before.session_id,
        "same ZooKeeper session"
    );
    assert_eq!(after.epoch, 1);
    // Certain again once the server has answered in the same session.
    let certain = tokio::time::timeout(Duration::from_secs(1), async {
        while hold.is_uncertain() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    certain.await.expect("hold certain again after reconnect");
    assert!(!hold.is_lost(), "hold still valid after reconnect");
    hold.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackhole_past_the_session_timeout_loses_the_session_and_opens_a_new_epoch() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = session_to(&proxy.connect_string()).await;
    let first = session.status();
    let queue = ContenderQueue::new(session.clone(), &unique_path("blackhole"), "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();

    proxy.blackhole();
    wait_for_state(&session, SessionState::Suspended, Duration::from_secs(5)).await;
    wait_for_state(&session, SessionState::Lost, Duration::from_secs(5)).await;
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(1), hold.lost())
            .await
            .unwrap(),
        LossReason::SessionLost
    );
    assert!(hold.is_lost());
    proxy.restore();
    wait_for_state(&session, SessionState::Connected, Duration::from_secs(10)).await;
    let second = session.status();
    assert_eq!(second.epoch, first.epoch + 1);
    // A hold of the old epoch stays lost: it is never treated as held again.
    assert!(hold.is_lost());
    let old_session = hold.session_id();
    assert!(hold.release().await.unwrap_err().is_session_lost());
    // The queue works in the new epoch, of a new ZooKeeper session.
    let again = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert_eq!(again.epoch(), second.epoch);
    assert_ne!(again.session_id(), old_session, "a new ZooKeeper session");
    again.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_expiry_is_reported_lost_then_a_new_epoch_connects() {
    let proxy = FaultProxy::start(server().addr()).unwrap();
    let session = session_to(&proxy.connect_string()).await;
    let first = session.status();
    let queue = ContenderQueue::new(session.clone(), &unique_path("expire"), "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    // Cut our own path first, so the client cannot win the session back while it is expired.
    proxy.cut();
    proxy.expire_newest_session().await.unwrap();
    proxy.restore();
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), hold.lost())
            .await
            .expect("loss reported"),
        LossReason::SessionLost
    );
    wait_for_state(&session, SessionState::Connected, Duration::from_secs(5)).await;
    assert_eq!(session.status().epoch, first.epoch + 1);
    // Expired session's ephemeral node is gone: the new epoch acquires at once.
    let again = tokio::time::timeout(
        Duration::from_secs(2),
        queue.acquire(&Exclusive::LOCK, 0, b""),
    )
    .await
    .expect("lock free after expiry")
    .unwrap();
    assert!(again.fencing_token() > hold.fencing_token());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_ends_every_clone_and_holds() {
    let session = session_to(&server().connect_string()).await;
    let clone = session.clone();
    let queue = ContenderQueue::new(session.clone(), &unique_path("close"), "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    session.close().await;
    assert_eq!(clone.status().state, SessionState::Closed);
    assert_eq!(hold.lost().await, LossReason::Closed);
    assert!(matches!(clone.live_epoch().await, Err(Error::Closed)));
    assert!(matches!(
        queue.acquire(&Exclusive::LOCK, 0, b"").await,
        Err(Error::Closed)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_nothing_is_a_connect_error_within_the_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = std::time::Instant::now();
    let error = zk_sync_core::test_util::builder(&format!("127.0.0.1:{port}"))
        .connection_timeout(Duration::from_millis(500))
        .connect()
        .await
        .unwrap_err();
    assert!(error.is_connection(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_typed_error_never_a_panic() {
    type Check = fn(&InvalidArgument) -> bool;
    let connect_table: &[(&str, Check)] = &[
        ("", |e| matches!(e, InvalidArgument::ConnectString(_))),
        ("127.0.0.1:notaport", |e| {
            matches!(e, InvalidArgument::ConnectString(_))
        }),
        ("127.0.0.1:0", |e| {
            matches!(e, InvalidArgument::ConnectString(_))
        }),
        ("127.0.0.1:2181/bad/", |e| {
            matches!(e, InvalidArgument::ConnectString(_))
        }),
        ("127.0.0.1:2181,,", |e| {
            matches!(e, InvalidArgument::ConnectString(_))
        }),
    ];
    for (connect, check) in connect_table {
        let error = zk_sync_core::test_util::builder(connect)
            .connect()
            .await
            .unwrap_err();
        assert!(
            error.invalid_argument().is_some_and(check),
            "{connect:?} gave {error:?}"
        );
    }
    let zero = zk_sync_core::test_util::builder(&server().connect_string())
        .session_timeout(Duration::ZERO)
        .connect()
        .await;
    assert!(matches!(
        zero.unwrap_err().invalid_argument(),
        Some(InvalidArgument::ZeroDuration(_))
    ));
    let zero = zk_sync_core::test_util::builder(&server().connect_string())
        .connection_timeout(Duration::ZERO)
        .connect()
        .await;
    assert!(matches!(
        zero.unwrap_err().invalid_argument(),
        Some(InvalidArgument::ZeroDuration(_))
    ));
    let no_acl = zk_sync_core::test_util::builder(&server().connect_string())
        .default_acl(vec![])
        .connect()
        .await;
    assert!(no_acl.unwrap_err().is_invalid_argument());

    let session = session_to(&server().connect_string()).await;
    let path_table: &[(&str, Check)] = &[
        ("", |e| matches!(e, InvalidArgument::EmptyPath)),
        ("/", |e| matches!(e, InvalidArgument::RootPath)),
        ("locks/a", |e| matches!(e, InvalidArgument::RelativePath(_))),
        ("/locks/", |e| {
            matches!(e, InvalidArgument::TrailingSlash(_))
        }),
        ("/locks//a", |e| {
            matches!(e, InvalidArgument::EmptySegment(_))
        }),
        ("/locks/../a", |e| {
            matches!(e, InvalidArgument::RelativeSegment(_))
        }),
        ("/locks/\0", |e| {
            matches!(e, InvalidArgument::ForbiddenCharacter(_))
        }),
    ];
    for (path, check) in path_table {
        let error = ContenderQueue::new(session.clone(), path, "test").unwrap_err();
        assert!(
            error.invalid_argument().is_some_and(check),
            "{path:?} gave {error:?}"
        );
    }
    let queue = ContenderQueue::new(session.clone(), &unique_path("marker"), "test").unwrap();
    let error = queue.acquire(&Exclusive::LOCK, 3, b"").await.unwrap_err();
    assert!(
        matches!(
            error.invalid_argument(),
            Some(InvalidArgument::RecipeName(_))
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_auth_and_creator_acl_protect_nodes_from_other_sessions() {
    use zk_sync_core::backend::{Acl, NodeKind};
    let owner = zk_sync_core::test_util::builder(&server().connect_string())
        .digest_auth("alice", "secret")
        .default_acl(vec![Acl::creator_all()])
        .connect()
        .await
        .unwrap();
    let dir = unique_path("acl");
    let queue = ContenderQueue::new(owner.clone(), &dir, "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    let stranger = session_to(&server().connect_string()).await;
    let epoch = stranger.live_epoch().await.unwrap();
    let denied = epoch
        .backend()
        .create(
            &format!("{dir}/x"),
            b"",
            NodeKind::Persistent,
            &[Acl::anyone_all()],
        )
        .await;
    assert_eq!(denied.unwrap_err(), zk_sync_core::ZkErrorCode::NoAuth);
    let error = ContenderQueue::new(stranger.clone(), &dir, "test")
        .unwrap()
        .acquire(&Exclusive::LOCK, 0, b"")
        .await
        .unwrap_err();
    assert!(error.is_no_auth(), "{error:?}");
    hold.release().await.unwrap();
}

/// The server stops answering a connected session (the keep-alive read's reply is held back)
/// until its lease runs out. The hold is lost, and since late answers never revive a lease,
/// the session is given up for a new one: the next hold is certain again (not lost at once,
/// over and over, in a session that stays connected).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lease_that_runs_out_while_connected_ends_the_epoch_and_the_next_hold_is_certain() {
    use zk_sync_core::backend::fault::{FaultAction, FaultPlan, Op};
    let plan = FaultPlan::new();
    let session = common::session_following(
        &server().connect_string(),
        Duration::from_millis(1500),
        &plan,
    )
    .await;
    let queue = ContenderQueue::new(session.clone(), &unique_path("silent"), "test").unwrap();
    let hold = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    // The keep-alive read, a third of the timeout in: answered only long after the lease.
    plan.inject_next(Op::GetData, FaultAction::DelayReply(Duration::from_secs(4)));
    let told = tokio::time::timeout(Duration::from_secs(5), async {
        while hold.ensure_held().is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    told.await.expect("the hold's lease runs out");
    assert!(hold.ensure_held().unwrap_err().is_session_lost());
    let mut status = session.watch_status();
    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| s.epoch == 2 && s.state == SessionState::Connected),
    )
    .await
    .expect("a new session")
    .unwrap();
    let again = queue.acquire(&Exclusive::LOCK, 0, b"").await.unwrap();
    assert_eq!(again.epoch(), 2);
    tokio::time::sleep(Duration::from_millis(700)).await;
    again
        .ensure_held()
        .expect("a hold of the new session is certain");
    again.release().await.unwrap();
}
