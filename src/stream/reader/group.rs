//! One read group's reader task: ONE blocking connection issuing
//! `XREAD COUNT c BLOCK 10000 STREAMS k1 … kn id1 … idn` over every stream
//! of the group, dispatching each stream's entries to its `publish`.
//!
//! * Joins and leaves: a blocked XREAD cannot be interrupted on its own
//!   connection, so a change drops the read in flight together with its
//!   connection (a half-read reply would desync it; dropping closes the
//!   socket, see `redis_io::blocking_connection`) and reconnects. Every
//!   change that arrived meanwhile is applied before the next XREAD.
//! * Fairness: Redis applies `COUNT` to each stream of an XREAD separately,
//!   so a flooded stream returns at most `READ_COUNT` entries per read and
//!   the group's other streams still get theirs in the same reply.
//! * A lost connection: the whole group reconnects with backoff.
//! * A key Redis refuses (WRONGTYPE: not a stream; NOPERM): the combined
//!   read fails for all, so each key is read alone once to find it; that
//!   stream is reported and left out, and read alone again every `BLOCK`
//!   until Redis accepts it; the others go on.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use crate::metrics::Metrics;
use crate::stream::backoff::Backoff;
use crate::stream::redis_io::{self, KeyEntries, RawEntry, RedisIoError};
use crate::stream::shared::StreamIo;

use super::groups::{Group, ReadGroups};
use super::{publish, Member};

/// How long one XREAD blocks before it is re-issued.
const BLOCK: Duration = Duration::from_secs(10);
/// Entries fetched per stream per XREAD at most.
const READ_COUNT: usize = 512;

/// A stream of the group, and when to try it alone again if Redis refused it.
struct Slot {
    member: Member,
    refused_until: Option<Instant>,
}

/// The group's blocking connection, counted in the metrics while held.
struct Held {
    conn: MultiplexedConnection,
    metrics: Arc<Metrics>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.metrics.blocking_connection_closed();
    }
}

/// The group's reader task is counted in the metrics while it runs.
struct Running(Arc<Metrics>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.read_group_ended();
    }
}

/// Runs while the group has a stream, or until the hub shuts down.
pub(super) async fn run(groups: Arc<ReadGroups>, group: Arc<Group>) {
    let io = Arc::clone(&groups.io);
    let cancel = groups.cancel.clone();
    io.metrics.read_group_started();
    let _running = Running(Arc::clone(&io.metrics));
    let mut slots: Vec<Slot> = Vec::new();
    let mut conn: Option<Held> = None;
    let mut backoff = Backoff::new();
    loop {
        apply_changes(&group, &mut slots);
        if slots.is_empty() {
            conn = None;
            if groups.retire(&group) {
                tracing::debug!(group = %group.name, "read group has no stream left");
                return;
            }
            continue;
        }
        retry_refused(&io, &mut slots).await;
        let keys: Vec<(String, crate::wire::EntryId)> = slots
            .iter()
            .filter(|s| s.refused_until.is_none())
            .map(|s| (s.member.shared.key.clone(), s.member.last))
            .collect();
        if keys.is_empty() {
            // Redis refuses every stream of the group: no connection held.
            conn = None;
            let next = slots.iter().filter_map(|s| s.refused_until).min();
            let next = next.unwrap_or_else(|| Instant::now() + BLOCK);
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = group.wake.notified() => {}
                _ = tokio::time::sleep_until(next) => {}
            }
            continue;
        }
        let Some(held) = conn.as_mut() else {
            let Ok(client) = io.client() else { return };
            let connected = tokio::select! {
                _ = cancel.cancelled() => return,
                // Any key of the group: in a cluster they share one slot.
                r = redis_io::blocking_connection(client, &keys[0].0, BLOCK) => r,
            };
            match connected {
                Ok(c) => {
                    io.metrics.blocking_connection_opened();
                    conn = Some(Held {
                        conn: c,
                        metrics: Arc::clone(&io.metrics),
                    });
                }
                Err(e) => {
                    io.metrics.redis_error("connect", e.kind());
                    tracing::warn!(group = %group.name, error = %e, "read group cannot connect to redis; retrying");
                    if !backoff.wait(&cancel).await {
                        return;
                    }
                }
            }
            // Changes that came while connecting are applied before the read.
            continue;
        };
        let outcome = {
            let refs: Vec<(&str, crate::wire::EntryId)> =
                keys.iter().map(|(k, id)| (k.as_str(), *id)).collect();
            let read = redis_io::xread(&mut held.conn, &refs, Some(BLOCK), READ_COUNT);
            tokio::pin!(read);
            loop {
                tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return,
                    r = &mut read => break Some(r),
                    // A permit left from a change already applied is no change.
                    _ = group.wake.notified() => if group.has_changes() { break None },
                }
            }
        };
        match outcome {
            // A stream joined or left: drop the blocked read with its connection.
            None => conn = None,
            Some(Ok(streams)) => {
                backoff.reset();
                dispatch(&io, &mut slots, streams);
            }
            Some(Err(e)) if refused(&e) => {
                // The reply was complete: the connection is still in step.
                let isolated = match conn.as_mut() {
                    Some(held) => isolate(&io, &group, &mut slots, &mut held.conn).await,
                    None => 0,
                };
                if isolated == 0 {
                    conn = None;
                    lost(&io, &group, &e, slots.len());
                    if !backoff.wait(&cancel).await {
                        return;
                    }
                }
            }
            Some(Err(e)) => {
                conn = None;
                lost(&io, &group, &e, slots.len());
                if !backoff.wait(&cancel).await {
                    return;
                }
            }
        }
    }
}

/// Prunes cancelled streams and adds the ones that joined.
fn apply_changes(group: &Group, slots: &mut Vec<Slot>) {
    let joins = group.take_joins();
    slots.retain(|s| !s.member.shared.cancel.is_cancelled());
    for member in joins {
        if member.shared.cancel.is_cancelled() {
            continue;
        }
        // One key appears once in an XREAD: a newer stream of the same key replaces the old.
        slots.retain(|s| s.member.shared.key != member.shared.key);
        slots.push(Slot {
            member,
            refused_until: None,
        });
    }
}

/// Publishes each stream's entries to its subscriptions.
fn dispatch(io: &StreamIo, slots: &mut [Slot], streams: Vec<KeyEntries>) {
    for (key, entries) in streams {
        if let Some(slot) = slots.iter_mut().find(|s| s.member.shared.key == key) {
            deliver(io, slot, entries);
        }
    }
}

fn deliver(io: &StreamIo, slot: &mut Slot, entries: Vec<RawEntry>) {
    let member = &mut slot.member;
    if let Some(newest) = publish(io, &member.shared, &mut member.budget, entries) {
        member.last = newest;
    }
}

/// Redis answered with an error reply (WRONGTYPE, NOPERM, …): the command
/// was refused, the connection is fine. A cluster redirection (MOVED, ASK,
/// TRYAGAIN, CLUSTERDOWN: the slot moved, e.g. after a failover) is not a
/// refusal of the key but a wrong node: the group reconnects, which finds
/// the slot's master again.
fn refused(e: &RedisIoError) -> bool {
    match e {
        RedisIoError::Redis(r) => {
            r.code().is_some()
                && !r.is_timeout()
                && !r.is_cluster_error()
                && !redis_io::connection_broke(r)
        }
        RedisIoError::Shape(_) => false,
    }
}

/// The group lost its connection (or Redis refused the group's read with
/// every key readable alone): counted, logged, reconnect after backoff.
fn lost(io: &StreamIo, group: &Group, e: &RedisIoError, streams: usize) {
    io.metrics.redis_error("xread", e.kind());
    io.metrics.reader_restarted();
    tracing::warn!(group = %group.name, streams, error = %e, "read group lost redis; reconnecting");
}

/// Reads each stream of the group alone (without blocking) to find the ones
/// Redis refuses; those are reported and left out. Returns how many were.
async fn isolate(
    io: &StreamIo,
    group: &Group,
    slots: &mut [Slot],
    conn: &mut MultiplexedConnection,
) -> usize {
    let mut isolated = 0;
    for slot in slots.iter_mut().filter(|s| s.refused_until.is_none()) {
        match read_alone(conn, &slot.member).await {
            Ok(entries) => deliver(io, slot, entries),
            Err(e) if refused(&e) => {
                isolated += 1;
                slot.refused_until = Some(Instant::now() + BLOCK);
                io.metrics.redis_error("xread", e.kind());
                tracing::warn!(stream = %slot.member.shared.key, group = %group.name, error = %e,
                    "redis refuses to read this stream; the rest of its read group goes on without it");
            }
            // The connection broke meanwhile: the group's next read finds out.
            Err(_) => break,
        }
    }
    isolated
}

/// Streams Redis refused whose time has come are read alone again (on the
/// shared connection: it never blocks); accepted ones rejoin the group's read.
async fn retry_refused(io: &StreamIo, slots: &mut [Slot]) {
    let now = Instant::now();
    for slot in slots.iter_mut() {
        if slot.refused_until.is_none_or(|t| t > now) {
            continue;
        }
        let result = match io.shared_conn().await {
            Ok(mut conn) => read_alone(&mut conn, &slot.member).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(entries) => {
                slot.refused_until = None;
                tracing::info!(stream = %slot.member.shared.key, "redis reads this stream again");
                deliver(io, slot, entries);
            }
            Err(e) => {
                if refused(&e) {
                    io.metrics.redis_error("xread", e.kind());
                }
                slot.refused_until = Some(now + BLOCK);
            }
        }
    }
}

/// One stream's new entries, without blocking.
async fn read_alone<C: redis::aio::ConnectionLike + Send>(
    conn: &mut C,
    member: &Member,
) -> Result<Vec<RawEntry>, RedisIoError> {
    let key = member.shared.key.as_str();
    let streams = redis_io::xread(conn, &[(key, member.last)], None, READ_COUNT).await?;
    Ok(streams
        .into_iter()
        .flat_map(|(_, entries)| entries)
        .collect())
}
