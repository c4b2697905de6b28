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
    /// Entries that are events (weight 1, never skipped), not lines.
    events: Vec<EntryId>,
}

/// What a viewer was sent: entry ids in order, each `dropped` count with
/// the id of the entry it came before, and the stream-wide numbers (from 0)
/// of the lines it got.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    ids: Vec<EntryId>,
    dropped: Vec<(u64, EntryId)>,
    lines: Vec<u64>,
}

/// The first line number of every entry (events hold none).
fn first_lines(entries: &[(EntryId, u64)], live: &Live) -> Vec<u64> {
    let mut n = 0;
    entries
        .iter()
        .map(|(i, w)| {
            let first = n;
            if !live.events.contains(i) {
                n += w;
            }
            first
        })
        .collect()
}

/// A viewer starting at `start` on `entries`, whose reader started after
/// the first `started` entries (those are the retained backlog).
fn view(
    entries: &[(EntryId, u64)],
    started: usize,
    start: impl Into<ViewStart>,
    live: &Live,
) -> Seen {
    let pos = Position {
        last_id: started
            .checked_sub(1)
            .map_or(EntryId::ZERO, |i| entries[i].0),
        published_weight: 0,
    };
    let firsts = first_lines(entries, live);
    let mut ledger = Ledger::new(start.into());
    let mut seen = Seen::default();
    let got = |seen: &mut Seen, k: usize, skip: u64| {
        let (i, w) = entries[k];
        seen.ids.push(i);
        if !live.events.contains(&i) {
            seen.lines.extend(firsts[k] + skip..firsts[k] + w);
        }
    };
    let mut seam = ledger.seam(pos);
    while let Seam::Backlog { next, end } = seam {
        // XRANGE next end COUNT PAGE.
        let page: Vec<usize> = (0..entries.len())
            .filter(|&k| next <= entries[k].0 && entries[k].0 <= end)
            .take(PAGE)
            .collect();
        for &k in &page {
            let (i, w) = entries[k];
            match ledger.take(i, (!live.events.contains(&i)).then_some(w)) {
                Take::Nothing => {}
                Take::All => got(&mut seen, k, 0),
                Take::From(n) => got(&mut seen, k, n),
            }
        }
        seam = Ledger::after_page(page.last().map(|&k| entries[k].0), end, page.len() == PAGE);
    }
    let mut weight_before = 0;
    let mut prev = pos.last_id;
    for (k, &(i, weight)) in entries.iter().enumerate().skip(started) {
        let mark = LiveMark {
            id: i,
            prev,
            weight_before,
            weight,
            is_lines: !live.events.contains(&i),
        };
        weight_before += weight;
        prev = i;
        if live.lagged.contains(&i) {
            continue;
        }
        match ledger.accept(mark, !live.emptied.contains(&i)) {
            Verdict::Send { missed, trim } => {
                if missed > 0 {
                    seen.dropped.push((missed, i));
                }
                got(&mut seen, k, trim);
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
        ..Live::default()
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
        ..Live::default()
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
        let seen = view(
            &entries,
            2,
            None,
            &Live {
                lagged,
                emptied,
                ..Live::default()
            },
        );
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
        stream: "logs:{be}:m:/var/log/x".into(),
        kind: TicketKind::File,
        minion: "m".into(),
        target: "/var/log/x".into(),
        by: String::new(),
        floor,
        skip_lines: 0,
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

/// A session of entries `1..=n` (entry 1 is `started`, every fifth an
/// event, the others `k % 3 + 1` lines) and its line count.
fn session(n: u64) -> (Vec<(EntryId, u64)>, Live, u64) {
    let entries: Vec<(EntryId, u64)> = (1..=n)
        .map(|k| (id(k), if k == 1 || k % 5 == 0 { 1 } else { k % 3 + 1 }))
        .collect();
    let events: Vec<EntryId> = (1..=n).filter(|k| *k == 1 || k % 5 == 0).map(id).collect();
    let total = entries
        .iter()
        .filter(|(i, _)| !events.contains(i))
        .map(|(_, w)| w)
        .sum();
    let live = Live {
        events,
        ..Live::default()
    };
    (entries, live, total)
}

#[test]
fn a_viewer_skipping_k_lines_gets_exactly_the_rest_line_exact_across_the_seam() {
    let (entries, live, total) = session(12);
    for want in 0..=total {
        let start = ViewStart {
            after: None,
            floor: None,
            skip_lines: total - want,
        };
        for started in 0..=entries.len() {
            let seen = view(&entries, started, start, &live);
            let lines: Vec<u64> = (total - want..total).collect();
            assert_eq!(seen.lines, lines, "{want} lines, reader after {started}");
            assert!(strictly_increasing(&seen.ids));
            assert!(seen.dropped.is_empty());
            assert!(
                live.events.iter().all(|e| seen.ids.contains(e)),
                "events are never skipped"
            );
        }
    }
}

#[test]
fn a_resume_inside_the_skipped_lines_still_skips_exactly_them() {
    let (entries, live, total) = session(12);
    let skip = total - 7;
    let floor = Some(id(0));
    // Resumed after each entry the viewer could have received: the lines it
    // still gets are its share after that entry, none twice, none missing.
    for resume in 1..=12 {
        let start = ViewStart {
            after: Some(id(resume)).max(floor),
            floor,
            skip_lines: skip,
        };
        let firsts = first_lines(&entries, &live);
        let from = firsts[resume as usize - 1] + entries[resume as usize - 1].1;
        let from = if live.events.contains(&id(resume)) {
            firsts[resume as usize - 1]
        } else {
            from
        };
        for started in 0..=entries.len() {
            let seen = view(&entries, started, start, &live);
            let lines: Vec<u64> = (skip.max(from)..total).collect();
            assert_eq!(seen.lines, lines, "resume {resume}, reader after {started}");
            assert!(seen.dropped.is_empty());
        }
    }
}

#[test]
fn skipped_lines_the_byte_budget_took_are_not_reported_as_dropped() {
    let (entries, mut live, total) = session(12);
    // Entries 2..=4 are inside the skipped part; their text is gone.
    live.emptied = vec![id(2), id(3), id(4)];
    let skip: u64 = entries[1..4].iter().map(|(_, w)| w).sum();
    let start = ViewStart {
        after: None,
        floor: None,
        skip_lines: skip,
    };
    let seen = view(&entries, 0, start, &live);
    assert_eq!(seen.lines, (skip..total).collect::<Vec<_>>());
    assert!(seen.dropped.is_empty(), "{seen:?}");
    // One more emptied entry past the skip is missed, and says so exactly.
    live.emptied.push(id(6));
    let seen = view(&entries, 0, start, &live);
    assert_eq!(seen.dropped, [(entries[5].1, id(7))]);
}

#[test]
fn a_resume_past_the_reader_start_is_not_told_of_losses_it_already_had() {
    let entries = stream(10);
    // Reader started after 2; the viewer resumes after 6 and the ring lost
    // 4..=6, all of which the viewer already has.
    let live = Live {
        lagged: vec![id(4), id(5), id(6)],
        ..Live::default()
    };
    let seen = view(&entries, 2, Some(id(6)), &live);
    assert_eq!(seen.ids, [7, 8, 9, 10].map(id));
    assert!(seen.dropped.is_empty(), "over-counted: {seen:?}");
    // A loss after the resume id is still counted exactly.
    let live = Live {
        lagged: vec![id(7)],
        ..Live::default()
    };
    let seen = view(&entries, 2, Some(id(6)), &live);
    assert_eq!(seen.dropped, [(entries[6].1, id(8))]);
}
