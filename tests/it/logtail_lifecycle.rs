//! logtail's lifetime and refusals: allow-list (and a symlink out of it),
//! missing file, Redis unreachable at start, one tailer per path (takeover),
//! `stop`, lease expiry (idle exit), max duration, SIGTERM.

use std::process::Command;

use salt_logview::wire::{self, EventKind};

use crate::logtail_harness::{append, Env, Tailer};

fn status_code(mut cmd: Command) -> (i32, String) {
    let out = cmd.output().expect("run logtail");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_path_outside_the_allow_list_is_refused_with_exit_3_and_a_stopped_event() {
    let env = Env::new();
    let outside = env
        .dir
        .path()
        .canonicalize()
        .expect("dir")
        .join("secret.log");
    append(&outside, b"secret\n");
    let (code, err) = status_code(env.follow_cmd(&outside, 10, 0, 0));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("not allowed") && err.contains("secret.log"),
        "{err}"
    );
    assert!(
        err.contains("allowed_paths"),
        "the message names the allow-list: {err}"
    );
    let stream = env.stream(&outside);
    let ev = env.wait_event(&stream, EventKind::Stopped);
    assert_eq!(ev.get("reason"), Some("error"));
    assert!(
        env.lines(&stream).is_empty(),
        "nothing of the file is published"
    );
}

#[test]
fn a_symlink_pointing_out_of_the_allow_list_is_refused() {
    let env = Env::new();
    let outside = env.dir.path().canonicalize().expect("dir").join("shadow");
    append(&outside, b"root:x\n");
    let link = env.log("innocent.log");
    std::os::unix::fs::symlink(&outside, &link).expect("symlink");
    let (code, err) = status_code(env.follow_cmd(&link, 10, 0, 0));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("shadow"),
        "the message shows where the link resolves: {err}"
    );
    assert!(env.lines(&env.stream(&link)).is_empty());
}

#[test]
fn a_missing_file_is_exit_4_and_a_given_stream_or_no_minion_id_is_exit_2() {
    let env = Env::new();
    let (code, err) = status_code(env.follow_cmd(&env.log("nope.log"), 10, 0, 0));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("nope.log"), "{err}");

    let path = env.log("app.log");
    append(&path, b"x\n");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logtail"));
    cmd.arg("follow")
        .arg("--config")
        .arg(&env.config)
        .args([
            "--stream",
            "logs:{ba}:test-minion:/var/log/other.log",
            "--lines",
            "1",
            "--max-duration",
            "0",
            "--idle-exit",
            "0",
        ])
        .arg(&path);
    // The key is the config's minion_id + the path: nobody can name another.
    let (code, err) = status_code(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--stream"), "{err}");

    // A config without minion_id cannot follow: exit 2, said on stderr.
    let text = std::fs::read_to_string(&env.config).expect("config");
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("minion_id"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&env.config, without).expect("write");
    let (code, err) = status_code(env.follow_cmd(&path, 1, 0, 0));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("minion_id"), "{err}");
}

#[test]
fn redis_unreachable_at_start_is_exit_5_without_the_password() {
    let mut env = Env::new();
    let path = env.log("app.log");
    append(&path, b"x\n");
    env.redis.kill();
    let (code, err) = status_code(env.follow_cmd(&path, 1, 0, 0));
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("redis unreachable"), "{err}");
    assert!(
        !err.contains("tailer-test-pass"),
        "never print the password: {err}"
    );
}

#[test]
fn a_second_follow_takes_over_and_the_first_stops_with_replaced() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"one\n");
    let mut first = env.follow(&path, 1);
    let mut second = env.follow(&path, 1);
    assert!(first.wait_exit().success());
    let stream = env.stream(&path);
    let events = env.events(&stream);
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Started, EventKind::Stopped, EventKind::Started]
    );
    assert_eq!(events[1].get("reason"), Some("replaced"));
    assert_eq!(
        events[2].get("pid"),
        Some(second.pid().to_string().as_str())
    );
    assert!(second.running(), "exactly one tailer is left");
    append(&path, b"two\n");
    env.wait_until("the new tailer publishes", || {
        env.lines(&stream).last().map(String::as_str) == Some("two")
    });
    // The owner key names the survivor.
    let owner: String = redis::cmd("GET")
        .arg(wire::owner_key(&stream))
        .query(&mut env.redis.admin())
        .expect("owner key");
    assert!(owner.contains(&format!(" {} ", second.pid())), "{owner}");
}

#[test]
fn stop_stops_the_tailer_and_succeeds_when_none_runs() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"x\n");
    let mut t = env.follow(&path, 1);
    let out = env.stop(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t.wait_exit().success());
    let stream = env.stream(&path);
    let ev = env.wait_event(&stream, EventKind::Stopped);
    assert_eq!(ev.get("reason"), Some("stop-command"));
    // Stopped: the stream expires, the owner key is gone.
    let mut con = env.redis.admin();
    let ttl: i64 = redis::cmd("TTL").arg(&stream).query(&mut con).expect("TTL");
    assert!(ttl > 0 && ttl <= 3600, "stream TTL {ttl}");
    let owner: bool = redis::cmd("EXISTS")
        .arg(wire::owner_key(&stream))
        .query(&mut con)
        .expect("EXISTS");
    assert!(!owner);
    // Nothing runs now: stop still succeeds.
    let out = env.stop(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_tailer_exits_idle_after_the_lease_is_gone_but_not_while_it_lives() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"x\n");
    let stream = env.stream(&path);
    let lease = wire::lease_key(&stream);
    // A viewer is watching: the lease is there for 4 s, refreshed below.
    let mut viewer = redis::Client::open(env.redis.logview_url())
        .expect("url")
        .get_connection()
        .expect("logview connection");
    let set_lease = |con: &mut redis::Connection| {
        let _: () = redis::cmd("SET")
            .arg(&lease)
            .arg("viewer")
            .arg("PX")
            .arg(4000)
            .query(con)
            .expect("SET lease");
    };
    set_lease(&mut viewer);
    let mut t = Tailer::spawn(env.follow_cmd(&path, 1, 0, 2));
    env.wait_event(&stream, EventKind::Started);
    // Keep the lease alive until the tailer has demonstrably lived through
    // several lease checks (idle_exit 2 s → a check per second).
    for i in 0..6 {
        set_lease(&mut viewer);
        append(&path, format!("alive {i}\n").as_bytes());
        env.wait_until("the line", || {
            env.lines(&stream).contains(&format!("alive {i}"))
        });
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(
        t.running(),
        "the tailer must not exit while the lease lives"
    );
    // The viewer leaves: the lease expires, the tailer follows.
    assert!(t.wait_exit().success());
    let ev = env.wait_event(&stream, EventKind::Stopped);
    assert_eq!(ev.get("reason"), Some("idle"));
}

#[test]
fn max_duration_stops_the_tailer() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"x\n");
    let mut t = Tailer::spawn(env.follow_cmd(&path, 1, 1, 0));
    assert!(t.wait_exit().success());
    let ev = env.wait_event(&env.stream(&path), EventKind::Stopped);
    assert_eq!(ev.get("reason"), Some("max-duration"));
}

#[test]
fn sigterm_flushes_and_exits_0_with_reason_signal() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"x\n");
    let mut t = env.follow(&path, 1);
    t.signal(libc::SIGTERM);
    assert!(t.wait_exit().success());
    let stream = env.stream(&path);
    let ev = env.wait_event(&stream, EventKind::Stopped);
    assert_eq!(ev.get("reason"), Some("signal"));
    assert_eq!(env.lines(&stream), ["x"]);
}

#[test]
fn version_and_usage_errors_have_their_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_logtail"))
        .arg("--version")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("logtail {}", env!("CARGO_PKG_VERSION"))
    );
    let out = Command::new(env!("CARGO_BIN_EXE_logtail"))
        .args(["follow", "--config", "/nonexistent", "--lines", "x", "/p"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stop_finds_a_tailer_whose_file_is_missing() {
    let env = Env::new();
    let path = env.log("gone.log");
    append(&path, b"x\n");
    let mut t = env.follow(&path, 1);
    std::fs::remove_file(&path).expect("rm");
    let stream = env.stream(&path);
    env.wait_event(&stream, EventKind::Missing);
    let out = env.stop(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t.wait_exit().success());
    assert_eq!(
        env.wait_event(&stream, EventKind::Stopped).get("reason"),
        Some("stop-command")
    );
}
