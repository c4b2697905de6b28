//! What the publisher queues and where it writes: one stream entry (lines or
//! an event) or a trim, with its weight against the queue's byte bound; and
//! the stream with its retention limits.

use std::time::Duration;

use super::batch::Batch;
use crate::wire::Event;

/// One stream entry waiting to be sent.
#[derive(Debug)]
pub enum Item {
    /// A batch of lines.
    Lines(Batch),
    /// An event.
    Event(Event),
    /// `XTRIM <stream> MINID <id>`.
    Trim(String),
}

impl Item {
    /// Bytes it counts for (text plus a fixed overhead).
    pub fn weight(&self) -> usize {
        match self {
            Item::Lines(b) => b.text.len() + 64,
            Item::Event(e) => e.message.len() + 128,
            Item::Trim(_) => 64,
        }
    }
}

/// Where and how to publish.
#[derive(Debug, Clone)]
pub struct Target {
    /// The stream key.
    pub stream: String,
    /// `MAXLEN ~` of every `XADD`.
    pub max_len: u64,
    /// Bytes kept in the stream (`XTRIM MINID`).
    pub max_bytes: u64,
    /// Age kept in the stream (`XTRIM MINID`).
    pub max_age: Duration,
    /// Lines the age limit never trims below (a file tailer's backlog depth,
    /// so that every viewer's last N lines stay in the stream: docs/sharing.md).
    pub keep_lines: u64,
    /// Bytes kept while Redis is away.
    pub buffer_max_bytes: usize,
}
