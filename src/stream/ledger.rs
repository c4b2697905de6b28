//! One viewer's bookkeeping, without I/O: where its backlog ends and its
//! live part begins (the seam), which live entries it already has, and how
//! many lines a `dropped` message must report. [`super::Subscription`] does
//! the reading and sending; every decision it makes about ids and weights is
//! made here, so the invariant (strictly increasing ids, none twice, every
//! missed line counted) is unit-tested without Redis or sockets.

use super::shared::{LiveMark, Position};
use crate::wire::EntryId;

/// Where one viewer starts: after its resume id or its session's floor
/// (whichever is later), skipping the session's first `skip_lines` lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewStart {
    /// The viewer has everything up to this id (`None`: nothing yet).
    pub after: Option<EntryId>,
    /// The session's floor: `skip_lines` counts the lines after it.
    pub floor: Option<EntryId>,
    /// Lines after `floor` this viewer does not get (events are never skipped).
    pub skip_lines: u64,
}

impl From<Option<EntryId>> for ViewStart {
    /// A viewer that starts strictly after `after`, skipping nothing.
    fn from(after: Option<EntryId>) -> ViewStart {
        ViewStart {
            after,
            floor: after,
            skip_lines: 0,
        }
    }
}

/// What a viewer reads next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seam {
    /// The retained entries `[next, end]` from Redis (XRANGE).
    Backlog { next: EntryId, end: EntryId },
    /// The live broadcast.
    Live,
}

/// What to do with one backlog entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// Not for this viewer: it has it, or all its lines are skipped.
    Nothing,
    /// Send it whole.
    All,
    /// Send it without its first `n` lines.
    From(u64),
}

/// What to do with one live entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The viewer already has it (it resumed past the reader's start), or
    /// every line of it is skipped.
    Known,
    /// Its text was taken back by the byte budget: skipped, and counted as
    /// missed by the next entry this viewer gets.
    Gone,
    /// Send it without its first `trim` lines, preceded by a `dropped`
    /// message for `missed` lines if not 0.
    Send { missed: u64, trim: u64 },
}

/// The reader weight (lines; events: 1) a viewer has accounted for, the id
/// below which it has everything, and the lines it still skips.
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    /// The viewer has everything up to this id: its resume id or its
    /// session's floor, whichever is later (`Grant::view_start`).
    after: Option<EntryId>,
    /// Where reading starts: `after`, or the floor while lines are to be
    /// skipped (the lines between the floor and `after` count against them).
    read_after: Option<EntryId>,
    /// Lines still to skip.
    skip: u64,
    /// Reader weight this viewer has accounted for (received or skipped).
    expected: u64,
}

impl Ledger {
    /// A viewer that starts at `start`.
    pub fn new(start: ViewStart) -> Ledger {
        let read_after = if start.skip_lines > 0 {
            start.floor.min(start.after)
        } else {
            start.after
        };
        Ledger {
            after: start.after,
            read_after,
            skip: start.skip_lines,
            expected: 0,
        }
    }

    /// The seam: `pos` is the reader's position taken together with the
    /// viewer's broadcast receiver, so every entry ≤ `pos.last_id` comes
    /// from the backlog and every later one from the receiver.
    pub fn seam(&mut self, pos: Position) -> Seam {
        self.expected = pos.published_weight;
        let next = match self.read_after {
            Some(after) => after.successor().unwrap_or(after),
            None => EntryId::ZERO,
        };
        if pos.last_id == EntryId::ZERO || next > pos.last_id {
            Seam::Live
        } else {
            Seam::Backlog {
                next,
                end: pos.last_id,
            }
        }
    }

    /// After a backlog page whose newest entry is `last` (`None`: empty)
    /// and that was `full`: the next page, or the live part.
    pub fn after_page(last: Option<EntryId>, end: EntryId, full: bool) -> Seam {
        match last.and_then(|last| last.successor().filter(|_| last < end && full)) {
            Some(next) => Seam::Backlog { next, end },
            None => Seam::Live,
        }
    }

    /// Lines of an entry of `lines` lines (`None`: an event) that are skipped.
    fn skipped(&mut self, lines: Option<u64>) -> u64 {
        let n = lines.unwrap_or(0).min(self.skip);
        self.skip -= n;
        n
    }

    /// Accounts for the backlog entry `id` holding `lines` lines (`None`: an event).
    pub fn take(&mut self, id: EntryId, lines: Option<u64>) -> Take {
        let trim = self.skipped(lines);
        if self.after.is_some_and(|after| id <= after) {
            return Take::Nothing;
        }
        match lines {
            Some(n) if trim >= n => Take::Nothing,
            _ if trim > 0 => Take::From(trim),
            _ => Take::All,
        }
    }

    /// Accounts for one live entry; `has_text` is false when the byte
    /// budget took its text back.
    pub fn accept(&mut self, m: LiveMark, has_text: bool) -> Verdict {
        let trim = self.skipped(m.is_lines.then_some(m.weight));
        if self.after.is_some_and(|after| m.id <= after) {
            self.expected = m.weight_before + m.weight;
            return Verdict::Known;
        }
        if self.after.is_some_and(|after| m.prev <= after) {
            // Everything before this entry is the viewer's already, even
            // entries the ring lost before it saw them.
            self.expected = self.expected.max(m.weight_before);
        }
        if !has_text || (m.is_lines && trim >= m.weight) {
            // Skipped lines are accounted for, not missed.
            self.expected += trim;
            return if has_text {
                Verdict::Known
            } else {
                Verdict::Gone
            };
        }
        let missed = m.weight_before.saturating_sub(self.expected);
        self.expected = m.weight_before + m.weight;
        Verdict::Send { missed, trim }
    }
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
