//! Who may watch what: turns the `{ticket}` of `/ws/` and `/sse/` plus the
//! resume id into a checked stream key, and the refusals into the JSON
//! answers of the wire protocol (`{"success":false,"message":…}`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::settings::Settings;
use crate::tickets::{TicketError, TicketKind, TicketSigner};
use crate::wire;

use super::entry_id::{BadEntryId, EntryId};
use super::hub::HubError;

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
    /// The request's `Origin` is not allowed (setting server.allowed_origins).
    #[error("origin {0:?} may not open this stream (setting server.allowed_origins)")]
    Origin(String),
    /// A limit or shutdown.
    #[error("{0}")]
    Hub(#[from] HubError),
}

impl AccessError {
    /// The HTTP status of this refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            AccessError::Ticket(_) | AccessError::ForeignStream => StatusCode::UNAUTHORIZED,
            AccessError::BadResumeId(_) => StatusCode::BAD_REQUEST,
            AccessError::Origin(_) => StatusCode::FORBIDDEN,
            AccessError::Hub(HubError::BadRedisUrl(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            AccessError::Hub(HubError::ShuttingDown) => StatusCode::SERVICE_UNAVAILABLE,
            AccessError::Hub(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

impl IntoResponse for AccessError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "success": false, "message": self.to_string() });
        (self.status(), Json(body)).into_response()
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
    Ok(t.stream)
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
            "logs:web-01:/var/log/a.log",
        );
        assert_eq!(
            stream_for_ticket(&s, &signer, &good).as_deref(),
            Ok("logs:web-01:/var/log/a.log")
        );
        let cmd = signer.issue(
            TicketKind::Command,
            "web-01",
            "disk",
            "logs:web-01:cmd:disk:0123456789abcdef",
        );
        assert!(stream_for_ticket(&s, &signer, &cmd).is_ok());
        for (kind, target, stream) in [
            (
                TicketKind::File,
                "/var/log/a.log",
                "logs:web-02:/var/log/a.log",
            ),
            (TicketKind::File, "/var/log/a.log", "secrets"),
            (TicketKind::Command, "disk", "logs:web-01:cmd:disk:"),
            (TicketKind::Command, "disk", "logs:web-01:/var/log/a.log"),
        ] {
            let t = Ticket {
                kind,
                minion: "web-01".into(),
                target: target.into(),
                stream: stream.into(),
                exp: u64::MAX / 2,
            };
            assert_eq!(
                stream_for_ticket(&s, &signer, &signer.sign(&t)),
                Err(AccessError::ForeignStream),
                "{stream}"
            );
        }
        assert_eq!(
            stream_for_ticket(&s, &signer, "x.y").map_err(|e| e.status()),
            Err(StatusCode::UNAUTHORIZED)
        );
    }

    #[test]
    fn resume_ids_are_parsed_or_refused_with_400() {
        assert_eq!(resume_id(None), Ok(None));
        assert_eq!(resume_id(Some("")), Ok(None));
        assert_eq!(resume_id(Some("5-1")), Ok(Some(EntryId { ms: 5, seq: 1 })));
        let err = resume_id(Some("$")).expect_err("not an id");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(err.to_string().contains("not a stream entry id"));
    }
}
