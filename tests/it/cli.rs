//! The terminal client (`logview tail`, `logview run`): the real built
//! binary, its stdout and stderr piped (so no terminal, no colours), against
//! logview in-process on the real stack.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::api_support::*;
use crate::support::stack::stack;

/// A generous bound against a hung test (not a timing assertion).
const HANG: Duration = Duration::from_secs(120);

/// The client with `args`, its stdout and stderr piped, the URL and token
/// from the environment (or `config` as its config file when given).
pub(crate) fn client(app: &TestApp, args: &[&str], config: Option<&Path>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logview"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("NO_COLOR")
        .env("HOME", "/nonexistent-logview-cli-home")
        .kill_on_drop(true);
    match config {
        Some(file) => {
            cmd.env_remove("LOGVIEW_URL")
                .env_remove("LOGVIEW_TOKEN")
                .env("LOGVIEW_CLIENT_CONFIG", file);
        }
        None => {
            cmd.env("LOGVIEW_URL", &app.base)
                .env("LOGVIEW_TOKEN", app.token())
                .env_remove("LOGVIEW_CLIENT_CONFIG");
        }
    }
    cmd
}

/// Exit code, stdout and stderr of a client that ends by itself.
pub(crate) async fn finish(mut cmd: Command) -> (Option<i32>, String, String) {
    let out = tokio::time::timeout(HANG, cmd.output())
        .await
        .expect("the client ends")
        .expect("the client runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn rest(child: &mut Child) -> (String, String) {
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut s) = child.stderr.take() {
        s.read_to_string(&mut err).await.expect("stderr");
    }
    if let Some(mut s) = child.stdout.take() {
        s.read_to_string(&mut out).await.expect("stdout");
    }
    (out, err)
}

#[tokio::test]
async fn tail_prints_the_last_lines_then_new_ones_to_a_pipe_and_markers_only_on_stderr() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let path = log_file("cli", 10);
    let target = format!("{minion}:{}", path.display());
    let mut child = client(&app, &["tail", &target, "-n", "3"], None)
        .spawn()
        .expect("start the client");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut got = Vec::new();
    while got.len() < 3 {
        let line = tokio::time::timeout(HANG, stdout.next_line())
            .await
            .expect("a backlog line arrives")
            .expect("read stdout")
            .expect("stdout stays open");
        got.push(line);
    }
    let appended = format!("cli-appended-{}", unique());
    append(&path, std::slice::from_ref(&appended));
    let line = tokio::time::timeout(HANG, stdout.next_line())
        .await
        .expect("the appended line arrives")
        .expect("read stdout")
        .expect("stdout stays open");
    got.push(line);
    assert_eq!(got, ["cli-8", "cli-9", "cli-10", appended.as_str()]);

    // Ctrl-C: exit 130, nothing more on stdout, the tailer left to its idle timer.
    let pid = child.id().expect("pid") as libc::pid_t;
    // SAFETY: signalling our own child by its pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = tokio::time::timeout(HANG, child.wait())
        .await
        .expect("the client exits on SIGINT")
        .expect("wait");
    assert_eq!(status.code(), Some(130));
    let mut after = String::new();
    let mut inner = stdout.into_inner();
    inner.read_to_string(&mut after).await.expect("stdout");
    assert_eq!(after, "", "nothing after the last line on stdout");
    let (_, err) = rest(&mut child).await;
    assert!(err.contains("--- started:"), "stderr: {err:?}");
    assert!(!err.contains('\x1b'), "no colours on a pipe: {err:?}");
    assert!(
        !tailers_following(&path).is_empty(),
        "Ctrl-C detaches: the tailer is left for its idle timer"
    );
}

#[tokio::test]
async fn a_path_outside_the_allow_list_exits_non_zero_with_logviews_message() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let target = format!("{minion}:/etc/passwd");
    let (code, out, err) = finish(client(&app, &["tail", &target], None)).await;
    assert_eq!(code, Some(65), "stderr: {err}");
    assert_eq!(out, "");
    assert!(err.contains("[field log_path]"), "{err}");
    assert!(err.contains("outside the allowed paths"), "{err}");

    // A fleet target logview does not know: refused by logview (not by the
    // client), its message on stderr, nothing on stdout.
    let (code, out, err) = finish(client(
        &app,
        &["tail", "@no-such-target:/var/log/syslog"],
        None,
    ))
    .await;
    assert_eq!((code, out.as_str()), (Some(65), ""), "{err}");
    assert!(
        err.starts_with("logview: logview refused the request"),
        "{err}"
    );
    // `run` takes one minion: a fleet there is the client's usage error.
    let (code, out, err) = finish(client(&app, &["run", "@web", "disk"], None)).await;
    assert_eq!((code, out.as_str()), (Some(64), ""), "{err}");
    assert!(err.contains("logview run takes one minion id"), "{err}");
}

#[tokio::test]
async fn run_exits_with_the_commands_status_and_reads_an_owner_only_config_file() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("client.toml");
    std::fs::write(
        &file,
        format!("url = \"{}\"\ntoken = \"{}\"\n", app.base, app.token()),
    )
    .expect("write config");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let args = ["run", minion, "pipe-check"];
    let (code, out, err) = finish(client(&app, &args, Some(&file))).await;
    assert_eq!((code, out.as_str()), (Some(78), ""), "{err}");
    assert!(err.contains("chmod 600"), "{err}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (code, out, err) = finish(client(&app, &args, Some(&file))).await;
    assert_eq!(code, Some(2), "stdout: {out:?} stderr: {err:?}");
    assert_eq!(out, "/\n");
    assert!(err.contains("/nonexistent-logview-pipe-check"), "{err}");
    assert!(err.contains("--- exit status 2"), "{err}");

    // --grep filters the command's lines (both fds), never the markers.
    let grep = ["run", minion, "pipe-check", "--grep", "cannot access"];
    let (code, out, err) = finish(client(&app, &grep, Some(&file))).await;
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.contains("/nonexistent-logview-pipe-check"), "{err}");
    assert!(err.contains("--- exit status 2"), "{err}");
    let bad = ["run", minion, "pipe-check", "--grep", "("];
    let (code, _, err) = finish(client(&app, &bad, Some(&file))).await;
    assert_eq!(code, Some(64), "{err}");
    assert!(err.contains("not a valid regular expression"), "{err}");
}
