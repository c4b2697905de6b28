//! `logview`: the web service, and its terminal client (`tail`, `run`).
//! Parses arguments and calls into the library.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use salt_logview::client::error::EXIT_USAGE;
use salt_logview::client::{self, target, PrintFlags, Request};
use salt_logview::settings::Settings;

/// The terminal client's configuration and exit codes (also in docs/cli.md).
const CLIENT_HELP: &str = "\
Configuration (never on the command line): LOGVIEW_URL and LOGVIEW_TOKEN, else the file
$LOGVIEW_CLIENT_CONFIG or ~/.config/logview/client.toml (url = \"…\", token = \"…\"; mode 0600,
refused when group or others may read it).
Output: log lines on stdout, markers (started, rotated, dropped, exit status, …) on stderr.
A fleet (@TARGET:PATH, MINION,MINION:PATH): each line as `web-01 | line`, where it started
(and why not elsewhere) on stderr first; it ends when every member's tailer has stopped.
Colours only on a terminal (NO_COLOR turns them off).

Exit codes:
  0    the stream ended cleanly (tailer stopped; `run`: the command exited 0)
  N    `run`: the command's exit status (signal S: 128+S)
  64   bad command line (target syntax, --grep regex, a fleet target for `run`)
  65   logview refused the request (its message and field are printed)
  69   logview unreachable or failing (5xx), or the stream could not be resumed
  70   the tailer stopped on an error (`run`: it ended without an exit status)
  74   output could not be written
  77   the API token or the viewer ticket was refused (401/403)
  78   no URL/token, or the config file is unusable or too open
  130  interrupted (Ctrl-C); the tailer keeps running for other viewers";

/// Watch log files on SaltStack minions live in the browser.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Settings file of the service (`serve`) layered over the built-in
    /// defaults (the repository's settings.toml); repeat to layer more files
    /// (later ones win). `tail` and `run` do not read it.
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
    /// Follow a log file on a minion or a fleet: log lines on stdout, markers on stderr.
    #[command(after_help = CLIENT_HELP)]
    Tail {
        /// MINION:PATH (web-01:/var/log/syslog), a named target @TARGET:PATH
        /// (@web:/var/log/nginx/error.log) or a list MINION,MINION:PATH.
        target: String,
        /// Backlog lines printed first (0 = only new lines; default: the
        /// server's tail.default_lines).
        #[arg(short = 'n', long = "lines", value_name = "LINES")]
        lines: Option<u32>,
        #[command(flatten)]
        print: PrintArgs,
    },
    /// Run an allow-listed command on a minion and print its output; exits with its status.
    #[command(after_help = CLIENT_HELP)]
    Run {
        /// The minion id, e.g. web-01.
        minion: String,
        /// A command name from logview's [commands.*] settings, e.g. disk.
        command: String,
        #[command(flatten)]
        print: PrintArgs,
    },
}

/// Output options of `tail` and `run`.
#[derive(Args)]
struct PrintArgs {
    /// Print only log lines matching this regular expression (Rust regex
    /// syntax, matched against the line without escape sequences).
    #[arg(long, value_name = "REGEX")]
    grep: Option<String>,
    /// Keep the log's own escape sequences (by default removed when stdout
    /// is not a terminal, and all but colours removed on one).
    #[arg(long)]
    raw: bool,
}

impl PrintArgs {
    fn flags(self) -> Result<PrintFlags, String> {
        let grep = match self.grep {
            Some(re) => Some(
                regex::Regex::new(&re)
                    .map_err(|e| format!("--grep {re:?} is not a valid regular expression: {e}"))?,
            ),
            None => None,
        };
        Ok(PrintFlags {
            grep,
            raw: self.raw,
        })
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Tail {
            target,
            lines,
            print,
        } => run_client(
            target::parse_tail_target(&target).map(|target| Request::Tail { target, lines }),
            print,
        ),
        Command::Run {
            minion,
            command,
            print,
        } => run_client(
            target::check_run_minion(&minion).map(|()| Request::Run { minion, command }),
            print,
        ),
        command => {
            // Before any thread exists, so every thread gets its allocator
            // arena under these settings (memory comes back after bursts).
            salt_logview::http::tune_allocator();
            let result = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("while starting the async runtime")
                .and_then(|rt| rt.block_on(run(command, cli.config)));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("Error: {e:?}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `tail` / `run`: the terminal client, on a single-threaded runtime.
fn run_client(request: Result<Request, client::error::ClientError>, print: PrintArgs) -> ExitCode {
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            eprintln!("logview: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let flags = match print.flags() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("logview: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => ExitCode::from(rt.block_on(client::main(request, flags))),
        Err(e) => {
            eprintln!("logview: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Vec<PathBuf>) -> anyhow::Result<()> {
    match command {
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
            let settings = Arc::new(Settings::load(&config).context("while loading settings")?);
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
        Command::Tail { .. } | Command::Run { .. } => Ok(()),
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
