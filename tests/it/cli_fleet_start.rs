//! `logview tail` in fleet mode through the real fleet start (`POST /api/tail`
//! with `target` / `minion_ids`) and the real `/sse/fleet/`: the built binary,
//! its stdout piped into a real `grep`, on the stack's three minions.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use crate::api_support::*;
use crate::cli::{client, finish};
use crate::stack_minions::{minion_file, FLEET};

/// A generous bound against a hung test (not a timing assertion).
const HANG: Duration = Duration::from_secs(120);
const MINIONS: [&str; 3] = ["web-01", "web-02", "web-03"];

/// One file name with `lines(id)` on each minion; the path every minion sees.
fn on_every_minion(lines: impl Fn(&str) -> Vec<String>) -> (String, Vec<std::path::PathBuf>) {
    let name = format!("cli-fleet-{}.log", unique());
    let mut seen = String::new();
    let mut hosts = Vec::new();
    for id in MINIONS {
        let (s, host) = minion_file(id, &name);
        let text: String = lines(id).iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&host, text).expect("write the minion's file");
        seen = s;
        hosts.push(host);
    }
    (seen, hosts)
}

#[tokio::test]
async fn tail_at_a_target_prefixes_every_minions_lines_and_says_where_it_started() {
    let _fleet = FLEET.lock().await;
    let app = spawn_app(&[]).await;
    let (seen, hosts) = on_every_minion(|id| (0..5).map(|i| format!("{id} line {i}")).collect());
    let target = format!("@web:{seen}");
    let mut child = client(&app, &["tail", &target, "-n", "2"], None)
        .spawn()
        .expect("start the client");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut got = Vec::new();
    let mut next = async || {
        tokio::time::timeout(HANG, stdout.next_line())
            .await
            .expect("a line arrives")
            .expect("read stdout")
            .expect("stdout stays open")
    };
    while got.len() < 6 {
        got.push(next().await);
    }
    for (id, host) in MINIONS.iter().zip(&hosts) {
        append(host, &[format!("{id} line 5")]);
    }
    while got.len() < 9 {
        got.push(next().await);
    }
    for id in MINIONS {
        let mine: Vec<&str> = got
            .iter()
            .filter(|l| l.starts_with(id))
            .map(String::as_str)
            .collect();
        let want: Vec<String> = (3..6).map(|i| format!("{id} | {id} line {i}")).collect();
        assert_eq!(
            mine, want,
            "{id}: its last 2, then the new one, once, prefixed"
        );
    }
    let pid = child.id().expect("pid") as libc::pid_t;
    // SAFETY: signalling our own child by its pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = tokio::time::timeout(HANG, child.wait())
        .await
        .expect("the client exits on SIGINT")
        .expect("wait");
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        s.read_to_string(&mut err).await.expect("stderr");
    }
    assert!(
        err.starts_with("--- started on 3 of 3"),
        "where it started comes first: {err:?}"
    );
    assert!(
        err.contains("--- web-0"),
        "markers name their minion: {err:?}"
    );
}

#[tokio::test]
async fn a_list_piped_into_grep_and_a_fleet_that_starts_nowhere_exits_with_logviews_message() {
    let _fleet = FLEET.lock().await;
    let app = spawn_app(&[]).await;
    let (seen, _) = on_every_minion(|id| (0..3).map(|i| format!("{id} entry {i}")).collect());
    // `logview tail web-01,web-02:PATH -n 3 | grep 'web-02 |'`: a real pipe between two processes.
    let target = format!("web-01,web-02:{seen}");
    let mut tail = client(&app, &["tail", &target, "-n", "3"], None)
        .spawn()
        .expect("start the client");
    let pipe: Stdio = tail
        .stdout
        .take()
        .expect("stdout")
        .try_into()
        .expect("a pipe");
    let mut grep = Command::new("grep")
        .args(["--line-buffered", "^web-02 | "])
        .stdin(pipe)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start grep");
    let mut lines = BufReader::new(grep.stdout.take().expect("grep's stdout")).lines();
    let mut got = Vec::new();
    while got.len() < 3 {
        let line = tokio::time::timeout(HANG, lines.next_line())
            .await
            .expect("a line passes grep")
            .expect("read")
            .expect("open");
        got.push(line);
    }
    assert_eq!(
        got,
        [
            "web-02 | web-02 entry 0",
            "web-02 | web-02 entry 1",
            "web-02 | web-02 entry 2"
        ]
    );
    drop(tail);
    drop(grep);

    // Nowhere to start (the file exists on no minion): logview's 4xx, its words, exit 65.
    let (code, out, err) = finish(client(
        &app,
        &["tail", &format!("@web:{seen}-absent"), "-n", "1"],
        None,
    ))
    .await;
    assert_eq!((code, out.as_str()), (Some(65), ""), "{err}");
    assert!(
        err.starts_with("logview: logview refused the request"),
        "{err}"
    );
    assert!(err.contains("web-01") && err.contains("missing"), "{err}");
}
