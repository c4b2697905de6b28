//! `logview`: the web service. Parses arguments and calls into the library.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use salt_logview::settings::Settings;

/// Watch log files on SaltStack minions live in the browser.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Settings file layered over the built-in defaults (the repository's
    /// settings.toml); repeat to layer more files (later ones win).
    #[arg(long = "config", value_name = "FILE", global = true)]
    config: Vec<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the pages, the JSON API and the streams (the default).
    Serve,
    /// Read a password on stdin and print its argon2 hash for `[[auth.users]]`.
    HashPassword,
}

fn main() -> anyhow::Result<()> {
    // Before any thread exists, so every thread gets its allocator arena
    // under these settings (memory comes back after bursts).
    salt_logview::http::tune_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::HashPassword => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("while reading the password on stdin")?;
            let password = input.trim_end_matches(['\r', '\n']);
            println!("{}", salt_logview::password::hash(password)?);
            Ok(())
        }
        Command::Serve => {
            salt_logview::telemetry::init();
            let settings = Arc::new(Settings::load(&cli.config).context("while loading settings")?);
            let listener = tokio::net::TcpListener::bind(&settings.server.bind)
                .await
                .with_context(|| {
                    format!(
                        "cannot listen on {} (setting server.bind)",
                        settings.server.bind
                    )
                })?;
            tracing::info!(bind = %settings.server.bind, url = %settings.public_base(), "logview listening");
            let state = salt_logview::http::AppState::new(settings)
                .context("while building the service from its settings")?;
            salt_logview::http::serve(listener, state, shutdown_signal())
                .await
                .context("while serving")?;
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
