//! Bounded torture runs with fixed seeds, one per primitive, on one shared 3-server ensemble
//! (runs take turns), and runs with broken clients that the checker must catch.
//!
//! Each run fails on any violation, inversion, lost increment, orphan or hang, and also when it
//! did too little to mean anything (too few holds or faults).

use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use zk_sync_testkit::ZkEnsemble;
use zk_sync_torture::client_kind::ClientKind;
use zk_sync_torture::faults::Fault;
use zk_sync_torture::worker::{Broken, Mode};
use zk_sync_torture::{run, Config, Figures, Population, Report};

fn ensemble() -> &'static ZkEnsemble {
    static ENSEMBLE: OnceLock<ZkEnsemble> = OnceLock::new();
    ENSEMBLE.get_or_init(|| ZkEnsemble::start(3).expect("3-server ensemble"))
}

/// Runs one at a time: they share the ensemble and two cores.
fn torture(config: &Config) -> Report {
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let report = run(config, ensemble()).expect("torture run");
    let primitive = format!("{:?}", config.primitive).to_lowercase();
    println!(
        "{}",
        Figures {
            primitive: &primitive,
            seed: config.seed,
            seconds: config.duration.as_secs(),
            findings: &report.findings,
        }
    );
    report
}

fn config(primitive: Mode, seconds: u64, seed: u64) -> Config {
    Config::standard(
        primitive,
        Duration::from_secs(seconds),
        seed,
        env!("CARGO_BIN_EXE_zk-sync-torture").into(),
    )
}

/// A clean run that did enough: every kind of client held, and faults happened.
fn assert_meaningful_and_clean(config: &Config, report: &Report) {
    let findings = &report.findings;
    assert!(
        findings.problems().is_empty(),
        "{:#?}\nlogs in {}",
        findings.problems(),
        report.dir.display()
    );
    let population = config.population;
    for (kind, processes) in [
        (ClientKind::ZkSync, population.zk_sync.0),
        (ClientKind::ZkSyncLocal, population.zk_sync_local.0),
        (ClientKind::ZkSyncAsync, population.zk_sync_async.0),
        (ClientKind::Curator, population.curator.0),
        (ClientKind::Go, population.go.0),
    ] {
        if processes > 0 {
            let holds = findings.holds.get(&kind).copied().unwrap_or(0);
            assert!(holds >= 20, "only {holds} holds of {kind} clients");
        }
    }
    assert!(
        findings.total_holds() >= 300,
        "only {} holds",
        findings.total_holds()
    );
    let faults = findings.total_faults() as u64;
    assert!(
        faults >= config.duration.as_secs() / 6,
        "only {faults} faults in {:?}",
        config.duration
    );
}

#[test]
fn mutex_with_zk_sync_curator_and_go_clients_under_random_faults() {
    let config = config(Mode::Mutex, 60, 42);
    let report = torture(&config);
    assert_meaningful_and_clean(&config, &report);
}

#[test]
fn rwlock_with_zk_sync_and_curator_clients_under_random_faults() {
    let config = config(Mode::Rwlock, 40, 42);
    let report = torture(&config);
    assert_meaningful_and_clean(&config, &report);
}

#[test]
fn election_with_zk_sync_and_curator_clients_under_random_faults() {
    let config = config(Mode::Leader, 40, 42);
    let report = torture(&config);
    assert_meaningful_and_clean(&config, &report);
}

#[test]
fn semaphore_with_zk_sync_and_curator_clients_under_random_faults() {
    let config = config(Mode::Semaphore, 40, 42);
    let report = torture(&config);
    assert_meaningful_and_clean(&config, &report);
}

#[test]
fn the_checker_catches_a_lock_that_lets_everyone_in() {
    let mut config = config(Mode::Mutex, 10, 7);
    config.population = Population {
        zk_sync: (2, 2),
        zk_sync_local: (0, 0),
        zk_sync_async: (0, 0),
        curator: (0, 0),
        go: (0, 0),
    };
    config.server_faults.clear();
    config.client_faults.clear();
    config.broken = Broken::EveryoneIn;
    let findings = torture(&config).findings;
    assert!(!findings.violations.is_empty(), "no violation found");
    assert!(findings.lost_increments > 0, "no lost increment found");
}

#[test]
fn the_checker_catches_a_client_that_ignores_uncertain_when_paused() {
    let mut config = config(Mode::Mutex, 40, 11);
    config.population = Population {
        zk_sync: (2, 2),
        zk_sync_local: (0, 0),
        zk_sync_async: (0, 0),
        curator: (0, 0),
        go: (0, 0),
    };
    config.server_faults.clear();
    config.client_faults = vec![Fault::PauseClient];
    config.sleep_ms = 30;
    config.broken = Broken::IgnoreUncertain;
    let findings = torture(&config).findings;
    let stale: usize = findings.stale_rejected.values().sum::<usize>()
        + findings.stale_accepted.values().sum::<usize>();
    assert!(
        !findings.violations.is_empty() && stale > 0,
        "a holder that writes after waking from a pause must show: {} violations, {stale} stale writes",
        findings.violations.len()
    );
}
