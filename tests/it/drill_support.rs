//! What the drills share (docs/deploy.md#drills): the replica stack's
//! coordinates (`up --replicas N` writes `LB_URL`, `REPLICA_URLS`,
//! `REPLICA_PIDFILES`, `NGINX_*` to stack.env; without them a drill SKIPS
//! and says so), WebSocket and SSE viewers that go through nginx and
//! reconnect with their last id like the browser, a writer appending
//! numbered lines, and the tally every drill prints and asserts:
//! `written N, received M, duplicates D, gaps G`. The viewers themselves:
//! `drill_viewers.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

use crate::api_support::*;
pub use crate::drill_viewers::{viewer, Received, Transport};
use crate::support::stack::stack;

/// Guard against hanging forever (not a timing assertion).
pub const DRILL_WAIT: Duration = Duration::from_secs(120);

/// One drill at a time: each kills or restarts a shared part.
pub static DRILL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The replica part of the stack.
pub struct Replicas {
    pub lb: String,
    pub urls: Vec<String>,
    pub pidfiles: Vec<PathBuf>,
    pub nginx_bin: String,
    pub nginx_dir: String,
    pub nginx_conf: String,
    pub nginx_pid: PathBuf,
}

/// The replicas of the running stack, or `None` after printing why the
/// drill is skipped (a stack without `--replicas`).
pub fn replicas(drill: &str) -> Option<Replicas> {
    let s = stack();
    let n: usize = std::env::var("SLV_STACK_ENV")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("REPLICAS=").map(str::to_owned))
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    if n < 2 {
        eprintln!(
            "SKIPPED drill {drill}: the stack has {n} logview replicas (needs >= 2 behind nginx: \
             scripts/stack.sh up --name NAME --replicas 3)"
        );
        return None;
    }
    let words = |k: &str| {
        s.get(k)
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    Some(Replicas {
        lb: s.get("LB_URL").to_owned(),
        urls: words("REPLICA_URLS"),
        pidfiles: words("REPLICA_PIDFILES")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        nginx_bin: s.get("NGINX_BIN").to_owned(),
        nginx_dir: s.get("NGINX_DIR").to_owned(),
        nginx_conf: s.get("NGINX_CONF").to_owned(),
        nginx_pid: s.path("NGINX_PID"),
    })
}

/// The pid in `file`.
pub fn pid_in(file: &Path) -> u32 {
    std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("read {}: {e}", file.display()))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("pid in {}: {e}", file.display()))
}

/// Whether `pid` runs (not a zombie).
pub fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim().to_owned()))
        .is_some_and(|r| !r.starts_with('Z'))
}

/// What a killed process ran with, to start it again the same way.
pub struct Relaunch {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    cwd: PathBuf,
}

impl Relaunch {
    /// Reads `pid`'s argv, environment and working directory from /proc.
    pub fn of(pid: u32) -> Relaunch {
        let split = |raw: Vec<u8>| -> Vec<String> {
            raw.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        };
        let argv = split(std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline"));
        let env = split(std::fs::read(format!("/proc/{pid}/environ")).expect("environ"))
            .into_iter()
            .filter_map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
            })
            .collect();
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).expect("cwd");
        Relaunch { argv, env, cwd }
    }

    /// nginx as the stack starts it (its master rewrites its own cmdline
    /// and environment to a title, so /proc does not have them).
    pub fn nginx(r: &Replicas) -> Relaunch {
        Relaunch {
            argv: vec![
                r.nginx_bin.clone(),
                "-p".into(),
                format!("{}/", r.nginx_dir),
                "-c".into(),
                r.nginx_conf.clone(),
            ],
            env: std::env::vars().collect(),
            cwd: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        }
    }

    /// Starts it again in its own process group, output appended to `log`,
    /// its pid written to `pidfile`.
    pub fn start(&self, log: &Path, pidfile: &Path) -> u32 {
        use std::os::unix::process::CommandExt;
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open the log");
        let child = std::process::Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .env_clear()
            .envs(self.env.iter().cloned())
            .current_dir(&self.cwd)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone().expect("dup log"))
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {:?}: {e}", self.argv));
        let pid = child.id();
        std::fs::write(pidfile, format!("{pid}\n")).expect("write the pid file");
        // Reaped when it exits while this test binary still runs; it
        // outlives the binary otherwise (as the stack's own processes do).
        let mut child = child;
        std::thread::spawn(move || child.wait());
        pid
    }
}

/// `GET url` answers 200, polled until `DRILL_WAIT` (not a timing assertion).
pub async fn wait_healthy(url: &str) {
    let http = reqwest::Client::new();
    let ok = eventually(DRILL_WAIT, async || {
        let r = http.get(url).send().await.ok()?;
        (r.status().as_u16() == 200).then_some(())
    })
    .await;
    assert!(ok.is_some(), "{url} never answered 200");
}

/// `logview_viewers` of one replica's /metrics.
pub async fn viewers_on(replica: &str) -> u64 {
    let resp = reqwest::Client::new()
        .get(format!("{replica}metrics"))
        .bearer_auth(stack().get("METRICS_TOKEN"))
        .send()
        .await
        .expect("a replica's /metrics answers");
    let text = resp.text().await.expect("body");
    text.lines()
        .find_map(|l| l.strip_prefix("logview_viewers "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The stream key of `path` on the stack's minion (the stack's settings' prefix).
pub fn stream_of_path(path: &str) -> String {
    let files = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml"),
        stack().path("LOGVIEW_SETTINGS"),
    ];
    let settings = salt_logview::settings::Settings::load_with_env(&files, Vec::new())
        .expect("the stack's settings load");
    salt_logview::wire::stream_key(&settings.redis.prefix, stack().get("MINION_ID"), path)
}

/// Waits until `stream` holds at least `n` lines.
pub async fn stream_holds(stream: &str, n: usize) {
    eventually(DRILL_WAIT, async || {
        (lines_of(&entries(stream).await).len() >= n).then_some(())
    })
    .await
    .expect("lines reach the stream");
}

/// POST /api/tail through the load balancer for `path` (no backlog).
pub async fn tail_via(lb: &str, path: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{lb}api/tail"))
        .bearer_auth(stack().get("API_TOKEN"))
        .json(&json!({"minion_id": stack().get("MINION_ID"), "log_path": path, "line_count": 0}))
        .send()
        .await
        .expect("the load balancer answers");
    let body: Value = resp.json().await.expect("JSON");
    let url = body["url"].as_str().unwrap_or_else(|| panic!("{body}"));
    url.rsplit('/').next().expect("ticket").to_owned()
}

/// Writes `drill-1` … `drill-N` to `file`, one every `every`; publishes
/// how many are written when done.
pub async fn write_lines(
    file: PathBuf,
    n: usize,
    every: Duration,
    done: watch::Sender<Option<usize>>,
) {
    for k in 1..=n {
        append(&file, &[format!("drill-{k}")]);
        tokio::time::sleep(every).await;
    }
    let _ = done.send(Some(n));
}

/// Prints and checks one viewer's tally against `written` lines.
pub fn tally(drill: &str, who: &str, written: usize, r: &Received) {
    let distinct = r.distinct();
    let received = r.lines.len();
    let duplicates = received - distinct.len();
    let gaps = (1..=written).filter(|k| !distinct.contains(k)).count();
    eprintln!(
        "drill {drill} {who}: written {written}, received {received}, duplicates {duplicates}, gaps {gaps} ({} connections)",
        r.connects
    );
    assert_eq!(received, written, "{drill} {who}: every line received");
    assert_eq!(duplicates, 0, "{drill} {who}: no line twice");
    assert_eq!(gaps, 0, "{drill} {who}: no line missing");
    let order: Vec<usize> = r
        .lines
        .iter()
        .filter_map(|l| l.strip_prefix("drill-")?.parse().ok())
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "{drill} {who}: lines in order"
    );
}
