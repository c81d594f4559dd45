//! The figures table printed at the end of a run.

use crate::check::Findings;
use crate::client_kind::ClientKind;
use std::collections::BTreeMap;
use std::fmt;

/// A run's findings, with what is needed to repeat it.
#[derive(Debug, Clone)]
pub struct Figures<'a> {
    /// The primitive exercised.
    pub primitive: &'a str,
    /// The seed of the fault schedule.
    pub seed: u64,
    /// How long faults were injected, in seconds.
    pub seconds: u64,
    /// What the checker found.
    pub findings: &'a Findings,
}

fn by_kind(counts: &BTreeMap<ClientKind, usize>) -> String {
    if counts.is_empty() {
        return "0".into();
    }
    let total: usize = counts.values().sum();
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    format!("{total} ({})", parts.join(", "))
}

fn percentile(sorted: &[u64], p: usize) -> String {
    if sorted.is_empty() {
        return "-".into();
    }
    let index = (sorted.len() * p / 100).min(sorted.len() - 1);
    format!("{} ms", sorted[index])
}

impl fmt::Display for Figures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.findings;
        let rows: Vec<(&str, String)> = vec![
            ("primitive", self.primitive.to_owned()),
            ("seed", self.seed.to_string()),
            ("fault time", format!("{} s", self.seconds)),
            ("holds", by_kind(&x.holds)),
            (
                "faults",
                format!(
                    "{} ({})",
                    x.total_faults(),
                    x.faults
                        .iter()
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            ("exclusion violations", x.violations.len().to_string()),
            ("token inversions", x.inversions.len().to_string()),
            ("accepted writes", x.accepted_writes.to_string()),
            ("final store value", x.final_value.to_string()),
            ("lost increments", x.lost_increments.to_string()),
            ("stale writes rejected", by_kind(&x.stale_rejected)),
            ("stale writes accepted", by_kind(&x.stale_accepted)),
            ("fresh writes rejected", x.fresh_rejected.to_string()),
            ("writes given up when told", by_kind(&x.told_skips)),
            (
                "session events",
                x.session_events
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "start" | "idle"))
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("orphans", x.orphans.len().to_string()),
            ("hangs", x.hangs.len().to_string()),
            (
                "recovery p50 / max",
                format!(
                    "{} / {}",
                    percentile(&x.recovery_ms, 50),
                    x.recovery_ms
                        .last()
                        .map_or("-".into(), |max| format!("{max} ms"))
                ),
            ),
        ];
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (key, value) in rows {
            writeln!(f, "| {key:<width$} | {value} |")?;
        }
        Ok(())
    }
}
