//! The seam and drop accounting of one viewer, driven through a model
//! stream: a reader that starts at some entry, a backlog read in pages,
//! live entries the ring may lose (lag) or the byte budget may empty.

use super::*;
use crate::stream::access::Grant;
use crate::tickets::TicketKind;

const PAGE: usize = 2;

fn id(seq: u64) -> EntryId {
    EntryId { ms: 1, seq }
}

/// Entries `1..=n`; entry `k` carries `k % 3 + 1` lines (events count 1).
fn stream(n: u64) -> Vec<(EntryId, u64)> {
    (1..=n).map(|k| (id(k), k % 3 + 1)).collect()
}

/// How the live part reaches the viewer.
#[derive(Default)]
struct Live {
    /// Entries the ring overwrote before the viewer read them (never received).
    lagged: Vec<EntryId>,
    /// Entries whose text the byte budget took back (received, empty).
    emptied: Vec<EntryId>,
}

/// What a viewer was sent: entry ids in order, and each `dropped` count
/// with the id of the entry it came before.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    ids: Vec<EntryId>,
    dropped: Vec<(u64, EntryId)>,
}

/// A viewer starting after `after` on `entries`, whose reader started after
/// the first `started` entries (those are the retained backlog).
fn view(entries: &[(EntryId, u64)], started: usize, after: Option<EntryId>, live: &Live) -> Seen {
    let pos = Position {
        last_id: started
            .checked_sub(1)
            .map_or(EntryId::ZERO, |i| entries[i].0),
        published_weight: 0,
    };
    let mut ledger = Ledger::new(after);
    let mut seen = Seen::default();
    let mut seam = ledger.seam(pos);
    while let Seam::Backlog { next, end } = seam {
        // XRANGE next end COUNT PAGE.
        let page: Vec<_> = entries
            .iter()
            .filter(|(i, _)| next <= *i && *i <= end)
            .take(PAGE)
            .collect();
        seen.ids.extend(page.iter().map(|(i, _)| *i));
        seam = Ledger::after_page(page.last().map(|(i, _)| *i), end, page.len() == PAGE);
    }
    let mut weight_before = 0;
    for &(i, weight) in &entries[started..] {
        let before = weight_before;
        weight_before += weight;
        if live.lagged.contains(&i) {
            continue;
        }
        match ledger.accept(i, before, weight, !live.emptied.contains(&i)) {
            Verdict::Send { missed } => {
                if missed > 0 {
                    seen.dropped.push((missed, i));
                }
                seen.ids.push(i);
            }
            Verdict::Known | Verdict::Gone => {}
        }
    }
    seen
}

fn strictly_increasing(ids: &[EntryId]) -> bool {
    ids.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn every_entry_arrives_once_in_order_across_the_backlog_live_seam() {
    let entries = stream(9);
    let all: Vec<EntryId> = entries.iter().map(|(i, _)| *i).collect();
    let afters = std::iter::once(None).chain(all.iter().copied().map(Some));
    for after in afters {
        // Every place the reader can start: nothing retained, mid-page, all retained.
        for started in 0..=entries.len() {
            let seen = view(&entries, started, after, &Live::default());
            let want: Vec<EntryId> = all.iter().copied().filter(|i| Some(*i) > after).collect();
            assert_eq!(
                seen.ids, want,
                "after {after:?}, reader started after {started} entries"
            );
            assert!(strictly_increasing(&seen.ids));
            assert!(seen.dropped.is_empty(), "nothing was missed: {seen:?}");
        }
    }
}

#[test]
fn dropped_counts_exactly_the_lines_the_ring_lost() {
    let entries = stream(10);
    // Reader started after entry 3; the ring lost 5, 6 (3 + 1 lines) and 9 (1 line).
    let live = Live {
        lagged: vec![id(5), id(6), id(9)],
        emptied: vec![],
    };
    let seen = view(&entries, 3, None, &live);
    assert_eq!(seen.ids, [1, 2, 3, 4, 7, 8, 10].map(id));
    assert_eq!(seen.dropped, [(3 + 1, id(7)), (1, id(10))]);
}

#[test]
fn dropped_counts_exactly_the_lines_the_byte_budget_took() {
    let entries = stream(10);
    // Entries 4 and 5 (2 + 3 lines) lost their text; 8 lost it and 9 lagged (3 + 1).
    let live = Live {
        lagged: vec![id(9)],
        emptied: vec![id(4), id(5), id(8)],
    };
    let seen = view(&entries, 3, None, &live);
    assert_eq!(seen.ids, [1, 2, 3, 6, 7, 10].map(id));
    assert_eq!(seen.dropped, [(2 + 3, id(6)), (3 + 1, id(10))]);
}

#[test]
fn lines_received_plus_lines_dropped_are_every_live_line() {
    let entries = stream(12);
    let total: u64 = entries[2..].iter().map(|(_, w)| w).sum();
    let weight = |i: EntryId| entries.iter().find(|(e, _)| *e == i).map_or(0, |(_, w)| *w);
    // Any mix of losses, as long as the newest entry arrives (it carries the count).
    for mask in 0u32..(1 << 9) {
        let lost: Vec<EntryId> = (0..9)
            .filter(|b| mask & (1 << b) != 0)
            .map(|b| id(b + 3))
            .collect();
        let (lagged, emptied) = lost.iter().partition(|i| i.seq % 2 == 0);
        let seen = view(&entries, 2, None, &Live { lagged, emptied });
        assert!(strictly_increasing(&seen.ids));
        let received: u64 = seen
            .ids
            .iter()
            .filter(|i| i.seq > 2)
            .map(|i| weight(*i))
            .sum();
        let dropped: u64 = seen.dropped.iter().map(|(n, _)| n).sum();
        assert_eq!(received + dropped, total, "losses {lost:?}: {seen:?}");
        assert_eq!(dropped, lost.iter().map(|i| weight(*i)).sum::<u64>());
    }
}

#[test]
fn a_resume_never_replays_below_the_sessions_floor() {
    let entries = stream(10);
    let grant = |floor| Grant {
        stream: "logs:m:/var/log/x".into(),
        kind: TicketKind::File,
        minion: "m".into(),
        target: "/var/log/x".into(),
        by: String::new(),
        floor,
    };
    // The session started after entry 4; the previous session's 1..=4 stay in Redis.
    let session = grant(Some(id(4)));
    for resume in [None, Some(id(2)), Some(id(4)), Some(id(6)), Some(id(8))] {
        let after = session.start_after(resume);
        let from = resume.map_or(4, |r| r.seq.max(4));
        for started in 0..=entries.len() {
            let seen = view(&entries, started, after, &Live::default());
            let want: Vec<EntryId> = (from + 1..=10).map(id).collect();
            assert_eq!(
                seen.ids, want,
                "resume {resume:?}, reader started after {started}"
            );
        }
    }
    // Without a floor (a whole-stream ticket) a viewer gets everything retained.
    let seen = view(&entries, 5, grant(None).start_after(None), &Live::default());
    assert_eq!(seen.ids, (1..=10).map(id).collect::<Vec<_>>());
}
