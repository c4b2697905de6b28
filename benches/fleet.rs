//! Fleet-view benchmark, printing numbers (no assertions): M minions each
//! appending `SLV_BENCH_RATE` lines/s (default 100) into ONE merged viewer
//! (`/ws/fleet/{ticket}`) for `SLV_BENCH_SECS` seconds (default 10), for each
//! M of `SLV_BENCH_FLEET` (default `3,10,50`). Per size: lines sent and
//! received (lossless = every minion's lines contiguous, none twice),
//! latency p50/p99 (send → viewer), logview CPU and RSS, and the Redis
//! connections logview holds (all, and those blocked in XREAD).
//!
//! The minions are simulated at the Redis boundary: one writer per minion
//! XADDs as the `logtail` ACL user, exactly as logtail writes (`Entry::to_fields`),
//! 10 lines per entry every 100 ms at the default rate. Salt is not in this
//! path (it only starts tailers); a real salt-minion costs ~60 MiB of RSS
//! here, which is what limits how many real minions this machine runs.
//!
//! ```text
//! SLV_STACK_ENV=$PWD/.stack/test/stack.env cargo bench --bench fleet
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use salt_logview::tickets::{FleetMember, FleetTicket, TicketSigner};
use salt_logview::wire::{self, Entry};
use tokio_tungstenite::tungstenite::Message;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[path = "support/stack_env.rs"]
mod stack_env;
use stack_env::stack_env;

#[path = "support/logview_process.rs"]
#[allow(dead_code)]
mod logview_process;
use logview_process::{bench_settings, raise_fd_limit, spawn_logview, ticks_per_sec};

fn main() -> Result<(), BoxError> {
    raise_fd_limit();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

async fn run() -> Result<(), BoxError> {
    let env = stack_env()?;
    let sizes: Vec<usize> = std::env::var("SLV_BENCH_FLEET")
        .unwrap_or_else(|_| "3,10,50".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rate = env_num("SLV_BENCH_RATE", 100);
    let secs = env_num("SLV_BENCH_SECS", 10);
    let server = spawn_logview(&env).await?;
    let settings = bench_settings(&env, server.port)?;
    let signer = TicketSigner::new(settings.auth.ticket_key.clone(), 600);
    println!("fleet view: M minions × {rate} lines/s each → one merged WebSocket viewer, {secs} s per size");
    println!(
        "{:>4} {:>8} {:>8} {:>5} {:>5} {:>8} {:>8} {:>7} {:>8} {:>11}",
        "M", "sent", "recv", "lost", "dup", "p50 ms", "p99 ms", "CPU %", "RSS MiB", "redis conns"
    );
    for m in sizes {
        let cpu_before = server.cpu_ticks();
        let row = one_size(&env, &signer, server.port, m, rate, secs).await?;
        let cpu = server.cpu_ticks().saturating_sub(cpu_before) as f64 * 100.0
            / ticks_per_sec()
            / row.elapsed.as_secs_f64();
        println!(
            "{:>4} {:>8} {:>8} {:>5} {:>5} {:>8.1} {:>8.1} {:>7.1} {:>8.1} {:>5} ({} xread)",
            m,
            row.sent,
            row.received,
            row.sent.saturating_sub(row.received),
            row.duplicates,
            row.p50,
            row.p99,
            cpu,
            server.rss_kib() as f64 / 1024.0,
            row.conns,
            row.xread_conns,
        );
    }
    Ok(())
}

struct Row {
    sent: u64,
    received: u64,
    duplicates: u64,
    p50: f64,
    p99: f64,
    conns: usize,
    xread_conns: usize,
    elapsed: Duration,
}

async fn one_size(
    env: &HashMap<String, String>,
    signer: &TicketSigner,
    port: u16,
    m: usize,
    rate: u64,
    secs: u64,
) -> Result<Row, BoxError> {
    let run = format!("{:08x}", rand::random::<u32>());
    let path = format!("/var/log/bench-fleet-{run}.log");
    let minions: Vec<String> = (0..m).map(|i| format!("bench-{run}-{i:03}")).collect();
    let ticket = signer.issue_fleet(FleetTicket {
        path: path.clone(),
        target: String::new(),
        members: minions
            .iter()
            .map(|id| FleetMember {
                minion: id.clone(),
                start_after: String::new(),
                skip_lines: 0,
            })
            .collect(),
        failed: vec![],
        exp: 0,
        by: "bench".into(),
    });
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws/fleet/{ticket}"))
            .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tailer = redis::Client::open(
        env.get("REDIS_URL_TAILER")
            .ok_or("no REDIS_URL_TAILER")?
            .as_str(),
    )?;
    let per_tick = (rate / 10).max(1);
    let ticks = secs * 10;
    let started = Instant::now();
    let mut writers = Vec::new();
    for (i, minion) in minions.iter().enumerate() {
        let key = wire::stream_key("logs", minion, &path);
        let mut conn = tailer.get_multiplexed_async_connection().await?;
        writers.push(tokio::spawn(async move {
            // Spread the writers over the 100 ms tick.
            tokio::time::sleep(Duration::from_millis((i as u64 * 7) % 100)).await;
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let mut seq = 0u64;
            for _ in 0..ticks {
                tick.tick().await;
                let lines = (0..per_tick)
                    .map(|_| {
                        seq += 1;
                        format!("{seq} {} GET /api/v1/items 200 0.012s", now_ns())
                    })
                    .collect();
                let entry = Entry::Lines {
                    lines,
                    fd: None,
                    cut: 0,
                    pos: None,
                };
                let mut cmd = redis::cmd("XADD");
                cmd.arg(&key).arg("MAXLEN").arg("~").arg(100_000).arg("*");
                for (f, v) in entry.to_fields() {
                    cmd.arg(f).arg(v);
                }
                let _: Result<String, _> = cmd.query_async(&mut conn).await;
            }
            seq
        }));
    }
    let expected = m as u64 * per_tick * ticks;
    let mut last: HashMap<String, u64> = HashMap::new();
    let (mut received, mut duplicates) = (0u64, 0u64);
    let mut lat_us: Vec<u32> = Vec::with_capacity(expected as usize);
    let mut conns = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(secs + 20);
    while received < expected {
        if conns.0 == 0 && started.elapsed() > Duration::from_secs(secs / 2) {
            conns = redis_conns(env)?;
        }
        let msg = match tokio::time::timeout_at(deadline.into(), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
            _ => break,
        };
        let now = now_ns();
        let v: serde_json::Value = serde_json::from_str(msg.as_str())?;
        let (Some(minion), Some(lines)) = (v["minion"].as_str(), v["lines"].as_array()) else {
            continue;
        };
        for l in lines {
            let mut it = l.as_str().unwrap_or("").split(' ');
            let seq: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let sent: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(now);
            let prev = last.entry(minion.to_owned()).or_insert(0);
            if seq <= *prev {
                duplicates += 1;
                continue;
            }
            *prev = seq;
            received += 1;
            lat_us.push((now.saturating_sub(sent) / 1000).min(u32::MAX as u64) as u32);
        }
    }
    let elapsed = started.elapsed();
    let mut sent = 0;
    for w in writers {
        sent += w.await.unwrap_or(0);
    }
    let _ = ws.close(None).await;
    lat_us.sort_unstable();
    let pct = |p: f64| {
        if lat_us.is_empty() {
            f64::NAN
        } else {
            lat_us[((lat_us.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
        }
    };
    Ok(Row {
        sent,
        received,
        duplicates,
        p50: pct(0.5),
        p99: pct(0.99),
        conns: conns.0,
        xread_conns: conns.1,
        elapsed,
    })
}

/// (connections of the `logview` Redis user, of which blocked in XREAD).
fn redis_conns(env: &HashMap<String, String>) -> Result<(usize, usize), BoxError> {
    let admin = redis::Client::open(
        env.get("REDIS_URL_ADMIN")
            .ok_or("no REDIS_URL_ADMIN")?
            .as_str(),
    )?;
    let mut c = admin.get_connection()?;
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut c)?;
    let mine: Vec<&str> = list
        .lines()
        .filter(|l| l.contains(" user=logview "))
        .collect();
    let xread = mine.iter().filter(|l| l.contains(" cmd=xread")).count();
    Ok((mine.len(), xread))
}
