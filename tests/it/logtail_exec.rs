//! logtail exec: stdout and stderr tagged and in order, the exit status,
//! `--timeout` killing the whole process group, SIGTERM stopping the command.

use std::process::Command;

use salt_logview::wire::{self, Entry, EventKind};

use crate::logtail_harness::{wait_until, Env, Tailer, MINION};

fn exec_cmd(env: &Env, stream: &str, timeout: u64, argv: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_logtail"));
    c.arg("exec")
        .arg("--config")
        .arg(&env.config)
        .args(["--stream", stream, "--timeout", &timeout.to_string(), "--"])
        .args(argv);
    c
}

fn stream(run: &str) -> String {
    wire::command_stream_key(wire::DEFAULT_PREFIX, MINION, "test", run)
}

/// (fd, line) of every line entry.
fn tagged(env: &Env, stream: &str) -> Vec<(u8, String)> {
    env.entries(stream)
        .into_iter()
        .flat_map(|e| match e {
            Entry::Lines { lines, fd, .. } => {
                let fd = fd.expect("exec lines carry fd");
                lines.into_iter().map(|l| (fd, l)).collect()
            }
            Entry::Event(_) => Vec::new(),
        })
        .collect()
}

fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie waiting for an uninterested reaper is dead too.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn stdout_and_stderr_are_tagged_in_order_and_the_exit_status_is_reported() {
    let env = Env::new();
    let s = stream("0000000000000001");
    let gate = env.dir.path().join("gate");
    // The script waits for the test to see each line before writing the
    // next: the interleaving is deterministic, not a matter of timing.
    let script = format!(
        "for i in 1 2 3; do echo out$i; while [ ! -e {g}.o$i ]; do sleep 0.01; done; \
         echo err$i >&2; while [ ! -e {g}.e$i ]; do sleep 0.01; done; done; printf 'no newline'; exit 3",
        g = gate.display()
    );
    let mut t = Tailer::spawn(exec_cmd(&env, &s, 60, &["/bin/sh", "-c", &script]));
    for i in 1..=3 {
        for (fd, tag) in [(1u8, "o"), (2, "e")] {
            let want = (fd, format!("{}{i}", if fd == 1 { "out" } else { "err" }));
            wait_until(&format!("{want:?}"), || tagged(&env, &s).contains(&want));
            std::fs::write(format!("{}.{tag}{i}", gate.display()), b"").expect("gate");
        }
    }
    assert!(t.wait_exit().success(), "logtail exec itself succeeds");
    let got = tagged(&env, &s);
    let want: Vec<(u8, String)> = vec![
        (1, "out1".into()),
        (2, "err1".into()),
        (1, "out2".into()),
        (2, "err2".into()),
        (1, "out3".into()),
        (2, "err3".into()),
        (1, "no newline".into()),
    ];
    assert_eq!(got, want);
    let events = env.events(&s);
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Started, EventKind::Exit, EventKind::Stopped]
    );
    assert_eq!(events[0].get("program"), Some("/bin/sh"));
    assert_eq!(events[1].get("status"), Some("3"));
    assert_eq!(events[2].get("reason"), Some("finished"));
}

#[test]
fn the_timeout_kills_the_whole_process_group() {
    let env = Env::new();
    let s = stream("0000000000000002");
    // A grandchild in the background, its pid on stdout, then wait forever.
    let mut t = Tailer::spawn(exec_cmd(
        &env,
        &s,
        1,
        &["/bin/sh", "-c", "sleep 1000 & echo $!; wait"],
    ));
    assert!(t.wait_exit().success());
    let lines = tagged(&env, &s);
    let grandchild: i32 = lines
        .first()
        .expect("pid line")
        .1
        .trim()
        .parse()
        .expect("pid");
    wait_until("the grandchild to be gone", || gone(grandchild));
    let events = env.events(&s);
    let exit = events
        .iter()
        .find(|e| e.kind == EventKind::Exit)
        .expect("exit event");
    assert!(
        exit.get("status").is_some_and(|s| s.starts_with("signal")),
        "{exit:?}"
    );
    let stopped = events.last().expect("events");
    assert_eq!(
        (stopped.kind, stopped.get("reason")),
        (EventKind::Stopped, Some("timeout"))
    );
}

#[test]
fn sigterm_to_logtail_stops_the_command() {
    let env = Env::new();
    let s = stream("0000000000000003");
    let mut t = Tailer::spawn(exec_cmd(
        &env,
        &s,
        0,
        &["/bin/sh", "-c", "echo $$; exec sleep 1000"],
    ));
    let mut pid = 0;
    wait_until("the command's pid", || {
        if let Some((_, l)) = tagged(&env, &s).first() {
            pid = l.trim().parse().expect("pid");
        }
        pid > 0
    });
    t.signal(libc::SIGTERM);
    assert!(t.wait_exit().success());
    wait_until("the command to be gone", || gone(pid));
    let ev = env.wait_event(&s, EventKind::Stopped);
    assert_eq!(ev.get("reason"), Some("signal"));
}

#[test]
fn a_program_that_cannot_run_is_reported() {
    let env = Env::new();
    let s = stream("0000000000000004");
    let out = exec_cmd(&env, &s, 5, &["/nonexistent/program"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let ev = env.wait_event(&s, EventKind::Stopped);
    assert_eq!(ev.get("reason"), Some("error"));
    assert!(
        ev.message.contains("/nonexistent/program"),
        "{}",
        ev.message
    );
}
