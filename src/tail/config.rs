//! The `logtail` configuration file (TOML written by the Salt state): typed,
//! defaulted and validated, with errors that name the key.
//!
//! The Redis URL (with its password) comes only from here, never from argv,
//! the environment or a query string; [`Config`]'s `Debug` never shows it.
//! Exactly one of `redis_url` (one Redis, the default) and
//! `redis_cluster_urls` (seed nodes of a Redis Cluster) is set.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{Error, Result};
use super::publish::Target;

/// Default `redis_cluster_wait_ms`: how long a pipeline waits for a replica.
pub const DEFAULT_REDIS_CLUSTER_WAIT_MS: u64 = 1_000;
/// Default `max_line_bytes`: longer lines are cut and marked.
pub const DEFAULT_MAX_LINE_BYTES: usize = 65_536;
/// Default `batch_max_bytes`: the most text one `lines` entry carries.
pub const DEFAULT_BATCH_MAX_BYTES: usize = 262_144;
/// Default `stream_max_len`: `XADD … MAXLEN ~ N` (entries, not lines).
pub const DEFAULT_STREAM_MAX_LEN: u64 = 100_000;
/// Default `stream_max_bytes`: bytes appended to one stream that are kept
/// (older entries are trimmed with `XTRIM MINID`).
pub const DEFAULT_STREAM_MAX_BYTES: u64 = 64 << 20;
/// Default `stream_max_age_secs`: entries older than this are trimmed.
pub const DEFAULT_STREAM_MAX_AGE_SECS: u64 = 3_600;
/// Default `stream_expire_secs`: the stream's expiry once the tailer stops.
pub const DEFAULT_STREAM_EXPIRE_SECS: u64 = 3_600;
/// Default `buffer_max_bytes`: what is kept while Redis is away.
pub const DEFAULT_BUFFER_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Default `poll_interval_ms`: the safety-net re-stat (inotify does the real work).
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 1_000;

/// The validated configuration.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `redis://user:pass@host:port/db`; secret, never logged. Empty when
    /// `redis_cluster_urls` is set.
    #[serde(default)]
    pub redis_url: String,
    /// Seed nodes of a Redis Cluster (`redis://user:pass@host:port`, db 0);
    /// secret, never logged. Empty (the default) = one Redis at `redis_url`.
    #[serde(default)]
    pub redis_cluster_urls: Vec<String>,
    /// Cluster mode: after each pipeline `WAIT 1 <ms>` for a replica, and
    /// keep the entries queued until then (0 = don't wait).
    #[serde(default = "default_redis_cluster_wait_ms")]
    pub redis_cluster_wait_ms: u64,
    /// Globs a followed path must match after symlinks are resolved
    /// (`*` = one path segment, `**` = any number of segments).
    pub allowed_paths: Vec<String>,
    /// Directory of the per-path lock files (created 0700 if missing).
    pub lock_dir: PathBuf,
    /// This host's minion id (the Salt state writes `grains['id']`; local
    /// mode logview's `local.host_id`): `follow` derives its stream key from
    /// it, so one `logtail follow` argv serves a whole list of minions.
    #[serde(default)]
    pub minion_id: Option<String>,
    /// The stream key prefix; must equal logview's `redis.prefix`.
    #[serde(default = "default_stream_prefix")]
    pub stream_prefix: String,
    /// Lines longer than this many bytes are cut and marked.
    #[serde(default = "default_max_line_bytes")]
    pub max_line_bytes: usize,
    /// The most bytes of text one `lines` entry carries.
    #[serde(default = "default_batch_max_bytes")]
    pub batch_max_bytes: usize,
    /// `MAXLEN ~` of every `XADD`.
    #[serde(default = "default_stream_max_len")]
    pub stream_max_len: u64,
    /// Bytes kept per stream (text + 64 per entry, as appended by this tailer).
    #[serde(default = "default_stream_max_bytes")]
    pub stream_max_bytes: u64,
    /// Age (by entry id, i.e. Redis' clock) beyond which entries are trimmed.
    #[serde(default = "default_stream_max_age_secs")]
    pub stream_max_age_secs: u64,
    /// Expiry of the stream (and owner key) after the tailer stops.
    #[serde(default = "default_stream_expire_secs")]
    pub stream_expire_secs: u64,
    /// Bytes buffered while Redis is unreachable; the oldest lines go first.
    #[serde(default = "default_buffer_max_bytes")]
    pub buffer_max_bytes: usize,
    /// Lines per second published at most; 0 = no limit.
    #[serde(default)]
    pub rate_limit_lines_per_sec: u64,
    /// Interval of the fallback re-stat and of housekeeping (ms).
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Where `logtail` logs; stderr when absent.
    #[serde(default)]
    pub log_file: Option<PathBuf>,
    /// Log level: `error`, `warn` (default), `info` or `debug`.
    #[serde(default)]
    pub log_level: Option<String>,
}

fn default_redis_cluster_wait_ms() -> u64 {
    DEFAULT_REDIS_CLUSTER_WAIT_MS
}

fn default_stream_prefix() -> String {
    crate::wire::DEFAULT_PREFIX.to_owned()
}

fn default_max_line_bytes() -> usize {
    DEFAULT_MAX_LINE_BYTES
}
fn default_batch_max_bytes() -> usize {
    DEFAULT_BATCH_MAX_BYTES
}
fn default_stream_max_len() -> u64 {
    DEFAULT_STREAM_MAX_LEN
}
fn default_stream_max_bytes() -> u64 {
    DEFAULT_STREAM_MAX_BYTES
}
fn default_stream_max_age_secs() -> u64 {
    DEFAULT_STREAM_MAX_AGE_SECS
}
fn default_stream_expire_secs() -> u64 {
    DEFAULT_STREAM_EXPIRE_SECS
}
fn default_buffer_max_bytes() -> usize {
    DEFAULT_BUFFER_MAX_BYTES
}
fn default_poll_interval_ms() -> u64 {
    DEFAULT_POLL_INTERVAL_MS
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("redis_url", &"<secret>")
            .field("redis_cluster_urls", &self.redis_cluster_urls.len())
            .field("redis_cluster_wait_ms", &self.redis_cluster_wait_ms)
            .field("allowed_paths", &self.allowed_paths)
            .field("lock_dir", &self.lock_dir)
            .field("max_line_bytes", &self.max_line_bytes)
            .field("batch_max_bytes", &self.batch_max_bytes)
            .field("stream_max_len", &self.stream_max_len)
            .field("stream_max_bytes", &self.stream_max_bytes)
            .field("stream_max_age_secs", &self.stream_max_age_secs)
            .field("stream_expire_secs", &self.stream_expire_secs)
            .field("buffer_max_bytes", &self.buffer_max_bytes)
            .field("rate_limit_lines_per_sec", &self.rate_limit_lines_per_sec)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .field("log_file", &self.log_file)
            .finish()
    }
}

impl Config {
    /// Where and how a tailer of `stream` publishes.
    pub fn publish_target(&self, stream: &str) -> Target {
        Target {
            stream: stream.to_owned(),
            max_len: self.stream_max_len,
            max_bytes: self.stream_max_bytes,
            max_age: std::time::Duration::from_secs(self.stream_max_age_secs),
            keep_lines: 0,
            buffer_max_bytes: self.buffer_max_bytes,
        }
    }

    /// The stream key of a followed `path` on this host:
    /// `wire::stream_key(stream_prefix, minion_id, path)`; a config without
    /// `minion_id` cannot follow (the key would be a guess).
    pub fn follow_stream(&self, path: &str) -> std::result::Result<String, String> {
        match &self.minion_id {
            Some(id) => Ok(crate::wire::stream_key(&self.stream_prefix, id, path)),
            None => Err("the config has no \"minion_id\": logtail follow derives its stream key from it (the Salt state writes minion_id = grains['id']; local mode: logview's local.host_id)".into()),
        }
    }

    /// Reads, parses and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.to_owned(),
            reason: format!("cannot read: {e}"),
        })?;
        Config::parse(path, &text)
    }

    /// Parses and validates `text` (the content of `path`, for messages).
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let bad = |reason: String| Error::Config {
            path: path.to_owned(),
            reason,
        };
        // toml's message quotes the offending line, which could hold the
        // password: report only the position-free summary.
        let cfg: Config = toml::from_str(text).map_err(|e| bad(toml_error_summary(&e)))?;
        cfg.validate().map_err(bad)?;
        Ok(cfg)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        match (
            self.redis_url.is_empty(),
            self.redis_cluster_urls.is_empty(),
        ) {
            (true, true) => {
                return Err(
                    "missing \"redis_url\" (or \"redis_cluster_urls\" for a Redis Cluster)".into(),
                )
            }
            (false, false) => {
                return Err(
                    "\"redis_url\" and \"redis_cluster_urls\" are both set (set exactly one)"
                        .into(),
                )
            }
            (false, true) => check_url("redis_url", &self.redis_url)?,
            (true, false) => {
                for url in &self.redis_cluster_urls {
                    check_url("redis_cluster_urls", url)?;
                    if redis::Client::open(url.as_str())
                        .is_ok_and(|c| c.get_connection_info().redis_settings().db() != 0)
                    {
                        return Err(
                            "invalid \"redis_cluster_urls\": a cluster has only database 0".into(),
                        );
                    }
                }
            }
        }
        if self.allowed_paths.is_empty() {
            return Err(
                "invalid \"allowed_paths\": empty (list at least one absolute glob)".into(),
            );
        }
        for glob in &self.allowed_paths {
            super::allowlist::validate_glob(glob)
                .map_err(|why| format!("invalid \"allowed_paths\" entry {glob:?}: {why}"))?;
        }
        if let Some(id) = &self.minion_id {
            if id.is_empty()
                || id.len() > 255
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                return Err(format!(
                    "invalid \"minion_id\": {id:?} (1 to 255 characters of A-Z, a-z, 0-9, '.', '_', '-')"
                ));
            }
        }
        if self.stream_prefix.is_empty()
            || self.stream_prefix.contains(':')
            || self
                .stream_prefix
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(format!(
                "invalid \"stream_prefix\": {:?} (non-empty, no ':', spaces or control characters; logview's redis.prefix)",
                self.stream_prefix
            ));
        }
        if !self.lock_dir.is_absolute() {
            return Err(format!(
                "invalid \"lock_dir\": {:?} is not an absolute path",
                self.lock_dir
            ));
        }
        check_range("max_line_bytes", self.max_line_bytes as u64, 64, 64 << 20)?;
        check_range(
            "batch_max_bytes",
            self.batch_max_bytes as u64,
            1024,
            64 << 20,
        )?;
        check_range("stream_max_len", self.stream_max_len, 1, 1 << 40)?;
        check_range("stream_max_bytes", self.stream_max_bytes, 64 << 10, 1 << 40)?;
        check_range(
            "stream_max_age_secs",
            self.stream_max_age_secs,
            1,
            365 * 86_400,
        )?;
        check_range(
            "stream_expire_secs",
            self.stream_expire_secs,
            1,
            365 * 86_400,
        )?;
        check_range(
            "buffer_max_bytes",
            self.buffer_max_bytes as u64,
            4096,
            1 << 32,
        )?;
        check_range("poll_interval_ms", self.poll_interval_ms, 100, 60_000)?;
        check_range(
            "redis_cluster_wait_ms",
            self.redis_cluster_wait_ms,
            0,
            60_000,
        )?;
        if let Some(level) = &self.log_level {
            if !["error", "warn", "info", "debug"].contains(&level.as_str()) {
                return Err(format!(
                    "invalid \"log_level\": {level:?} (allowed: error, warn, info, debug)"
                ));
            }
        }
        if let Some(file) = &self.log_file {
            if !file.is_absolute() {
                return Err(format!(
                    "invalid \"log_file\": {file:?} is not an absolute path"
                ));
            }
        }
        Ok(())
    }
}

/// A Redis URL logtail can use; the message names `key`, never the URL.
fn check_url(key: &str, url: &str) -> std::result::Result<(), String> {
    if !url.starts_with("redis://") {
        return Err(format!(
            "invalid {key:?}: must start with redis:// (TLS is not supported by logtail)"
        ));
    }
    if url.contains('?') {
        return Err(format!(
            "invalid {key:?}: query parameters are not accepted"
        ));
    }
    if redis::Client::open(url).is_err() {
        return Err(format!(
            "invalid {key:?}: not a valid redis://user:password@host:port/db URL"
        ));
    }
    Ok(())
}

fn check_range(key: &str, value: u64, min: u64, max: u64) -> std::result::Result<(), String> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!("invalid {key:?}: {value} (allowed {min}..={max})"))
    }
}

/// The first line of a TOML error without the quoted source text.
fn toml_error_summary(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_owned();
    match e.span() {
        Some(span) => format!("{msg} (at byte {})", span.start),
        None => msg,
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
