//! The byte budget of one stream (`limits.stream_buffer_bytes`): the
//! broadcast ring holds at most `limits.viewer_queue` entries, each up to
//! a tailer's batch size, for its slowest viewer. The reader notes every
//! entry it broadcasts here; once the entries that some viewer has not read
//! yet hold more bytes than the budget, the oldest give up their text. A
//! viewer that reaches such an entry skips it, and the next entry it gets
//! tells it exactly how many lines it missed (the `dropped` message), as
//! for a ring overflow.

use std::collections::VecDeque;
use std::sync::Arc;

use super::shared::LiveItem;

/// The entries of one stream some viewer may still read, oldest first, and their bytes.
#[derive(Debug)]
pub(crate) struct Budget {
    items: VecDeque<(Arc<LiveItem>, usize)>,
    bytes: usize,
    limit: usize,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            items: VecDeque::new(),
            bytes: 0,
            limit,
        }
    }

    /// Bytes held for viewers that have not read them yet.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Notes `item` (just broadcast, `len` bytes of text), forgets entries
    /// every viewer has read, and takes the text of the oldest unread ones
    /// while the total is above the budget (the newest is always kept).
    pub fn admit(&mut self, item: Arc<LiveItem>, len: usize) {
        self.items.push_back((item, len));
        self.bytes += len;
        // Entries only the budget still holds: every viewer read (or skipped) them.
        while let Some((front, len)) = self.items.front() {
            if Arc::strong_count(front) > 1 {
                break;
            }
            self.bytes -= len;
            self.items.pop_front();
        }
        while self.bytes > self.limit && self.items.len() > 1 {
            if let Some((oldest, len)) = self.items.pop_front() {
                oldest.json.take();
                self.bytes -= len;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::shared::LiveJson;
    use crate::stream::EntryId;

    fn item(seq: u64, text: &str) -> Arc<LiveItem> {
        Arc::new(LiveItem {
            mark: crate::stream::shared::LiveMark {
                id: EntryId { ms: 1, seq },
                prev: EntryId::ZERO,
                weight_before: seq,
                weight: 1,
                is_lines: true,
            },
            json: LiveJson::new(text.into()),
        })
    }

    #[test]
    fn unread_entries_beyond_the_budget_lose_their_text_oldest_first() {
        let mut budget = Budget::new(10);
        // A viewer holds every entry (as the ring does for its slowest one).
        let held: Vec<_> = (0..5).map(|i| item(i, "abcd")).collect();
        for h in &held {
            budget.admit(Arc::clone(h), 4);
        }
        assert!(budget.bytes() <= 10);
        let kept: Vec<bool> = held.iter().map(|h| h.json.get().is_some()).collect();
        assert_eq!(kept, [false, false, false, true, true]);
    }

    #[test]
    fn entries_every_viewer_read_are_not_counted() {
        let mut budget = Budget::new(10);
        for i in 0..100 {
            budget.admit(item(i, "abcd"), 4);
        }
        assert_eq!(
            budget.bytes(),
            0,
            "nothing is held once every viewer has it"
        );
        let big = item(100, "0123456789abcdef");
        budget.admit(Arc::clone(&big), 16);
        assert!(big.json.get().is_some(), "the newest entry is always kept");
    }
}
