//! The per-stream line rate limit: a token bucket of one second's worth of
//! lines, with an exact count of the lines it refused.

use std::time::Instant;

/// Token bucket over lines; `rate == 0` lets everything through.
#[derive(Debug)]
pub struct RateLimit {
    rate: u64,
    tokens: f64,
    last: Instant,
    dropped: u64,
}

impl RateLimit {
    /// A full bucket of `rate` lines per second (0 = unlimited).
    pub fn new(rate: u64, now: Instant) -> Self {
        RateLimit {
            rate,
            tokens: rate as f64,
            last: now,
            dropped: 0,
        }
    }

    /// Adds the tokens earned since the last refill (call once per read).
    pub fn refill(&mut self, now: Instant) {
        if self.rate == 0 {
            return;
        }
        let earned = now.saturating_duration_since(self.last).as_secs_f64() * self.rate as f64;
        self.tokens = (self.tokens + earned).min(self.rate as f64);
        self.last = now;
    }

    /// Whether one more line may pass; counts it as dropped otherwise.
    pub fn allow(&mut self) -> bool {
        if self.rate == 0 {
            return true;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.dropped += 1;
            false
        }
    }

    /// The lines refused since the last call.
    pub fn take_dropped(&mut self) -> u64 {
        std::mem::take(&mut self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn zero_means_unlimited() {
        let mut r = RateLimit::new(0, Instant::now());
        assert!((0..10_000).all(|_| r.allow()));
        assert_eq!(r.take_dropped(), 0);
    }

    #[test]
    fn excess_lines_are_refused_and_counted_exactly() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(100, t0);
        let passed = (0..250).filter(|_| r.allow()).count();
        assert_eq!(passed, 100);
        assert_eq!(r.take_dropped(), 150);
        assert_eq!(r.take_dropped(), 0);
        r.refill(t0 + Duration::from_millis(500));
        let passed = (0..100).filter(|_| r.allow()).count();
        assert_eq!(passed, 50);
        assert_eq!(r.take_dropped(), 50);
    }
}
