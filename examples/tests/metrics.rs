//! The `metrics` example serves zk-sync's metrics over HTTP: scraped while a lock is contended,
//! every documented metric is there, named by Prometheus conventions, with its documented
//! labels and never a path among them.

#[allow(dead_code)]
#[path = "../examples/metrics.rs"]
mod example;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zk_sync_core::metrics as names;
use zk_sync_core::test_util::unique_path;
use zk_sync_mutex::DistMutex;
use zk_sync_testkit::{free_address, get_metrics, FaultProxy, ZkServer};

/// Every metric of DESIGN §7 with its type and label names.
const DOCUMENTED: &[(&str, &str, &[&str])] = &[
    (
        names::ACQUIRE_DURATION_SECONDS,
        "histogram",
        &["outcome", "primitive"],
    ),
    (
        names::ACQUISITIONS_TOTAL,
        "counter",
        &["outcome", "primitive"],
    ),
    (names::HOLD_DURATION_SECONDS, "histogram", &["primitive"]),
    (names::WAITERS, "gauge", &["primitive"]),
    (names::HOLDS_LOST_TOTAL, "counter", &["primitive", "reason"]),
    (names::LEADER, "gauge", &["election"]),
    (names::SESSION_STATE, "gauge", &[]),
    (names::SESSION_EXPIRATIONS_TOTAL, "counter", &[]),
    (names::REQUESTS_TOTAL, "counter", &["op"]),
    (names::WATCH_EVENTS_TOTAL, "counter", &[]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraped_metrics_have_prometheus_names_units_and_no_path_labels() {
    let server = ZkServer::shared();
    let connect = server.connect_string();
    let listen = free_address();
    example::install_exporter(listen).expect("exporter installed");

    let lock_path = unique_path("examples/metrics-lock");
    let session = zk_sync_core::test_util::builder(&connect)
        .connect()
        .await
        .unwrap();
    let acquisitions = Arc::new(AtomicU64::new(0));
    let contention = tokio::spawn(example::contend(
        session.clone(),
        lock_path.clone(),
        4,
        acquisitions,
    ));
    let election_path = unique_path("examples/metrics-election");
    let leading = tokio::spawn(example::lead(session.clone(), election_path.clone()));

    // A hold lost with its expired session, for the loss and expiry counters.
    let victim_path = FaultProxy::start(server.addr()).unwrap();
    let victim = zk_sync_core::test_util::builder(&victim_path.connect_string())
        .connect()
        .await
        .unwrap();
    let lost_path = unique_path("examples/metrics-lost");
    let lost_mutex = DistMutex::new(victim.clone(), &lost_path).unwrap();
    let guard = lost_mutex.lock().await.unwrap();
    victim_path
        .expire_newest_session()
        .await
        .expect("session expired");
    tokio::time::timeout(Duration::from_secs(30), guard.lost())
        .await
        .expect("loss reported");

    // Scrape while the lock is contended, until every metric has shown up.
    let deadline = Instant::now() + Duration::from_secs(30);
    let scrape = loop {
        let scrape = Scrape::parse(&get_metrics(listen).await);
        let acquired = scrape.value(
            names::ACQUISITIONS_TOTAL,
            &[("outcome", "acquired"), ("primitive", "mutex")],
        );
        if scrape.types.len() == DOCUMENTED.len() && acquired.is_some_and(|n| n >= 20.0) {
            break scrape;
        }
        assert!(
            Instant::now() < deadline,
            "metrics incomplete: {:?}",
            scrape.types
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!contention.is_finished(), "still contending while scraped");

    for (name, kind, labels) in DOCUMENTED {
        assert_eq!(
            scrape.types.get(*name).map(String::as_str),
            Some(*kind),
            "{name}"
        );
        let expected: BTreeSet<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        let samples: Vec<_> = scrape.samples.iter().filter(|s| s.base == *name).collect();
        assert!(!samples.is_empty(), "{name} has samples");
        for sample in samples {
            let keys: BTreeSet<String> = sample
                .labels
                .keys()
                .filter(|k| *k != "le")
                .cloned()
                .collect();
            assert_eq!(keys, expected, "labels of {}", sample.line);
        }
    }
    for (name, kind) in &scrape.types {
        assert!(name.starts_with("zk_sync_"), "{name}");
        match kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "counter {name}"),
            "histogram" => {
                assert!(name.ends_with("_seconds"), "histogram {name}");
                for part in ["_bucket", "_sum", "_count"] {
                    let series = format!("{name}{part}");
                    assert!(scrape.samples.iter().any(|s| s.name == series), "{series}");
                }
            }
            _ => assert!(!name.ends_with("_total"), "gauge {name}"),
        }
    }
    for sample in &scrape.samples {
        for value in sample.labels.values() {
            assert!(!value.contains('/'), "a path as a label: {}", sample.line);
        }
    }
    assert_eq!(
        scrape.value(names::LEADER, &[("election", "metrics-example")]),
        Some(1.0)
    );
    assert!(scrape
        .value(
            names::HOLDS_LOST_TOTAL,
            &[("primitive", "mutex"), ("reason", "session_lost")]
        )
        .is_some_and(|n| n >= 1.0));
    assert!(scrape
        .value(names::SESSION_EXPIRATIONS_TOTAL, &[])
        .is_some_and(|n| n >= 1.0));
    assert!(
        scrape.help.contains(names::ACQUIRE_DURATION_SECONDS),
        "described"
    );

    contention.abort();
    leading.abort();
    session.close().await;
    victim.close().await;
}

/// The zk-sync part of a Prometheus text exposition.
#[derive(Debug, Default)]
struct Scrape {
    /// `# TYPE` of each metric family.
    types: BTreeMap<String, String>,
    /// `# HELP` lines.
    help: String,
    samples: Vec<Sample>,
}

#[derive(Debug)]
struct Sample {
    line: String,
    /// The series name (`…_bucket`, `…_sum`, `…_count` for histograms).
    name: String,
    /// The family it belongs to.
    base: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut scrape = Scrape::default();
        for line in text.lines().filter(|l| l.contains("zk_sync_")) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                scrape.types.insert(name.to_owned(), kind.to_owned());
            } else if line.starts_with("# HELP ") {
                scrape.help.push_str(line);
                scrape.help.push('\n');
            } else if !line.starts_with('#') {
                scrape.samples.push(Sample::parse(line));
            }
        }
        for sample in &mut scrape.samples {
            sample.base = ["_bucket", "_sum", "_count"]
                .iter()
                .filter_map(|suffix| sample.name.strip_suffix(suffix))
                .find(|base| scrape.types.get(*base).is_some_and(|k| k == "histogram"))
                .unwrap_or(&sample.name)
                .to_owned();
        }
        scrape
    }

    /// The value of the series `name` with exactly these labels.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == wanted)
            .map(|s| s.value)
    }
}

impl Sample {
    fn parse(line: &str) -> Sample {
        let (series, value) = line.rsplit_once(' ').expect("series and value");
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        let labels = labels
            .split("\",")
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once("=\"").expect("key=\"value\"");
                (key.to_owned(), value.trim_end_matches('"').to_owned())
            })
            .collect();
        Sample {
            line: line.to_owned(),
            name: name.to_owned(),
            base: name.to_owned(),
            labels,
            value: value.parse().expect("a number"),
        }
    }
}
