//! What the terminal client prints: log lines on stdout (a command's stderr
//! lines on stderr), one per line; marker lines (started, rotated, dropped,
//! exit status, …) on stderr, so a pipe gets only log lines. Colours only
//! when the stream they go to is a terminal; the log's own escape sequences
//! are removed when stdout is not a terminal (kept as colours, SGR only, on
//! one; all kept with `--raw`).

use std::borrow::Cow;
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

/// Prints messages to `out` and `err`.
pub struct Renderer<O: Write, E: Write> {
    opts: OutputOptions,
    out: O,
    err: E,
    exit_status: Option<String>,
}

impl<O: Write, E: Write> Renderer<O, E> {
    /// A renderer writing to `out` (log lines) and `err` (markers).
    pub fn new(opts: OutputOptions, out: O, err: E) -> Self {
        Renderer {
            opts,
            out,
            err,
            exit_status: None,
        }
    }

    /// Prints one message; `Flow::Stop(code)` when it ends the stream.
    pub fn show(&mut self, message: &Message<'_>) -> io::Result<Flow> {
        match message {
            Message::Lines { lines, fd, .. } => {
                for line in lines.iter() {
                    self.line(line, *fd == Some(2))?;
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
                self.marker(&text)?;
                if event == "stopped" {
                    let reason = fields.get("reason").map(String::as_str).unwrap_or("");
                    // A tailer replaced by a newer one (another logtail
                    // version): its successor continues in the same stream,
                    // so the client keeps reading (docs/sharing.md).
                    if reason == "replaced" {
                        return Ok(Flow::Continue);
                    }
                    return Ok(Flow::Stop(self.end_code(reason)));
                }
                Ok(Flow::Continue)
            }
            Message::Dropped { count, reason } => {
                self.marker(&format!("dropped {count} lines ({reason})"))?;
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

    fn line(&mut self, line: &str, stderr: bool) -> io::Result<()> {
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
        let sink: &mut dyn Write = if stderr { &mut self.err } else { &mut self.out };
        if stderr && color {
            writeln!(sink, "{RED}{text}{RESET}")
        } else {
            writeln!(sink, "{text}")
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
