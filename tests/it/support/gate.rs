//! saltgate started in-process on 127.0.0.1:0 with the stack's gate settings
//! (`settings.toml` + `SALTGATE_SETTINGS`) plus overrides: for tests that
//! point a gate at a private salt-api.

use std::path::Path;
use std::sync::Arc;

use salt_logview::audit::AuditLog;
use salt_logview::gate::{self, GateState};
use salt_logview::settings::Settings;
use tokio::sync::oneshot;

use super::stack::stack;

/// A saltgate serving until dropped.
pub struct TestGate {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestGate {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The stack's gate settings plus `overrides` (`LOGVIEW__SECTION__KEY`).
pub fn gate_settings(overrides: &[(&str, &str)]) -> Settings {
    let files = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml"),
        stack().path("SALTGATE_SETTINGS"),
    ];
    let env = overrides
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    Settings::load_with_env(&files, env).expect("the stack's gate settings load")
}

/// Starts a gate (no audit trail) with the stack's gate settings plus `overrides`.
pub async fn spawn_gate(overrides: &[(&str, &str)]) -> TestGate {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let settings = Arc::new(gate_settings(overrides));
    let state = GateState::new(settings, Arc::new(AuditLog::disabled())).expect("gate state");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = gate::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });
    TestGate {
        url,
        stop: Some(stop),
    }
}
