//! The ops page of one minion, `GET /minions/{minion_id}`, and its two form
//! posts (`…/tail`, `…/run`). The posts use the same orchestration as the
//! JSON API; a browser without JavaScript gets the page again with the viewer
//! or the error in words, `static/js/ops.js` gets the API's JSON shape.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::header::{ACCEPT, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::security::{self, PageKind};
use super::{auth_error_page, csrf, error_page, render, ErrorText};
use crate::http::auth::Operator;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::session::{MinionStatus, Reachability, TailRequest};
use crate::target::MinionId;

/// `?log_path=` pre-fills the form (a link from elsewhere); it starts nothing.
#[derive(Debug, Default, Deserialize)]
pub struct Prefill {
    #[serde(default)]
    log_path: Option<String>,
}

/// The "tail a log file" form.
#[derive(Debug, Default, Deserialize)]
pub struct TailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    log_path: String,
    #[serde(default)]
    line_count: String,
}

/// A "Run" button's form.
#[derive(Debug, Default, Deserialize)]
pub struct RunForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    command: String,
}

/// What the tail form shows.
#[derive(Debug, Serialize)]
struct FormValues {
    log_path: String,
    line_count: String,
}

/// An error shown inline next to the form that caused it.
#[derive(Debug, Serialize)]
struct FormError {
    /// `tail` or `run`.
    form: &'static str,
    message: String,
    field: Option<&'static str>,
}

/// How the page was reached and what to show besides the forms.
struct Outcome {
    status: StatusCode,
    form: FormValues,
    error: Option<FormError>,
    viewer_url: Option<String>,
}

/// The minion status badge: state key (CSS), short text, full sentence.
fn badge(status: &MinionStatus) -> (&'static str, &'static str) {
    match status.reachability {
        Reachability::Answers => ("answers", "answers"),
        Reachability::NoAnswer => ("silent", "does not answer"),
        Reachability::Unknown => ("silent", "not known to the master"),
        Reachability::SaltUnavailable => ("unknown", "salt-api unreachable"),
        Reachability::NotChecked => ("unknown", "not checked"),
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Renders the ops page of `minion` for `user`.
async fn ops_page(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    user: &str,
    outcome: Outcome,
) -> Response {
    let settings = &app.settings;
    let status = match app.orchestrator.minion_status(minion.as_str()).await {
        Ok(s) => {
            let (key, text) = badge(&s);
            context! { key => key, text => text, detail => s.message }
        }
        Err(e) => context! { key => "unknown", text => "not checked", detail => e.to_string() },
    };
    let commands: Vec<_> = settings
        .commands
        .iter()
        .map(|(name, c)| context! { name => name, description => c.description, argv => c.argv.join(" ") })
        .collect();
    let issued = csrf::issue(settings, headers, user);
    let mut response = render(
        app,
        outcome.status,
        "minion.html",
        context! {
            minion => minion.as_str(),
            user => user,
            status => status,
            csrf => issued.token,
            form => outcome.form,
            error => outcome.error,
            viewer_url => outcome.viewer_url,
            suggestions => settings.tail.suggestions,
            allowed_paths => settings.tail.allowed_paths,
            max_lines => settings.tail.max_lines,
            commands => commands,
        },
        PageKind::EmbedsViewer,
    );
    if let Some(cookie) = issued
        .set_cookie
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// The page for a minion id that is not one.
fn bad_minion(app: &AppState, e: crate::target::InputError) -> Response {
    let status = ApiError::from(e.clone()).status();
    error_page(
        app,
        status,
        ErrorText {
            title: "Not a minion id",
            message: e.message,
            hint: "Open /minions/<minion id>, e.g. /minions/web-01.",
        },
    )
}

/// `GET /minions/{minion_id}`.
pub async fn page(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    Path(minion): Path<String>,
    prefill: Result<Query<Prefill>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let op = match operator {
        Ok(op) => op,
        Err(e) => return auth_error_page(&app, e),
    };
    let minion = match MinionId::parse(&minion) {
        Ok(m) => m,
        Err(e) => return bad_minion(&app, e),
    };
    let log_path = prefill
        .ok()
        .and_then(|Query(p)| p.log_path)
        .unwrap_or_default();
    let outcome = Outcome {
        status: StatusCode::OK,
        form: FormValues {
            log_path,
            line_count: app.settings.tail.default_lines.to_string(),
        },
        error: None,
        viewer_url: None,
    };
    ops_page(&app, &headers, &minion, &op.name, outcome).await
}

/// Answers a form post: the API's JSON for `ops.js`, the page otherwise.
async fn answer(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    user: &str,
    form_name: &'static str,
    form: FormValues,
    result: Result<String, ApiError>,
) -> Response {
    if wants_json(headers) {
        let response = match result {
            Ok(url) => Json(serde_json::json!({ "success": true, "url": url })).into_response(),
            Err(e) => e.into_response(),
        };
        return security::with_headers(response, None);
    }
    let outcome = match result {
        Ok(url) => Outcome {
            status: StatusCode::OK,
            form,
            error: None,
            viewer_url: Some(url),
        },
        Err(e) => Outcome {
            status: e.status(),
            form,
            error: Some(FormError {
                form: form_name,
                field: e.field(),
                message: e.to_string(),
            }),
            viewer_url: None,
        },
    };
    ops_page(app, headers, minion, user, outcome).await
}

fn unreadable(e: FormRejection) -> ApiError {
    ApiError::BadRequest {
        message: format!("the form could not be read ({e}); reload the page and try again"),
        field: None,
    }
}

/// `POST /minions/{minion_id}/tail`: starts a tail, then shows its viewer.
pub async fn start_tail(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    Path(minion): Path<String>,
    headers: HeaderMap,
    form: Result<Form<TailForm>, FormRejection>,
) -> Response {
    let op = match operator {
        Ok(op) => op,
        Err(e) => return auth_error_page(&app, e),
    };
    let minion = match MinionId::parse(&minion) {
        Ok(m) => m,
        Err(e) => return bad_minion(&app, e),
    };
    let (form, result) = match form {
        Ok(Form(f)) => {
            let result = tail(&app, &headers, &minion, &op, &f).await;
            (f, result)
        }
        Err(e) => (TailForm::default(), Err(unreadable(e))),
    };
    let values = FormValues {
        log_path: form.log_path,
        line_count: form.line_count,
    };
    answer(&app, &headers, &minion, &op.name, "tail", values, result).await
}

async fn tail(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    op: &Operator,
    form: &TailForm,
) -> Result<String, ApiError> {
    csrf::verify(&app.settings, headers, &op.name, &form.csrf)
        .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    let request = TailRequest::from_raw(
        &app.settings,
        minion.as_str(),
        form.log_path.trim(),
        Some(form.line_count.as_str()),
    )?;
    tracing::info!(user = %op.name, minion = %minion.as_str(), path = %request.log_path, "ops page: start tail");
    let started = app.orchestrator.start_tail(request).await?;
    Ok(started.viewer_url)
}

/// `POST /minions/{minion_id}/run`: runs an allow-listed command, then shows its viewer.
pub async fn run_command(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    Path(minion): Path<String>,
    headers: HeaderMap,
    form: Result<Form<RunForm>, FormRejection>,
) -> Response {
    let op = match operator {
        Ok(op) => op,
        Err(e) => return auth_error_page(&app, e),
    };
    let minion = match MinionId::parse(&minion) {
        Ok(m) => m,
        Err(e) => return bad_minion(&app, e),
    };
    let result = match form {
        Ok(Form(f)) => run(&app, &headers, &minion, &op, &f).await,
        Err(e) => Err(unreadable(e)),
    };
    let values = FormValues {
        log_path: String::new(),
        line_count: app.settings.tail.default_lines.to_string(),
    };
    answer(&app, &headers, &minion, &op.name, "run", values, result).await
}

async fn run(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    op: &Operator,
    form: &RunForm,
) -> Result<String, ApiError> {
    csrf::verify(&app.settings, headers, &op.name, &form.csrf)
        .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    tracing::info!(user = %op.name, minion = %minion.as_str(), command = %form.command, "ops page: run command");
    let started = app
        .orchestrator
        .run_command(minion.as_str(), &form.command)
        .await?;
    Ok(started.viewer_url)
}
