//! Plain data exchanged with a [`Backend`](super::Backend), independent of the wire client.

/// A node's metadata (the parts the recipes use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stat {
    /// zxid of the transaction that created the node: globally monotonic, never reused.
    pub czxid: i64,
    /// zxid of the last data change.
    pub mzxid: i64,
    /// Creation time, milliseconds since the Unix epoch (server clock).
    pub ctime: i64,
    /// Data version.
    pub version: i32,
    /// Session that owns the node if ephemeral, else 0.
    pub ephemeral_owner: i64,
    /// Number of children.
    pub num_children: i32,
}

/// What kind of node to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// Persistent node.
    Persistent,
    /// Ephemeral node, deleted with the session.
    Ephemeral,
    /// Ephemeral node with the server's sequence appended to its name.
    EphemeralSequential,
    /// Container node: the server removes it once its last child is gone.
    Container,
}

/// Result of a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The path actually created (with the sequence suffix for sequential nodes).
    pub path: String,
    /// The new node's stat.
    pub stat: Stat,
}

/// What woke a one-shot watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeEvent {
    /// The node was created.
    Created,
    /// The node was deleted.
    Deleted,
    /// The node's data changed.
    DataChanged,
    /// The node's children changed.
    ChildrenChanged,
    /// The session the watch belonged to ended (expired or closed): the watch will never fire.
    SessionEnded,
    /// The watch is gone without an event, while the session lives on: the wire client
    /// reconnected and does not set its watches again (`zookeeper-async`). Whoever waited
    /// re-checks the node, and watches it again.
    WatchLost,
}

/// Connection state of one backend session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendState {
    /// Connected to a server.
    Connected,
    /// Disconnected; the client is trying to reconnect to the same session.
    Disconnected,
    /// The server reported the session expired.
    Expired,
    /// Authentication failed (terminal).
    AuthFailed,
    /// The client was closed (terminal).
    Closed,
}

impl BackendState {
    /// Whether the session can never be used again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            BackendState::Expired | BackendState::AuthFailed | BackendState::Closed
        )
    }
}

/// Permission bits of an [`Acl`] (ZooKeeper's `READ`, `WRITE`, `CREATE`, `DELETE`, `ADMIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Perms(pub u8);

impl Perms {
    /// Read data and list children.
    pub const READ: Perms = Perms(1);
    /// Set data.
    pub const WRITE: Perms = Perms(2);
    /// Create children.
    pub const CREATE: Perms = Perms(4);
    /// Delete children.
    pub const DELETE: Perms = Perms(8);
    /// Change the ACL.
    pub const ADMIN: Perms = Perms(16);
    /// Everything.
    pub const ALL: Perms = Perms(31);

    /// Each single permission of these, for a wire client that spells them its own way.
    pub(crate) fn each(self) -> impl Iterator<Item = Perms> {
        [
            Perms::READ,
            Perms::WRITE,
            Perms::CREATE,
            Perms::DELETE,
            Perms::ADMIN,
        ]
        .into_iter()
        .filter(move |one| self.0 & one.0 != 0)
    }
}

/// One access-control entry.
///
/// # Examples
///
/// ```
/// use zk_sync_core::backend::{Acl, Perms};
///
/// let open = Acl::anyone_all();
/// let mine = Acl::creator_all();
/// let readers = Acl::new(Perms::READ, "digest", "reader:hash=");
/// assert_ne!(open, mine);
/// # let _ = readers;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Acl {
    /// Granted permissions.
    pub perms: Perms,
    /// Scheme: `world`, `auth`, `digest`, `ip`, …
    pub scheme: String,
    /// Identity within the scheme.
    pub id: String,
}

impl Acl {
    /// An entry from its parts.
    pub fn new(perms: Perms, scheme: &str, id: &str) -> Acl {
        Acl {
            perms,
            scheme: scheme.to_owned(),
            id: id.to_owned(),
        }
    }

    /// `world:anyone` with every permission (ZooKeeper's `OPEN_ACL_UNSAFE`).
    pub fn anyone_all() -> Acl {
        Acl::new(Perms::ALL, "world", "anyone")
    }

    /// Every permission for the identities the creating session authenticated as
    /// (ZooKeeper's `CREATOR_ALL_ACL`).
    pub fn creator_all() -> Acl {
        Acl::new(Perms::ALL, "auth", "")
    }

    /// `world:anyone` may read (ZooKeeper's `READ_ACL_UNSAFE`): list children and read data.
    pub fn anyone_read() -> Acl {
        Acl::new(Perms::READ, "world", "anyone")
    }

    /// A locked-down node: every permission for the identities the creating session
    /// authenticated as, reading for everyone else. See
    /// [`SessionBuilder::locked_down`](crate::SessionBuilder::locked_down).
    pub fn locked_down() -> Vec<Acl> {
        vec![Acl::creator_all(), Acl::anyone_read()]
    }
}
