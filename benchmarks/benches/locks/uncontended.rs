//! Uncontended acquire + release cycles, compared in interleaved rounds: every client runs one
//! round in turn, so a slow spell of the machine (its disk, above all) hits them all alike.

use std::future::Future;
use std::time::Instant;

/// Cycles each client runs before its first timed round (the peers do the same).
const WARM_UP_CYCLES: usize = 500;

/// One client of the comparison: runs `cycles` cycles, returns the mean ms per cycle.
pub(crate) struct Contestant<'a> {
    pub(crate) name: &'static str,
    pub(crate) run: Box<dyn FnMut(usize) -> f64 + 'a>,
}

impl<'a> Contestant<'a> {
    /// A client of ours: `cycle` runs one acquire + release. The rounds run as a runtime
    /// task, as a service's work does.
    pub(crate) fn task<F, Fut>(
        name: &'static str,
        runtime: &'a tokio::runtime::Runtime,
        cycle: F,
    ) -> Contestant<'a>
    where
        F: Fn() -> Fut + Clone + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let warm_up = cycle.clone();
        runtime
            .block_on(runtime.spawn(async move {
                for _ in 0..WARM_UP_CYCLES {
                    warm_up().await;
                }
            }))
            .expect("warm-up");
        Contestant {
            name,
            run: Box::new(move |cycles| {
                let cycle = cycle.clone();
                let round = runtime.spawn(async move {
                    let started = Instant::now();
                    for _ in 0..cycles {
                        cycle().await;
                    }
                    started.elapsed()
                });
                let elapsed = runtime.block_on(round).expect("benchmark task");
                elapsed.as_secs_f64() * 1000.0 / cycles as f64
            }),
        }
    }

    /// A peer process, started with its cycles per round.
    pub(crate) fn peer(name: &'static str, mut peer: crate::peers::Phased) -> Contestant<'a> {
        Contestant {
            name,
            run: Box::new(move |_| peer.round("cycle_ms")),
        }
    }
}

/// What one client measured over all rounds.
pub(crate) struct Outcome {
    pub(crate) name: &'static str,
    /// Mean ms per cycle of each round.
    pub(crate) rounds: Vec<f64>,
    /// Requests the server received per cycle, over all rounds.
    pub(crate) requests: f64,
}

impl Outcome {
    pub(crate) fn median(&self) -> f64 {
        median(&self.rounds)
    }

    pub(crate) fn min(&self) -> f64 {
        self.rounds.iter().copied().fold(f64::INFINITY, f64::min)
    }

    pub(crate) fn max(&self) -> f64 {
        self.rounds.iter().copied().fold(0.0, f64::max)
    }

    /// The median over rounds of this client's time divided by `other`'s in the same round.
    pub(crate) fn ratio_to(&self, other: &Outcome) -> f64 {
        let ratios: Vec<f64> = self
            .rounds
            .iter()
            .zip(&other.rounds)
            .map(|(a, b)| a / b)
            .collect();
        median(&ratios)
    }
}

/// Runs `rounds` rounds of `cycles` cycles for each contestant in turn. `packets` reads the
/// number of requests the server the clients use has received so far.
pub(crate) fn compare(
    packets: impl Fn() -> u64,
    mut contestants: Vec<Contestant<'_>>,
    rounds: usize,
    cycles: usize,
) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = contestants
        .iter()
        .map(|c| Outcome {
            name: c.name,
            rounds: Vec::new(),
            requests: 0.0,
        })
        .collect();
    for _ in 0..rounds {
        for (contestant, outcome) in contestants.iter_mut().zip(&mut outcomes) {
            let before = packets();
            outcome.rounds.push((contestant.run)(cycles));
            outcome.requests += (packets() - before) as f64;
        }
    }
    for outcome in &mut outcomes {
        outcome.requests /= (rounds * cycles) as f64;
    }
    outcomes
}

pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
