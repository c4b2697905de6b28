//! The ops page of a named target, `GET /targets/{name}`, and its form post
//! `POST /targets/{name}/tail`: the target's description, a path + lines
//! form (CSRF like the minion page) that starts a fleet view
//! (`Orchestrator::start_fleet`), then post/redirect/get to
//! `/targets/{name}?fleet=<ticket>`, which shows each minion's outcome (from
//! the signed ticket) and links to the fleet viewer `{public_url}fleet/<ticket>`.
//! An error (no minion joined, a bad path) is the page again with it in words.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{context, Value};
use serde::Deserialize;

use super::ops::TailForm;
use super::ops_forms::read_form;
use super::security::{self, PageKind};
use super::{auth_error_page, csrf, error_page, ops_limits, render, ErrorText};
use crate::audit::Principal;
use crate::http::auth::Operator;
use crate::http::error::ApiError;
use crate::http::templates::url_value;
use crate::http::AppState;
use crate::i18n::{Lang, Text};
use crate::session::{FleetRequest, FleetTarget, SessionError};
use crate::target::{LineCount, LogPath};
use crate::tickets::FleetTicket;

/// `?fleet=<ticket>` (where the form post redirects) and `?log_path=`.
#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    #[serde(default)]
    fleet: Option<String>,
    #[serde(default)]
    log_path: Option<String>,
}

/// One line of the outcome list.
#[derive(Debug, serde::Serialize)]
struct Line {
    minion: String,
    outcome: &'static str,
    text: String,
}

/// What the page shows besides the form.
struct Shows {
    status: StatusCode,
    log_path: String,
    line_count: String,
    error: Option<String>,
    lines: Vec<Line>,
    fleet_url: Option<String>,
}

/// The words of a ticket's outcome code.
fn code_text(code: &str) -> Text {
    match code {
        "missing" => Text::new("page.target.code.missing"),
        "unreachable" => Text::new("page.target.code.unreachable"),
        "refused" => Text::new("page.target.code.refused"),
        "not_started" => Text::new("page.target.code.not_started"),
        _ => Text::new("page.target.code.member"),
    }
}

/// The outcome lines of a fleet ticket: members first, then the others.
fn ticket_lines(t: &FleetTicket, lang: Lang) -> Vec<Line> {
    let members = t.members.iter().map(|m| Line {
        minion: m.minion.clone(),
        outcome: "member",
        text: code_text("member").render(lang),
    });
    let failed = t.failed.iter().map(|f| Line {
        minion: f.minion.clone(),
        outcome: match f.outcome.as_str() {
            "missing" => "missing",
            "unreachable" => "unreachable",
            "refused" => "refused",
            _ => "not_started",
        },
        text: code_text(&f.outcome).render(lang),
    });
    members.chain(failed).collect()
}

/// The operator, and the target if it is configured, or the page to answer with.
fn operator_and_target(
    app: &AppState,
    operator: Result<Operator, ApiError>,
    name: &str,
    lang: Lang,
) -> Result<Operator, Box<Response>> {
    let op = operator.map_err(|e| Box::new(auth_error_page(app, e, lang)))?;
    if !app.settings.targets.contains_key(name) {
        let e = ApiError::from(SessionError::UnknownTarget {
            name: name.to_owned(),
        });
        let text = ErrorText {
            title: Text::new("page.target.unknown_title"),
            message: e.text(),
            hint: Text::new("page.target.unknown_hint"),
        };
        return Err(Box::new(error_page(app, e.status(), text, lang)));
    }
    Ok(op)
}

fn target_page(
    app: &AppState,
    headers: &HeaderMap,
    name: &str,
    user: &str,
    shows: Shows,
    lang: Lang,
) -> Response {
    let Some(t) = app.settings.targets.get(name) else {
        // Checked by the callers (operator_and_target); never reached.
        let unknown = SessionError::UnknownTarget {
            name: name.to_owned(),
        };
        return ApiError::from(unknown).into_response();
    };
    let issued = csrf::issue(&app.settings, headers, user);
    let ctx: Value = context! {
        name => name,
        description => t.description,
        kind => t.kind,
        user => user,
        csrf => issued.token,
        log_path => shows.log_path,
        line_count => shows.line_count,
        max_lines => app.settings.tail.max_lines,
        max_fleet => app.settings.limits.max_fleet,
        suggestions => app.settings.tail.suggestions,
        allowed_paths => app.settings.tail.allowed_paths,
        error => shows.error,
        lines => shows.lines,
        fleet_url => shows.fleet_url.map(url_value),
        lang_path => url_value(format!("{}targets/{name}", app.settings.public_base())),
    };
    let mut response = render(app, shows.status, "target.html", ctx, PageKind::Plain, lang);
    if let Some(cookie) = issued
        .set_cookie
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// `GET /targets/{name}`.
pub async fn page(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    Path(name): Path<String>,
    shown: Result<Query<Shown>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let op = match operator_and_target(&app, operator, &name, lang) {
        Ok(op) => op,
        Err(page) => return *page,
    };
    let shown = shown.map(|Query(s)| s).unwrap_or_default();
    let ticket = shown.fleet.and_then(|token| {
        let t = app.signer.verify_fleet(&token).ok()?;
        (t.target == name).then_some((token, t))
    });
    let mut log_path = shown.log_path.unwrap_or_default();
    let (lines, fleet_url) = match ticket {
        Some((token, t)) => {
            log_path.clone_from(&t.path);
            let url = format!("{}fleet/{token}", app.settings.public_base());
            (ticket_lines(&t, lang), Some(url))
        }
        None => (Vec::new(), None),
    };
    let shows = Shows {
        status: StatusCode::OK,
        log_path,
        line_count: app.settings.tail.default_lines.to_string(),
        error: None,
        lines,
        fleet_url,
    };
    target_page(&app, &headers, &name, &op.name, shows, lang)
}

/// `POST /targets/{name}/tail`: starts the fleet view, then redirects to
/// the target page showing its outcomes.
pub async fn start(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    Path(name): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let op = match operator_and_target(&app, operator, &name, lang) {
        Ok(op) => op,
        Err(page) => return *page,
    };
    let form = read_form::<TailForm>(&app, request).await;
    let (log_path, line_count) = form
        .as_ref()
        .map(|f| (f.log_path.trim().to_owned(), f.line_count.clone()))
        .unwrap_or_default();
    let result = match form {
        Ok(f) => fleet(&app, &headers, &name, &op, &f).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(ticket) => {
            let to = format!(
                "{}targets/{name}?fleet={ticket}",
                app.settings.public_base()
            );
            security::with_headers(Redirect::to(&to).into_response(), None)
        }
        Err(e) => {
            let lines = match &e {
                ApiError::Session(s) => match s.as_ref() {
                    SessionError::FleetNoneStarted(r) => r
                        .outcomes
                        .values()
                        .map(|o| Line {
                            minion: o.minion.clone(),
                            outcome: o.outcome.code(),
                            text: o.message.render(lang),
                        })
                        .collect(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            let shows = Shows {
                status: e.status(),
                log_path,
                line_count,
                error: Some(e.text().render(lang)),
                lines,
                fleet_url: None,
            };
            target_page(&app, &headers, &name, &op.name, shows, lang)
        }
    }
}

async fn fleet(
    app: &AppState,
    headers: &HeaderMap,
    name: &str,
    op: &Operator,
    form: &TailForm,
) -> Result<String, ApiError> {
    csrf::verify(&app.settings, headers, &op.name, &form.csrf)
        .map_err(|e| ApiError::Forbidden(crate::http::error_text::csrf(&e)))?;
    let _slot = ops_limits::admit(app, &op.name)?;
    let s = &app.settings;
    let line_count = LineCount::parse(
        Some(form.line_count.as_str()),
        s.tail.default_lines,
        s.tail.max_lines,
    )?;
    let path = LogPath::parse(form.log_path.trim(), &s.tail.allowed_paths)?;
    let req = FleetRequest {
        target: FleetTarget::Named(name.to_owned()),
        path,
        line_count,
    };
    tracing::info!(user = %op.name, target = %name, path = %req.path.as_str(), "ops page: start fleet view");
    let started = app
        .orchestrator
        .start_fleet(req, &Principal::operator(&op.name))
        .await?;
    Ok(started.ticket)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Settings, TargetSettings};
    use crate::tickets::{FleetFailure, FleetMember};

    #[test]
    fn the_target_page_renders_its_form_and_a_tickets_outcomes() {
        let mut s = Settings::shipped();
        s.targets.insert(
            "web".into(),
            TargetSettings {
                expr: "web-*".into(),
                kind: "glob".into(),
                description: "Every <web> server".into(),
            },
        );
        let t = FleetTicket {
            path: "/var/log/app.log".into(),
            target: "web".into(),
            members: vec![FleetMember {
                minion: "web-01".into(),
                start_after: String::new(),
                skip_lines: 0,
            }],
            failed: vec![FleetFailure {
                minion: "web-03".into(),
                outcome: "unreachable".into(),
            }],
            exp: 0,
            by: String::new(),
        };
        let ctx = context! {
            name => "web", description => "Every <web> server", kind => "glob", user => "ops",
            csrf => "tok", log_path => t.path, line_count => "10", max_lines => 100, max_fleet => 50,
            suggestions => Vec::<String>::new(), allowed_paths => vec!["/var/log/**"],
            error => None::<String>, lines => ticket_lines(&t, Lang::En),
            fleet_url => url_value("http://127.0.0.1:8080/fleet/abc".to_owned()),
            lang_path => "http://127.0.0.1:8080/targets/web",
        };
        let html = crate::http::templates::environment(&s)
            .and_then(|env| {
                env.get_template("target.html")?
                    .render(super::super::with_lang(ctx, Lang::En))
            })
            .expect("target.html renders");
        assert!(
            html.contains("action=\"http://127.0.0.1:8080/targets/web/tail\""),
            "{html}"
        );
        assert!(html.contains("name=\"csrf\" value=\"tok\""), "{html}");
        assert!(html.contains("Every &lt;web&gt; server"), "escaped: {html}");
        assert!(
            html.contains("href=\"http://127.0.0.1:8080/fleet/abc\""),
            "{html}"
        );
        assert!(
            html.contains("web-03") && html.contains("did not answer"),
            "{html}"
        );
    }
}
