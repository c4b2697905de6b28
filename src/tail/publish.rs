//! Writes entries to the Redis stream: pipelined `XADD … MAXLEN ~`, `XTRIM
//! MINID` for the byte and age bounds ([`super::retention`]), a bounded queue
//! that survives outages and a full Redis (oldest lines dropped and counted
//! exactly, [`super::losses`]), reconnect with backoff, and the few key
//! commands the tailer user may run (`EXISTS`/`PTTL` of the lease, `EXPIRE`,
//! `SET`/`GET`/`DEL` of the owner key).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use redis::{ConnectionLike, Value};

use super::batch::Batch;
use super::cluster::Endpoint;
use super::config::Config;
use super::conn::{BACKOFF_MAX, BACKOFF_MIN, TRANSIENT};
use super::error::{Error, Result};
pub use super::item::{Item, Target};
use super::losses::{Cause, Losses};
use super::retention::Retention;
use super::xadd::{encode_wait, encode_xadd};
use crate::wire::{self, Event};

mod replication;

/// The most text sent in one pipelined round trip.
const PIPELINE_MAX_BYTES: usize = 4 << 20;

/// The Redis side of a tailer.
pub struct Publisher {
    endpoint: Endpoint,
    conn: Option<redis::Connection>,
    target: Target,
    queue: VecDeque<Item>,
    queued_bytes: usize,
    /// Lines dropped while Redis was away or full, not yet reported.
    losses: Losses,
    retention: Retention,
    backoff: Duration,
    next_attempt: Instant,
    /// Set after a reconnect: the stream may be new, refresh its TTL.
    pub reconnected: bool,
    /// Lines written to Redis so far (acknowledged).
    pub lines_sent: u64,
    /// Entries at the front of the queue sent in the last pipeline whose
    /// replies are not read yet (at most one pipeline is in flight, so Redis
    /// works on it while the next lines are read and split).
    in_flight: usize,
    /// Weight of those entries.
    in_flight_bytes: usize,
    /// The encoded pipeline, reused.
    out: Vec<u8>,
    /// Cluster mode with `WAIT`: replies of the pipeline's `XADD`s, held
    /// until its `WAIT` answers (`replication.rs`).
    replies: Vec<Value>,
    /// Texts of acknowledged batches, handed back to the batcher: big
    /// buffers are reused instead of being mapped and zeroed each time.
    spare: Vec<String>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("stream", &self.target.stream)
            .field("connected", &self.conn.is_some())
            .field("queued_bytes", &self.queued_bytes)
            .finish()
    }
}

impl Publisher {
    /// Connects (exit 5 on failure) and checks the credentials with an
    /// allowed command (`EXISTS` on the lease key; the tailer user cannot PING).
    pub fn connect(cfg: &Config, target: Target) -> Result<Publisher> {
        let (max_bytes, max_age, keep) = (target.max_bytes, target.max_age, target.keep_lines);
        let mut endpoint = Endpoint::from_config(cfg, &target.stream)?;
        let (conn, server) = (endpoint.open(), endpoint.server());
        let conn = conn.map_err(|e| Error::RedisAtStart(format!("{server}: {e}")))?;
        let mut p = Publisher {
            endpoint,
            conn: Some(conn),
            target,
            queue: VecDeque::new(),
            queued_bytes: 0,
            losses: Losses::default(),
            retention: Retention::new(max_bytes, max_age, keep, Instant::now()),
            backoff: BACKOFF_MIN,
            next_attempt: Instant::now(),
            reconnected: false,
            lines_sent: 0,
            in_flight: 0,
            in_flight_bytes: 0,
            out: Vec::new(),
            replies: Vec::new(),
            spare: Vec::new(),
        };
        let lease = wire::lease_key(&p.target.stream);
        let reply = p.command(redis::cmd("EXISTS").arg(&lease));
        match reply {
            Ok(Some(_)) => Ok(p),
            Ok(None) => Err(Error::RedisAtStart(format!("{server}: connection lost"))),
            Err(e) => Err(Error::RedisAtStart(format!("{server}: {e}"))),
        }
    }

    /// The stream key.
    pub fn stream(&self) -> &str {
        &self.target.stream
    }

    /// Whether a connection is up.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// When the next reconnect attempt is due (None while connected).
    pub fn next_attempt(&self) -> Option<Instant> {
        (self.conn.is_none()).then_some(self.next_attempt)
    }

    /// Bytes queued and not sent yet.
    pub fn unsent_bytes(&self) -> usize {
        self.queued_bytes - self.in_flight_bytes
    }

    /// Queues a batch; if the queue is over its bound, flushes (connected:
    /// back-pressure) or drops the oldest lines (disconnected).
    pub fn push_lines(&mut self, batch: Batch) -> Result<()> {
        self.push(Item::Lines(batch))
    }

    /// Queues an event.
    pub fn push_event(&mut self, event: Event) -> Result<()> {
        self.push(Item::Event(event))
    }

    fn push(&mut self, item: Item) -> Result<()> {
        self.queued_bytes += item.weight();
        self.queue.push_back(item);
        if self.queued_bytes > self.target.buffer_max_bytes {
            if self.conn.is_some() {
                self.sync()?;
            }
            self.enforce_bound();
        }
        Ok(())
    }

    fn enforce_bound(&mut self) {
        while self.queued_bytes > self.target.buffer_max_bytes {
            let Some(idx) = self
                .queue
                .iter()
                .skip(self.in_flight)
                .position(|i| matches!(i, Item::Lines(_)))
                .map(|i| i + self.in_flight)
            else {
                return;
            };
            if let Some(item) = self.queue.remove(idx) {
                self.queued_bytes -= item.weight();
                if let Item::Lines(b) = item {
                    self.losses.add(u64::from(b.lines));
                }
            }
        }
    }

    /// Sends everything queued, reconnecting first if due; the replies of
    /// the last pipeline are read later ([`Self::sync`] waits for them).
    /// Returns Ok when Redis is merely away (the queue keeps the entries);
    /// Err only when Redis rejects the entries for good.
    pub fn flush(&mut self) -> Result<()> {
        if self.conn.is_some() {
            if let Some(min_id) = self.retention.due(Instant::now()) {
                let item = Item::Trim(min_id);
                self.queued_bytes += item.weight();
                self.queue.push_back(item);
            }
        }
        loop {
            if self.conn.is_none() {
                self.try_reconnect();
                if self.conn.is_none() {
                    return Ok(());
                }
            }
            if self.queue.len() == self.in_flight {
                return Ok(());
            }
            self.collect()?;
            self.send()?;
        }
    }

    /// Whether every queued entry was sent and acknowledged.
    pub fn all_sent(&self) -> bool {
        self.queue.is_empty()
    }

    /// Sends everything and waits for every reply.
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        self.collect()
    }

    /// A buffer of an acknowledged batch, for the batcher to reuse.
    pub fn take_spare(&mut self) -> Option<String> {
        self.spare.pop()
    }

    fn try_reconnect(&mut self) {
        if Instant::now() < self.next_attempt {
            return;
        }
        match self.endpoint.open() {
            Ok(mut conn) => {
                self.skip_already_written(&mut conn);
                tracing::warn!(dropped = self.losses.total(), "redis reachable again");
                self.conn = Some(conn);
                self.backoff = BACKOFF_MIN;
                self.reconnected = true;
                // Reported before anything else is sent (a full Redis may
                // refuse them too: they stay first in the queue).
                for ev in self.losses.take_events().into_iter().rev() {
                    let item = Item::Event(ev);
                    self.queued_bytes += item.weight();
                    self.queue.push_front(item);
                }
            }
            Err(e) => self.schedule_retry(&e.to_string()),
        }
    }

    fn schedule_retry(&mut self, why: &str) {
        self.losses.cause = Cause::Outage;
        tracing::debug!(
            error = why,
            backoff_ms = self.backoff.as_millis() as u64,
            "redis unreachable"
        );
        self.conn = None;
        self.replies.clear();
        self.in_flight = 0;
        self.in_flight_bytes = 0;
        self.next_attempt = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
    }

    fn lost_connection(&mut self, e: &redis::RedisError) {
        if self.conn.is_some() {
            tracing::warn!(error = %e, queued_bytes = self.queued_bytes, "redis connection lost, buffering");
        }
        self.schedule_retry(&e.to_string());
    }

    /// Sends one pipeline of the entries not sent yet (without waiting).
    fn send(&mut self) -> Result<()> {
        self.out.clear();
        let mut n = 0;
        let mut bytes = 0;
        for item in self.queue.iter().skip(self.in_flight) {
            if n > 0 && bytes + item.weight() > PIPELINE_MAX_BYTES {
                break;
            }
            encode_xadd(&mut self.out, &self.target, item);
            bytes += item.weight();
            n += 1;
        }
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        if n == 0 {
            return Ok(());
        }
        if let Some(ms) = self.endpoint.wait_ms() {
            encode_wait(&mut self.out, ms);
        }
        match conn.send_packed_command(&self.out) {
            Ok(()) => {
                self.in_flight += n;
                self.in_flight_bytes += bytes;
            }
            Err(e) => self.lost_connection(&e),
        }
        if self.out.capacity() > 2 * PIPELINE_MAX_BYTES {
            self.out = Vec::new();
        }
        Ok(())
    }

    /// Reads the replies of the pipeline in flight and removes the
    /// acknowledged entries from the queue.
    fn collect(&mut self) -> Result<()> {
        while self.in_flight > 0 {
            let Some(conn) = self.conn.as_mut() else {
                self.in_flight = 0;
                self.in_flight_bytes = 0;
                return Ok(());
            };
            match conn.recv_response() {
                Ok(Value::ServerError(err)) => {
                    let code = err.code().to_owned();
                    let detail = err.details().unwrap_or_default().to_owned();
                    if TRANSIENT.contains(&code.as_str()) {
                        // Unacknowledged entries are sent again after a
                        // reconnect (a rare duplicate beats a loss); lines
                        // the bounded queue drops meanwhile are counted.
                        tracing::warn!(code = %code, detail = %detail, "redis busy, retrying");
                        self.schedule_retry(&code);
                        if code == "OOM" {
                            self.losses.cause = Cause::Full;
                        }
                        return Ok(());
                    }
                    return Err(Error::RedisRejected {
                        command: "XADD",
                        detail: format!("{code} {detail}"),
                    });
                }
                Ok(reply) => self.on_reply(reply),
                Err(e) => {
                    self.lost_connection(&e);
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Runs one command if connected; `Ok(None)` when Redis is away (the
    /// connection is then dropped and retried later).
    pub fn command(&mut self, cmd: &redis::Cmd) -> Result<Option<Value>> {
        // Replies must be read in order: first those of the pipeline in flight.
        self.collect()?;
        let Some(conn) = self.conn.as_mut() else {
            return Ok(None);
        };
        match conn.req_command(cmd) {
            Ok(Value::ServerError(err)) if TRANSIENT.contains(&err.code()) => {
                // Full or busy: this command is skipped, like while Redis is away.
                tracing::warn!(code = err.code(), "redis refused a command for now");
                Ok(None)
            }
            Ok(Value::ServerError(err)) => Err(Error::RedisRejected {
                command: "command",
                detail: format!("{} {}", err.code(), err.details().unwrap_or_default()),
            }),
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() => {
                self.lost_connection(&e);
                Ok(None)
            }
            Err(e) => Err(Error::RedisRejected {
                command: "command",
                detail: e.to_string(),
            }),
        }
    }

    /// Flushes until the queue is empty or `deadline` passes (retrying a
    /// lost connection meanwhile); returns how many lines could not be sent.
    pub fn drain_until(&mut self, deadline: Instant) -> Result<u64> {
        loop {
            self.sync()?;
            if self.queue.is_empty() || Instant::now() >= deadline {
                break;
            }
            let wake = self.next_attempt.min(deadline);
            std::thread::sleep(wake.saturating_duration_since(Instant::now()));
        }
        let unsent: u64 = self
            .queue
            .iter()
            .map(|i| match i {
                Item::Lines(b) => u64::from(b.lines),
                Item::Event(_) | Item::Trim(_) => 0,
            })
            .sum();
        Ok(unsent + self.losses.total())
    }
}
