//! The one way the integration tests start logview: the real `AppState` and
//! `http::serve` (every route, the connection limits, graceful shutdown) on a
//! free port of 127.0.0.1, with settings layered from `files` plus `env`
//! (`LOGVIEW__SECTION__KEY` pairs). `server.bind` and `server.public_url` are
//! set to the chosen port.

use std::path::PathBuf;
use std::sync::Arc;

use salt_logview::http::{self, AppState};
use salt_logview::settings::Settings;
use tokio::sync::oneshot;

/// A logview serving until dropped.
pub struct RunningApp {
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
    /// The port it listens on.
    pub port: u16,
    /// The settings it runs with.
    pub settings: Arc<Settings>,
    /// Its state (hub, signer, orchestrator, metrics, …).
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        // Viewers are told the service is going away, then the server stops.
        self.state.hub.shutdown();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts logview with the settings `files` (in order) and `env` on top.
pub async fn serve_app(files: &[PathBuf], mut env: Vec<(String, String)>) -> RunningApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let base = format!("http://{addr}/");
    env.insert(0, ("LOGVIEW__SERVER__BIND".into(), addr.to_string()));
    env.insert(1, ("LOGVIEW__SERVER__PUBLIC_URL".into(), base.clone()));
    let settings = Arc::new(Settings::load_with_env(files, env).expect("test settings load"));
    let state = AppState::new(settings.clone()).expect("app state builds");
    let (stop, stopped) = oneshot::channel::<()>();
    let served = state.clone();
    tokio::spawn(async move {
        let _ = http::serve(listener, served, async {
            let _ = stopped.await;
        })
        .await;
    });
    RunningApp {
        base,
        port: addr.port(),
        settings,
        state,
        stop: Some(stop),
    }
}
