//! Shared fixtures of the `stream_*` tests: logview (started by
//! `support::app::serve_app`, like every other test) on a free port, the stack's Redis as the
//! tailer writes it, unique stream keys, and WebSocket/SSE viewers.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use redis::aio::MultiplexedConnection;
use salt_logview::http::AppState;
use salt_logview::tickets::TicketKind;
use salt_logview::wire::Entry;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::support::app::{serve_app, RunningApp};
use crate::support::stack::stack;

/// Guard against hanging forever when something is broken (not a timing assertion).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The API token the test services accept.
pub const TEST_TOKEN: &str = "stream-tests-api-token-0123456789";

/// The token the test services accept on /metrics (auth.metrics_tokens).
pub const TEST_METRICS_TOKEN: &str = "stream-tests-metrics-token-0123";

/// A running logview for the stream tests (every route; the stream tests
/// use `/ws`, `/sse`, `/healthz`, `/readyz` and `/metrics`).
pub struct Service {
    pub app: RunningApp,
    pub state: AppState,
    pub base: String,
    pub port: u16,
}

/// Starts logview with the repo's settings.toml, the stack's Redis (as the
/// `logview` user) and `overrides` (`("LIMITS__VIEWER_QUEUE", "8")` …).
pub async fn start_service(overrides: &[(&str, &str)]) -> Service {
    let mut env = vec![
        (
            "LOGVIEW__REDIS__URL".to_owned(),
            stack().get("REDIS_URL_LOGVIEW").to_owned(),
        ),
        (
            "LOGVIEW__AUTH__API_TOKENS".to_owned(),
            TEST_TOKEN.to_owned(),
        ),
        (
            "LOGVIEW__AUTH__METRICS_TOKENS".to_owned(),
            TEST_METRICS_TOKEN.to_owned(),
        ),
        ("LOGVIEW__VIEWER__HEARTBEAT_SECS".to_owned(), "1".to_owned()),
    ];
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| (format!("LOGVIEW__{k}"), (*v).to_owned())),
    );
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
    let app = serve_app(&[file], env).await;
    Service {
        state: app.state.clone(),
        base: app.base.clone(),
        port: app.port,
        app,
    }
}

/// A stream nobody else uses: `logs:{bX}:test-<random>:/var/log/x.log`.
pub struct TestStream {
    pub minion: String,
    pub path: String,
    pub key: String,
}

pub fn unique_stream() -> TestStream {
    let minion = format!("test-{:016x}", rand::random::<u64>());
    let path = "/var/log/x.log".to_owned();
    let key = salt_logview::wire::stream_key("logs", &minion, &path);
    TestStream { minion, path, key }
}

impl Service {
    /// A valid viewer ticket for `s`.
    pub fn ticket(&self, s: &TestStream) -> String {
        self.state
            .signer
            .issue(TicketKind::File, &s.minion, &s.path, &s.key)
    }

    pub fn ws_url(&self, ticket: &str) -> String {
        format!("ws://127.0.0.1:{}/ws/{ticket}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }
}

/// The tailer's Redis connection (writes entries like logtail does).
pub async fn tailer() -> MultiplexedConnection {
    let client = redis::Client::open(stack().get("REDIS_URL_TAILER")).expect("tailer URL");
    client
        .get_multiplexed_async_connection()
        .await
        .expect("connect as the tailer")
}

/// XADDs `entry` to `key` as logtail would; returns the entry id.
pub async fn xadd(conn: &mut MultiplexedConnection, key: &str, entry: &Entry) -> String {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key).arg("*");
    for (f, v) in entry.to_fields() {
        cmd.arg(f).arg(v);
    }
    cmd.query_async(conn).await.expect("XADD as the tailer")
}

/// A lines entry.
pub fn lines(lines: &[&str]) -> Entry {
    Entry::Lines {
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        fd: None,
        cut: 0,
        pos: None,
    }
}

/// Writes `n` one-line entries `"{prefix} {i}"`; returns their ids.
pub async fn write_numbered(
    conn: &mut MultiplexedConnection,
    key: &str,
    prefix: &str,
    range: std::ops::Range<usize>,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in range {
        ids.push(xadd(conn, key, &lines(&[&format!("{prefix} {i}")])).await);
    }
    ids
}

/// A WebSocket viewer.
pub struct WsViewer {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsViewer {
    pub async fn connect(url: &str) -> WsViewer {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("WebSocket connects");
        WsViewer { ws }
    }

    /// Connects with an `Origin` header; returns the HTTP status of a refusal.
    pub async fn connect_with_origin(url: &str, origin: &str) -> Result<WsViewer, (u16, String)> {
        let mut req = url.into_client_request().expect("request");
        req.headers_mut()
            .insert("origin", origin.parse().expect("header"));
        refusal(
            tokio_tungstenite::connect_async(req)
                .await
                .map(|(ws, _)| WsViewer { ws }),
        )
    }

    /// Connects expecting an HTTP refusal; returns its status and body.
    pub async fn refused(url: &str) -> (u16, String) {
        match refusal(
            tokio_tungstenite::connect_async(url)
                .await
                .map(|(ws, _)| WsViewer { ws }),
        ) {
            Ok(_) => panic!("the WebSocket handshake should have been refused"),
            Err(r) => r,
        }
    }

    /// The next message that is not a heartbeat (`None` on close).
    pub async fn next_message(&mut self) -> Option<Value> {
        // One deadline for the whole call: heartbeats must not extend it.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("a message other than a heartbeat within PATIENCE")?;
            match msg.expect("WebSocket read") {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON message");
                    if v["type"] != "heartbeat" {
                        return Some(v);
                    }
                }
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// The close frame (code, reason) the server ends with.
    pub async fn close_frame(&mut self) -> Option<(u16, String)> {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a frame within PATIENCE")?;
            if let Ok(Message::Close(frame)) = msg {
                return frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned()));
            }
        }
    }

    /// Reads messages until `n` lines arrived; returns (id, line) per line.
    pub async fn lines(&mut self, n: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while out.len() < n {
            let m = self.next_message().await.expect("stream still open");
            assert_eq!(m["type"], "lines", "unexpected message {m}");
            let id = m["id"].as_str().expect("id").to_owned();
            for l in m["lines"].as_array().expect("lines") {
                out.push((id.clone(), l.as_str().expect("line").to_owned()));
            }
        }
        out
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = self.ws.flush().await;
    }
}

fn refusal<T>(r: Result<T, tokio_tungstenite::tungstenite::Error>) -> Result<T, (u16, String)> {
    match r {
        Ok(v) => Ok(v),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err((resp.status().as_u16(), body))
        }
        Err(e) => panic!("unexpected WebSocket error: {e}"),
    }
}

/// Asserts ids are strictly increasing (Redis order, none twice).
pub fn assert_strictly_increasing(ids: &[String]) {
    let parse = |s: &str| -> (u64, u64) {
        let (a, b) = s.split_once('-').expect("entry id");
        (a.parse().expect("ms"), b.parse().expect("seq"))
    };
    for w in ids.windows(2) {
        assert!(
            parse(&w[0]) < parse(&w[1]),
            "ids out of order or repeated: {} then {}",
            w[0],
            w[1]
        );
    }
}
