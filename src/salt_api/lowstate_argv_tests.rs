//! The logtail command line is one contract with two ends: logview builds it
//! ([`super::follow_argv`], [`super::stop_argv`], [`super::exec_argv`]) and
//! logtail parses it ([`crate::tail::cli::Cli`]). These tests feed every argv
//! logview builds to logtail's own parser and check it reads back the same
//! values, so a renamed flag, a reordered option or a changed range breaks
//! here rather than on a minion.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Parser;

use super::{exec_argv, follow_argv, stop_argv};
use crate::salt_api::shape::SaltCall;
use crate::session::{backlog_depth, TailRequest};
use crate::settings::Settings;
use crate::tail::cli::{Cli, Command, ExecArgs, FollowArgs, StopArgs, MAX_LINES, MAX_SECS};
use crate::target::{LogPath, MinionId};
use crate::wire::FilePos;

const BIN: &str = "/opt/logtail-1.2/bin/logtail";
const CONFIG: &str = "/etc/logtail/logtail.d/main-1.toml";
const PATH: &str = "/var/log/app-1.x/web.err-2024.01.log";
const STREAM: &str = "logs:{b5}:web-01.example.com:cmd:disk:0123456789abcdef";

fn parse(argv: &[String]) -> Command {
    match Cli::try_parse_from(argv) {
        Ok(cli) => cli.command,
        Err(e) => panic!("logtail refuses logview's argv {argv:?}: {e}"),
    }
}

fn follow(argv: &[String]) -> FollowArgs {
    match parse(argv) {
        Command::Follow(f) => f,
        other => panic!("{argv:?} parsed as {other:?}"),
    }
}

fn stop(argv: &[String]) -> StopArgs {
    match parse(argv) {
        Command::Stop(s) => s,
        other => panic!("{argv:?} parsed as {other:?}"),
    }
}

fn exec(argv: &[String]) -> ExecArgs {
    match parse(argv) {
        Command::Exec(e) => e,
        other => panic!("{argv:?} parsed as {other:?}"),
    }
}

#[test]
fn follow_reads_back_every_value_including_zero_lines_and_the_maxima() {
    for (lines, max_duration, idle_exit) in [
        (0, 1, 1),
        (200, 86_400, 60),
        (MAX_LINES, MAX_SECS, MAX_SECS),
    ] {
        let lines = u32::try_from(lines).expect("MAX_LINES fits tail.max_lines (u32)");
        for resume_at in [
            None,
            Some(FilePos {
                dev: 0,
                inode: 0,
                offset: 0,
            }),
            Some(FilePos {
                dev: u64::MAX,
                inode: 131_074,
                offset: u64::MAX,
            }),
        ] {
            let argv = follow_argv(BIN, CONFIG, lines, max_duration, idle_exit, resume_at, PATH);
            assert_eq!(argv[0], BIN);
            let f = follow(&argv);
            assert_eq!(f.config, PathBuf::from(CONFIG));
            assert_eq!(f.lines, u64::from(lines));
            assert_eq!(f.max_duration, max_duration);
            assert_eq!(f.idle_exit, idle_exit);
            assert_eq!(f.resume_at, resume_at);
            assert_eq!(f.path, PathBuf::from(PATH));
        }
    }
}

#[test]
fn stop_reads_back_the_config_and_path() {
    for replacing in [false, true] {
        let s = stop(&stop_argv(BIN, CONFIG, replacing, PATH));
        assert_eq!(s.replacing, replacing);
        assert_eq!(s.path, PathBuf::from(PATH));
    }
    let s = stop(&stop_argv(BIN, CONFIG, false, PATH));
    assert_eq!(s.config, PathBuf::from(CONFIG));
    assert_eq!(s.path, PathBuf::from(PATH));
}

#[test]
fn exec_passes_the_program_argv_verbatim_even_when_it_looks_like_options() {
    for program in [
        vec!["/usr/bin/uptime"],
        vec!["/bin/df", "-h", "--total"],
        vec![
            "/usr/bin/journal-ctl",
            "--help",
            "-n",
            "--",
            "--version",
            "--stream",
            "x",
        ],
        vec!["/bin/echo", "-", "", "a b", "--lines=5"],
    ] {
        let program: Vec<String> = program.into_iter().map(String::from).collect();
        for timeout in [1, 20, MAX_SECS] {
            let e = exec(&exec_argv(BIN, CONFIG, STREAM, timeout, &program));
            assert_eq!(e.config, PathBuf::from(CONFIG));
            assert_eq!(e.stream, STREAM);
            assert_eq!(e.timeout, timeout);
            let want: Vec<OsString> = program.iter().map(OsString::from).collect();
            assert_eq!(e.argv, want, "program argv changed on the way");
        }
    }
}

fn settings() -> Settings {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
    Settings::load_with_env(&[file], []).expect("settings.toml loads")
}

/// The backlog rule end to end: `line_count=0` at the API becomes a request
/// of 0 lines; without a shared backlog (`tail.shared_backlog_lines = 0`)
/// the follow call carries `--lines 0`, and logtail reads 0. With the
/// default, the tailer writes `shared_backlog_lines` and the ticket skips them.
#[test]
fn line_count_zero_from_the_api_reaches_logtail_as_lines_zero() {
    let mut s = settings();
    let req = TailRequest::from_raw(&s, "web-01", "/var/log/app/x.log", Some("0"))
        .expect("0 is a valid line_count");
    let lines = req.line_count;
    assert_eq!(lines.get(), 0);
    assert_eq!(
        backlog_depth(&s, lines),
        s.tail.max_lines,
        "the default depth"
    );
    s.tail.shared_backlog_lines = 0;
    let call = SaltCall::Follow {
        minions: vec![req.minion.clone()],
        path: req.path.clone(),
        lines: backlog_depth(&s, lines),
        max_duration_secs: s.tail.max_duration_secs,
        idle_exit_secs: s.tail.idle_exit_secs,
        resume_at: None,
    };
    let argv = call.argv(&s).expect("argv").expect("follow runs logtail");
    let at = argv.iter().position(|a| a == "--lines").expect("--lines");
    assert_eq!(argv[at + 1], "0");
    let f = follow(&argv);
    assert_eq!(f.lines, 0);
    assert_eq!(f.path, PathBuf::from("/var/log/app/x.log"));
}

/// Every call logview's settings can produce parses: the commands of
/// `settings.toml` and the configured follow bounds.
#[test]
fn every_call_built_from_the_settings_parses() {
    let s = settings();
    let minion = MinionId::parse("web-01").expect("id");
    let path = LogPath::parse("/var/log/app/x.log", &s.tail.allowed_paths).expect("path");
    let stop_call = SaltCall::Stop {
        minions: vec![minion.clone()],
        path: path.clone(),
        replacing: true,
    };
    let argv = stop_call
        .argv(&s)
        .expect("argv")
        .expect("stop runs logtail");
    assert_eq!(stop(&argv).path, PathBuf::from(path.as_str()));
    let follow_call = SaltCall::Follow {
        minions: vec![minion.clone()],
        path: path.clone(),
        lines: s.tail.max_lines,
        max_duration_secs: s.tail.max_duration_secs,
        idle_exit_secs: s.tail.idle_exit_secs,
        resume_at: None,
    };
    let argv = follow_call
        .argv(&s)
        .expect("argv")
        .expect("follow runs logtail");
    let f = follow(&argv);
    assert_eq!(f.lines, u64::from(s.tail.max_lines));
    assert_eq!(
        (f.max_duration, f.idle_exit),
        (s.tail.max_duration_secs, s.tail.idle_exit_secs)
    );
    assert!(!s.commands.is_empty(), "settings.toml defines commands");
    for (name, cmd) in &s.commands {
        let call = SaltCall::Exec {
            minion: minion.clone(),
            command: name.clone(),
            run_id: "0123456789abcdef".into(),
        };
        let argv = call.argv(&s).expect("argv").expect("exec runs logtail");
        let e = exec(&argv);
        assert_eq!(e.timeout, cmd.timeout_secs, "[commands.{name}]");
        let want: Vec<OsString> = cmd.argv.iter().map(OsString::from).collect();
        assert_eq!(e.argv, want, "[commands.{name}]");
    }
}
