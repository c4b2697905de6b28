//! The HTTP surface of `logview`: composes every router over [`AppState`] and
//! serves it until shutdown.

pub mod api;
pub mod auth;
pub mod error;
pub mod health;
pub mod pages;
pub mod sse;
pub mod state;
pub mod templates;
pub mod ws;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use state::AppState;

/// Builds the application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(ws::router())
        .merge(sse::router())
        .merge(api::router())
        .merge(pages::router())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` resolves; then
/// closes every stream (so WebSocket/SSE handlers end) and lets in-flight
/// requests finish for at most `server.shutdown_grace_secs`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hub = state.hub.clone();
    let grace = Duration::from_secs(state.settings.server.shutdown_grace_secs);
    let stopping = Arc::new(tokio::sync::Notify::new());
    let notify = stopping.clone();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: closing streams");
        hub.shutdown();
        notify.notify_one();
    };
    // Lines are small writes: don't let Nagle hold them back.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    let server = axum::serve(listener, router(state.clone())).with_graceful_shutdown(signal);
    let deadline = async move {
        stopping.notified().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => {
            let _ = tokio::time::timeout(grace, state.hub.closed()).await;
            result
        }
        _ = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still open after the grace period; exiting");
            Ok(())
        }
    }
}
