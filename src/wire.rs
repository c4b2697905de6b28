//! The Redis wire format shared by `logtail` (writer) and `logview` (reader):
//! key names and the fields of a stream entry. Defined here once; neither side
//! spells a key or a field name anywhere else.
//!
//! A stream key is `<prefix>:{bX}:<minion_id>:<log_path>` for a followed file
//! and `<prefix>:{bX}:<minion_id>:cmd:<name>:<run_id>` for a command run, where
//! `{bX}` is a Redis Cluster hash tag naming one of [`STREAM_BUCKETS`] buckets
//! (X = one lowercase hex digit = FNV-1a-32 of `<minion_id>:<log_path>`, resp.
//! `<minion_id>:cmd:<name>`, modulo [`STREAM_BUCKETS`]; see [`stream_bucket`]).
//! Beside it live
//! `<stream>:lease` (kept alive by logview while viewers watch; the tailer
//! exits once it has been gone for `idle_exit`) and `<stream>:owner` (who
//! follows: host, pid, start time, logtail version; a heartbeat with a short
//! TTL, see [`OwnerValue`]).
//!
//! Every entry has a `kind` field: `lines` or `event`.
//! * `lines`: `lines` = one or more lines joined by `\n` (no trailing newline),
//!   optional `fd` (1 stdout, 2 stderr, for `exec`), optional `cut` = how many
//!   of those lines were longer than `max_line_bytes` and were cut (each cut
//!   line ends with [`CUT_MARKER_PREFIX`]…`]`), optional `pos` =
//!   `DEV:INODE:OFFSET` ([`FilePos`]: written by a file tailer, the offset
//!   just after the entry's last line; absent in commands' and old entries).
//! * `event`: `event` = one of [`EventKind`], `message` = a sentence for
//!   people, plus event-specific fields (see [`EventKind`]).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

mod entry_id;
mod keys;
mod owner;
mod pos;
mod slot;
pub use entry_id::{BadEntryId, EntryId};
pub use keys::{
    command_stream_key, command_stream_key_pattern, lease_key, owner_key, parse_command_stream_key,
    start_claim_key, stream_bucket, stream_key, STREAM_BUCKETS,
};
pub use owner::{OwnerValue, OWNER_REFRESH_SECS, OWNER_TTL_SECS, VERSION};
pub use pos::{BadFilePos, FilePos};
pub use slot::{fnv1a32, hash_tag, key_slot, CLUSTER_SLOTS};

/// Default stream key prefix (`logs`), the seeds' `LOG_KEY`.
pub const DEFAULT_PREFIX: &str = "logs";

/// Text appended to a line that was cut at `max_line_bytes`:
/// `… [logtail: cut 12345 bytes]`.
pub const CUT_MARKER_PREFIX: &str = " [logtail: cut ";

/// Field names of a stream entry.
pub mod field {
    /// `lines` or `event`.
    pub const KIND: &str = "kind";
    /// The lines of a `lines` entry, joined by `\n`.
    pub const LINES: &str = "lines";
    /// File descriptor a command's output came from (`1` or `2`).
    pub const FD: &str = "fd";
    /// Number of lines in this entry that were cut at `max_line_bytes`.
    pub const CUT: &str = "cut";
    /// The event name of an `event` entry.
    pub const EVENT: &str = "event";
    /// A human sentence describing the event.
    pub const MESSAGE: &str = "message";
    /// `started`: how many lines the tailer's backlog holds (they follow it).
    pub const BACKLOG: &str = "backlog";
    /// `lines`: [`super::FilePos`] just after the entry's last line.
    pub const POS: &str = "pos";
    /// `started`: `1` if the tailer continued at `--resume-at`, `0` if it
    /// was asked to and could not (then [`RESUME`] says why).
    pub const RESUMED: &str = "resumed";
    /// `started` with `resumed=0`: why the position could not be used.
    pub const RESUME: &str = "resume";
}

/// Value of the `kind` field for line entries.
pub const KIND_LINES: &str = "lines";
/// Value of the `kind` field for event entries.
pub const KIND_EVENT: &str = "event";

/// Every event a tailer can write, with the extra fields each carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The tailer started. Fields: `host`, `pid`, `inode`, `size`, `backlog`
    /// (the line count of the backlog that follows it; `exec`: `host`, `pid`, `program`).
    Started,
    /// The file was renamed away and a new file took its name; the old one was drained first.
    Rotated,
    /// The file shrank (copytruncate); reading restarts at offset 0.
    Truncated,
    /// The file disappeared; the tailer waits for it.
    Missing,
    /// The file is back after `missing`.
    Reappeared,
    /// Lines were lost. Fields: `count` (exact), `reason` (`redis-outage`,
    /// `redis-full`, `rate-limit`).
    Dropped,
    /// The tailer stopped. Field: `reason` (see [`StopReason`]).
    Stopped,
    /// A command finished. Fields: `status` (exit code, or `signal N`).
    Exit,
}

impl EventKind {
    /// All kinds, for exhaustive tests and documentation.
    pub const ALL: [EventKind; 8] = [
        EventKind::Started,
        EventKind::Rotated,
        EventKind::Truncated,
        EventKind::Missing,
        EventKind::Reappeared,
        EventKind::Dropped,
        EventKind::Stopped,
        EventKind::Exit,
    ];

    /// The name written in the `event` field.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Started => "started",
            EventKind::Rotated => "rotated",
            EventKind::Truncated => "truncated",
            EventKind::Missing => "missing",
            EventKind::Reappeared => "reappeared",
            EventKind::Dropped => "dropped",
            EventKind::Stopped => "stopped",
            EventKind::Exit => "exit",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = WireError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| WireError::UnknownEvent(s.to_owned()))
    }
}

/// Why a tailer stopped: the `reason` field of a `stopped` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// No lease for `idle_exit` seconds: nobody is watching.
    Idle,
    /// `max_duration` reached.
    MaxDuration,
    /// SIGTERM or SIGINT.
    Signal,
    /// Another `logtail follow` of the same path took over.
    Replaced,
    /// `logtail stop PATH` asked it to.
    StopCommand,
    /// The command run by `exec` finished.
    Finished,
    /// `exec --timeout` elapsed and the process group was killed.
    Timeout,
    /// An unrecoverable error (the message says which).
    Error,
}

impl StopReason {
    /// The value written in the `reason` field.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Idle => "idle",
            StopReason::MaxDuration => "max-duration",
            StopReason::Signal => "signal",
            StopReason::Replaced => "replaced",
            StopReason::StopCommand => "stop-command",
            StopReason::Finished => "finished",
            StopReason::Timeout => "timeout",
            StopReason::Error => "error",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stream entry, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// One or more lines of the file (or of a command's stdout/stderr).
    Lines {
        /// The lines, without their newlines.
        lines: Vec<String>,
        /// `Some(1|2)` for a command's stdout/stderr, `None` for a file.
        fd: Option<u8>,
        /// How many of `lines` were cut at `max_line_bytes`.
        cut: u32,
        /// Where the last line ends in the followed file (file tailers only).
        pos: Option<FilePos>,
    },
    /// Something happened to the file or the tailer.
    Event(Event),
}

/// An `event` entry: kind, message and kind-specific fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// A sentence for people ("file rotated, now following inode 1234").
    pub message: String,
    /// Event-specific fields (`count`, `reason`, `status`, `host`, …), sorted by name.
    pub fields: BTreeMap<String, String>,
}

impl Event {
    /// A new event with no extra fields.
    pub fn new(kind: EventKind, message: impl Into<String>) -> Self {
        Event {
            kind,
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }

    /// Adds an event-specific field (builder style).
    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.fields.insert(name.to_owned(), value.to_string());
        self
    }

    /// The value of an event-specific field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Why a stream entry could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A field every entry of that kind must have is absent.
    #[error("stream entry has no {0:?} field")]
    MissingField(&'static str),
    /// The `kind` field is neither `lines` nor `event`.
    #[error("stream entry has unknown kind {0:?} (expected \"lines\" or \"event\")")]
    UnknownKind(String),
    /// The `event` field names no known event.
    #[error("stream entry has unknown event {0:?}")]
    UnknownEvent(String),
    /// A numeric field does not hold a number.
    #[error("stream entry field {field:?} is not a number: {value:?}")]
    BadNumber {
        /// The field name.
        field: &'static str,
        /// The value found.
        value: String,
    },
    /// The `pos` field is not `DEV:INODE:OFFSET`.
    #[error("stream entry field \"pos\" is not DEV:INODE:OFFSET: {0:?}")]
    BadPos(String),
}

impl Entry {
    /// The field/value pairs to pass to `XADD`, in a stable order.
    pub fn to_fields(&self) -> Vec<(String, String)> {
        match self {
            Entry::Lines {
                lines,
                fd,
                cut,
                pos,
            } => {
                let mut out = vec![
                    (field::KIND.to_owned(), KIND_LINES.to_owned()),
                    (field::LINES.to_owned(), lines.join("\n")),
                ];
                if let Some(fd) = fd {
                    out.push((field::FD.to_owned(), fd.to_string()));
                }
                if *cut > 0 {
                    out.push((field::CUT.to_owned(), cut.to_string()));
                }
                if let Some(pos) = pos {
                    out.push((field::POS.to_owned(), pos.to_string()));
                }
                out
            }
            Entry::Event(ev) => {
                let mut out = vec![
                    (field::KIND.to_owned(), KIND_EVENT.to_owned()),
                    (field::EVENT.to_owned(), ev.kind.as_str().to_owned()),
                    (field::MESSAGE.to_owned(), ev.message.clone()),
                ];
                out.extend(ev.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                out
            }
        }
    }

    /// Decodes an entry from the field/value pairs Redis returned.
    /// Values that are not UTF-8 are decoded lossily (logtail never writes such).
    pub fn from_fields<'a, I, V>(pairs: I) -> Result<Entry, WireError>
    where
        I: IntoIterator<Item = (&'a str, V)>,
        V: AsRef<[u8]>,
    {
        let mut map: BTreeMap<String, String> = pairs
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_owned(),
                    String::from_utf8_lossy(v.as_ref()).into_owned(),
                )
            })
            .collect();
        let kind = map
            .remove(field::KIND)
            .ok_or(WireError::MissingField(field::KIND))?;
        match kind.as_str() {
            KIND_LINES => {
                let joined = map
                    .remove(field::LINES)
                    .ok_or(WireError::MissingField(field::LINES))?;
                let fd = match map.remove(field::FD) {
                    Some(v) => Some(v.parse::<u8>().map_err(|_| WireError::BadNumber {
                        field: field::FD,
                        value: v,
                    })?),
                    None => None,
                };
                let cut = match map.remove(field::CUT) {
                    Some(v) => v.parse::<u32>().map_err(|_| WireError::BadNumber {
                        field: field::CUT,
                        value: v,
                    })?,
                    None => 0,
                };
                let pos = match map.remove(field::POS) {
                    Some(v) => Some(v.parse::<FilePos>().map_err(|_| WireError::BadPos(v))?),
                    None => None,
                };
                Ok(Entry::Lines {
                    lines: joined.split('\n').map(str::to_owned).collect(),
                    fd,
                    cut,
                    pos,
                })
            }
            KIND_EVENT => {
                let name = map
                    .remove(field::EVENT)
                    .ok_or(WireError::MissingField(field::EVENT))?;
                let kind = name.parse::<EventKind>()?;
                let message = map.remove(field::MESSAGE).unwrap_or_default();
                Ok(Entry::Event(Event {
                    kind,
                    message,
                    fields: map,
                }))
            }
            _ => Err(WireError::UnknownKind(kind)),
        }
    }
}

#[cfg(test)]
mod tests;
