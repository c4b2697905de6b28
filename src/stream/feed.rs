//! What a viewer connection pumps: one stream ([`Subscription`]) or a fleet
//! view ([`FleetFeed`]), behind one interface so the WebSocket and SSE
//! routes serve both with the same code.

use tokio_util::sync::CancellationToken;

use super::{FleetFeed, Outgoing, Subscription};

/// A viewer's source of messages.
#[derive(Debug)]
pub enum Feed {
    /// One stream.
    Single(Subscription),
    /// The merged member streams of a fleet view.
    Fleet(FleetFeed),
}

impl Feed {
    /// The next message; `None` when the hub shuts down.
    pub async fn next(&mut self) -> Option<Outgoing> {
        match self {
            Feed::Single(s) => s.next().await,
            Feed::Fleet(f) => f.next().await,
        }
    }

    /// A message ready without waiting (batched writes).
    pub fn next_ready(&mut self) -> Option<Outgoing> {
        match self {
            Feed::Single(s) => s.next_ready(),
            Feed::Fleet(f) => f.next_ready(),
        }
    }

    /// Cancelled when the hub shuts down.
    pub fn closing(&self) -> CancellationToken {
        match self {
            Feed::Single(s) => s.closing(),
            Feed::Fleet(f) => f.closing(),
        }
    }

    /// The SSE event id after `out`: its entry id, or for a fleet view the
    /// whole cursor (so `Last-Event-ID` resumes every member); `None` for a
    /// message without an id.
    pub fn event_id(&self, out: &Outgoing) -> Option<String> {
        let id = out.id?;
        Some(match self {
            Feed::Single(_) => id.to_string(),
            Feed::Fleet(f) => f.cursor().to_string(),
        })
    }

    /// What is watched, for logs.
    pub fn describe(&self) -> String {
        match self {
            Feed::Single(s) => s.stream().to_owned(),
            Feed::Fleet(f) => format!("fleet {}", f.minions()),
        }
    }
}
