//! When to look at the lease key and when nobody has watched for
//! `idle_exit`: a clock fed with what `PTTL <stream>:lease` answered.

use std::time::{Duration, Instant};

/// What `PTTL` said about the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// No lease key: nobody is watching.
    Absent,
    /// A lease key with this much time left (`None`: no expiry set).
    Present(Option<Duration>),
}

/// Tracks the lease and decides when the tailer is idle.
#[derive(Debug)]
pub struct LeaseClock {
    idle_exit: Option<Duration>,
    check_every: Duration,
    /// Until when a viewer is known to have been watching.
    seen_until: Instant,
    next_check: Instant,
}

impl LeaseClock {
    /// A clock started at `now` (a tailer nobody ever watches exits
    /// `idle_exit` after it started); `None` disables idle exit.
    pub fn new(idle_exit: Option<Duration>, now: Instant) -> Self {
        // Checking every quarter of idle_exit keeps the exit within 25% of
        // the promise while costing at most one round trip per second.
        let check_every = idle_exit
            .map(|d| (d / 4).clamp(Duration::from_secs(1), Duration::from_secs(30)))
            .unwrap_or(Duration::MAX);
        LeaseClock {
            idle_exit,
            check_every,
            seen_until: now,
            next_check: now,
        }
    }

    /// Whether the lease should be looked at now.
    pub fn check_due(&self, now: Instant) -> bool {
        self.idle_exit.is_some() && now >= self.next_check
    }

    /// Records an answer (`None`: Redis was unreachable; the clock runs on).
    pub fn observe(&mut self, state: Option<LeaseState>, now: Instant) {
        match state {
            Some(LeaseState::Present(ttl)) => {
                let until = now + ttl.unwrap_or(Duration::ZERO);
                self.seen_until = self.seen_until.max(until);
            }
            Some(LeaseState::Absent) | None => {}
        }
        self.next_check = now + self.check_every;
        if let Some(deadline) = self.deadline() {
            // Look once more right at the deadline before giving up.
            if deadline > now {
                self.next_check = self.next_check.min(deadline);
            }
        }
    }

    /// When the tailer becomes idle unless the lease shows up again.
    pub fn deadline(&self) -> Option<Instant> {
        self.idle_exit.map(|d| self.seen_until + d)
    }

    /// Whether `idle_exit` has passed since the lease was last seen.
    pub fn is_idle(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn without_a_lease_the_tailer_is_idle_after_idle_exit() {
        let t0 = Instant::now();
        let mut c = LeaseClock::new(Some(10 * S), t0);
        assert!(c.check_due(t0));
        c.observe(Some(LeaseState::Absent), t0);
        assert!(!c.is_idle(t0 + 9 * S));
        assert!(c.is_idle(t0 + 10 * S));
    }

    #[test]
    fn a_lease_pushes_the_deadline_by_its_ttl() {
        let t0 = Instant::now();
        let mut c = LeaseClock::new(Some(10 * S), t0);
        c.observe(Some(LeaseState::Present(Some(30 * S))), t0 + 5 * S);
        assert!(!c.is_idle(t0 + 44 * S));
        assert!(c.is_idle(t0 + 45 * S));
    }

    #[test]
    fn checks_are_spaced_by_a_quarter_of_idle_exit_and_hit_the_deadline() {
        let t0 = Instant::now();
        let mut c = LeaseClock::new(Some(8 * S), t0);
        c.observe(Some(LeaseState::Absent), t0);
        assert!(!c.check_due(t0 + S));
        assert!(c.check_due(t0 + 2 * S));
        let mut c = LeaseClock::new(Some(200 * S), t0);
        c.observe(Some(LeaseState::Absent), t0 + 190 * S);
        assert!(c.check_due(t0 + 200 * S), "one last look at the deadline");
    }

    #[test]
    fn disabled_idle_exit_never_checks_nor_expires() {
        let t0 = Instant::now();
        let c = LeaseClock::new(None, t0);
        assert!(!c.check_due(t0 + 1000 * S));
        assert!(!c.is_idle(t0 + 1000 * S));
    }
}
