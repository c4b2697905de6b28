//! The Salt side of the real test stack: logtail is distributed by applying the
//! `logtail` state through salt-api as `deploy`, and the `logview` eauth user
//! can make exactly the calls of the team contract and nothing near them.
//!
//! Every denial is paired with the legitimate call it was derived from (which
//! must pass), so a deny-everything ACL fails these tests too.

use std::os::unix::fs::PermissionsExt;

use serde_json::{json, Value};

use crate::support::salt_api::{chunk, pins, run, Reply, User};
use crate::support::stack::stack;

/// A log file under the stack's LOG_DIR that no other test tails (it need not
/// exist: the ACL checks the argv, logtail itself then reports it missing).
fn probe_path(name: &str) -> String {
    format!("{}/acl-probe-{name}.log", stack().get("LOG_DIR"))
}

fn stream_for(path: &str) -> String {
    format!("logs:{}:{path}", stack().get("MINION_ID"))
}

/// `logtail follow` argv exactly as the service sends it (contract, call 3).
fn follow_argv(config: &str, stream: &str, path: &str) -> Value {
    json!([
        stack().get("LOGTAIL_BIN"),
        "follow",
        "--config",
        config,
        "--stream",
        stream,
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
        json!([follow_argv(config, &stream_for(path), path)]),
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

/// `logtail exec` chunk for `name` running `argv` (contract, call 4).
fn exec_chunk(name: &str, argv: &[String]) -> Value {
    let s = stack();
    let stream = format!("logs:{}:cmd:{name}:0123456789abcdef", s.get("MINION_ID"));
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

fn assert_allowed(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 200, "{what} must pass the ACL, got {reply:?}");
}

fn assert_denied(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status, 401,
        "{what} must be denied (401), got {reply:?}"
    );
    assert!(
        reply.text.contains("Authorization error occurred"),
        "{what}: not an ACL denial: {reply:?}"
    );
}

/// Runs `state.apply logtail` as deploy and returns the states, checking that
/// the retcode is 0 and every state's result is true.
async fn apply_logtail() -> serde_json::Map<String, Value> {
    let reply = run(User::Deploy, chunk("state.apply", json!(["logtail"]), None)).await;
    assert_allowed(&reply, "deploy: state.apply logtail");
    let ret = reply.minion(stack().get("MINION_ID"));
    assert_eq!(ret["retcode"], 0, "state.apply logtail failed: {ret}");
    let states = ret["ret"]
        .as_object()
        .unwrap_or_else(|| panic!("state.apply returned no states: {ret}"))
        .clone();
    for (id, state) in &states {
        assert_eq!(state["result"], true, "state {id} failed: {state}");
    }
    states
}

#[tokio::test]
async fn deploy_applies_the_logtail_state_idempotently_through_salt_api() {
    let first = apply_logtail().await;
    let ids: Vec<&str> = first
        .values()
        .filter_map(|s| s["__id__"].as_str())
        .collect();
    for id in [
        "logtail-install-binary",
        "logtail-config-file",
        "logtail-config-lock-dir",
    ] {
        assert!(ids.contains(&id), "state {id} missing from {ids:?}");
    }
    let second = apply_logtail().await;
    for (id, state) in &second {
        assert_eq!(
            state["changes"],
            json!({}),
            "re-applying changed {id}: {state}"
        );
    }
}

#[tokio::test]
async fn deployed_logtail_answers_version_through_cmd_run() {
    let s = stack();
    let call = chunk(
        "cmd.run",
        json!([[s.get("LOGTAIL_BIN"), "--version"]]),
        Some(pins()),
    );
    let reply = run(User::Deploy, call).await;
    assert_allowed(&reply, "deploy: cmd.run [logtail, --version]");
    let ret = reply.minion(s.get("MINION_ID"));
    assert_eq!(ret["retcode"], 0, "{ret}");
    let out = ret["ret"]
        .as_str()
        .unwrap_or_else(|| panic!("cmd.run returned no text: {ret}"));
    assert!(
        out.starts_with("logtail "),
        "unexpected --version output {out:?}"
    );
}

#[test]
fn deployed_binary_is_byte_identical_to_the_static_musl_build() {
    let s = stack();
    let deployed = std::fs::read(s.path("LOGTAIL_BIN")).expect("the state installed LOGTAIL_BIN");
    let built = std::fs::read(s.path("LOGTAIL_MUSL")).expect("scripts/test.sh built LOGTAIL_MUSL");
    assert!(
        deployed == built,
        "the deployed logtail differs from {}",
        s.get("LOGTAIL_MUSL")
    );
    let mode = std::fs::metadata(s.path("LOGTAIL_BIN"))
        .expect("stat LOGTAIL_BIN")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    let out = std::process::Command::new("file")
        .arg("-b")
        .arg(s.path("LOGTAIL_BIN"))
        .output()
        .expect("`file` is installed by scripts/test.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("statically linked") || text.contains("static-pie linked"),
        "`file` does not call the deployed logtail static: {text}"
    );
}

#[test]
fn logtail_config_on_the_minion_is_private_and_holds_the_tailer_credentials() {
    let s = stack();
    let meta = std::fs::metadata(s.path("LOGTAIL_CONFIG")).expect("the state wrote LOGTAIL_CONFIG");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    let text = std::fs::read_to_string(s.path("LOGTAIL_CONFIG")).expect("read LOGTAIL_CONFIG");
    let config: toml::Table = toml::from_str(&text).expect("the logtail config is valid TOML");
    assert_eq!(
        config["redis_url"].as_str(),
        Some(s.get("REDIS_URL_TAILER"))
    );
    let globs: Vec<&str> = config["allowed_paths"]
        .as_array()
        .expect("allowed_paths")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(
        globs,
        vec!["/var/log/**".to_owned(), format!("{}/**", s.get("LOG_DIR"))]
    );
    assert!(
        config["lock_dir"]
            .as_str()
            .is_some_and(|d| d.starts_with(s.get("STACK_DIR"))),
        "lock_dir outside the stack: {config:?}"
    );
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
        json!([follow_argv("/tmp/evil.toml", &stream_for(&path), &path)]),
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
async fn logview_is_denied_a_stream_that_names_another_path() {
    let path = probe_path("mismatch");
    let config = stack().get("LOGTAIL_CONFIG");
    let call = chunk(
        "cmd.run_bg",
        json!([follow_argv(config, &stream_for("/var/log/syslog"), &path)]),
        Some(pins()),
    );
    assert_denied(
        &run(User::Logview, call).await,
        "logview: --stream of /var/log/syslog for another file",
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

#[tokio::test]
async fn deploy_is_denied_everything_but_its_own_calls() {
    let s = stack();
    let reply = run(
        User::Deploy,
        chunk("cmd.run", json!([["/bin/sh", "-c", "id"]]), Some(pins())),
    )
    .await;
    assert_denied(&reply, "deploy: cmd.run [/bin/sh, -c, id]");
    let reply = run(User::Deploy, chunk("state.apply", json!(["other"]), None)).await;
    assert_denied(&reply, "deploy: state.apply other");
    let reply = run(
        User::Deploy,
        chunk(
            "file.file_exists",
            json!([format!("{}/app.log", s.get("LOG_DIR"))]),
            None,
        ),
    )
    .await;
    assert_denied(&reply, "deploy: file.file_exists");
}
