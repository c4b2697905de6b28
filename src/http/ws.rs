//! `GET /ws/{ticket}?after=<id>`: the viewer's WebSocket. Checks the ticket
//! (401 before any upgrade) and the `Origin` (403), then sends the stream's
//! JSON messages, heartbeats when idle, and ends when either side closes.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};

use super::stream_request::{FleetStreamRequest, StreamRequest, WebSocketRequest};
use super::AppState;
use crate::metrics::Metrics;
use crate::stream::message::Message as ViewerMessage;
use crate::stream::{Feed, FleetFeed};

/// Close code "try again later" (a limit was reached).
const CLOSE_TRY_AGAIN_LATER: u16 = 1013;
/// Close code "going away" (shutdown).
const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code "policy violation" (the client sent data).
const CLOSE_POLICY: u16 = 1008;
/// Messages written before one flush at most (batches syscalls under load).
const MAX_BATCH: usize = 256;

/// The WebSocket route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ws/{ticket}", get(websocket))
        .route("/ws/fleet/{ticket}", get(fleet_websocket))
}

async fn websocket(
    State(state): State<AppState>,
    StreamRequest { grant, after, .. }: StreamRequest<WebSocketRequest>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let settings = state.settings.clone();
    let stream = grant.stream.clone();
    let upgrade = match upgrade {
        // The viewer sends only control frames: a bigger message or frame
        // closes the socket instead of being buffered.
        Ok(u) => u
            .max_message_size(settings.http.ws_max_message_bytes)
            .max_frame_size(settings.http.ws_max_message_bytes),
        Err(rejection) => return rejection.into_response(),
    };
    let hub = state.hub.clone();
    let metrics = state.metrics.clone();
    let heartbeat = Duration::from_secs(settings.viewer.heartbeat_secs.max(1));
    match hub.subscribe(&stream, after) {
        Ok(sub) => {
            let audit = state.orchestrator.audit_log();
            upgrade.on_upgrade(move |socket| async move {
                let _present = grant.audit_viewer(audit, "ws");
                serve(socket, Feed::Single(sub), heartbeat, metrics).await;
            })
        }
        // A browser cannot read an HTTP error body of a WebSocket handshake:
        // accept, then close with the reason, which it can read.
        Err(e) => upgrade.on_upgrade(move |mut socket| async move {
            tracing::info!(stream = %stream, reason = %e, "viewer refused");
            let _ = socket
                .send(close(CLOSE_TRY_AGAIN_LATER, &e.to_string()))
                .await;
        }),
    }
}

/// `GET /ws/fleet/{ticket}?after=CURSOR`: a fleet view's merged WebSocket
/// (docs/fleet.md); the same checks and messages, each tagged with its minion.
async fn fleet_websocket(
    State(state): State<AppState>,
    FleetStreamRequest { grant, cursor, .. }: FleetStreamRequest<WebSocketRequest>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let settings = state.settings.clone();
    let upgrade = match upgrade {
        Ok(u) => u
            .max_message_size(settings.http.ws_max_message_bytes)
            .max_frame_size(settings.http.ws_max_message_bytes),
        Err(rejection) => return rejection.into_response(),
    };
    let metrics = state.metrics.clone();
    let heartbeat = Duration::from_secs(settings.viewer.heartbeat_secs.max(1));
    match FleetFeed::open(&state.hub, &grant, cursor) {
        Ok(feed) => {
            let audit = state.orchestrator.audit_log();
            upgrade.on_upgrade(move |socket| async move {
                let _present = grant.audit_viewer(audit, "ws");
                serve(socket, Feed::Fleet(feed), heartbeat, metrics).await;
            })
        }
        Err(e) => upgrade.on_upgrade(move |mut socket| async move {
            tracing::info!(minions = %grant.minion_list(), reason = %e, "fleet viewer refused");
            let _ = socket
                .send(close(CLOSE_TRY_AGAIN_LATER, &e.to_string()))
                .await;
        }),
    }
}

fn close(code: u16, reason: &str) -> Message {
    // A close reason may hold at most 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(&reason[..end]),
    }))
}

/// Pumps the subscription into the socket until either side ends.
async fn serve(socket: WebSocket, mut sub: Feed, heartbeat: Duration, metrics: Arc<Metrics>) {
    let (mut sink, mut incoming) = socket.split();
    let closing = sub.closing();
    // The client sends nothing but control frames; its close (or a broken
    // connection, or an oversized frame) ends the subscription, and so does
    // any text or binary message (answered with a 1008 close).
    let client_gone = async move {
        while let Some(Ok(msg)) = incoming.next().await {
            match msg {
                Message::Close(_) => return false,
                Message::Text(_) | Message::Binary(_) => return true,
                Message::Ping(_) | Message::Pong(_) => {}
            }
        }
        false
    };
    tokio::pin!(client_gone);
    let heartbeat_json: Utf8Bytes = ViewerMessage::Heartbeat.to_json().into();
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let first = tokio::select! {
            unexpected = &mut client_gone => {
                if unexpected {
                    let _ = sink
                        .send(close(CLOSE_POLICY, "the viewer protocol takes no messages from the client"))
                        .await;
                }
                break;
            }
            out = sub.next() => out,
            _ = ticker.tick() => {
                if sink.send(Message::Text(heartbeat_json.clone())).await.is_err() {
                    break;
                }
                continue;
            }
        };
        let Some(first) = first else {
            let _ = sink
                .send(close(
                    CLOSE_GOING_AWAY,
                    "logview is shutting down; reconnect in a moment",
                ))
                .await;
            break;
        };
        // Write what is ready now, flush once.
        let write = async {
            let mut out = Some(first);
            let mut n = 0;
            while let Some(msg) = out.take() {
                metrics.sent(msg.lines, msg.json.len() as u64);
                sink.feed(Message::Text(msg.json)).await?;
                n += 1;
                if n < MAX_BATCH {
                    out = sub.next_ready();
                }
            }
            sink.flush().await
        };
        let written = tokio::select! {
            r = write => r.is_ok(),
            _ = closing.cancelled() => false,
        };
        if !written {
            break;
        }
        ticker.reset();
    }
    tracing::debug!(stream = %sub.describe(), "viewer disconnected");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_the_frame_limit() {
        let long = "é".repeat(100);
        match close(1013, &long) {
            Message::Close(Some(f)) => assert!(f.reason.len() <= 123 && !f.reason.is_empty()),
            _ => panic!("a close frame"),
        }
    }
}
