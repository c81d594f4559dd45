//! `zk_sync::Error` on a real ZooKeeper: every primitive's operations go through `?` into it,
//! and the errors they really produce (a lock held elsewhere, no permits, a misused barrier,
//! a closed, suspended or expired session) answer the questions a caller asks.

use std::time::Duration;
use zk_sync::{
    Barrier, DistMutex, DistRwLock, DistSemaphore, DoubleBarrier, FencingToken, InvalidArgument,
    LeaderElection, LossReason, Session,
};
use zk_sync_core::test_util::{session_to, unique_path, wait_for_state};
use zk_sync_testkit::{FaultProxy, ZkServer};

const TIMEOUT: Duration = Duration::from_secs(4);

async fn session() -> Session {
    session_to(&ZkServer::shared().connect_string(), TIMEOUT).await
}

/// Every primitive, one after the other, with `?` and nothing else: the point is that it
/// compiles with one error type. Returns the fencing token of each hold, in order.
async fn every_primitive(session: Session, path: &str) -> zk_sync::Result<Vec<FencingToken>> {
    let mut tokens = Vec::new();

    let mutex = DistMutex::new(session.clone(), &format!("{path}/mutex"))?;
    let guard = mutex.lock().await?;
    guard.ensure_held()?;
    tokens.push(guard.fencing_token());
    guard.unlock().await?;
    let guard = mutex.try_lock().await?;
    tokens.push(guard.fencing_token());
    guard.unlock().await?;

    let rwlock = DistRwLock::new(session.clone(), &format!("{path}/rwlock"))?;
    let reader = rwlock.try_read().await?;
    tokens.push(reader.fencing_token());
    reader.unlock().await?;
    let writer = rwlock.write().await?;
    tokens.push(writer.fencing_token());
    writer.unlock().await?;

    let election = LeaderElection::new(session.clone(), &format!("{path}/election"), "facade")?;
    let leadership = election.campaign().await?;
    leadership.certain().await?;
    tokens.push(
        leadership
            .run_while_leader(async { leadership.fencing_token() })
            .await?,
    );
    leadership.resign().await?;

    let double = DoubleBarrier::new(session.clone(), &format!("{path}/double-barrier"), 1)?;
    double.enter().await?;
    double.leave().await?;
    let barrier = Barrier::new(session.clone(), &format!("{path}/barrier"))?;
    barrier.set().await?;
    barrier.remove().await?;
    barrier.wait().await?;

    let semaphore = DistSemaphore::new(session, &format!("{path}/semaphore"), 2)?;
    let permit = semaphore.try_acquire().await?;
    tokens.push(permit.fencing_token());
    permit.release().await?;
    Ok(tokens)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_primitive_goes_through_one_error_type() {
    let tokens = every_primitive(session().await, &unique_path("facade/every"))
        .await
        .unwrap();
    assert_eq!(tokens.len(), 6);
    // A node's czxid comes from one counter for the whole ensemble: holds taken one after the
    // other carry increasing tokens, whichever lock they are of.
    assert!(
        tokens.windows(2).all(|pair| pair[0] < pair[1]),
        "tokens in order: {tokens:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_elsewhere_is_would_block() {
    async fn try_lock(mutex: &DistMutex) -> zk_sync::Result<()> {
        mutex.try_lock().await?.unlock().await?;
        Ok(())
    }
    async fn try_write(rwlock: &DistRwLock) -> zk_sync::Result<()> {
        rwlock.try_write().await?.unlock().await?;
        Ok(())
    }

    let path = unique_path("facade/would-block");
    let holder = DistMutex::new(session().await, &path).unwrap();
    let held = holder.lock().await.unwrap();

    let error = try_lock(&DistMutex::new(session().await, &path).unwrap())
        .await
        .unwrap_err();
    assert!(error.is_would_block(), "{error:?}");
    assert!(!error.is_hold_lost() && !error.is_session_lost() && !error.is_connection());
    assert_eq!(error.to_string(), "lock is held elsewhere");
    held.unlock().await.unwrap();

    let path = unique_path("facade/would-block-rw");
    let reader = DistRwLock::new(session().await, &path).unwrap();
    let read = reader.read().await.unwrap();
    let error = try_write(&DistRwLock::new(session().await, &path).unwrap())
        .await
        .unwrap_err();
    assert!(error.is_would_block(), "{error:?}");
    read.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_semaphore_without_free_permits_is_would_block() {
    async fn try_acquire(semaphore: &DistSemaphore) -> zk_sync::Result<()> {
        semaphore.try_acquire().await?.release().await?;
        Ok(())
    }

    let path = unique_path("facade/no-permits");
    let holder = DistSemaphore::new(session().await, &path, 1).unwrap();
    let permit = holder.acquire().await.unwrap();
    let error = try_acquire(&DistSemaphore::new(session().await, &path, 1).unwrap())
        .await
        .unwrap_err();
    assert!(error.is_would_block(), "{error:?}");
    assert_eq!(error.to_string(), "no permits available");
    permit.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_and_barrier_misuse_are_told_apart() {
    let session = session().await;

    let error = zk_sync::Error::from(DistMutex::new(session.clone(), "locks/orders").unwrap_err());
    assert!(error.is_invalid_argument());
    assert_eq!(
        error.invalid_argument(),
        Some(&InvalidArgument::RelativePath("locks/orders".into()))
    );

    let error = zk_sync::Error::from(
        DoubleBarrier::new(session.clone(), &unique_path("facade/zero"), 0).unwrap_err(),
    );
    assert!(error.is_invalid_argument(), "{error:?}");
    assert!(matches!(error, zk_sync::Error::Barrier(_)));

    async fn leave_without_entering(barrier: &DoubleBarrier) -> zk_sync::Result<()> {
        barrier.leave().await?;
        Ok(())
    }
    let barrier = DoubleBarrier::new(session, &unique_path("facade/misuse"), 2).unwrap();
    let error = leave_without_entering(&barrier).await.unwrap_err();
    assert!(matches!(error, zk_sync::Error::Barrier(_)), "{error:?}");
    assert!(!error.is_invalid_argument() && !error.is_session_lost());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_session_is_closed_whichever_primitive_asks() {
    async fn lock(mutex: &DistMutex) -> zk_sync::Result<()> {
        mutex.lock().await?.unlock().await?;
        Ok(())
    }
    async fn enter(barrier: &DoubleBarrier) -> zk_sync::Result<()> {
        barrier.enter().await?;
        Ok(())
    }

    let session = session().await;
    let mutex = DistMutex::new(session.clone(), &unique_path("facade/closed")).unwrap();
    let barrier = DoubleBarrier::new(session.clone(), &unique_path("facade/closed"), 1).unwrap();
    session.close().await;

    let error = lock(&mutex).await.unwrap_err();
    assert!(error.is_closed() && error.is_hold_lost(), "{error:?}");
    assert!(matches!(error, zk_sync::Error::Zk(_)));
    let error = enter(&barrier).await.unwrap_err();
    assert!(error.is_closed(), "{error:?}");
    assert!(
        matches!(error, zk_sync::Error::Zk(_)),
        "ZooKeeper trouble is Error::Zk, even from the barrier: {error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_leader_is_uncertain_and_an_expired_one_has_lost() {
    let server = ZkServer::shared();
    let proxy = FaultProxy::start(server.addr()).unwrap();
    let session = session_to(&proxy.connect_string(), TIMEOUT).await;
    let election =
        LeaderElection::new(session.clone(), &unique_path("facade/leader"), "leader").unwrap();
    let mutex = DistMutex::new(session.clone(), &unique_path("facade/expired")).unwrap();
    let leadership = election.campaign().await.unwrap();
    let guard = mutex.lock().await.unwrap();

    async fn lead(leadership: &zk_sync::Leadership) -> zk_sync::Result<()> {
        leadership
            .run_while_leader(std::future::pending::<()>())
            .await?;
        Ok(())
    }

    proxy.cut();
    let error = lead(&leadership).await.unwrap_err();
    assert!(error.is_uncertain(), "{error:?}");
    assert!(!error.is_hold_lost(), "uncertain is not lost: {error:?}");

    proxy.restore();
    wait_for_state(&session, zk_sync::SessionState::Reconnected, TIMEOUT * 3).await;
    proxy.expire_newest_session().await.unwrap();

    let error = zk_sync::Error::from(guard.lost().await);
    assert!(error.is_session_lost() && error.is_hold_lost(), "{error:?}");
    assert!(matches!(
        error,
        zk_sync::Error::HoldLost(LossReason::SessionLost)
    ));
    let error = zk_sync::Error::from(guard.ensure_held().unwrap_err());
    assert!(error.is_session_lost(), "{error:?}");

    let error = lead(&leadership).await.unwrap_err();
    assert!(error.is_hold_lost() && !error.is_uncertain(), "{error:?}");
}

#[test]
fn the_error_can_cross_threads_and_be_boxed() {
    fn is_send_sync_static<T: Send + Sync + 'static>() {}
    is_send_sync_static::<zk_sync::Error>();
    let boxed: Box<dyn std::error::Error + Send + Sync> =
        Box::new(zk_sync::Error::from(LossReason::Closed));
    assert_eq!(boxed.to_string(), "hold lost: session closed");
}
