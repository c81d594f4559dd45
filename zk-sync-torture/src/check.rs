//! The checker: from the event logs of every client process and of the fault injector to
//! [`Findings`].
//!
//! All processes run on one machine and stamp events with `CLOCK_MONOTONIC`, so events of
//! different processes are ordered by their timestamps alone.
//!
//! - **Holds.** A hold runs from its `acquired` event to its last touch of the resource (its
//!   last `read` or `write`). Holds that never touched the resource (told before the first
//!   read) touch nothing and cannot conflict.
//! - **Exclusion violation:** two holds of different contenders whose touches interleave
//!   (one was acquired before the other's last touch), unless both are readers. A holder that
//!   stops touching the resource when told it may have lost the lock ends its hold there; a
//!   paused holder that checks on waking and stops ends it before the pause. A client that acts
//!   while another holds shows up here, whatever it was told.
//! - **Fencing-token inversion:** a hold acquired after another hold ended whose token is not
//!   greater (reader after reader excepted: readers share the lock, so their order is not the
//!   lock's).
//! - **Writes:** an accepted write that found a value other than the one its hold read has
//!   overwritten someone's increment (a *lost increment*). A write made after another
//!   contender acquired since the writer's own acquisition is *stale*: the fence rejecting it
//!   is the fence working; a stale write it accepted is a failure.
//! - **Hangs:** a contender waiting in acquire for longer than the hang limit of *healthy*
//!   time (no server fault nor fault of its own client active, and a grace period after each),
//!   or a process that does not go idle within the limit after it was asked to stop. With
//!   faults every few seconds there is little healthy time during the fault phase; the quiet
//!   end of every run (healed, then asked to stop) is where a stuck waiter shows for certain.
//! - **Recovery:** for each fault, from its end to the next acquisition by the client it hit
//!   (anywhere, for server faults and killed clients).

use crate::client_kind::ClientKind;
use crate::events::Event;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The log of one client process.
#[derive(Debug, Clone)]
pub struct ProcessLog {
    /// The process's name in the run (`zk-sync-1`, `curator-2`, …).
    pub id: String,
    /// Its library.
    pub kind: ClientKind,
    /// Its events, in log order.
    pub events: Vec<Event>,
    /// Whether the fault injector killed it (its log simply ends).
    pub killed: bool,
}

/// One injected fault, from its start to the moment it was healed.
#[derive(Debug, Clone)]
pub struct FaultWindow {
    /// The fault's kind (`kill-leader`, `cut-long`, …).
    pub kind: String,
    /// The client it hit (`None` for a server fault, which hits everyone).
    pub target: Option<String>,
    /// When it began.
    pub start: u64,
    /// When it was healed.
    pub end: u64,
}

/// Everything a run leaves behind for the checker.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// The client processes' logs.
    pub processes: Vec<ProcessLog>,
    /// The faults injected.
    pub faults: Vec<FaultWindow>,
    /// Nodes still under the path once every client was idle.
    pub orphans: Vec<String>,
    /// The store's final value.
    pub final_value: i64,
    /// When the processes were asked to stop, if they were.
    pub stop_sent_at: Option<u64>,
    /// Healthy waiting time after which an acquire counts as hung, in nanoseconds.
    pub hang_limit_ns: u64,
    /// Time after a fault's end that still counts as unhealthy, in nanoseconds (sessions
    /// that expired need a new one, waiters re-queue).
    pub fault_grace_ns: u64,
    /// Semaphore runs: how many holds (`kind=s`) may touch the resource at once.
    pub permits: Option<usize>,
}

/// What the checker found.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Holds by client kind.
    pub holds: BTreeMap<ClientKind, usize>,
    /// Exclusion violations, described.
    pub violations: Vec<String>,
    /// Fencing-token inversions, described.
    pub inversions: Vec<String>,
    /// Writes the store accepted.
    pub accepted_writes: usize,
    /// Accepted writes that overwrote another write (lost increments).
    pub lost_increments: usize,
    /// The store's final value (equal to `accepted_writes` when nothing was lost, give or
    /// take a write per killed client that was killed between writing and logging it).
    pub final_value: i64,
    /// Client processes killed during the run.
    pub killed: usize,
    /// Stale writes the store rejected, by client kind (the fence working).
    pub stale_rejected: BTreeMap<ClientKind, usize>,
    /// Stale writes the store accepted, by client kind (failures).
    pub stale_accepted: BTreeMap<ClientKind, usize>,
    /// Rejected writes of holds that were not stale (failures).
    pub fresh_rejected: usize,
    /// Writes a holder gave up because it was told (uncertain, lost, lease run out), by kind.
    pub told_skips: BTreeMap<ClientKind, usize>,
    /// Session events the clients logged: `uncertain`, `lost`, `reconnected`, …
    pub session_events: BTreeMap<String, usize>,
    /// Faults injected, by kind.
    pub faults: BTreeMap<String, usize>,
    /// Nodes left behind.
    pub orphans: Vec<String>,
    /// Hangs, described.
    pub hangs: Vec<String>,
    /// For each fault, milliseconds from its end to the next acquisition by the client it hit
    /// (anywhere, for server faults and killed clients).
    pub recovery_ms: Vec<u64>,
    /// Faults after which nothing was acquired again before the run ended.
    pub unrecovered: usize,
}

impl Findings {
    /// Every failure found; empty for a clean run.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut count = |what: &str, n: usize, examples: &[String]| {
            if n > 0 {
                let mut line = format!("{n} {what}");
                for example in examples.iter().take(3) {
                    write!(line, "\n    {example}").ok();
                }
                problems.push(line);
            }
        };
        count(
            "exclusion violations",
            self.violations.len(),
            &self.violations,
        );
        count(
            "fencing-token inversions",
            self.inversions.len(),
            &self.inversions,
        );
        count("lost increments", self.lost_increments, &[]);
        let zk_sync_stale: usize = self
            .stale_rejected
            .iter()
            .filter(|(kind, _)| kind.is_zk_sync())
            .map(|(_, count)| count)
            .sum();
        count(
            "stale writes from zk-sync clients reached the store (they check right before writing)",
            zk_sync_stale,
            &[],
        );
        let accepted_stale: usize = self.stale_accepted.values().sum();
        count("stale writes accepted by the store", accepted_stale, &[]);
        count(
            "rejected writes of holds that were not stale",
            self.fresh_rejected,
            &[],
        );
        count("orphan nodes", self.orphans.len(), &self.orphans);
        count("hangs", self.hangs.len(), &self.hangs);
        let unlogged = self.final_value - self.accepted_writes as i64;
        if !(0..=self.killed as i64).contains(&unlogged) {
            problems.push(format!(
                "the store holds {} after {} accepted increments ({} clients killed)",
                self.final_value, self.accepted_writes, self.killed
            ));
        }
        problems
    }

    /// Holds of every kind.
    pub fn total_holds(&self) -> usize {
        self.holds.values().sum()
    }

    /// Faults of every kind.
    pub fn total_faults(&self) -> usize {
        self.faults.values().sum()
    }
}

/// One hold, rebuilt from a process's events.
#[derive(Debug, Clone)]
struct Hold {
    process: usize,
    task: u32,
    kind: ClientKind,
    reader: bool,
    /// A semaphore permit: shares the resource with up to `permits - 1` others.
    leased: bool,
    /// The fencing token: `czxid` and local count (0 but for local hand-off), compared as
    /// a pair.
    token: (i64, i64),
    acquired: u64,
    /// The last touch of the resource, if any.
    last_touch: Option<u64>,
    /// The last event of the hold (its release, or whatever came last).
    end: u64,
    writes: Vec<Write>,
}

#[derive(Debug, Clone)]
struct Write {
    at: u64,
    read: i64,
    found: i64,
    accepted: bool,
}

/// A wait in acquire.
#[derive(Debug, Clone)]
struct Wait {
    process: usize,
    task: u32,
    from: u64,
    to: u64,
}

/// Checks a run.
pub fn check(evidence: &Evidence) -> Findings {
    let mut findings = Findings {
        final_value: evidence.final_value,
        killed: evidence.processes.iter().filter(|p| p.killed).count(),
        orphans: evidence.orphans.clone(),
        ..Findings::default()
    };
    for fault in &evidence.faults {
        *findings.faults.entry(fault.kind.clone()).or_default() += 1;
    }
    let (holds, waits) = rebuild(evidence, &mut findings);
    for hold in &holds {
        *findings.holds.entry(hold.kind).or_default() += 1;
    }
    check_exclusion(evidence, &holds, &mut findings);
    check_capacity(evidence, &holds, &mut findings);
    check_tokens(evidence, &holds, &mut findings);
    check_writes(&holds, &mut findings);
    check_hangs(evidence, &waits, &mut findings);
    check_recovery(evidence, &mut findings);
    findings
}

fn name(evidence: &Evidence, process: usize, task: u32) -> String {
    format!("{}/{task}", evidence.processes[process].id)
}

fn rebuild(evidence: &Evidence, findings: &mut Findings) -> (Vec<Hold>, Vec<Wait>) {
    let mut holds = Vec::new();
    let mut waits = Vec::new();
    for (process, log) in evidence.processes.iter().enumerate() {
        let mut open: BTreeMap<u32, Hold> = BTreeMap::new();
        let mut waiting: BTreeMap<u32, u64> = BTreeMap::new();
        let mut end_wait = |waiting: &mut BTreeMap<u32, u64>, task: u32, to: u64| {
            if let Some(from) = waiting.remove(&task) {
                waits.push(Wait {
                    process,
                    task,
                    from,
                    to,
                });
            }
        };
        // The kind of lock each task last asked for (`acquire kind=r|w|x|l|s`).
        let mut asked: BTreeMap<u32, String> = BTreeMap::new();
        let last_event = log.events.last().map_or(0, |e| e.at);
        for event in &log.events {
            let Some(task) = event.task else {
                *findings
                    .session_events
                    .entry(event.name.clone())
                    .or_default() += 1;
                continue;
            };
            match event.name.as_str() {
                "acquire" => {
                    waiting.insert(task, event.at);
                    asked.insert(task, event.get("kind").unwrap_or("x").to_owned());
                }
                "acquired" | "acquire_error" => {
                    end_wait(&mut waiting, task, event.at);
                    if event.name == "acquired" {
                        if let Some(previous) = open.remove(&task) {
                            holds.push(previous);
                        }
                        let kind = event
                            .get("kind")
                            .or_else(|| asked.get(&task).map(String::as_str))
                            .unwrap_or("x");
                        open.insert(
                            task,
                            Hold {
                                process,
                                task,
                                kind: log.kind,
                                reader: kind == "r",
                                leased: kind == "s",
                                token: (
                                    event.number("token").unwrap_or(0),
                                    event.number("local").unwrap_or(0),
                                ),
                                acquired: event.at,
                                last_touch: None,
                                end: event.at,
                                writes: Vec::new(),
                            },
                        );
                    }
                }
                "read" | "write" | "skip" | "released" => {
                    let Some(hold) = open.get_mut(&task) else {
                        // A hold given up before it was logged as acquired ends its wait.
                        end_wait(&mut waiting, task, event.at);
                        continue;
                    };
                    // A touch is timed under the store's lock where the client says so.
                    let touched = event
                        .number("at")
                        .and_then(|at| u64::try_from(at).ok())
                        .unwrap_or(event.at);
                    hold.end = event.at.max(touched);
                    match event.name.as_str() {
                        "read" => hold.last_touch = Some(touched),
                        "write" => {
                            hold.last_touch = Some(touched);
                            hold.writes.push(Write {
                                at: touched,
                                read: event.number("read").unwrap_or(-1),
                                found: event.number("cur").unwrap_or(-2),
                                accepted: event.get("result") == Some("accepted"),
                            });
                        }
                        "skip" => {
                            if event.get("reason") == Some("told") {
                                *findings.told_skips.entry(log.kind).or_default() += 1;
                            }
                        }
                        _ => {
                            if let Some(hold) = open.remove(&task) {
                                holds.push(hold);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        holds.extend(open.into_values());
        // Waits still open when the log ended: a killed process simply stopped waiting.
        for (task, from) in waiting {
            let to = if log.killed {
                last_event
            } else {
                last_event.max(evidence.stop_sent_at.unwrap_or(0))
            };
            waits.push(Wait {
                process,
                task,
                from,
                to,
            });
        }
    }
    holds.sort_by_key(|h| h.acquired);
    (holds, waits)
}

fn check_exclusion(evidence: &Evidence, holds: &[Hold], findings: &mut Findings) {
    // The touched hold reaching furthest so far, among exclusive holds and among readers.
    let mut furthest_exclusive: Option<(u64, usize)> = None;
    let mut furthest_reader: Option<(u64, usize)> = None;
    for (index, hold) in holds.iter().enumerate() {
        let Some(last_touch) = hold.last_touch else {
            continue;
        };
        if hold.leased {
            continue;
        }
        let conflicts = if hold.reader {
            [furthest_exclusive, None]
        } else {
            [furthest_exclusive, furthest_reader]
        };
        if let Some((_, other)) = conflicts
            .into_iter()
            .flatten()
            .filter(|(end, _)| hold.acquired < *end)
            .max()
        {
            let other = &holds[other];
            findings.violations.push(format!(
                "{} (token {}, {}) acquired at {} while {} (token {}, {}) touched the resource until {}",
                name(evidence, hold.process, hold.task),
                shown(hold.token),
                hold.kind,
                hold.acquired,
                name(evidence, other.process, other.task),
                shown(other.token),
                other.kind,
                other.last_touch.unwrap_or(0),
            ));
        }
        let slot = if hold.reader {
            &mut furthest_reader
        } else {
            &mut furthest_exclusive
        };
        if slot.map_or(true, |(end, _)| last_touch > end) {
            *slot = Some((last_touch, index));
        }
    }
}

/// Semaphore permits: at no moment do more than `permits` of them reach from their
/// acquisition to their last touch.
fn check_capacity(evidence: &Evidence, holds: &[Hold], findings: &mut Findings) {
    let Some(permits) = evidence.permits else {
        return;
    };
    // Ends sort before starts at the same instant: a hold that ended as another began does
    // not overlap it.
    let mut edges: Vec<(u64, bool, usize)> = Vec::new();
    for (index, hold) in holds.iter().enumerate().filter(|(_, h)| h.leased) {
        if let Some(last_touch) = hold.last_touch {
            edges.push((hold.acquired, true, index));
            edges.push((last_touch, false, index));
        }
    }
    edges.sort();
    let mut inside: Vec<usize> = Vec::new();
    for (at, starts, index) in edges {
        if !starts {
            inside.retain(|&i| i != index);
            continue;
        }
        inside.push(index);
        if inside.len() > permits {
            let names: Vec<String> = inside
                .iter()
                .map(|&i| name(evidence, holds[i].process, holds[i].task))
                .collect();
            findings.violations.push(format!(
                "{} permits held at {at} (of {permits}): {}",
                inside.len(),
                names.join(", ")
            ));
        }
    }
}

/// A token as [`zk_sync_core::FencingToken`] shows it: `czxid`, or `czxid.count`.
fn shown((czxid, local): (i64, i64)) -> String {
    match local {
        0 => czxid.to_string(),
        _ => format!("{czxid}.{local}"),
    }
}

fn check_tokens(evidence: &Evidence, holds: &[Hold], findings: &mut Findings) {
    // Holds that never touched the store did nothing a token would have to fence. Semaphore
    // permits share the store and write nothing; the capacity check covers them. (Their
    // tokens do follow the order of acquisition, but a Curator holder logs its acquisition
    // only after reading its lease back, by when a permit taken after it may have ended.)
    let fenced = |h: &&Hold| h.token.0 > 0 && h.last_touch.is_some() && !h.leased;
    let mut by_end: Vec<&Hold> = holds.iter().filter(fenced).collect();
    by_end.sort_by_key(|h| h.end);
    let mut ended = 0;
    let mut top_exclusive: Option<&Hold> = None;
    let mut top_any: Option<&Hold> = None;
    for hold in holds.iter().filter(fenced) {
        while ended < by_end.len() && by_end[ended].end < hold.acquired {
            let done = by_end[ended];
            if top_any.map_or(true, |top| done.token > top.token) {
                top_any = Some(done);
            }
            if !done.reader && top_exclusive.map_or(true, |top| done.token > top.token) {
                top_exclusive = Some(done);
            }
            ended += 1;
        }
        let before = if hold.reader { top_exclusive } else { top_any };
        if let Some(before) = before.filter(|before| hold.token <= before.token) {
            findings.inversions.push(format!(
                "{} acquired token {} at {} after {} had ended with token {} at {}",
                name(evidence, hold.process, hold.task),
                shown(hold.token),
                hold.acquired,
                name(evidence, before.process, before.task),
                shown(before.token),
                before.end,
            ));
        }
    }
}

fn check_writes(holds: &[Hold], findings: &mut Findings) {
    // Acquisitions of holds that touched the store (sorted, as the holds are).
    let acquisitions: Vec<u64> = holds
        .iter()
        .filter(|h| h.last_touch.is_some())
        .map(|h| h.acquired)
        .collect();
    for hold in holds {
        for write in &hold.writes {
            // Holds are sorted by acquisition: anyone acquired after us and before the write?
            let after_us = acquisitions.partition_point(|&at| at <= hold.acquired);
            let before_write = acquisitions.partition_point(|&at| at < write.at);
            let stale = before_write > after_us;
            match (write.accepted, stale) {
                (true, false) => {}
                (true, true) => *findings.stale_accepted.entry(hold.kind).or_default() += 1,
                (false, true) => *findings.stale_rejected.entry(hold.kind).or_default() += 1,
                (false, false) => findings.fresh_rejected += 1,
            }
            if write.accepted {
                findings.accepted_writes += 1;
                if write.found != write.read {
                    findings.lost_increments += 1;
                }
            }
        }
    }
}

/// The unhealthy stretches of the run for client `id`: every server fault and every fault
/// that hit this client, plus the grace after each, merged.
fn unhealthy(evidence: &Evidence, id: &str) -> Vec<(u64, u64)> {
    let mut windows: Vec<(u64, u64)> = evidence
        .faults
        .iter()
        .filter(|f| f.target.as_deref().map_or(true, |target| target == id))
        .map(|f| (f.start, f.end + evidence.fault_grace_ns))
        .collect();
    windows.sort();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (start, end) in windows {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn healthy_time(unhealthy: &[(u64, u64)], from: u64, to: u64) -> u64 {
    let sick: u64 = unhealthy
        .iter()
        .map(|&(start, end)| end.min(to).saturating_sub(start.max(from)))
        .sum();
    to.saturating_sub(from).saturating_sub(sick)
}

fn check_hangs(evidence: &Evidence, waits: &[Wait], findings: &mut Findings) {
    for wait in waits {
        let unhealthy = unhealthy(evidence, &evidence.processes[wait.process].id);
        let healthy = healthy_time(&unhealthy, wait.from, wait.to);
        if healthy > evidence.hang_limit_ns {
            findings.hangs.push(format!(
                "{} waited in acquire from {} to {} ({} ms of it healthy)",
                name(evidence, wait.process, wait.task),
                wait.from,
                wait.to,
                healthy / 1_000_000,
            ));
        }
    }
    let Some(stop) = evidence.stop_sent_at else {
        return;
    };
    for log in evidence.processes.iter().filter(|log| !log.killed) {
        let idle = log
            .events
            .iter()
            .find(|e| e.task.is_none() && e.name == "idle" && e.at >= stop);
        match idle {
            Some(idle) if idle.at - stop <= evidence.hang_limit_ns => {}
            Some(idle) => findings.hangs.push(format!(
                "{} went idle {} ms after it was asked to stop",
                log.id,
                (idle.at - stop) / 1_000_000
            )),
            None => findings.hangs.push(format!(
                "{} never went idle after it was asked to stop",
                log.id
            )),
        }
    }
}

fn check_recovery(evidence: &Evidence, findings: &mut Findings) {
    let acquisitions_of = |target: Option<&str>| {
        let mut acquisitions: Vec<u64> = evidence
            .processes
            .iter()
            .filter(|log| target.map_or(true, |id| log.id == id))
            .flat_map(|log| log.events.iter())
            .filter(|e| e.name == "acquired")
            .map(|e| e.at)
            .collect();
        acquisitions.sort_unstable();
        acquisitions
    };
    let anywhere = acquisitions_of(None);
    for fault in &evidence.faults {
        let target = fault.target.as_deref().filter(|id| {
            evidence
                .processes
                .iter()
                .any(|log| log.id == *id && !log.killed)
        });
        let own;
        let acquisitions = match target {
            Some(id) => {
                own = acquisitions_of(Some(id));
                &own
            }
            None => &anywhere,
        };
        let next = acquisitions.partition_point(|&at| at <= fault.end);
        match acquisitions.get(next) {
            Some(at) => findings.recovery_ms.push((at - fault.end) / 1_000_000),
            None => findings.unrecovered += 1,
        }
    }
    findings.recovery_ms.sort_unstable();
}
