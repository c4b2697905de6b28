//! The ops page of one minion, `GET /minions/{minion_id}`, and what its two
//! form posts (`ops_forms.rs`) answer with. A browser without JavaScript gets
//! the page again with the viewer or the error in words, `static/js/ops.js`
//! gets the API's JSON shape.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::security::PageKind;
use super::{auth_error_page, csrf, error_page, render, ErrorText};
use crate::audit::Principal;
use crate::http::auth::Operator;
use crate::http::error::ApiError;
use crate::http::error_text;
use crate::http::templates::url_value;
use crate::http::AppState;
use crate::i18n::{Lang, Text};
use crate::session::{MinionStatus, Reachability, SessionError};
use crate::settings::Settings;
use crate::target::MinionId;
use crate::tickets::TicketKind;

/// `?log_path=` pre-fills the form (a link from elsewhere); it starts nothing.
/// `?viewer=<ticket>` is where a form post without JavaScript redirects
/// (post/redirect/get): the page shows that ticket's viewer, if the ticket is
/// valid and names this minion.
#[derive(Debug, Default, Deserialize)]
pub struct Prefill {
    #[serde(default)]
    log_path: Option<String>,
    #[serde(default)]
    viewer: Option<String>,
}

/// The "tail a log file" form.
#[derive(Debug, Default, Deserialize)]
pub struct TailForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) log_path: String,
    #[serde(default)]
    pub(super) line_count: String,
}

/// A "Run" button's form.
#[derive(Debug, Default, Deserialize)]
pub struct RunForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) command: String,
}

/// What the tail form shows.
#[derive(Debug, Serialize)]
pub(super) struct FormValues {
    pub(super) log_path: String,
    pub(super) line_count: String,
}

/// An error shown inline next to the form that caused it.
#[derive(Debug, Serialize)]
pub(super) struct FormError {
    /// `tail` or `run`.
    pub(super) form: &'static str,
    pub(super) message: String,
    pub(super) field: Option<&'static str>,
}

/// How the page was reached and what to show besides the forms.
pub(super) struct Outcome {
    pub(super) status: StatusCode,
    pub(super) form: FormValues,
    pub(super) error: Option<FormError>,
    pub(super) viewer_url: Option<String>,
}

/// The minion status badge: state key (CSS), short text, full sentence.
fn badge(status: &MinionStatus) -> (&'static str, Text) {
    match status.reachability {
        Reachability::Answers => ("answers", Text::new("page.ops.status.answers")),
        Reachability::NoAnswer => ("silent", Text::new("page.ops.status.no_answer")),
        Reachability::Unknown => ("silent", Text::new("page.ops.status.unknown")),
        Reachability::SaltUnavailable => ("unknown", Text::new("page.ops.status.salt_unavailable")),
        Reachability::NotChecked => ("unknown", Text::new("page.ops.status.not_checked")),
    }
}

/// The status badge's sentence, in the reader's language: the Salt failure
/// behind it, or that the minion (or logview's own host) answers.
fn status_detail(settings: &Settings, s: &MinionStatus) -> Text {
    match &s.cause {
        Some(e) => error_text::session(&SessionError::from_salt(e.clone(), &s.minion)),
        None if settings.local.enabled && settings.local.host_id == s.minion => {
            Text::new("page.ops.status.detail_local")
        }
        None => Text::new("page.ops.status.detail_answers").arg("minion", &s.minion),
    }
}

pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Renders the ops page of `minion` for `user`.
pub(super) async fn ops_page(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    user: &str,
    outcome: Outcome,
    lang: Lang,
) -> Response {
    let who = Principal::operator(user);
    let status = match app.orchestrator.minion_status(minion.as_str(), &who).await {
        Ok(s) => {
            let (key, text) = badge(&s);
            context! { key => key, text => text.render(lang), detail => status_detail(&app.settings, &s).render(lang) }
        }
        Err(e) => context! {
            key => "unknown",
            text => Text::new("page.ops.status.not_checked").render(lang),
            detail => error_text::session(&e).render(lang),
        },
    };
    let issued = csrf::issue(&app.settings, headers, user);
    let status_code = outcome.status;
    let ctx = page_context(&app.settings, minion, user, status, &issued.token, outcome);
    let mut response = render(
        app,
        status_code,
        "minion.html",
        ctx,
        PageKind::EmbedsViewer,
        lang,
    );
    if let Some(cookie) = issued
        .set_cookie
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// Everything `minion.html` shows.
fn page_context(
    settings: &Settings,
    minion: &MinionId,
    user: &str,
    status: Value,
    csrf_token: &str,
    outcome: Outcome,
) -> Value {
    // Local mode (`local.host_id`): logview's own host, its own allow-list;
    // commands are not run there.
    let local = settings.local.enabled && minion.as_str() == settings.local.host_id;
    let commands: Vec<Value> = settings
        .commands
        .iter()
        .filter(|_| !local)
        .map(|(name, c)| context! { name => name, description => c.description, argv => c.argv.join(" ") })
        .collect();
    let (allowed_paths, suggestions) = if local {
        // Every allow-list entry that names one file (no glob) is a suggestion.
        let files = settings
            .local
            .allowed_paths
            .iter()
            .filter(|p| !p.contains('*'));
        (&settings.local.allowed_paths, files.cloned().collect())
    } else {
        (
            &settings.tail.allowed_paths,
            settings.tail.suggestions.clone(),
        )
    };
    // The language switch keeps a view shown by `?viewer=` (post/redirect/get).
    let base = settings.public_base();
    let mut lang_path = format!("{base}minions/{}", minion.as_str());
    if let Some(token) = outcome
        .viewer_url
        .as_deref()
        .and_then(|u| u.strip_prefix(&format!("{base}view/")))
    {
        lang_path.push_str(&format!("?viewer={token}"));
    }
    context! {
        lang_path => url_value(lang_path),
        minion => minion.as_str(),
        user => user,
        status => status,
        csrf => csrf_token,
        form => outcome.form,
        error => outcome.error,
        viewer_url => outcome.viewer_url.map(url_value),
        suggestions => suggestions,
        allowed_paths => allowed_paths,
        local => local,
        max_lines => settings.tail.max_lines,
        commands => commands,
    }
}

/// The page for a minion id that is not one.
fn bad_minion(app: &AppState, e: crate::target::InputError, lang: Lang) -> Response {
    let status = ApiError::from(e.clone()).status();
    error_page(
        app,
        status,
        ErrorText {
            title: Text::new("page.error.minion_title"),
            message: e.text,
            hint: Text::new("page.error.minion_hint"),
        },
        lang,
    )
}

/// The operator and the minion of a page or form post, or the error page to answer with.
pub(super) fn operator_and_minion(
    app: &AppState,
    operator: Result<Operator, ApiError>,
    minion: &str,
    lang: Lang,
) -> Result<(Operator, MinionId), Box<Response>> {
    let op = operator.map_err(|e| Box::new(auth_error_page(app, e, lang)))?;
    let minion = MinionId::parse(minion).map_err(|e| Box::new(bad_minion(app, e, lang)))?;
    Ok((op, minion))
}

/// `GET /minions/{minion_id}`.
pub async fn page(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    Path(minion): Path<String>,
    prefill: Result<Query<Prefill>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (op, minion) = match operator_and_minion(&app, operator, &minion, lang) {
        Ok(pair) => pair,
        Err(page) => return *page,
    };
    let prefill = prefill.map(|Query(p)| p).unwrap_or_default();
    let shown = prefill
        .viewer
        .and_then(|token| app.signer.verify(&token).ok().map(|t| (token, t)))
        .filter(|(_, t)| t.minion == minion.as_str());
    let mut log_path = prefill.log_path.unwrap_or_default();
    let viewer_url = shown.map(|(token, ticket)| {
        if ticket.kind == TicketKind::File {
            log_path = ticket.target;
        }
        format!("{}view/{token}", app.settings.public_base())
    });
    let outcome = Outcome {
        status: StatusCode::OK,
        form: FormValues {
            log_path,
            line_count: app.settings.tail.default_lines.to_string(),
        },
        error: None,
        viewer_url,
    };
    ops_page(&app, &headers, &minion, &op.name, outcome, lang).await
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
