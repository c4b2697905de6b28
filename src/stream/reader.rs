//! Reading streams from Redis, shared: every stream belongs to a read group
//! (`wire::read_group`), and each group with a live stream has ONE task and
//! ONE blocking connection issuing a multi-key `XREAD` over all its streams
//! (`reader/group.rs`); `reader/groups.rs` is the registry of groups. This
//! file is one stream's part: find where its live reading starts, join its
//! group, leave it when the stream is reaped; and [`publish`], which
//! broadcasts a stream's new entries, serialised once, to its subscriptions.

use std::sync::Arc;

use crate::wire::{Entry, EntryId};

use super::backoff::Backoff;
use super::budget::Budget;
use super::message::{weight, Message};
use super::redis_io::{self, RawEntry};
use super::shared::{LiveItem, LiveJson, LiveMark, Position, StreamIo, StreamShared};

mod group;
mod groups;

pub(crate) use groups::ReadGroups;

/// One stream as its group's reader holds it.
pub(crate) struct Member {
    pub shared: Arc<StreamShared>,
    /// The id the next read starts after (the newest entry published).
    pub last: EntryId,
    /// The stream's byte budget (`limits.stream_buffer_bytes`).
    pub budget: Budget,
}

/// Runs until the stream is reaped or the hub shuts down: finds the stream's
/// end, then hands the stream to its read group, and takes it out again when
/// the stream is cancelled. `buffer_bytes` is `limits.stream_buffer_bytes`.
pub(crate) async fn run(
    io: Arc<StreamIo>,
    groups: Arc<ReadGroups>,
    buffer_bytes: usize,
    shared: Arc<StreamShared>,
) {
    let cancel = shared.cancel.clone();
    let key = shared.key.as_str();
    let mut backoff = Backoff::new();

    // Where live reading starts: everything up to here is the backlog
    // subscribers read with XRANGE, everything after comes from the group's
    // XREAD. The position is found BEFORE the key joins the group's key list
    // because the group's read must start exactly there: a subscription takes
    // its seam at this position (`ready`), and a multi-key XREAD that is
    // re-issued cannot use `$` (each re-issue would skip what arrived between
    // two reads). With an explicit id nothing is lost between `ready` and the
    // group's next read, however long the group takes to include the key.
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

    let group = groups.join(Member {
        shared: Arc::clone(&shared),
        last: start,
        budget: Budget::new(buffer_bytes),
    });
    cancel.cancelled().await;
    group.left();
}

/// Serialises `entries` and broadcasts them in order, within the stream's
/// byte `budget`; returns the newest id.
pub(crate) fn publish(
    io: &StreamIo,
    shared: &StreamShared,
    budget: &mut Budget,
    entries: Vec<RawEntry>,
) -> Option<EntryId> {
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
