//! The drills' viewers (`drill_support.rs`): WebSocket and SSE clients that
//! go through nginx and, after every lost connection, reconnect with their
//! last entry id (`?after=` / `Last-Event-ID`) like the browser and the
//! terminal client, until every written line arrived.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use salt_logview::client::sse::SseParser;
use serde_json::Value;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::drill_support::DRILL_WAIT;

/// How often a quiet viewer checks whether the writer is done.
const TICK: Duration = Duration::from_millis(500);

/// Lines received by one viewer, and how often it (re)connected.
#[derive(Debug, Default)]
pub struct Received {
    pub lines: Vec<String>,
    pub connects: u32,
    pub last_id: Option<String>,
}

impl Received {
    fn take(&mut self, m: &Value, id: Option<&str>) {
        if m["type"] == "lines" {
            for l in m["lines"].as_array().into_iter().flatten() {
                self.lines.push(l.as_str().unwrap_or_default().to_owned());
            }
            if let Some(id) = id.or(m["id"].as_str()) {
                self.last_id = Some(id.to_owned());
            }
        }
    }

    /// The distinct `drill-k` numbers received.
    pub(crate) fn distinct(&self) -> BTreeSet<usize> {
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix("drill-")?.parse().ok())
            .collect()
    }

    fn has_all(&self, written: Option<usize>) -> bool {
        written.is_some_and(|n| self.distinct().len() >= n)
    }
}

/// How a viewer connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Ws,
    Sse,
}

/// A viewer of `ticket` through `lb` that reconnects after every loss with
/// its last id (`?after=` / `Last-Event-ID`), like the browser and the
/// terminal client, until every written line arrived (or `DRILL_WAIT`).
pub async fn viewer(
    lb: String,
    ticket: String,
    how: Transport,
    written: watch::Receiver<Option<usize>>,
) -> Received {
    let got = Arc::new(tokio::sync::Mutex::new(Received::default()));
    let work = {
        let got = Arc::clone(&got);
        async move {
            loop {
                if got.lock().await.has_all(*written.borrow()) {
                    return;
                }
                let after = got.lock().await.last_id.clone();
                let _ = match how {
                    Transport::Ws => ws_session(&lb, &ticket, after, &got, &written).await,
                    Transport::Sse => sse_session(&lb, &ticket, after, &got, &written).await,
                };
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let _ = tokio::time::timeout(DRILL_WAIT, work).await;
    let mut out = got.lock().await;
    std::mem::take(&mut *out)
}

async fn ws_session(
    lb: &str,
    ticket: &str,
    after: Option<String>,
    got: &tokio::sync::Mutex<Received>,
    written: &watch::Receiver<Option<usize>>,
) -> Option<()> {
    let mut url = format!("{}ws/{ticket}", lb.replacen("http://", "ws://", 1));
    if let Some(id) = &after {
        url.push_str(&format!("?after={id}"));
    }
    let mut req = url.into_client_request().ok()?;
    req.headers_mut()
        .insert("Origin", lb.trim_end_matches('/').parse().ok()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.ok()?;
    got.lock().await.connects += 1;
    loop {
        // Every 500 ms without a message: the writer may have finished
        // after the last line arrived.
        let Ok(next) = tokio::time::timeout(TICK, ws.next()).await else {
            if got.lock().await.has_all(*written.borrow()) {
                return Some(());
            }
            continue;
        };
        let Some(Ok(msg)) = next else {
            return None;
        };
        if let Message::Text(text) = msg {
            let m: Value = serde_json::from_str(&text).ok()?;
            let mut g = got.lock().await;
            g.take(&m, None);
            if g.has_all(*written.borrow()) {
                return Some(());
            }
        }
    }
}

async fn sse_session(
    lb: &str,
    ticket: &str,
    after: Option<String>,
    got: &tokio::sync::Mutex<Received>,
    written: &watch::Receiver<Option<usize>>,
) -> Option<()> {
    let mut req = reqwest::Client::new().get(format!("{lb}sse/{ticket}"));
    if let Some(id) = &after {
        req = req.header("Last-Event-ID", id);
    }
    let resp = req.send().await.ok()?;
    if resp.status().as_u16() != 200 {
        return None;
    }
    got.lock().await.connects += 1;
    let mut body = resp.bytes_stream();
    let mut parser = SseParser::default();
    loop {
        let Ok(next) = tokio::time::timeout(TICK, body.next()).await else {
            if got.lock().await.has_all(*written.borrow()) {
                return Some(());
            }
            continue;
        };
        let Some(Ok(chunk)) = next else {
            return None;
        };
        for ev in parser.feed(&chunk) {
            let Ok(m) = serde_json::from_str::<Value>(&ev.data) else {
                continue;
            };
            let mut g = got.lock().await;
            g.take(&m, ev.id.as_deref());
            if g.has_all(*written.borrow()) {
                return Some(());
            }
        }
    }
}
