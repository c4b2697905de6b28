//! Where a complete line goes: after any pending rate-limit report, into the
//! current batch, and full batches into the publisher's queue.

use super::batch::Batcher;
use super::error::Result;
use super::events;
use super::publish::Publisher;
use super::ratelimit::RateLimit;
use crate::wire::FilePos;

/// Adds one line (already admitted by the rate limit) to `batcher`,
/// writing a `dropped` event first if the limiter refused lines before it.
/// `pos`: where the line ends in the followed file (None for commands).
pub fn add_line(
    batcher: &mut Batcher,
    publisher: &mut Publisher,
    limiter: &mut RateLimit,
    line: &[u8],
    cut: u64,
    pos: Option<FilePos>,
) -> Result<()> {
    let dropped = limiter.take_dropped();
    if dropped > 0 {
        push_batch(batcher, publisher)?;
        publisher.push_event(events::rate_dropped(dropped))?;
    }
    if let Some(full) = batcher.add(line, cut) {
        publisher.push_lines(full)?;
        if let Some(spare) = publisher.take_spare() {
            batcher.recycle(spare);
        }
    }
    batcher.set_pos(pos);
    Ok(())
}

/// Queues the batch being built, if any, and recycles a sent buffer.
pub fn push_batch(batcher: &mut Batcher, publisher: &mut Publisher) -> Result<()> {
    if let Some(b) = batcher.take() {
        publisher.push_lines(b)?;
    }
    if let Some(spare) = publisher.take_spare() {
        batcher.recycle(spare);
    }
    Ok(())
}
