//! Real ZooKeeper servers and fault injection for tests.
