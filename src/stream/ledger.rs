//! One viewer's bookkeeping, without I/O: where its backlog ends and its
//! live part begins (the seam), which live entries it already has, and how
//! many lines a `dropped` message must report. [`super::Subscription`] does
//! the reading and sending; every decision it makes about ids and weights is
//! made here, so the invariant (strictly increasing ids, none twice, every
//! missed line counted) is unit-tested without Redis or sockets.

use super::entry_id::EntryId;
use super::shared::Position;

/// What a viewer reads next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seam {
    /// The retained entries `[next, end]` from Redis (XRANGE).
    Backlog { next: EntryId, end: EntryId },
    /// The live broadcast.
    Live,
}

/// What to do with one live entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The viewer already has it (it resumed past the reader's start).
    Known,
    /// Its text was taken back by the byte budget: skipped, and counted as
    /// missed by the next entry this viewer gets.
    Gone,
    /// Send it, preceded by a `dropped` message for `missed` lines if not 0.
    Send { missed: u64 },
}

/// The reader weight (lines; events: 1) a viewer has accounted for, and
/// the id below which it has everything.
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    /// The viewer has everything up to this id: its resume id or its
    /// session's floor, whichever is later (`Grant::start_after`).
    after: Option<EntryId>,
    /// Reader weight this viewer has accounted for (received or skipped).
    expected: u64,
}

impl Ledger {
    /// A viewer that starts strictly after `after` (`None`: everything retained).
    pub fn new(after: Option<EntryId>) -> Ledger {
        Ledger { after, expected: 0 }
    }

    /// The seam: `pos` is the reader's position taken together with the
    /// viewer's broadcast receiver, so every entry ≤ `pos.last_id` comes
    /// from the backlog and every later one from the receiver.
    pub fn seam(&mut self, pos: Position) -> Seam {
        self.expected = pos.published_weight;
        let next = match self.after {
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

    /// Accounts for the live entry `id`, which the reader published after
    /// `weight_before` lines and which carries `weight`; `has_text` is false
    /// when the byte budget took its text back.
    pub fn accept(
        &mut self,
        id: EntryId,
        weight_before: u64,
        weight: u64,
        has_text: bool,
    ) -> Verdict {
        if self.after.is_some_and(|after| id <= after) {
            self.expected = weight_before + weight;
            return Verdict::Known;
        }
        if !has_text {
            return Verdict::Gone;
        }
        let missed = weight_before.saturating_sub(self.expected);
        self.expected = weight_before + weight;
        Verdict::Send { missed }
    }
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
