//! One viewer of a fleet view: a [`Subscription`] per member stream (each
//! with its own start, ledger and lag handling, exactly as a single viewer),
//! pumped by one small task each into one bounded channel, merged by entry
//! id ([`Merger`]) and tagged with the member's minion id. Keeps the
//! client's [`FleetCursor`] so SSE can send it as the event id.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use super::fleet_access::{FleetCursor, FleetGrant};
use super::merge::Merger;
use super::{Hub, HubError, Outgoing, Step, Subscription};

/// How long a live entry may wait for a quiet member's earlier entries: it
/// covers the skew between the readers that deliver different members (a
/// few ms), and it is added to the latency of a line whenever another member
/// is quiet, so it stays small (measured: 100 ms here made p50 ≈ 92 ms).
pub const REORDER_WINDOW: Duration = Duration::from_millis(20);
/// How long the merge waits at most for a member still reading its backlog
/// (its entries are on their way from Redis; bounded for a Redis that hangs).
const CATCH_UP_WAIT: Duration = Duration::from_secs(5);
/// Messages held in the merge at most; beyond, the pumps wait (and a member
/// that falls too far behind gets its `dropped` notice, as a single viewer).
const MERGE_CAP: usize = 4096;
/// Messages in flight between the pumps and the merge.
const CHANNEL: usize = 256;

/// What a pump sends: a step of member `usize`, or its end (`None`).
type Pumped = (usize, Option<Step>);

/// A merged, minion-tagged feed of a fleet view's member streams.
pub struct FleetFeed {
    rx: mpsc::Receiver<Pumped>,
    merger: Merger<Outgoing>,
    /// `{"minion":"ID",` per member: what each message's JSON starts with.
    prefixes: Vec<String>,
    minions: Vec<String>,
    cursor: FleetCursor,
    closing: CancellationToken,
    _pumps: Vec<AbortOnDropHandle<()>>,
}

impl std::fmt::Debug for FleetFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetFeed")
            .field("minions", &self.minions)
            .finish_non_exhaustive()
    }
}

impl FleetFeed {
    /// Subscribes to every member of `grant`, each after its cursor id (or
    /// its session's start). Fails, holding nothing, if any cannot attach.
    pub fn open(hub: &Hub, grant: &FleetGrant, cursor: FleetCursor) -> Result<FleetFeed, HubError> {
        let subs = grant
            .members
            .iter()
            .map(|m| hub.subscribe(&m.stream, m.view_start(cursor.get(&m.minion))))
            .collect::<Result<Vec<Subscription>, HubError>>()?;
        let closing = subs.first().map(Subscription::closing).unwrap_or_default();
        let (tx, rx) = mpsc::channel(CHANNEL);
        let pumps = subs
            .into_iter()
            .enumerate()
            .map(|(i, sub)| AbortOnDropHandle::new(tokio::spawn(pump(i, sub, tx.clone()))))
            .collect();
        let minions: Vec<String> = grant.members.iter().map(|m| m.minion.clone()).collect();
        Ok(FleetFeed {
            rx,
            merger: Merger::new(minions.len(), REORDER_WINDOW, CATCH_UP_WAIT),
            prefixes: minions.iter().map(|m| prefix(m)).collect(),
            minions,
            cursor,
            closing,
            _pumps: pumps,
        })
    }

    /// The next merged message; `None` once every member stream has ended
    /// (the hub shut down).
    pub async fn next(&mut self) -> Option<Outgoing> {
        loop {
            self.take_pumped();
            if let Some(out) = self.pop() {
                return Some(out);
            }
            if self.merger.is_done() {
                return None;
            }
            let wait_until = self.merger.deadline();
            let room = self.merger.len() < MERGE_CAP;
            tokio::select! {
                got = self.rx.recv(), if room => match got {
                    Some(p) => self.put(p),
                    None => return None,
                },
                _ = sleep_until(wait_until) => {}
            }
        }
    }

    /// A message ready without waiting, for batched writes.
    pub fn next_ready(&mut self) -> Option<Outgoing> {
        self.take_pumped();
        self.pop()
    }

    /// A token cancelled when the hub shuts down.
    pub fn closing(&self) -> CancellationToken {
        self.closing.clone()
    }

    /// The resume cursor after every message returned so far.
    pub fn cursor(&self) -> &FleetCursor {
        &self.cursor
    }

    /// The members' minion ids, comma-separated (for logs).
    pub fn minions(&self) -> String {
        self.minions.join(",")
    }

    fn take_pumped(&mut self) {
        while self.merger.len() < MERGE_CAP {
            match self.rx.try_recv() {
                Ok(p) => self.put(p),
                Err(_) => break,
            }
        }
    }

    fn put(&mut self, (member, out): Pumped) {
        match out {
            Some(Step::Message(out)) => self.merger.push(member, out.id, Instant::now(), out),
            Some(Step::CaughtUp) => self.merger.caught_up(member),
            None => self.merger.close(member),
        }
    }

    fn pop(&mut self) -> Option<Outgoing> {
        let (member, out) = self.merger.pop(Instant::now())?;
        let minion = self.minions.get(member)?;
        if let Some(id) = out.id {
            self.cursor.advance(minion, id);
        }
        Some(Outgoing {
            id: out.id,
            lines: out.lines,
            json: tag(&self.prefixes[member], &out.json).into(),
        })
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Forwards one member's messages until its subscription ends or the feed is dropped.
async fn pump(member: usize, mut sub: Subscription, tx: mpsc::Sender<Pumped>) {
    loop {
        let out = tokio::select! {
            _ = tx.closed() => return,
            out = sub.step() => out,
        };
        let end = out.is_none();
        if tx.send((member, out)).await.is_err() || end {
            return;
        }
    }
}

/// `{"minion":"ID",` — the start of every tagged message of `minion`.
fn prefix(minion: &str) -> String {
    let quoted = serde_json::to_string(minion).unwrap_or_else(|_| "\"\"".to_owned());
    format!("{{\"minion\":{quoted},")
}

/// `json` (an object) with the minion key first.
fn tag(prefix: &str, json: &str) -> String {
    match json.strip_prefix('{') {
        Some(rest) => {
            let mut s = String::with_capacity(prefix.len() + rest.len());
            s.push_str(prefix);
            s.push_str(rest);
            s
        }
        None => json.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::message::Message;

    #[test]
    fn a_tagged_message_still_parses_and_names_its_minion() {
        let json = Message::slow_client(3).to_json();
        let tagged = tag(&prefix("web-02"), &json);
        assert!(tagged.starts_with("{\"minion\":\"web-02\",\"type\":\"dropped\""));
        let v: serde_json::Value = serde_json::from_str(&tagged).expect("json");
        assert_eq!(v["minion"], "web-02");
        assert_eq!(
            Message::parse(&tagged).expect("parses"),
            Message::slow_client(3)
        );
    }
}
