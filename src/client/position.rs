//! Where a dropped stream resumes, and whether a message is new. One stream:
//! the last entry id received (the SSE `id:`). A fleet stream: the last entry
//! id of each minion, sent back as the cursor `MINION=ID,MINION=ID`
//! (`docs/cli.md`), so every member resumes after its own last id: no gap,
//! nothing twice, whatever the order the server merged them in.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::stream::message::Message;
use crate::stream::EntryId;

/// The resume position of one followed stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// A single stream: the last entry id delivered.
    Stream(Option<EntryId>),
    /// A fleet stream: each member's last entry id delivered.
    Fleet(BTreeMap<String, EntryId>),
}

/// The `minion` key of a fleet message (the rest is a [`Message`]).
#[derive(Deserialize)]
struct Member {
    #[serde(default)]
    minion: Option<String>,
}

/// The minion a fleet message's JSON names, if any.
pub fn minion_of(json: &str) -> Option<String> {
    serde_json::from_str::<Member>(json).ok()?.minion
}

/// A minion id as the cursor may carry it: `[A-Za-z0-9._-]`, not empty.
fn cursor_safe(minion: &str) -> bool {
    !minion.is_empty()
        && minion
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn message_id<'m>(message: &'m Message<'_>) -> Option<&'m str> {
    match message {
        Message::Lines { id, .. } | Message::Event { id, .. } => Some(id),
        Message::Dropped { .. } | Message::Heartbeat => None,
    }
}

impl Position {
    /// The start of a stream (`fleet`: a fleet stream).
    pub fn new(fleet: bool) -> Position {
        if fleet {
            Position::Fleet(BTreeMap::new())
        } else {
            Position::Stream(None)
        }
    }

    /// The `Last-Event-ID` to resume with; `None` before anything was received.
    pub fn resume_at(&self) -> Option<String> {
        match self {
            Position::Stream(last) => last.map(|id| id.to_string()),
            Position::Fleet(last) if last.is_empty() => None,
            Position::Fleet(last) => Some(
                last.iter()
                    .map(|(minion, id)| format!("{minion}={id}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }

    /// Whether `message` (SSE id `sse_id`, of `minion` in a fleet stream) is
    /// to be delivered; if so its id is remembered. A fleet message must name
    /// its minion; one without an entry id (`dropped`) is always delivered.
    pub fn accept(
        &mut self,
        sse_id: Option<&str>,
        minion: Option<&str>,
        message: &Message<'_>,
    ) -> bool {
        match self {
            Position::Stream(last) => {
                let Some(id) = sse_id.and_then(|s| s.parse::<EntryId>().ok()) else {
                    return true;
                };
                if last.is_some_and(|l| id <= l) {
                    return false;
                }
                *last = Some(id);
                true
            }
            Position::Fleet(last) => {
                let Some(minion) = minion.filter(|m| cursor_safe(m)) else {
                    return false;
                };
                let Some(id) = message_id(message).and_then(|s| s.parse::<EntryId>().ok()) else {
                    return true;
                };
                match last.get(minion) {
                    Some(l) if id <= *l => false,
                    _ => {
                        last.insert(minion.to_owned(), id);
                        true
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(minion: &str, id: &str) -> (Option<String>, Message<'static>) {
        let json = format!(r#"{{"minion":"{minion}","type":"lines","id":"{id}","lines":["x"]}}"#);
        (
            minion_of(&json),
            Message::parse(&json).expect("a fleet message is a message"),
        )
    }

    #[test]
    fn a_fleet_position_keeps_each_members_last_id_and_skips_what_it_has() {
        let mut p = Position::new(true);
        assert_eq!(p.resume_at(), None);
        let mut deliver = |minion: &str, id: &str| {
            let (m, msg) = lines(minion, id);
            p.accept(Some("ignored"), m.as_deref(), &msg)
        };
        assert!(deliver("web-02", "100-0"));
        assert!(
            deliver("web-01", "90-0"),
            "another member's earlier id is new"
        );
        assert!(!deliver("web-02", "100-0"), "the same entry twice");
        assert!(!deliver("web-02", "99-9"), "an older entry of the member");
        assert!(deliver("web-02", "100-1"));
        assert!(
            !deliver("bad=id", "200-0"),
            "a minion id the cursor cannot carry"
        );
        assert_eq!(p.resume_at().as_deref(), Some("web-01=90-0,web-02=100-1"));
        let dropped = Message::parse(r#"{"type":"dropped","count":2,"reason":"slow client"}"#)
            .expect("parses");
        assert!(p.accept(None, Some("web-03"), &dropped), "no id: delivered");
        assert!(
            !p.accept(None, None, &dropped),
            "a fleet message names its minion"
        );
    }

    #[test]
    fn a_single_position_is_the_last_sse_id() {
        let mut p = Position::new(false);
        let (_, msg) = lines("web-01", "5-0");
        assert!(p.accept(Some("5-0"), None, &msg));
        assert!(!p.accept(Some("4-0"), None, &msg));
        assert!(p.accept(None, None, &msg));
        assert_eq!(p.resume_at().as_deref(), Some("5-0"));
    }
}
