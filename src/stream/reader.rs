//! The one Redis reader of a stream: finds where the stream ends, then
//! blocks in XREAD on its own connection and broadcasts each new entry,
//! serialised once, to every subscription; reconnects with backoff.

use std::sync::Arc;
use std::time::Duration;

use crate::wire::Entry;

use super::backoff::Backoff;
use super::budget::Budget;
use super::message::{weight, Message};
use super::redis_io::{self, RawEntry};
use super::shared::{LiveItem, LiveJson, LiveMark, Position, StreamIo, StreamShared};

/// How long one XREAD blocks before it is re-issued.
const BLOCK: Duration = Duration::from_secs(10);
/// Entries fetched per XREAD at most.
const READ_COUNT: usize = 512;

/// Runs until the stream is reaped or the hub shuts down; `buffer_bytes`
/// is the stream's byte budget (`limits.stream_buffer_bytes`).
pub(crate) async fn run(io: Arc<StreamIo>, buffer_bytes: usize, shared: Arc<StreamShared>) {
    let cancel = shared.cancel.clone();
    let key = shared.key.as_str();
    let mut backoff = Backoff::new();

    // Where live reading starts: everything up to here is the backlog subscribers read with XRANGE.
    let start = loop {
        let attempt = async {
            let mut conn = io.shared_conn().await?;
            redis_io::last_id(&mut conn, key).await
        };
        let result = tokio::select! {
            _ = cancel.cancelled() => return,
            r = attempt => r,
        };
        match result {
            Ok(id) => break id,
            Err(e) => {
                io.metrics.redis_error("xrevrange", e.kind());
                tracing::warn!(stream = %key, error = %e, "cannot find the end of the stream; retrying");
                if !backoff.wait(&cancel).await {
                    return;
                }
            }
        }
    };
    shared.state().position = Some(Position {
        last_id: start,
        published_weight: 0,
    });
    shared.ready.send_replace(true);
    backoff.reset();

    let mut last = start;
    let mut conn = None;
    let mut budget = Budget::new(buffer_bytes);
    loop {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => {
                let client = match io.client() {
                    Ok(c) => c,
                    Err(_) => return,
                };
                let connected = tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = redis_io::blocking_connection(client, key, BLOCK) => r,
                };
                match connected {
                    Ok(c) => conn.insert(c),
                    Err(e) => {
                        io.metrics.redis_error("connect", e.kind());
                        tracing::warn!(stream = %key, error = %e, "stream reader cannot connect to redis; retrying");
                        if !backoff.wait(&cancel).await {
                            return;
                        }
                        continue;
                    }
                }
            }
        };
        let result = tokio::select! {
            _ = cancel.cancelled() => return,
            r = redis_io::xread_block(c, key, last, BLOCK, READ_COUNT) => r,
        };
        match result {
            Ok(entries) => {
                backoff.reset();
                if let Some(newest) = publish(&io, &shared, &mut budget, entries) {
                    last = newest;
                }
            }
            Err(e) => {
                conn = None;
                io.metrics.redis_error("xread", e.kind());
                io.metrics.reader_restarted();
                tracing::warn!(stream = %key, error = %e, "stream reader lost redis; reconnecting");
                if !backoff.wait(&cancel).await {
                    return;
                }
            }
        }
    }
}

/// Serialises `entries` and broadcasts them in order, within the stream's
/// byte `budget`; returns the newest id.
fn publish(
    io: &StreamIo,
    shared: &StreamShared,
    budget: &mut Budget,
    entries: Vec<RawEntry>,
) -> Option<crate::stream::EntryId> {
    let newest = entries.last().map(|(id, _)| *id)?;
    let encoded: Vec<_> = entries
        .into_iter()
        .filter_map(|(id, entry)| match entry {
            Ok(entry) => Some((
                id,
                weight(&entry),
                matches!(entry, Entry::Lines { .. }),
                Message::from_entry(id, &entry).to_json(),
            )),
            Err(e) => {
                io.metrics.redis_error("decode", "entry");
                tracing::warn!(stream = %shared.key, id = %id, error = %e, "skipping an entry logview cannot decode");
                None
            }
        })
        .collect();
    let mut state = shared.state();
    let Some(pos) = state.position.as_mut() else {
        return Some(newest);
    };
    let mut prev = pos.last_id;
    for (id, weight, is_lines, json) in encoded {
        let len = json.len();
        let item = Arc::new(LiveItem {
            mark: LiveMark {
                id,
                prev,
                weight_before: pos.published_weight,
                weight,
                is_lines,
            },
            json: LiveJson::new(json.into()),
        });
        prev = id;
        pos.published_weight += weight;
        // No receiver right now is fine: nobody is waiting for it.
        let _ = shared.tx.send(Arc::clone(&item));
        budget.admit(item, len);
    }
    pos.last_id = newest;
    Some(newest)
}
