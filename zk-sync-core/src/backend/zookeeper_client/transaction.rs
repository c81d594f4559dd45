//! Deletes folded into the next create: one `multi` transaction, so one log write (and one
//! fsync) on the server instead of two.
//!
//! ZooKeeper before 3.9 answers a create inside a `multi` without the node's stat
//! (ZOOKEEPER-4026), and a hold needs the `czxid` for its fencing token. Every operation of a
//! `multi` shares the transaction's zxid, so the transaction also sets the data of a node it
//! deletes anyway (when the caller says whoever watches that node re-checks on any event), or
//! else creates, touches and removes a scratch node that no reader or watcher can ever see.
//! The touch's stat carries the zxid, which is the new node's `czxid`. Once a server has
//! answered with a real stat, the touch is left out.

use super::{acls_of, code_of, count, mode_of, stat_of, ZookeeperClientBackend};
use crate::backend::{Acl, Created, NodeKind, Reply, Stat};
use crate::error::ZkErrorCode;
use futures::FutureExt;
use std::sync::atomic::{AtomicU8, Ordering};
use zookeeper_client as zk;

/// What this session has learned about `multi` on its server.
#[derive(Debug)]
pub(super) struct MultiSupport(AtomicU8);

const UNKNOWN: u8 = 0;
const RETURNS_CREATE_STAT: u8 = 1;
const NEEDS_TOUCH: u8 = 2;
const UNUSABLE: u8 = 3;

impl Default for MultiSupport {
    fn default() -> Self {
        MultiSupport(AtomicU8::new(UNKNOWN))
    }
}

impl MultiSupport {
    fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, value: u8) {
        self.0.store(value, Ordering::Relaxed);
    }
}

/// How the transaction learns its zxid.
enum Touch {
    /// The server returns the create's stat.
    None,
    /// A set-data of a node the transaction deletes, at this index.
    Deleted(usize),
    /// A scratch node created, set and deleted; its set-data is at this index.
    Scratch(usize),
}

pub(super) fn create_after_deletes<'a>(
    backend: &'a ZookeeperClientBackend,
    deletes: &[&str],
    touchable: Option<&str>,
    path: &'a str,
    data: &'a [u8],
    kind: NodeKind,
    acl: &'a [Acl],
) -> Option<Reply<'a, Created>> {
    let support = backend.multi.get();
    if support == UNUSABLE {
        return None;
    }
    let acls = acls_of(acl);
    let mut writer = backend.client.new_multi_writer();
    let mut ops = 0;
    let mut touch = Touch::None;
    for &doomed in deletes {
        if support != RETURNS_CREATE_STAT
            && matches!(touch, Touch::None)
            && Some(doomed) == touchable
        {
            writer.add_set_data(doomed, &[], None).ok()?;
            touch = Touch::Deleted(ops);
            ops += 1;
        }
        writer.add_delete(doomed, None).ok()?;
        ops += 1;
    }
    writer
        .add_create(path, data, &mode_of(kind).with_acls(zk::Acls::new(&acls)))
        .ok()?;
    let created_at = ops;
    if support != RETURNS_CREATE_STAT && matches!(touch, Touch::None) {
        // Unique to this create: `path` is an acquisition's own protected prefix.
        let scratch = format!("{path}zxid");
        let scratch_mode = zk::CreateMode::Ephemeral.with_acls(zk::Acls::new(&acls));
        writer.add_create(&scratch, &[], &scratch_mode).ok()?;
        writer.add_set_data(&scratch, &[], None).ok()?;
        writer.add_delete(&scratch, None).ok()?;
        touch = Touch::Scratch(created_at + 2);
    }
    count("multi");
    let reply = writer.commit();
    Some(
        async move {
            let mut results = match reply.await {
                Ok(results) => results,
                Err(zk::MultiWriteError::OperationFailed { index, source }) => {
                    if matches!(touch, Touch::Scratch(_))
                        && index > created_at
                        && source != zk::Error::NodeExists
                    {
                        // The scratch steps are refused (an ACL, say): stop folding for
                        // this session rather than fail every time.
                        backend.multi.set(UNUSABLE);
                    }
                    return Err(code_of(source));
                }
                Err(zk::MultiWriteError::RequestFailed { source }) => return Err(code_of(source)),
            };
            let touched = match touch {
                Touch::Deleted(at) | Touch::Scratch(at) => match results.get(at) {
                    Some(zk::MultiWriteResult::SetData { stat }) => Some(*stat),
                    _ => None,
                },
                Touch::None => None,
            };
            let (created, stat) = match results.drain(created_at..).next() {
                Some(zk::MultiWriteResult::Create { path, stat }) => (path, stat),
                other => {
                    return Err(ZkErrorCode::Other(format!(
                        "multi answered {other:?} for a create"
                    )))
                }
            };
            let stat = if !stat.is_invalid() {
                backend.multi.set(RETURNS_CREATE_STAT);
                stat_of(&stat)
            } else if let Some(touched) = touched {
                backend.multi.set(NEEDS_TOUCH);
                created_stat(&touched, kind, backend.client.session_id().0)
            } else {
                // A server that used to return the stat no longer does (a mixed ensemble):
                // read it, and touch from now on.
                backend.multi.set(NEEDS_TOUCH);
                let (_, stat) = backend.client.get_data(&created).await.map_err(code_of)?;
                stat_of(&stat)
            };
            Ok(Created {
                path: created,
                stat,
            })
        }
        .boxed(),
    )
}

/// The stat of a node created by the transaction that `touched` (a set-data in the same
/// transaction) reports on.
fn created_stat(touched: &zk::Stat, kind: NodeKind, session_id: i64) -> Stat {
    let ephemeral = matches!(kind, NodeKind::Ephemeral | NodeKind::EphemeralSequential);
    Stat {
        czxid: touched.mzxid,
        mzxid: touched.mzxid,
        ctime: touched.mtime,
        version: 0,
        ephemeral_owner: if ephemeral { session_id } else { 0 },
        num_children: 0,
    }
}
