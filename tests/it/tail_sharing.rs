//! Viewers share a running tailer (docs/sharing.md), against the real stack:
//! a second and third `POST /api/tail` for a file already followed start
//! nothing (same logtail process, same owner heartbeat, no `stop`, no
//! `run_bg`), each viewer gets exactly its own N backlog lines then the live
//! lines, once each and in order, and the viewers already watching see
//! nothing new. A tailer whose heartbeat lapsed (`kill -9`) or that runs
//! another logtail version is replaced by exactly one new one.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::api_support::*;
use crate::support::stack::stack;

/// Guard against hanging forever (not a timing assertion).
const WAIT: Duration = Duration::from_secs(60);

/// One browser-like viewer on the WebSocket of a viewer URL.
struct Viewer {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every line received, in order.
    lines: Vec<String>,
    /// Every event received: (event, reason).
    events: Vec<(String, String)>,
    /// Every entry id received, as (ms, seq).
    ids: Vec<(u64, u64)>,
}

impl Viewer {
    async fn open(app: &TestApp, url: &str) -> Viewer {
        let ticket = url.rsplit('/').next().expect("ticket");
        let ws_url = format!("{}ws/{ticket}", app.base.replacen("http://", "ws://", 1));
        let mut req = ws_url.into_client_request().expect("ws request");
        let origin = app.base.trim_end_matches('/').to_owned();
        req.headers_mut()
            .insert("Origin", origin.parse().expect("origin header"));
        let (ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("the WebSocket opens");
        Viewer {
            ws,
            lines: Vec::new(),
            events: Vec::new(),
            ids: Vec::new(),
        }
    }

    /// Reads until `count` lines in all have arrived.
    async fn read_lines(&mut self, count: usize) {
        let read = async {
            while self.lines.len() < count {
                let Some(msg) = self.ws.next().await else {
                    panic!("the WebSocket closed after {:?}", self.lines.len());
                };
                let Message::Text(text) = msg.expect("frame") else {
                    continue;
                };
                let m: Value = serde_json::from_str(&text).expect("JSON message");
                if let Some(id) = m["id"].as_str() {
                    let (ms, seq) = id.split_once('-').expect("ms-seq");
                    self.ids
                        .push((ms.parse().expect("ms"), seq.parse().expect("seq")));
                }
                match m["type"].as_str() {
                    Some("lines") => {
                        for l in m["lines"].as_array().expect("lines") {
                            self.lines.push(l.as_str().expect("line").to_owned());
                        }
                    }
                    Some("event") => self.events.push((
                        m["event"].as_str().unwrap_or_default().to_owned(),
                        m["fields"]["reason"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    )),
                    Some("dropped") => panic!("a viewer was told it dropped lines: {m}"),
                    _ => {}
                }
            }
        };
        tokio::time::timeout(WAIT, read)
            .await
            .unwrap_or_else(|_| panic!("{count} lines arrive; got {:?}", self.lines));
    }

    fn saw(&self, event: &str) -> usize {
        self.events.iter().filter(|(e, _)| e == event).count()
    }

    fn ids_increase(&self) -> bool {
        self.ids.windows(2).all(|w| w[0] < w[1])
    }
}

fn numbered(name: &str, range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|i| format!("{name}-{i}")).collect()
}

async fn owner_value(stream: &str) -> Option<String> {
    use redis::AsyncCommands;
    let mut c = redis_admin().await;
    c.get(salt_logview::wire::owner_key(stream))
        .await
        .expect("GET owner")
}

#[tokio::test]
async fn three_viewers_share_one_tailer_each_with_its_own_backlog_then_the_live_lines() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("share", 300);
    let path = file.to_string_lossy().into_owned();

    let first = app.tail(minion, &path, json!(5)).await;
    let mut a = Viewer::open(&app, first.url()).await;
    a.read_lines(5).await;
    assert_eq!(a.lines, numbered("share", 296..=300), "A: its last 5 lines");
    let stream = app.ticket_of(first.url()).stream;
    let owner = owner_value(&stream).await.expect("the tailer's heartbeat");
    let tailer = tailers_following(&file);
    assert_eq!(tailer.len(), 1, "{tailer:?}");

    // A second and a third viewer with other line counts, while A watches.
    let second = app.tail(minion, &path, json!(50)).await;
    let mut b = Viewer::open(&app, second.url()).await;
    b.read_lines(50).await;
    assert_eq!(
        b.lines,
        numbered("share", 251..=300),
        "B: its last 50 lines"
    );
    let third = app.tail(minion, &path, json!(120)).await;
    let mut c = Viewer::open(&app, third.url()).await;
    c.read_lines(120).await;
    assert_eq!(c.lines, numbered("share", 181..=300), "C: its last 120");

    assert_eq!(tailers_following(&file), tailer, "one tailer throughout");
    assert_eq!(owner_value(&stream).await, Some(owner), "the same owner");

    let live = numbered("live", 1..=40);
    append(&file, &live);
    for (name, v, n) in [("A", &mut a, 5), ("B", &mut b, 50), ("C", &mut c, 120)] {
        v.read_lines(n + live.len()).await;
        assert_eq!(
            v.lines[n..],
            live[..],
            "{name}: the live lines, once, in order"
        );
        assert!(v.ids_increase(), "{name}: entry ids strictly increase");
        assert_eq!(v.saw("stopped"), 0, "{name} saw a stop: {:?}", v.events);
    }
    assert_eq!(a.saw("started"), 1, "A saw its tailer start, once");
    assert_eq!(b.saw("started") + c.saw("started"), 0, "no restart seen");
    assert_eq!(tailers_following(&file), tailer, "still the same tailer");

    // The stream holds the deeper shared backlog once, not once per viewer.
    let got = lines_of(&entries(&stream).await);
    let mut want = numbered("share", 1..=300);
    want.extend(live);
    assert_eq!(got, want, "every line in the stream exactly once");
}

#[tokio::test]
async fn a_viewer_asking_more_than_the_file_holds_gets_the_whole_session() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("short", 7);
    let path = file.to_string_lossy().into_owned();
    let first = app.tail(minion, &path, json!(3)).await;
    let mut a = Viewer::open(&app, first.url()).await;
    a.read_lines(3).await;
    let second = app.tail(minion, &path, json!(500)).await;
    let mut b = Viewer::open(&app, second.url()).await;
    b.read_lines(7).await;
    assert_eq!(b.lines, numbered("short", 1..=7));
    append(&file, &numbered("more", 1..=2));
    b.read_lines(9).await;
    assert_eq!(b.lines[7..], numbered("more", 1..=2)[..]);
    assert_eq!(tailers_following(&file).len(), 1);
}

/// Waits for the one tailer of `file` and returns its pid.
async fn the_tailer(file: &std::path::Path) -> u32 {
    eventually(WAIT, async || match tailers_following(file)[..] {
        [pid] => Some(pid),
        _ => None,
    })
    .await
    .expect("exactly one tailer")
}

#[tokio::test]
async fn a_tailer_whose_heartbeat_lapsed_is_replaced_by_exactly_one_new_one() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("stale", 20);
    let path = file.to_string_lossy().into_owned();
    let first = app.tail(minion, &path, json!(4)).await;
    let stream = app.ticket_of(first.url()).stream;
    let dead = the_tailer(&file).await;
    let killed = std::process::Command::new("kill")
        .args(["-9", &dead.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    eventually(WAIT, async || {
        owner_value(&stream).await.is_none().then_some(())
    })
    .await
    .expect("the dead tailer's heartbeat lapses");

    let second = app.tail(minion, &path, json!(6)).await;
    let fresh = the_tailer(&file).await;
    assert_ne!(fresh, dead, "a new tailer replaced the dead one");
    let mut v = Viewer::open(&app, second.url()).await;
    v.read_lines(6).await;
    assert_eq!(v.lines, numbered("stale", 15..=20), "exactly its 6 lines");
    assert_eq!(v.saw("started"), 1);
}

#[tokio::test]
async fn a_tailer_of_another_logtail_version_is_replaced() {
    use redis::AsyncCommands;
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("version", 20);
    let path = file.to_string_lossy().into_owned();
    let first = app.tail(minion, &path, json!(4)).await;
    let stream = app.ticket_of(first.url()).stream;
    let old = the_tailer(&file).await;
    // As if the running tailer were an older build (a Salt upgrade since).
    let value = owner_value(&stream).await.expect("owner");
    let parsed = salt_logview::wire::OwnerValue::parse(&value).expect("owner value");
    let older = salt_logview::wire::OwnerValue {
        version: Some("0.0.0-older".into()),
        ..parsed
    };
    let mut admin = redis_admin().await;
    let key = salt_logview::wire::owner_key(&stream);
    let () = admin
        .set_ex(&key, older.to_value(), 30)
        .await
        .expect("SET owner");

    let second = app.tail(minion, &path, json!(3)).await;
    let fresh = eventually(WAIT, async || match tailers_following(&file)[..] {
        [pid] if pid != old => Some(pid),
        _ => None,
    })
    .await
    .expect("one tailer, a new one");
    assert_ne!(fresh, old);
    let mut v = Viewer::open(&app, second.url()).await;
    v.read_lines(3).await;
    assert_eq!(v.lines, numbered("version", 18..=20));
    let now = owner_value(&stream).await.expect("the new heartbeat");
    assert!(
        salt_logview::wire::OwnerValue::parse(&now).is_some_and(|o| o.is_current_version()),
        "{now}"
    );
}

#[tokio::test]
async fn two_requests_at_once_start_one_tailer_and_both_viewers_get_their_lines() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("together", 40);
    let path = file.to_string_lossy().into_owned();
    let (one, two) = tokio::join!(
        app.tail(minion, &path, json!(4)),
        app.tail(minion, &path, json!(9))
    );
    let stream = app.ticket_of(one.url()).stream;
    let mut a = Viewer::open(&app, one.url()).await;
    let mut b = Viewer::open(&app, two.url()).await;
    a.read_lines(4).await;
    b.read_lines(9).await;
    assert_eq!(a.lines, numbered("together", 37..=40));
    assert_eq!(b.lines, numbered("together", 32..=40));
    append(&file, &numbered("after", 1..=3));
    for v in [&mut a, &mut b] {
        let n = v.lines.len();
        v.read_lines(n + 3).await;
        assert_eq!(v.lines[n..], numbered("after", 1..=3)[..]);
        assert_eq!(v.saw("stopped"), 0, "{:?}", v.events);
    }
    assert_eq!(tailers_following(&file).len(), 1);
    let starts = entries(&stream)
        .await
        .into_iter()
        .filter(|(_, e)| {
            matches!(e, salt_logview::wire::Entry::Event(ev)
                if ev.kind == salt_logview::wire::EventKind::Started)
        })
        .count();
    assert_eq!(starts, 1, "one tailer was started, not two");
}
