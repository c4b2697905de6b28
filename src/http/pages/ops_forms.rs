//! The two form posts of the ops page, `POST /minions/{minion_id}/tail` and
//! `…/run`: the operator is signed in before any byte of the body is read,
//! the body is at most `http.max_body_bytes`, the API's limits apply
//! (`ops_limits.rs`), then the same orchestration as the JSON API. Without
//! JavaScript a started view is answered with a redirect to the ops page
//! showing it (post/redirect/get); an error is the page with the error.

use crate::audit::Principal;
use axum::extract::{Form, FromRequest, Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;

use super::ops::{
    operator_and_minion, ops_page, wants_json, FormError, FormValues, Outcome, RunForm, TailForm,
};
use super::{csrf, ops_limits, security};
use crate::http::auth::Operator;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::i18n::Lang;
use crate::session::TailRequest;
use crate::target::MinionId;

/// Answers a form post: the API's JSON for `ops.js`, the page otherwise.
#[allow(clippy::too_many_arguments)] // the post's parts, each used once
async fn answer(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    user: &str,
    form_name: &'static str,
    form: FormValues,
    result: Result<String, ApiError>,
    lang: Lang,
) -> Response {
    if wants_json(headers) {
        let response = match result {
            Ok(url) => Json(serde_json::json!({ "success": true, "url": url })).into_response(),
            Err(e) => e.into_response(),
        };
        return security::with_headers(response, None);
    }
    let outcome = match result {
        // Post/redirect/get: the browser lands on the ops page showing the
        // viewer, so a reload or a bookmark does not post the form again.
        Ok(url) => {
            let token = url.rsplit_once("/view/").map_or("", |(_, t)| t);
            let to = format!(
                "{}minions/{}?viewer={token}",
                app.settings.public_base(),
                minion.as_str()
            );
            return security::with_headers(Redirect::to(&to).into_response(), None);
        }
        Err(e) => Outcome {
            status: e.status(),
            form,
            error: Some(FormError {
                form: form_name,
                field: e.field(),
                message: e.text().render(lang),
            }),
            viewer_url: None,
        },
    };
    ops_page(app, headers, minion, user, outcome, lang).await
}

/// The form of a post, read only now that the operator is signed in
/// (at most `http.max_body_bytes`: 413 beyond).
pub(super) async fn read_form<T: serde::de::DeserializeOwned>(
    app: &AppState,
    request: Request,
) -> Result<T, ApiError> {
    let limit = app.settings.http.max_body_bytes;
    match Form::<T>::from_request(request, app).await {
        Ok(Form(f)) => Ok(f),
        Err(e) => Err(ApiError::body(
            e.status(),
            e.body_text(),
            limit,
            crate::i18n::Text::new("api.body.ops_form"),
        )),
    }
}

/// `POST /minions/{minion_id}/tail`: starts a tail, then shows its viewer.
pub async fn start_tail(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    Path(minion): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let (op, minion) = match operator_and_minion(&app, operator, &minion, lang) {
        Ok(pair) => pair,
        Err(page) => return *page,
    };
    let (form, result) = match read_form::<TailForm>(&app, request).await {
        Ok(f) => {
            let result = tail(&app, &headers, &minion, &op, &f).await;
            (f, result)
        }
        Err(e) => (TailForm::default(), Err(e)),
    };
    let values = FormValues {
        log_path: form.log_path,
        line_count: form.line_count,
    };
    answer(
        &app, &headers, &minion, &op.name, "tail", values, result, lang,
    )
    .await
}

async fn tail(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    op: &Operator,
    form: &TailForm,
) -> Result<String, ApiError> {
    csrf::verify(&app.settings, headers, &op.name, &form.csrf)
        .map_err(|e| ApiError::Forbidden(crate::http::error_text::csrf(&e)))?;
    let _slot = ops_limits::admit(app, &op.name)?;
    let who = Principal::operator(&op.name);
    let path = form.log_path.trim();
    let lines = Some(form.line_count.as_str());
    let request = match TailRequest::from_raw(&app.settings, minion.as_str(), path, lines) {
        Ok(request) => request,
        Err(e) => {
            let raw = (minion.as_str(), path);
            return Err(app.orchestrator.tail_refused(raw, &who, e).await.into());
        }
    };
    tracing::info!(user = %op.name, minion = %minion.as_str(), path = %request.path.as_str(), "ops page: start tail");
    let started = app.orchestrator.start_tail(request, &who).await?;
    Ok(started.viewer_url)
}

/// `POST /minions/{minion_id}/run`: runs an allow-listed command, then shows its viewer.
pub async fn run_command(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    Path(minion): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let (op, minion) = match operator_and_minion(&app, operator, &minion, lang) {
        Ok(pair) => pair,
        Err(page) => return *page,
    };
    let result = match read_form::<RunForm>(&app, request).await {
        Ok(f) => run(&app, &headers, &minion, &op, &f).await,
        Err(e) => Err(e),
    };
    let values = FormValues {
        log_path: String::new(),
        line_count: app.settings.tail.default_lines.to_string(),
    };
    answer(
        &app, &headers, &minion, &op.name, "run", values, result, lang,
    )
    .await
}

async fn run(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    op: &Operator,
    form: &RunForm,
) -> Result<String, ApiError> {
    csrf::verify(&app.settings, headers, &op.name, &form.csrf)
        .map_err(|e| ApiError::Forbidden(crate::http::error_text::csrf(&e)))?;
    let _slot = ops_limits::admit(app, &op.name)?;
    tracing::info!(user = %op.name, minion = %minion.as_str(), command = ?form.command, "ops page: run command");
    let started = app
        .orchestrator
        .run_command(
            minion.as_str(),
            &form.command,
            &Principal::operator(&op.name),
        )
        .await?;
    Ok(started.viewer_url)
}
