//! How much of a stream is kept besides `MAXLEN ~ stream_max_len`: by bytes
//! (`stream_max_bytes`) and by age (`stream_max_age_secs`), both enforced
//! with `XTRIM <stream> MINID <id>` (exact: the bound holds to one entry).
//!
//! Bytes: the tailer remembers (id, bytes) of every entry Redis acknowledged
//! and, once they exceed the budget by an eighth, trims to the oldest entry
//! that keeps the rest within it. Entries of an earlier tailer of the same
//! stream have smaller ids, so they go with the first trim. Age: Redis' clock
//! is read from the ids it returns (the newest id's milliseconds plus the
//! time since it came back), so a minion's clock skew does not matter. The
//! age limit never trims below the newest `keep_lines` lines this tailer
//! wrote (its backlog depth, so a quiet file's last lines stay for viewers
//! who join late); the byte budget still wins.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::item::Item;

/// A stream entry id `ms-seq`.
pub type EntryId = (u64, u64);

/// Parses an entry id as Redis returns it from `XADD`.
pub fn parse_id(raw: &[u8]) -> Option<EntryId> {
    let s = std::str::from_utf8(raw).ok()?;
    let (ms, seq) = s.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// The retention state of one stream.
#[derive(Debug)]
pub struct Retention {
    max_bytes: u64,
    max_age: Duration,
    keep_lines: u64,
    /// Acknowledged entries still believed in the stream, oldest first:
    /// (id, bytes, lines).
    ring: VecDeque<(EntryId, u64, u64)>,
    bytes: u64,
    /// The newest acknowledged id's milliseconds and when it came back.
    clock: Option<(u64, Instant)>,
    trimmed_to: EntryId,
    next_age_trim: Instant,
    age_every: Duration,
}

impl Retention {
    /// A stream bounded to `max_bytes` and `max_age`, keeping at least the
    /// newest `keep_lines` lines against the age limit.
    pub fn new(max_bytes: u64, max_age: Duration, keep_lines: u64, now: Instant) -> Self {
        let age_every = (max_age / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        Retention {
            max_bytes,
            max_age,
            keep_lines,
            ring: VecDeque::new(),
            bytes: 0,
            clock: None,
            trimmed_to: (0, 0),
            next_age_trim: now + age_every,
            age_every,
        }
    }

    /// Feeds an acknowledged `XADD` of `item` (its reply is the new id),
    /// then keeps at most `max_len` entries.
    pub fn acked_reply(&mut self, reply: &redis::Value, item: &Item, max_len: u64) {
        if let (redis::Value::BulkString(raw), Item::Lines(_) | Item::Event(_)) = (reply, item) {
            if let Some(id) = parse_id(raw) {
                let lines = match item {
                    Item::Lines(b) => u64::from(b.lines),
                    _ => 0,
                };
                self.acked(id, item.weight() as u64, lines, Instant::now());
                self.cap(max_len);
            }
        }
    }

    /// Records an entry Redis acknowledged with `id`, weighing `bytes` and
    /// holding `lines` lines.
    pub fn acked(&mut self, id: EntryId, bytes: u64, lines: u64, now: Instant) {
        self.ring.push_back((id, bytes, lines));
        self.bytes += bytes;
        self.clock = Some((id.0, now));
        // The ring never needs more entries than MAXLEN keeps; memory stays
        // bounded by what the stream itself may hold.
    }

    /// Bytes of acknowledged entries believed in the stream.
    #[cfg(test)]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The `MINID` to trim the stream to now, if a trim is due: by bytes as
    /// soon as they exceed the budget by an eighth, by age every quarter of
    /// `max_age` (between 1 s and 60 s).
    pub fn due(&mut self, now: Instant) -> Option<String> {
        let mut to = self.trimmed_to;
        if self.bytes > self.max_bytes + self.max_bytes / 8 {
            while self.bytes > self.max_bytes {
                let Some((_, b, _)) = self.ring.pop_front() else {
                    break;
                };
                self.bytes -= b;
            }
            if let Some(&(first, _, _)) = self.ring.front() {
                to = to.max(first);
            }
        }
        if now >= self.next_age_trim {
            self.next_age_trim = now + self.age_every;
            if let Some((ms, at)) = self.clock {
                let redis_now = ms + now.saturating_duration_since(at).as_millis() as u64;
                let age_ms = self.max_age.as_millis() as u64;
                if let Some(cutoff) = redis_now.checked_sub(age_ms) {
                    to = to.max((cutoff, 0).min(self.keep_floor()));
                }
            }
        }
        while self.ring.front().is_some_and(|&(id, _, _)| id < to) {
            if let Some((_, b, _)) = self.ring.pop_front() {
                self.bytes -= b;
            }
        }
        if to > self.trimmed_to {
            self.trimmed_to = to;
            Some(format!("{}-{}", to.0, to.1))
        } else {
            None
        }
    }

    /// The oldest id the age limit may not trim past: the entry where the
    /// newest `keep_lines` lines begin (the oldest known entry when there
    /// are fewer; no bound when nothing is to be kept).
    fn keep_floor(&self) -> EntryId {
        if self.keep_lines == 0 {
            return (u64::MAX, u64::MAX);
        }
        let mut lines = 0;
        for &(id, _, n) in self.ring.iter().rev() {
            lines += n;
            if lines >= self.keep_lines {
                return id;
            }
        }
        self.ring
            .front()
            .map_or((u64::MAX, u64::MAX), |&(id, _, _)| id)
    }

    /// Forgets the oldest entries beyond `max_len` (MAXLEN trimmed them).
    pub fn cap(&mut self, max_len: u64) {
        while self.ring.len() as u64 > max_len {
            if let Some((_, b, _)) = self.ring.pop_front() {
                self.bytes -= b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn ids_are_parsed() {
        assert_eq!(parse_id(b"1700000000000-3"), Some((1_700_000_000_000, 3)));
        assert_eq!(parse_id(b"nope"), None);
    }

    #[test]
    fn bytes_beyond_the_budget_and_its_slack_trim_to_the_oldest_kept_entry() {
        let t0 = Instant::now();
        let mut r = Retention::new(800, 3600 * S, 0, t0);
        for i in 0..9 {
            r.acked((1000 + i, 0), 100, 1, t0);
        }
        assert_eq!(r.due(t0), None, "900 bytes is within 800 + 1/8");
        r.acked((1009, 0), 100, 1, t0);
        assert_eq!(r.due(t0).as_deref(), Some("1002-0"));
        assert_eq!(r.bytes(), 800);
        assert_eq!(r.due(t0), None, "nothing new to trim");
    }

    #[test]
    fn age_follows_redis_clock_from_the_ids() {
        let t0 = Instant::now();
        let mut r = Retention::new(1 << 30, 10 * S, 0, t0);
        r.acked((50_000, 0), 10, 1, t0);
        r.acked((60_000, 1), 10, 1, t0);
        assert_eq!(r.due(t0), None, "not due before a quarter of max_age");
        // 3 s later Redis' clock reads 63_000: cutoff 53_000.
        assert_eq!(r.due(t0 + 3 * S).as_deref(), Some("53000-0"));
        assert_eq!(r.bytes(), 10, "the older entry is forgotten");
    }

    #[test]
    fn the_ring_is_capped_by_maxlen() {
        let t0 = Instant::now();
        let mut r = Retention::new(1 << 30, 3600 * S, 0, t0);
        for i in 0..10 {
            r.acked((i, 0), 5, 1, t0);
        }
        r.cap(4);
        assert_eq!(r.bytes(), 20);
    }

    #[test]
    fn age_never_trims_below_the_lines_to_keep_but_bytes_still_do() {
        let t0 = Instant::now();
        // Entries of 4, 4 and 4 lines at 10 s, 20 s and 30 s; keep 6 lines.
        let mut r = Retention::new(1 << 30, 10 * S, 6, t0);
        r.acked((10_000, 0), 10, 4, t0);
        r.acked((20_000, 0), 10, 4, t0);
        r.acked((30_000, 0), 10, 4, t0);
        // An hour later every entry is past the age limit: the trim stops at
        // the entry where the newest 6 lines begin (20_000), not at the cutoff.
        assert_eq!(r.due(t0 + 3600 * S).as_deref(), Some("20000-0"));
        assert_eq!(r.bytes(), 20);
        // Nothing more is trimmed by age while those lines are the newest.
        assert_eq!(r.due(t0 + 7200 * S), None);
        // With nothing to keep, the cutoff alone decides.
        let mut r = Retention::new(1 << 30, 10 * S, 0, t0);
        r.acked((10_000, 0), 10, 4, t0);
        r.acked((30_000, 0), 10, 4, t0);
        assert_eq!(r.due(t0 + 3600 * S).as_deref(), Some("3620000-0"));
        // The byte budget wins over the lines to keep.
        let mut r = Retention::new(100, 3600 * S, 1000, t0);
        for i in 0..20 {
            r.acked((i, 0), 10, 1, t0);
        }
        assert_eq!(r.due(t0).as_deref(), Some("10-0"));
        assert_eq!(r.bytes(), 100);
    }
}
