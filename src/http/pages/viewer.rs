//! `GET /view/{ticket}`: the live viewer page. The ticket is verified first;
//! an invalid or expired one gets the error page in words. The page carries
//! its config (stream URLs derived from `server.public_url`, the limits) as
//! JSON for `static/js/viewer.js`.

use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::security::PageKind;
use super::{error_page, render, ErrorText};
use crate::http::error::{ApiError, Challenge};
use crate::http::error_text;
use crate::http::AppState;
use crate::i18n::{Lang, Text};
use crate::settings::Settings;
use crate::stream::access::{self, AccessError};
use crate::tickets::{Ticket, TicketKind};

/// What `viewer.js` reads from `<script id="viewer-config">` (the browser
/// wire protocol's viewer config).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ViewerConfig {
    /// WebSocket URL of the stream (`ws(s)://…/ws/{ticket}`).
    pub ws_url: String,
    /// SSE URL of the stream (`http(s)://…/sse/{ticket}`).
    pub sse_url: String,
    /// Minion id.
    pub minion: String,
    /// The followed file (file tickets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The command name (command tickets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `file` or `command`.
    pub kind: &'static str,
    /// Ticket expiry, unix seconds.
    pub expires_at: u64,
    /// Lines the page keeps at most.
    pub max_lines: u32,
    /// Seconds between heartbeats on an idle stream.
    pub heartbeat_secs: u64,
}

impl ViewerConfig {
    /// The config of the viewer of `ticket` (whose signed form is `token`).
    pub fn new(settings: &Settings, ticket: &Ticket, token: &str) -> ViewerConfig {
        let (base, ws_base) = stream_bases(settings);
        let (kind, path, command) = match ticket.kind {
            TicketKind::File => ("file", Some(ticket.target.clone()), None),
            TicketKind::Command => ("command", None, Some(ticket.target.clone())),
        };
        ViewerConfig {
            ws_url: format!("{ws_base}ws/{token}"),
            sse_url: format!("{base}sse/{token}"),
            minion: ticket.minion.clone(),
            path,
            command,
            kind,
            expires_at: ticket.exp,
            max_lines: settings.viewer.max_lines,
            heartbeat_secs: settings.viewer.heartbeat_secs,
        }
    }
}

/// The bases of a viewer's stream URLs: `server.public_url` for SSE and the
/// same URL with the WebSocket scheme (`https` → `wss`, `http` → `ws`).
pub(super) fn stream_bases(settings: &Settings) -> (String, String) {
    let base = settings.public_base();
    let ws_base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.clone()
    };
    (base, ws_base)
}

/// The error page of a viewer link that cannot be used (a bad, expired or
/// foreign ticket): 401 in words, for the single and the fleet viewer alike.
pub(super) fn refused_page(app: &AppState, e: &AccessError, lang: Lang) -> Response {
    let message = error_text::access(e);
    let status = ApiError::Unauthorized {
        message: message.clone(),
        challenge: Challenge::Bearer,
    }
    .status();
    error_page(
        app,
        status,
        ErrorText {
            title: Text::new("page.error.viewer_title"),
            message,
            hint: Text::new("page.error.viewer_hint"),
        },
        lang,
    )
}

/// `GET /view/{ticket}`.
/// The ticket is checked as `/ws` and `/sse` check it (signature, expiry,
/// and that it names the stream of its minion and target).
pub async fn page(State(app): State<AppState>, lang: Lang, Path(token): Path<String>) -> Response {
    let settings = &app.settings;
    let checked = access::grant_for_ticket(settings, &app.signer, &token)
        .and_then(|_| app.signer.verify(&token).map_err(AccessError::from));
    let ticket = match checked {
        Ok(t) => t,
        Err(e) => return refused_page(&app, &e, lang),
    };
    let config = ViewerConfig::new(settings, &ticket, &token);
    let kind = config.kind;
    render(
        &app,
        axum::http::StatusCode::OK,
        "viewer.html",
        context! {
            minion => ticket.minion,
            kind => kind,
            target => ticket.target,
            config => config,
        },
        PageKind::Plain,
        lang,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_urls_follow_the_public_url_and_its_scheme() {
        let mut s = Settings::shipped();
        s.server.public_url = "https://ops.example.com/logview".parse().expect("a URL");
        let ticket = Ticket {
            kind: TicketKind::Command,
            minion: "web-01".into(),
            target: "disk".into(),
            stream: "logs:{bc}:web-01:cmd:disk:0123456789abcdef".into(),
            exp: 42,
            start_after: String::new(),
            skip_lines: 0,
            by: String::new(),
        };
        let c = ViewerConfig::new(&s, &ticket, "p.s");
        assert_eq!(c.ws_url, "wss://ops.example.com/logview/ws/p.s");
        assert_eq!(c.sse_url, "https://ops.example.com/logview/sse/p.s");
        assert_eq!(
            (c.kind, c.command.as_deref(), c.path.as_deref()),
            ("command", Some("disk"), None)
        );
        let json = serde_json::to_value(&c).expect("serialises");
        assert!(json.get("path").is_none());
        assert_eq!(json["expires_at"], 42);
        assert_eq!(json["max_lines"], s.viewer.max_lines);
    }
}
