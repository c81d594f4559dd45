//! `--metrics-addr`: the metrics zk-sync records, served for Prometheus while a long-running
//! command (lock, elect, semaphore, barrier, inspect --watch) runs.

use crate::cli::Monitoring;
use crate::exit::{Failure, OS_ERROR};
use crate::say;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

/// Histogram buckets for waits and holds, which range from a millisecond to minutes.
const BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Serves `http://ADDR/metrics` from now on, on the current runtime, when an address was
/// given; does nothing otherwise.
///
/// # Errors
///
/// [`OS_ERROR`] when the address cannot be listened on (taken, not ours).
pub(crate) fn serve(monitoring: &Monitoring) -> Result<(), Failure> {
    let Some(address) = monitoring.metrics_addr else {
        return Ok(());
    };
    let failed = |why: String| {
        Failure::new(
            OS_ERROR,
            format!("cannot serve metrics on {address}: {why}"),
        )
    };
    PrometheusBuilder::new()
        .with_http_listener(address)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
        .map_err(|e| failed(e.to_string()))?
        .install()
        .map_err(|e| failed(e.to_string()))?;
    say::detail(&format!("serving metrics on http://{address}/metrics"));
    Ok(())
}

/// Reads `--metrics-addr`: `HOST:PORT`, the host a name or an address.
pub(crate) fn parse_address(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    text.to_socket_addrs()
        .map_err(|error| format!("{text:?} is not HOST:PORT ({error})"))?
        .next()
        .ok_or_else(|| format!("{text:?} has no address"))
}
