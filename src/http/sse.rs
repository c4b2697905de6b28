//! `GET /sse/{ticket}`: the viewer's Server-Sent Events stream, for clients
//! without WebSocket. Same JSON messages as `data:`, the entry id as `id:`,
//! `Last-Event-ID` (or `?after=`) resumes, comment lines keep it alive.
//! `GET /sse/fleet/{ticket}`: the same for a fleet view (docs/fleet.md).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::stream_request::{FleetStreamRequest, SseRequest, StreamRequest};
use super::AppState;
use crate::stream::access::AccessError;
use crate::stream::{Feed, FleetFeed};

/// The SSE route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sse/{ticket}", get(sse))
        .route("/sse/fleet/{ticket}", get(fleet_sse))
}

async fn sse(
    State(state): State<AppState>,
    StreamRequest { grant, after, .. }: StreamRequest<SseRequest>,
) -> Result<Response, ApiError> {
    let sub = state
        .hub
        .clone()
        .subscribe(&grant.stream, after)
        .map_err(AccessError::from)?;
    // Dropped with the event stream: the detach record.
    let present = grant.audit_viewer(state.orchestrator.audit_log(), "sse");
    Ok(respond(&state, Feed::Single(sub), present))
}

/// `GET /sse/fleet/{ticket}`: a fleet view's merged events; each event's id
/// is the whole cursor, so `Last-Event-ID` resumes every member (docs/fleet.md).
async fn fleet_sse(
    State(state): State<AppState>,
    FleetStreamRequest { grant, cursor, .. }: FleetStreamRequest<SseRequest>,
) -> Result<Response, ApiError> {
    let feed = FleetFeed::open(&state.hub, &grant, cursor).map_err(AccessError::from)?;
    let present = grant.audit_viewer(state.orchestrator.audit_log(), "sse");
    Ok(respond(&state, Feed::Fleet(feed), present))
}

/// The event stream of `feed`, kept alive by comment lines; `present` (the
/// audit guard) lives as long as the stream.
fn respond<G: Send + 'static>(state: &AppState, feed: Feed, present: G) -> Response {
    let metrics = state.metrics.clone();
    let events = futures_util::stream::unfold(
        (feed, metrics, present),
        |(mut feed, metrics, present)| async move {
            let out = feed.next().await?;
            metrics.sent(out.lines, out.json.len() as u64);
            let mut event = Event::default().data(out.json.as_str());
            if let Some(id) = feed.event_id(&out) {
                event = event.id(id);
            }
            Some((Ok::<_, Infallible>(event), (feed, metrics, present)))
        },
    );
    let heartbeat = state.settings.viewer.heartbeat_secs.max(1);
    let keep_alive = KeepAlive::new().interval(Duration::from_secs(heartbeat));
    let mut response = Sse::new(events).keep_alive(keep_alive).into_response();
    // Tell nginx not to buffer the stream.
    response.headers_mut().insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    response
}
