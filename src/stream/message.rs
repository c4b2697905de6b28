//! The JSON messages sent to a browser over WebSocket or SSE (the wire
//! protocol of `docs/browser-protocol.md`), built from decoded entries, and
//! read back by [`Message::parse`] (for clients written in Rust). One type
//! for both directions: what is sent is what parses.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wire::Entry;

use crate::wire::EntryId;

/// A message serialised once per entry and shared by every viewer of the
/// stream: cloning it is a reference count, and it is the WebSocket text
/// frame's own type, so sending it copies nothing. The one place the data
/// plane names an axum type.
pub type SharedJson = axum::extract::ws::Utf8Bytes;

/// One message to a viewer. Sending borrows from the decoded entry; a parsed
/// message owns its data (`Message<'static>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Message<'a> {
    /// One or more lines of one stream entry, in order.
    Lines {
        /// The entry id (resume point).
        id: String,
        /// The lines, without newlines.
        lines: Cow<'a, [String]>,
        /// 1 or 2 for a command's stdout/stderr; absent for files.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fd: Option<u8>,
        /// How many of the lines were cut by the tailer; absent when none.
        #[serde(default, skip_serializing_if = "is_zero")]
        cut: u32,
    },
    /// Something happened to the file or the tailer (`rotated`, `stopped`, …).
    Event {
        /// The entry id (resume point).
        id: String,
        /// The event name.
        event: Cow<'a, str>,
        /// A sentence for people.
        message: Cow<'a, str>,
        /// Event-specific fields (`reason`, `count`, `status`, …).
        fields: Cow<'a, BTreeMap<String, String>>,
    },
    /// This viewer fell behind and `count` lines (events count as one) were not sent to it.
    Dropped {
        /// How many were skipped.
        count: u64,
        /// Why (always [`SLOW_CLIENT`] today).
        reason: Cow<'a, str>,
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
            Entry::Lines { lines, fd, cut, .. } => Message::Lines {
                id: id.to_string(),
                lines: Cow::Borrowed(lines),
                fd: *fd,
                cut: *cut,
            },
            Entry::Event(ev) => Message::Event {
                id: id.to_string(),
                event: Cow::Borrowed(ev.kind.as_str()),
                message: Cow::Borrowed(&ev.message),
                fields: Cow::Borrowed(&ev.fields),
            },
        }
    }

    /// `dropped`: `count` units were skipped for a viewer that fell behind.
    pub fn slow_client(count: u64) -> Message<'static> {
        Message::Dropped {
            count,
            reason: Cow::Borrowed(SLOW_CLIENT),
        }
    }

    /// Reads one message as sent over WebSocket or SSE `data:`.
    pub fn parse(json: &str) -> Result<Message<'static>, serde_json::Error> {
        serde_json::from_str(json)
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
            pos: None,
        };
        assert_eq!(
            parse(&Message::from_entry(id, &plain)),
            json!({"type":"lines","id":"17-3","lines":["a","<b>"]})
        );
        let cmd = Entry::Lines {
            lines: vec!["err".into()],
            fd: Some(2),
            cut: 1,
            pos: None,
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
            parse(&Message::slow_client(5)),
            json!({"type":"dropped","count":5,"reason":"slow client"})
        );
        assert_eq!(parse(&Message::Heartbeat), json!({"type":"heartbeat"}));
    }

    /// Every message, sent and read back, is the same message; read and sent
    /// again, the same bytes.
    #[test]
    fn every_variant_round_trips_through_its_json() {
        let id = EntryId {
            ms: 1_795_276_199_254,
            seq: 7,
        };
        let entries = [
            Entry::Lines {
                lines: vec!["a".into(), "".into(), "<b> \"q\" ünï ✓".into()],
                fd: None,
                cut: 0,
                pos: None,
            },
            Entry::Lines {
                lines: vec!["err".into()],
                fd: Some(2),
                cut: 1,
                pos: None,
            },
            Entry::Event(Event::new(EventKind::Stopped, "idle").with("reason", "idle")),
            Entry::Event(Event::new(EventKind::Started, "")),
        ];
        let mut messages: Vec<Message<'_>> =
            entries.iter().map(|e| Message::from_entry(id, e)).collect();
        messages.extend([Message::slow_client(812), Message::Heartbeat]);
        for m in messages {
            let json = m.to_json();
            let back = Message::parse(&json).expect("parses");
            assert_eq!(back, m, "{json}");
            assert_eq!(back.to_json(), json);
        }
    }

    /// The examples in `docs/browser-protocol.md` are exactly what logview
    /// sends: each parses and serialises back to the same bytes.
    #[test]
    fn the_documented_examples_are_byte_identical() {
        let doc = include_str!("../../docs/browser-protocol.md");
        let examples: Vec<&str> = doc
            .lines()
            .filter(|l| l.starts_with(r#"{"type":"#))
            .collect();
        for kind in ["lines", "event", "dropped", "heartbeat"] {
            let tag = format!(r#"{{"type":"{kind}""#);
            assert!(
                examples.iter().any(|e| e.starts_with(&tag)),
                "no {kind} example in the doc"
            );
        }
        for example in examples {
            let m = Message::parse(example).unwrap_or_else(|e| panic!("{example}: {e}"));
            assert_eq!(m.to_json(), example);
        }
        let id = EntryId {
            ms: 1_795_276_199_254,
            seq: 0,
        };
        let entry = Entry::Lines {
            lines: vec!["first line".into(), "second line".into()],
            fd: None,
            cut: 0,
            pos: None,
        };
        assert!(doc.contains(&Message::from_entry(id, &entry).to_json()));
    }

    #[test]
    fn unknown_types_and_missing_fields_are_errors() {
        for bad in [
            r#"{"type":"nope"}"#,
            r#"{"type":"lines","lines":["a"]}"#,
            r#"{"type":"dropped","count":"x","reason":"slow client"}"#,
            r#"{"lines":[]}"#,
            "not json",
        ] {
            assert!(Message::parse(bad).is_err(), "{bad}");
        }
    }
}
