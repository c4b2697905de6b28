//! The audit trail for operators: `GET /audit` (a table, newest first) and
//! `GET /audit.json` (the same records as JSON), both behind the ops-page
//! sign-in. Reads the Redis stream both saltgate and logview append to.

use crate::i18n::{Lang, Text};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

use super::security::PageKind;
use super::{auth_error_page, error_page, render, ErrorText};
use crate::audit::AuditRecord;
use crate::http::auth::Operator;
use crate::http::error::ApiError;
use crate::http::AppState;

/// Records shown when the request names no `limit`.
const DEFAULT_LIMIT: usize = 200;
/// The most records one request may ask for.
const MAX_LIMIT: usize = 2000;

/// `?limit=N`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<usize>,
}

async fn records(app: &AppState, q: &AuditQuery) -> Result<Vec<AuditRecord>, ApiError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest {
            message: crate::i18n::Text::new("api.audit.limit").arg("max", MAX_LIMIT),
            field: Some("limit"),
        });
    }
    app.orchestrator
        .audit()
        .recent(limit)
        .await
        .map_err(|e| ApiError::Internal(Box::new(e)))
}

/// `GET /audit`: the newest records as a table.
pub async fn page(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    Query(q): Query<AuditQuery>,
) -> Response {
    let op = match operator {
        Ok(op) => op,
        Err(e) => return auth_error_page(&app, e, lang),
    };
    match records(&app, &q).await {
        Ok(records) => render(
            &app,
            StatusCode::OK,
            "audit.html",
            context! { user => op.name, records => records, stream => app.settings.audit.stream },
            PageKind::Plain,
            lang,
        ),
        Err(e) => error_page(
            &app,
            e.status(),
            ErrorText {
                title: Text::new("page.audit.error_title"),
                message: e.text(),
                hint: Text::new("page.audit.error_hint"),
            },
            lang,
        ),
    }
}

/// `GET /audit.json`: the newest records, newest first.
pub async fn json(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    operator?;
    let records = records(&app, &q).await?;
    Ok(Json(json!({"records": records})).into_response())
}
