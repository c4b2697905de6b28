//! `logtail`, the minion-side tailer: follows one file (or runs one command)
//! into a Redis stream. Static, quiet, bounded in memory; see docs/logtail.md.
//!
//! Map: [`cli`] parses, [`config`] loads the TOML, [`follow`] / [`exec`] /
//! [`lock::stop`] do the three jobs. Files are read by [`rotation`] (after
//! [`backlog`] picked the start), split by [`lines`], batched by [`batch`]
//! and written by [`publish`] (encoded by [`xadd`]); [`watch`], [`signals`]
//! and [`wait`] are the event loop's parts; [`lease`], [`lock`] and
//! [`owner`] its lifetime rules.

pub(crate) mod allowlist;
pub(crate) mod backlog;
pub(crate) mod batch;
pub mod cli;
pub(crate) mod cluster;
pub(crate) mod config;
pub(crate) mod conn;
pub mod error;
pub(crate) mod events;
pub(crate) mod exec;
pub(crate) mod follow;
pub(crate) mod heartbeat;
pub(crate) mod item;
pub(crate) mod keys;
pub(crate) mod lease;
pub(crate) mod lines;
pub(crate) mod lock;
pub(crate) mod logsink;
pub(crate) mod losses;
pub(crate) mod open;
pub(crate) mod owner;
pub(crate) mod publish;
pub(crate) mod ratelimit;
pub(crate) mod refusal;
pub(crate) mod retention;
pub(crate) mod rotation;
pub(crate) mod signals;
pub(crate) mod sink;
pub(crate) mod wait;
pub(crate) mod watch;
pub(crate) mod xadd;

use std::time::Duration;

use cli::{Cli, Command};
use config::Config;
use error::{Error, Result};

/// How long a stopping tailer keeps trying to deliver its last entries.
pub const STOP_DRAIN: Duration = Duration::from_secs(2);

/// Runs the parsed command line; returns the process exit code. Errors are
/// logged and printed to stderr as `logtail: error: …`.
pub fn run(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(()) => error::EXIT_OK,
        Err(e) => {
            tracing::error!(error = %e, "logtail failed");
            eprintln!("logtail: error: {e}");
            e.exit_code()
        }
    }
}

fn load(path: &std::path::Path) -> Result<Config> {
    let cfg = Config::load(path)?;
    let level = logsink::parse_level(cfg.log_level.as_deref());
    logsink::init(level, cfg.log_file.as_deref()).map_err(|e| Error::Config {
        path: path.to_owned(),
        reason: format!("cannot open \"log_file\": {e}"),
    })?;
    Ok(cfg)
}

fn secs(s: u64) -> Option<Duration> {
    (s > 0).then(|| Duration::from_secs(s))
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Follow(a) => {
            let cfg = load(&a.config)?;
            // One argv for every minion of a fleet start: the key is this host's.
            let stream = cfg
                .follow_stream(&a.path.to_string_lossy())
                .map_err(|reason| Error::Config {
                    path: a.config.clone(),
                    reason,
                })?;
            follow::run(
                &cfg,
                &follow::FollowOptions {
                    stream,
                    lines: a.lines,
                    max_duration: secs(a.max_duration),
                    idle_exit: secs(a.idle_exit),
                    path: a.path,
                    resume_at: a.resume_at,
                },
            )
        }
        Command::Stop(a) => {
            let cfg = load(&a.config)?;
            let target = allowlist::resolve_stop(&a.path, &cfg.allowed_paths)?;
            // Tailers follow (and lock) the name as given.
            let reason = if a.replacing {
                crate::wire::StopReason::Replaced
            } else {
                crate::wire::StopReason::StopCommand
            };
            let was_running =
                lock::stop(&cfg.lock_dir, &target.given, reason, lock::TAKEOVER_WAIT)?;
            tracing::info!(path = %target.given.display(), was_running, "stop");
            Ok(())
        }
        Command::Exec(a) => {
            let cfg = load(&a.config)?;
            exec::run(
                &cfg,
                &exec::ExecOptions {
                    stream: a.stream,
                    timeout: secs(a.timeout),
                    argv: a.argv,
                },
            )
        }
    }
}
