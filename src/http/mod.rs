//! The HTTP surface of `logview`: builds the router and serves it until shutdown.

use std::future::Future;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::settings::Settings;

pub mod health;
pub mod sse;
pub mod ws;

/// Builds the application router.
pub fn router(settings: Arc<Settings>) -> Router {
    let _ = settings;
    Router::new().route("/healthz", get(|| async { "ok\n" }))
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    settings: Arc<Settings>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(settings))
        .with_graceful_shutdown(shutdown)
        .await
}
