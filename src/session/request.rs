//! What goes into and comes out of the orchestrator: a [`TailRequest`] and
//! a [`Started`] session.

use crate::settings::Settings;
use crate::target::{InputError, LineCount};
use crate::tickets::TicketKind;

/// A request to follow a file (the Django `POST /api/tail`, the ops page form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailRequest {
    /// Raw minion id (validated by [`Orchestrator::start_tail`]).
    pub minion_id: String,
    /// Raw absolute log path.
    pub log_path: String,
    /// Backlog lines, validated once here (`0..=tail.max_lines`, absent =
    /// `tail.default_lines`) and passed on as is to `logtail --lines`.
    pub line_count: LineCount,
}

impl TailRequest {
    /// From raw form/JSON strings: `line_count` must be a whole number
    /// (`abc` and `-1` are refused here with the allowed range).
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
        Ok(TailRequest {
            minion_id: minion_id.to_owned(),
            log_path: log_path.to_owned(),
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
