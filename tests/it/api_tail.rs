//! The Django flow against the real stack: `POST /api/tail` → a viewer URL
//! whose ticket verifies → the tailer's `started` event and backlog in Redis →
//! the WebSocket gets the backlog then appended lines, in order, none twice.
//! Also: `line_count` 0 sends no backlog, one tailer per file (a second POST
//! shares it; more in `tail_sharing.rs`), and a tailer without viewers exits
//! after idle_exit.

use std::time::Duration;

use futures_util::StreamExt;
use salt_logview::tickets::TicketKind;
use salt_logview::wire::{Entry, EventKind};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::api_support::*;
use crate::support::stack::stack;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn django_post_gives_a_url_whose_ticket_verifies_and_the_backlog_is_in_redis() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("django", 50);
    let path = file.to_string_lossy().into_owned();

    let answer = app.tail(minion, &path, json!(10)).await;
    let url = answer.url().to_owned();
    assert!(url.starts_with(&format!("{}view/", app.base)), "{url}");
    let ticket = app.ticket_of(&url);
    assert_eq!(ticket.kind, TicketKind::File);
    assert_eq!(ticket.minion, minion);
    assert_eq!(ticket.target, path);
    assert_eq!(ticket.stream, app.stream_of(minion, &path));
    assert!(!url.contains(&app.token()), "no credential in the URL");

    let stream = ticket.stream.clone();
    // The tailer writes tail.shared_backlog_lines (here: all 50), so later
    // viewers find theirs; this viewer's ticket skips all but its last 10.
    assert_eq!(ticket.skip_lines, 40, "the viewer gets exactly 10");
    let got = eventually(WAIT, async || {
        let e = entries(&stream).await;
        (lines_of(&e).len() >= 50).then_some(e)
    })
    .await
    .expect("the backlog reaches Redis");
    assert!(
        matches!(&got[0].1, Entry::Event(ev) if ev.kind == EventKind::Started),
        "the first entry is `started`: {:?}",
        got[0]
    );
    let want: Vec<String> = (1..=50).map(|i| format!("django-{i}")).collect();
    assert_eq!(lines_of(&got), want, "the shared backlog, in order");
    assert_eq!(tailers_following(&file).len(), 1);

    let (status, page) = app.get_text(&url, false).await;
    assert_eq!(status, 200, "the viewer page opens: {page}");
    assert!(page.contains("id=\"viewer-config\""), "{page}");
    let (status, metrics) = app.get_text(&format!("{}metrics", app.base), true).await;
    assert_eq!(status, 200);
    for function in ["file.file_exists", "cmd.run_all", "cmd.run_bg"] {
        let line = format!("logview_salt_calls_total{{function=\"{function}\",outcome=\"ok\"}} ");
        assert!(
            metrics.contains(&line),
            "/metrics counts {function}: {metrics}"
        );
    }
}

#[tokio::test]
async fn local_mode_tails_a_file_on_logviews_own_host_without_salt() {
    let s = stack();
    let dir = test_log_dir();
    let glob = format!("{}/**", dir.display());
    // The local logtail's config names this host as local.host_id (logtail
    // derives its stream key from it): the stack's, with that minion_id.
    let config = local_logtail_config(s.get("LOGTAIL_CONFIG"), "logview-host");
    let app = spawn_app(&[
        ("LOGVIEW__LOCAL__ENABLED", "true"),
        ("LOGVIEW__LOCAL__HOST_ID", "logview-host"),
        ("LOGVIEW__LOCAL__ALLOWED_PATHS", glob.as_str()),
        ("LOGVIEW__LOCAL__LOGTAIL_BIN", s.get("LOGTAIL_BIN")),
        ("LOGVIEW__LOCAL__LOGTAIL_CONFIG", config.as_str()),
        // salt-api is not consulted: an address where nothing listens
        ("LOGVIEW__SALT__API_URL", "http://127.0.0.1:9/"),
        // Only the request's own backlog, to check `--lines` in the stream.
        ("LOGVIEW__TAIL__SHARED_BACKLOG_LINES", "0"),
    ])
    .await;
    let file = log_file("local", 8);
    let path = file.to_string_lossy().into_owned();
    let url = app
        .tail("logview-host", &path, json!(3))
        .await
        .url()
        .to_owned();
    let ticket = app.ticket_of(&url);
    assert_eq!(ticket.minion, "logview-host");
    assert_eq!(ticket.stream, app.stream_of("logview-host", &path));
    let got = eventually(WAIT, async || {
        let e = entries(&ticket.stream).await;
        (lines_of(&e).len() >= 3).then_some(e)
    })
    .await
    .expect("the local backlog reaches Redis");
    assert_eq!(lines_of(&got), ["local-6", "local-7", "local-8"]);
    assert_eq!(tailers_following(&file).len(), 1, "one local tailer");

    let outside = app.tail("logview-host", "/etc/passwd", json!(3)).await;
    assert_eq!(outside.status, 400, "{outside:?}");
    assert!(
        outside.message().contains(&glob),
        "local allow-list named: {outside:?}"
    );
}

/// `line_count` 0 is valid at the API and reaches logtail as `--lines 0`:
/// the tailer starts, sends no backlog, and only lines written afterwards.
#[tokio::test]
async fn line_count_zero_sends_no_backlog_only_new_lines() {
    // Without a shared backlog, so that `--lines 0` is what reaches logtail.
    let app = spawn_app(&[("LOGVIEW__TAIL__SHARED_BACKLOG_LINES", "0")]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("zero", 5);
    let path = file.to_string_lossy().into_owned();
    let answer = app.tail(minion, &path, json!(0)).await;
    let stream = app.ticket_of(answer.url()).stream;
    // The answer comes after the tailer's `started` event, and logtail sends
    // any backlog before it follows: once the new line is in the stream, a
    // backlog would be there too.
    append(&file, &["zero-new".to_owned()]);
    let got = eventually(WAIT, async || {
        let e = entries(&stream).await;
        lines_of(&e).contains(&"zero-new".to_owned()).then_some(e)
    })
    .await
    .expect("the new line reaches Redis");
    assert_eq!(lines_of(&got), ["zero-new"], "no backlog before it");
}

#[tokio::test]
async fn a_form_encoded_post_works_like_json() {
    let app = spawn_app(&[]).await;
    let file = log_file("form", 3);
    let path = file.to_string_lossy().into_owned();
    let token = app.token();
    let answer = app
        .post_form(
            "api/tail",
            &[
                ("minion_id", stack().get("MINION_ID")),
                ("log_path", &path),
                ("line_count", "2"),
            ],
            Some(&token),
        )
        .await;
    let ticket = app.ticket_of(answer.url());
    assert_eq!(ticket.target, path);
}

#[tokio::test]
async fn the_websocket_gets_the_backlog_then_appended_lines_in_order_none_twice() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("ws", 20);
    let answer = app.tail(minion, &file.to_string_lossy(), json!(5)).await;
    let url = answer.url().to_owned();
    let ticket = url.rsplit('/').next().expect("ticket").to_owned();

    let ws_url = format!("{}ws/{ticket}", app.base.replacen("http://", "ws://", 1));
    let mut req = ws_url.into_client_request().expect("ws request");
    let origin = app.base.trim_end_matches('/').to_owned();
    req.headers_mut()
        .insert("Origin", origin.parse().expect("origin header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("the WebSocket opens");

    let mut seen: Vec<String> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut appended = false;
    let want: Vec<String> = (16..=20)
        .map(|i| format!("ws-{i}"))
        .chain((1..=30).map(|i| format!("live-{i}")))
        .collect();
    let read = async {
        while let Some(msg) = ws.next().await {
            let Message::Text(text) = msg.expect("frame") else {
                continue;
            };
            let m: Value = serde_json::from_str(&text).expect("JSON message");
            if let Some(id) = m["id"].as_str() {
                ids.push(id.to_owned());
            }
            if m["type"] == "lines" {
                for l in m["lines"].as_array().expect("lines") {
                    seen.push(l.as_str().expect("line").to_owned());
                }
            }
            if !appended && seen.len() >= 5 {
                appended = true;
                let live: Vec<String> = (1..=30).map(|i| format!("live-{i}")).collect();
                append(&file, &live);
            }
            if seen.len() >= want.len() {
                break;
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("every line arrives");
    assert_eq!(seen, want, "backlog then live lines, in order, none twice");
    let keys: Vec<(u64, u64)> = ids.iter().map(|id| id_key(id)).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "entry ids strictly increase (none twice): {ids:?}"
    );
}

#[tokio::test]
async fn a_second_post_for_the_same_file_shares_the_one_tailer() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("twice", 5);
    let path = file.to_string_lossy().into_owned();
    app.tail(minion, &path, json!(5)).await.url();
    let first = tailers_following(&file);
    assert_eq!(first.len(), 1, "one tailer after the first POST: {first:?}");
    app.tail(minion, &path, json!(5)).await.url();
    let one = eventually(WAIT, async || {
        let now = tailers_following(&file);
        (now.len() == 1).then_some(now)
    })
    .await
    .expect("exactly one tailer remains");
    assert_eq!(one, first, "the second POST shares the first POST's tailer");
}

#[tokio::test]
async fn without_a_viewer_the_tailer_exits_after_idle_exit() {
    let app = spawn_app(&[
        ("LOGVIEW__TAIL__IDLE_EXIT_SECS", "1"),
        ("LOGVIEW__REDIS__LEASE_TTL_SECS", "3"),
    ])
    .await;
    let minion = stack().get("MINION_ID");
    let file = log_file("idle", 2);
    let path = file.to_string_lossy().into_owned();
    let url = app.tail(minion, &path, json!(2)).await.url().to_owned();
    assert_eq!(tailers_following(&file).len(), 1);
    eventually(WAIT, async || {
        tailers_following(&file).is_empty().then_some(())
    })
    .await
    .expect("the tailer exits once the lease is gone and idle_exit passed");
    let stream = app.ticket_of(&url).stream;
    let got = entries(&stream).await;
    let last = got.last().map(|(_, e)| e.clone());
    assert!(
        matches!(&last, Some(Entry::Event(ev)) if ev.kind == EventKind::Stopped && ev.get("reason") == Some("idle")),
        "the last entry is `stopped` with reason idle: {last:?}"
    );
}

/// `ms-seq` of a stream entry id as a comparable pair.
fn id_key(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').expect("entry ids are ms-seq");
    (ms.parse().expect("ms"), seq.parse().expect("seq"))
}

/// A copy of the logtail config `from` with `minion_id = ID` (mode 0600 in
/// the test's own temporary directory, beside nothing else).
fn local_logtail_config(from: &str, id: &str) -> String {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let text = std::fs::read_to_string(from).expect("the stack's logtail config");
    let mut out: String = text
        .lines()
        .filter(|l| !l.starts_with("minion_id"))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(&format!("minion_id = \"{id}\"\n"));
    let dir = std::env::temp_dir().join(format!("slv-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("logtail-local.toml");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .expect("write the local config");
    f.write_all(out.as_bytes()).expect("write");
    path.to_string_lossy().into_owned()
}
