//! The wire client a test run goes through: the same tests run over each backend.

use crate::backend::{Connector, ZookeeperAsyncConnector, ZookeeperClientConnector};
use crate::{Session, SessionBuilder};
use std::sync::Arc;
use std::time::Duration;

/// The environment variable that picks the wire client of a test run.
pub const WIRE_CLIENT_VARIABLE: &str = "ZK_SYNC_TEST_WIRE_CLIENT";

/// A wire client the tests can run over.
///
/// The helpers of [`test_util`](super) connect through the one
/// [`WireClient::under_test`] names, so one test suite covers both backends: `scripts/test`
/// runs it once over each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireClient {
    /// `zookeeper-client`, the default.
    ZookeeperClient,
    /// `zookeeper-async`.
    ZookeeperAsync,
}

impl WireClient {
    /// The wire client of this test run: `ZK_SYNC_TEST_WIRE_CLIENT` is `zookeeper-client`
    /// (the default when unset) or `zookeeper-async`.
    ///
    /// # Panics
    ///
    /// On any other value.
    ///
    /// # Examples
    ///
    /// ```
    /// use zk_sync_core::test_util::WireClient;
    ///
    /// let name = WireClient::under_test().name();
    /// assert!(name == "zookeeper-client" || name == "zookeeper-async");
    /// ```
    pub fn under_test() -> WireClient {
        match std::env::var(WIRE_CLIENT_VARIABLE) {
            Err(_) => WireClient::ZookeeperClient,
            Ok(name) => WireClient::named(&name).unwrap_or_else(|| {
                panic!(
                    "{WIRE_CLIENT_VARIABLE}={name:?}: expected zookeeper-client or zookeeper-async"
                )
            }),
        }
    }

    /// The wire client of a crate name.
    pub fn named(name: &str) -> Option<WireClient> {
        match name {
            "" | "zookeeper-client" => Some(WireClient::ZookeeperClient),
            "zookeeper-async" => Some(WireClient::ZookeeperAsync),
            _ => None,
        }
    }

    /// The crate's name.
    pub fn name(self) -> &'static str {
        match self {
            WireClient::ZookeeperClient => "zookeeper-client",
            WireClient::ZookeeperAsync => "zookeeper-async",
        }
    }

    /// A connector that opens sessions with this wire client.
    pub fn connector(self) -> Arc<dyn Connector> {
        match self {
            WireClient::ZookeeperClient => Arc::new(ZookeeperClientConnector::default()),
            WireClient::ZookeeperAsync => Arc::new(ZookeeperAsyncConnector::new()),
        }
    }

    /// A connector whose first session is a client of this crate that the test opened
    /// itself (with `session_timeout`), the way an application hands over its own client.
    ///
    /// # Panics
    ///
    /// When the client cannot connect.
    pub async fn adopting(
        self,
        connect_string: &str,
        session_timeout: Duration,
    ) -> Arc<dyn Connector> {
        match self {
            WireClient::ZookeeperClient => {
                let client = zookeeper_client::Client::connector()
                    .with_session_timeout(session_timeout)
                    .connect(connect_string)
                    .await
                    .unwrap_or_else(|error| {
                        panic!("zookeeper-client to {connect_string}: {error}")
                    });
                Arc::new(ZookeeperClientConnector::adopting(client))
            }
            WireClient::ZookeeperAsync => {
                let client =
                    zookeeper_async::ZooKeeper::connect(connect_string, session_timeout, |_| {})
                        .await
                        .unwrap_or_else(|error| {
                            panic!("zookeeper-async to {connect_string}: {error}")
                        });
                Arc::new(ZookeeperAsyncConnector::adopting(client))
            }
        }
    }
}

/// [`Session::builder`] over the wire client under test.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> zk_sync_core::Result<()> {
/// let session = zk_sync_core::test_util::builder("127.0.0.1:2181").connect().await?;
/// # drop(session); Ok(()) }
/// ```
pub fn builder(connect_string: &str) -> SessionBuilder {
    Session::builder(connect_string).connector(WireClient::under_test().connector())
}
