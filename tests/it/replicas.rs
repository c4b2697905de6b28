//! logview as stateless replicas (docs/deploy.md): two logview processes
//! with the same settings (here in-process, each its own `AppState`, as two
//! replicas behind a load balancer) share everything a viewer or a start
//! needs through Redis and the settings' keys, none through memory:
//! concurrent starts of one file on two replicas start one tailer (the
//! Redis start claim, `session/start_claim.rs`); a ticket issued by one
//! streams on the other, and a viewer that lost its replica resumes on the
//! other after its last id, with no gap and no duplicate; an ops-page form
//! rendered by one is accepted by the other (the CSRF token's key derives
//! from `auth.ticket_key`). Runs on every stack (no nginx needed); the
//! drills through nginx are `drill_replica.rs` / `drill_nginx.rs`.

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::api_support::*;
use crate::support::stack::stack;
use crate::tail_sharing::{numbered, Viewer, WAIT};

/// The `started` events in `stream`.
async fn starts_in(stream: &str) -> usize {
    entries(stream)
        .await
        .into_iter()
        .filter(|(_, e)| {
            matches!(e, salt_logview::wire::Entry::Event(ev)
                if ev.kind == salt_logview::wire::EventKind::Started)
        })
        .count()
}

#[tokio::test]
async fn two_replicas_starting_one_file_at_once_start_one_tailer() {
    let (r1, r2) = (spawn_app(&[]).await, spawn_app(&[]).await);
    let minion = stack().get("MINION_ID");
    let file = log_file("replicas", 30);
    let path = file.to_string_lossy().into_owned();
    // Without the Redis claim both find no tailer (the Salt round trips
    // leave seconds for it) and both start one: two `started` events.
    let (one, two) = tokio::join!(
        r1.tail(minion, &path, json!(3)),
        r2.tail(minion, &path, json!(6))
    );
    let stream = r1.ticket_of(one.url()).stream;
    assert_eq!(
        starts_in(&stream).await,
        1,
        "one tailer was started, not two"
    );
    let mut a = Viewer::open(&r1, one.url()).await;
    let mut b = Viewer::open(&r2, two.url()).await;
    a.read_lines(3).await;
    b.read_lines(6).await;
    assert_eq!(a.lines, numbered("replicas", 28..=30));
    assert_eq!(b.lines, numbered("replicas", 25..=30));
    append(&file, &numbered("after", 1..=4));
    for v in [&mut a, &mut b] {
        let n = v.lines.len();
        v.read_lines(n + 4).await;
        assert_eq!(v.lines[n..], numbered("after", 1..=4)[..]);
        assert_eq!(v.saw("stopped"), 0, "a viewer saw a stop: {:?}", v.events);
    }
    assert_eq!(tailers_following(&file).len(), 1, "one logtail process");
    assert_eq!(starts_in(&stream).await, 1, "still one start");
}

/// A WebSocket of `app` for the ticket of `url`, resuming after `after`.
async fn ws_on(
    app: &TestApp,
    url: &str,
    after: Option<&str>,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let ticket = url.rsplit('/').next().expect("ticket");
    let mut ws_url = format!("{}ws/{ticket}", app.base.replacen("http://", "ws://", 1));
    if let Some(id) = after {
        ws_url.push_str(&format!("?after={id}"));
    }
    let mut req = ws_url.into_client_request().expect("ws request");
    let origin = app.base.trim_end_matches('/').to_owned();
    req.headers_mut()
        .insert("Origin", origin.parse().expect("origin"));
    tokio_tungstenite::connect_async(req)
        .await
        .expect("the WebSocket opens")
        .0
}

/// Reads `ws` until `want` lines in all are in `got` (with their entry ids).
async fn read_into(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    got: &mut Vec<(String, String)>,
    want: usize,
) {
    let read = async {
        while got.len() < want {
            let Some(Ok(Message::Text(text))) = ws.next().await else {
                continue;
            };
            let m: Value = serde_json::from_str(&text).expect("JSON message");
            if m["type"] == "lines" {
                let id = m["id"].as_str().expect("id").to_owned();
                for l in m["lines"].as_array().expect("lines") {
                    got.push((id.clone(), l.as_str().expect("line").to_owned()));
                }
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .unwrap_or_else(|_| panic!("{want} lines arrive; got {got:?}"));
}

#[tokio::test]
async fn a_viewer_whose_replica_is_gone_resumes_on_another_without_gap_or_duplicate() {
    let r1 = spawn_app(&[]).await;
    let r2 = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("handover", 5);
    let path = file.to_string_lossy().into_owned();
    let started = r1.tail(minion, &path, json!(5)).await;
    let url = started.url().to_owned();
    let mut got = Vec::new();
    {
        let mut ws = ws_on(&r1, &url, None).await;
        read_into(&mut ws, &mut got, 5).await;
        append(&file, &numbered("before", 1..=3));
        read_into(&mut ws, &mut got, 8).await;
    }
    drop(r1); // the replica goes away (its viewers are told, its readers stop)
    append(&file, &numbered("meanwhile", 1..=6));
    let last = got.last().expect("a line").0.clone();
    // The same ticket (signed by r1) on r2, after the last id it has.
    let mut ws = ws_on(&r2, &url, Some(&last)).await;
    append(&file, &numbered("later", 1..=2));
    read_into(&mut ws, &mut got, 16).await;
    let lines: Vec<String> = got.iter().map(|(_, l)| l.clone()).collect();
    let mut want = numbered("handover", 1..=5);
    want.extend(numbered("before", 1..=3));
    want.extend(numbered("meanwhile", 1..=6));
    want.extend(numbered("later", 1..=2));
    assert_eq!(
        lines, want,
        "every line once, in order, across the two replicas"
    );
}

/// The hidden `csrf` field of an ops page.
fn csrf_field(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("the ops page has a csrf field")
        + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().expect("value").to_owned()
}

#[tokio::test]
async fn an_ops_form_rendered_by_one_replica_is_accepted_by_another() {
    // Replicas behind one address share `server.public_url` (the Origin
    // check compares with it): both say the first one's.
    let r1 = spawn_app(&[]).await;
    let public = r1.base.clone();
    let r2 = spawn_app(&[("LOGVIEW__SERVER__PUBLIC_URL", &public)]).await;
    let (user, password) = (stack().get("OPS_USER"), stack().get("OPS_PASSWORD"));
    let minion = stack().get("MINION_ID");
    let page = r1
        .http
        .get(format!("{}minions/{minion}", r1.base))
        .basic_auth(user, Some(password))
        .send()
        .await
        .expect("the ops page answers");
    assert_eq!(page.status().as_u16(), 200);
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("the page sets the form cookie")
        .to_owned();
    let token = csrf_field(&page.text().await.expect("body"));
    let file = log_file("form", 4);
    let path = file.to_string_lossy().into_owned();
    let post = |cookie: Option<String>| {
        let mut req = r2
            .http
            .post(format!("{}minions/{minion}/tail", r2.base))
            .basic_auth(user, Some(password))
            .header("Origin", public.trim_end_matches('/'))
            .header("Accept", "application/json")
            .form(&[
                ("csrf", token.as_str()),
                ("log_path", &path),
                ("line_count", "2"),
            ]);
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send()
    };
    // The check is on: without the cookie r2 refuses the token.
    let refused = post(None).await.expect("r2 answers");
    assert_ne!(refused.status().as_u16(), 200, "a token without its cookie");
    let ok = post(Some(cookie)).await.expect("r2 answers");
    let status = ok.status().as_u16();
    let body: Value = ok.json().await.expect("JSON");
    assert_eq!(status, 200, "r2 accepts r1's form token: {body}");
    assert!(
        body["url"].as_str().is_some_and(|u| u.contains("/view/")),
        "{body}"
    );
}
