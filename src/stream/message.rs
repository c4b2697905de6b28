//! The JSON messages sent to a browser over WebSocket or SSE (the wire
//! protocol of `docs/browser-protocol.md`), built from decoded entries.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::wire::Entry;

use super::entry_id::EntryId;

/// One message to a viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Message<'a> {
    /// One or more lines of one stream entry, in order.
    Lines {
        /// The entry id (resume point).
        id: String,
        /// The lines, without newlines.
        lines: &'a [String],
        /// 1 or 2 for a command's stdout/stderr; absent for files.
        #[serde(skip_serializing_if = "Option::is_none")]
        fd: Option<u8>,
        /// How many of the lines were cut by the tailer; absent when none.
        #[serde(skip_serializing_if = "is_zero")]
        cut: u32,
    },
    /// Something happened to the file or the tailer (`rotated`, `stopped`, …).
    Event {
        /// The entry id (resume point).
        id: String,
        /// The event name.
        event: &'static str,
        /// A sentence for people.
        message: &'a str,
        /// Event-specific fields (`reason`, `count`, `status`, …).
        fields: &'a BTreeMap<String, String>,
    },
    /// This viewer fell behind and `count` lines (events count as one) were not sent to it.
    Dropped {
        /// How many were skipped.
        count: u64,
        /// Why (always `slow client` today).
        reason: &'static str,
    },
    /// Keeps idle WebSockets (and proxies) alive.
    Heartbeat,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Reason given in `dropped` messages for a viewer that could not keep up.
pub const SLOW_CLIENT: &str = "slow client";

impl<'a> Message<'a> {
    /// The message for one stream entry.
    pub fn from_entry(id: EntryId, entry: &'a Entry) -> Message<'a> {
        match entry {
            Entry::Lines { lines, fd, cut } => Message::Lines {
                id: id.to_string(),
                lines,
                fd: *fd,
                cut: *cut,
            },
            Entry::Event(ev) => Message::Event {
                id: id.to_string(),
                event: ev.kind.as_str(),
                message: &ev.message,
                fields: &ev.fields,
            },
        }
    }

    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        // Serialising these plain structs (strings, numbers, string maps) cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from(r#"{"type":"heartbeat"}"#))
    }
}

/// How many viewer-visible units an entry holds (lines, or 1 for an event),
/// the unit of `dropped` counts and of the lines-out metric.
pub fn weight(entry: &Entry) -> u64 {
    match entry {
        Entry::Lines { lines, .. } => lines.len() as u64,
        Entry::Event(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Event, EventKind};
    use serde_json::{json, Value};

    fn parse(m: &Message<'_>) -> Value {
        serde_json::from_str(&m.to_json()).expect("valid JSON")
    }

    #[test]
    fn lines_match_the_protocol_with_optional_fields_only_when_set() {
        let id = EntryId { ms: 17, seq: 3 };
        let plain = Entry::Lines {
            lines: vec!["a".into(), "<b>".into()],
            fd: None,
            cut: 0,
        };
        assert_eq!(
            parse(&Message::from_entry(id, &plain)),
            json!({"type":"lines","id":"17-3","lines":["a","<b>"]})
        );
        let cmd = Entry::Lines {
            lines: vec!["err".into()],
            fd: Some(2),
            cut: 1,
        };
        assert_eq!(
            parse(&Message::from_entry(id, &cmd)),
            json!({"type":"lines","id":"17-3","lines":["err"],"fd":2,"cut":1})
        );
        assert_eq!(weight(&plain), 2);
    }

    #[test]
    fn events_dropped_and_heartbeat_match_the_protocol() {
        let id = EntryId { ms: 1, seq: 0 };
        let ev = Entry::Event(Event::new(EventKind::Rotated, "file rotated").with("inode", 42));
        assert_eq!(
            parse(&Message::from_entry(id, &ev)),
            json!({"type":"event","id":"1-0","event":"rotated","message":"file rotated","fields":{"inode":"42"}})
        );
        assert_eq!(weight(&ev), 1);
        assert_eq!(
            parse(&Message::Dropped {
                count: 5,
                reason: SLOW_CLIENT
            }),
            json!({"type":"dropped","count":5,"reason":"slow client"})
        );
        assert_eq!(parse(&Message::Heartbeat), json!({"type":"heartbeat"}));
    }
}
