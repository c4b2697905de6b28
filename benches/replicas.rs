//! Viewers spread over logview replicas through nginx (docs/deploy.md#what-it-costs):
//! V WebSocket viewers of one stream connect to the load balancer (nginx
//! round-robins them over the replicas), one writer XADDs lines to the
//! stream at a fixed rate as logtail would (the `logtail` ACL user,
//! `wire::Entry::to_fields`), every viewer must get every line. Printed per
//! size: viewers connected, how many got every line, lines lost (must be 0),
//! latency p50/p99 (XADD → line parsed at the client), per-replica peak RSS
//! and CPU, nginx's RSS and CPU (from /proc), and the Redis connections held
//! (`INFO clients`). How nginx spread the viewers is each replica's
//! `logview_viewers` in /metrics. Numbers, no assertions.
//!
//! ```text
//! scripts/stack.sh up --name NAME --replicas 3
//! SLV_STACK_ENV=$PWD/.stack/NAME/stack.env cargo bench --bench replicas
//! SLV_BENCH_VIEWERS=500,2000,5000 SLV_BENCH_RATE=10 SLV_BENCH_SECS=20   # the defaults
//! ```
//!
//! The clients run in this process, on the same 2 cores as nginx, the
//! replicas and Redis: the numbers are the whole machine's, not a replica's.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use salt_logview::settings::Settings;
use salt_logview::tickets::{TicketKind, TicketSigner};
use salt_logview::wire::Entry;
use tokio_tungstenite::tungstenite::Message;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[path = "support/stack_env.rs"]
mod stack_env;

#[path = "support/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_ticks, raise_fd_limit, ticks_per_sec};

fn main() -> Result<(), BoxError> {
    raise_fd_limit();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

fn env_list(name: &str, default: &str) -> Vec<u64> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

fn epoch() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn now_us() -> u64 {
    epoch().elapsed().as_micros() as u64
}

// ----------------------------------------------------------- /proc reads ---

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `pid` and its direct children (nginx: the master and its workers).
fn with_children(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    for d in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = d.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(d.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(p);
        }
    }
    out
}

fn pid_in(file: &str) -> Result<u32, BoxError> {
    Ok(std::fs::read_to_string(file)
        .map_err(|e| format!("{file}: {e}"))?
        .trim()
        .parse()?)
}

// -------------------------------------------------------------- viewers ---

#[derive(Default)]
struct Seen {
    lines: u64,
    latencies_us: Vec<u32>,
}

/// A viewer of `url` until it has `expect` lines or `deadline` passes.
async fn viewer(url: String, expect: u64, deadline: Instant, ready: Arc<AtomicU64>) -> Seen {
    let mut seen = Seen::default();
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&url).await else {
        return seen;
    };
    ready.fetch_add(1, Ordering::Relaxed);
    while seen.lines < expect {
        let msg = match tokio::time::timeout_at(deadline.into(), ws.next()).await {
            Ok(Some(Ok(m))) => m,
            _ => break,
        };
        let recv = now_us();
        let Message::Text(t) = msg else { continue };
        // Lines are "<send µs> <pad>": no JSON parser needed.
        let text = t.as_str();
        let Some(start) = text.find("\"lines\":[") else {
            continue;
        };
        for l in text[start + 9..].split(',') {
            let Some(sent) = l
                .trim_start_matches('"')
                .split(' ')
                .next()
                .and_then(|v| v.parse::<u64>().ok())
            else {
                continue;
            };
            seen.lines += 1;
            seen.latencies_us
                .push(recv.saturating_sub(sent).min(u64::from(u32::MAX)) as u32);
        }
    }
    let _ = ws.close(None).await;
    seen
}

fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

// ---------------------------------------------------------------- bench ---

struct Stack {
    lb: String,
    replica_pids: Vec<u32>,
    nginx_pid: u32,
    signer: TicketSigner,
    prefix: String,
    tailer_url: String,
    admin_url: String,
}

fn stack() -> Result<Stack, BoxError> {
    let env = stack_env::stack_env()?;
    let get = |k: &str| -> Result<String, BoxError> {
        env.get(k).cloned().ok_or_else(|| {
            format!("stack.env lacks {k}: bring the stack up with --replicas 3").into()
        })
    };
    let files: Vec<PathBuf> = vec![
        Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml"),
        PathBuf::from(get("LOGVIEW_SETTINGS")?),
    ];
    let settings = Settings::load_with_env(&files, Vec::<(String, String)>::new())?;
    let replica_pids = get("REPLICA_PIDFILES")?
        .split_whitespace()
        .map(pid_in)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Stack {
        lb: get("LB_URL")?,
        replica_pids,
        nginx_pid: pid_in(&get("NGINX_PID")?)?,
        signer: TicketSigner::new(
            settings.auth.ticket_key.clone(),
            settings.auth.ticket_ttl_secs,
        ),
        prefix: settings.redis.prefix.clone(),
        tailer_url: get("REDIS_URL_TAILER")?,
        admin_url: get("REDIS_URL_ADMIN")?,
    })
}

async fn redis_clients(admin: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("clients")
        .query_async(admin)
        .await
        .unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

async fn one_size(s: &Stack, viewers: u64, rate: u64, secs: u64) -> Result<(), BoxError> {
    let minion = format!("bench-{:08x}", rand::random::<u32>());
    let path = "/var/log/bench-replicas.log";
    let key = salt_logview::wire::stream_key(&s.prefix, &minion, path);
    let ticket = s.signer.issue(TicketKind::File, &minion, path, &key);
    let url = format!("{}ws/{ticket}", s.lb.replacen("http://", "ws://", 1));
    let mut writer = redis::Client::open(s.tailer_url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    let mut admin = redis::Client::open(s.admin_url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    let redis_before = redis_clients(&mut admin).await;
    let total = rate * secs;
    let ready = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs + 120);
    let mut handles = Vec::new();
    let t_connect = Instant::now();
    for i in 0..viewers {
        handles.push(tokio::spawn(viewer(
            url.clone(),
            total,
            deadline,
            ready.clone(),
        )));
        if i % 100 == 99 {
            // Connect in waves: nginx's and the replicas' accept queues.
            while ready.load(Ordering::Relaxed) + 50 < i {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    while ready.load(Ordering::Relaxed) < viewers && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connected = ready.load(Ordering::Relaxed);
    let connect_secs = t_connect.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let redis_held = redis_clients(&mut admin).await;
    let nginx = with_children(s.nginx_pid);
    let cpu0: Vec<u64> = s.replica_pids.iter().map(|p| cpu_ticks(*p)).collect();
    let ng0: u64 = nginx.iter().map(|p| cpu_ticks(*p)).sum();
    let t0 = Instant::now();
    let mut peak: Vec<u64> = vec![0; s.replica_pids.len()];
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    for seq in 0..total {
        tokio::time::sleep_until((t0 + interval * seq as u32).into()).await;
        let entry = Entry::Lines {
            lines: vec![format!("{} line {seq} of the replicas bench", now_us())],
            fd: None,
            cut: 0,
            pos: None,
        };
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&key).arg("MAXLEN").arg("~").arg(20_000).arg("*");
        for (f, v) in entry.to_fields() {
            cmd.arg(f).arg(v);
        }
        let _: String = cmd.query_async(&mut writer).await?;
        if seq % rate == 0 {
            for (i, p) in s.replica_pids.iter().enumerate() {
                peak[i] = peak[i].max(rss_kib(*p));
            }
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu: Vec<f64> = s
        .replica_pids
        .iter()
        .zip(&cpu0)
        .map(|(p, c0)| (cpu_ticks(*p) - c0) as f64 / ticks_per_sec() / wall * 100.0)
        .collect();
    let ng_cpu =
        (nginx.iter().map(|p| cpu_ticks(*p)).sum::<u64>() - ng0) as f64 / ticks_per_sec() / wall
            * 100.0;
    let ng_rss: u64 = nginx.iter().map(|p| rss_kib(*p)).sum();
    let mut lat = Vec::new();
    let (mut complete, mut lines) = (0u64, 0u64);
    for h in handles {
        let seen = h.await?;
        complete += u64::from(seen.lines == total);
        lines += seen.lines;
        lat.extend(seen.latencies_us);
    }
    lat.sort_unstable();
    let lost = viewers * total - lines.min(viewers * total);
    println!(
        "| {viewers} | {connected} in {connect_secs:.1} s | {complete} / {viewers} | {lost} | {:.1} / {:.1} ms | {} | {} | {:.0}% | {:.0} MiB, {ng_cpu:.0}% | {redis_held} (was {redis_before}) |",
        percentile_ms(&lat, 0.5),
        percentile_ms(&lat, 0.99),
        peak.iter().map(|k| format!("{}", k / 1024)).collect::<Vec<_>>().join(" / ") + " MiB",
        cpu.iter().map(|c| format!("{c:.0}%")).collect::<Vec<_>>().join(" / "),
        cpu.iter().sum::<f64>(),
        ng_rss as f64 / 1024.0,
    );
    Ok(())
}

async fn run() -> Result<(), BoxError> {
    let s = stack()?;
    let sizes = env_list("SLV_BENCH_VIEWERS", "500,2000,5000");
    let rate = env_list("SLV_BENCH_RATE", "10")
        .first()
        .copied()
        .unwrap_or(10);
    let secs = env_list("SLV_BENCH_SECS", "20")
        .first()
        .copied()
        .unwrap_or(20);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "replicas bench: {} replicas behind {} ; {rate} lines/s for {secs} s per size; load average {}",
        s.replica_pids.len(),
        s.lb,
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!("| viewers | connected | got every line | lines lost | latency p50 / p99 | replica RSS (peak) | replica CPU | replicas' CPU sum | nginx RSS, CPU | Redis connections |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for v in sizes {
        one_size(&s, v, rate, secs).await?;
        // Let the connections of this size close before the next.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    Ok(())
}
