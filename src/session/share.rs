//! Where a viewer's share of a running tailer begins: its last N lines,
//! counted backwards from the stream's end (entries are batches of lines)
//! down to the tailer's `started` event, as a floor id plus the number of
//! lines after it to skip (line-exact inside a batch). While the tailer is
//! still writing its backlog (its owner key does not say `live` yet) the
//! stream's end is not the file's: the N lines are then the last N of the
//! backlog the `started` event announced. Pure: the stream is
//! read newest first by `StreamControl::share_window`, which feeds it here.

use crate::stream::EntryId;
use crate::wire::{field, Entry, EventKind};

/// A viewer's start: strictly after `floor`, less the first `skip_lines` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The viewer's entries come strictly after this id (`None`: everything retained).
    pub floor: Option<EntryId>,
    /// Lines after `floor` it does not get.
    pub skip_lines: u64,
    /// Lines it was promised but the stream no longer holds (retention
    /// trimmed the session's oldest entries): 0 when it gets all N.
    pub short_by: u64,
    /// The tailer's `started` event, when the scan reached it.
    pub started: Option<EntryId>,
}

/// The window of a viewer of a session that just started: `started` is its
/// `started` event, `backlog` the line count it announced (the lines after
/// it), `want` the viewer's N.
pub fn fresh(started: EntryId, backlog: u64, want: u64) -> Window {
    Window {
        floor: started.predecessor(),
        skip_lines: backlog.saturating_sub(want),
        short_by: 0,
        started: Some(started),
    }
}

/// What a scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The viewer's window.
    Window(Window),
    /// The newest `started` is another tailer's (this entry): the owner's
    /// own `started` is not in the stream yet; wait for it after this id.
    EarlierTailer(EntryId),
    /// The owner resumed a replaced tailer (no backlog) and is not `live`
    /// yet: its stream is contiguous all the same, so scan again as for a
    /// `live` one (counting back from the end).
    Resumed,
}

/// Reads a running session newest entry first until the viewer's N lines are found.
#[derive(Debug)]
pub struct Scan {
    /// The owner's pid: a `started` of another pid is an earlier tailer's.
    pid: Option<u32>,
    want: u64,
    /// The whole backlog is in the stream: count from the end.
    live: bool,
    /// Lines seen so far (all newer than the entry being looked at).
    lines: u64,
    oldest: Option<EntryId>,
}

impl Scan {
    /// A scan for the last `want` lines; `live`: the tailer's whole backlog
    /// is in the stream (its owner key says so).
    pub fn new(want: u64, live: bool, pid: Option<u32>) -> Scan {
        Scan {
            pid,
            want,
            live,
            lines: 0,
            oldest: None,
        }
    }

    /// Looks at the next older entry; `Some` once the window is known.
    pub fn push(&mut self, id: EntryId, entry: &Entry) -> Option<Found> {
        if let Entry::Event(ev) = entry {
            let pid = ev.get("pid").and_then(|p| p.parse::<u32>().ok());
            if !self.live
                && ev.kind == EventKind::Started
                && ev.get(field::RESUMED) == Some("1")
                && (self.pid.is_none() || pid == self.pid)
            {
                return Some(Found::Resumed);
            }
        }
        self.push_entry(id, entry).map(|found| match found {
            Ok(window) => Found::Window(window),
            Err(earlier) => Found::EarlierTailer(earlier),
        })
    }

    fn push_entry(&mut self, id: EntryId, entry: &Entry) -> Option<Result<Window, EntryId>> {
        if self.live && self.oldest.is_none() && self.want == 0 {
            // Only lines written from now on.
            return Some(Ok(self.window(Some(id), 0, None)));
        }
        self.oldest = Some(id);
        match entry {
            Entry::Lines { .. } if !self.live => None,
            Entry::Lines { lines, .. } => {
                let n = lines.len() as u64;
                if self.lines + n >= self.want {
                    let skip = self.lines + n - self.want;
                    return Some(Ok(self.window(id.predecessor(), skip, None)));
                }
                self.lines += n;
                None
            }
            Entry::Event(ev) if ev.kind == EventKind::Started => {
                let backlog = ev
                    .get(field::BACKLOG)
                    .and_then(|b| b.parse::<u64>().ok())
                    .unwrap_or(0);
                let pid = ev.get("pid").and_then(|p| p.parse::<u32>().ok());
                if self.live && ev.get(field::RESUMED) == Some("1") {
                    // It continued the previous tailer's lines: keep counting.
                    return None;
                }
                if !self.live {
                    if self.pid.is_some() && pid != self.pid {
                        return Some(Err(id));
                    }
                    // Still writing its backlog: the viewer's N are its last N.
                    return Some(Ok(fresh(id, backlog, self.want)));
                }
                // The whole session holds fewer lines than the viewer wants.
                Some(Ok(self.window(id.predecessor(), 0, Some(id))))
            }
            Entry::Event(_) => None,
        }
    }

    /// The window when the stream held no more entries: everything retained
    /// (the session's start was trimmed by retention, or never written).
    pub fn exhausted(&self) -> Window {
        let floor = self.oldest.and_then(EntryId::predecessor);
        let mut w = self.window(floor, 0, None);
        w.short_by = self.want.saturating_sub(self.lines);
        w
    }

    fn window(&self, floor: Option<EntryId>, skip_lines: u64, started: Option<EntryId>) -> Window {
        Window {
            floor,
            skip_lines,
            short_by: 0,
            started,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Event;

    fn id(seq: u64) -> EntryId {
        EntryId { ms: 7, seq }
    }

    fn lines(from: u64, n: u64) -> Entry {
        Entry::Lines {
            lines: (from..from + n).map(|i| format!("l{i}")).collect(),
            fd: None,
            cut: 0,
            pos: None,
        }
    }

    fn started(backlog: u64) -> Entry {
        Entry::Event(Event::new(EventKind::Started, "s").with(field::BACKLOG, backlog))
    }

    /// Entry 1 is `started` (backlog 6); entries 2.. hold 3, 3, 1, an event, 4 lines.
    fn stream() -> Vec<(EntryId, Entry)> {
        vec![
            (id(1), started(6)),
            (id(2), lines(0, 3)),
            (id(3), lines(3, 3)),
            (id(4), lines(6, 1)),
            (id(5), Entry::Event(Event::new(EventKind::Rotated, "r"))),
            (id(6), lines(7, 4)),
        ]
    }

    fn scan(entries: &[(EntryId, Entry)], want: u64) -> Window {
        scan_as(entries, want, true)
    }

    fn scan_as(entries: &[(EntryId, Entry)], want: u64, live: bool) -> Window {
        let mut s = Scan::new(want, live, None);
        for (i, e) in entries.iter().rev() {
            match s.push(*i, e) {
                Some(Found::Window(w)) => return w,
                Some(Found::EarlierTailer(i)) => panic!("no pid given, yet {i:?}"),
                Some(Found::Resumed) => panic!("no resumed start in these streams"),
                None => {}
            }
        }
        s.exhausted()
    }

    #[test]
    fn a_started_of_another_pid_while_the_owner_is_not_live_is_an_earlier_tailer() {
        let started = |pid: u32| {
            Entry::Event(
                Event::new(EventKind::Started, "s")
                    .with(field::BACKLOG, 6)
                    .with("pid", pid),
            )
        };
        let entries = [(id(1), started(41)), (id(2), lines(0, 3))];
        let mut s = Scan::new(4, false, Some(42));
        assert_eq!(s.push(id(2), &entries[1].1), None);
        assert_eq!(
            s.push(id(1), &entries[0].1),
            Some(Found::EarlierTailer(id(1)))
        );
        let mut s = Scan::new(4, false, Some(41));
        s.push(id(2), &entries[1].1);
        assert_eq!(
            s.push(id(1), &entries[0].1),
            Some(Found::Window(fresh(id(1), 6, 4)))
        );
    }

    /// The line numbers a viewer starting at `w` gets.
    fn got(entries: &[(EntryId, Entry)], w: Window) -> Vec<String> {
        let mut skip = w.skip_lines;
        let mut out = Vec::new();
        for (i, e) in entries {
            if w.floor.is_some_and(|f| *i <= f) {
                continue;
            }
            if let Entry::Lines { lines, .. } = e {
                let k = skip.min(lines.len() as u64);
                skip -= k;
                out.extend(lines.iter().skip(k as usize).cloned());
            }
        }
        out
    }

    #[test]
    fn a_late_viewer_gets_exactly_its_last_n_lines() {
        let entries = stream();
        for want in 0..=11 {
            let w = scan(&entries, want);
            let expect: Vec<String> = (11 - want..11).map(|i| format!("l{i}")).collect();
            assert_eq!(got(&entries, w), expect, "{want}: {w:?}");
            assert_eq!(w.short_by, 0);
        }
        let w = scan(&entries, 5);
        assert_eq!(
            (w.floor, w.skip_lines),
            (Some(id(3)), 0),
            "a batch boundary"
        );
        let w = scan(&entries, 6);
        assert_eq!(
            (w.floor, w.skip_lines),
            (id(3).predecessor(), 2),
            "inside a batch"
        );
    }

    #[test]
    fn a_resumed_started_does_not_end_the_count() {
        // A tailer was killed after l10; the new one resumed (no backlog)
        // and wrote l11..l12: one contiguous run of lines across both.
        let mut entries = stream();
        let resumed = Event::new(EventKind::Started, "s")
            .with(field::BACKLOG, 0)
            .with(field::RESUMED, 1);
        entries.push((id(7), Entry::Event(resumed)));
        entries.push((id(8), lines(11, 2)));
        for want in 0..=13 {
            let w = scan(&entries, want);
            let expect: Vec<String> = (13u64.saturating_sub(want)..13)
                .map(|i| format!("l{i}"))
                .collect();
            assert_eq!(got(&entries, w), expect, "{want}: {w:?}");
        }
        let w = scan(&entries, 50);
        assert_eq!(w.started, Some(id(1)), "down to the first session's start");
        // Not resumed (a fallback): the count ends there, as before.
        let mut fallback = stream();
        let fresh_start = Event::new(EventKind::Started, "s")
            .with(field::BACKLOG, 0)
            .with(field::RESUMED, 0);
        fallback.push((id(7), Entry::Event(fresh_start)));
        fallback.push((id(8), lines(11, 2)));
        let w = scan(&fallback, 5);
        assert_eq!((w.started, got(&fallback, w).len()), (Some(id(7)), 2));
    }

    #[test]
    fn a_resumed_owner_not_yet_live_is_scanned_again_as_live() {
        let resumed = Event::new(EventKind::Started, "s")
            .with(field::BACKLOG, 0)
            .with(field::RESUMED, 1)
            .with("pid", 42);
        let mut s = Scan::new(4, false, Some(42));
        assert_eq!(s.push(id(8), &lines(11, 2)), None);
        assert_eq!(
            s.push(id(7), &Entry::Event(resumed.clone())),
            Some(Found::Resumed)
        );
        // Another pid's resumed start is an earlier tailer's, as before.
        let mut s = Scan::new(4, false, Some(43));
        assert_eq!(
            s.push(id(7), &Entry::Event(resumed)),
            Some(Found::EarlierTailer(id(7)))
        );
    }

    #[test]
    fn asking_more_than_the_session_holds_gets_the_whole_session() {
        let entries = stream();
        let w = scan(&entries, 500);
        assert_eq!(w.floor, id(1).predecessor());
        assert_eq!(w.started, Some(id(1)));
        assert_eq!(got(&entries, w).len(), 11);
        assert_eq!(w.short_by, 0, "the session has no more lines");
    }

    #[test]
    fn while_the_backlog_is_being_written_the_viewer_gets_its_last_n() {
        // Only the first of the backlog's two entries is in Redis yet.
        let partial = &stream()[..2];
        for want in [0u64, 2, 3, 4, 6, 9] {
            let w = scan_as(partial, want, false);
            assert_eq!(w, fresh(id(1), 6, want), "{want}");
            assert_eq!(w.floor, id(1).predecessor());
            assert_eq!(w.skip_lines, 6u64.saturating_sub(want), "{want}");
        }
        // Once the rest and live lines arrive, that is exactly the last N
        // lines of the backlog, then everything after it.
        let all = stream();
        let w = scan_as(partial, 4, false);
        let got = got(&all, w);
        assert_eq!(got[..4], ["l2", "l3", "l4", "l5"].map(String::from));
        assert_eq!(got.len(), 4 + 5);
    }

    #[test]
    fn a_trimmed_session_gives_what_is_retained_and_says_how_many_are_missing() {
        let trimmed = &stream()[2..];
        let w = scan(trimmed, 10);
        assert_eq!(w.floor, id(3).predecessor());
        assert_eq!(got(trimmed, w).len(), 8);
        assert_eq!(w.short_by, 2);
        assert_eq!(w.started, None);
    }
}
