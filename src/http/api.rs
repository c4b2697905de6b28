//! The JSON API for the Django frontend: `POST /api/tail` and `POST /api/run`,
//! form-encoded or JSON, bearer-token auth. Success is
//! `{"success": true, "url": …}`; failures come from [`ApiError`].
//!
//! Local mode: when `[local].enabled`, `POST /api/tail` with
//! `minion_id` = `local.host_id` tails a file on logview's own host.
//! With `target` or `minion_ids` instead of `minion_id`, `POST /api/tail`
//! starts a fleet view (`api_fleet.rs`); `GET /api/targets` lists the names.

use std::collections::HashMap;

use axum::extract::{FromRequest, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};

use sha2::{Digest, Sha256};

use super::auth::ApiClient;
use super::error::ApiError;
use super::state::AppState;
use crate::audit::{parse_on_behalf_of, Principal};
use crate::i18n::{Lang, Text};
use crate::session::{Started, TailRequest};
use crate::settings::Settings;

/// `/api/*` routes. Bodies above `http.max_body_bytes` are answered 413
/// (the bearer token is checked first, before any byte of the body is read).
pub fn router(settings: &Settings) -> Router<AppState> {
    let routes = Router::new()
        .route("/api/tail", post(tail))
        .route("/api/run", post(run))
        .route("/api/targets", get(super::api_fleet::targets));
    limit_bodies(routes, settings)
}

/// The body limit of a route (`http.max_body_bytes`), also noted in the
/// request so a rejection can name it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// `router` with bodies limited to `http.max_body_bytes` (413 beyond) and
/// the [`BodyLimit`] note.
pub fn limit_bodies<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    settings: &Settings,
) -> Router<S> {
    let max = settings.http.max_body_bytes;
    router
        .layer(axum::extract::DefaultBodyLimit::max(max))
        .layer(axum::Extension(BodyLimit(max)))
}

/// Who asks: the API token (named by a fingerprint, never the token) and the
/// end user the portal says it acts for (`on_behalf_of`, optional).
fn principal(state: &AppState, client: &ApiClient, fields: &Fields) -> Result<Principal, ApiError> {
    let on_behalf_of = parse_on_behalf_of(fields.text("on_behalf_of")?.as_deref())?;
    Ok(Principal::api_token(
        &token_name(state, client.token.index),
        on_behalf_of,
    ))
}

/// `token-` and the first 8 hex digits of the token's SHA-256: tells tokens
/// apart in the audit trail without revealing them.
pub fn token_name(state: &AppState, index: usize) -> String {
    use secrecy::ExposeSecret;
    let Some(t) = state.settings.auth.api_tokens.get(index) else {
        return format!("token-{index}");
    };
    let digest = Sha256::digest(t.expose_secret().as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("token-{hex}")
}

async fn tail(
    State(state): State<AppState>,
    client: ApiClient,
    lang: Lang,
    fields: Fields,
) -> Result<Response, ApiError> {
    stream_capacity(&state)?;
    let who = principal(&state, &client, &fields)?;
    if let Some(which) = super::api_fleet::fleet_field(&fields)? {
        return super::api_fleet::tail_fleet(&state, which, &fields, &who, lang).await;
    }
    let minion = fields.text("minion_id")?.unwrap_or_default();
    let path = fields.text("log_path")?.unwrap_or_default();
    let lines = fields.text("line_count")?;
    let req = match TailRequest::from_raw(&state.settings, &minion, &path, lines.as_deref()) {
        Ok(req) => req,
        Err(e) => {
            let raw = (minion.as_str(), path.as_str());
            return Err(state.orchestrator.tail_refused(raw, &who, e).await.into());
        }
    };
    let started = state.orchestrator.start_tail(req, &who).await?;
    Ok(success(&started))
}

async fn run(
    State(state): State<AppState>,
    client: ApiClient,
    fields: Fields,
) -> Result<Response, ApiError> {
    stream_capacity(&state)?;
    let who = principal(&state, &client, &fields)?;
    let minion = fields.text("minion_id")?.unwrap_or_default();
    let command = fields.text("command")?.unwrap_or_default();
    let started = state
        .orchestrator
        .run_command(&minion, &command, &who)
        .await?;
    Ok(success(&started))
}

/// Refuses to start a tailer whose viewer could not be attached: this
/// process already reads `limits.max_streams` streams.
pub(crate) fn stream_capacity(state: &AppState) -> Result<(), ApiError> {
    let limit = state.settings.limits.max_streams;
    if state.hub.active_streams() >= limit {
        return Err(ApiError::LimitReached(
            Text::new("api.hub.too_many_streams").arg("limit", limit),
        ));
    }
    Ok(())
}

fn success(started: &Started) -> Response {
    Json(json!({"success": true, "url": started.viewer_url})).into_response()
}

/// The request body's fields, from JSON or a form.
#[derive(Debug, Default)]
pub struct Fields(HashMap<String, Value>);

impl Fields {
    /// The fields of a JSON object (unit tests).
    #[cfg(test)]
    pub(crate) fn of(v: Value) -> Fields {
        match v {
            Value::Object(map) => Fields(map.into_iter().collect()),
            _ => Fields::default(),
        }
    }

    /// Whether the body has field `name` (not null, not an empty string: a
    /// form sends its empty inputs too).
    pub fn is_given(&self, name: &str) -> bool {
        match self.0.get(name) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        }
    }

    /// Field `name` as sent.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Field `name` as text: strings as they are, numbers written out, null or
    /// absent as `None`; objects, lists and booleans are refused.
    pub fn text(&self, name: &'static str) -> Result<Option<String>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ApiError::BadRequest {
                message: Text::new("api.body.string_or_number").arg("field", name),
                field: Some(name),
            }),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctype = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let bad = |message: Text| ApiError::BadRequest {
            message,
            field: None,
        };
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map_or(usize::MAX, |l| l.0);
        if ctype.starts_with("application/json") {
            let Json(v) = Json::<Value>::from_request(req, state).await.map_err(|e| {
                ApiError::body(
                    e.status(),
                    e.body_text(),
                    limit,
                    Text::new("api.body.not_json"),
                )
            })?;
            match v {
                Value::Object(map) => Ok(Fields(map.into_iter().collect())),
                _ => Err(bad(Text::new("api.body.not_object"))),
            }
        } else if ctype.starts_with("application/x-www-form-urlencoded") {
            let Form(map) = Form::<HashMap<String, String>>::from_request(req, state)
                .await
                .map_err(|e| {
                    ApiError::body(
                        e.status(),
                        e.body_text(),
                        limit,
                        Text::new("api.body.bad_form"),
                    )
                })?;
            Ok(Fields(
                map.into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ))
        } else {
            Err(bad(Text::new("api.body.content_type")))
        }
    }
}
