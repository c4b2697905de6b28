//! The one definition of every Salt call logview makes, as a typed
//! [`SaltCall`]: logview *builds* lowstate chunks from it ([`SaltCall::to_chunk`])
//! and saltgate *checks* incoming chunks against it ([`SaltCall::from_chunk`]),
//! then forwards the chunk it rebuilds from the typed value, never the bytes it
//! was sent. A round-trip test proves the two directions agree.
//!
//! What a chunk must look like (anything else is a [`Refusal`] naming the field):
//! one JSON object with exactly the keys `client`, `tgt`, `tgt_type`, `fun`,
//! `arg`, `kwarg` (only for `cmd.*`), `full_return`, `timeout`,
//! `gather_job_timeout`; `client` = `"local"`; `fun` one string (Salt
//! authorises a *list* of functions as soon as one of them is allowed, see
//! `SECURITY.md`); `tgt` a list of literal minion ids with `tgt_type` =
//! `"list"` (exactly one for `test.ping` and `exec`; 1 to `limits.max_fleet`
//! distinct ids for `file.file_exists`, `stop` and `follow`: a fleet start is one
//! call per step, and their argv is the same on every minion); `arg` exactly
//! the argv of `logtail stop|follow|exec`, the one
//! path of `file.file_exists`, or nothing for `test.ping`; `kwarg` exactly the pins with their JSON types.

use serde_json::{json, Value};

use super::lowstate::{self, CallTimeouts};
use crate::settings::Settings;
use crate::target::{LogPath, MinionId};
use crate::wire::{self, FilePos};

/// Largest per-call Salt `timeout` / `gather_job_timeout` the gate forwards.
pub const MAX_CALL_TIMEOUT_SECS: u64 = 60;

/// The Salt functions a chunk may name.
pub(super) const FUNCTIONS: [&str; 4] =
    ["test.ping", "file.file_exists", "cmd.run_all", "cmd.run_bg"];

/// Keys a chunk may carry.
pub(super) const KEYS: [&str; 9] = [
    "client",
    "tgt",
    "tgt_type",
    "fun",
    "arg",
    "kwarg",
    "full_return",
    "timeout",
    "gather_job_timeout",
];

/// One Salt call logview may make, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaltCall {
    /// `test.ping`: does the minion answer (the ops page's status).
    Ping {
        /// The one targeted minion.
        minion: MinionId,
    },
    /// `file.file_exists PATH`.
    FileExists {
        /// The targeted minions (1 to `limits.max_fleet`, distinct).
        minions: Vec<MinionId>,
        /// An allowed path.
        path: LogPath,
    },
    /// `cmd.run_all [logtail stop --config C [--replacing] PATH]`.
    Stop {
        /// The targeted minions (1 to `limits.max_fleet`, distinct).
        minions: Vec<MinionId>,
        /// An allowed path.
        path: LogPath,
        /// A successor follows: the tailer's `stopped` says `replaced`.
        replacing: bool,
    },
    /// `cmd.run_bg [logtail follow …]`: each minion's tailer writes into
    /// the stream of its own id (logtail's config) + `path`.
    Follow {
        /// The targeted minions (1 to `limits.max_fleet`, distinct; exactly
        /// one with `resume_at`, a position in that minion's file).
        minions: Vec<MinionId>,
        /// An allowed path.
        path: LogPath,
        /// Backlog lines, `0..=tail.max_lines`.
        lines: u32,
        /// `1..=tail.max_duration_secs`.
        max_duration_secs: u64,
        /// `1..=tail.idle_exit_secs`.
        idle_exit_secs: u64,
        /// `--resume-at DEV:INODE:OFFSET` (replacing a dead tailer).
        resume_at: Option<FilePos>,
    },
    /// `cmd.run_bg [logtail exec … -- ARGV]` of `[commands.NAME]`.
    Exec {
        /// The one targeted minion.
        minion: MinionId,
        /// A `[commands.*]` name.
        command: String,
        /// 16 lowercase hex characters.
        run_id: String,
    },
}

/// Why a chunk was refused: the field and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Refusal {
    /// The chunk key (or `arg[0][i]`) that is not allowed.
    pub field: String,
    /// What was wrong and what is allowed.
    pub message: String,
}

pub(super) fn refuse(field: impl Into<String>, message: impl Into<String>) -> Refusal {
    Refusal {
        field: field.into(),
        message: message.into(),
    }
}

impl SaltCall {
    /// The targeted minions, in the order of `tgt`.
    pub fn minions(&self) -> &[MinionId] {
        match self {
            SaltCall::Ping { minion } | SaltCall::Exec { minion, .. } => {
                std::slice::from_ref(minion)
            }
            SaltCall::FileExists { minions, .. }
            | SaltCall::Stop { minions, .. }
            | SaltCall::Follow { minions, .. } => minions,
        }
    }

    /// The targeted minions joined with `,` (logs, the audit trail).
    pub fn minion_list(&self) -> String {
        let ids: Vec<&str> = self.minions().iter().map(MinionId::as_str).collect();
        ids.join(",")
    }

    /// The Salt function name.
    pub fn function(&self) -> &'static str {
        match self {
            SaltCall::Ping { .. } => "test.ping",
            SaltCall::FileExists { .. } => "file.file_exists",
            SaltCall::Stop { .. } => "cmd.run_all",
            SaltCall::Follow { .. } | SaltCall::Exec { .. } => "cmd.run_bg",
        }
    }

    /// A short name for logs and the audit trail: `file_exists`, `stop`, `follow`, `exec`.
    pub fn action(&self) -> &'static str {
        match self {
            SaltCall::Ping { .. } => "ping",
            SaltCall::FileExists { .. } => "file_exists",
            SaltCall::Stop { .. } => "stop",
            SaltCall::Follow { .. } => "follow",
            SaltCall::Exec { .. } => "exec",
        }
    }

    /// The log path, for file calls.
    pub fn path(&self) -> Option<&str> {
        match self {
            SaltCall::FileExists { path, .. }
            | SaltCall::Stop { path, .. }
            | SaltCall::Follow { path, .. } => Some(path.as_str()),
            SaltCall::Ping { .. } | SaltCall::Exec { .. } => None,
        }
    }

    /// The command name, for exec calls.
    pub fn command(&self) -> Option<&str> {
        match self {
            SaltCall::Exec { command, .. } => Some(command),
            _ => None,
        }
    }

    /// The argv list this call runs on the minion (`None` for `file.file_exists`).
    pub fn argv(&self, s: &Settings) -> Result<Option<Vec<String>>, Refusal> {
        let (bin, config) = (s.salt.logtail_bin.as_str(), s.salt.logtail_config.as_str());
        Ok(match self {
            SaltCall::Ping { .. } | SaltCall::FileExists { .. } => None,
            SaltCall::Stop {
                path, replacing, ..
            } => Some(lowstate::stop_argv(bin, config, *replacing, path.as_str())),
            SaltCall::Follow {
                path,
                lines,
                max_duration_secs,
                idle_exit_secs,
                resume_at,
                ..
            } => Some(lowstate::follow_argv(
                bin,
                config,
                *lines,
                *max_duration_secs,
                *idle_exit_secs,
                *resume_at,
                path.as_str(),
            )),
            SaltCall::Exec {
                minion,
                command,
                run_id,
            } => {
                let cmd = s.commands.get(command).ok_or_else(|| {
                    refuse("arg", format!("{command:?} is not a [commands.*] name"))
                })?;
                let stream =
                    wire::command_stream_key(&s.redis.prefix, minion.as_str(), command, run_id);
                Some(lowstate::exec_argv(
                    bin,
                    config,
                    &stream,
                    cmd.timeout_secs,
                    &cmd.argv,
                ))
            }
        })
    }

    /// The lowstate chunk of this call: what logview sends and what the gate forwards.
    pub fn to_chunk(&self, s: &Settings, timeouts: CallTimeouts) -> Result<Value, Refusal> {
        let (arg, kwarg) = match self.argv(s)? {
            None if matches!(self, SaltCall::Ping { .. }) => (vec![], None),
            None => (vec![json!(self.path().unwrap_or_default())], None),
            Some(argv) => (vec![json!(argv)], Some(lowstate::pins())),
        };
        let ids: Vec<&str> = self.minions().iter().map(MinionId::as_str).collect();
        lowstate::chunk(&ids, self.function(), arg, kwarg, timeouts)
            .map_err(|e| refuse("arg", e.to_string()))
    }
}

#[cfg(test)]
#[path = "shape_tests.rs"]
mod tests;
