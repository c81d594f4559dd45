//! Metrics: zk-sync's metrics served for Prometheus while tasks contend on a `DistMutex`.
//!
//! Every primitive records its metrics through the `metrics` facade; this example installs
//! `metrics-exporter-prometheus` with an HTTP listener, describes the metrics (help text and
//! units), renders the `_seconds` histograms with buckets, and keeps a lock busy (plus an
//! election, for the leader gauge) so that there is something to see.
//!
//! ```text
//! cargo run -p examples --example metrics                       # local ZooKeeper, port 9000
//! cargo run -p examples --example metrics -- --listen 127.0.0.1:9464
//! curl -s http://127.0.0.1:9000/metrics | grep zk_sync_
//! ```
//!
//! `ZK_SYNC_CONNECT=host:port` uses your ZooKeeper instead of starting one. Stop with Ctrl-C.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zk_sync_core::metrics as names;
use zk_sync_election::LeaderElection;
use zk_sync_mutex::{DistMutex, Session};

const DEFAULT_LISTEN: &str = "127.0.0.1:9000";
const LOCK_PATH: &str = "/zk-sync/examples/metrics/lock";
const ELECTION_PATH: &str = "/zk-sync/examples/metrics/election";
const TASKS: usize = 4;
const USAGE: &str = "usage: metrics [--listen ADDRESS:PORT]   (default 127.0.0.1:9000)";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let listen: SocketAddr = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [] => DEFAULT_LISTEN.parse()?,
        [flag, address] if flag == "--listen" => address.parse().map_err(|_| USAGE)?,
        _ => return Err(USAGE.into()),
    };
    // Keep a server we started alive until the end of main.
    let (connect, _server) = match std::env::var("ZK_SYNC_CONNECT") {
        Ok(connect) => (connect, None),
        Err(_) => {
            let server = zk_sync_testkit::ZkServer::start()?;
            println!("started a local ZooKeeper on {}", server.connect_string());
            (server.connect_string(), Some(server))
        }
    };
    install_exporter(listen)?;
    println!("serving metrics on http://{listen}/metrics");
    println!("try: curl -s http://{listen}/metrics | grep zk_sync_");

    let session = Session::connect(&connect).await?;
    let acquisitions = Arc::new(AtomicU64::new(0));
    let contention = tokio::spawn(contend(
        session.clone(),
        LOCK_PATH.to_owned(),
        TASKS,
        acquisitions.clone(),
    ));
    let leading = tokio::spawn(lead(session.clone(), ELECTION_PATH.to_owned()));
    let mut report = tokio::time::interval(Duration::from_secs(5));
    report.tick().await;
    loop {
        tokio::select! {
            _ = report.tick() => println!(
                "{} acquisitions of {LOCK_PATH} by {TASKS} contending tasks so far",
                acquisitions.load(Ordering::Relaxed)
            ),
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    contention.abort();
    leading.abort();
    session.close().await;
    Ok(())
}

/// Installs the Prometheus exporter with an HTTP listener on `listen` as the global recorder,
/// and describes zk-sync's metrics. Call it once per process, inside a tokio runtime.
pub(crate) fn install_exporter(listen: SocketAddr) -> Result<()> {
    // Lock waits and holds range from a millisecond (uncontended) to minutes.
    let buckets = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    ];
    PrometheusBuilder::new()
        .with_http_listener(listen)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)?
        .install()?;
    describe();
    Ok(())
}

/// Help text and units for every metric zk-sync records.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!(
        names::ACQUIRE_DURATION_SECONDS,
        Unit::Seconds,
        "Time from calling acquire to its outcome."
    );
    describe_counter!(
        names::ACQUISITIONS_TOTAL,
        Unit::Count,
        "Finished acquisitions, by outcome."
    );
    describe_histogram!(
        names::HOLD_DURATION_SECONDS,
        Unit::Seconds,
        "How long holds were held."
    );
    describe_gauge!(
        names::WAITERS,
        Unit::Count,
        "Callers currently waiting to acquire."
    );
    describe_counter!(
        names::HOLDS_LOST_TOTAL,
        Unit::Count,
        "Holds lost before release, by reason."
    );
    describe_gauge!(names::LEADER, "1 while this process leads the election.");
    describe_gauge!(
        names::SESSION_STATE,
        "Session state: 0 closed, 1 connected, 2 suspended, 3 lost."
    );
    describe_counter!(
        names::SESSION_EXPIRATIONS_TOTAL,
        Unit::Count,
        "ZooKeeper sessions lost."
    );
    describe_counter!(
        names::REQUESTS_TOTAL,
        Unit::Count,
        "Requests sent to ZooKeeper, by operation."
    );
    describe_counter!(
        names::WATCH_EVENTS_TOTAL,
        Unit::Count,
        "Server watch events delivered."
    );
}

/// `tasks` tasks take turns on the lock at `path`, forever; each hold does a little work and
/// stops at once if the lock may have been lost. Counts acquisitions in `acquisitions`.
pub(crate) async fn contend(
    session: Session,
    path: String,
    tasks: usize,
    acquisitions: Arc<AtomicU64>,
) -> Result<()> {
    let mutex = DistMutex::new(session, &path)?;
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (mutex, acquisitions) = (mutex.clone(), acquisitions.clone());
        running.spawn(async move {
            loop {
                let guard = mutex.lock().await?;
                acquisitions.fetch_add(1, Ordering::Relaxed);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(10)) => guard.unlock().await?,
                    reason = guard.lost() => eprintln!("lost the lock while working: {reason}"),
                }
            }
        });
    }
    match running.join_next().await {
        Some(result) => result?,
        None => Ok(()),
    }
}

/// Leads an election labelled `metrics-example` in the `zk_sync_leader` gauge, forever.
pub(crate) async fn lead(session: Session, path: String) -> Result<()> {
    let election = LeaderElection::new(session, &path, "metrics-example")?
        .with_metrics_label("metrics-example");
    election
        .run_as_leader(|_token| std::future::pending::<()>())
        .await?;
    Ok(())
}
