//! What goes into and comes out of the orchestrator: a [`TailRequest`] and
//! a [`Started`] session (with its signed viewer ticket, `Orchestrator::started`).

use super::launch::Launcher;
use super::share::Window;
use super::Orchestrator;
use crate::audit::Principal;
use crate::settings::Settings;
use crate::target::{InputError, LineCount, LogPath, MinionId};
use crate::tickets::{Ticket, TicketKind};

/// A validated request to follow a file (the Django `POST /api/tail`, the
/// ops page form): nothing downstream parses a string again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailRequest {
    /// The minion (or local mode's host id).
    pub minion: MinionId,
    /// The path, inside the allow-list of where the tailer runs
    /// (`local.allowed_paths` for local mode, else `tail.allowed_paths`).
    pub path: LogPath,
    /// Backlog lines, validated once here (`0..=tail.max_lines`, absent =
    /// `tail.default_lines`) and passed on as is to `logtail --lines`.
    pub line_count: LineCount,
}

impl TailRequest {
    /// From raw form/JSON strings: `line_count` must be a whole number
    /// (`abc` and `-1` are refused here with the allowed range), then the
    /// minion id, then the path against the allow-list of where its tailer
    /// would run. The error names the field.
    pub fn from_raw(
        settings: &Settings,
        minion_id: &str,
        log_path: &str,
        line_count: Option<&str>,
    ) -> Result<TailRequest, InputError> {
        let line_count = LineCount::parse(
            line_count,
            settings.tail.default_lines,
            settings.tail.max_lines,
        )?;
        let minion = MinionId::parse(minion_id)?;
        let allowed = Launcher::for_minion(settings, &minion).allowed_paths(settings);
        let path = LogPath::parse(log_path, allowed)?;
        Ok(TailRequest {
            minion,
            path,
            line_count,
        })
    }
}

/// A started session: where to watch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// `{public_url}view/{ticket}`.
    pub viewer_url: String,
    /// The signed ticket in that URL.
    pub ticket: String,
    /// The Redis stream the viewer reads.
    pub stream: String,
    /// File or command.
    pub kind: TicketKind,
    /// The minion (or local host id).
    pub minion: String,
    /// The path or the command name.
    pub target: String,
    /// Entry id of the tailer's `started` event (empty when a sharing
    /// viewer's window did not reach back to it).
    pub started_id: String,
    /// pid of the logtail (on the minion, or here in local mode).
    pub pid: u32,
    /// Whether this viewer shares a tailer that was already running.
    pub shared: bool,
}

impl Orchestrator {
    /// The viewer URL and ticket of a session of `what` = (kind, minion,
    /// target) whose viewer starts at `window`, run by `tailer` = (pid, shared).
    pub(super) fn started(
        &self,
        what: (TicketKind, &str, &str),
        stream: String,
        window: Window,
        tailer: (u32, bool),
        who: &Principal,
    ) -> Started {
        let (kind, minion, target) = what;
        // The viewer starts at this session's `started` event (or inside the
        // session, for a viewer sharing it), not at an earlier session's
        // lines still retained in the same stream.
        let ticket = self.inner.signer.issue_ticket(Ticket {
            kind,
            minion: minion.to_owned(),
            target: target.to_owned(),
            stream: stream.clone(),
            exp: 0,
            start_after: window.floor.map(|id| id.to_string()).unwrap_or_default(),
            skip_lines: window.skip_lines,
            by: who.describe(),
        });
        Started {
            viewer_url: format!("{}view/{ticket}", self.inner.settings.public_base()),
            ticket,
            stream,
            kind,
            minion: minion.to_owned(),
            target: target.to_owned(),
            started_id: window.started.map(|id| id.to_string()).unwrap_or_default(),
            pid: tailer.0,
            shared: tailer.1,
        }
    }
}
