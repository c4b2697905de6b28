//! `/healthz` (the process is up), `/readyz` (Redis answers the `logview`
//! user and salt-api answers; 503 naming what failed) and `/metrics`
//! (Prometheus text, bearer API token required).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::stream::Hub;
use crate::tickets::TicketSigner;

/// How long each readiness probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The health and metrics routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Hub: FromRef<S>,
    TicketSigner: FromRef<S>,
    Arc<Settings>: FromRef<S>,
    Arc<Metrics>: FromRef<S>,
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
{
    let settings = Arc::<Settings>::from_ref(&state);
    let hub = Hub::from_ref(&state);
    let (redis, salt) = tokio::join!(check_redis(&hub), check_salt_api(&settings.salt.api_url));
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
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
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
        let body = serde_json::json!({
            "success": false,
            "message": "/metrics needs an API token: send Authorization: Bearer <token>",
        });
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(body),
        )
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

/// Whether the request carries one of `auth.api_tokens` (constant-time compare).
fn bearer_ok(settings: &Settings, headers: &HeaderMap) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    settings.auth.api_tokens.iter().fold(false, |ok, t| {
        ok | bool::from(t.expose_secret().as_bytes().ct_eq(given.trim().as_bytes()))
    })
}
