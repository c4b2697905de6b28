//! A Redis Cluster's asynchronous replication and the publisher: with
//! `redis_cluster_wait_ms` > 0 every pipeline ends with `WAIT 1 <ms>`, and its
//! entries leave the queue only once that reply came (the replica that would
//! be promoted has them, or the wait timed out: then they are kept as
//! acknowledged, with a warning). A pipeline cut off before its `WAIT` reply
//! is sent again after the reconnect, minus what the new master already holds
//! (its last entry's `pos`): no line is lost to a failover, none written
//! twice. Entries without a position (commands) may still be written twice.

use std::collections::VecDeque;

use redis::{ConnectionLike, Value};

use super::{Item, Publisher};
use crate::wire::{Entry, FilePos};

impl Publisher {
    /// Handles one reply of the pipeline in flight (not an error reply).
    pub(super) fn on_reply(&mut self, reply: Value) {
        if self.endpoint.wait_ms().is_none() {
            return self.ack_front(&reply);
        }
        if self.replies.len() < self.in_flight {
            // An XADD's reply: held until the WAIT's.
            return self.replies.push(reply);
        }
        if !matches!(reply, Value::Int(n) if n >= 1) {
            tracing::warn!("no replica confirmed the last entries in time; kept as written");
        }
        for r in std::mem::take(&mut self.replies) {
            self.ack_front(&r);
        }
    }

    /// Removes the front entry, acknowledged by `reply`.
    fn ack_front(&mut self, reply: &Value) {
        self.in_flight -= 1;
        if let Some(item) = self.queue.pop_front() {
            self.queued_bytes -= item.weight();
            self.retention
                .acked_reply(reply, &item, self.target.max_len);
            self.in_flight_bytes = self.in_flight_bytes.saturating_sub(item.weight());
            if let Item::Lines(b) = item {
                self.lines_sent += u64::from(b.lines);
                if self.spare.len() < 4 {
                    let mut text = b.text;
                    text.clear();
                    self.spare.push(text);
                }
            }
        }
    }

    /// After a reconnect in cluster mode: drops the queued batches the
    /// stream already holds (written before a failover cut off their WAIT).
    pub(super) fn skip_already_written(&mut self, conn: &mut redis::Connection) {
        if self.endpoint.wait_ms().is_none() {
            return;
        }
        let cmd = redis::cmd("XREVRANGE")
            .arg(&self.target.stream)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .clone();
        let Some(last) = conn.req_command(&cmd).ok().and_then(|v| last_pos(&v)) else {
            return;
        };
        let (lines, bytes) = skip_written(&mut self.queue, last);
        if lines > 0 {
            tracing::warn!(
                lines,
                "already in the stream after a failover; not sent again"
            );
        }
        self.queued_bytes -= bytes;
        self.lines_sent += lines;
    }
}

/// The `pos` of the entry in an `XREVRANGE … COUNT 1` reply, if it has one.
fn last_pos(reply: &Value) -> Option<FilePos> {
    let Value::Array(entries) = reply else {
        return None;
    };
    let Value::Array(entry) = entries.first()? else {
        return None;
    };
    let Value::Array(fields) = entry.get(1)? else {
        return None;
    };
    let text = |v: &Value| match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    };
    let pairs: Vec<(String, String)> = fields
        .chunks(2)
        .filter_map(|kv| Some((text(kv.first()?), text(kv.get(1)?))))
        .collect();
    match Entry::from_fields(pairs.iter().map(|(k, v)| (k.as_str(), v.as_bytes()))) {
        Ok(Entry::Lines { pos, .. }) => pos,
        _ => None,
    }
}

/// Removes the leading `lines` batches of the same file that end at or
/// before `last` (positions grow within one file until an event such as
/// `truncated` or `rotated`, where this stops). Returns (lines, bytes) removed.
fn skip_written(queue: &mut VecDeque<Item>, last: FilePos) -> (u64, usize) {
    let (mut lines, mut bytes) = (0, 0);
    while let Some(Item::Lines(b)) = queue.front() {
        match b.pos {
            Some(p) if p.dev == last.dev && p.inode == last.inode && p.offset <= last.offset => {
                lines += u64::from(b.lines);
                bytes += queue.pop_front().map_or(0, |i| i.weight());
            }
            _ => break,
        }
    }
    (lines, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tail::batch::Batch;
    use crate::wire;

    fn batch(offset: u64, inode: u64) -> Item {
        Item::Lines(Batch {
            text: "x".into(),
            lines: 2,
            cut: 0,
            fd: None,
            pos: Some(FilePos {
                dev: 1,
                inode,
                offset,
            }),
        })
    }

    #[test]
    fn only_leading_batches_the_stream_already_holds_are_skipped() {
        let last = FilePos {
            dev: 1,
            inode: 7,
            offset: 20,
        };
        let mut q: VecDeque<Item> = [batch(10, 7), batch(20, 7), batch(30, 7)].into();
        assert_eq!(skip_written(&mut q, last), (4, 2 * 65));
        assert_eq!(q.len(), 1);
        // Another file (rotated) or an event first: nothing is skipped.
        let mut q: VecDeque<Item> = [batch(10, 8)].into();
        assert_eq!(skip_written(&mut q, last).0, 0);
        let ev = Item::Event(wire::Event::new(wire::EventKind::Truncated, "t"));
        let mut q: VecDeque<Item> = [ev, batch(5, 7)].into();
        assert_eq!(skip_written(&mut q, last).0, 0);
    }

    #[test]
    fn the_last_position_is_read_from_an_xrevrange_reply() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("1-0"),
            Value::Array(vec![
                bulk("kind"),
                bulk("lines"),
                bulk("lines"),
                bulk("a"),
                bulk("pos"),
                bulk("1:7:20"),
            ]),
        ])]);
        assert_eq!(
            last_pos(&reply),
            Some(FilePos {
                dev: 1,
                inode: 7,
                offset: 20
            })
        );
        assert_eq!(last_pos(&Value::Array(vec![])), None);
    }
}
