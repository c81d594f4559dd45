//! The task that follows one ZooKeeper session after another and publishes the state model.

use super::{Epoch, SessionState, SessionStatus, Shared};
use crate::backend::{Backend, BackendState, ConnectConfig, Connector};
use crate::error::{Error, ZkErrorCode};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::{sleep_until, Instant};

/// A newly opened session and the moment its handshake was sent (where its lease starts).
pub(super) type Opened = (Arc<dyn Backend>, Instant);

/// Opens one ZooKeeper session within the connection timeout.
pub(super) async fn open(
    connector: &dyn Connector,
    config: &ConnectConfig,
) -> Result<Opened, Error> {
    let failed = |reason| Error::Connect {
        connect_string: config.connect_string.clone(),
        reason,
    };
    let sent = Instant::now();
    match tokio::time::timeout(config.connection_timeout, connector.connect(config)).await {
        Ok(Ok(backend)) => Ok((backend, sent)),
        Ok(Err(code)) => Err(failed(code)),
        Err(_) => Err(failed(ZkErrorCode::Timeout)),
    }
}

enum EpochEnd {
    Lost,
    Closed,
}

pub(super) async fn run(
    shared: Arc<Shared>,
    first: Arc<Epoch>,
    mut dropped: oneshot::Receiver<()>,
) {
    let mut close_now = shared.close_now.subscribe();
    let mut epoch = first;
    loop {
        let end = tokio::select! {
            end = follow(&shared, &epoch) => end,
            _ = &mut dropped => EpochEnd::Closed,
            _ = close_now.wait_for(|closed| *closed) => EpochEnd::Closed,
        };
        let number = epoch.number();
        let session_id = epoch.session_id();
        drop(epoch);
        match end {
            EpochEnd::Closed => {
                set_current(&shared, None);
                publish(&shared, SessionState::Closed, number, session_id);
                return;
            }
            EpochEnd::Lost => {
                set_current(&shared, None);
                metrics::counter!(crate::metrics::SESSION_EXPIRATIONS_TOTAL).increment(1);
                tracing::warn!(epoch = number, session_id = %format_args!("{session_id:#x}"), "ZooKeeper session lost");
                publish(&shared, SessionState::Lost, number, session_id);
            }
        }
        let backend = tokio::select! {
            backend = reopen(&shared) => backend,
            _ = &mut dropped => None,
            _ = close_now.wait_for(|closed| *closed) => None,
        };
        let Some((backend, sent)) = backend else {
            publish(&shared, SessionState::Closed, number, session_id);
            return;
        };
        let next = Epoch::new(
            number + 1,
            backend,
            sent,
            shared.status.subscribe(),
            shared.cleanup.clone(),
        );
        set_current(&shared, Some(next.clone()));
        publish(
            &shared,
            SessionState::Connected,
            next.number(),
            next.session_id(),
        );
        tracing::info!(epoch = next.number(), "new ZooKeeper session established");
        epoch = next;
    }
}

/// Follows one epoch's connection state until the session is lost.
async fn follow(shared: &Shared, epoch: &Epoch) -> EpochEnd {
    let mut state = epoch.backend().state();
    let timeout = epoch
        .backend()
        .session_timeout()
        .max(Duration::from_millis(1));
    let mut suspended_since: Option<Instant> = None;
    loop {
        let now = *state.borrow_and_update();
        match now {
            BackendState::Connected => {
                if suspended_since.take().is_some() {
                    publish(
                        shared,
                        SessionState::Reconnected,
                        epoch.number(),
                        epoch.session_id(),
                    );
                }
            }
            BackendState::Disconnected => {
                if suspended_since.is_none() {
                    suspended_since = Some(Instant::now());
                    publish(
                        shared,
                        SessionState::Suspended,
                        epoch.number(),
                        epoch.session_id(),
                    );
                }
            }
            _terminal => return EpochEnd::Lost,
        }
        // Suspended for a whole session timeout: the server has expired the session (or will
        // before we could prove otherwise), so every hold must be treated as gone. The same
        // when the lease of a held session runs out, connected or not: its holds are gone,
        // and a new session is the way back to holds that can be trusted.
        let deadline = suspended_since.map(|since| since + timeout);
        tokio::select! {
            changed = state.changed() => if changed.is_err() { return EpochEnd::Lost },
            _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                return EpochEnd::Lost
            }
            _ = epoch.lease().run_out_while_held() => {
                tracing::warn!(epoch = epoch.number(), "no answer from ZooKeeper within the session timeout while holding");
                return EpochEnd::Lost
            }
        }
    }
}

/// Opens the next session, retrying with backoff until it works.
async fn reopen(shared: &Shared) -> Option<Opened> {
    let mut pause = Duration::from_millis(100);
    loop {
        match open(&*shared.connector, &shared.config).await {
            Ok(opened) => return Some(opened),
            Err(error) => {
                tracing::warn!(%error, "reconnecting to ZooKeeper");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

fn set_current(shared: &Shared, epoch: Option<Arc<Epoch>>) {
    *shared.current.write().unwrap_or_else(|e| e.into_inner()) = epoch;
}

fn publish(shared: &Shared, state: SessionState, epoch: u64, session_id: i64) {
    crate::metrics::record_state(state);
    shared.status.send_replace(SessionStatus {
        state,
        epoch,
        session_id,
    });
}
