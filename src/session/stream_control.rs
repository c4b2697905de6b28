//! The Redis side of starting a session, as the `logview` ACL user (may only
//! SET lease keys and read streams and owner keys): set the lease, note a
//! stream's last id, read the owner heartbeat, find a sharing viewer's
//! window (`share.rs`), and wait for the launched tailer's `started` event on a dedicated
//! connection (blocking reads must not share a connection or run under the
//! crate's 500 ms response timeout, docs/redis-acl.md §2).

use std::time::Duration;

use redis::streams::{StreamRangeReply, StreamReadOptions, StreamReadReply};
use redis::{AsyncCommands, RedisError, Value};
use tokio::time::Instant;

use super::resume::{self, Step};
use super::share::{self, Found, Scan, Window};
use crate::redis_conn::{RedisConn, StreamStore};
use crate::settings::Settings;
use crate::stream::{idempotent, EntryId};
use crate::wire::{self, Entry, EventKind, FilePos, OwnerValue, StopReason};

/// How a launched tailer announced itself (or did not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// The `started` event, with its entry id.
    Started {
        /// Entry id of the `started` event.
        id: String,
        /// Its `backlog` field: the lines of backlog that follow it.
        backlog: u64,
        /// Its `resumed` field is `1`: it continued where the tailer it
        /// replaced stopped (no backlog; the stream is contiguous).
        resumed: bool,
    },
    /// The tailer wrote `stopped` before `started`: it gave up at once.
    Stopped {
        /// The `reason` field.
        reason: String,
        /// Its sentence for people.
        message: String,
    },
    /// Nothing within the wait.
    Silent,
}

/// Lease writes, last-id reads and start confirmations on one Redis.
#[derive(Clone)]
pub struct StreamControl {
    store: StreamStore,
    manager: RedisConn,
    lease_ttl_secs: u64,
}

impl std::fmt::Debug for StreamControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamControl")
            .field("lease_ttl_secs", &self.lease_ttl_secs)
            .finish_non_exhaustive()
    }
}

/// Value written into lease keys (logtail only checks presence).
const LEASE_VALUE: &str = "logview";

impl StreamControl {
    /// Connects lazily (the first command connects), so logview starts even
    /// while Redis is down and reports that per request.
    pub fn new(settings: &Settings) -> Result<StreamControl, RedisError> {
        let store = StreamStore::from_settings(settings)?;
        let manager = store.connection(Duration::from_secs(2))?;
        Ok(StreamControl {
            store,
            manager,
            lease_ttl_secs: settings.redis.lease_ttl_secs,
        })
    }

    /// The shared connection (the start claims use it too).
    pub(crate) fn connection(&self) -> RedisConn {
        self.manager.clone()
    }

    /// `SET <stream>:lease logview EX lease_ttl_secs`.
    pub async fn set_lease(&self, stream: &str) -> Result<(), RedisError> {
        // `SET … EX`, not SETEX: the logview ACL user may run SET only.
        let key = wire::lease_key(stream);
        idempotent("SET lease", || {
            let mut c = self.manager.clone();
            let cmd = redis::cmd("SET")
                .arg(&key)
                .arg(LEASE_VALUE)
                .arg("EX")
                .arg(self.lease_ttl_secs)
                .to_owned();
            async move { cmd.query_async::<()>(&mut c).await }
        })
        .await
    }

    /// Id of the newest entry of `stream`, `0-0` when it has none.
    pub async fn last_id(&self, stream: &str) -> Result<String, RedisError> {
        let reply: StreamRangeReply = idempotent("XREVRANGE", || {
            let mut c = self.manager.clone();
            async move { c.xrevrange_count(stream, "+", "-", 1).await }
        })
        .await?;
        Ok(reply
            .ids
            .into_iter()
            .next()
            .map(|e| e.id)
            .unwrap_or_else(|| "0-0".to_owned()))
    }

    /// The value of the stream's owner key (the running tailer's heartbeat),
    /// `None` when there is none: no tailer, or one whose heartbeat lapsed.
    pub async fn owner(&self, stream: &str) -> Result<Option<OwnerValue>, RedisError> {
        let key = wire::owner_key(stream);
        let value: Option<String> = idempotent("GET owner", || {
            let mut c = self.manager.clone();
            let key = key.clone();
            async move { c.get(key).await }
        })
        .await?;
        Ok(value.as_deref().and_then(OwnerValue::parse))
    }

    /// Where a viewer asking for the last `want` lines of the running
    /// session of `stream` starts (XREVRANGE pages, newest first, down to
    /// the session's `started` event at most); `live`: the tailer's owner
    /// key says its whole backlog is in the stream.
    pub async fn share_window(
        &self,
        stream: &str,
        want: u64,
        owner: &OwnerValue,
    ) -> Result<Window, RedisError> {
        self.scan_window(stream, want, owner.live, owner.pid).await
    }

    /// One page of `stream`, newest first, from `end` (`+` or `(ID`) down.
    async fn newest_first(
        &self,
        stream: &str,
        end: &str,
        count: usize,
    ) -> Result<StreamRangeReply, RedisError> {
        idempotent("XREVRANGE", || {
            let mut c = self.manager.clone();
            let end = end.to_owned();
            async move { c.xrevrange_count(stream, end, "-", count).await }
        })
        .await
    }

    /// [`Self::share_window`] for the tailer `pid`, `live` or not.
    pub async fn scan_window(
        &self,
        stream: &str,
        want: u64,
        live: bool,
        pid: u32,
    ) -> Result<Window, RedisError> {
        const PAGE: usize = 500;
        let mut scan = Scan::new(want, live, Some(pid));
        let mut end = "+".to_owned();
        'pages: loop {
            let reply = self.newest_first(stream, &end, PAGE).await?;
            let count = reply.ids.len();
            for entry in reply.ids {
                end = format!("({}", entry.id);
                let (Ok(id), Some(decoded)) = (entry.id.parse::<EntryId>(), decode(&entry.map))
                else {
                    continue;
                };
                match scan.push(id, &decoded) {
                    Some(Found::Window(window)) => return Ok(window),
                    Some(Found::Resumed) => {
                        // Contiguous with the replaced tailer: from the end again.
                        scan = Scan::new(want, true, Some(pid));
                        end = "+".to_owned();
                        continue 'pages;
                    }
                    Some(Found::EarlierTailer(earlier)) => {
                        // The owner set its heartbeat and its `started` is on
                        // its way: the viewer's N are the last of its backlog.
                        let wait = Duration::from_secs(5);
                        return match self
                            .wait_started(stream, &earlier.to_string(), wait)
                            .await?
                        {
                            Confirmation::Started { id, backlog, .. } => Ok(id
                                .parse::<EntryId>()
                                .map(|id| share::fresh(id, backlog, want))
                                .unwrap_or_else(|_| scan.exhausted())),
                            _ => Ok(scan.exhausted()),
                        };
                    }
                    None => {}
                }
            }
            if count < PAGE {
                return Ok(scan.exhausted());
            }
        }
    }

    /// Where a tailer replacing the stream's last one continues: the `pos`
    /// of the newest `lines` entry, unless the file changed or the session
    /// ended cleanly since (`session/resume.rs`); a few pages at most.
    pub async fn resume_position(&self, stream: &str) -> Result<Option<FilePos>, RedisError> {
        const PAGE: usize = 100;
        const PAGES: usize = 4;
        let mut end = "+".to_owned();
        for _ in 0..PAGES {
            let reply = self.newest_first(stream, &end, PAGE).await?;
            let count = reply.ids.len();
            for entry in reply.ids {
                end = format!("({}", entry.id);
                let Some(decoded) = decode(&entry.map) else {
                    return Ok(None);
                };
                match resume::step(&decoded) {
                    Step::Found(pos) => return Ok(Some(pos)),
                    Step::Fresh => return Ok(None),
                    Step::Older => {}
                }
            }
            if count < PAGE {
                break;
            }
        }
        Ok(None)
    }

    /// Waits up to `wait` for a `started` (or an early `stopped`) event after
    /// `after` on `stream`, reading on its own connection.
    pub async fn wait_started(
        &self,
        stream: &str,
        after: &str,
        wait: Duration,
    ) -> Result<Confirmation, RedisError> {
        let deadline = Instant::now() + wait;
        // A blocking read: on its own connection, on the slot's master.
        let mut conn = self.store.blocking_connection_for_key(stream, wait).await?;
        let mut cursor = after.to_owned();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Confirmation::Silent);
            }
            let block_ms = (left.as_millis() as usize).max(1);
            let opts = StreamReadOptions::default().block(block_ms).count(100);
            let reply: Option<StreamReadReply> = conn
                .xread_options(&[stream], &[cursor.as_str()], &opts)
                .await?;
            let Some(reply) = reply else {
                continue;
            };
            for key in reply.keys {
                for entry in key.ids {
                    cursor = entry.id.clone();
                    match decode(&entry.map) {
                        Some(Entry::Event(ev)) if ev.kind == EventKind::Started => {
                            let backlog = ev
                                .get(wire::field::BACKLOG)
                                .and_then(|b| b.parse().ok())
                                .unwrap_or(0);
                            let resumed = ev.get(wire::field::RESUMED) == Some("1");
                            return Ok(Confirmation::Started {
                                id: entry.id,
                                backlog,
                                resumed,
                            });
                        }
                        // `replaced` / `stop-command` are the previous tailer
                        // saying goodbye (its `stop` may land after `after`).
                        Some(Entry::Event(ev))
                            if ev.kind == EventKind::Stopped
                                && !matches!(
                                    ev.get("reason"),
                                    Some(r) if r == StopReason::Replaced.as_str()
                                        || r == StopReason::StopCommand.as_str()
                                ) =>
                        {
                            return Ok(Confirmation::Stopped {
                                reason: ev.get("reason").unwrap_or("unknown").to_owned(),
                                message: ev.message,
                            });
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

fn decode(map: &std::collections::HashMap<String, Value>) -> Option<Entry> {
    let pairs: Vec<(&str, Vec<u8>)> = map
        .iter()
        .map(|(k, v)| (k.as_str(), value_bytes(v)))
        .collect();
    Entry::from_fields(pairs.iter().map(|(k, v)| (*k, v.as_slice()))).ok()
}

fn value_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::BulkString(b) => b.clone(),
        Value::SimpleString(s) => s.clone().into_bytes(),
        Value::Int(i) => i.to_string().into_bytes(),
        _ => Vec::new(),
    }
}
