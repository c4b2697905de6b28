//! End-to-end benchmark of the data plane, printing numbers (no assertions):
//! tailer XADD → Redis → logview (Hub + WebSocket route, in its own process)
//! → WebSocket clients. Run against the test stack:
//!
//! ```text
//! SLV_STACK_ENV=.stack/test/stack.env cargo bench --bench e2e
//! ```
//!
//! The bench re-executes itself with `SLV_BENCH_ROLE=server` to run the
//! logview stream service (the same `Hub` and `/ws` router the `logview`
//! binary serves) in a separate process, so its RSS and CPU are measured
//! apart from the clients. Lines are written to Redis as logtail writes them
//! (`wire::Entry::to_fields`, as the `logtail` ACL user); each line carries
//! its send time so the client computes the latency.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::FromRef;
use futures_util::StreamExt;
use salt_logview::http::{health, sse, ws};
use salt_logview::metrics::Metrics;
use salt_logview::settings::Settings;
use salt_logview::stream::Hub;
use salt_logview::tickets::{TicketKind, TicketSigner};
use salt_logview::wire::Entry;
use tokio_tungstenite::tungstenite::Message;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    raise_fd_limit();
    if std::env::var("SLV_BENCH_ROLE").as_deref() == Ok("server") {
        return server_role();
    }
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(client_role())
}

// ---------------------------------------------------------------- stack ---

fn stack_env() -> Result<HashMap<String, String>, BoxError> {
    let path = std::env::var("SLV_STACK_ENV")
        .map_err(|_| "set SLV_STACK_ENV to a stack.env (scripts/stack.sh up --name test)")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect())
}

fn settings_files(env: &HashMap<String, String>) -> Vec<PathBuf> {
    let mut files = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml")];
    if let Some(overlay) = env
        .get("LOGVIEW_SETTINGS")
        .filter(|p| Path::new(p).exists())
    {
        files.push(PathBuf::from(overlay));
    }
    files
}

fn bench_settings(env: &HashMap<String, String>, port: u16) -> Result<Settings, BoxError> {
    let overrides = [
        ("LOGVIEW__SERVER__BIND", format!("127.0.0.1:{port}")),
        (
            "LOGVIEW__SERVER__PUBLIC_URL",
            format!("http://127.0.0.1:{port}/"),
        ),
        (
            "LOGVIEW__REDIS__URL",
            env.get("REDIS_URL_LOGVIEW")
                .cloned()
                .ok_or("stack.env lacks REDIS_URL_LOGVIEW")?,
        ),
        ("LOGVIEW__LIMITS__MAX_VIEWERS_PER_STREAM", "5000".to_owned()),
    ];
    let env_vars = overrides.into_iter().map(|(k, v)| (k.to_owned(), v));
    Ok(Settings::load_with_env(&settings_files(env), env_vars)?)
}

fn raise_fd_limit() {
    // SAFETY: plain libc calls on a stack-allocated struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max.min(65536);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

// --------------------------------------------------------------- server ---

#[derive(Clone)]
struct ServerState {
    hub: Hub,
    signer: TicketSigner,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
}

impl FromRef<ServerState> for Hub {
    fn from_ref(s: &ServerState) -> Hub {
        s.hub.clone()
    }
}
impl FromRef<ServerState> for TicketSigner {
    fn from_ref(s: &ServerState) -> TicketSigner {
        s.signer.clone()
    }
}
impl FromRef<ServerState> for Arc<Settings> {
    fn from_ref(s: &ServerState) -> Arc<Settings> {
        s.settings.clone()
    }
}
impl FromRef<ServerState> for Arc<Metrics> {
    fn from_ref(s: &ServerState) -> Arc<Metrics> {
        s.metrics.clone()
    }
}

/// The logview stream service, as the `logview` binary runs it.
fn server_role() -> Result<(), BoxError> {
    let env = stack_env()?;
    let port: u16 = std::env::var("SLV_BENCH_PORT")?.parse()?;
    let settings = Arc::new(bench_settings(&env, port)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let metrics = Arc::new(Metrics::new());
        let state = ServerState {
            hub: Hub::new(settings.clone(), metrics.clone()),
            signer: TicketSigner::new(
                settings.auth.ticket_key.clone(),
                settings.auth.ticket_ttl_secs,
            ),
            settings: settings.clone(),
            metrics,
        };
        let app = ws::router::<ServerState>()
            .merge(sse::router::<ServerState>())
            .merge(health::router::<ServerState>())
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(&settings.server.bind).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

struct ServerProcess {
    child: Child,
    port: u16,
}

impl ServerProcess {
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// utime + stime in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        // Fields after the command: state is index 0, utime 11, stime 12.
        f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn spawn_server() -> Result<ServerProcess, BoxError> {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let child = Command::new(std::env::current_exe()?)
        .env("SLV_BENCH_ROLE", "server")
        .env("SLV_BENCH_PORT", port.to_string())
        .stdin(Stdio::null())
        .spawn()?;
    let server = ServerProcess { child, port };
    let url = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..100 {
        if reqwest::get(&url)
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false)
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the logview stream service did not answer /healthz".into())
}

// --------------------------------------------------------------- client ---

fn epoch() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

fn unique_stream(tag: &str) -> (String, String, String) {
    let minion = format!("bench-{tag}-{:08x}", rand::random::<u32>());
    let path = "/var/log/bench.log".to_owned();
    let key = salt_logview::wire::stream_key("logs", &minion, &path);
    (minion, path, key)
}

async fn tailer(
    env: &HashMap<String, String>,
) -> Result<redis::aio::MultiplexedConnection, BoxError> {
    let url = env
        .get("REDIS_URL_TAILER")
        .ok_or("stack.env lacks REDIS_URL_TAILER")?;
    Ok(redis::Client::open(url.as_str())?
        .get_multiplexed_async_connection()
        .await?)
}

fn xadd_cmd(key: &str, entry: &Entry) -> redis::Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key).arg("MAXLEN").arg("~").arg(20_000).arg("*");
    for (f, v) in entry.to_fields() {
        cmd.arg(f).arg(v);
    }
    cmd
}

fn line(seq: u64, pad: &str) -> String {
    format!("{seq} {} {pad}", now_ns())
}

/// What one viewer saw.
#[derive(Default)]
struct ViewerStats {
    lines: u64,
    latencies_us: Vec<u32>,
    dropped: u64,
    out_of_order: u64,
}

/// Parses `"lines":["<seq> <ns> ...",...]` without a JSON parser (cheap
/// enough for a million messages per second): seq and send time per line.
fn scan_lines(json: &str, mut f: impl FnMut(u64, u64)) {
    let Some(start) = json.find("\"lines\":[") else {
        return;
    };
    let mut rest = &json[start + 9..];
    while let Some(q) = rest.strip_prefix('"') {
        let end = q.find('"').unwrap_or(q.len());
        let mut it = q[..end].split(' ');
        if let (Some(Ok(seq)), Some(Ok(ns))) =
            (it.next().map(str::parse), it.next().map(str::parse))
        {
            f(seq, ns);
        }
        rest = q.get(end + 1..).unwrap_or("");
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// A viewer that reads until it has `expect` lines (or `deadline`).
async fn viewer(
    url: String,
    expect: u64,
    deadline: Duration,
    keep_latency: bool,
    ready: Arc<AtomicU64>,
) -> ViewerStats {
    let mut stats = ViewerStats::default();
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&url).await else {
        return stats;
    };
    ready.fetch_add(1, Ordering::Relaxed);
    let end = Instant::now() + deadline;
    let mut next_seq = 0u64;
    while stats.lines + stats.dropped < expect {
        let msg = match tokio::time::timeout_at(end.into(), ws.next()).await {
            Ok(Some(Ok(m))) => m,
            _ => break,
        };
        let recv = now_ns();
        let Message::Text(t) = msg else { continue };
        let text = t.as_str();
        if text.starts_with("{\"type\":\"dropped\"") {
            let count = text
                .split("\"count\":")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            stats.dropped += count;
            continue;
        }
        scan_lines(text, |seq, sent| {
            if seq != next_seq && stats.dropped == 0 {
                stats.out_of_order += 1;
            }
            next_seq = seq + 1;
            stats.lines += 1;
            if keep_latency {
                stats
                    .latencies_us
                    .push(((recv.saturating_sub(sent)) / 1000).min(u32::MAX as u64) as u32);
            }
        });
    }
    let _ = ws.close(None).await;
    stats
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx] as f64 / 1000.0
}

struct Bench {
    env: HashMap<String, String>,
    server: ServerProcess,
    signer: TicketSigner,
}

impl Bench {
    fn ws_url(&self, minion: &str, path: &str, key: &str) -> String {
        let t = self.signer.issue(TicketKind::File, minion, path, key);
        format!("ws://127.0.0.1:{}/ws/{t}", self.server.port)
    }

    /// `viewers` clients of one stream; the tailer writes `rate` lines/s
    /// (one line per entry, as logtail does at low rates) for `secs`.
    async fn paced(&self, tag: &str, viewers: usize, rate: u64, secs: u64) -> Result<(), BoxError> {
        let (minion, path, key) = unique_stream(tag);
        let url = self.ws_url(&minion, &path, &key);
        let total = rate * secs;
        let ready = Arc::new(AtomicU64::new(0));
        let mut handles = Vec::new();
        for _ in 0..viewers {
            handles.push(tokio::spawn(viewer(
                url.clone(),
                total,
                Duration::from_secs(secs + 60),
                true,
                ready.clone(),
            )));
        }
        while ready.load(Ordering::Relaxed) < viewers as u64 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut redis = tailer(&self.env).await?;
        let cpu0 = self.server.cpu_ticks();
        let t0 = Instant::now();
        let mut peak_rss = 0;
        let interval = Duration::from_nanos(1_000_000_000 / rate);
        for seq in 0..total {
            let due = t0 + interval * seq as u32;
            tokio::time::sleep_until(due.into()).await;
            let entry = Entry::Lines {
                lines: vec![line(seq, "")],
                fd: None,
                cut: 0,
            };
            let _: String = xadd_cmd(&key, &entry).query_async(&mut redis).await?;
            if seq % rate == 0 {
                peak_rss = peak_rss.max(self.server.rss_kib());
            }
        }
        let elapsed = t0.elapsed().as_secs_f64();
        let cpu = (self.server.cpu_ticks() - cpu0) as f64 / ticks_per_sec() as f64;
        let mut all = Vec::new();
        let (mut complete, mut dropped, mut disorder) = (0, 0, 0);
        for h in handles {
            let s = h.await?;
            if s.lines == total {
                complete += 1;
            }
            dropped += s.dropped;
            disorder += s.out_of_order;
            all.extend(s.latencies_us);
        }
        peak_rss = peak_rss.max(self.server.rss_kib());
        all.sort_unstable();
        println!(
            "{tag}: {viewers} viewer(s), {rate} lines/s for {secs} s: latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; \
             {complete}/{viewers} viewers got all {total} lines, dropped {dropped}, out of order {disorder}; \
             logview CPU {:.0}% of one core, RSS peak {:.1} MiB",
            percentile(&all, 0.50),
            percentile(&all, 0.99),
            percentile(&all, 1.0),
            cpu / elapsed * 100.0,
            peak_rss as f64 / 1024.0
        );
        Ok(())
    }

    /// The highest rate to one client with no loss: the tailer writes
    /// batched entries (as logtail does under load) as fast as Redis takes
    /// them while one client reads.
    async fn throughput(&self, batch: usize, total_lines: u64) -> Result<(), BoxError> {
        let (minion, path, key) = unique_stream("max");
        let url = self.ws_url(&minion, &path, &key);
        let ready = Arc::new(AtomicU64::new(0));
        let reader = tokio::spawn(viewer(
            url,
            total_lines,
            Duration::from_secs(300),
            false,
            ready.clone(),
        ));
        while ready.load(Ordering::Relaxed) < 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut redis = tailer(&self.env).await?;
        let pad = "x".repeat(60);
        let cpu0 = self.server.cpu_ticks();
        let t0 = Instant::now();
        let mut seq = 0u64;
        while seq < total_lines {
            let mut pipe = redis::pipe();
            for _ in 0..8 {
                let n = (batch as u64).min(total_lines - seq);
                if n == 0 {
                    break;
                }
                let lines = (seq..seq + n).map(|s| line(s, &pad)).collect();
                seq += n;
                pipe.add_command(xadd_cmd(
                    &key,
                    &Entry::Lines {
                        lines,
                        fd: None,
                        cut: 0,
                    },
                ));
            }
            let _: Vec<String> = pipe.query_async(&mut redis).await?;
        }
        let written = t0.elapsed().as_secs_f64();
        let stats = reader.await?;
        let elapsed = t0.elapsed().as_secs_f64();
        let cpu = (self.server.cpu_ticks() - cpu0) as f64 / ticks_per_sec() as f64;
        println!(
            "max rate, one client: {} of {total_lines} lines ({} B each, {batch} per entry) in {elapsed:.2} s = {:.0} lines/s delivered \
             (tailer wrote at {:.0} lines/s); dropped {}, out of order {}; logview CPU {:.0}% of one core, RSS {:.1} MiB",
            stats.lines,
            pad.len() + 20,
            stats.lines as f64 / elapsed,
            total_lines as f64 / written,
            stats.dropped,
            stats.out_of_order,
            cpu / elapsed * 100.0,
            self.server.rss_kib() as f64 / 1024.0
        );
        Ok(())
    }

    /// The backlog path alone: a full stream read from Redis by a new viewer.
    async fn backlog(&self, batch: usize, total_lines: u64) -> Result<(), BoxError> {
        let (minion, path, key) = unique_stream("backlog");
        let mut redis = tailer(&self.env).await?;
        let pad = "x".repeat(60);
        let mut seq = 0;
        while seq < total_lines {
            let n = (batch as u64).min(total_lines - seq);
            let lines = (seq..seq + n).map(|s| line(s, &pad)).collect();
            seq += n;
            let _: String = xadd_cmd(
                &key,
                &Entry::Lines {
                    lines,
                    fd: None,
                    cut: 0,
                },
            )
            .query_async(&mut redis)
            .await?;
        }
        let t0 = Instant::now();
        let stats = viewer(
            self.ws_url(&minion, &path, &key),
            total_lines,
            Duration::from_secs(300),
            false,
            Arc::new(AtomicU64::new(0)),
        )
        .await;
        let elapsed = t0.elapsed().as_secs_f64();
        println!(
            "backlog to a new viewer: {} of {total_lines} retained lines in {elapsed:.2} s = {:.0} lines/s; dropped {}, out of order {}",
            stats.lines,
            stats.lines as f64 / elapsed,
            stats.dropped,
            stats.out_of_order
        );
        Ok(())
    }
}

fn ticks_per_sec() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// POST /api/tail on a full logview (stack LOGVIEW_URL) → first line at a WebSocket client.
async fn post_to_first_line(env: &HashMap<String, String>) -> Result<(), BoxError> {
    let (Some(base), Some(token), Some(minion), Some(dir)) = (
        env.get("LOGVIEW_URL"),
        env.get("API_TOKEN"),
        env.get("MINION_ID"),
        env.get("LOG_DIR"),
    ) else {
        println!("POST /api/tail → first line: not measured (stack.env has no LOGVIEW_URL: logview not started by the stack)");
        return Ok(());
    };
    let log = format!("{dir}/bench-first-line.log");
    std::fs::write(&log, "first line for the bench\nsecond line\n")?;
    let t0 = Instant::now();
    let resp = reqwest::Client::new()
        .post(format!("{base}api/tail"))
        .bearer_auth(token)
        .json(&serde_json::json!({"minion_id": minion, "log_path": log, "line_count": 10}))
        .send()
        .await?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let Some(view) = body["url"].as_str() else {
        println!("POST /api/tail → first line: not measured (HTTP {status}: {body})");
        return Ok(());
    };
    let answered = t0.elapsed();
    let ws_url = view.replacen("http", "ws", 1).replacen("/view/", "/ws/", 1);
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await?;
    while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        if let Message::Text(t) = m {
            if t.as_str().contains("\"type\":\"lines\"") {
                println!(
                    "POST /api/tail → first backlog line at the client: {:.0} ms (API answered after {:.0} ms)",
                    t0.elapsed().as_secs_f64() * 1000.0,
                    answered.as_secs_f64() * 1000.0
                );
                return Ok(());
            }
        }
    }
    println!("POST /api/tail → first line: no line arrived within 30 s");
    Ok(())
}

async fn client_role() -> Result<(), BoxError> {
    let env = stack_env()?;
    epoch();
    let server = spawn_server().await?;
    let settings = bench_settings(&env, server.port)?;
    let signer = TicketSigner::new(
        settings.auth.ticket_key.clone(),
        settings.auth.ticket_ttl_secs,
    );
    let bench = Bench {
        env,
        server,
        signer,
    };
    println!(
        "logview stream service pid {} on 127.0.0.1:{}",
        bench.server.child.id(),
        bench.server.port
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "idle RSS: {:.1} MiB",
        bench.server.rss_kib() as f64 / 1024.0
    );

    let only = std::env::var("SLV_BENCH_ONLY").unwrap_or_default();
    let want = |name: &str| only.is_empty() || only.split(',').any(|o| o == name);
    if want("latency") {
        bench.paced("latency-20", 1, 20, 10).await?;
        bench.paced("latency-1000", 1, 1000, 10).await?;
    }
    if want("max") {
        bench.throughput(1000, 5_000_000).await?;
        bench.backlog(1000, 1_000_000).await?;
    }
    if want("fanout") {
        bench.paced("fanout-1000", 1000, 1000, 10).await?;
    }
    println!(
        "idle RSS after the runs: {:.1} MiB",
        bench.server.rss_kib() as f64 / 1024.0
    );
    if want("post") {
        post_to_first_line(&bench.env).await?;
    }
    Ok(())
}
