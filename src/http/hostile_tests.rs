//! The router and the server against the hostile clients of the security
//! review (findings 5-7, 10, 12, 13, 16, 17, 22, 23): each test is one
//! attack, run in-process without Redis or Salt.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tower::ServiceExt;

use super::{router, AppState};
use crate::settings::{Settings, UserSettings};
use crate::tickets::{Ticket, TicketKind};

const PASSWORD: &str = "correct horse";

fn settings(env: &[(&str, &str)]) -> Arc<Settings> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
    let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let mut s = Settings::load_with_env(&[file], env).expect("settings");
    s.auth.users = vec![UserSettings {
        name: "ops".into(),
        password_hash: crate::password::hash(PASSWORD).expect("hash"),
    }];
    Arc::new(s)
}

fn state(env: &[(&str, &str)]) -> AppState {
    AppState::new(settings(env)).expect("state")
}

fn basic() -> String {
    format!("Basic {}", STANDARD.encode(format!("ops:{PASSWORD}")))
}

fn bearer(s: &Settings) -> String {
    format!("Bearer {}", s.auth.api_tokens[0].expose_secret())
}

async fn send(state: &AppState, req: Request<Body>) -> Response {
    router(state.clone()).oneshot(req).await.expect("response")
}

async fn body_text(resp: Response) -> String {
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Finding 7: an anonymous form post made logview buffer up to 2 MB first.
#[tokio::test]
async fn an_anonymous_form_post_is_refused_before_its_body_is_read() {
    let app = state(&[]);
    let polled = Arc::new(AtomicBool::new(false));
    let flag = polled.clone();
    let body = futures_util::stream::once(async move {
        flag.store(true, Ordering::SeqCst);
        Ok::<_, std::io::Error>(vec![b'a'; 1 << 20])
    });
    let req = Request::post("/minions/web-01/tail")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from_stream(body))
        .expect("request");
    let resp = send(&app, req).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        !polled.load(Ordering::SeqCst),
        "the body was read before sign-in"
    );
}

/// Finding 23: an oversized body was answered 400; it is 413, on the API
/// and on the forms.
#[tokio::test]
async fn oversized_bodies_are_answered_413() {
    let app = state(&[]);
    let big = format!("{{\"minion_id\":\"{}\"}}", "a".repeat(64 * 1024));
    let req = Request::post("/api/tail")
        .header(header::AUTHORIZATION, bearer(&app.settings))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(big))
        .expect("request");
    let resp = send(&app, req).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body_text(resp).await.contains("http.max_body_bytes"));
    let form = format!("log_path={}", "a".repeat(64 * 1024));
    let req = Request::post("/minions/web-01/tail")
        .header(header::AUTHORIZATION, basic())
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    assert_eq!(
        send(&app, req).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

/// Finding 22: `/view` accepted a validly signed ticket naming a stream that
/// is not its minion's and path's.
#[tokio::test]
async fn the_viewer_page_refuses_a_ticket_for_a_foreign_stream() {
    let app = state(&[]);
    let ticket = Ticket {
        kind: TicketKind::File,
        minion: "web-01".into(),
        target: "/var/log/app.log".into(),
        stream: "logs:{b0}:web-02:/var/log/secret.log".into(),
        exp: u64::MAX / 2,
        start_after: String::new(),
        skip_lines: 0,
        by: String::new(),
    };
    let token = app.signer.sign(&ticket);
    let req = Request::get(format!("/view/{token}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&app, req).await.status(), StatusCode::UNAUTHORIZED);
}

/// Finding 17: `/metrics` took the API tokens; it takes its own only.
#[tokio::test]
async fn metrics_take_the_metrics_tokens_only() {
    let metrics_token = "a-prometheus-scrape-token";
    let app = state(&[("LOGVIEW__AUTH__METRICS_TOKENS", metrics_token)]);
    let get = |auth: String| {
        Request::get("/metrics")
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .expect("request")
    };
    let api = bearer(&app.settings);
    assert_eq!(
        send(&app, get(api)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    for scheme in ["Bearer", "bearer"] {
        let resp = send(&app, get(format!("{scheme} {metrics_token}"))).await;
        assert_eq!(resp.status(), StatusCode::OK, "{scheme}");
    }
}

/// Finding 16: every anonymous `/readyz` probed Redis and salt-api.
#[tokio::test]
async fn readiness_is_probed_once_per_cache_period() {
    let app = state(&[("LOGVIEW__HTTP__READYZ_CACHE_MILLIS", "600000")]);
    for _ in 0..5 {
        let req = Request::get("/readyz")
            .body(Body::empty())
            .expect("request");
        let _ = send(&app, req).await;
    }
    assert_eq!(app.readiness.probes(), 1);
}

/// Finding 12: ops-page posts skipped `limits.max_streams`.
#[tokio::test]
async fn an_ops_page_post_respects_the_stream_limit() {
    let app = state(&[("LOGVIEW__LIMITS__MAX_STREAMS", "1")]);
    let _held = app
        .hub
        .subscribe("logs:{ba}:web-09:/var/log/held.log", None)
        .expect("one stream");
    let issued = super::pages::csrf::issue(&app.settings, &Default::default(), "ops");
    let cookie = issued
        .set_cookie
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .expect("a nonce cookie");
    let form = format!(
        "csrf={}&log_path=/var/log/syslog&line_count=10",
        issued.token
    );
    let req = Request::post("/minions/web-01/tail")
        .header(header::AUTHORIZATION, basic())
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, cookie)
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let resp = send(&app, req).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(body_text(resp).await.contains("limits.max_streams"));
}

/// Finding 13: a `minion_id` with a newline forged a line in logview's log.
#[tokio::test(flavor = "current_thread")]
async fn request_fields_cannot_forge_log_lines() {
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = state(&[]);
    let body = serde_json::json!({
        "minion_id": "web-01\n2026-12-03T00:00:00Z ERROR FORGED fake line\u{1b}[31m",
        "log_path": "/var/log/syslog\nFORGED too",
    });
    let req = Request::post("/api/tail")
        .header(header::AUTHORIZATION, bearer(&app.settings))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    assert_eq!(send(&app, req).await.status(), StatusCode::BAD_REQUEST);
    let log = String::from_utf8_lossy(&captured.0.lock().expect("log")).into_owned();
    assert!(log.contains("FORGED"), "the refusal is logged: {log}");
    assert!(
        !log.lines()
            .any(|l| l.starts_with("2026-12-03T00:00:00Z") || l.starts_with("FORGED"))
            && !log.contains('\u{1b}'),
        "{log}"
    );
}

/// Serves `app` on a free port; returns its address.
async fn serve(app: AppState) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(super::serve(listener, app, std::future::pending()));
    addr
}

/// Finding 10: a viewer could make logview buffer 64 MiB messages.
#[tokio::test]
async fn a_viewer_that_sends_data_is_closed() {
    let app = state(&[]);
    let stream = crate::wire::stream_key("logs", "web-01", "/var/log/syslog");
    let token = app
        .signer
        .issue(TicketKind::File, "web-01", "/var/log/syslog", &stream);
    let addr = serve(app).await;
    for message in ["hello".to_owned(), "x".repeat(1 << 20)] {
        let url = format!("ws://{addr}/ws/{token}");
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("upgrade");
        let _ = ws
            .send(tokio_tungstenite::tungstenite::Message::text(
                message.clone(),
            ))
            .await;
        let closed = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match ws.next().await {
                    None
                    | Some(Err(_))
                    | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await;
        assert!(
            closed.is_ok(),
            "still open after a {} byte message",
            message.len()
        );
    }
}

/// Finding 6: slowloris sockets were held forever. A flood larger than
/// `http.max_connections`, each sending one header line at a time, is cut
/// by the header timeout, and a real client is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_flood_is_cut_and_real_users_are_served() {
    let app = state(&[
        ("LOGVIEW__HTTP__HEADER_READ_TIMEOUT_SECS", "1"),
        ("LOGVIEW__VIEWER__HEARTBEAT_SECS", "1"),
        ("LOGVIEW__HTTP__IDLE_TIMEOUT_SECS", "2"),
        ("LOGVIEW__HTTP__MAX_CONNECTIONS", "8"),
    ]);
    let addr = serve(app).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut slow = Vec::new();
    for i in 0..32 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        if i % 2 == 0 {
            // Half send a partial header; the other half send nothing.
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
        }
        slow.push(s);
    }
    let dripping = tokio::spawn(async move {
        let mut cut = 0;
        for s in &mut slow {
            let mut buf = [0u8; 256];
            // Keep dripping header lines until the server closes.
            loop {
                if Instant::now() > deadline {
                    return cut;
                }
                let _ = s.write_all(b"X-a: b\r\n").await;
                match tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => break,
                    // A 408 answer counts as being cut too.
                    Ok(Ok(_)) => break,
                    Err(_) => {}
                }
            }
            cut += 1;
        }
        cut
    });
    let client = reqwest::Client::new();
    let mut served = false;
    while Instant::now() < deadline {
        let r = client
            .get(format!("http://{addr}/healthz"))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if r.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
            served = true;
            break;
        }
    }
    assert!(served, "a real client was never served during the flood");
    let cut = dripping.await.expect("dripping task");
    assert_eq!(cut, 32, "every slow socket is closed by the server");
}
