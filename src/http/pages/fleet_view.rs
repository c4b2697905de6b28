//! `GET /fleet/{ticket}`: the merged viewer of one path on several minions
//! (a fleet ticket, `tickets::FleetTicket`). Protected exactly like
//! `/view/{ticket}`: the signed ticket is the capability, checked first, and
//! a bad, expired or single-stream ticket gets the same error page (401).
//! The page lists the members (chips that `static/js/chips.js` keeps up to
//! date) and the minions of the target that are not in the view, and carries
//! its config as JSON for `static/js/viewer.js`.

use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::render;
use super::security::PageKind;
use super::viewer::{refused_page, stream_bases};
use crate::http::AppState;
use crate::i18n::{Lang, Text};
use crate::settings::Settings;
use crate::stream::access::AccessError;
use crate::tickets::FleetTicket;

/// A minion of the target that is not in the view, as the page shows it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FailedMinion {
    /// The minion id.
    pub minion: String,
    /// The outcome code (`unreachable`, `missing`, `refused`, `not_started`).
    pub outcome: String,
}

/// What `viewer.js` reads from `<script id="viewer-config">` on a fleet page.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FleetConfig {
    /// Always `fleet`: the viewer keeps one resume id per minion.
    pub kind: &'static str,
    /// WebSocket URL of the merged stream (`ws(s)://…/ws/fleet/{ticket}`).
    pub ws_url: String,
    /// SSE URL of the merged stream (`http(s)://…/sse/fleet/{ticket}`).
    pub sse_url: String,
    /// The followed path, the same on every member.
    pub path: String,
    /// The named target the list was resolved from; empty for an explicit list.
    pub target: String,
    /// The minions in the view, in the ticket's order.
    pub members: Vec<String>,
    /// The minions of the target that are not in the view, and why.
    pub failed: Vec<FailedMinion>,
    /// Ticket expiry, unix seconds.
    pub expires_at: u64,
    /// Lines the page keeps at most (all minions together).
    pub max_lines: u32,
    /// Seconds between heartbeats on an idle stream.
    pub heartbeat_secs: u64,
}

impl FleetConfig {
    /// The config of the fleet viewer of `ticket` (whose signed form is `token`).
    pub fn new(settings: &Settings, ticket: &FleetTicket, token: &str) -> FleetConfig {
        let (base, ws_base) = stream_bases(settings);
        FleetConfig {
            kind: "fleet",
            ws_url: format!("{ws_base}ws/fleet/{token}"),
            sse_url: format!("{base}sse/fleet/{token}"),
            path: ticket.path.clone(),
            target: ticket.target.clone(),
            members: ticket.members.iter().map(|m| m.minion.clone()).collect(),
            failed: ticket
                .failed
                .iter()
                .map(|f| FailedMinion {
                    minion: f.minion.clone(),
                    outcome: f.outcome.clone(),
                })
                .collect(),
            expires_at: ticket.exp,
            max_lines: settings.viewer.max_lines,
            heartbeat_secs: settings.viewer.heartbeat_secs,
        }
    }
}

/// The words of a failed minion's outcome code in `lang` (an unknown code as is).
fn outcome_words(outcome: &str, lang: Lang) -> String {
    let text = match outcome {
        "unreachable" => Text::new("page.fleet.outcome_unreachable"),
        "missing" => Text::new("page.fleet.outcome_missing"),
        "refused" => Text::new("page.fleet.outcome_refused"),
        "not_started" => Text::new("page.fleet.outcome_not_started"),
        other => return other.to_owned(),
    };
    text.render(lang)
}

/// The page's heading: the target's name, or how many minions, and the path.
fn title(ticket: &FleetTicket, lang: Lang) -> String {
    let who = if ticket.target.is_empty() {
        let count = ticket.members.len() + ticket.failed.len();
        Text::new("page.fleet.minions_count")
            .arg("count", count)
            .render(lang)
    } else {
        ticket.target.clone()
    };
    Text::new("page.fleet.title")
        .arg("who", who)
        .arg("path", &ticket.path)
        .render(lang)
}

/// `GET /fleet/{ticket}`.
pub async fn page(State(app): State<AppState>, lang: Lang, Path(token): Path<String>) -> Response {
    let ticket = match app.signer.verify_fleet(&token) {
        Ok(t) => t,
        Err(e) => return refused_page(&app, &AccessError::from(e), lang),
    };
    let config = FleetConfig::new(&app.settings, &ticket, &token);
    let failed: Vec<_> = ticket
        .failed
        .iter()
        .map(|f| {
            context! {
                minion => f.minion,
                outcome => f.outcome,
                words => outcome_words(&f.outcome, lang),
            }
        })
        .collect();
    render(
        &app,
        axum::http::StatusCode::OK,
        "fleet.html",
        context! {
            title => title(&ticket, lang),
            path => ticket.path,
            target => ticket.target,
            members => config.members,
            failed => failed,
            config => config,
        },
        PageKind::Plain,
        lang,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::{FleetFailure, FleetMember};

    fn ticket(target: &str) -> FleetTicket {
        FleetTicket {
            path: "/var/log/nginx/error.log".into(),
            target: target.into(),
            members: ["web-01", "web-02"]
                .iter()
                .map(|m| FleetMember {
                    minion: (*m).into(),
                    start_after: "1-0".into(),
                    skip_lines: 3,
                })
                .collect(),
            failed: vec![FleetFailure {
                minion: "web-03".into(),
                outcome: "unreachable".into(),
            }],
            exp: 42,
            by: String::new(),
        }
    }

    #[test]
    fn the_fleet_streams_follow_the_public_url_and_the_ticket_lists_every_minion() {
        let mut s = Settings::shipped();
        s.server.public_url = "https://ops.example.com/logview".parse().expect("a URL");
        let c = FleetConfig::new(&s, &ticket("web"), "p.s");
        assert_eq!(c.ws_url, "wss://ops.example.com/logview/ws/fleet/p.s");
        assert_eq!(c.sse_url, "https://ops.example.com/logview/sse/fleet/p.s");
        assert_eq!(c.members, ["web-01", "web-02"]);
        assert_eq!(
            c.failed,
            [FailedMinion {
                minion: "web-03".into(),
                outcome: "unreachable".into()
            }]
        );
        let json = serde_json::to_value(&c).expect("serialises");
        assert_eq!(json["kind"], "fleet");
        assert_eq!(json["expires_at"], 42);
    }

    #[test]
    fn the_fleet_page_renders_its_chips_in_chinese() {
        use crate::http::pages::with_lang;
        use crate::http::templates::environment;
        let s = Settings::shipped();
        let t = ticket("web");
        let lang = Lang::ZhCn;
        let failed = vec![context! {
            minion => "web-03", outcome => "unreachable", words => outcome_words("unreachable", lang),
        }];
        let config = FleetConfig::new(&s, &t, "p.s");
        let ctx = context! {
            title => title(&t, lang), path => t.path, target => t.target,
            members => config.members, failed => failed, config => config,
        };
        let html = environment(&s)
            .and_then(|env| {
                env.get_template("fleet.html")
                    .and_then(|tpl| tpl.render(with_lang(ctx, lang)))
            })
            .expect("renders");
        for words in [
            // Autoescaped: `/` is written `&#x2f;`.
            "<title>web：&#x2f;var&#x2f;log&#x2f;nginx&#x2f;error.log — logview</title>",
            r#"<button type="button" class="chip" data-minion="web-01" data-state="waiting" aria-pressed="false""#,
            r#"data-minion="web-03" data-state="unreachable""#,
            "无法连接",
            "只显示 web-02 的行",
            "等待",
            r#"id="filter""#,
        ] {
            assert!(html.contains(words), "{words} missing: {html}");
        }
        for english in ["unreachable<", "waiting for the tailer", "Show only"] {
            assert!(!html.contains(english), "{english} left: {html}");
        }
    }

    #[test]
    fn the_title_names_the_target_or_counts_the_minions() {
        assert_eq!(
            title(&ticket("web"), Lang::En),
            "web: /var/log/nginx/error.log"
        );
        assert_eq!(
            title(&ticket(""), Lang::En),
            "3 minions: /var/log/nginx/error.log"
        );
        assert_eq!(
            outcome_words("missing", Lang::En),
            "file missing",
            "a failed minion's outcome in words"
        );
        assert_eq!(outcome_words("odd", Lang::En), "odd");
    }
}
