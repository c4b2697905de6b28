//! Helpers of the `api_*` tests: logview started in-process by
//! `support::app::serve_app` with the stack's settings (`settings.toml` + `LOGVIEW_SETTINGS`), HTTP
//! calls, Redis reads as the admin user, and counting the tailers that follow
//! a path by reading `/proc/*/cmdline` (no `ps | grep`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::streams::StreamRangeReply;
use redis::AsyncCommands;
use salt_logview::http::AppState;
use salt_logview::settings::Settings;
use salt_logview::tickets::{Ticket, TicketSigner};
use salt_logview::wire::{self, Entry};
use serde_json::Value;

use crate::support::app::{serve_app, RunningApp};
use crate::support::stack::stack;

/// The token of /metrics (auth.metrics_tokens) in these tests.
pub const METRICS_TOKEN: &str = "api-tests-metrics-token-0123456";

/// A logview serving on a free port until dropped.
pub struct TestApp {
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
    /// The settings it runs with.
    pub settings: Arc<Settings>,
    /// Its state (the orchestrator's salt-api client, …).
    pub state: AppState,
    pub http: reqwest::Client,
    _app: RunningApp,
}

/// Starts logview with the stack's settings plus `overrides`
/// (`LOGVIEW__SECTION__KEY` names, as in the environment).
pub async fn spawn_app(overrides: &[(&str, &str)]) -> TestApp {
    let s = stack();
    // Tailers of these tests exit 5 s after their last viewer (or start)
    // unless a test says otherwise, so none outlive the run for long. The
    // machine is shared and often loaded: a healthy minion can need several
    // seconds to answer, so the Salt timeouts are generous here (the test of
    // a stopped minion sets the production defaults back).
    let mut env: Vec<(String, String)> = vec![
        ("LOGVIEW__TAIL__IDLE_EXIT_SECS".into(), "5".into()),
        ("LOGVIEW__SALT__MINION_TIMEOUT_SECS".into(), "10".into()),
        ("LOGVIEW__SALT__GATHER_JOB_TIMEOUT_SECS".into(), "10".into()),
        ("LOGVIEW__SALT__REQUEST_TIMEOUT_SECS".into(), "60".into()),
        ("LOGVIEW__SALT__START_CONFIRM_SECS".into(), "30".into()),
        ("LOGVIEW__AUTH__METRICS_TOKENS".into(), METRICS_TOKEN.into()),
    ];
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let files = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml"),
        s.path("LOGVIEW_SETTINGS"),
    ];
    let app = serve_app(&files, env).await;
    TestApp {
        base: app.base.clone(),
        settings: app.settings.clone(),
        state: app.state.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("reqwest client"),
        _app: app,
    }
}

/// Status and JSON body of an answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub www_authenticate: Option<String>,
}

impl Answer {
    /// `body.message` as text ("" when absent).
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// `body.url`, panicking with the whole answer when the call failed.
    pub fn url(&self) -> &str {
        assert_eq!(self.status, 200, "expected success: {self:?}");
        assert_eq!(self.body["success"], Value::Bool(true), "{self:?}");
        self.body["url"].as_str().expect("url is a string")
    }
}

impl TestApp {
    /// The stack's API token.
    pub fn token(&self) -> String {
        stack().get("API_TOKEN").to_owned()
    }

    /// POST JSON `body` to `path` with the stack's bearer token.
    pub async fn post_json(&self, path: &str, body: Value) -> Answer {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token())
            .json(&body);
        answer(req).await
    }

    /// POST a form to `path` with `token` (None = no Authorization header).
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        token: Option<&str>,
    ) -> Answer {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req).await
    }

    /// GET `url` with the metrics token (`auth`) or none: status and body text.
    pub async fn get_text(&self, url: &str, auth: bool) -> (u16, String) {
        let mut req = self.http.get(url);
        if auth {
            req = req.bearer_auth(METRICS_TOKEN);
        }
        let resp = req.send().await.expect("logview answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }

    /// POST /api/tail as JSON.
    pub async fn tail(&self, minion: &str, path: &str, lines: Value) -> Answer {
        self.post_json(
            "api/tail",
            serde_json::json!({"minion_id": minion, "log_path": path, "line_count": lines}),
        )
        .await
    }

    /// The ticket of a viewer URL, verified with this app's key.
    pub fn ticket_of(&self, url: &str) -> Ticket {
        let prefix = format!("{}view/", self.base);
        let token = url
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{url} does not start with {prefix}"));
        TicketSigner::new(
            self.settings.auth.ticket_key.clone(),
            self.settings.auth.ticket_ttl_secs,
        )
        .verify(token)
        .expect("the ticket of the viewer URL verifies")
    }

    /// The stream key of `path` on the stack's minion.
    pub fn stream_of(&self, minion: &str, path: &str) -> String {
        wire::stream_key(&self.settings.redis.prefix, minion, path)
    }
}

async fn answer(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.expect("logview answers");
    let status = resp.status().as_u16();
    let www_authenticate = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("logview answered non-JSON (status {status}): {text}"));
    Answer {
        status,
        body,
        www_authenticate,
    }
}

/// Where the tests put the files they tail: the stack's `LOG_DIR` when every
/// segment of it passes logtail's path rule, else (the stack keeps LOG_DIR
/// under `.stack/`, whose leading dot logtail refuses) a directory under
/// `/var/log`, which the stack allows in logview, the eauth ACL and logtail.
pub fn test_log_dir() -> PathBuf {
    let log_dir = stack().path("LOG_DIR");
    let ok = log_dir.to_string_lossy().split('/').skip(1).all(|seg| {
        seg.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    });
    let dir = if ok {
        log_dir
    } else {
        PathBuf::from("/var/log/salt-logview-tests")
    };
    std::fs::create_dir_all(&dir).expect("create the test log directory");
    dir
}

/// A fresh file in [`test_log_dir`] holding `lines` (`name-N` each).
pub fn log_file(name: &str, lines: usize) -> PathBuf {
    let dir = test_log_dir();
    let path = dir.join(format!("api-{name}-{}.log", unique()));
    let text: String = (1..=lines).map(|i| format!("{name}-{i}\n")).collect();
    std::fs::write(&path, text).expect("write the test log file");
    path
}

/// Appends `lines` to `path`.
pub fn append(path: &Path, lines: &[String]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append");
    for l in lines {
        writeln!(f, "{l}").expect("append");
    }
}

/// A short unique suffix (time + counter; tests run in parallel).
pub fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}{nanos:x}{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// An admin Redis connection (tests only).
pub async fn redis_admin() -> redis::aio::MultiplexedConnection {
    redis::Client::open(stack().get("REDIS_URL_ADMIN"))
        .expect("admin url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis admin connection")
}

/// Every entry of `stream`, decoded, with its id (read where the stack keeps
/// streams: its Redis, or its Redis Cluster after `up --redis-cluster`).
pub async fn entries(stream: &str) -> Vec<(String, Entry)> {
    let reply: StreamRangeReply = if stack().get_or("REDIS_CLUSTER", "0") == "1" {
        let seeds: Vec<&str> = stack()
            .get("REDIS_CLUSTER_URLS_ADMIN")
            .split_whitespace()
            .collect();
        let mut c = redis::cluster::ClusterClient::new(seeds)
            .expect("cluster admin urls")
            .get_async_connection()
            .await
            .expect("redis cluster admin connection");
        c.xrange_all(stream).await.expect("XRANGE")
    } else {
        let mut c = redis_admin().await;
        c.xrange_all(stream).await.expect("XRANGE")
    };
    reply
        .ids
        .into_iter()
        .map(|e| {
            let pairs: Vec<(String, Vec<u8>)> = e
                .map
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        redis::from_redis_value_ref::<Vec<u8>>(v).unwrap_or_default(),
                    )
                })
                .collect();
            let entry = Entry::from_fields(pairs.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .expect("every entry decodes");
            (e.id, entry)
        })
        .collect()
}

/// Whether `key` exists.
pub async fn key_exists(key: &str) -> bool {
    let mut c = redis_admin().await;
    c.exists(key).await.expect("EXISTS")
}

/// pids of live `LOGTAIL_BIN follow … PATH` processes (zombies have an empty
/// cmdline and are not counted).
pub fn tailers_following(path: &Path) -> Vec<u32> {
    let bin = stack().get("LOGTAIL_BIN");
    let path = path.to_string_lossy();
    let mut pids = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for d in dir.flatten() {
        let Ok(pid) = d.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(raw) = std::fs::read(d.path().join("cmdline")) else {
            continue;
        };
        let argv: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if argv.first().map(String::as_str) == Some(bin)
            && argv.get(1).map(String::as_str) == Some("follow")
            && argv.last().map(String::as_str) == Some(&*path)
        {
            pids.push(pid);
        }
    }
    pids
}

/// Polls `check` every 100 ms until it returns `Some` or `limit` passes (a
/// generous bound for a shared machine, not a performance assertion).
pub async fn eventually<T>(
    limit: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The lines of the `lines` entries of `entries`, in order.
pub fn lines_of(entries: &[(String, Entry)]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|(_, e)| match e {
            Entry::Lines { lines, .. } => Some(lines.clone()),
            Entry::Event(_) => None,
        })
        .flatten()
        .collect()
}
