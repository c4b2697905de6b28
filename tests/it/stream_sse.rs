//! The viewer SSE stream against the real Redis: `data:` carries the same
//! JSON as the WebSocket, `id:` the entry id, and `Last-Event-ID` resumes
//! with nothing missed and nothing repeated.

use futures_util::StreamExt;

use crate::stream_support::*;

/// Reads SSE events from a response: (id, data JSON), skipping comments.
pub(crate) struct SseReader {
    body: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = reqwest::Result<axum::body::Bytes>> + Send>,
    >,
    buf: String,
}

impl SseReader {
    pub(crate) async fn open(url: &str, last_event_id: Option<&str>) -> SseReader {
        let mut req = reqwest::Client::new().get(url);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.expect("SSE request");
        assert_eq!(resp.status().as_u16(), 200);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream"));
        SseReader {
            body: Box::pin(resp.bytes_stream()),
            buf: String::new(),
        }
    }

    pub(crate) async fn next_event(&mut self) -> (Option<String>, serde_json::Value) {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut data) = (None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // keep-alive comment
                }
                return (id, serde_json::from_str(&data).expect("JSON data"));
            }
            let chunk = tokio::time::timeout(PATIENCE, self.body.next())
                .await
                .expect("an event within PATIENCE");
            let chunk = chunk.expect("stream open").expect("read");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    async fn lines(&mut self, n: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while out.len() < n {
            let (id, m) = self.next_event().await;
            assert_eq!(m["type"], "lines", "{m}");
            let id = id.expect("an id: on every lines event");
            assert_eq!(m["id"], id.as_str(), "id: equals the message id");
            for l in m["lines"].as_array().expect("lines") {
                out.push((id.clone(), l.as_str().expect("str").to_owned()));
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_sends_backlog_then_live_and_resumes_from_last_event_id() {
    let svc = start_service(&[]).await;
    let s = unique_stream();
    let mut redis = tailer().await;
    let mut ids = write_numbered(&mut redis, &s.key, "s", 0..5).await;
    let url = svc.url(&format!("sse/{}", svc.ticket(&s)));
    let mut a = SseReader::open(&url, None).await;
    ids.extend(write_numbered(&mut redis, &s.key, "s", 5..10).await);
    let first = a.lines(7).await;
    drop(a);
    ids.extend(write_numbered(&mut redis, &s.key, "s", 10..15).await);

    let last = first.last().expect("some").0.clone();
    let mut b = SseReader::open(&url, Some(&last)).await;
    let rest = b.lines(8).await;
    let all: Vec<_> = first.into_iter().chain(rest).collect();
    assert_eq!(
        all.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(
        all.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
        (0..15).map(|i| format!("s {i}")).collect::<Vec<_>>()
    );

    let bad = reqwest::Client::new()
        .get(&url)
        .header("Last-Event-ID", "garbage")
        .send()
        .await
        .expect("HTTP");
    assert_eq!(bad.status().as_u16(), 400);
}
