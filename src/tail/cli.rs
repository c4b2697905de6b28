//! The command line of `logtail`, exactly as the Salt ACL pins it
//! (`follow`, `stop`, `exec`, `--version`); parsing only, no behaviour.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::wire::FilePos;

/// The most backlog lines `--lines` accepts; logview's `tail.max_lines` may
/// not be above it.
pub const MAX_LINES: u64 = 1_000_000;
/// The most seconds `--max-duration`, `--idle-exit` and `--timeout` accept (a year).
pub const MAX_SECS: u64 = 31_536_000;

/// `logtail`: follow a log file or run a command into a Redis stream.
#[derive(Debug, Parser)]
#[command(name = "logtail", version, disable_help_subcommand = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send the last N lines of PATH, then follow it (tail -F) into the
    /// stream of this host's `minion_id` (config) and PATH.
    Follow(FollowArgs),
    /// Stop the tailer following PATH on this host (exit 0 if none ran).
    Stop(StopArgs),
    /// Run PROGRAM (no shell) and stream its stdout/stderr into --stream.
    Exec(ExecArgs),
}

/// `logtail follow`.
#[derive(Debug, Args)]
pub struct FollowArgs {
    /// The configuration file (redis_url, allowed_paths, lock_dir,
    /// minion_id, tunables).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// How many of the last lines to send first.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_LINES))]
    pub lines: u64,
    /// Stop after this many seconds (0 = never).
    #[arg(long, value_name = "SECS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_SECS))]
    pub max_duration: u64,
    /// Stop this many seconds after the lease key is gone (0 = never).
    #[arg(long, value_name = "SECS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_SECS))]
    pub idle_exit: u64,
    /// Continue at this position of a dead tailer (`DEV:INODE:OFFSET`, the
    /// `pos` of its last entry) if the file is still the same; otherwise
    /// send the backlog of --lines.
    #[arg(long, value_name = "DEV:INODE:OFFSET")]
    pub resume_at: Option<FilePos>,
    /// The absolute path of the log file.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
}

/// `logtail stop`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// A successor is about to follow PATH: the tailer's `stopped` event
    /// says `replaced` instead of `stop-command`.
    #[arg(long)]
    pub replacing: bool,
    /// The absolute path whose tailer should stop.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
}

/// `logtail exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The stream key.
    #[arg(long, value_name = "KEY")]
    pub stream: String,
    /// Kill the command's process group after this many seconds (0 = never).
    #[arg(long, value_name = "SECS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_SECS))]
    pub timeout: u64,
    /// PROGRAM and its arguments, after `--`.
    #[arg(last = true, required = true, num_args = 1.., value_name = "PROGRAM")]
    pub argv: Vec<OsString>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("logtail").chain(args.iter().copied()))
    }

    #[test]
    fn the_pinned_follow_argv_parses() {
        let cli = parse(&[
            "follow",
            "--config",
            "/etc/logtail/logtail.toml",
            "--lines",
            "100",
            "--max-duration",
            "3600",
            "--idle-exit",
            "60",
            "/var/log/a.log",
        ])
        .expect("parses");
        let Command::Follow(f) = cli.command else {
            panic!("not follow")
        };
        assert_eq!((f.lines, f.max_duration, f.idle_exit), (100, 3600, 60));
        assert_eq!(f.path, PathBuf::from("/var/log/a.log"));
        assert_eq!(f.resume_at, None);
    }

    #[test]
    fn resume_at_parses_strictly() {
        let with = |v: &str| {
            parse(&[
                "follow",
                "--config",
                "/c",
                "--lines",
                "10",
                "--resume-at",
                v,
                "/p",
            ])
        };
        let cli = with("2049:131074:8192").expect("parses");
        let Command::Follow(f) = cli.command else {
            panic!("not follow")
        };
        assert_eq!(
            f.resume_at,
            Some(FilePos {
                dev: 2049,
                inode: 131_074,
                offset: 8192
            })
        );
        for bad in ["1:2", "1:2:x", "-1:2:3", "1:2:3:4"] {
            assert_eq!(with(bad).expect_err(bad).exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn the_pinned_exec_argv_parses_with_program_args_verbatim() {
        let cli = parse(&[
            "exec",
            "--config",
            "/c",
            "--stream",
            "logs:{b2}:m:cmd:df:0123456789abcdef",
            "--timeout",
            "30",
            "--",
            "/bin/df",
            "-h",
            "--total",
        ])
        .expect("parses");
        let Command::Exec(e) = cli.command else {
            panic!("not exec")
        };
        assert_eq!(
            e.argv,
            vec![OsString::from("/bin/df"), "-h".into(), "--total".into()]
        );
    }

    #[test]
    fn bad_numbers_and_missing_arguments_are_usage_errors() {
        for args in [
            &["follow", "--config", "/c", "--lines", "-1", "/p"][..],
            &["follow", "--config", "/c", "--lines", "2000000", "/p"],
            &["follow", "--config", "/c", "/p"],
            // The stream is derived from the config's minion_id, never given.
            &[
                "follow", "--config", "/c", "--stream", "s", "--lines", "1", "/p",
            ],
            &["stop", "/p"],
            &["exec", "--config", "/c", "--stream", "s"],
            &["frobnicate"],
        ] {
            let err = parse(args).expect_err("usage error");
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
