//! `/healthz` (the process is up), `/readyz` (Redis answers the `logview`
//! user and salt-api answers; 503 naming what failed; one probe at a time,
//! its answer reused for `http.readyz_cache_millis`) and `/metrics`
//! (Prometheus text, one of `auth.metrics_tokens` required).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use tokio::time::Instant;

use super::auth::{bearer_value, match_secret};
use super::error::{self, ApiError, Challenge};
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::stream::Hub;
use crate::tickets::TicketSigner;

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
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Hub: FromRef<S>,
    TicketSigner: FromRef<S>,
    Arc<Settings>: FromRef<S>,
    Arc<Metrics>: FromRef<S>,
    ReadyCache: FromRef<S>,
{
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz::<S>))
        .route("/metrics", get(metrics::<S>))
}

async fn readyz<S>(State(state): State<S>) -> Response
where
    S: Clone + Send + Sync + 'static,
    Hub: FromRef<S>,
    Arc<Settings>: FromRef<S>,
    ReadyCache: FromRef<S>,
{
    let settings = Arc::<Settings>::from_ref(&state);
    let cache = ReadyCache::from_ref(&state);
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
            let (ready, body) = probe(&Hub::from_ref(&state), &settings).await;
            *last = Some((Instant::now(), ready, body.clone()));
            (ready, body)
        }
    };
    drop(last);
    (error::readiness(ready), Json(body)).into_response()
}

/// Probes Redis and salt-api once.
async fn probe(hub: &Hub, settings: &Settings) -> (bool, Value) {
    let (redis, salt) = tokio::join!(check_redis(hub), check_salt_api(&settings.salt.api_url));
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

async fn check_salt_api(url: &str) -> Result<(), String> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    let client = CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(PROBE_TIMEOUT)
                .build()
                .ok()
        })
        .as_ref()
        .ok_or_else(|| "cannot build an HTTP client".to_owned())?;
    match client.get(url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("salt-api answered HTTP {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err(format!(
            "salt-api did not answer within {} s",
            PROBE_TIMEOUT.as_secs()
        )),
        Err(e) if e.is_connect() => Err("salt-api not reachable (connection failed)".to_owned()),
        Err(_) => Err("salt-api request failed".to_owned()),
    }
}

async fn metrics<S>(State(state): State<S>, headers: HeaderMap) -> Response
where
    S: Clone + Send + Sync + 'static,
    Arc<Settings>: FromRef<S>,
    Arc<Metrics>: FromRef<S>,
{
    let settings = Arc::<Settings>::from_ref(&state);
    if !bearer_ok(&settings, &headers) {
        return ApiError::Unauthorized {
            message: crate::i18n::Text::new("api.auth.metrics_token"),
            challenge: Challenge::Bearer,
        }
        .into_response();
    }
    let text = Arc::<Metrics>::from_ref(&state).render();
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
