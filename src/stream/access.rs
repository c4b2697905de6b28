//! Who may watch what: turns the `{ticket}` of `/ws/` and `/sse/` plus the
//! resume id into a checked stream key; `http/error.rs` answers the refusals.

use crate::settings::Settings;
use crate::tickets::{TicketError, TicketKind, TicketSigner};
use crate::wire;

use super::hub::HubError;
use super::ledger::ViewStart;
use crate::wire::{BadEntryId, EntryId};

/// Why a stream request is refused. `Display` is shown to the viewer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// Malformed, tampered, expired ticket.
    #[error("{0}")]
    Ticket(#[from] TicketError),
    /// A validly signed ticket whose stream key does not belong to its
    /// minion and path (or command), or lies outside `redis.prefix`.
    #[error("the viewer link names a stream it does not grant; ask for a new one")]
    ForeignStream,
    /// The resume id (`after` / `Last-Event-ID`) is not an entry id.
    #[error("cannot resume: {0}")]
    BadResumeId(#[from] BadEntryId),
    /// A fleet resume cursor that is not `MINION=ENTRYID` pairs of members.
    #[error("cannot resume: {problem} ({part:?}); a fleet cursor is MINION=ENTRYID pairs of this view's minions joined by ','")]
    BadCursor {
        /// The pair or minion at fault, as sent.
        part: String,
        /// What is wrong with it.
        problem: CursorProblem,
    },
    /// The request's `Origin` is not allowed (setting server.allowed_origins).
    #[error("origin {0:?} may not open this stream (setting server.allowed_origins)")]
    Origin(String),
    /// A limit or shutdown.
    #[error("{0}")]
    Hub(#[from] HubError),
}

/// What is wrong with one part of a fleet resume cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CursorProblem {
    /// Not `MINION=ENTRYID`.
    #[error("not MINION=ENTRYID")]
    NotAPair,
    /// The minion is not a member of the view.
    #[error("not a minion of this view")]
    NotAMember,
    /// The minion appears twice.
    #[error("minion given twice")]
    Twice,
}

/// What a verified ticket grants: one stream, from one point on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The stream key.
    pub stream: String,
    /// File or command.
    pub kind: TicketKind,
    /// The minion (or local host id).
    pub minion: String,
    /// The path or the command name.
    pub target: String,
    /// Who the session was issued for (the ticket's `by`, for the audit trail).
    pub by: String,
    /// The session's first entry comes strictly after this id (`None`: the
    /// whole retained stream).
    pub floor: Option<EntryId>,
    /// Lines after `floor` this viewer does not get: its share of a running
    /// tailer begins inside the stream (docs/sharing.md).
    pub skip_lines: u64,
}

impl Grant {
    /// Records this viewer's attach now, and its detach when the guard drops.
    pub fn audit_viewer(
        &self,
        log: std::sync::Arc<crate::audit::AuditLog>,
        transport: &str,
    ) -> crate::audit::ViewerAudit {
        let (path, command) = match self.kind {
            TicketKind::File => (Some(self.target.as_str()), None),
            TicketKind::Command => (None, Some(self.target.as_str())),
        };
        crate::audit::ViewerAudit::attach(log, &self.by, &self.minion, path, command, transport)
    }

    /// Where a viewer starts: strictly after the later of its own resume id
    /// and the session's floor.
    pub fn start_after(&self, resume: Option<EntryId>) -> Option<EntryId> {
        resume.max(self.floor)
    }

    /// Where a viewer starts: [`Grant::start_after`], skipping the
    /// session's first `skip_lines` lines after the floor.
    pub fn view_start(&self, resume: Option<EntryId>) -> ViewStart {
        ViewStart {
            after: self.start_after(resume),
            floor: self.floor,
            skip_lines: self.skip_lines,
        }
    }
}

/// Verifies `ticket` and returns the stream key it grants: the signature and
/// expiry, then that the key is the one its minion and path (or command)
/// map to under `redis.prefix`.
pub fn stream_for_ticket(
    settings: &Settings,
    signer: &TicketSigner,
    ticket: &str,
) -> Result<String, AccessError> {
    grant_for_ticket(settings, signer, ticket).map(|g| g.stream)
}

/// Like [`stream_for_ticket`], with the session's floor.
pub fn grant_for_ticket(
    settings: &Settings,
    signer: &TicketSigner,
    ticket: &str,
) -> Result<Grant, AccessError> {
    let t = signer.verify(ticket)?;
    let prefix = settings.redis.prefix.as_str();
    let consistent = match t.kind {
        TicketKind::File => t.stream == wire::stream_key(prefix, &t.minion, &t.target),
        TicketKind::Command => {
            let base = wire::command_stream_key(prefix, &t.minion, &t.target, "");
            t.stream.strip_prefix(&base).is_some_and(|run| {
                !run.is_empty() && run.bytes().all(|b| b.is_ascii_alphanumeric())
            })
        }
    };
    if !consistent || t.minion.contains(':') || t.minion.is_empty() {
        return Err(AccessError::ForeignStream);
    }
    let floor = resume_id(Some(&t.start_after))?;
    Ok(Grant {
        stream: t.stream,
        kind: t.kind,
        minion: t.minion,
        target: t.target,
        by: t.by,
        floor,
        skip_lines: t.skip_lines,
    })
}

/// `?after=<entry id>` of `/ws` and `/sse`: resume strictly after this entry
/// (for SSE, a `Last-Event-ID` header wins on reconnects).
#[derive(Debug, serde::Deserialize)]
pub struct ResumeQuery {
    /// The entry id, as the client sent it.
    pub after: Option<String>,
}

/// Parses an optional resume id; empty counts as none.
pub fn resume_id(raw: Option<&str>) -> Result<Option<EntryId>, AccessError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Ok(Some(s.parse()?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::Ticket;
    use std::path::Path;

    #[test]
    fn a_viewer_never_starts_below_its_sessions_floor() {
        let floor: EntryId = "100-5".parse().expect("id");
        let g = Grant {
            stream: "logs:{be}:m:/var/log/x".into(),
            kind: TicketKind::File,
            minion: "m".into(),
            target: "/var/log/x".into(),
            by: String::new(),
            floor: Some(floor),
            skip_lines: 0,
        };
        assert_eq!(
            g.start_after(None),
            Some(floor),
            "a fresh viewer starts at the session"
        );
        let early: EntryId = "90-0".parse().expect("id");
        assert_eq!(
            g.start_after(Some(early)),
            Some(floor),
            "no replay of an earlier session"
        );
        let later: EntryId = "120-0".parse().expect("id");
        assert_eq!(
            g.start_after(Some(later)),
            Some(later),
            "a resume id above the floor wins"
        );
        let whole = Grant {
            floor: None,
            ..g.clone()
        };
        assert_eq!(whole.start_after(None), None);
    }

    fn settings() -> Settings {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
        Settings::load_with_env(&[path], []).expect("settings.toml loads")
    }

    #[test]
    fn a_ticket_grants_only_the_stream_of_its_minion_and_path() {
        let s = settings();
        let signer = TicketSigner::new("k".repeat(32).into(), 60);
        let good = signer.issue(
            TicketKind::File,
            "web-01",
            "/var/log/a.log",
            "logs:{bc}:web-01:/var/log/a.log",
        );
        assert_eq!(
            stream_for_ticket(&s, &signer, &good).as_deref(),
            Ok("logs:{bc}:web-01:/var/log/a.log")
        );
        let cmd = signer.issue(
            TicketKind::Command,
            "web-01",
            "disk",
            "logs:{bc}:web-01:cmd:disk:0123456789abcdef",
        );
        assert!(stream_for_ticket(&s, &signer, &cmd).is_ok());
        for (kind, target, stream) in [
            (
                TicketKind::File,
                "/var/log/a.log",
                "logs:{bb}:web-02:/var/log/a.log",
            ),
            (TicketKind::File, "/var/log/a.log", "secrets"),
            (TicketKind::Command, "disk", "logs:{bc}:web-01:cmd:disk:"),
            (
                TicketKind::Command,
                "disk",
                "logs:{bc}:web-01:/var/log/a.log",
            ),
        ] {
            let t = Ticket {
                kind,
                minion: "web-01".into(),
                target: target.into(),
                stream: stream.into(),
                exp: u64::MAX / 2,
                start_after: String::new(),
                skip_lines: 0,
                by: String::new(),
            };
            assert_eq!(
                stream_for_ticket(&s, &signer, &signer.sign(&t)),
                Err(AccessError::ForeignStream),
                "{stream}"
            );
        }
        assert!(matches!(
            stream_for_ticket(&s, &signer, "x.y"),
            Err(AccessError::Ticket(_))
        ));
    }

    #[test]
    fn resume_ids_are_parsed_or_refused() {
        assert_eq!(resume_id(None), Ok(None));
        assert_eq!(resume_id(Some("")), Ok(None));
        assert_eq!(resume_id(Some("5-1")), Ok(Some(EntryId { ms: 5, seq: 1 })));
        let err = resume_id(Some("$")).expect_err("not an id");
        assert!(matches!(err, AccessError::BadResumeId(_)));
        assert!(err.to_string().contains("not a stream entry id"));
    }
}
