//! The reading half of a file tailer: complete lines (each with its
//! [`FilePos`]) through the rate limit into batches, rate-limit reports, the
//! partial line of a file that went away.

use std::time::Instant;

use super::super::error::Result;
use super::super::{events, sink};
use super::{Follower, FLUSH_AT};
use crate::wire::FilePos;

impl Follower<'_> {
    pub(super) fn feed(&mut self, n: usize) -> Result<()> {
        let Follower {
            splitter,
            batcher,
            publisher,
            limiter,
            buf,
            in_backlog,
            file,
            ..
        } = self;
        let exempt = *in_backlog;
        limiter.refill(Instant::now());
        let mut failed = None;
        // `n` bytes were just read ending at the read offset.
        let (dev, inode) = (file.dev(), file.inode());
        let base = file.pos().saturating_sub(n as u64);
        splitter.push_ends(&buf[..n], &mut |line, cut, end| {
            if failed.is_none() && (exempt || limiter.allow()) {
                let pos = Some(FilePos {
                    dev,
                    inode,
                    offset: base + end as u64,
                });
                if let Err(e) = sink::add_line(batcher, publisher, limiter, line, cut, pos) {
                    failed = Some(e);
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        if self.batcher.is_full() {
            self.push_batch()?;
        }
        if self.publisher.unsent_bytes() >= FLUSH_AT {
            self.publisher.flush()?;
        }
        Ok(())
    }

    pub(super) fn push_batch(&mut self) -> Result<()> {
        sink::push_batch(&mut self.batcher, &mut self.publisher)
    }

    pub(super) fn report_rate_drops(&mut self) -> Result<()> {
        let dropped = self.limiter.take_dropped();
        if dropped > 0 {
            self.push_batch()?;
            self.publisher.push_event(events::rate_dropped(dropped))?;
        }
        Ok(())
    }

    /// Emits the held partial line: its file is gone, the newline will not come.
    pub(super) fn flush_partial(&mut self) -> Result<()> {
        let Follower {
            splitter,
            batcher,
            publisher,
            limiter,
            ..
        } = self;
        let mut failed = None;
        // No position: the file it ended in is gone or rotated away.
        splitter.flush_partial(&mut |line, cut| {
            if let Err(e) = sink::add_line(batcher, publisher, limiter, line, cut, None) {
                failed = Some(e);
            }
        });
        match failed {
            Some(e) => Err(e),
            None => self.push_batch(),
        }
    }
}
