//! What the terminal client prints: log lines on stdout (a command's stderr
//! lines on stderr), one per line; marker lines (started, rotated, dropped,
//! exit status, …) on stderr, so a pipe gets only log lines. Colours only
//! when the stream they go to is a terminal; the log's own escape sequences
//! are removed when stdout is not a terminal (kept as colours, SGR only, on
//! one; all kept with `--raw`). In a fleet view every line and marker starts
//! with its minion (`web-01 | line`), the id coloured by minion on a terminal,
//! and the stream ends when every member's tailer has stopped.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{self, Write};

use regex::Regex;

use crate::stream::message::Message;

use super::error::EXIT_STREAM_ERROR;
use super::stream::Flow;

/// How to print.
#[derive(Debug, Default)]
pub struct OutputOptions {
    /// Only log lines matching this (matched without escape sequences).
    pub grep: Option<Regex>,
    /// Keep the log's escape sequences untouched.
    pub raw: bool,
    /// stdout is a terminal: colours allowed there.
    pub color_out: bool,
    /// stderr is a terminal: colours allowed there.
    pub color_err: bool,
    /// Following a command (`run`): the exit status decides the exit code.
    pub command: bool,
}

const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// The minion colours on a terminal: no red (a command's stderr is red).
const MINION_COLOURS: [&str; 6] = [
    "\x1b[36m", "\x1b[33m", "\x1b[35m", "\x1b[32m", "\x1b[34m", "\x1b[96m",
];

/// The terminal colour of `minion`: a hash of its id (FNV-1a), so it keeps it.
fn minion_colour(minion: &str) -> &'static str {
    let hash = minion.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    MINION_COLOURS[hash as usize % MINION_COLOURS.len()]
}

/// What a fleet view's renderer tracks.
#[derive(Debug, Default)]
struct Fleet {
    /// The width of the minion column (the longest member id).
    width: usize,
    /// The start named the members (else those heard from are the members).
    named: bool,
    /// Members whose tailer has not stopped yet.
    running: BTreeSet<String>,
    /// Members whose tailer stopped.
    done: BTreeSet<String>,
    /// The exit code so far: [`EXIT_STREAM_ERROR`] once any member stopped on an error.
    code: u8,
}

/// Prints messages to `out` and `err`.
pub struct Renderer<O: Write, E: Write> {
    opts: OutputOptions,
    out: O,
    err: E,
    exit_status: Option<String>,
    fleet: Option<Fleet>,
}

impl<O: Write, E: Write> Renderer<O, E> {
    /// A renderer writing to `out` (log lines) and `err` (markers).
    pub fn new(opts: OutputOptions, out: O, err: E) -> Self {
        Renderer {
            opts,
            out,
            err,
            exit_status: None,
            fleet: None,
        }
    }

    /// A fleet view of `members` (as the start answered; empty: the minions
    /// heard from): prefixed lines, and the end when every member stopped.
    pub fn fleet(mut self, members: &[String]) -> Self {
        self.fleet = Some(Fleet {
            width: members.iter().map(String::len).max().unwrap_or(0),
            named: !members.is_empty(),
            running: members.iter().cloned().collect(),
            ..Fleet::default()
        });
        self
    }

    /// Prints one message (of `minion` in a fleet view); `Flow::Stop(code)`
    /// when it ends the stream.
    pub fn show(&mut self, minion: Option<&str>, message: &Message<'_>) -> io::Result<Flow> {
        if let (Some(fleet), Some(m)) = (&mut self.fleet, minion) {
            fleet.heard(m);
        }
        match message {
            Message::Lines { lines, fd, .. } => {
                for line in lines.iter() {
                    self.line(minion, line, *fd == Some(2))?;
                }
                self.out.flush()?;
                self.err.flush()?;
                Ok(Flow::Continue)
            }
            Message::Event {
                event,
                message,
                fields,
                ..
            } => {
                let text = match event.as_ref() {
                    "exit" => {
                        let status = fields.get("status").cloned().unwrap_or_default();
                        self.exit_status = Some(status.clone());
                        format!("exit status {status}")
                    }
                    _ if message.is_empty() => event.to_string(),
                    _ => format!("{event}: {message}"),
                };
                self.marker(&self.about(minion, &text))?;
                if event == "stopped" {
                    let reason = fields.get("reason").map(String::as_str).unwrap_or("");
                    // A tailer replaced by a newer one (another logtail
                    // version): its successor continues in the same stream,
                    // so the client keeps reading (docs/sharing.md).
                    if reason == "replaced" {
                        return Ok(Flow::Continue);
                    }
                    let code = self.end_code(reason);
                    return Ok(match &mut self.fleet {
                        None => Flow::Stop(code),
                        Some(fleet) => fleet.stopped(minion, code),
                    });
                }
                Ok(Flow::Continue)
            }
            Message::Dropped { count, reason } => {
                let text = format!("dropped {count} lines ({reason})");
                self.marker(&self.about(minion, &text))?;
                Ok(Flow::Continue)
            }
            Message::Heartbeat => Ok(Flow::Continue),
        }
    }

    /// A marker line on stderr (`--- text`), dimmed on a terminal.
    pub fn marker(&mut self, text: &str) -> io::Result<()> {
        let text = clean(text, false);
        if self.opts.color_err {
            writeln!(self.err, "{DIM}--- {text}{RESET}")?;
        } else {
            writeln!(self.err, "--- {text}")?;
        }
        self.err.flush()
    }

    /// A marker's text, about `minion` in a fleet view.
    fn about(&self, minion: Option<&str>, text: &str) -> String {
        match (&self.fleet, minion) {
            (Some(_), Some(m)) => format!("{m}: {text}"),
            _ => text.to_owned(),
        }
    }

    /// The minion column of a fleet line (`web-01 | `), coloured when `color`.
    fn prefix(&self, minion: Option<&str>, color: bool) -> String {
        let (Some(fleet), Some(m)) = (&self.fleet, minion) else {
            return String::new();
        };
        let m = clean(m, false);
        let width = fleet.width;
        if color {
            format!("{}{m:<width$}{RESET} | ", minion_colour(&m))
        } else {
            format!("{m:<width$} | ")
        }
    }

    fn line(&mut self, minion: Option<&str>, line: &str, stderr: bool) -> io::Result<()> {
        if let Some(re) = &self.opts.grep {
            if !re.is_match(&clean(line, false)) {
                return Ok(());
            }
        }
        let color = if stderr {
            self.opts.color_err
        } else {
            self.opts.color_out
        };
        let text: Cow<'_, str> = if self.opts.raw {
            Cow::Borrowed(line)
        } else {
            clean(line, color)
        };
        let prefix = self.prefix(minion, color);
        let sink: &mut dyn Write = if stderr { &mut self.err } else { &mut self.out };
        if stderr && color {
            writeln!(sink, "{prefix}{RED}{text}{RESET}")
        } else {
            writeln!(sink, "{prefix}{text}")
        }
    }

    /// The exit code at `stopped`: a command's own status for `run`
    /// (`signal N` → 128 + N), 0 for a clean end of a tail, and
    /// [`EXIT_STREAM_ERROR`] when the tailer stopped on an error.
    fn end_code(&self, reason: &str) -> u8 {
        if self.opts.command {
            if let Some(status) = &self.exit_status {
                if let Ok(n) = status.parse::<u8>() {
                    return n;
                }
                if let Some(sig) = status
                    .strip_prefix("signal ")
                    .and_then(|s| s.parse::<u8>().ok())
                {
                    return 128u8.saturating_add(sig);
                }
            }
        }
        if reason == "error" || (self.opts.command && self.exit_status.is_none()) {
            EXIT_STREAM_ERROR
        } else {
            0
        }
    }
}

impl Fleet {
    /// A message of `minion` arrived.
    fn heard(&mut self, minion: &str) {
        if !self.named && !self.done.contains(minion) && self.running.insert(minion.to_owned()) {
            self.width = self.width.max(minion.len());
        }
    }

    /// `minion`'s tailer stopped with exit code `code`: the end once no member runs.
    fn stopped(&mut self, minion: Option<&str>, code: u8) -> Flow {
        self.code = self.code.max(code);
        if let Some(m) = minion {
            self.running.remove(m);
            self.done.insert(m.to_owned());
        }
        if self.running.is_empty() {
            Flow::Stop(self.code)
        } else {
            Flow::Continue
        }
    }
}

/// `line` without terminal control: escape sequences and control characters
/// (tab kept) removed; with `keep_sgr`, colour sequences (`ESC [ … m`) kept.
pub fn clean(line: &str, keep_sgr: bool) -> Cow<'_, str> {
    if !line.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.next() {
                Some('[') => {
                    let mut seq = String::from("\x1b[");
                    for n in chars.by_ref() {
                        seq.push(n);
                        if ('@'..='~').contains(&n) {
                            break;
                        }
                    }
                    if keep_sgr
                        && seq.ends_with('m')
                        && seq[2..seq.len() - 1]
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == ';')
                    {
                        out.push_str(&seq);
                    }
                }
                Some(']') => {
                    // OSC: up to BEL or ESC \.
                    while let Some(n) = chars.next() {
                        if n == '\x07' || (n == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            }
        } else if c == '\t' || !c.is_control() {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
#[path = "output_tests.rs"]
mod tests;
