//! `zk-sync-torture`: a torture run of one primitive, or (as `worker`) one zk-sync client
//! process of a run.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::time::Duration;
use zk_sync_testkit::ZkEnsemble;
use zk_sync_torture::worker::{self, Mode, WorkerArgs};
use zk_sync_torture::{run, Config, Figures};

/// Rust, Curator and go-zookeeper clients on one path of a 3-server ZooKeeper ensemble, under
/// combined random faults; prints a figures table and exits 1 on any violation.
#[derive(Debug, Parser)]
#[command(name = "zk-sync-torture", version)]
struct Cli {
    #[command(subcommand)]
    worker: Option<Worker>,
    /// The primitive to torture.
    #[arg(long, value_enum, default_value = "mutex")]
    primitive: Mode,
    /// Minutes of faults (fractions allowed, e.g. 0.5).
    #[arg(long, default_value_t = 1.0)]
    minutes: f64,
    /// Seed of the fault schedule and of every client's random choices.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// zk-sync client processes (default 3).
    #[arg(long)]
    zk_sync_processes: Option<usize>,
    /// Curator client processes (default 2).
    #[arg(long)]
    curator_processes: Option<usize>,
    /// go-zookeeper client processes (default 2 for the mutex; other primitives have none).
    #[arg(long)]
    go_processes: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum Worker {
    /// One zk-sync client process (started by a run; not for direct use).
    #[command(hide = true)]
    Worker(WorkerArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Worker::Worker(args)) = cli.worker {
        return ExitCode::from(worker::main(args) as u8);
    }
    if cli.minutes.is_nan() || cli.minutes <= 0.0 {
        eprintln!("zk-sync-torture: --minutes must be greater than zero");
        return ExitCode::from(2);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("zk-sync-torture: cannot find my own binary: {error}");
            return ExitCode::from(2);
        }
    };
    let duration = Duration::from_secs_f64(cli.minutes * 60.0);
    let mut config = Config::standard(cli.primitive, duration, cli.seed, exe);
    let population = &mut config.population;
    population.zk_sync.0 = cli.zk_sync_processes.unwrap_or(population.zk_sync.0);
    population.curator.0 = cli.curator_processes.unwrap_or(population.curator.0);
    if let Some(go) = cli.go_processes {
        if go > 0 && cli.primitive != Mode::Mutex {
            eprintln!("zk-sync-torture: go-zookeeper clients join mutex runs only");
            return ExitCode::from(2);
        }
        population.go = (go, population.go.1.max(2));
    }
    let ensemble = match ZkEnsemble::start(3) {
        Ok(ensemble) => ensemble,
        Err(error) => {
            eprintln!("zk-sync-torture: {error}");
            return ExitCode::from(2);
        }
    };
    let report = match run(&config, &ensemble) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("zk-sync-torture: {error}");
            return ExitCode::from(2);
        }
    };
    let primitive = format!("{:?}", cli.primitive).to_lowercase();
    println!(
        "\n{}",
        Figures {
            primitive: &primitive,
            seed: cli.seed,
            seconds: duration.as_secs(),
            findings: &report.findings,
        }
    );
    println!(
        "repeat: cargo run --release -p zk-sync-torture -- --primitive {primitive} --minutes {} --seed {}",
        cli.minutes, cli.seed
    );
    let problems = report.findings.problems();
    if problems.is_empty() {
        println!("no violations (logs in {})", report.dir.display());
        ExitCode::SUCCESS
    } else {
        for problem in problems {
            println!("FAILED: {problem}");
        }
        println!("logs in {}", report.dir.display());
        ExitCode::from(1)
    }
}
