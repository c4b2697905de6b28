//! End-to-end benchmark, printing numbers (no assertions). Two sources:
//! * `logtail`: a file in /var/log/salt-logview-bench on the minion, followed
//!   by the stack's deployed logtail (its binary, config and argv, spawned
//!   directly rather than through Salt) → Redis → logview → WebSocket clients;
//!   `POST /api/tail` → first line is measured separately through Salt;
//! * `xadd`: lines XADDed to Redis exactly as logtail writes them
//!   (`wire::Entry::to_fields`, as the `logtail` ACL user) → logview →
//!   WebSocket clients (logview alone).
//!
//! ```text
//! SLV_STACK_ENV=$PWD/.stack/test/stack.env cargo bench --bench e2e
//! SLV_BENCH_ONLY=latency,max,fanout,post   # optional subset
//! ```
//!
//! The bench starts the release `logview` binary (`target/release/logview`,
//! or `SLV_LOGVIEW_BIN`) with the stack's settings on a free port, so its
//! RSS and CPU are measured apart from the clients. Each line carries its
//! send time; the client computes the latency.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use salt_logview::tickets::{TicketKind, TicketSigner};
use salt_logview::wire::Entry;
use tokio_tungstenite::tungstenite::Message;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    raise_fd_limit();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(client_role())
}

// ---------------------------------------------------------------- stack ---

#[path = "support/stack_env.rs"]
mod stack_env;
use stack_env::stack_env;

#[path = "support/logview_process.rs"]
mod logview_process;
use logview_process::{
    bench_settings, raise_fd_limit, spawn_logview, ticks_per_sec, ServerProcess, BENCH_LOG_DIR,
};

// --------------------------------------------------------------- client ---

fn epoch() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

/// A line `"<seq> <send ns> <pad>"`.
fn line(seq: u64, pad: &str) -> String {
    format!("{seq} {} {pad}", now_ns())
}

/// Where the lines come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A file on the minion followed by logtail (POST /api/tail).
    Logtail,
    /// XADD to Redis as logtail would (logview alone).
    Xadd,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Logtail => "file→logtail→redis→logview→ws",
            Source::Xadd => "xadd→redis→logview→ws",
        }
    }
}

/// A stream being fed: its WebSocket URL and how to append lines to it.
struct Feed {
    ws_url: String,
    sink: Sink,
}

enum Sink {
    /// The file and the logtail process following it.
    File(std::fs::File, PathBuf, Child),
    Redis(redis::aio::MultiplexedConnection, String),
}

impl Feed {
    /// Appends `lines` (one logtail entry for XADD; one write for the file).
    async fn append(&mut self, lines: Vec<String>) -> Result<(), BoxError> {
        match &mut self.sink {
            Sink::File(f, _, _) => {
                use std::io::Write;
                let mut buf = lines.join("\n");
                buf.push('\n');
                f.write_all(buf.as_bytes())?;
            }
            Sink::Redis(conn, key) => {
                let _: String = xadd_cmd(
                    key,
                    &Entry::Lines {
                        lines,
                        fd: None,
                        cut: 0,
                        pos: None,
                    },
                )
                .query_async(conn)
                .await?;
            }
        }
        Ok(())
    }

    /// XADD mode: several entries in one round trip.
    async fn append_many(&mut self, batches: Vec<Vec<String>>) -> Result<(), BoxError> {
        match &mut self.sink {
            Sink::Redis(conn, key) => {
                let mut pipe = redis::pipe();
                for lines in batches {
                    pipe.add_command(xadd_cmd(
                        key,
                        &Entry::Lines {
                            lines,
                            fd: None,
                            cut: 0,
                            pos: None,
                        },
                    ));
                }
                let _: Vec<String> = pipe.query_async(conn).await?;
                Ok(())
            }
            Sink::File(..) => {
                let all = batches.into_iter().flatten().collect();
                self.append(all).await
            }
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Sink::File(_, path, tailer) = &mut self.sink {
            let _ = tailer.kill();
            let _ = tailer.wait();
            let _ = std::fs::remove_file(path);
        }
    }
}

fn xadd_cmd(key: &str, entry: &Entry) -> redis::Cmd {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key).arg("MAXLEN").arg("~").arg(20_000).arg("*");
    for (f, v) in entry.to_fields() {
        cmd.arg(f).arg(v);
    }
    cmd
}

/// What one viewer saw.
#[derive(Default)]
struct ViewerStats {
    lines: u64,
    latencies_us: Vec<u32>,
    dropped: u64,
    out_of_order: u64,
    first_line: Option<Instant>,
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
            stats.first_line.get_or_insert_with(Instant::now);
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
    http: reqwest::Client,
}

impl Bench {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}/", self.server.port)
    }

    /// POST /api/tail for the last `lines` lines of `path`; returns the
    /// WebSocket URL of the viewer URL.
    async fn post_tail_lines(&self, path: &str, lines: u32) -> Result<String, BoxError> {
        let token = self
            .env
            .get("API_TOKEN")
            .ok_or("stack.env lacks API_TOKEN")?;
        let minion = self
            .env
            .get("MINION_ID")
            .ok_or("stack.env lacks MINION_ID")?;
        let resp = self
            .http
            .post(format!("{}api/tail", self.base()))
            .bearer_auth(token)
            .json(&serde_json::json!({"minion_id": minion, "log_path": path, "line_count": lines}))
            .send()
            .await?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        let view = body["url"]
            .as_str()
            .ok_or_else(|| format!("POST /api/tail: HTTP {status}: {body}"))?;
        Ok(view.replacen("http", "ws", 1).replacen("/view/", "/ws/", 1))
    }

    async fn feed(&self, source: Source, tag: &str) -> Result<Feed, BoxError> {
        let id = format!("{tag}-{:08x}", rand::random::<u32>());
        match source {
            Source::Xadd => {
                let minion = format!("bench-{id}");
                let path = "/var/log/bench.log";
                let key = salt_logview::wire::stream_key("logs", &minion, path);
                let url = self
                    .env
                    .get("REDIS_URL_TAILER")
                    .ok_or("stack.env lacks REDIS_URL_TAILER")?;
                let conn = redis::Client::open(url.as_str())?
                    .get_multiplexed_async_connection()
                    .await?;
                let t = self.signer.issue(TicketKind::File, &minion, path, &key);
                Ok(Feed {
                    ws_url: format!("ws://127.0.0.1:{}/ws/{t}", self.server.port),
                    sink: Sink::Redis(conn, key),
                })
            }
            Source::Logtail => {
                // logtail follows the file as Salt would start it on the minion
                // (same binary, config and argv), spawned directly.
                std::fs::create_dir_all(BENCH_LOG_DIR)?;
                let path = PathBuf::from(BENCH_LOG_DIR).join(format!("bench-{id}.log"));
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                let minion = format!("bench-{id}");
                let path_str = path.to_string_lossy().into_owned();
                let key = salt_logview::wire::stream_key("logs", &minion, &path_str);
                let bin = self
                    .env
                    .get("LOGTAIL_BIN")
                    .ok_or("stack.env lacks LOGTAIL_BIN")?;
                let config = self
                    .env
                    .get("LOGTAIL_CONFIG")
                    .ok_or("stack.env lacks LOGTAIL_CONFIG")?;
                let tailer = Command::new(bin)
                    .args([
                        "follow",
                        "--config",
                        config,
                        "--stream",
                        &key,
                        "--lines",
                        "1",
                        "--max-duration",
                        "900",
                        "--idle-exit",
                        "60",
                        &path_str,
                    ])
                    .stdin(Stdio::null())
                    .spawn()?;
                let t = self
                    .signer
                    .issue(TicketKind::File, &minion, &path_str, &key);
                Ok(Feed {
                    ws_url: format!("ws://127.0.0.1:{}/ws/{t}", self.server.port),
                    sink: Sink::File(file, path, tailer),
                })
            }
        }
    }

    /// `viewers` clients of one stream; `rate` lines/s written one at a time for `secs`.
    async fn paced(
        &self,
        source: Source,
        viewers: usize,
        rate: u64,
        secs: u64,
    ) -> Result<(), BoxError> {
        let mut feed = self.feed(source, "paced").await?;
        let total = rate * secs;
        let ready = Arc::new(AtomicU64::new(0));
        let mut handles = Vec::new();
        for _ in 0..viewers {
            handles.push(tokio::spawn(viewer(
                feed.ws_url.clone(),
                total,
                Duration::from_secs(secs + 60),
                true,
                ready.clone(),
            )));
        }
        while ready.load(Ordering::Relaxed) < viewers as u64 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let cpu0 = self.server.cpu_ticks();
        let t0 = Instant::now();
        let mut peak_rss = 0;
        let interval = Duration::from_nanos(1_000_000_000 / rate);
        for seq in 0..total {
            tokio::time::sleep_until((t0 + interval * seq as u32).into()).await;
            feed.append(vec![line(seq, "")]).await?;
            if seq % rate == 0 {
                peak_rss = peak_rss.max(self.server.rss_kib());
            }
        }
        let elapsed = t0.elapsed().as_secs_f64();
        let cpu = (self.server.cpu_ticks() - cpu0) as f64 / ticks_per_sec();
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
            "[{}] {viewers} viewer(s), {rate} lines/s for {secs} s: latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; \
             {complete}/{viewers} viewers got all {total} lines, dropped {dropped}, out of order {disorder}; \
             logview CPU {:.0}% of one core, RSS peak {:.1} MiB",
            source.name(),
            percentile(&all, 0.50),
            percentile(&all, 0.99),
            percentile(&all, 1.0),
            cpu / elapsed * 100.0,
            peak_rss as f64 / 1024.0
        );
        Ok(())
    }

    /// As fast as the source takes them (batches of `batch` lines, as logtail
    /// writes under load) while one client reads; reports what arrived.
    async fn throughput(
        &self,
        source: Source,
        batch: usize,
        total_lines: u64,
    ) -> Result<(), BoxError> {
        let mut feed = self.feed(source, "max").await?;
        let ready = Arc::new(AtomicU64::new(0));
        let reader = tokio::spawn(viewer(
            feed.ws_url.clone(),
            total_lines,
            Duration::from_secs(120),
            false,
            ready.clone(),
        ));
        while ready.load(Ordering::Relaxed) < 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let pad = "x".repeat(60);
        let cpu0 = self.server.cpu_ticks();
        let t0 = Instant::now();
        let mut seq = 0u64;
        while seq < total_lines {
            let mut batches = Vec::new();
            for _ in 0..8 {
                let n = (batch as u64).min(total_lines - seq);
                if n == 0 {
                    break;
                }
                batches.push((seq..seq + n).map(|s| line(s, &pad)).collect());
                seq += n;
            }
            feed.append_many(batches).await?;
        }
        let written = t0.elapsed().as_secs_f64();
        let stats = reader.await?;
        let elapsed = t0.elapsed().as_secs_f64();
        let cpu = (self.server.cpu_ticks() - cpu0) as f64 / ticks_per_sec();
        println!(
            "[{}] max rate, one client: {} of {total_lines} lines ({} B each) in {elapsed:.2} s = {:.0} lines/s delivered \
             (source wrote {:.0} lines/s); dropped {}, out of order {}; logview CPU {:.0}% of one core, RSS {:.1} MiB",
            source.name(),
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

    /// POST /api/tail for 200 lines of a 20,000-line file → first backlog
    /// line at a client: the first POST starts the tailer (which writes
    /// `tail.shared_backlog_lines` of backlog), the next two share it
    /// (docs/sharing.md).
    async fn post_to_first_line(&self) -> Result<(), BoxError> {
        std::fs::create_dir_all(BENCH_LOG_DIR)?;
        let path = PathBuf::from(BENCH_LOG_DIR)
            .join(format!("bench-first-{:08x}.log", rand::random::<u32>()));
        std::fs::write(
            &path,
            (0..20_000)
                .map(|i| format!("{i} 0 backlog line of about sixty bytes, padded out ......\n"))
                .collect::<String>(),
        )?;
        let mut samples = Vec::new();
        for _ in 0..3 {
            let t0 = Instant::now();
            let ws_url = self.post_tail_lines(&path.to_string_lossy(), 200).await?;
            let answered = t0.elapsed();
            let stats = viewer(
                ws_url,
                1,
                Duration::from_secs(30),
                false,
                Arc::new(AtomicU64::new(0)),
            )
            .await;
            if let Some(first) = stats.first_line {
                samples.push((answered, first - t0));
            }
        }
        let _ = std::fs::remove_file(&path);
        for (i, (answered, first)) in samples.iter().enumerate() {
            println!(
                "POST /api/tail ({}) → first backlog line at the client: {:.0} ms (API answered after {:.0} ms)",
                if i == 0 { "starts the tailer" } else { "shares it" },
                first.as_secs_f64() * 1000.0,
                answered.as_secs_f64() * 1000.0
            );
        }
        if samples.is_empty() {
            println!("POST /api/tail → first line: no line arrived within 30 s");
        }
        Ok(())
    }
}

async fn client_role() -> Result<(), BoxError> {
    let env = stack_env()?;
    epoch();
    let server = spawn_logview(&env).await?;
    let settings = bench_settings(&env, server.port)?;
    let signer = TicketSigner::new(
        settings.auth.ticket_key.clone(),
        settings.auth.ticket_ttl_secs,
    );
    let bench = Bench {
        env,
        server,
        signer,
        http: reqwest::Client::new(),
    };
    println!(
        "logview (release binary) pid {} on 127.0.0.1:{}",
        bench.server.child.id(),
        bench.server.port
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("idle: {}", bench.server.memory());

    let only = std::env::var("SLV_BENCH_ONLY").unwrap_or_default();
    let want = |name: &str| only.is_empty() || only.split(',').any(|o| o == name);
    let report = |what: &str, r: Result<(), BoxError>| {
        if let Err(e) = r {
            println!("{what}: not measured: {e}");
        }
    };
    if want("post") {
        report("post", bench.post_to_first_line().await);
    }
    if want("latency") {
        for source in [Source::Logtail, Source::Xadd] {
            report("latency 20/s", bench.paced(source, 1, 20, 10).await);
            report("latency 1000/s", bench.paced(source, 1, 1000, 10).await);
        }
    }
    if want("max") {
        report(
            "max xadd",
            bench.throughput(Source::Xadd, 1000, 5_000_000).await,
        );
        report(
            "max logtail",
            bench.throughput(Source::Logtail, 1000, 2_000_000).await,
        );
    }
    if want("fanout") {
        report(
            "fanout logtail",
            bench.paced(Source::Logtail, 1000, 1000, 10).await,
        );
        report(
            "fanout xadd",
            bench.paced(Source::Xadd, 1000, 1000, 10).await,
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!("after the runs (viewers gone): {}", bench.server.memory());
    // Memory must come back once a burst is over (issue 9 item 7).
    tokio::time::sleep(Duration::from_secs(60)).await;
    println!("a minute later: {}", bench.server.memory());
    Ok(())
}
