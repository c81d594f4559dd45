//! `zookeeper-async`'s types to the backend's, and back.

use crate::backend::{Acl, NodeEvent, NodeKind, Perms, Stat};
use crate::error::ZkErrorCode;
use zookeeper_async as zk;

pub(super) fn stat_of(stat: &zk::Stat) -> Stat {
    Stat {
        czxid: stat.czxid,
        mzxid: stat.mzxid,
        ctime: stat.ctime,
        version: stat.version,
        ephemeral_owner: stat.ephemeral_owner,
        num_children: stat.num_children,
    }
}

pub(super) fn mode_of(kind: NodeKind) -> zk::CreateMode {
    match kind {
        NodeKind::Persistent => zk::CreateMode::Persistent,
        NodeKind::Ephemeral => zk::CreateMode::Ephemeral,
        NodeKind::EphemeralSequential => zk::CreateMode::EphemeralSequential,
        NodeKind::Container => zk::CreateMode::Container,
    }
}

pub(super) fn acls_of(acl: &[Acl]) -> Vec<zk::Acl> {
    acl.iter()
        .map(|acl| {
            let perms = acl.perms.each().fold(zk::Permission::NONE, |all, one| {
                all | match one {
                    Perms::READ => zk::Permission::READ,
                    Perms::WRITE => zk::Permission::WRITE,
                    Perms::CREATE => zk::Permission::CREATE,
                    Perms::DELETE => zk::Permission::DELETE,
                    _ => zk::Permission::ADMIN,
                }
            });
            zk::Acl::new(perms, acl.scheme.clone(), acl.id.clone())
        })
        .collect()
}

pub(super) fn code_of(error: zk::ZkError) -> ZkErrorCode {
    match error {
        zk::ZkError::NoNode => ZkErrorCode::NoNode,
        zk::ZkError::NodeExists => ZkErrorCode::NodeExists,
        zk::ZkError::NotEmpty => ZkErrorCode::NotEmpty,
        zk::ZkError::BadVersion => ZkErrorCode::BadVersion,
        zk::ZkError::NoAuth => ZkErrorCode::NoAuth,
        zk::ZkError::NoChildrenForEphemerals => ZkErrorCode::NoChildrenForEphemerals,
        // The client answers every request it drops in a reconnect with this: its outcome
        // is unknown.
        zk::ZkError::ConnectionLoss => ZkErrorCode::ConnectionLoss,
        zk::ZkError::SessionExpired | zk::ZkError::SessionMoved => ZkErrorCode::SessionExpired,
        zk::ZkError::AuthFailed => ZkErrorCode::AuthFailed,
        zk::ZkError::OperationTimeout => ZkErrorCode::Timeout,
        other => ZkErrorCode::Other(format!("{other:?}")),
    }
}

pub(super) fn event_of(event: &zk::WatchedEvent) -> NodeEvent {
    match event.event_type {
        zk::WatchedEventType::NodeCreated => NodeEvent::Created,
        zk::WatchedEventType::NodeDeleted => NodeEvent::Deleted,
        zk::WatchedEventType::NodeDataChanged => NodeEvent::DataChanged,
        zk::WatchedEventType::NodeChildrenChanged => NodeEvent::ChildrenChanged,
        // A removed watch or a bare session event: nothing is known of the node.
        zk::WatchedEventType::None
        | zk::WatchedEventType::DataWatchRemoved
        | zk::WatchedEventType::ChildWatchRemoved => NodeEvent::WatchLost,
    }
}
