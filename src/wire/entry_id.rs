//! The Redis stream entry id (`<ms>-<seq>`) as an ordered value, parsed from
//! what clients send back to resume (`?after=`, `Last-Event-ID`).

use std::fmt;
use std::str::FromStr;

/// A Redis stream entry id. Ordered like Redis orders entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EntryId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

/// A resume id that is not of the form `<ms>-<seq>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a stream entry id (expected digits-digits, e.g. 1700000000000-0)")]
pub struct BadEntryId(pub String);

impl EntryId {
    /// The smallest id (`0-0`): "before everything".
    pub const ZERO: EntryId = EntryId { ms: 0, seq: 0 };

    /// The largest id strictly smaller than `self` (`None` for `0-0`).
    pub fn predecessor(self) -> Option<EntryId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(EntryId { ms: self.ms, seq }),
            None => self
                .ms
                .checked_sub(1)
                .map(|ms| EntryId { ms, seq: u64::MAX }),
        }
    }

    /// The smallest id strictly greater than `self` (for exclusive ranges).
    pub fn successor(self) -> Option<EntryId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(EntryId { ms: self.ms, seq }),
            None => self.ms.checked_add(1).map(|ms| EntryId { ms, seq: 0 }),
        }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl FromStr for EntryId {
    type Err = BadEntryId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadEntryId(s.chars().take(64).collect());
        let (ms, seq) = s.split_once('-').ok_or_else(bad)?;
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(ms) || !digits(seq) {
            return Err(bad());
        }
        Ok(EntryId {
            ms: ms.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predecessor_is_the_largest_smaller_id() {
        let id = |ms, seq| EntryId { ms, seq };
        assert_eq!(id(5, 3).predecessor(), Some(id(5, 2)));
        assert_eq!(id(5, 0).predecessor(), Some(id(4, u64::MAX)));
        assert_eq!(EntryId::ZERO.predecessor(), None);
        assert_eq!(id(4, u64::MAX).successor(), Some(id(5, 0)));
    }

    #[test]
    fn parses_formats_and_orders_like_redis() {
        let a: EntryId = "1700000000000-2".parse().expect("valid");
        let b: EntryId = "1700000000000-10".parse().expect("valid");
        let c: EntryId = "1700000000001-0".parse().expect("valid");
        assert!(a < b && b < c, "numeric, not lexical, order");
        assert_eq!(b.to_string(), "1700000000000-10");
        assert_eq!(
            a.successor(),
            Some("1700000000000-3".parse().expect("valid"))
        );
        let top = EntryId {
            ms: 5,
            seq: u64::MAX,
        };
        assert_eq!(top.successor(), Some(EntryId { ms: 6, seq: 0 }));
    }

    #[test]
    fn rejects_anything_else_with_a_clear_error() {
        for bad in [
            "",
            "1",
            "-1",
            "1-",
            "a-b",
            "1-2-3",
            "$",
            "+",
            " 1-2",
            "99999999999999999999999-0",
        ] {
            let err = bad.parse::<EntryId>().expect_err(bad);
            assert!(err.to_string().contains("not a stream entry id"), "{err}");
        }
    }
}
