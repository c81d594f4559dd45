//! A backend wrapper that injects faults at chosen calls, over a real ZooKeeper session.
//!
//! Tests use it to lose a reply at an exact step (the request reached the server, the caller
//! sees `ConnectionLoss`), to slow a reply down so a future can be cancelled mid-request, or to
//! declare a session expired while the server keeps it (and its nodes) alive.

use super::{
    Acl, Backend, BackendState, ConnectConfig, Connector, Created, NodeKind, Reply, Stat,
    WatchFuture,
};
use crate::error::ZkErrorCode;
use futures::FutureExt;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// A request kind a fault can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `create`, also a create that carries deletes
    /// ([`Backend::create_after_deletes`])
    Create,
    /// `delete`
    Delete,
    /// `setData`
    SetData,
    /// `getData` (with or without watch)
    GetData,
    /// `exists` with watch
    Exists,
    /// `getChildren` (with or without watch)
    GetChildren,
}

/// What happens to the targeted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Nothing happens: lets a call through so that a later fault hits the next one.
    Pass,
    /// The request is never sent; the caller gets `ConnectionLoss`.
    ConnectionLossBeforeSend,
    /// The request is sent and applied; its reply is replaced by `ConnectionLoss`.
    ConnectionLossAfterSend,
    /// The request is sent; its reply is handed over only after this delay.
    DelayReply(Duration),
    /// The request is sent and applied, no reply is ever handed over, and this backend reports
    /// its session expired, while the real session (and its ephemeral nodes) stays alive on
    /// the server until [`FaultPlan::release_retained`].
    ExpireAfterSend,
}

#[derive(Debug, Default)]
struct PlanState {
    armed: HashMap<Op, Vec<FaultAction>>,
    calls: HashMap<Op, usize>,
    retained: Vec<Arc<dyn Backend>>,
}

/// The faults to inject, shared by the test and every backend of a [`FaultyConnector`].
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    state: Arc<Mutex<PlanState>>,
}

impl FaultPlan {
    /// An empty plan.
    pub fn new() -> FaultPlan {
        FaultPlan::default()
    }

    /// The next call of `op` (on any backend of this plan) suffers `action`. Faults queue up
    /// per op in the order injected.
    pub fn inject_next(&self, op: Op, action: FaultAction) {
        self.lock().armed.entry(op).or_default().push(action);
    }

    /// How many `op` calls were made so far.
    pub fn calls(&self, op: Op) -> usize {
        self.lock().calls.get(&op).copied().unwrap_or(0)
    }

    /// Whether faults are still waiting for their call.
    pub fn has_pending(&self) -> bool {
        self.lock().armed.values().any(|queue| !queue.is_empty())
    }

    /// Lets the sessions kept alive by [`FaultAction::ExpireAfterSend`] close.
    pub fn release_retained(&self) {
        self.lock().retained.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PlanState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts back a fault taken for a call that was not made after all.
    fn untake(&self, op: Op, action: Option<FaultAction>) {
        let mut state = self.lock();
        *state.calls.entry(op).or_default() -= 1;
        if let Some(action) = action {
            state.armed.entry(op).or_default().insert(0, action);
        }
    }

    fn take(&self, op: Op) -> Option<FaultAction> {
        let mut state = self.lock();
        *state.calls.entry(op).or_default() += 1;
        let queue = state.armed.get_mut(&op)?;
        (!queue.is_empty()).then(|| queue.remove(0))
    }
}

/// A [`Connector`] whose backends follow a [`FaultPlan`].
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> zk_sync_core::Result<()> {
/// use zk_sync_core::backend::fault::{FaultAction, FaultPlan, FaultyConnector, Op};
/// use zk_sync_core::Session;
///
/// let plan = FaultPlan::new();
/// let session = Session::builder("127.0.0.1:2181")
///     .connector(FaultyConnector::new(plan.clone()))
///     .connect()
///     .await?;
/// plan.inject_next(Op::Create, FaultAction::ConnectionLossAfterSend);
/// # drop(session); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FaultyConnector {
    inner: Arc<dyn Connector>,
    plan: FaultPlan,
}

impl FaultyConnector {
    /// Wraps the default `zookeeper-client` connector.
    pub fn new(plan: FaultPlan) -> FaultyConnector {
        FaultyConnector::wrap(super::ZookeeperClientConnector::default(), plan)
    }

    /// Wraps any connector.
    pub fn wrap(inner: impl Connector, plan: FaultPlan) -> FaultyConnector {
        FaultyConnector {
            inner: Arc::new(inner),
            plan,
        }
    }
}

#[async_trait::async_trait]
impl Connector for FaultyConnector {
    async fn connect(&self, config: &ConnectConfig) -> Result<Arc<dyn Backend>, ZkErrorCode> {
        let inner = self.inner.connect(config).await?;
        let (state_tx, state_rx) = watch::channel(*inner.state().borrow());
        let state_tx = Arc::new(state_tx);
        let mut inner_state = inner.state();
        let forward = state_tx.clone();
        tokio::spawn(async move {
            while inner_state.changed().await.is_ok() {
                let state = *inner_state.borrow_and_update();
                // A faked expiry is final, whatever the real session does next.
                if forward.borrow().is_terminal() || forward.send(state).is_err() {
                    break;
                }
            }
        });
        Ok(Arc::new(FaultyBackend {
            inner,
            plan: self.plan.clone(),
            state_tx,
            state_rx,
        }))
    }
}

struct FaultyBackend {
    inner: Arc<dyn Backend>,
    plan: FaultPlan,
    state_tx: Arc<watch::Sender<BackendState>>,
    state_rx: watch::Receiver<BackendState>,
}

impl fmt::Debug for FaultyBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyBackend")
            .field("inner", &self.inner)
            .finish()
    }
}

impl FaultyBackend {
    /// Applies the plan to one request: `send` sends it and returns its reply future.
    fn apply<'r, T: Send + 'r>(&self, op: Op, send: impl FnOnce() -> Reply<'r, T>) -> Reply<'r, T> {
        self.suffer(self.plan.take(op), send)
    }

    /// Sends a request through `send` as `action` says.
    fn suffer<'r, T: Send + 'r>(
        &self,
        action: Option<FaultAction>,
        send: impl FnOnce() -> Reply<'r, T>,
    ) -> Reply<'r, T> {
        match action {
            None | Some(FaultAction::Pass) => send(),
            Some(FaultAction::ConnectionLossBeforeSend) => {
                async { Err(ZkErrorCode::ConnectionLoss) }.boxed()
            }
            Some(FaultAction::ConnectionLossAfterSend) => {
                let reply = send();
                async move {
                    let _ = reply.await;
                    Err(ZkErrorCode::ConnectionLoss)
                }
                .boxed()
            }
            Some(FaultAction::DelayReply(delay)) => {
                let reply = send();
                async move {
                    let out = reply.await;
                    tokio::time::sleep(delay).await;
                    out
                }
                .boxed()
            }
            Some(FaultAction::ExpireAfterSend) => {
                let reply = send();
                self.plan.lock().retained.push(self.inner.clone());
                let state = self.state_tx.clone();
                async move {
                    let _ = reply.await;
                    state.send_replace(BackendState::Expired);
                    std::future::pending().await
                }
                .boxed()
            }
        }
    }
}

impl Backend for FaultyBackend {
    fn session_id(&self) -> i64 {
        self.inner.session_id()
    }

    fn session_timeout(&self) -> Duration {
        self.inner.session_timeout()
    }

    fn state(&self) -> watch::Receiver<BackendState> {
        self.state_rx.clone()
    }

    fn create<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Reply<'a, Created> {
        self.apply(Op::Create, || self.inner.create(path, data, kind, acl))
    }

    fn create_after_deletes<'a>(
        &'a self,
        deletes: &[&str],
        touchable: Option<&str>,
        path: &'a str,
        data: &'a [u8],
        kind: NodeKind,
        acl: &'a [Acl],
    ) -> Option<Reply<'a, Created>> {
        let action = self.plan.take(Op::Create);
        if action == Some(FaultAction::ConnectionLossBeforeSend) {
            return Some(async { Err(ZkErrorCode::ConnectionLoss) }.boxed());
        }
        let Some(reply) = self
            .inner
            .create_after_deletes(deletes, touchable, path, data, kind, acl)
        else {
            self.plan.untake(Op::Create, action);
            return None;
        };
        Some(self.suffer(action, || reply))
    }

    fn delete(&self, path: &str, version: Option<i32>) -> Reply<'static, ()> {
        self.apply(Op::Delete, || self.inner.delete(path, version))
    }

    fn set_data<'a>(
        &'a self,
        path: &'a str,
        data: &'a [u8],
        version: Option<i32>,
    ) -> Reply<'a, Stat> {
        self.apply(Op::SetData, || self.inner.set_data(path, data, version))
    }

    fn get_data<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat)> {
        self.apply(Op::GetData, || self.inner.get_data(path))
    }

    fn get_data_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<u8>, Stat, WatchFuture)> {
        self.apply(Op::GetData, || self.inner.get_data_watch(path))
    }

    fn exists_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Option<Stat>, WatchFuture)> {
        self.apply(Op::Exists, || self.inner.exists_watch(path))
    }

    fn get_children<'a>(&'a self, path: &'a str) -> Reply<'a, Vec<String>> {
        self.apply(Op::GetChildren, || self.inner.get_children(path))
    }

    fn get_children_watch<'a>(&'a self, path: &'a str) -> Reply<'a, (Vec<String>, WatchFuture)> {
        self.apply(Op::GetChildren, || self.inner.get_children_watch(path))
    }

    fn zookeeper_client_session(&self) -> Option<::zookeeper_client::SessionInfo> {
        self.inner.zookeeper_client_session()
    }
}
