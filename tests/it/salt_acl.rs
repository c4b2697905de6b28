//! The `logview` eauth user's Salt ACL against the real salt-api: it may make
//! exactly the four calls of docs/salt-acl.md and nothing near them.
//!
//! Every denial is derived from a legitimate call (which must pass) by changing
//! one thing, so a deny-everything ACL fails these tests too.

use serde_json::{json, Value};

use crate::support::salt_api::{assert_allowed, assert_denied, chunk, pins, run, User};
use crate::support::stack::stack;

/// A log file under the stack's LOG_DIR that no other test tails (it need not
/// exist: the ACL checks the argv, logtail itself then reports it missing).
fn probe_path(name: &str) -> String {
    format!("{}/acl-probe-{name}.log", stack().get("LOG_DIR"))
}

/// `logtail follow` argv exactly as the service sends it (docs/salt-acl.md,
/// call 3): no stream key, the same on every minion of a list.
fn follow_argv(config: &str, path: &str) -> Value {
    json!([
        stack().get("LOGTAIL_BIN"),
        "follow",
        "--config",
        config,
        "--lines",
        "1",
        "--max-duration",
        "1",
        "--idle-exit",
        "1",
        path
    ])
}

fn legit_follow(path: &str) -> Value {
    let config = stack().get("LOGTAIL_CONFIG");
    chunk(
        "cmd.run_bg",
        json!([follow_argv(config, path)]),
        Some(pins()),
    )
}

/// The argv of the first `[commands.*]` of settings.toml and its name.
fn allowed_command() -> (String, Vec<String>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/settings.toml"))
        .expect("settings.toml is part of the repository");
    let settings: toml::Table = toml::from_str(&text).expect("settings.toml parses");
    let commands = settings["commands"]
        .as_table()
        .expect("settings.toml has [commands.*]");
    let (name, command) = commands
        .iter()
        .next()
        .expect("settings.toml has at least one command");
    let argv = command["argv"]
        .as_array()
        .expect("commands.*.argv is an array")
        .iter()
        .map(|a| a.as_str().expect("argv elements are strings").to_owned())
        .collect();
    (name.clone(), argv)
}

/// `logtail exec` chunk for `name` running `argv` (docs/salt-acl.md, call 4).
fn exec_chunk(name: &str, argv: &[String]) -> Value {
    let s = stack();
    let stream = salt_logview::wire::command_stream_key(
        salt_logview::wire::DEFAULT_PREFIX,
        s.get("MINION_ID"),
        name,
        "0123456789abcdef",
    );
    let mut full = vec![
        json!(s.get("LOGTAIL_BIN")),
        json!("exec"),
        json!("--config"),
        json!(s.get("LOGTAIL_CONFIG")),
        json!("--stream"),
        json!(stream),
        json!("--timeout"),
        json!("5"),
        json!("--"),
    ];
    full.extend(argv.iter().map(|a| json!(a)));
    chunk("cmd.run_bg", json!([full]), Some(pins()))
}

#[tokio::test]
async fn logview_may_check_that_an_allowed_file_exists() {
    let s = stack();
    let present = format!("{}/app.log", s.get("LOG_DIR"));
    let reply = run(
        User::Logview,
        chunk("file.file_exists", json!([present]), None),
    )
    .await;
    assert_allowed(&reply, "logview: file.file_exists LOG_DIR/app.log");
    assert_eq!(reply.minion(s.get("MINION_ID"))["ret"], true);
    let reply = run(
        User::Logview,
        chunk("file.file_exists", json!([probe_path("absent")]), None),
    )
    .await;
    assert_allowed(&reply, "logview: file.file_exists of a missing file");
    assert_eq!(reply.minion(s.get("MINION_ID"))["ret"], false);
}

#[tokio::test]
async fn logview_may_launch_follow_stop_and_an_allow_listed_command() {
    let s = stack();
    let path = probe_path("legit");
    let reply = run(User::Logview, legit_follow(&path)).await;
    assert_allowed(&reply, "logview: cmd.run_bg logtail follow");
    assert!(
        reply.minion(s.get("MINION_ID"))["ret"]["pid"].is_u64(),
        "no pid: {reply:?}"
    );

    let stop = json!([[
        s.get("LOGTAIL_BIN"),
        "stop",
        "--config",
        s.get("LOGTAIL_CONFIG"),
        path
    ]]);
    let reply = run(User::Logview, chunk("cmd.run_all", stop, Some(pins()))).await;
    assert_allowed(&reply, "logview: cmd.run_all logtail stop");

    let (name, argv) = allowed_command();
    let reply = run(User::Logview, exec_chunk(&name, &argv)).await;
    assert_allowed(
        &reply,
        "logview: cmd.run_bg logtail exec of an allow-listed command",
    );
}

/// The follow argv with `--resume-at VALUE` before the path.
fn resumed_follow(path: &str, value: &str) -> Value {
    let config = stack().get("LOGTAIL_CONFIG");
    let mut argv = follow_argv(config, path);
    if let Some(a) = argv.as_array_mut() {
        let at = a.len() - 1;
        a.splice(at..at, [json!("--resume-at"), json!(value)]);
    }
    chunk("cmd.run_bg", json!([argv]), Some(pins()))
}

#[tokio::test]
async fn logview_may_resume_a_follow_and_stop_for_a_successor_and_nothing_near_them() {
    let s = stack();
    // A position that is not the file's: logtail falls back to the backlog.
    let path = probe_path("resume");
    let reply = run(User::Logview, resumed_follow(&path, "1:2:3")).await;
    assert_allowed(&reply, "logview: cmd.run_bg logtail follow --resume-at");
    let stop = json!([[
        s.get("LOGTAIL_BIN"),
        "stop",
        "--config",
        s.get("LOGTAIL_CONFIG"),
        path
    ]]);
    let reply = run(User::Logview, chunk("cmd.run_all", stop, Some(pins()))).await;
    assert_allowed(&reply, "logview: cmd.run_all logtail stop");
    let replacing = json!([[
        s.get("LOGTAIL_BIN"),
        "stop",
        "--config",
        s.get("LOGTAIL_CONFIG"),
        "--replacing",
        &path
    ]]);
    let reply = run(User::Logview, chunk("cmd.run_all", replacing, Some(pins()))).await;
    assert_allowed(&reply, "logview: cmd.run_all logtail stop --replacing");
    for flag in ["--replace", "--replacing=1"] {
        let near = json!([[
            s.get("LOGTAIL_BIN"),
            "stop",
            "--config",
            s.get("LOGTAIL_CONFIG"),
            flag,
            &path
        ]]);
        let reply = run(User::Logview, chunk("cmd.run_all", near, Some(pins()))).await;
        assert_denied(&reply, &format!("stop {flag}"));
    }
    for bad in [
        "1:2",
        "1:2:3:4",
        "-1:2:3",
        "1:2:3 /etc/shadow",
        "/var/log/x",
        "",
    ] {
        let reply = run(User::Logview, resumed_follow(&path, bad)).await;
        assert_denied(&reply, &format!("--resume-at {bad:?}"));
    }
    // The flag after the path, or without its value.
    let config = s.get("LOGTAIL_CONFIG");
    let mut after = follow_argv(config, &path);
    let mut bare = after.clone();
    if let (Some(a), Some(b)) = (after.as_array_mut(), bare.as_array_mut()) {
        a.extend([json!("--resume-at"), json!("1:2:3")]);
        let at = b.len() - 1;
        b.insert(at, json!("--resume-at"));
    }
    for argv in [after, bare] {
        let reply = run(
            User::Logview,
            chunk("cmd.run_bg", json!([argv]), Some(pins())),
        )
        .await;
        assert_denied(&reply, "--resume-at out of place");
    }
}

#[tokio::test]
async fn logview_is_denied_state_apply() {
    let reply = run(
        User::Logview,
        chunk("state.apply", json!(["logtail"]), None),
    )
    .await;
    assert_denied(&reply, "logview: state.apply logtail");
}

#[tokio::test]
async fn logview_is_denied_a_shell_through_cmd_run_bg() {
    let reply = run(
        User::Logview,
        chunk("cmd.run_bg", json!([["/bin/sh", "-c", "id"]]), Some(pins())),
    )
    .await;
    assert_denied(&reply, "logview: cmd.run_bg [/bin/sh, -c, id]");
    // The same follow argv through cmd.run (not run_bg) is not one of the four calls.
    let mut call = legit_follow(&probe_path("fun"));
    call["fun"] = json!("cmd.run");
    assert_denied(
        &run(User::Logview, call).await,
        "logview: follow argv through cmd.run",
    );
}

#[tokio::test]
async fn logview_is_denied_follow_with_another_config() {
    let path = probe_path("config");
    let call = chunk(
        "cmd.run_bg",
        json!([follow_argv("/tmp/evil.toml", &path)]),
        Some(pins()),
    );
    assert_denied(
        &run(User::Logview, call).await,
        "logview: follow --config /tmp/evil.toml",
    );
}

#[tokio::test]
async fn logview_is_denied_paths_with_dot_dot() {
    let s = stack();
    let escape = format!("{}/../secrets/api.token", s.get("LOG_DIR"));
    assert_denied(
        &run(User::Logview, legit_follow(&escape)).await,
        "logview: follow of a .. path",
    );
    let reply = run(
        User::Logview,
        chunk(
            "file.file_exists",
            json!(["/var/log/../../etc/shadow"]),
            None,
        ),
    )
    .await;
    assert_denied(
        &reply,
        "logview: file.file_exists /var/log/../../etc/shadow",
    );
    let stop = json!([[
        s.get("LOGTAIL_BIN"),
        "stop",
        "--config",
        s.get("LOGTAIL_CONFIG"),
        escape
    ]]);
    assert_denied(
        &run(User::Logview, chunk("cmd.run_all", stop, Some(pins()))).await,
        "logview: stop of a .. path",
    );
}

#[tokio::test]
async fn logview_is_denied_a_follow_that_names_a_stream_and_allowed_one_over_a_list() {
    let path = probe_path("stream");
    // The old argv with --stream KEY before --lines: a neighbour, denied.
    let mut named = follow_argv(stack().get("LOGTAIL_CONFIG"), &path);
    if let Some(a) = named.as_array_mut() {
        a.splice(
            4..4,
            [json!("--stream"), json!(format!("logs:web-01:{path}"))],
        );
    }
    let call = chunk("cmd.run_bg", json!([named]), Some(pins()));
    assert_denied(
        &run(User::Logview, call).await,
        "logview: follow naming its --stream",
    );
    // One follow for a list of minions (the fleet start) passes the ACL
    // (web-03 left out: only the FLEET-locked tests may find it stopped).
    let mut listed = legit_follow(&path);
    listed["tgt"] = json!(["web-01", "web-02"]);
    assert_allowed(
        &run(User::Logview, listed).await,
        "logview: cmd.run_bg logtail follow over a list of minions",
    );
}

#[tokio::test]
async fn logview_is_denied_calls_without_every_pin() {
    let path = probe_path("pins");
    let mut only_shell = legit_follow(&path);
    only_shell["kwarg"] = json!({"python_shell": false});
    assert_denied(
        &run(User::Logview, only_shell).await,
        "logview: follow with only python_shell pinned",
    );
    for (key, value) in [
        ("runas", json!("nobody")),
        ("cwd", json!("/tmp")),
        ("env", json!({"LD_PRELOAD": "/x.so"})),
        ("template", json!("jinja")),
        ("python_shell", json!(true)),
    ] {
        let mut call = legit_follow(&path);
        call["kwarg"][key] = value;
        assert_denied(
            &run(User::Logview, call).await,
            &format!("logview: follow with {key} changed"),
        );
    }
    let mut no_kwargs = legit_follow(&path);
    no_kwargs
        .as_object_mut()
        .expect("a chunk is an object")
        .remove("kwarg");
    assert_denied(
        &run(User::Logview, no_kwargs).await,
        "logview: follow without kwargs",
    );
}

#[tokio::test]
async fn logview_is_denied_commands_outside_the_allow_list() {
    let (name, mut argv) = allowed_command();
    argv.push("--and-more".to_owned());
    assert_denied(
        &run(User::Logview, exec_chunk(&name, &argv)).await,
        "logview: exec with an extra argument",
    );
    let shell = ["/bin/sh".to_owned(), "-c".to_owned(), "id".to_owned()];
    assert_denied(
        &run(User::Logview, exec_chunk(&name, &shell)).await,
        "logview: exec of a shell",
    );
}
