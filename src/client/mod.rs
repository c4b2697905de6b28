//! The terminal client: `logview tail MINION:PATH` (or a fleet:
//! `@TARGET:PATH`, `MINION,MINION:PATH`) and `logview run MINION COMMAND`. The same API and stream as the browser: `POST /api/tail` or
//! `/api/run` with the API token (from the environment or an owner-only
//! file, [`config`]), then the viewer's SSE stream ([`stream`]), printed for
//! a terminal or a pipe ([`output`]). Usage and exit codes: `docs/cli.md`.

pub mod api;
pub mod config;
pub mod error;
pub mod output;
pub mod position;
pub mod sse;
pub mod stream;
pub mod target;

use std::io::{self, IsTerminal};

use serde_json::json;

use self::api::Api;
use self::config::ClientConfig;
use self::error::{ClientError, EXIT_INTERRUPTED};
use self::output::{OutputOptions, Renderer};
use self::stream::{Flow, Reconnect};
use self::target::TailTarget;

/// What to start.
#[derive(Debug, Clone)]
pub enum Request {
    /// Follow a file.
    Tail {
        /// Where.
        target: TailTarget,
        /// Backlog lines (`line_count`); logview's default when absent.
        lines: Option<u32>,
    },
    /// Run an allow-listed command by name.
    Run {
        /// The minion id.
        minion: String,
        /// A name of logview's `[commands.*]`.
        command: String,
    },
}

/// Output options from the command line; the terminal checks are made here.
#[derive(Debug, Default)]
pub struct PrintFlags {
    /// `--grep REGEX`.
    pub grep: Option<regex::Regex>,
    /// `--raw`.
    pub raw: bool,
}

/// Runs the client until the stream ends, an error, or Ctrl-C; the process
/// exit code. Errors are printed to stderr as `logview: …`.
pub async fn main(request: Request, flags: PrintFlags) -> u8 {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let opts = OutputOptions {
        grep: flags.grep,
        raw: flags.raw,
        color_out: !no_color && io::stdout().is_terminal(),
        color_err: !no_color && io::stderr().is_terminal(),
        command: matches!(request, Request::Run { .. }),
    };
    // Every write is a whole line, made between two awaits: stopping the
    // future at Ctrl-C leaves nothing half-printed.
    tokio::select! {
        result = execute(request, opts) => match result {
            Ok(code) => code,
            Err(e) => {
                eprintln!("logview: {e}");
                e.exit_code()
            }
        },
        _ = tokio::signal::ctrl_c() => EXIT_INTERRUPTED,
    }
}

async fn execute(request: Request, opts: OutputOptions) -> Result<u8, ClientError> {
    let config = ClientConfig::load()?;
    let api = Api::new(config)?;
    let (endpoint, body, fleet) = match &request {
        Request::Tail { target, lines } => {
            let mut body = target.request_body();
            if let Some(n) = lines {
                body["line_count"] = json!(n);
            }
            ("tail", body, target.is_fleet())
        }
        Request::Run { minion, command } => (
            "run",
            json!({"minion_id": minion, "command": command}),
            false,
        ),
    };
    let (viewer, answer) = api.start(endpoint, &body).await?;
    let url = api::stream_url(&viewer)?;
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut renderer = Renderer::new(opts, stdout.lock(), stderr.lock());
    if fleet {
        renderer = renderer.fleet(&api::fleet_members(&answer));
        // Where it started and why not elsewhere, before the first line.
        output_result(renderer.marker(&api::fleet_outcomes(&answer)))?;
    }
    let renderer = std::cell::RefCell::new(renderer);
    let result = stream::follow(
        api.http(),
        &url,
        fleet,
        &Reconnect::default(),
        &mut |minion, message| {
            output_result(renderer.borrow_mut().show(minion.as_deref(), &message))
        },
        &mut |attempt, delay, why| {
            output_result(renderer.borrow_mut().marker(&format!(
                "connection lost ({why}); reconnecting in {:.1} s (attempt {attempt})",
                delay.as_secs_f32()
            )))
            .map(|_| ())
        },
    )
    .await;
    result
}

/// A closed stdout (`| head`) ends the client cleanly; other write errors are errors.
fn output_result<T: Into<Flow>>(r: io::Result<T>) -> Result<Flow, ClientError> {
    match r {
        Ok(v) => Ok(v.into()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Flow::Stop(0)),
        Err(e) => Err(ClientError::Output(e)),
    }
}

impl From<()> for Flow {
    fn from(_: ()) -> Flow {
        Flow::Continue
    }
}
