//! Reading a Prometheus exporter the way a scraper does.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET /metrics` from the exporter at `address`, over a plain TCP connection: the body of its
/// `200` answer. Panics on any other answer, or when none comes within 10 s.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(address: std::net::SocketAddr) {
/// let body = zk_sync_testkit::get_metrics(address).await;
/// assert!(body.contains("zk_sync_session_state"));
/// # }
/// ```
pub async fn get_metrics(address: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .unwrap_or_else(|error| panic!("the exporter at {address}: {error}"));
    // HTTP/1.0: the server closes the connection after one plain (not chunked) body.
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("an answer")
    .unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("headers and body");
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    body.to_owned()
}
