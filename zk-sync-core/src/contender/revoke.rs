//! Cooperative revocation, by Apache Curator's convention: whoever wants a holder to let go
//! writes [`REVOKE_MESSAGE`] into the holder's node (Curator's `Revoker.attemptRevoke`), and a
//! holder that listens for it (Curator's `makeRevocable`, zk-sync's
//! [`Hold::revoke_requested`](super::Hold::revoke_requested)) lets go. A Curator holder and a
//! zk-sync holder both honour a request from either side. Nothing forces the holder: it is a
//! request, not a loss.

use crate::error::{Error, ZkErrorCode};
use crate::session::Session;

/// What a revocation request writes into the holder's node (Curator's
/// `LockInternals.REVOKE_MESSAGE`).
pub const REVOKE_MESSAGE: &[u8] = b"__REVOKE__";

/// Asks the holder of `node` to let go, by writing [`REVOKE_MESSAGE`] into it; `false` when
/// the node does not exist (its holder let go already). Retried through connection loss.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(session: zk_sync_core::Session) -> zk_sync_core::Result<()> {
/// use zk_sync_core::contender::request_revocation;
///
/// let node = "/locks/nightly/_c_0f5c5a4e-6f9a-4c1e-9a7e-6d6f3c1b2a10-lock-0000000007";
/// if !request_revocation(&session, node).await? {
///     println!("already released");
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`Error::Closed`] when the session is closed; the epoch's end; any other server error
/// (`NoAuth` on a locked-down node of another identity, say).
pub async fn request_revocation(session: &Session, node: &str) -> Result<bool, Error> {
    crate::validate_path(node)?;
    let epoch = session.live_epoch().await?;
    let written = epoch
        .retry("set_data", node, |b| b.set_data(node, REVOKE_MESSAGE, None))
        .await?;
    match written {
        Ok(_) => Ok(true),
        Err(ZkErrorCode::NoNode) => Ok(false),
        Err(code) => Err(Error::zk("set_data", node, code)),
    }
}
