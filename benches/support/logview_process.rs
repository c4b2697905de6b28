//! The release `logview` the benches measure, as a child process with the
//! stack's settings on a free port: its RSS and CPU come from /proc, apart
//! from the bench's own clients.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use salt_logview::settings::Settings;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[path = "proc_stats.rs"]
mod proc_stats;
pub use proc_stats::{cpu_ticks, raise_fd_limit, ticks_per_sec};

/// Where the benches write the files logtail follows (inside `/var/log/**`,
/// which the stack allows in logview, the eauth ACL and logtail).
pub const BENCH_LOG_DIR: &str = "/var/log/salt-logview-bench";

pub fn settings_files(env: &HashMap<String, String>) -> Vec<PathBuf> {
    let mut files = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml")];
    if let Some(overlay) = env
        .get("LOGVIEW_SETTINGS")
        .filter(|p| Path::new(p).exists())
    {
        files.push(PathBuf::from(overlay));
    }
    files
}

pub fn overrides(
    env: &HashMap<String, String>,
    port: u16,
) -> Result<Vec<(String, String)>, BoxError> {
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
        // The stack's LOG_DIR lies under `.stack/`, whose leading dot logtail's
        // path rule refuses: the bench tails files in BENCH_LOG_DIR instead.
        ("LOGVIEW__TAIL__ALLOWED_PATHS", "/var/log/**".to_owned()),
        ("LOGVIEW__TAIL__SUGGESTIONS", "/var/log/syslog".to_owned()),
    ];
    Ok(overrides
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect())
}

pub fn bench_settings(env: &HashMap<String, String>, port: u16) -> Result<Settings, BoxError> {
    Ok(Settings::load_with_env(
        &settings_files(env),
        overrides(env, port)?,
    )?)
}

pub struct ServerProcess {
    pub child: Child,
    pub port: u16,
}

impl ServerProcess {
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// The anonymous part of RSS (heap, stacks): what a burst can leave behind.
    pub fn anon_kib(&self) -> u64 {
        self.status_kib("RssAnon:")
    }

    pub fn status_kib(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// "RSS x MiB (heap and stacks y MiB)".
    pub fn memory(&self) -> String {
        format!(
            "RSS {:.1} MiB (heap and stacks {:.1} MiB)",
            self.rss_kib() as f64 / 1024.0,
            self.anon_kib() as f64 / 1024.0
        )
    }

    /// utime + stime in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        cpu_ticks(self.child.id())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on 127.0.0.1 for a logview to bind.
pub fn free_port() -> Result<u16, BoxError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The release logview (or `SLV_LOGVIEW_BIN`) with the stack's settings
/// (`settings_files`, `overrides`) on a free port, once it answers /healthz.
pub async fn spawn_logview(env: &HashMap<String, String>) -> Result<ServerProcess, BoxError> {
    let port = free_port()?;
    spawn_logview_with(&settings_files(env), port, overrides(env, port)?, "e2e").await
}

/// logview with these settings `files` and `LOGVIEW__*` `overrides` (which
/// must bind it to `port`), its output in `<tmp>/<tag>-logview-<port>.log`.
pub async fn spawn_logview_with(
    files: &[PathBuf],
    port: u16,
    overrides: Vec<(String, String)>,
    tag: &str,
) -> Result<ServerProcess, BoxError> {
    let bin = std::env::var("SLV_LOGVIEW_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/logview"));
    let mut cmd = Command::new(&bin);
    for f in files {
        cmd.arg("--config").arg(f);
    }
    let log =
        std::fs::File::create(std::env::temp_dir().join(format!("{tag}-logview-{port}.log")))?;
    let child = cmd
        .arg("serve")
        .envs(overrides)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start {}: {e} (cargo build --release --bin logview, or set SLV_LOGVIEW_BIN)",
                bin.display()
            )
        })?;
    let server = ServerProcess { child, port };
    let url = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..200 {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("logview did not answer /healthz".into())
}
