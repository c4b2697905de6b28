//! The HTTP surface of `logview`: composes every router over [`AppState`] and
//! serves it until shutdown.

pub(crate) mod api;
mod api_fleet;
pub(crate) mod auth;
pub(crate) mod conn;
pub(crate) mod error;
pub(crate) mod error_text;
pub(crate) mod health;
#[cfg(test)]
mod hostile_tests;
pub(crate) mod lang;
pub(crate) mod login;
pub(crate) mod origin;
pub(crate) mod pages;
pub(crate) mod sse;
pub mod state;
pub(crate) mod stream_request;
pub(crate) mod templates;
mod trim;
pub(crate) mod ws;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

pub use state::AppState;
pub use trim::configure as tune_allocator;

/// Builds the application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(ws::router())
        .merge(sse::router())
        .merge(api::router(&state.settings))
        .merge(pages::router(&state.settings))
        .layer(axum::middleware::from_fn(lang::layer))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the application on `listener` with the connection limits of
/// `[http]` until `shutdown` resolves; then closes every stream (so
/// WebSocket/SSE handlers end) and lets in-flight requests finish for at
/// most `server.shutdown_grace_secs`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.settings.server.shutdown_grace_secs);
    let stop = CancellationToken::new();
    let hub = state.hub.clone();
    let signal = {
        let stop = stop.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: closing streams");
            hub.shutdown();
            stop.cancel();
        }
    };
    tokio::spawn(signal);
    trim::configure();
    tokio::spawn(trim::run(stop.clone()));
    let limits = state.settings.http.clone();
    let connections = conn::serve(listener, router(state.clone()), limits, stop).await;
    let finished = async {
        connections.wait().await;
        state.hub.closed().await;
    };
    if tokio::time::timeout(grace, finished).await.is_err() {
        tracing::warn!(
            grace_secs = grace.as_secs(),
            "requests still open after the grace period; exiting"
        );
    }
    Ok(())
}
