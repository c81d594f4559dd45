//! The checker on hand-written logs: each failure it must catch, and the legal cases it must
//! let through.

use zk_sync_torture::check::{check, Evidence, FaultWindow, ProcessLog};
use zk_sync_torture::client_kind::ClientKind;
use zk_sync_torture::events::Event;

const MS: u64 = 1_000_000;

fn process(id: &str, kind: ClientKind, lines: &[&str]) -> ProcessLog {
    ProcessLog {
        id: id.into(),
        kind,
        events: lines
            .iter()
            .map(|line| Event::parse(line).expect("test line parses"))
            .collect(),
        killed: false,
    }
}

/// A whole hold: acquired at `at` ms, read, write at `at + 2` ms, released at `at + 3` ms.
fn hold(at: u64, token: i64, read: i64, found: i64, result: &str) -> Vec<String> {
    vec![
        format!("{} 0 acquire kind=x", (at - 1) * MS),
        format!("{} 0 acquired token={token} kind=x", at * MS),
        format!("{} 0 read value={read}", (at + 1) * MS),
        format!(
            "{} 0 write token={token} read={read} cur={found} result={result}",
            (at + 2) * MS
        ),
        format!("{} 0 released ok=true", (at + 3) * MS),
    ]
}

fn evidence(processes: Vec<ProcessLog>, final_value: i64) -> Evidence {
    Evidence {
        processes,
        final_value,
        hang_limit_ns: 1_000 * MS,
        fault_grace_ns: 100 * MS,
        ..Evidence::default()
    }
}

fn lines(holds: &[Vec<String>]) -> Vec<String> {
    holds.concat()
}

fn log(id: &str, kind: ClientKind, lines: &[String]) -> ProcessLog {
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    process(id, kind, &refs)
}

#[test]
fn holds_one_after_another_are_clean() {
    let a = lines(&[
        hold(10, 100, 0, 0, "accepted"),
        hold(30, 300, 2, 2, "accepted"),
    ]);
    let b = lines(&[hold(20, 200, 1, 1, "accepted")]);
    let findings = check(&evidence(
        vec![
            log("a", ClientKind::ZkSync, &a),
            log("b", ClientKind::Curator, &b),
        ],
        3,
    ));
    assert!(findings.problems().is_empty(), "{:?}", findings.problems());
    assert_eq!(findings.total_holds(), 3);
    assert_eq!(findings.accepted_writes, 3);
}

#[test]
fn local_holds_of_one_node_are_ordered_by_their_count() {
    // A local hand-off client's holds share the node's czxid (`token`) and count up in
    // `local`; a Curator hold on a later node follows them.
    let local = |at: u64, count: u64, value: i64| {
        hold(at, 100, value, value, "accepted")
            .into_iter()
            .map(|line| {
                line.replace(
                    "acquired token=100",
                    &format!("acquired token=100 local={count}"),
                )
            })
            .collect::<Vec<_>>()
    };
    let a = lines(&[local(10, 0, 0), local(20, 1, 1), local(30, 2, 2)]);
    let b = lines(&[hold(40, 200, 3, 3, "accepted")]);
    let clean = check(&evidence(
        vec![
            log("a", ClientKind::ZkSyncLocal, &a),
            log("b", ClientKind::Curator, &b),
        ],
        4,
    ));
    assert!(clean.problems().is_empty(), "{:?}", clean.problems());
    // A count that does not grow is an inversion, even on the same node.
    let a = lines(&[local(10, 0, 0), local(20, 1, 1), local(30, 1, 2)]);
    let inverted = check(&evidence(vec![log("a", ClientKind::ZkSyncLocal, &a)], 3));
    assert_eq!(inverted.inversions.len(), 1, "{:?}", inverted.inversions);
    assert!(
        inverted.inversions[0].contains("token 100.1"),
        "{:?}",
        inverted.inversions
    );
}

#[test]
fn semaphore_permits_may_overlap_up_to_the_limit_and_no_further() {
    // A permit: acquired at `at` ms, reads at `at + 1`, `at + 5`, released at `at + 6`.
    let permit = |at: u64, token: i64| {
        vec![
            format!("{} 0 acquire kind=s", (at - 1) * MS),
            format!("{} 0 acquired token={token}", at * MS),
            format!("{} 0 read value=0", (at + 1) * MS),
            format!("{} 0 read value=0", (at + 5) * MS),
            format!("{} 0 released ok=true", (at + 6) * MS),
        ]
    };
    let logs = || {
        vec![
            log("a", ClientKind::ZkSync, &permit(10, 100)),
            log("b", ClientKind::Curator, &permit(11, 200)),
            log("c", ClientKind::ZkSync, &permit(12, 300)),
            // Acquired the moment b last touches: with c, two at once.
            log("d", ClientKind::Curator, &permit(16, 400)),
        ]
    };
    let within = Evidence {
        permits: Some(3),
        ..evidence(logs(), 0)
    };
    let clean = check(&within);
    assert!(clean.problems().is_empty(), "{:?}", clean.problems());
    let over = Evidence {
        permits: Some(2),
        ..evidence(logs(), 0)
    };
    let findings = check(&over);
    assert_eq!(findings.violations.len(), 1, "{:?}", findings.violations);
    assert!(
        findings.violations[0].contains("3 permits held"),
        "{:?}",
        findings.violations
    );
}

#[test]
fn a_lock_that_lets_everyone_in_is_caught() {
    // b acquires while a is between its read and its write: both read 0 and write 1.
    let a = lines(&[hold(10, 100, 0, 0, "accepted")]);
    let b = lines(&[hold(11, 200, 0, 1, "accepted")]);
    let findings = check(&evidence(
        vec![
            log("a", ClientKind::ZkSync, &a),
            log("b", ClientKind::ZkSync, &b),
        ],
        1,
    ));
    assert_eq!(findings.violations.len(), 1, "{:?}", findings.violations);
    assert_eq!(findings.lost_increments, 1);
    assert!(!findings.problems().is_empty());
}

#[test]
fn readers_may_overlap_readers_but_not_a_writer() {
    // Curator's worker names the kind on `acquire` only.
    let reader = |at: u64, token: i64| {
        vec![
            format!("{} 0 acquire kind=r", (at - 1) * MS),
            format!("{} 0 acquired token={token}", at * MS),
            format!("{} 0 read value=0", (at + 3) * MS),
            format!("{} 0 released ok=true", (at + 5) * MS),
        ]
    };
    let readers = check(&evidence(
        vec![
            log("r1", ClientKind::ZkSync, &reader(10, 100)),
            log("r2", ClientKind::Curator, &reader(11, 101)),
        ],
        0,
    ));
    assert!(readers.problems().is_empty(), "{:?}", readers.problems());

    let writer = lines(&[hold(11, 102, 0, 0, "accepted")]);
    let mixed = check(&evidence(
        vec![
            log("r1", ClientKind::ZkSync, &reader(10, 100)),
            log("w", ClientKind::ZkSync, &writer),
        ],
        1,
    ));
    assert_eq!(mixed.violations.len(), 1, "{:?}", mixed.violations);
}

#[test]
fn several_writes_in_one_hold_each_count_once() {
    let term = vec![
        "10000000 0 acquired token=100 kind=l".to_owned(),
        "11000000 0 read value=0".to_owned(),
        "12000000 0 write token=100 read=0 cur=0 result=accepted".to_owned(),
        "13000000 0 read value=1".to_owned(),
        "14000000 0 write token=100 read=1 cur=1 result=accepted".to_owned(),
        "15000000 0 released ok=true".to_owned(),
    ];
    let findings = check(&evidence(vec![log("a", ClientKind::Curator, &term)], 2));
    assert!(findings.problems().is_empty(), "{:?}", findings.problems());
    assert_eq!(findings.accepted_writes, 2);
}

#[test]
fn a_later_hold_with_a_smaller_token_is_an_inversion() {
    let a = lines(&[hold(10, 300, 0, 0, "accepted")]);
    let b = lines(&[hold(20, 200, 1, 1, "rejected")]);
    let findings = check(&evidence(
        vec![
            log("a", ClientKind::ZkSync, &a),
            log("b", ClientKind::Go, &b),
        ],
        1,
    ));
    assert_eq!(findings.inversions.len(), 1, "{:?}", findings.inversions);
    assert_eq!(
        findings.fresh_rejected, 1,
        "b was not stale: nobody acquired after it"
    );
}

#[test]
fn a_stale_write_the_fence_rejects_is_counted_apart_and_one_it_accepts_fails() {
    // a reads at 11 ms, is paused, wakes at 50 ms and writes without checking; b held in between.
    let paused = |result: &str| {
        vec![
            "10000000 0 acquired token=100 kind=x".to_owned(),
            "11000000 0 read value=0".to_owned(),
            format!("50000000 0 write token=100 read=0 cur=1 result={result}"),
            "51000000 0 released ok=false".to_owned(),
        ]
    };
    let b = lines(&[hold(20, 200, 0, 0, "accepted")]);
    let rejected = check(&evidence(
        vec![
            log("a", ClientKind::Curator, &paused("rejected")),
            log("b", ClientKind::ZkSync, &b),
        ],
        1,
    ));
    assert_eq!(rejected.stale_rejected.get(&ClientKind::Curator), Some(&1));
    assert_eq!(
        rejected.violations.len(),
        1,
        "a touched the store while b held"
    );

    let accepted = check(&evidence(
        vec![
            log("a", ClientKind::ZkSync, &paused("accepted")),
            log("b", ClientKind::ZkSync, &b),
        ],
        1,
    ));
    assert_eq!(accepted.stale_accepted.get(&ClientKind::ZkSync), Some(&1));
    assert_eq!(accepted.lost_increments, 1);
}

#[test]
fn a_paused_holder_that_checks_on_waking_is_no_violation() {
    let a = vec![
        "10000000 0 acquired token=100 kind=x".to_owned(),
        "11000000 0 read value=0".to_owned(),
        "50000000 0 skip reason=told".to_owned(),
        "51000000 0 released ok=false".to_owned(),
    ];
    let b = lines(&[hold(20, 200, 0, 0, "accepted")]);
    let findings = check(&evidence(
        vec![
            log("a", ClientKind::ZkSync, &a),
            log("b", ClientKind::ZkSync, &b),
        ],
        1,
    ));
    assert!(findings.problems().is_empty(), "{:?}", findings.problems());
    assert_eq!(findings.told_skips.get(&ClientKind::ZkSync), Some(&1));
}

#[test]
fn a_wait_longer_than_the_limit_of_healthy_time_is_a_hang_and_faults_excuse_it() {
    let waiting = vec![
        "10000000 0 acquire kind=x".to_owned(),
        format!("{} 0 acquired token=100 kind=x", 2_000 * MS),
    ];
    let mut run = evidence(vec![log("a", ClientKind::ZkSync, &waiting)], 0);
    assert_eq!(check(&run).hangs.len(), 1);

    run.faults.push(FaultWindow {
        kind: "kill-leader".into(),
        target: None,
        start: 5 * MS,
        end: 1_500 * MS,
    });
    let excused = check(&run);
    assert!(excused.hangs.is_empty(), "{:?}", excused.hangs);
    assert_eq!(excused.recovery_ms, vec![500]);
}

#[test]
fn a_process_that_never_goes_idle_after_stop_hangs_and_orphans_are_reported() {
    let mut run = evidence(
        vec![log(
            "a",
            ClientKind::ZkSync,
            &["1000 - start kind=zk-sync".to_owned()],
        )],
        0,
    );
    run.stop_sent_at = Some(2_000);
    run.orphans = vec!["_c_x-lock-0000000001".into()];
    let findings = check(&run);
    assert_eq!(findings.hangs.len(), 1, "{:?}", findings.hangs);
    assert_eq!(findings.orphans.len(), 1);
    assert_eq!(findings.problems().len(), 2);
}

#[test]
fn a_touch_is_timed_under_the_store_lock_when_the_client_says_so() {
    // a's write is logged after waking from a pause, but happened (under the lock) before b.
    let a = vec![
        "10000000 0 acquired token=100 kind=x".to_owned(),
        "11000000 0 read value=0 at=11000000".to_owned(),
        "50000000 0 write token=100 read=0 cur=0 result=accepted at=12000000".to_owned(),
        "51000000 0 released ok=true".to_owned(),
    ];
    let b = lines(&[hold(20, 200, 1, 1, "accepted")]);
    let findings = check(&evidence(
        vec![
            log("a", ClientKind::ZkSync, &a),
            log("b", ClientKind::ZkSync, &b),
        ],
        2,
    ));
    assert!(findings.problems().is_empty(), "{:?}", findings.problems());
}

#[test]
fn a_killed_writer_may_leave_one_unlogged_increment() {
    let a = vec![
        "10000000 0 acquired token=100 kind=x".to_owned(),
        "11000000 0 read value=0".to_owned(),
    ];
    let mut killed = log("a", ClientKind::Go, &a);
    killed.killed = true;
    let b = lines(&[hold(20, 200, 1, 1, "accepted")]);
    let one = check(&evidence(
        vec![killed.clone(), log("b", ClientKind::ZkSync, &b)],
        2,
    ));
    assert!(one.problems().is_empty(), "{:?}", one.problems());
    let two = check(&evidence(vec![killed, log("b", ClientKind::ZkSync, &b)], 3));
    assert_eq!(two.problems().len(), 1, "{:?}", two.problems());
}

#[test]
fn a_fault_of_one_client_does_not_excuse_another_clients_wait() {
    let waiting = vec![
        "10000000 0 acquire kind=x".to_owned(),
        format!("{} 0 acquired token=100 kind=x", 2_000 * MS),
    ];
    let mut run = evidence(vec![log("a", ClientKind::ZkSync, &waiting)], 0);
    run.faults.push(FaultWindow {
        kind: "cut-long".into(),
        target: Some("other".into()),
        start: 5 * MS,
        end: 1_900 * MS,
    });
    assert_eq!(check(&run).hangs.len(), 1);
    run.faults[0].target = Some("a".into());
    assert!(check(&run).hangs.is_empty());
}
