//! The logtail benchmark: prints file→Redis throughput (120-byte lines, with
//! a loss check), append→XADD latency p50/p99 at 100 lines/s, idle CPU and
//! wake-ups, peak RSS and the static binary's size, each against its target.
//! Run: `cargo bench --bench logtail` (no assertions: numbers only).
//!
//! It runs the static musl binary when it has been built
//! (`cargo build --release --target x86_64-unknown-linux-musl --no-default-features --bin logtail`),
//! else the bench-profile build; `LOGTAIL_BENCH_BIN` overrides.

#[path = "../tests/it/support/ports.rs"]
mod ports;
#[path = "../tests/it/support/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use redis_server::RedisServer;
use salt_logview::wire::{self, Entry};

/// `XREAD` reply: per stream, its (id, flat field/value list) entries.
type XreadReply = Vec<(String, Vec<(String, Vec<Vec<u8>>)>)>;

const MUSL_BIN: &str = "target/x86_64-unknown-linux-musl/release/logtail";
const LINE_LEN: usize = 120;

fn main() {
    let bin = logtail_bin();
    println!("logtail benchmark — binary: {}", bin.display());
    let redis = RedisServer::start();
    let dir = tempfile::Builder::new()
        .prefix("ltbench")
        .tempdir()
        .expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let config = root.join("logtail.toml");
    std::fs::write(
        &config,
        format!(
            // The loss check reads every line back: no byte trimming (the
            // 64 MiB default would trim the throughput run's 400 MB).
            "redis_url = \"{}\"\nallowed_paths = [\"{}/**\"]\nlock_dir = \"{}/locks\"\nstream_max_bytes = 1099511627776\n",
            redis.tailer_url(),
            root.display(),
            root.display()
        ),
    )
    .expect("config");
    let total: usize = std::env::var("LOGTAIL_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000_000);

    let (rate, hwm, cpu_lt, cpu_redis) =
        throughput(&bin, &redis, &config, &root.join("throughput.log"), total);
    println!(
        "throughput run: logtail used {cpu_lt:.2} CPU-s ({:.0} lines per logtail CPU-second), redis-server {cpu_redis:.2} CPU-s",
        total as f64 / cpu_lt
    );
    let (p50, p99, n, floor50, floor99) = latency(&bin, &redis, &config, &root.join("latency.log"));
    let (cpu, wakeups, idle_rss) = idle(&bin, &redis, &config, &root.join("idle.log"));
    let size = std::fs::metadata(MUSL_BIN).map(|m| m.len()).ok();

    println!();
    println!(
        "load average during the run: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!("| measure | result | target | |");
    println!("|---|---|---|---|");
    println!(
        "| throughput, {LINE_LEN}-byte lines file→Redis | {:.0} lines/s ({:.0} MB/s), {total} lines, no loss | ≥ 1,000,000 lines/s | {} |",
        rate,
        rate * LINE_LEN as f64 / 1e6,
        verdict(rate >= 1e6)
    );
    println!(
        "| append→XADD latency at 100 lines/s ({n} lines) | p50 {:.3} ms, p99 {:.3} ms | p50 ≤ 0.2 ms, p99 ≤ 1 ms | {} |",
        p50 * 1e3,
        p99 * 1e3,
        verdict(p50 <= 0.2e-3 && p99 <= 1e-3)
    );
    println!(
        "| same path without logtail (direct XADD → XREAD): the floor | p50 {:.3} ms, p99 {:.3} ms | — | |",
        floor50 * 1e3,
        floor99 * 1e3
    );
    println!(
        "| idle CPU / context switches (10 s, all threads) | {:.3}% CPU, {:.2} wake-ups/s | ≈ 0, ≤ 1/s | {} |",
        cpu * 100.0,
        wakeups,
        verdict(cpu < 0.001 && wakeups <= 1.05)
    );
    println!(
        "| RSS peak (VmHWM) under load / idle | {:.1} MiB / {:.1} MiB | ≤ 8 MiB | {} |",
        hwm as f64 / 1024.0,
        idle_rss as f64 / 1024.0,
        verdict(hwm <= 8 * 1024)
    );
    match size {
        Some(s) => println!(
            "| static musl binary size | {:.2} MiB | ≤ 5 MiB | {} |",
            s as f64 / (1 << 20) as f64,
            verdict(s <= 5 << 20)
        ),
        None => println!(
            "| static musl binary size | not built ({MUSL_BIN}) | ≤ 5 MiB | build it first |"
        ),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

fn logtail_bin() -> PathBuf {
    if let Ok(p) = std::env::var("LOGTAIL_BENCH_BIN") {
        return PathBuf::from(p);
    }
    let musl = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(MUSL_BIN);
    if musl.exists() {
        musl
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_logtail"))
    }
}

fn stream_of(path: &Path) -> String {
    wire::stream_key(wire::DEFAULT_PREFIX, "bench", &path.to_string_lossy())
}

fn spawn(bin: &Path, config: &Path, path: &Path, idle_exit: u64) -> Child {
    Command::new(bin)
        .arg("follow")
        .arg("--config")
        .arg(config)
        .args([
            "--stream",
            &stream_of(path),
            "--lines",
            "0",
            "--max-duration",
            "0",
        ])
        .args(["--idle-exit", &idle_exit.to_string()])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn logtail")
}

fn stop(mut child: Child) {
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
}

fn wait_started(con: &mut redis::Connection, stream: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while redis::cmd("XLEN")
        .arg(stream)
        .query::<u64>(con)
        .unwrap_or(0)
        == 0
    {
        assert!(Instant::now() < deadline, "logtail did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn line(i: usize, tag: &str) -> Vec<u8> {
    let head = format!("{tag} {i:010} ");
    let mut l = head.into_bytes();
    l.resize(LINE_LEN - 1, b'x');
    l.push(b'\n');
    l
}

fn proc_status(pid: u32, key: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Lines/s from appends to the file until the last line is in Redis; then
/// every entry is read back and the lines counted (no loss, in order).
fn throughput(
    bin: &Path,
    redis: &RedisServer,
    config: &Path,
    path: &Path,
    total: usize,
) -> (f64, u64, f64, f64) {
    std::fs::write(path, b"").expect("create");
    let stream = stream_of(path);
    let mut con = redis.admin();
    let child = spawn(bin, config, path, 0);
    wait_started(&mut con, &stream);
    let redis_pid = redis.pid().expect("redis runs");
    let (lt0, rd0) = (cpu_secs(child.id()), cpu_secs(redis_pid));

    let last = String::from_utf8(line(total - 1, "T")).expect("ascii");
    let last = last.trim_end().to_owned();
    let start = Instant::now();
    let writer = {
        let path = path.to_owned();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .expect("open");
            let mut buf = Vec::with_capacity(1 << 20);
            for i in 0..total {
                buf.extend_from_slice(&line(i, "T"));
                if buf.len() >= (1 << 20) - LINE_LEN {
                    f.write_all(&buf).expect("write");
                    buf.clear();
                }
            }
            f.write_all(&buf).expect("write");
        })
    };
    let deadline = start + Duration::from_secs(600);
    let elapsed = loop {
        let tail: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XREVRANGE")
            .arg(&stream)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query(&mut con)
            .expect("XREVRANGE");
        let done = tail.first().is_some_and(|(_, kv)| {
            kv.chunks(2)
                .any(|p| p[0] == wire::field::LINES.as_bytes() && p[1].ends_with(last.as_bytes()))
        });
        if done {
            break start.elapsed();
        }
        assert!(Instant::now() < deadline, "throughput run did not finish");
        std::thread::sleep(Duration::from_millis(2));
    };
    writer.join().expect("writer");
    let (lt1, rd1) = (cpu_secs(child.id()), cpu_secs(redis_pid));
    let hwm = proc_status(child.id(), "VmHWM:");
    stop(child);

    // Loss check: count and order of every line.
    let mut seen = 0usize;
    let mut from = "-".to_owned();
    loop {
        let page: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
            .arg(&stream)
            .arg(&from)
            .arg("+")
            .arg("COUNT")
            .arg(200)
            .query(&mut con)
            .expect("XRANGE");
        let Some((last_id, _)) = page.last() else {
            break;
        };
        from = format!("({last_id}");
        for (_, flat) in &page {
            let pairs: Vec<(&str, &[u8])> = flat
                .chunks(2)
                .map(|kv| (std::str::from_utf8(&kv[0]).unwrap_or(""), kv[1].as_slice()))
                .collect();
            if let Ok(Entry::Lines { lines, .. }) = Entry::from_fields(pairs) {
                for l in lines {
                    let want = format!("T {seen:010} ");
                    assert!(
                        l.starts_with(&want),
                        "line {seen} is {l:?}: lost or reordered"
                    );
                    seen += 1;
                }
            }
        }
    }
    assert_eq!(seen, total, "lines in Redis vs written");
    let _: () = redis::cmd("DEL").arg(&stream).query(&mut con).expect("DEL");
    (
        total as f64 / elapsed.as_secs_f64(),
        hwm,
        lt1 - lt0,
        rd1 - rd0,
    )
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = fields
        .get(11)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    // SAFETY: sysconf is always safe to call.
    ticks as f64 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// Latency from write() to a blocking XREAD seeing the entry, at 100 lines/s;
/// then the same for direct XADDs by this process (no logtail), the floor
/// that Redis, the reader and the scheduler add on this machine.
fn latency(
    bin: &Path,
    redis: &RedisServer,
    config: &Path,
    path: &Path,
) -> (f64, f64, usize, f64, f64) {
    std::fs::write(path, b"").expect("create");
    let stream = stream_of(path);
    let mut con = redis.admin();
    let child = spawn(bin, config, path, 0);
    wait_started(&mut con, &stream);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open");
    let via_logtail = measure(redis, &stream, |i| {
        f.write_all(&line(i, "L")).expect("write")
    });
    stop(child);
    let direct_stream = format!("{stream}:direct");
    let mut writer = redis.admin();
    let direct = measure(redis, &direct_stream, |i| {
        let l = line(i, "L");
        let _: String = redis::cmd("XADD")
            .arg(&direct_stream)
            .arg("*")
            .arg(wire::field::LINES)
            .arg(&l[..l.len() - 1])
            .query(&mut writer)
            .expect("XADD");
    });
    (
        via_logtail.0,
        via_logtail.1,
        via_logtail.2,
        direct.0,
        direct.1,
    )
}

/// Sends N lines at 100/s with `send(i)` and measures until a blocking
/// XREAD on `stream` sees each; returns p50, p99 (seconds) and the count.
fn measure(redis: &RedisServer, stream: &str, mut send: impl FnMut(usize)) -> (f64, f64, usize) {
    const N: usize = 1000;
    let (tx, rx) = mpsc::channel::<(usize, Instant)>();
    let reader = {
        let mut con = redis.admin();
        let stream = stream.to_owned();
        std::thread::spawn(move || {
            let mut after = "$".to_owned();
            let mut got = 0;
            while got < N {
                let reply: Option<XreadReply> = redis::cmd("XREAD")
                    .arg("BLOCK")
                    .arg(0)
                    .arg("STREAMS")
                    .arg(&stream)
                    .arg(&after)
                    .query(&mut con)
                    .expect("XREAD");
                let now = Instant::now();
                for (_, entries) in reply.unwrap_or_default() {
                    for (id, flat) in entries {
                        after = id;
                        for kv in flat.chunks(2) {
                            if kv[0] == wire::field::LINES.as_bytes() {
                                for l in kv[1].split(|&b| b == b'\n') {
                                    let seq = std::str::from_utf8(&l[2..12])
                                        .ok()
                                        .and_then(|s| s.parse().ok());
                                    if let Some(seq) = seq {
                                        let _ = tx.send((seq, now));
                                        got += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(200)); // the XREAD is blocked before the first line
    let mut sent = Vec::with_capacity(N);
    let t0 = Instant::now();
    for i in 0..N {
        let at = t0 + Duration::from_millis(10 * i as u64);
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        sent.push(Instant::now());
        send(i);
    }
    reader.join().expect("reader");
    let mut lat: Vec<f64> = rx
        .try_iter()
        .map(|(seq, at)| at.duration_since(sent[seq]).as_secs_f64())
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    (pct(0.50), pct(0.99), lat.len())
}

/// CPU share and wake-ups/s of an idle tailer over 10 s (all its threads).
fn idle(bin: &Path, redis: &RedisServer, config: &Path, path: &Path) -> (f64, f64, u64) {
    std::fs::write(path, b"idle\n").expect("create");
    let stream = stream_of(path);
    let mut con = redis.admin();
    // idle-exit 60 s: the lease is checked as in production.
    let child = spawn(bin, config, path, 60);
    wait_started(&mut con, &stream);
    std::thread::sleep(Duration::from_secs(2));
    let pid = child.id();
    let ticks = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        // utime, stime are fields 14 and 15 (1-based) → 11, 12 after the ')'.
        fields
            .get(11)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            + fields
                .get(12)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
    };
    let switches = || -> u64 {
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| {
                d.flatten()
                    .map(|t| {
                        let s =
                            std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
                        let get = |k: &str| {
                            s.lines()
                                .find_map(|l| l.strip_prefix(k))
                                .and_then(|v| v.trim().parse::<u64>().ok())
                                .unwrap_or(0)
                        };
                        get("voluntary_ctxt_switches:") + get("nonvoluntary_ctxt_switches:")
                    })
                    .sum()
            })
            .unwrap_or(0)
    };
    let (c0, s0, t0) = (ticks(), switches(), Instant::now());
    std::thread::sleep(Duration::from_secs(10));
    let (c1, s1, secs) = (ticks(), switches(), t0.elapsed().as_secs_f64());
    let rss = proc_status(pid, "VmRSS:");
    stop(child);
    // SAFETY: sysconf is always safe to call.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ((c1 - c0) as f64 / hz / secs, (s1 - s0) as f64 / secs, rss)
}
