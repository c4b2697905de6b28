//! Lines that never reached Redis, counted exactly by cause until they are
//! reported in `dropped` events: Redis unreachable (`redis-outage`) or Redis
//! full and refusing writes with `OOM` under `maxmemory` (`redis-full`).

use crate::wire::{Event, EventKind};

/// Why lines queued for Redis are being lost right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cause {
    /// The connection is down.
    #[default]
    Outage,
    /// Redis answers but refuses writes (`OOM`: `maxmemory` reached).
    Full,
}

/// Unreported losses.
#[derive(Debug, Default)]
pub struct Losses {
    outage: u64,
    full: u64,
    /// The cause new losses are counted under.
    pub cause: Cause,
}

impl Losses {
    /// Counts `lines` lost under the current cause.
    pub fn add(&mut self, lines: u64) {
        match self.cause {
            Cause::Outage => self.outage += lines,
            Cause::Full => self.full += lines,
        }
    }

    /// Lines lost and not reported yet.
    pub fn total(&self) -> u64 {
        self.outage + self.full
    }

    /// The `dropped` events for what was lost (exact counts), resetting them.
    pub fn take_events(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        if self.outage > 0 {
            out.push(dropped(
                self.outage,
                format!("{} lines dropped while Redis was unreachable", self.outage),
                "redis-outage",
            ));
        }
        if self.full > 0 {
            out.push(dropped(
                self.full,
                format!(
                    "{} lines dropped: Redis was full (maxmemory reached) and refused them",
                    self.full
                ),
                "redis-full",
            ));
        }
        self.outage = 0;
        self.full = 0;
        out
    }
}

fn dropped(count: u64, message: String, reason: &str) -> Event {
    Event::new(EventKind::Dropped, message)
        .with("count", count)
        .with("reason", reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_are_reported_per_cause_exactly_once() {
        let mut l = Losses::default();
        l.add(3);
        l.cause = Cause::Full;
        l.add(4);
        l.add(1);
        assert_eq!(l.total(), 8);
        let evs = l.take_events();
        let counts: Vec<(Option<&str>, Option<&str>)> = evs
            .iter()
            .map(|e| (e.get("count"), e.get("reason")))
            .collect();
        assert_eq!(
            counts,
            [
                (Some("3"), Some("redis-outage")),
                (Some("5"), Some("redis-full"))
            ]
        );
        assert!(evs[1].message.contains("Redis was full"));
        assert!(l.take_events().is_empty());
    }
}
