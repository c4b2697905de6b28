//! `saltgate`: the process beside salt-api that alone holds the Salt
//! credential and forwards only logview's call shapes. Parses arguments and
//! calls into the library (`salt_logview::gate`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use salt_logview::settings::Settings;

/// Forward exactly logview's Salt calls to salt-api; refuse everything else.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Settings file layered on the built-in defaults (the repository's
    /// settings.toml); repeat to layer more (later ones win). saltgate reads [salt] (salt-api and its password), [tail], [commands],
    /// [redis] prefix, [gate] and [audit].
    #[arg(long = "config", value_name = "FILE")]
    config: Vec<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    salt_logview::telemetry::init();
    let settings = Arc::new(Settings::load(&cli.config).context("while loading settings")?);
    if settings.salt.password.is_none() {
        anyhow::bail!("salt.password is not set: saltgate logs in to salt-api with it");
    }
    let audit = Arc::new(
        salt_logview::audit::AuditLog::from_settings(&settings)
            .context("while opening the audit trail")?,
    );
    let state = salt_logview::gate::GateState::new(settings.clone(), audit)
        .context("while building the salt-api client")?;
    let listener = tokio::net::TcpListener::bind(&settings.gate.bind)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (setting gate.bind)",
                settings.gate.bind
            )
        })?;
    tracing::info!(bind = %settings.gate.bind, salt_api = %settings.salt.api_url, "saltgate listening");
    salt_logview::gate::serve(listener, state, shutdown_signal())
        .await
        .context("while serving")?;
    Ok(())
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term => {} }
}
