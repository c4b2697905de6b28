//! One viewer's view of a stream: the retained backlog (XRANGE in pages up to
//! where the reader started broadcasting), then the live broadcast, strictly
//! in id order and none twice, with a `dropped` message when it fell behind
//! (further than `limits.viewer_queue` entries or the stream's byte budget).
//!
//! The seam: under the stream's lock the subscription takes a broadcast
//! receiver and the reader's position P at once. Every entry ≤ P is read
//! from Redis, every entry > P arrives on the receiver; the two never overlap.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use super::backoff::Backoff;
use super::ledger::{Ledger, Seam, Take, Verdict, ViewStart};
use super::message::{weight, Message, SharedJson};
use super::redis_io;
use super::shared::{Detach, LiveItem, StreamIo, StreamShared};
use crate::wire::Entry;
use crate::wire::EntryId;

/// Entries fetched per backlog page.
const BACKLOG_PAGE: usize = 200;

/// One message ready to send to a viewer.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The entry id (the SSE `id:`), `None` for `dropped`.
    pub id: Option<EntryId>,
    /// The JSON message.
    pub json: SharedJson,
    /// Lines carried (events: 1; `dropped`: 0), for metrics.
    pub lines: u64,
}

enum Phase {
    /// Waiting for the reader to know where the stream ends.
    Starting,
    /// The backlog, then the live broadcast.
    Reading(Seam),
}

/// A viewer attached to a stream (counted until dropped). Get messages with
/// [`Subscription::next`].
pub struct Subscription {
    io: Arc<StreamIo>,
    detach: Arc<dyn Detach>,
    shared: Arc<StreamShared>,
    phase: Phase,
    rx: Option<broadcast::Receiver<Arc<LiveItem>>>,
    ledger: Ledger,
    queued: VecDeque<Outgoing>,
    backoff: Backoff,
    /// [`Step::CaughtUp`] was returned.
    caught_up: bool,
}

/// What [`Subscription::step`] yields.
#[derive(Debug)]
pub enum Step {
    /// A message for the viewer.
    Message(Outgoing),
    /// The backlog is done: what follows is live (returned once).
    CaughtUp,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("stream", &self.shared.key)
            .finish_non_exhaustive()
    }
}

fn outgoing(id: EntryId, entry: &crate::wire::Entry) -> Outgoing {
    Outgoing {
        id: Some(id),
        json: Message::from_entry(id, entry).to_json().into(),
        lines: weight(entry),
    }
}

/// The line count of a `lines` entry, `None` for an event.
fn lines_of(entry: &Entry) -> Option<u64> {
    match entry {
        Entry::Lines { lines, .. } => Some(lines.len() as u64),
        Entry::Event(_) => None,
    }
}

/// `entry` without its first `n` lines.
fn trimmed(entry: &Entry, n: u64) -> Entry {
    match entry {
        Entry::Lines {
            lines,
            fd,
            cut,
            pos,
        } => {
            let kept: Vec<String> = lines.iter().skip(n as usize).cloned().collect();
            // Which lines were cut is not recorded per line (each cut line
            // still ends with the marker): at most the lines kept.
            let cut = (*cut).min(kept.len() as u32);
            Entry::Lines {
                lines: kept,
                fd: *fd,
                cut,
                pos: *pos,
            }
        }
        Entry::Event(_) => entry.clone(),
    }
}

/// The entry a broadcast `lines` message carries (it was built from one).
fn entry_of(json: &str) -> Option<Entry> {
    match Message::parse(json).ok()? {
        Message::Lines { lines, fd, cut, .. } => Some(Entry::Lines {
            lines: lines.into_owned(),
            fd,
            cut,
            pos: None,
        }),
        _ => None,
    }
}

impl Subscription {
    pub(crate) fn new(
        io: Arc<StreamIo>,
        detach: Arc<dyn Detach>,
        shared: Arc<StreamShared>,
        start: ViewStart,
    ) -> Self {
        Subscription {
            io,
            detach,
            shared,
            phase: Phase::Starting,
            rx: None,
            ledger: Ledger::new(start),
            queued: VecDeque::new(),
            backoff: Backoff::new(),
            caught_up: false,
        }
    }

    /// The stream key this subscription reads.
    pub fn stream(&self) -> &str {
        &self.shared.key
    }

    /// The next message, or `None` once the hub shuts down. Cancel-safe: it
    /// can be raced in `select!` without losing a message.
    pub async fn next(&mut self) -> Option<Outgoing> {
        loop {
            if let Step::Message(out) = self.step().await? {
                return Some(out);
            }
        }
    }

    /// Like [`Subscription::next`], but also says, once, when this viewer
    /// has every retained entry and waits for live ones ([`Step::CaughtUp`]):
    /// a fleet view's merge waits for a member still reading its backlog,
    /// and only briefly for one that is caught up. Cancel-safe.
    pub async fn step(&mut self) -> Option<Step> {
        loop {
            if let Some(out) = self.queued.pop_front() {
                return Some(Step::Message(out));
            }
            match self.phase {
                Phase::Starting => self.start().await?,
                Phase::Reading(Seam::Backlog { next, end }) => self.backlog_page(next, end).await?,
                Phase::Reading(Seam::Live) if !self.caught_up => {
                    self.caught_up = true;
                    return Some(Step::CaughtUp);
                }
                Phase::Reading(Seam::Live) => return self.live().await.map(Step::Message),
            }
        }
    }

    async fn start(&mut self) -> Option<()> {
        let mut ready = self.shared.ready.subscribe();
        tokio::select! {
            _ = self.shared.cancel.cancelled() => return None,
            r = ready.wait_for(|r| *r) => { r.ok()?; }
        }
        let pos = {
            let state = self.shared.state();
            self.rx = Some(self.shared.tx.subscribe());
            state.position?
        };
        self.phase = Phase::Reading(self.ledger.seam(pos));
        Some(())
    }

    async fn backlog_page(&mut self, next: EntryId, end: EntryId) -> Option<()> {
        let key = self.shared.key.as_str();
        let hub = &self.io;
        let page = async {
            let mut conn = hub.shared_conn().await?;
            redis_io::xrange(&mut conn, key, next, end, BACKLOG_PAGE).await
        };
        let result = tokio::select! {
            _ = self.shared.cancel.cancelled() => return None,
            r = page => r,
        };
        let entries = match result {
            Ok(entries) => entries,
            Err(e) => {
                hub.metrics.redis_error("xrange", e.kind());
                tracing::warn!(stream = %key, error = %e, "cannot read the backlog; retrying");
                let cancel = self.shared.cancel.clone();
                return self.backoff.wait(&cancel).await.then_some(());
            }
        };
        self.backoff.reset();
        let last = entries.last().map(|(id, _)| *id);
        for (id, entry) in &entries {
            match entry {
                Ok(entry) => match self.ledger.take(*id, lines_of(entry)) {
                    Take::Nothing => {}
                    Take::All => self.queued.push_back(outgoing(*id, entry)),
                    Take::From(n) => self.queued.push_back(outgoing(*id, &trimmed(entry, n))),
                },
                Err(e) => {
                    tracing::warn!(stream = %key, id = %id, error = %e, "skipping an entry logview cannot decode")
                }
            }
        }
        let full = entries.len() == BACKLOG_PAGE;
        self.phase = Phase::Reading(Ledger::after_page(last, end, full));
        Some(())
    }

    async fn live(&mut self) -> Option<Outgoing> {
        loop {
            let rx = self.rx.as_mut()?;
            let received = tokio::select! {
                biased;
                _ = self.shared.cancel.cancelled() => return None,
                r = rx.recv() => r,
            };
            match received {
                Ok(item) => {
                    if let Some(out) = self.accept(&item) {
                        return Some(out);
                    }
                }
                // The next item tells exactly how much was missed.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// A message that is ready without waiting (queued backlog, or live
    /// entries already broadcast), so callers can batch writes; never does I/O.
    pub fn next_ready(&mut self) -> Option<Outgoing> {
        if let Some(out) = self.queued.pop_front() {
            return Some(out);
        }
        if !matches!(self.phase, Phase::Reading(Seam::Live)) || self.shared.cancel.is_cancelled() {
            return None;
        }
        loop {
            match self.rx.as_mut()?.try_recv() {
                Ok(item) => {
                    if let Some(out) = self.accept(&item) {
                        return Some(out);
                    }
                }
                Err(TryRecvError::Lagged(_)) => continue,
                Err(TryRecvError::Empty | TryRecvError::Closed) => return None,
            }
        }
    }

    /// A token cancelled when the hub shuts down (to abandon a stuck send).
    pub fn closing(&self) -> tokio_util::sync::CancellationToken {
        self.shared.cancel.clone()
    }

    /// Accounts for one live item: `None` if the viewer already has it,
    /// otherwise its message, preceded by a `dropped` message if items were missed.
    fn accept(&mut self, item: &LiveItem) -> Option<Outgoing> {
        let json = item.json.get();
        let verdict = self.ledger.accept(item.mark, json.is_some());
        let (Verdict::Send { missed, trim }, Some(json)) = (verdict, json) else {
            return None;
        };
        let id = item.mark.id;
        let out = if trim == 0 {
            Outgoing {
                id: Some(id),
                json,
                lines: item.mark.weight,
            }
        } else {
            // The one entry where this viewer's share begins: re-encoded
            // without the lines before it.
            let entry = entry_of(&json)?;
            outgoing(id, &trimmed(&entry, trim))
        };
        if missed == 0 {
            return Some(out);
        }
        self.io.metrics.dropped(missed);
        self.queued.push_back(out);
        let dropped = Message::slow_client(missed);
        Some(Outgoing {
            id: None,
            json: dropped.to_json().into(),
            lines: 0,
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        Arc::clone(&self.detach).detach(&self.shared);
    }
}
