//! Shared fixture of the logtail tests: a private redis-server, a temp log
//! directory allow-listed in a logtail config, the real binary, and readers
//! of the resulting stream (as the admin user).
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use salt_logview::wire::{self, Entry, Event, EventKind};

use crate::support::redis_server::RedisServer;

/// Generous: the machine is shared and noisy; nothing is timed, only awaited.
pub const DEADLINE: Duration = Duration::from_secs(30);
pub const MINION: &str = "test-minion";

/// One test's world.
pub struct Env {
    pub redis: RedisServer,
    pub dir: tempfile::TempDir,
    pub logs: PathBuf,
    pub locks: PathBuf,
    pub config: PathBuf,
}

impl Env {
    /// Redis + a log dir + a config with default tunables.
    pub fn new() -> Env {
        Env::with_config("")
    }

    /// Same, with extra TOML lines appended to the config.
    pub fn with_config(extra: &str) -> Env {
        let redis = RedisServer::start();
        // Segments must match [A-Za-z0-9_][A-Za-z0-9_.-]*: no leading dot.
        let dir = tempfile::Builder::new()
            .prefix("lt")
            .tempdir()
            .expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical tempdir");
        let logs = root.join("logs");
        std::fs::create_dir(&logs).expect("logs dir");
        let locks = root.join("locks");
        let config = root.join("logtail.toml");
        let env = Env {
            redis,
            dir,
            logs,
            locks,
            config,
        };
        env.write_config(extra);
        env
    }

    /// Rewrites the config (allow-list = the log dir, `minion_id` = [`MINION`])
    /// with `extra` lines.
    pub fn write_config(&self, extra: &str) {
        std::fs::write(
            &self.config,
            format!(
                "redis_url = \"{}\"\nallowed_paths = [\"{}/**\"]\nlock_dir = \"{}\"\nminion_id = \"{MINION}\"\n{extra}\n",
                self.redis.tailer_url(),
                self.logs.display(),
                self.locks.display()
            ),
        )
        .expect("write config");
    }

    /// A path in the log dir.
    pub fn log(&self, name: &str) -> PathBuf {
        self.logs.join(name)
    }

    /// The stream key logview would use for `path`.
    pub fn stream(&self, path: &Path) -> String {
        wire::stream_key(wire::DEFAULT_PREFIX, MINION, &path.to_string_lossy())
    }

    /// `logtail follow` with the pinned argv, not waited for.
    pub fn follow_cmd(
        &self,
        path: &Path,
        lines: u64,
        max_duration: u64,
        idle_exit: u64,
    ) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_logtail"));
        c.arg("follow")
            .arg("--config")
            .arg(&self.config)
            .args(["--lines", &lines.to_string()])
            .args(["--max-duration", &max_duration.to_string()])
            .args(["--idle-exit", &idle_exit.to_string()])
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    }

    /// Starts a follower (no idle/max exit) and waits for its `started` event.
    pub fn follow(&self, path: &Path, lines: u64) -> Tailer {
        let before = self.count_events(&self.stream(path), EventKind::Started);
        let t = Tailer::spawn(self.follow_cmd(path, lines, 0, 0));
        self.wait_until("the started event", || {
            self.count_events(&self.stream(path), EventKind::Started) > before
        });
        t
    }

    /// `logtail stop` of `path`; returns its exit status.
    pub fn stop(&self, path: &Path) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_logtail"))
            .arg("stop")
            .arg("--config")
            .arg(&self.config)
            .arg(path)
            .output()
            .expect("run logtail stop")
    }

    /// Every entry of `stream`, decoded.
    pub fn entries(&self, stream: &str) -> Vec<Entry> {
        // A socket read with a timeout (SO_RCVTIMEO) is never restarted after
        // a signal (signal(7)), and other tests in this process install a
        // SIGCHLD handler (tokio::process): retry an interrupted read on a
        // fresh connection.
        let mut attempt = 0;
        let raw: Vec<(String, Vec<Vec<u8>>)> = loop {
            let mut con = self.redis.admin();
            match redis::cmd("XRANGE")
                .arg(stream)
                .arg("-")
                .arg("+")
                .query(&mut con)
            {
                Ok(raw) => break raw,
                Err(e) if e.is_io_error() && attempt < 5 => attempt += 1,
                Err(e) => panic!("XRANGE {stream}: {e}"),
            }
        };
        raw.into_iter()
            .map(|(id, flat)| {
                let pairs: Vec<(String, Vec<u8>)> = flat
                    .chunks(2)
                    .map(|kv| (String::from_utf8_lossy(&kv[0]).into_owned(), kv[1].clone()))
                    .collect();
                Entry::from_fields(pairs.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                    .unwrap_or_else(|e| panic!("entry {id} does not decode: {e}"))
            })
            .collect()
    }

    /// All lines of `stream` in order (every `lines` entry flattened).
    pub fn lines(&self, stream: &str) -> Vec<String> {
        self.entries(stream)
            .into_iter()
            .flat_map(|e| match e {
                Entry::Lines { lines, .. } => lines,
                Entry::Event(_) => Vec::new(),
            })
            .collect()
    }

    /// All events of `stream` in order.
    pub fn events(&self, stream: &str) -> Vec<Event> {
        self.entries(stream)
            .into_iter()
            .filter_map(|e| match e {
                Entry::Event(ev) => Some(ev),
                Entry::Lines { .. } => None,
            })
            .collect()
    }

    pub fn count_events(&self, stream: &str, kind: EventKind) -> usize {
        self.events(stream)
            .iter()
            .filter(|e| e.kind == kind)
            .count()
    }

    /// Waits until `stream` holds at least `n` lines; returns them all.
    pub fn wait_lines(&self, stream: &str, n: usize) -> Vec<String> {
        let mut got = Vec::new();
        self.wait_until(&format!("{n} lines in {stream}"), || {
            got = self.lines(stream);
            got.len() >= n
        });
        got
    }

    /// Waits until `stream` holds an event of `kind`; returns the last one.
    pub fn wait_event(&self, stream: &str, kind: EventKind) -> Event {
        let mut found = None;
        self.wait_until(&format!("a {kind} event in {stream}"), || {
            found = self
                .events(stream)
                .into_iter()
                .rev()
                .find(|e| e.kind == kind);
            found.is_some()
        });
        found.expect("found")
    }

    /// Polls `cond` until it holds or [`DEADLINE`] passes (then panics).
    pub fn wait_until(&self, what: &str, cond: impl FnMut() -> bool) {
        wait_until(what, cond)
    }
}

/// Polls `cond` until it holds or [`DEADLINE`] passes (then panics).
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Appends `data` to `path` (creating it).
pub fn append(path: &Path, data: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(data).expect("append");
}

/// A running logtail, killed on drop.
pub struct Tailer {
    pub child: Child,
}

impl Tailer {
    pub fn spawn(mut cmd: Command) -> Tailer {
        Tailer {
            child: cmd.spawn().expect("spawn logtail"),
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `sig` to the tailer.
    pub fn signal(&self, sig: i32) {
        // SAFETY: plain syscall on our child's pid.
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Waits (bounded) for the tailer to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let mut status = None;
        wait_until("logtail to exit", || {
            status = self.child.try_wait().expect("try_wait");
            status.is_some()
        });
        status.expect("exited")
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Its stderr (after it exited).
    pub fn stderr(&mut self) -> String {
        use std::io::Read;
        let mut s = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Tailer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Numbered test lines `prefix-000000` … of `len` bytes each (with newline).
pub fn numbered(prefix: &str, from: usize, to: usize) -> (Vec<String>, Vec<u8>) {
    let lines: Vec<String> = (from..to).map(|i| format!("{prefix}-{i:06}")).collect();
    let mut bytes = Vec::new();
    for l in &lines {
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
    }
    (lines, bytes)
}
