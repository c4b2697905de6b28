//! `/healthz` (the process is up), `/readyz` (Redis answers the `logview`
//! user and salt-api answers; 503 naming what failed; one probe at a time,
//! its answer reused for `http.readyz_cache_millis`) and `/metrics`
//! (Prometheus text, one of `auth.metrics_tokens` required).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use tokio::time::Instant;

use super::auth::{bearer_value, match_secret};
use super::error::{self, ApiError, Challenge};
use super::AppState;
use crate::salt_api::SaltApi;
use crate::settings::Settings;
use crate::stream::Hub;

/// How long each readiness probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The last `/readyz` answer: when it was made, ready or not, its body.
#[derive(Debug, Clone, Default)]
pub struct ReadyCache {
    last: Arc<tokio::sync::Mutex<Option<(Instant, bool, Value)>>>,
    probes: Arc<AtomicU64>,
}

impl ReadyCache {
    /// Probes run so far (each probes Redis and salt-api once).
    pub fn probes(&self) -> u64 {
        self.probes.load(Ordering::Relaxed)
    }
}

/// The health and metrics routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn readyz(State(state): State<AppState>) -> Response {
    let settings = state.settings.clone();
    let cache = state.readiness.clone();
    let reuse = Duration::from_millis(settings.http.readyz_cache_millis);
    // One probe at a time: concurrent callers wait for it and share its answer.
    let mut last = cache.last.lock().await;
    let fresh = last
        .as_ref()
        .filter(|(at, _, _)| at.elapsed() < reuse)
        .map(|(_, ready, body)| (*ready, body.clone()));
    let (ready, body) = match fresh {
        Some(answer) => answer,
        None => {
            cache.probes.fetch_add(1, Ordering::Relaxed);
            let (ready, body) = probe(&state.hub, state.orchestrator.salt()).await;
            *last = Some((Instant::now(), ready, body.clone()));
            (ready, body)
        }
    };
    drop(last);
    (error::readiness(ready), Json(body)).into_response()
}

/// Probes Redis and Salt once: saltgate's `/readyz` (which reaches
/// salt-api), or salt-api itself when logview has no gate.
async fn probe(hub: &Hub, salt: &SaltApi) -> (bool, Value) {
    let (redis, salt) = tokio::join!(check_redis(hub), check_salt(salt));
    let ready = redis.is_ok() && salt.is_ok();
    let show = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.clone(),
    };
    let body = serde_json::json!({
        "ready": ready,
        "redis": show(&redis),
        "salt_api": show(&salt),
    });
    (ready, body)
}

async fn check_redis(hub: &Hub) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, hub.check_redis()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "redis not reachable as the logview user ({})",
            e.kind()
        )),
        Err(_) => Err(format!(
            "redis did not answer within {} s",
            PROBE_TIMEOUT.as_secs()
        )),
    }
}

async fn check_salt(salt: &SaltApi) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, salt.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if salt.via_gate() => Err(format!("saltgate (salt.gate_url) not ready: {e}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "{} did not answer within {} s",
            if salt.via_gate() {
                "saltgate"
            } else {
                "salt-api"
            },
            PROBE_TIMEOUT.as_secs()
        )),
    }
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let settings = state.settings.clone();
    if !bearer_ok(&settings, &headers) {
        return ApiError::Unauthorized {
            message: crate::i18n::Text::new("api.auth.metrics_token"),
            challenge: Challenge::Bearer,
        }
        .into_response();
    }
    let text = state.metrics.render();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Whether the request carries one of `auth.metrics_tokens` (constant-time
/// compare; the API tokens are not accepted here).
fn bearer_ok(settings: &Settings, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(bearer_value)
        .and_then(|given| match_secret(&settings.auth.metrics_tokens, given))
        .is_some()
}
