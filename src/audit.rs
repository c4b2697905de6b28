//! The audit trail: who asked for which Salt call, tail, command or viewer
//! attach, on which minion, with what outcome. saltgate and logview both write
//! it, append-only, to a JSON-lines file and to a capped Redis stream (the
//! `/audit` page reads the stream). Records never carry secrets or log text:
//! only names, ids, paths, command names and outcome sentences.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::redis_conn::{RedisConn, StreamStore};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::target::InputError;

mod time;
mod viewer;

pub use time::rfc3339_now;
pub use viewer::ViewerAudit;

/// Longest `on_behalf_of` a client may pass.
pub const ON_BEHALF_OF_MAX: usize = 128;
/// The field of a Redis audit entry that holds the JSON record.
const FIELD: &str = "record";
/// How long one Redis write of a record may take before it is given up (and logged).
const REDIS_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Who asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// `operator` (ops page user), `api_token` (a Django/API client),
    /// `gate_client` (a saltgate client), `viewer` (a ticket holder).
    pub kind: String,
    /// The user name, the token's fingerprint, or the gate client's name.
    pub name: String,
    /// The end user a portal says it acts for (`on_behalf_of` of the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl Principal {
    /// An ops-page user.
    pub fn operator(name: &str) -> Principal {
        Principal {
            kind: "operator".into(),
            name: name.to_owned(),
            on_behalf_of: None,
        }
    }

    /// An API client, named by `name` (never the token itself).
    pub fn api_token(name: &str, on_behalf_of: Option<String>) -> Principal {
        Principal {
            kind: "api_token".into(),
            name: name.to_owned(),
            on_behalf_of,
        }
    }

    /// `who` for log lines: `operator ops`, `api_token 3f2a… for alice`.
    pub fn describe(&self) -> String {
        match &self.on_behalf_of {
            Some(b) => format!("{} {} for {b}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// Checks an `on_behalf_of` value: 1 to 128 printable characters, no control characters.
pub fn parse_on_behalf_of(raw: Option<&str>) -> Result<Option<String>, InputError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if raw.chars().count() > ON_BEHALF_OF_MAX || raw.chars().any(char::is_control) {
        return Err(InputError::new(
            "on_behalf_of",
            crate::i18n::Text::new("input.on_behalf_of.invalid").arg("max", ON_BEHALF_OF_MAX),
        ));
    }
    Ok(Some(raw.to_owned()))
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// UTC time, RFC 3339 with milliseconds.
    pub time: String,
    /// `logview` or `saltgate`.
    pub source: String,
    /// `tail`, `run`, `fleet`, `attach`, `detach`, or a Salt call (`file_exists`, `stop`, `follow`, `exec`, `resolve`, `refused`).
    pub action: String,
    /// Who asked.
    pub principal: Principal,
    /// The saltgate client that relayed the request (saltgate's records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The minion, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minion: Option<String>,
    /// The log path, for files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The command name, for commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The `[targets.*]` name, for a target's resolution and a fleet start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `ok`, or `refused: …` / `failed: …` in words.
    pub outcome: String,
}

impl AuditRecord {
    /// A record stamped now.
    pub fn now(source: &str, action: &str, principal: &Principal, outcome: &str) -> AuditRecord {
        AuditRecord {
            time: rfc3339_now(),
            source: source.to_owned(),
            action: action.to_owned(),
            principal: principal.clone(),
            client: None,
            minion: None,
            path: None,
            command: None,
            target: None,
            outcome: outcome.to_owned(),
        }
    }

    /// With the minion, path and command set.
    pub fn on(mut self, minion: Option<&str>, path: Option<&str>, command: Option<&str>) -> Self {
        self.minion = minion.map(str::to_owned);
        self.path = path.map(str::to_owned);
        self.command = command.map(str::to_owned);
        self
    }
}

/// Where records go: a JSON-lines file and a capped Redis stream, each optional.
pub struct AuditLog {
    file: Option<(PathBuf, Mutex<std::fs::File>)>,
    redis: Option<RedisTrail>,
}

/// The Redis stream of the trail; connected on first use.
struct RedisTrail {
    client: redis::Client,
    conn: OnceCell<RedisConn>,
    key: String,
    max_len: usize,
}

impl RedisTrail {
    async fn conn(&self) -> Result<RedisConn, redis::RedisError> {
        let c = self
            .conn
            .get_or_try_init(|| async {
                crate::stream::redis_io::shared_connection(&StreamStore::Single(
                    self.client.clone(),
                ))
                .map_err(|e| match e {
                    crate::stream::redis_io::RedisIoError::Redis(r) => r,
                    other => redis::RedisError::from(std::io::Error::other(other.to_string())),
                })
            })
            .await?;
        Ok(c.clone())
    }
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("file", &self.file.as_ref().map(|(p, _)| p))
            .field("stream", &self.redis.as_ref().map(|r| &r.key))
            .finish()
    }
}

/// The audit trail could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum AuditOpenError {
    /// `audit.file` cannot be created or appended to.
    #[error("cannot open the audit file {path} (audit.file): {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// `audit.redis_url` (or `redis.url`) is not a usable Redis URL.
    #[error("audit.redis_url (or redis.url) is not a usable Redis URL: {0}")]
    RedisUrl(#[from] redis::RedisError),
}

impl AuditLog {
    /// The trail `[audit]` describes: its file, and its stream through
    /// `audit.redis_url` (or `redis.url`). Used by logview and saltgate alike.
    pub fn from_settings(settings: &crate::settings::Settings) -> Result<AuditLog, AuditOpenError> {
        use secrecy::ExposeSecret;
        let a = &settings.audit;
        let url = a.redis_url.as_ref().unwrap_or(&settings.redis.url);
        let client = redis::Client::open(url.expose_secret())?;
        AuditLog::open(
            Path::new(&a.file),
            Some((client, a.stream.clone(), a.stream_max_len)),
        )
    }

    /// Opens `file` for appending (created 0600; empty path = no file) and
    /// writes to the stream `key` (capped at about `max_len` entries) through
    /// `client` (connected on first use).
    pub fn open(
        file: &Path,
        redis: Option<(redis::Client, String, usize)>,
    ) -> Result<AuditLog, AuditOpenError> {
        let redis = redis.map(|(client, key, max_len)| RedisTrail {
            client,
            conn: OnceCell::new(),
            key,
            max_len,
        });
        let file = if file.as_os_str().is_empty() {
            None
        } else {
            use std::os::unix::fs::OpenOptionsExt;
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(file)
                .map_err(|source| AuditOpenError::File {
                    path: file.display().to_string(),
                    source,
                })?;
            Some((file.to_owned(), Mutex::new(f)))
        };
        Ok(AuditLog { file, redis })
    }

    /// An audit log that records nothing (tests of other parts).
    pub fn disabled() -> AuditLog {
        AuditLog {
            file: None,
            redis: None,
        }
    }

    /// Appends `rec` to the file and the stream. A failure is logged, never
    /// returned: the action it records has already happened.
    pub async fn record(&self, rec: &AuditRecord) {
        let line = match serde_json::to_string(rec) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "audit record not serialisable");
                return;
            }
        };
        if let Some((path, f)) = &self.file {
            let written = f
                .lock()
                .map_err(|_| std::io::Error::other("audit file lock poisoned"))
                .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
            if let Err(e) = written {
                tracing::error!(file = %path.display(), error = %e, "audit record not written to the file");
            }
        }
        if let Some(trail) = &self.redis {
            let key = &trail.key;
            let cmd = redis::cmd("XADD")
                .arg(key)
                .arg("MAXLEN")
                .arg("~")
                .arg(trail.max_len)
                .arg("*")
                .arg(FIELD)
                .arg(&line)
                .to_owned();
            let sent = tokio::time::timeout(REDIS_WRITE_TIMEOUT, async {
                let mut conn = trail.conn().await?;
                cmd.query_async::<redis::Value>(&mut conn).await
            })
            .await;
            match sent {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::error!(stream = %key, error = %e, "audit record not written to Redis")
                }
                Err(_) => {
                    tracing::error!(stream = %key, "audit record not written to Redis: timed out")
                }
            }
        }
    }

    /// The newest `count` records of the stream, newest first.
    pub async fn recent(&self, count: usize) -> Result<Vec<AuditRecord>, redis::RedisError> {
        let Some(trail) = &self.redis else {
            return Ok(Vec::new());
        };
        let mut conn = trail.conn().await?;
        let reply: Vec<(String, Vec<(String, String)>)> = redis::cmd("XREVRANGE")
            .arg(&trail.key)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut conn)
            .await?;
        Ok(reply
            .into_iter()
            .filter_map(|(_, fields)| {
                let (_, json) = fields.into_iter().find(|(k, _)| k == FIELD)?;
                serde_json::from_str(&json).ok()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_behalf_of_is_bounded_printable_text() {
        assert_eq!(parse_on_behalf_of(None).expect("none"), None);
        assert_eq!(parse_on_behalf_of(Some("  ")).expect("blank"), None);
        assert_eq!(
            parse_on_behalf_of(Some("alice@example.com")).expect("ok"),
            Some("alice@example.com".into())
        );
        let e = parse_on_behalf_of(Some("alice\nERROR forged")).expect_err("newline");
        assert_eq!(e.field, "on_behalf_of");
        assert!(parse_on_behalf_of(Some(&"a".repeat(129))).is_err());
    }

    #[test]
    fn the_file_gets_one_json_line_per_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, None).expect("open");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("rt");
        let who = Principal::api_token("tok-1", Some("alice".into()));
        let rec = AuditRecord::now("logview", "tail", &who, "ok").on(
            Some("web-01"),
            Some("/var/log/a.log"),
            None,
        );
        rt.block_on(log.record(&rec));
        rt.block_on(log.record(&rec));
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let back: AuditRecord = serde_json::from_str(lines[0]).expect("json");
        assert_eq!(back, rec);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
