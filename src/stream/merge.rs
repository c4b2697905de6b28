//! The merge of a fleet view, without I/O: per-member queues of messages,
//! released in entry-id order across members. A member's own order is never
//! changed. The lowest queued entry is released when every open member has
//! something queued; otherwise it waits for the members with nothing queued:
//! up to `catch_up` for one still reading its backlog (its next entry is on
//! its way from Redis: so the backlog comes out in exact id order), up to the
//! reorder `window` for one that is caught up (a quiet member does not hold
//! the others back longer).
//! Messages without an id (`dropped` notices) go out as soon as they are at
//! the front of their member's queue.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::wire::EntryId;

struct Queued<T> {
    id: Option<EntryId>,
    at: Instant,
    item: T,
}

/// Per-member queues merged by entry id.
pub(crate) struct Merger<T> {
    queues: Vec<VecDeque<Queued<T>>>,
    open: Vec<bool>,
    caught_up: Vec<bool>,
    window: Duration,
    catch_up: Duration,
    len: usize,
}

impl<T> Merger<T> {
    /// A merger of `members` streams with a reorder `window` for caught-up
    /// members and a longer `catch_up` wait for members in their backlog.
    pub fn new(members: usize, window: Duration, catch_up: Duration) -> Merger<T> {
        Merger {
            queues: (0..members).map(|_| VecDeque::new()).collect(),
            open: vec![true; members],
            caught_up: vec![false; members],
            window,
            catch_up,
            len: 0,
        }
    }

    /// Member `member` has sent its whole backlog; what follows is live.
    pub fn caught_up(&mut self, member: usize) {
        if let Some(c) = self.caught_up.get_mut(member) {
            *c = true;
        }
    }

    /// How long the lowest entry may wait now: none if every open member
    /// has something queued, else the longest wait an empty member asks for.
    fn wait(&self) -> Option<Duration> {
        (0..self.queues.len())
            .filter(|&i| self.open[i] && self.queues[i].is_empty())
            .map(|i| {
                if self.caught_up[i] {
                    self.window
                } else {
                    self.catch_up
                }
            })
            .max()
    }

    /// Queues `item` (entry `id`, arrived `at`) of member `member`.
    pub fn push(&mut self, member: usize, id: Option<EntryId>, at: Instant, item: T) {
        if let Some(q) = self.queues.get_mut(member) {
            q.push_back(Queued { id, at, item });
            self.len += 1;
        }
    }

    /// Member `member` will send nothing more.
    pub fn close(&mut self, member: usize) {
        if let Some(open) = self.open.get_mut(member) {
            *open = false;
        }
    }

    /// Messages queued in all.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Every member closed and every queue empty.
    pub fn is_done(&self) -> bool {
        self.len == 0 && self.open.iter().all(|o| !o)
    }

    /// The front with the lowest id (an id-less front first), if any.
    fn lowest(&self) -> Option<usize> {
        let mut best: Option<(usize, Option<EntryId>)> = None;
        for (i, q) in self.queues.iter().enumerate() {
            let Some(front) = q.front() else { continue };
            match (front.id, best) {
                (None, _) => return Some(i),
                (Some(id), Some((_, Some(b)))) if id >= b => {}
                (Some(id), _) => best = Some((i, Some(id))),
            }
        }
        best.map(|(i, _)| i)
    }

    /// The next message to send at `now`, with its member, if one may go.
    pub fn pop(&mut self, now: Instant) -> Option<(usize, T)> {
        let i = self.lowest()?;
        let front = self.queues[i].front()?;
        if let (Some(_), Some(wait)) = (front.id, self.wait()) {
            if now < front.at + wait {
                return None;
            }
        }
        let q = self.queues[i].pop_front()?;
        self.len -= 1;
        Some((i, q.item))
    }

    /// When the message [`Merger::pop`] holds back may go at the latest.
    pub fn deadline(&self) -> Option<Instant> {
        let i = self.lowest()?;
        let wait = self.wait().unwrap_or_default();
        self.queues[i].front().map(|f| f.at + wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64) -> Option<EntryId> {
        Some(EntryId { ms, seq: 0 })
    }

    fn drain(m: &mut Merger<u64>, now: Instant) -> Vec<(usize, u64)> {
        std::iter::from_fn(|| m.pop(now)).collect()
    }

    #[test]
    fn with_every_member_queued_the_lowest_id_goes_first() {
        let t = Instant::now();
        let mut m = Merger::new(3, Duration::from_millis(100), Duration::from_secs(5));
        (0..3).for_each(|i| m.caught_up(i));
        for (member, ms) in [(0, 5), (0, 9), (1, 3), (1, 7), (2, 4), (2, 8)] {
            m.push(member, id(ms), t, ms);
        }
        // Until a member runs dry, the order is exact.
        let got: Vec<u64> = std::iter::from_fn(|| m.pop(t)).map(|(_, v)| v).collect();
        assert_eq!(got, vec![3, 4, 5, 7]);
        assert_eq!(m.len(), 2, "member 1 is empty: 8 and 9 wait");
        let later = t + Duration::from_millis(100);
        assert_eq!(drain(&mut m, later), vec![(2, 8), (0, 9)]);
    }

    #[test]
    fn a_quiet_member_holds_others_back_only_for_the_window() {
        let t = Instant::now();
        let mut m = Merger::new(2, Duration::from_millis(100), Duration::from_secs(5));
        m.caught_up(1);
        m.push(0, id(10), t, 10);
        assert_eq!(m.pop(t), None);
        assert_eq!(m.deadline(), Some(t + Duration::from_millis(100)));
        assert_eq!(m.pop(t + Duration::from_millis(99)), None);
        assert_eq!(m.pop(t + Duration::from_millis(100)), Some((0, 10)));
    }

    #[test]
    fn a_closed_member_does_not_hold_anything_back() {
        let t = Instant::now();
        let mut m = Merger::new(2, Duration::from_secs(60), Duration::from_secs(60));
        m.push(0, id(10), t, 10);
        m.close(1);
        assert_eq!(m.pop(t), Some((0, 10)));
        assert!(!m.is_done(), "member 0 is still open");
        m.close(0);
        assert!(m.is_done());
    }

    #[test]
    fn a_member_keeps_its_own_order_and_idless_notices_go_at_once() {
        let t = Instant::now();
        let mut m = Merger::new(2, Duration::from_secs(60), Duration::from_secs(60));
        // A member's ids are increasing in its stream; a notice has none.
        m.push(0, None, t, 1);
        m.push(0, id(20), t, 2);
        m.push(1, id(30), t, 3);
        assert_eq!(m.pop(t), Some((0, 1)), "the notice first, at once");
        assert_eq!(m.pop(t), Some((0, 2)));
        assert_eq!(m.pop(t), None, "member 0 is empty and open");
        m.close(0);
        assert_eq!(m.pop(t), Some((1, 3)));
    }

    #[test]
    fn a_member_in_its_backlog_holds_the_merge_longer_than_the_window() {
        let t = Instant::now();
        let mut m = Merger::new(2, Duration::from_millis(100), Duration::from_secs(5));
        m.push(0, id(10), t, 10);
        assert_eq!(
            m.pop(t + Duration::from_secs(1)),
            None,
            "member 1 is reading its backlog"
        );
        assert_eq!(m.deadline(), Some(t + Duration::from_secs(5)));
        m.push(1, id(7), t + Duration::from_secs(1), 7);
        assert_eq!(
            m.pop(t + Duration::from_secs(1)),
            Some((1, 7)),
            "so its earlier entry comes first"
        );
        m.caught_up(1);
        assert_eq!(
            m.pop(t + Duration::from_secs(1)),
            Some((0, 10)),
            "caught up: the window has passed"
        );
    }
}
