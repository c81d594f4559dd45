//! The reader-writer predicate over the core's contender queue.

use zk_sync_core::contender::{Contender, Decision, Recipe};

/// Which side of the lock a contender is on: the index of its marker in [`ReadWrite::markers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Read = 0,
    Write = 1,
}

/// Curator `InterProcessReadWriteLock`'s predicate.
///
/// Readers and writers queue in one directory, sorted together by sequence (ties broken by
/// name, so every client of ours sees one total order):
///
/// - a writer holds when it is first of all contenders, and otherwise waits on its immediate
///   predecessor (reader or writer);
/// - a reader holds when no writer sorts before it, and otherwise waits on the nearest
///   earlier writer. (Curator's reader watches the *first* writer instead; both are safe
///   because a woken reader re-checks the whole queue, and watching the nearest one means a
///   reader re-arms at most once per writer between it and the head.)
///
/// Every wait is on an earlier contender, so no two contenders ever wait on each other, and a
/// reader arriving after a queued writer always waits for that writer: writers are not starved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadWrite;

/// Curator's markers, in [`Side`] order.
const MARKERS: [&str; 2] = ["__READ__", "__WRIT__"];

impl Recipe for ReadWrite {
    fn markers(&self) -> &[&'static str] {
        &MARKERS
    }

    fn decide(&self, queue: &[Contender], me: usize) -> Decision {
        if queue[me].marker() == Side::Write as usize {
            return match me {
                0 => Decision::Acquired,
                _ => Decision::WaitOn(me - 1),
            };
        }
        match queue[..me]
            .iter()
            .rposition(|c| c.marker() == Side::Write as usize)
        {
            None => Decision::Acquired,
            Some(writer) => Decision::WaitOn(writer),
        }
    }

    /// A writer is blocked by every older contender, a reader only by older writers.
    fn blocks(&self, mine: usize, older: usize) -> Option<bool> {
        Some(mine == Side::Write as usize || older == Side::Write as usize)
    }

    /// Curator's readers and writers (`LockInternals`) and ours re-check on any event.
    fn waiters_recheck_on_any_event(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zk_sync_core::contender::sort_contenders;

    /// Sorts `names` as the queue does and decides for each, in sorted order.
    fn decide_all(names: &[&str]) -> Vec<(String, Decision)> {
        let queue = sort_contenders(
            names.iter().map(|n| n.to_string()).collect(),
            ReadWrite.markers(),
        );
        (0..queue.len())
            .map(|me| (queue[me].name().to_owned(), ReadWrite.decide(&queue, me)))
            .collect()
    }

    #[test]
    fn readers_share_until_the_first_writer() {
        let got = decide_all(&[
            "_c_a-__READ__0000000001",
            "_c_b-__READ__0000000002",
            "_c_c-__WRIT__0000000003",
            "_c_d-__READ__0000000004",
            "_c_e-__WRIT__0000000005",
            "_c_f-__READ__0000000006",
        ]);
        let decisions: Vec<_> = got.iter().map(|(_, d)| *d).collect();
        assert_eq!(
            decisions,
            [
                Decision::Acquired,
                Decision::Acquired,
                Decision::WaitOn(1),
                Decision::WaitOn(2),
                Decision::WaitOn(3),
                Decision::WaitOn(4),
            ]
        );
    }

    #[test]
    fn a_writer_holds_only_at_the_head() {
        let got = decide_all(&["_c_w-__WRIT__0000000007", "_c_r-__READ__0000000008"]);
        assert_eq!(got[0].1, Decision::Acquired);
        assert_eq!(got[1].1, Decision::WaitOn(0));
    }

    #[test]
    fn children_of_other_recipes_are_ignored() {
        let got = decide_all(&["_c_x-lock-0000000001", "_c_r-__READ__0000000002"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, Decision::Acquired);
    }

    #[test]
    fn shared_sequence_numbers_give_one_holder_order() {
        // A writer and a reader with one sequence: the name decides, the same way everywhere.
        for (writer, reader, writer_first) in [
            ("_c_0-__WRIT__0000000005", "_c_1-__READ__0000000005", true),
            ("_c_1-__WRIT__0000000005", "_c_0-__READ__0000000005", false),
        ] {
            for names in [[writer, reader], [reader, writer]] {
                let got = decide_all(&names);
                let held: Vec<_> = got
                    .iter()
                    .filter(|(_, d)| *d == Decision::Acquired)
                    .map(|(n, _)| n.as_str())
                    .collect();
                assert_eq!(held, [if writer_first { writer } else { reader }]);
                assert_eq!(got[1].1, Decision::WaitOn(0), "waits on the earlier one");
            }
        }
    }

    #[test]
    fn the_walk_rule_agrees_with_the_decision() {
        // The nearest older blocker is what `decide` waits on.
        for names in every_queue_of_up_to_six() {
            let queue = sort_contenders(names.clone(), ReadWrite.markers());
            for me in 0..queue.len() {
                let mine = queue[me].marker();
                let nearest = queue[..me]
                    .iter()
                    .rposition(|c| ReadWrite.blocks(mine, c.marker()) == Some(true));
                let walked = match nearest {
                    None => Decision::Acquired,
                    Some(index) => Decision::WaitOn(index),
                };
                assert_eq!(walked, ReadWrite.decide(&queue, me), "{names:?} #{me}");
            }
        }
    }

    #[test]
    fn every_wait_is_on_an_earlier_contender() {
        for names in every_queue_of_up_to_six() {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let got = decide_all(&refs);
            let mut writer_seen = false;
            for (me, (name, decision)) in got.iter().enumerate() {
                let is_writer = name.contains(MARKERS[1]);
                match decision {
                    Decision::WaitOn(on) => assert!(*on < me, "{names:?}"),
                    Decision::Acquired if is_writer => assert_eq!(me, 0, "{names:?}"),
                    Decision::Acquired => assert!(!writer_seen, "{names:?}"),
                }
                writer_seen |= is_writer;
            }
        }
    }

    /// All queues of up to six contenders, as bit patterns of reader/writer, in queue order.
    fn every_queue_of_up_to_six() -> impl Iterator<Item = Vec<String>> {
        (1..=6).flat_map(|len| {
            (0u32..(1 << len)).map(move |pattern| {
                (0..len)
                    .map(|i| {
                        let marker = MARKERS[((pattern >> i) & 1) as usize];
                        format!("_c_{i}-{marker}{i:010}")
                    })
                    .collect()
            })
        })
    }
}
