//! Many streams, few lines each (issue 12): N streams, each with a writer
//! appending a few lines a second (XADD as logtail writes them) and one
//! WebSocket viewer. Prints, per N: lines checked for loss and order,
//! write → viewer latency p50/p99, logview's RSS and CPU, and the Redis
//! connections of the `logview` user (all, and those blocked in XREAD) and
//! redis-server's CPU:
//! blocking reads are shared by read groups, not held one per stream.
//!
//! ```text
//! cargo build --bin logview            # or --release; SLV_LOGVIEW_BIN picks the binary
//! SLV_LOGVIEW_BIN=$PWD/target/debug/logview cargo bench --bench streams
//! SLV_BENCH_STREAMS=100,500,2000 SLV_BENCH_SECS=20 SLV_BENCH_RATE=2   # the defaults
//! ```
//!
//! Against a private redis-server (no stack needed); logview runs as its own
//! process so its RSS and CPU are its own. Numbers only, no assertions.

#[path = "support/logview_process.rs"]
#[allow(dead_code)]
mod logview_process;
#[path = "../tests/it/support/ports.rs"]
mod ports;
#[path = "../tests/it/support/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use logview_process::{
    cpu_ticks, free_port, raise_fd_limit, spawn_logview_with, ticks_per_sec, ServerProcess,
};
use redis_server::RedisServer;
use salt_logview::settings::Settings;
use salt_logview::tickets::{TicketKind, TicketSigner};
use salt_logview::wire::Entry;
use tokio_tungstenite::tungstenite::Message;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Give-up time for waits that only end if something is broken.
const PATIENCE: Duration = Duration::from_secs(120);

fn main() -> Result<(), BoxError> {
    raise_fd_limit();
    let counts: Vec<usize> = std::env::var("SLV_BENCH_STREAMS")
        .unwrap_or("100,500,2000".into())
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;
    let secs: u64 = std::env::var("SLV_BENCH_SECS")
        .unwrap_or("20".into())
        .parse()?;
    let rate: f64 = std::env::var("SLV_BENCH_RATE")
        .unwrap_or("2".into())
        .parse()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let redis = RedisServer::start();
    println!("streams: {counts:?}, {rate} lines/s each for {secs} s, one viewer each");
    println!("| streams | lines (lost) | p50 / p99 ms | logview RSS MiB (per stream KiB) | logview CPU % | redis-server CPU % | redis conns of logview (in XREAD) |");
    println!("|---|---|---|---|---|---|---|");
    for n in counts {
        let row = rt.block_on(run(&redis, n, Duration::from_secs(secs), rate))?;
        println!("{row}");
    }
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    Ok(())
}

fn epoch() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn now_us() -> u64 {
    epoch().elapsed().as_micros() as u64
}

fn overrides(redis: &RedisServer, port: u16, streams: usize) -> Vec<(String, String)> {
    [
        ("LOGVIEW__SERVER__BIND", format!("127.0.0.1:{port}")),
        (
            "LOGVIEW__SERVER__PUBLIC_URL",
            format!("http://127.0.0.1:{port}/"),
        ),
        ("LOGVIEW__REDIS__URL", redis.logview_url()),
        ("LOGVIEW__LIMITS__MAX_STREAMS", (streams + 10).to_string()),
        (
            "LOGVIEW__HTTP__MAX_CONNECTIONS",
            (streams + 100).to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn settings_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml")
}

async fn spawn_logview(redis: &RedisServer, streams: usize) -> Result<ServerProcess, BoxError> {
    let port = free_port()?;
    spawn_logview_with(
        &[settings_file()],
        port,
        overrides(redis, port, streams),
        "streams",
    )
    .await
}

/// What one viewer saw: lines in order (sequence numbers), latencies.
#[derive(Default)]
struct Seen {
    next_seq: u64,
    out_of_order: u64,
    dropped: u64,
    latencies_us: Vec<u32>,
}

/// Reads lines `"<seq> <send µs>"` until `want` lines arrived (or the socket ends).
async fn view(
    url: String,
    want: u64,
    first: tokio::sync::mpsc::Sender<()>,
) -> Result<Seen, BoxError> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let mut seen = Seen::default();
    let mut told = false;
    while seen.next_seq < want {
        let msg = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .map_err(|_| "a viewer got nothing within PATIENCE")?;
        let Some(msg) = msg else { break };
        let Message::Text(text) = msg? else { continue };
        let v: serde_json::Value = serde_json::from_str(text.as_str())?;
        match v["type"].as_str() {
            Some("lines") => {
                let now = now_us();
                for l in v["lines"].as_array().into_iter().flatten() {
                    let mut parts = l.as_str().unwrap_or("").split(' ');
                    let seq: u64 = parts
                        .next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(u64::MAX);
                    let sent: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(now);
                    if seq != seen.next_seq {
                        seen.out_of_order += 1;
                    }
                    seen.next_seq = seq.saturating_add(1);
                    // Line 0 is the warm-up line: not timed.
                    if seq > 0 {
                        seen.latencies_us
                            .push(now.saturating_sub(sent).min(u32::MAX as u64) as u32);
                    }
                }
                if !told {
                    told = true;
                    let _ = first.send(()).await;
                }
            }
            Some("dropped") => seen.dropped += v["lines"].as_u64().unwrap_or(1),
            _ => {}
        }
    }
    Ok(seen)
}

fn xadd(key: &str, line: String) -> redis::Cmd {
    let entry = Entry::Lines {
        lines: vec![line],
        fd: None,
        cut: 0,
        pos: None,
    };
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key).arg("MAXLEN").arg("~").arg(1000).arg("*");
    for (f, v) in entry.to_fields() {
        cmd.arg(f).arg(v);
    }
    cmd
}

/// `(connections of the logview user, those blocked in XREAD)`.
fn redis_connections(redis: &RedisServer) -> (usize, usize) {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut redis.admin())
        .unwrap_or_default();
    let mine: Vec<&str> = list
        .lines()
        .filter(|l| l.contains(" user=logview "))
        .collect();
    let xread = mine.iter().filter(|l| l.contains(" cmd=xread ")).count();
    (mine.len(), xread)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

async fn run(
    redis: &RedisServer,
    n: usize,
    duration: Duration,
    rate: f64,
) -> Result<String, BoxError> {
    epoch();
    let logview = spawn_logview(redis, n).await?;
    let settings = Settings::load_with_env(&[settings_file()], overrides(redis, logview.port, n))?;
    let signer = TicketSigner::new(
        settings.auth.ticket_key.clone(),
        settings.auth.ticket_ttl_secs,
    );
    let idle_rss = logview.rss_kib();
    let run_id: u32 = rand::random();
    let keys: Vec<(String, String)> = (0..n)
        .map(|i| {
            let minion = format!("bench-{run_id:08x}-{i}");
            let path = "/var/log/bench.log".to_owned();
            (
                salt_logview::wire::stream_key("logs", &minion, &path),
                minion,
            )
        })
        .collect();
    let per_stream = (duration.as_secs_f64() * rate).round() as u64;
    let want = per_stream + 1;

    // One viewer per stream (a few connecting at a time), then line 0 to each.
    let (first_tx, mut first_rx) = tokio::sync::mpsc::channel(n);
    let mut viewers = Vec::with_capacity(n);
    for (key, minion) in &keys {
        let ticket = signer.issue(TicketKind::File, minion, "/var/log/bench.log", key);
        let url = format!("ws://127.0.0.1:{}/ws/{ticket}", logview.port);
        viewers.push(tokio::spawn(view(url, want, first_tx.clone())));
        if viewers.len() % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(first_tx);
    let client = redis::Client::open(redis.tailer_url())?;
    let mut writers = Vec::new();
    for _ in 0..4 {
        writers.push(client.get_multiplexed_async_connection().await?);
    }
    for (i, (key, _)) in keys.iter().enumerate() {
        let _: String = xadd(key, format!("0 {}", now_us()))
            .query_async(&mut writers[i % 4])
            .await?;
    }
    for _ in 0..n {
        tokio::time::timeout(PATIENCE, first_rx.recv())
            .await
            .map_err(|_| "warm-up line not seen")?;
    }

    // The measured part: every stream gets `rate` lines/s, phases spread evenly.
    let cpu0 = logview.cpu_ticks();
    let redis_cpu0 = redis.pid().map_or(0, cpu_ticks);
    let t0 = Instant::now();
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut feeders = Vec::with_capacity(n);
    for (i, (key, _)) in keys.iter().enumerate() {
        let key = key.clone();
        let mut conn = writers[i % 4].clone();
        let offset = period.mul_f64(i as f64 / n as f64);
        feeders.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
            for seq in 1..=per_stream {
                tick.tick().await;
                let r: Result<String, _> = xadd(&key, format!("{seq} {}", now_us()))
                    .query_async(&mut conn)
                    .await;
                if let Err(e) = r {
                    return Err(format!("XADD: {e}"));
                }
            }
            Ok(())
        }));
    }
    tokio::time::sleep(duration / 2).await;
    let (conns, in_xread) = redis_connections(redis);
    let mid_rss = logview.rss_kib();
    for f in feeders {
        f.await??;
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = (logview.cpu_ticks() - cpu0) as f64 / ticks_per_sec() / wall * 100.0;
    let redis_cpu =
        (redis.pid().map_or(0, cpu_ticks) - redis_cpu0) as f64 / ticks_per_sec() / wall * 100.0;
    let (mut lines, mut lost, mut disorder) = (0u64, 0u64, 0u64);
    let mut latencies = Vec::new();
    for v in viewers {
        let seen = v.await??;
        lines += seen.next_seq.min(want).saturating_sub(1);
        lost += want.saturating_sub(seen.next_seq) + seen.dropped;
        disorder += seen.out_of_order;
        latencies.extend(seen.latencies_us);
    }
    latencies.sort_unstable();
    let rss = logview.rss_kib().max(mid_rss);
    Ok(format!(
        "| {n} | {lines} ({lost} lost, {disorder} out of order) | {:.2} / {:.2} | {:.1} ({:.0}) | {cpu:.0} | {redis_cpu:.0} | {conns} ({in_xread}) |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        rss as f64 / 1024.0,
        rss.saturating_sub(idle_rss) as f64 / n as f64,
    ))
}
