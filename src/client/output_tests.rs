use std::borrow::Cow;
use std::collections::BTreeMap;

use super::*;

fn lines(fd: Option<u8>, l: &[&str]) -> Message<'static> {
    Message::Lines {
        id: "1-0".into(),
        lines: Cow::Owned(l.iter().map(|s| s.to_string()).collect()),
        fd,
        cut: 0,
    }
}

fn event(name: &str, fields: &[(&str, &str)]) -> Message<'static> {
    let fields: BTreeMap<String, String> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Message::Event {
        id: "2-0".into(),
        event: Cow::Owned(name.into()),
        message: Cow::Owned(format!("the {name} sentence")),
        fields: Cow::Owned(fields),
    }
}

fn render(opts: OutputOptions, msgs: &[Message<'static>]) -> (String, String, Vec<Flow>) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut r = Renderer::new(opts, &mut out, &mut err);
    let flows = msgs
        .iter()
        .map(|m| r.show(None, m).expect("writes"))
        .collect();
    drop(r);
    (
        String::from_utf8(out).expect("utf8"),
        String::from_utf8(err).expect("utf8"),
        flows,
    )
}

#[test]
fn piped_output_has_only_log_lines_without_escapes_and_markers_go_to_stderr() {
    let (out, err, flows) = render(
        OutputOptions::default(),
        &[
            event("started", &[]),
            lines(None, &["\x1b[31mred\x1b[0m plain", "x\x1b]0;title\x07y\tz"]),
            Message::slow_client(3),
            event("stopped", &[("reason", "idle")]),
        ],
    );
    assert_eq!(out, "red plain\nxy\tz\n");
    assert_eq!(
        err,
        "--- started: the started sentence\n--- dropped 3 lines (slow client)\n--- stopped: the stopped sentence\n"
    );
    assert_eq!(flows.last(), Some(&Flow::Stop(0)));
}

#[test]
fn on_a_terminal_colours_are_kept_other_escapes_removed_and_raw_keeps_all() {
    let tty = OutputOptions {
        color_out: true,
        ..OutputOptions::default()
    };
    let (out, _, _) = render(tty, &[lines(None, &["\x1b[1;31mred\x1b[0m\x1b[2J"])]);
    assert_eq!(out, "\x1b[1;31mred\x1b[0m\n");
    let raw = OutputOptions {
        raw: true,
        ..OutputOptions::default()
    };
    let (out, _, _) = render(raw, &[lines(None, &["\x1b[2Jx"])]);
    assert_eq!(out, "\x1b[2Jx\n");
}

#[test]
fn grep_matches_the_text_without_escapes() {
    let opts = OutputOptions {
        grep: Some(Regex::new("^err(or)? ").expect("regex")),
        ..OutputOptions::default()
    };
    let (out, _, _) = render(
        opts,
        &[lines(
            None,
            &["error one", "\x1b[31merr two\x1b[0m", "fine"],
        )],
    );
    assert_eq!(out, "error one\nerr two\n");
}

#[test]
fn a_command_exits_with_its_status_and_its_stderr_goes_to_stderr() {
    let cmd = || OutputOptions {
        command: true,
        ..OutputOptions::default()
    };
    let (out, err, flows) = render(
        cmd(),
        &[
            lines(Some(1), &["/"]),
            lines(Some(2), &["ls: cannot access"]),
            event("exit", &[("status", "2")]),
            event("stopped", &[("reason", "finished")]),
        ],
    );
    assert_eq!(out, "/\n");
    assert!(
        err.starts_with("ls: cannot access\n--- exit status 2\n"),
        "{err}"
    );
    assert_eq!(flows.last(), Some(&Flow::Stop(2)));
    let (_, _, flows) = render(
        cmd(),
        &[
            event("exit", &[("status", "signal 9")]),
            event("stopped", &[("reason", "timeout")]),
        ],
    );
    assert_eq!(flows.last(), Some(&Flow::Stop(137)));
    let (_, _, flows) = render(
        OutputOptions::default(),
        &[event("stopped", &[("reason", "error")])],
    );
    assert_eq!(flows.last(), Some(&Flow::Stop(EXIT_STREAM_ERROR)));
}

#[test]
fn a_replaced_tailer_is_not_the_end_the_successor_continues() {
    let (out, _err, flows) = render(
        OutputOptions::default(),
        &[
            lines(None, &["before"]),
            event("stopped", &[("reason", "replaced")]),
            event("started", &[("resumed", "1")]),
            lines(None, &["after"]),
        ],
    );
    assert_eq!(out, "before\nafter\n");
    assert!(flows.iter().all(|f| *f == Flow::Continue), "{flows:?}");
}

fn render_fleet(
    opts: OutputOptions,
    members: &[&str],
    msgs: &[(&str, Message<'static>)],
) -> (String, String, Vec<Flow>) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
    let mut r = Renderer::new(opts, &mut out, &mut err).fleet(&members);
    let flows = msgs
        .iter()
        .map(|(minion, m)| r.show(Some(minion), m).expect("writes"))
        .collect();
    drop(r);
    (
        String::from_utf8(out).expect("utf8"),
        String::from_utf8(err).expect("utf8"),
        flows,
    )
}

#[test]
fn a_fleet_prefixes_each_line_with_its_minion_and_ends_when_every_member_stopped() {
    let opts = OutputOptions {
        grep: Some(Regex::new("^keep").expect("regex")),
        ..OutputOptions::default()
    };
    let (out, err, flows) = render_fleet(
        opts,
        &["web-1", "web-02"],
        &[
            ("web-02", lines(None, &["keep a", "drop b"])),
            ("web-1", lines(None, &["keep c"])),
            ("web-1", event("stopped", &[("reason", "idle")])),
            ("web-02", Message::slow_client(2)),
            ("web-02", lines(None, &["keep d"])),
            ("web-02", event("stopped", &[("reason", "error")])),
        ],
    );
    // The column is as wide as the longest member id; --grep sees the line, not the prefix.
    assert_eq!(out, "web-02 | keep a\nweb-1  | keep c\nweb-02 | keep d\n");
    assert_eq!(
        err,
        "--- web-1: stopped: the stopped sentence\n--- web-02: dropped 2 lines (slow client)\n--- web-02: stopped: the stopped sentence\n"
    );
    assert_eq!(flows[2], Flow::Continue, "web-02 still runs");
    assert_eq!(
        flows.last(),
        Some(&Flow::Stop(EXIT_STREAM_ERROR)),
        "the worst end of the members"
    );
}

#[test]
fn a_fleets_minion_is_coloured_only_on_a_terminal() {
    let tty = OutputOptions {
        color_out: true,
        ..OutputOptions::default()
    };
    let (out, _, _) = render_fleet(tty, &["web-01"], &[("web-01", lines(None, &["x"]))]);
    assert!(
        out.starts_with("\x1b[") && out.ends_with("web-01\x1b[0m | x\n"),
        "{out:?}"
    );
    let (out, _, _) = render_fleet(
        OutputOptions::default(),
        &["web-01"],
        &[("web-01", lines(None, &["x"]))],
    );
    assert_eq!(out, "web-01 | x\n");
}
